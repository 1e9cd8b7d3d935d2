// Package grade grades one submission of a container lab inside a fresh
// systemd container: copy it in, build it, install binary and unit, then
// judge the unit and the service step by step. Every step has a deadline;
// a step that cannot run is an error worth 0 points; an infrastructure
// failure makes the result "not gradable" instead of a zero. The result is
// always complete: one entry per graded check.
package grade

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/daemonlab/daemonlab/checker"
	"github.com/daemonlab/daemonlab/containers"
	"github.com/daemonlab/daemonlab/labs"
	"github.com/daemonlab/daemonlab/report"
)

// Options are the inputs of one grading run.
type Options struct {
	Lab        *labs.Spec
	Submission string // directory
	// Checker is a static daemonlab binary to copy into the container
	// (default: the running executable).
	Checker  string
	Image    string // default: containers.ImageTag(), built if missing
	Progress io.Writer
	// Container overrides the container options (limits) for tests.
	Container containers.Options
}

// Outcome classifies a finished run for the exit code.
type Outcome int

// Outcomes of a grading run.
const (
	Graded     Outcome = iota // every step ran; the report says what passed
	Ungradable                // the submission could not be graded (build failed, timeout)
	NoInfra                   // the infrastructure failed (no engine): not gradable
)

// ErrBadSubmission marks input errors (no such directory).
var ErrBadSubmission = errors.New("bad submission")

// Grade runs every step and returns a complete report. It fails (with
// ErrBadSubmission) only for bad input; everything else is in the report.
func Grade(ctx context.Context, o Options) (*report.Report, Outcome, error) {
	start := time.Now()
	if o.Progress == nil {
		o.Progress = io.Discard
	}
	st, err := os.Stat(o.Submission)
	if err != nil || !st.IsDir() {
		return nil, Graded, fmt.Errorf("%w: %s is not a directory", ErrBadSubmission, o.Submission)
	}
	g := &grader{o: o, lab: o.Lab, results: map[string]report.Check{}, start: start}
	outcome := g.run(ctx)
	r := g.report(outcome)
	r.DurationMS = float64(time.Since(start).Microseconds()) / 1000
	return r, outcome, nil
}

type grader struct {
	o       Options
	lab     *labs.Spec
	c       *containers.Container
	results map[string]report.Check
	errors  []string
	timings map[string]float64
	start   time.Time
	// typeFixed is set when the grader corrected Type= to grade the rest.
	typeFixed string
	// unitWarnings are our parser's warnings, shown with unit-syntax.
	unitWarnings []string
}

func (g *grader) progress(format string, a ...any) {
	fmt.Fprintf(g.o.Progress, "grade %s: %s\n", g.lab.ID, fmt.Sprintf(format, a...))
}

func (g *grader) timing(step string, since time.Time) {
	if g.timings == nil {
		g.timings = map[string]float64{}
	}
	g.timings[step] = float64(time.Since(since).Microseconds()) / 1000
}

// set records a check result (the first one for an id wins).
func (g *grader) set(id string, status report.Status, observed, hint string, details ...string) {
	if _, done := g.results[id]; done {
		return
	}
	g.results[id] = checker.NewCheck(id, status, observed, "", hint, details, true, 0)
}

// failAll marks every graded check not yet judged as an error.
func (g *grader) failAll(reason string) {
	for _, c := range g.lab.Checks {
		g.set(c.ID, report.Error, reason, "")
	}
}

func (g *grader) run(ctx context.Context) Outcome {
	ctx, cancel := context.WithTimeout(ctx, g.lab.Deadlines.Total.Duration)
	defer cancel()

	unitPath := filepath.Join(g.o.Submission, g.lab.Unit)
	if _, err := os.Stat(unitPath); err != nil {
		g.set("unit-syntax", report.Fail, fmt.Sprintf("the submission has no %s", g.lab.Unit), "hand in the unit file next to your source.")
	} else {
		g.lintUnit(unitPath)
	}
	if empty(g.o.Submission) {
		g.failAll("the submission directory is empty")
		return Ungradable
	}

	if err := containers.EngineAvailable(ctx); err != nil {
		g.errors = append(g.errors, err.Error())
		g.failAll("not gradable: no container engine (" + oneLine(err.Error()) + ")")
		return NoInfra
	}
	image := g.o.Image
	if image == "" {
		t := time.Now()
		tag, built, err := containers.EnsureImage(ctx, g.o.Progress)
		if err != nil {
			g.errors = append(g.errors, err.Error())
			g.failAll("not gradable: the systemd image could not be built")
			return NoInfra
		}
		if built {
			g.timing("image_build", t)
		}
		image = tag
	}
	copts := g.o.Container
	copts.Image = image
	if copts.MaxLifetime == 0 {
		copts.MaxLifetime = g.lab.Deadlines.Total.Duration + 30*time.Second
	}
	t := time.Now()
	c, err := containers.Start(ctx, copts)
	if err != nil {
		g.errors = append(g.errors, err.Error())
		g.failAll("not gradable: the systemd container did not start")
		return NoInfra
	}
	g.c = c
	containers.TrackForCleanup(c)
	g.timing("container_start", t)
	defer func() {
		// Tear down even when ctx was cancelled (Ctrl-C, deadline).
		tctx, tcancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer tcancel()
		if err := c.Terminate(tctx); err != nil {
			g.errors = append(g.errors, "tear-down: "+err.Error())
		}
		g.timings["teardown"] = float64(c.TeardownDuration().Microseconds()) / 1000
	}()

	g.progress("building")
	if outcome, ok := g.install(ctx); !ok {
		return outcome
	}
	g.service(ctx)
	if ctx.Err() != nil {
		g.errors = append(g.errors, fmt.Sprintf("the grading deadline of %s passed", g.lab.Deadlines.Total.Duration))
		g.failAll("not judged: the grading deadline passed")
	}
	return Graded
}

// report assembles the complete result with points from the lab spec.
func (g *grader) report(outcome Outcome) *report.Report {
	r := &report.Report{Tool: "daemonlab", Mode: "grade", Lab: g.lab.ID, Started: g.start, Errors: g.errors, Timings: g.timings}
	score, max := 0.0, 0.0
	for _, cs := range g.lab.Checks {
		c, ok := g.results[cs.ID]
		if !ok {
			c = checker.NewCheck(cs.ID, report.Error, "not judged", "", "", nil, true, 0)
		}
		pts := 0.0
		if c.Status == report.Pass || c.Status == report.Warn || c.Status == report.Skip {
			pts = cs.Points
		}
		p, m := pts, cs.Points
		c.Points, c.MaxPoints = &p, &m
		score += pts
		max += cs.Points
		r.Checks = append(r.Checks, c)
	}
	gradable := outcome != NoInfra
	r.Gradable = &gradable
	r.MaxScore = &max
	if gradable {
		r.Score = &score
	}
	return r
}

func empty(dir string) bool {
	entries, err := os.ReadDir(dir)
	return err == nil && len(entries) == 0
}

// oneLine caps and flattens text that came from the submission.
func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 300 {
		s = s[:300] + "…"
	}
	return s
}

// lastLines keeps the tail of captured output for a report.
func lastLines(s string, n int) []string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	for i, l := range lines {
		if len(l) > 200 {
			lines[i] = l[:200] + "…"
		}
	}
	return lines
}
