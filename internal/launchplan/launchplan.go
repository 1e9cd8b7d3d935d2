// Package launchplan is the part of grading a launch-mode lab (labs 01–03)
// that does not depend on where it runs: how a submission is built, the
// checker's command line, and how the checker's report becomes the lab's
// scored result. internal/grade runs it inside containers; internal/inplace
// runs it on the current machine (daemonlab grade --in-place). Nothing here
// imports the container stack, so the daemonlab binary can carry it.
package launchplan

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/daemonlab/daemonlab/checker"
	"github.com/daemonlab/daemonlab/checker/catalogue"
	"github.com/daemonlab/daemonlab/internal/capture"
	"github.com/daemonlab/daemonlab/labs"
	"github.com/daemonlab/daemonlab/report"
)

// Probes are the checks of the launch plan that the checker's launch mode
// judges by behaviour (passed to it with --probe).
var Probes = []string{"ready", "single-instance", "sighup", "workers", "sigterm", "stale-pidfile"}

// Files is what a submission's build needs to know about it.
type Files interface {
	Has(name string) bool
}

// BuildCommand picks the build from the submission's files: its Makefile's
// default target, else a default per language. goRoot is where a Go
// toolchain is ("" to use the one on PATH).
func BuildCommand(sub Files, binary, goRoot string) (cmd string, goBuild bool) {
	switch {
	case sub.Has("Makefile") || sub.Has("makefile") || sub.Has("GNUmakefile"):
		return "make", false
	case sub.Has("go.mod"):
		if goRoot == "" {
			return fmt.Sprintf("go build -o %s .", binary), true
		}
		return fmt.Sprintf("PATH=%s/bin:$PATH go build -o %s .", goRoot, binary), true
	case sub.Has(binary + ".c"):
		return fmt.Sprintf("cc -O2 -Wall -o %[1]s %[1]s.c", binary), false
	case sub.Has(binary + ".py"):
		return fmt.Sprintf("head -1 %[1]s.py | grep -q '^#!' || { echo '%[1]s.py has no #! line'; exit 1; }; cp %[1]s.py %[1]s && chmod 0755 %[1]s", binary), false
	}
	return "", false
}

// NothingToBuild is the finding for a submission BuildCommand has no build for.
func NothingToBuild(binary string) string {
	return fmt.Sprintf("nothing to build: no Makefile, %s.c, %s.py or Go module", binary, binary)
}

// BuildEnv keeps a Go build offline and local: no toolchain download, no
// module proxy, caches in /tmp.
var BuildEnv = []string{
	"HOME=/tmp", "GOCACHE=/tmp/go-cache", "GOPATH=/tmp/go", "GOTOOLCHAIN=local", "GOPROXY=off",
	"GOFLAGS=-mod=mod -buildvcs=false", "CGO_ENABLED=0", "GOTELEMETRY=off", "GOSUMDB=off",
}

// CheckerArgs is the checker's command line for a lab: launch mode of the
// installed program with the lab's expectations (labRef: the lab's id, or
// its folder when the checker could not find it by id), only the probes the
// lab grades, and the lab's arguments.
func CheckerArgs(checkerPath, program, labRef string, lab *labs.Spec) ([]string, error) {
	args := []string{checkerPath, "check", program, "--lab", labRef, "--format", "json",
		"--launch-timeout", lab.Deadlines.Start.Duration.String(), "--term-timeout", lab.Deadlines.Stop.Duration.String()}
	var probes []string
	for _, id := range Probes {
		if _, graded := lab.Check(id); graded {
			probes = append(probes, id)
		}
	}
	if len(probes) == 0 {
		args = append(args, "--no-probes")
	} else {
		args = append(args, "--probe", strings.Join(probes, ","))
	}
	for _, c := range lab.Checks {
		if _, ok := catalogue.Lookup(c.ID); !ok {
			return nil, fmt.Errorf("lab %s: unknown check %q", lab.ID, c.ID)
		}
	}
	if lab.Launch.ReloadTouch != "" {
		args = append(args, "--reload-touch", lab.Launch.ReloadTouch)
	}
	if lab.Launch.ReloadExpect != "" {
		args = append(args, "--reload-expect", lab.Launch.ReloadExpect)
	}
	args = append(args, "--")
	return append(args, lab.Launch.Args...), nil
}

// CheckerTimeout bounds one launch-mode run of the checker: every probe
// has its own deadline inside it; this is the outer one.
func CheckerTimeout(lab *labs.Spec) time.Duration {
	d := lab.Deadlines.Start.Duration + 2*lab.Deadlines.Stop.Duration + 30*time.Second
	return min(d, lab.Deadlines.Total.Duration)
}

// Score assembles the lab's complete result from the judged checks: one
// entry per graded check, in the lab's order, "not judged" (an error) for
// a check that has no result, points from the lab spec. Points are earned,
// never given: a check that was skipped, could not be judged or could not
// read its data earns nothing. A run that was not gradable has no score.
func Score(lab *labs.Spec, results map[string]report.Check, gradable bool, r *report.Report) {
	score, max := 0.0, 0.0
	for _, cs := range lab.Checks {
		c, ok := results[cs.ID]
		if !ok {
			c = checker.Check(cs.ID).Result(report.Error, "not judged", "")
		}
		pts := 0.0
		if c.Status == report.Pass || c.Status == report.Warn {
			pts = cs.Points
		}
		p, m := pts, cs.Points
		c.Points, c.MaxPoints = &p, &m
		score += pts
		max += cs.Points
		r.Checks = append(r.Checks, c)
	}
	r.Gradable = &gradable
	r.MaxScore = &max
	if gradable {
		r.Score = &score
	}
}

// Collect takes what the checker reported: the entries of the checks the
// lab grades go into results, and its errors come back, one line each.
func Collect(lab *labs.Spec, r *report.Report, results map[string]report.Check) []string {
	var errs []string
	for _, e := range r.Errors {
		errs = append(errs, "checker: "+capture.Compact(e))
	}
	for _, cs := range lab.Checks {
		if c, ok := r.Find(cs.ID); ok {
			results[cs.ID] = c
		}
	}
	return errs
}

// Outcome classifies a finished grading run, for the exit code; both
// graders (in a container and in place) use it.
type Outcome int

// Outcomes of a grading run.
const (
	Graded     Outcome = iota // every step ran; the report says what passed
	Ungradable                // the submission could not be graded (build failed, timeout)
	NoInfra                   // the infrastructure failed (no engine): not gradable
)

// ErrBadSubmission marks input errors (no such directory).
var ErrBadSubmission = errors.New("bad submission")

// ReportOutcome is the outcome as a report states it (report.Outcome*).
func (o Outcome) ReportOutcome() string {
	switch o {
	case Ungradable:
		return report.OutcomeUngradable
	case NoInfra:
		return report.OutcomeNotGradable
	default:
		return report.OutcomeGraded
	}
}
