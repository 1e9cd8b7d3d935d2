// Package report is daemonlab's one result model: a run judges a target
// (or grades a submission) and yields checks, each with an id, a status,
// what was observed and expected, a hint and a course link. Writers render a
// Report in one format each (see Writer).
package report

import (
	"time"
)

// Status is the verdict of one check.
type Status string

// Statuses. Fail and Error are the only ones that cost a required check;
// Warn is advice; Skip means the check does not apply; Unknown means the
// data could not be read (another user's process), never a failure.
const (
	Pass    Status = "pass"
	Fail    Status = "fail"
	Warn    Status = "warn"
	Skip    Status = "skip"
	Unknown Status = "unknown"
	Error   Status = "error"
)

// Check is the result of one check.
type Check struct {
	ID        string        `json:"id"`
	Concept   string        `json:"concept"`
	Status    Status        `json:"status"`
	Required  bool          `json:"required"`
	Observed  string        `json:"observed"`
	Expected  string        `json:"expected"`
	Hint      string        `json:"hint"`
	Details   []string      `json:"details,omitempty"`
	Course    string        `json:"course,omitempty"`
	Points    *float64      `json:"points,omitempty"`
	MaxPoints *float64      `json:"max_points,omitempty"`
	Duration  time.Duration `json:"-"`
	// DurationMS mirrors Duration for JSON consumers.
	DurationMS float64 `json:"duration_ms"`
}

// Failed reports whether the check costs the run its success.
func (c Check) Failed() bool {
	return c.Required && (c.Status == Fail || c.Status == Error)
}

// Target names the process a run judged.
type Target struct {
	PID        int       `json:"pid"`
	Name       string    `json:"name"`
	Exe        string    `json:"exe,omitempty"`
	Cmdline    []string  `json:"cmdline,omitempty"`
	StartTime  time.Time `json:"start_time"`
	StartTicks uint64    `json:"start_ticks"`
}

// Report is the whole result of one run.
type Report struct {
	Tool   string  `json:"tool"`
	Mode   string  `json:"mode"` // attach, launch, grade
	Lab    string  `json:"lab,omitempty"`
	Target *Target `json:"target,omitempty"`
	// Tree is a one-line picture of where the target sits: ancestors,
	// session and process group.
	Tree   []string `json:"tree,omitempty"`
	Checks []Check  `json:"checks"`
	// Score is null when the run was not gradable: that is not a zero.
	Score    *float64 `json:"score"`
	MaxScore *float64 `json:"max_score"`
	// Gradable is false when the infrastructure failed (no engine): the
	// result is then "not gradable", not a zero.
	Gradable *bool    `json:"gradable,omitempty"`
	Errors   []string `json:"errors,omitempty"`
	// Timings are wall times of the run's steps, in milliseconds.
	Timings map[string]float64 `json:"timings_ms,omitempty"`
	Started time.Time          `json:"started"`
	// DurationMS is the wall time of the whole run.
	DurationMS float64 `json:"duration_ms"`
}

// Passed reports whether no required check failed.
func (r *Report) Passed() bool {
	for _, c := range r.Checks {
		if c.Failed() {
			return false
		}
	}
	return true
}

// Counts tallies the checks by status.
func (r *Report) Counts() map[Status]int {
	out := map[Status]int{}
	for _, c := range r.Checks {
		out[c.Status]++
	}
	return out
}

// Find returns the check with the given id.
func (r *Report) Find(id string) (Check, bool) {
	for _, c := range r.Checks {
		if c.ID == id {
			return c, true
		}
	}
	return Check{}, false
}
