package report

import (
	"regexp"
	"strconv"
)

// Exit codes as the commands return them; they mirror internal/cmdutil
// (which imports this package) and are documented in the README.
const (
	exitOK         = 0
	exitFailed     = 1
	exitUngradable = 3
	exitInfra      = 4
)

// Summary is the machine-readable verdict of a run.
type Summary struct {
	// Counts has one entry per status, zero included.
	Counts map[Status]int `json:"counts"`
	Total  int            `json:"total"`
	// OK is true when no required check failed and the run was gradable.
	OK bool `json:"ok"`
	// ExitCode is the exit status the command returns for this report.
	ExitCode int `json:"exit_code"`
}

// AllStatuses lists every status, in display order.
var AllStatuses = []Status{Pass, Fail, Warn, Skip, Unknown, Error}

// Summarize tallies a report and derives its exit code.
func (r *Report) Summarize() Summary {
	s := Summary{Counts: map[Status]int{}, Total: len(r.Checks)}
	for _, st := range AllStatuses {
		s.Counts[st] = 0
	}
	for st, n := range r.Counts() {
		s.Counts[st] = n
	}
	s.ExitCode = r.ExitCode()
	s.OK = s.ExitCode == exitOK
	return s
}

// ExitCode is the exit status a command returns for this report: 4 when
// the infrastructure failed, 3 when the submission could not be graded,
// 1 when a required check failed, else 0.
func (r *Report) ExitCode() int {
	switch {
	case r.Outcome == OutcomeNotGradable || (r.Gradable != nil && !*r.Gradable):
		return exitInfra
	case r.Outcome == OutcomeUngradable:
		return exitUngradable
	case !r.Passed():
		return exitFailed
	}
	return exitOK
}

// Redact returns a copy of r in which hidden checks keep only their id,
// status and points: what a student may see. r itself is not changed.
func Redact(r *Report) *Report {
	out := *r
	out.Checks = make([]Check, len(r.Checks))
	for i, c := range r.Checks {
		if c.Hidden {
			c = Check{
				ID: c.ID, Status: c.Status, Required: c.Required, Hidden: true,
				Observed: "hidden check: its details are not shown",
				Points:   c.Points, MaxPoints: c.MaxPoints, Duration: c.Duration,
			}
		}
		out.Checks[i] = c
	}
	return &out
}

// MarkHidden flags the checks with these ids as hidden.
func (r *Report) MarkHidden(ids ...string) {
	hidden := map[string]bool{}
	for _, id := range ids {
		hidden[id] = true
	}
	for i := range r.Checks {
		if hidden[r.Checks[i].ID] {
			r.Checks[i].Hidden = true
		}
	}
}

// Location is a finding of a check that has a file and a line, such as a
// unit-file lint message.
type Location struct {
	File     string `json:"file"`
	Line     int    `json:"line"`
	Severity string `json:"severity"` // error or warning
	Message  string `json:"message"`
}

// gccStyle matches "path:line: severity: message", the form the unit-file
// linter (internal/unitfile) and compilers use.
var gccStyle = regexp.MustCompile(`^([^\s:]+):([0-9]+):(?:[0-9]+:)? (error|warning|note): (.+)$`)

// Locations extracts the findings with a file and a line from a check's
// observed text and details, in order, without duplicates.
func (c Check) Locations() []Location {
	var out []Location
	seen := map[string]bool{}
	for _, s := range append([]string{c.Observed}, c.Details...) {
		m := gccStyle.FindStringSubmatch(s)
		if m == nil || seen[s] {
			continue
		}
		seen[s] = true
		line, err := strconv.Atoi(m[2])
		if err != nil || line <= 0 {
			continue
		}
		out = append(out, Location{File: m[1], Line: line, Severity: m[3], Message: m[4]})
	}
	return out
}
