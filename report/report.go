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
	ID        string   `json:"id"`
	Concept   string   `json:"concept"`
	Status    Status   `json:"status"`
	Required  bool     `json:"required"`
	Observed  string   `json:"observed"`
	Expected  string   `json:"expected"`
	Hint      string   `json:"hint"`
	Details   []string `json:"details,omitempty"`
	Course    string   `json:"course,omitempty"`
	Points    *float64 `json:"points,omitempty"`
	MaxPoints *float64 `json:"max_points,omitempty"`
	// Hidden checks are graded but their details are not shown to the
	// student: writers show only the id, the status and the points unless
	// Options.ShowHidden is set (see Redact).
	Hidden   bool          `json:"hidden,omitempty"`
	Duration time.Duration `json:"-"`
	// DurationMS mirrors Duration for JSON consumers.
	DurationMS float64 `json:"duration_ms"`
}

// Failed reports whether the check costs the run its success.
func (c Check) Failed() bool {
	return c.Required && (c.Status == Fail || c.Status == Error)
}

// Target names the process a run judged and carries its structured facts
// beside the sentences of the checks. Facts that could not be read are
// left out (nil).
type Target struct {
	PID        int       `json:"pid"`
	Name       string    `json:"name"`
	Exe        string    `json:"exe,omitempty"`
	Cmdline    []string  `json:"cmdline,omitempty"`
	StartTime  time.Time `json:"start_time"`
	StartTicks uint64    `json:"start_ticks"`

	PPID  int `json:"ppid"`
	SID   int `json:"sid"`
	PGID  int `json:"pgid"`
	TTYNr int `json:"tty_nr"` // encoded dev_t of the controlling terminal, 0 when none
	TPGID int `json:"tpgid"`  // foreground group of that terminal, -1 when none
	// Cwd is nil when it could not be read.
	Cwd *string `json:"cwd,omitempty"`
	// Umask is octal ("0022"); nil before Linux 4.7.
	Umask *string `json:"umask,omitempty"`
	// UID and GID are real, effective, saved and filesystem ids.
	UID []uint32 `json:"uid,omitempty"`
	GID []uint32 `json:"gid,omitempty"`
	// FDs are the open descriptors with their targets; nil when unreadable.
	FDs     []FD     `json:"fds,omitempty"`
	Signals *Signals `json:"signals,omitempty"`
}

// FD is one open descriptor.
type FD struct {
	FD     int    `json:"fd"`
	Target string `json:"target"`
}

// Signals are the signal sets of /proc/PID/status, as signal names.
type Signals struct {
	Blocked []string `json:"blocked"`
	Ignored []string `json:"ignored"`
	Caught  []string `json:"caught"`
	Pending []string `json:"pending"`
}

// Outcomes of a grading run (Report.Outcome); empty for a check run.
const (
	OutcomeGraded      = "graded"       // every step ran
	OutcomeUngradable  = "ungradable"   // the submission could not be graded (build failed, timeout)
	OutcomeNotGradable = "not_gradable" // the infrastructure failed: not a zero
)

// Report is the whole result of one run.
type Report struct {
	Tool string `json:"tool"`
	// Version is the version of the tool that produced the report.
	Version string `json:"version,omitempty"`
	// Mode is a value, not display text: attach, launch or grade.
	Mode   string  `json:"mode"`
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
	Gradable *bool `json:"gradable,omitempty"`
	// Outcome classifies a grading run (OutcomeGraded...); empty for check.
	Outcome string   `json:"outcome,omitempty"`
	Errors  []string `json:"errors,omitempty"`
	// Timings are wall times of the run's steps, in milliseconds.
	Timings map[string]float64 `json:"timings_ms,omitempty"`
	Started time.Time          `json:"started"`
	// DurationMS is the wall time of the whole run.
	DurationMS float64 `json:"duration_ms"`
}

// Modes of a run (Report.Mode).
const (
	ModeAttach = "attach"
	ModeLaunch = "launch"
	ModeGrade  = "grade"
)

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
