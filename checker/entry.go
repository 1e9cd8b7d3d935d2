package checker

import (
	"time"

	"github.com/daemonlab/daemonlab/checker/catalogue"
	"github.com/daemonlab/daemonlab/report"
)

// CheckBuilder makes the report entries of one catalogue check: the
// concept and course link come from the catalogue, the rest is set once
// and each Result gives an entry. Checks are required unless Optional;
// the hint is dropped on a pass, a skip and an unknown. Probes and the
// grader build their entries with it too.
type CheckBuilder struct {
	id       string
	expected string
	details  []string
	optional bool
	start    time.Time
}

// Check starts the entries of check id.
func Check(id string) CheckBuilder { return CheckBuilder{id: id} }

// Expected says what the check expects.
func (b CheckBuilder) Expected(s string) CheckBuilder { b.expected = s; return b }

// Details adds lines of evidence.
func (b CheckBuilder) Details(lines ...string) CheckBuilder {
	b.details = append(b.details[:len(b.details):len(b.details)], lines...)
	return b
}

// Optional marks the check as not required when opt is true.
func (b CheckBuilder) Optional(opt bool) CheckBuilder { b.optional = opt; return b }

// Since times the check from start: each entry's duration is the time
// from start to its making. Without it the duration is 0.
func (b CheckBuilder) Since(start time.Time) CheckBuilder { b.start = start; return b }

// Result makes the entry.
func (b CheckBuilder) Result(status report.Status, observed, hint string) report.Check {
	e, _ := catalogue.Lookup(b.id)
	if status == report.Pass || status == report.Skip || status == report.Unknown {
		hint = ""
	}
	var d time.Duration
	if !b.start.IsZero() {
		d = time.Since(b.start)
	}
	return report.Check{
		ID: b.id, Concept: e.Concept, Status: status, Required: !b.optional,
		Observed: observed, Expected: b.expected, Hint: hint, Details: b.details,
		Course: e.Course(), Duration: d,
	}
}
