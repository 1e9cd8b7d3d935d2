// Package grade grades one submission of a container lab inside a fresh
// systemd container: copy it in, build it, install binary and unit, then
// judge the unit and the service step by step. Every step has a deadline;
// a step that cannot run is an error worth 0 points; an infrastructure
// failure makes the result "not gradable" instead of a zero. The result is
// always complete: one entry per graded check.
package grade

import (
	"context"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/daemonlab/daemonlab/checker"
	"github.com/daemonlab/daemonlab/containers"
	"github.com/daemonlab/daemonlab/internal/capture"
	"github.com/daemonlab/daemonlab/internal/launchplan"
	"github.com/daemonlab/daemonlab/internal/submission"
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
	// Limits bound the submission (default submission.DefaultLimits).
	Limits submission.Limits
}

// Outcome classifies a finished run for the exit code (launchplan.Outcome).
type Outcome = launchplan.Outcome

// Outcomes of a run.
const (
	Graded     = launchplan.Graded
	Ungradable = launchplan.Ungradable
	NoInfra    = launchplan.NoInfra
)

// ErrBadSubmission marks input errors (no such directory).
var ErrBadSubmission = launchplan.ErrBadSubmission

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
	g := &grader{o: o, lab: o.Lab, results: map[string]report.Check{}, timings: map[string]float64{}, mains: map[int]bool{}, start: start}
	outcome := g.run(ctx)
	g.pending.Wait()
	r := g.report(outcome)
	r.DurationMS = float64(time.Since(start).Microseconds()) / 1000
	return r, outcome, nil
}

type grader struct {
	o       Options
	lab     *labs.Spec
	c       *containers.Container
	image   string
	results map[string]report.Check
	errors  []string
	timings map[string]float64
	start   time.Time
	// typeFixed is set when the grader corrected Type= to grade the rest.
	typeFixed string
	// unitWarnings are our parser's warnings, shown with unit-syntax.
	unitWarnings []string
	// sub is the scanned submission, for plans that read hand-in files.
	sub *submission.Submission
	// pending is the work started in the background (a tear-down, a
	// verification) that the run waits for before it returns.
	pending sync.WaitGroup
	// startCursor is the journal's position just before the unit started.
	startCursor string
	// mains are the pids systemd had as the unit's main process, of the
	// unit's own cgroup: whose journal lines are the daemon's.
	mains map[int]bool
	// mu guards results, timings and mains, which concurrent steps write.
	mu sync.Mutex
}

// background runs f concurrently; run waits for it before returning.
func (g *grader) background(f func()) {
	g.pending.Add(1)
	go func() { defer g.pending.Done(); f() }()
}

func (g *grader) progress(format string, a ...any) {
	fmt.Fprintf(g.o.Progress, "grade %s: %s\n", g.lab.ID, fmt.Sprintf(format, a...))
}

func (g *grader) timing(step string, since time.Time) {
	g.record(step, time.Since(since))
}

// record notes a step's wall time; steps may run concurrently.
func (g *grader) record(step string, d time.Duration) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.timings[step] = ms(d)
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// set records a check result (the first one for an id wins).
func (g *grader) set(id string, status report.Status, observed, hint string, details ...string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if _, done := g.results[id]; done {
		return
	}
	g.results[id] = checker.Check(id).Details(details...).Result(status, observed, hint)
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

	sub, err := submission.Scan(g.o.Submission, g.limits())
	if err != nil {
		g.failAll(capture.Compact(err.Error()))
		return Ungradable
	}
	defer sub.Close()
	g.sub = sub
	var unit []byte
	switch {
	case g.lab.Unit == "":
	case !sub.Has(g.lab.Unit):
		g.set("unit-syntax", report.Fail, fmt.Sprintf("the submission has no %s", g.lab.Unit), "hand in the unit file next to your source.")
	default:
		if unit, err = sub.ReadFile(g.lab.Unit, maxUnit); err != nil {
			g.failAll(capture.Compact(err.Error()))
			return Ungradable
		}
		g.lintUnit(unit)
	}
	steps, known := plans[g.lab.Plan]
	if !known {
		g.errors = append(g.errors, fmt.Sprintf("lab %s: no grading plan %q", g.lab.ID, g.lab.Plan))
		g.failAll("not gradable: the lab names an unknown grading plan")
		return NoInfra
	}
	if sub.Empty() {
		g.failAll("the submission directory is empty")
		return Ungradable
	}

	if err := containers.EngineAvailable(ctx); err != nil {
		g.errors = append(g.errors, err.Error())
		g.failAll("not gradable: no container engine (" + capture.Compact(err.Error()) + ")")
		return NoInfra
	}
	g.image = g.o.Image
	if g.image == "" {
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
		g.image = tag
	}
	checker := g.o.Checker
	if checker == "" {
		checker = defaultChecker()
	}
	if checker, err = filepath.Abs(checker); err != nil {
		g.errors = append(g.errors, err.Error())
		g.failAll("not gradable: no checker binary")
		return NoInfra
	}

	// The lab container boots while the submission builds in its own.
	copts := g.o.Container
	copts.Image = g.image
	copts.ReadOnly = map[string]string{checkerPath: checker}
	if len(g.lab.Provide) > 0 {
		dir, err := os.MkdirTemp("", "daemonlab-provide-")
		if err != nil {
			g.errors = append(g.errors, err.Error())
			g.failAll("not gradable: no temporary directory for the lab's files")
			return NoInfra
		}
		defer os.RemoveAll(dir)
		for i, f := range g.lab.Provide {
			host := filepath.Join(dir, fmt.Sprint(i))
			if err := os.WriteFile(host, []byte(f.Text), 0o644); err != nil {
				g.errors = append(g.errors, err.Error())
				g.failAll("not gradable: the lab's files could not be written")
				return NoInfra
			}
			copts.ReadOnly[f.To] = host
		}
	}
	if len(g.lab.Writable) > 0 {
		copts.Writable = maps.Clone(containers.SystemdWritable)
		for _, p := range g.lab.Writable {
			copts.Writable[p] = "size=16m,mode=0755"
		}
	}
	// Lab 08 reboots its container to see cron's @reboot job run.
	copts.Rebootable = g.lab.Plan == "timer"
	if copts.MaxLifetime == 0 {
		copts.MaxLifetime = g.lab.Deadlines.Total.Duration + 30*time.Second
	}
	type started struct {
		c    *containers.Container
		err  error
		took time.Duration
	}
	boot := make(chan started, 1)
	go func() {
		t := time.Now()
		c, err := containers.Start(ctx, copts)
		boot <- started{c, err, time.Since(t)}
	}()
	lab := sync.OnceValue(func() started { s := <-boot; g.record("container_start", s.took); return s })
	defer func() {
		// Tear down even when ctx was cancelled (Ctrl-C, deadline).
		s := lab()
		if s.c == nil {
			return
		}
		if err := s.c.Terminate(context.WithoutCancel(ctx)); err != nil {
			g.errors = append(g.errors, "tear-down: "+err.Error())
		}
		g.record("teardown", s.c.TeardownDuration())
	}()

	g.progress("building")
	artifact, outcome, ok := g.build(ctx, sub)
	if !ok {
		return outcome
	}
	defer os.Remove(artifact)
	booted := lab()
	if booted.err != nil {
		g.errors = append(g.errors, booted.err.Error())
		g.failAll("not gradable: the systemd container did not start")
		return NoInfra
	}
	g.c = booted.c
	if outcome, ok := g.install(ctx, artifact, sub, unit); !ok {
		return outcome
	}
	if !g.runSteps(ctx, steps) {
		return NoInfra
	}
	if ctx.Err() != nil {
		g.errors = append(g.errors, fmt.Sprintf("the grading deadline of %s passed", g.lab.Deadlines.Total.Duration))
		g.failAll("not judged: the grading deadline passed")
	}
	return Graded
}

// runSteps runs the lab's grading steps. A bug of the grader there (a
// panic, whatever output from the container set it off) costs the checks
// not yet judged, as errors of the grader, never the result file.
func (g *grader) runSteps(ctx context.Context, steps func(*grader, context.Context)) (ok bool) {
	defer func() {
		if p := recover(); p != nil {
			g.mu.Lock()
			g.errors = append(g.errors, fmt.Sprintf("internal error while grading: %v", p))
			g.mu.Unlock()
			g.failAll("not judged: the grader failed (an internal error, please report it)")
			ok = false
		}
	}()
	steps(g, ctx)
	return true
}

// plans maps a lab's plan (labs.Spec.Plan) to its grading steps, which run
// once the program and the hand-in files are installed in the lab container.
var plans = map[string]func(*grader, context.Context){
	labs.PlanService:     (*grader).service,
	labs.PlanLaunch:      (*grader).launch,
	labs.PlanSuperdaemon: (*grader).superdaemon,
	labs.PlanSysv:        (*grader).sysv,
	labs.PlanModern:      (*grader).modern,
	labs.PlanTimer:       (*grader).timer,
	labs.PlanBackground:  (*grader).lab00,
}

func (g *grader) limits() submission.Limits {
	if g.o.Limits != (submission.Limits{}) {
		return g.o.Limits
	}
	return submission.DefaultLimits
}

// report assembles the complete result with points from the lab spec.
func (g *grader) report(outcome Outcome) *report.Report {
	r := &report.Report{Tool: "daemonlab", Mode: "grade", Lab: g.lab.ID, Started: g.start, Errors: g.errors, Timings: g.timings}
	launchplan.Score(g.lab, g.results, outcome != NoInfra, r)
	return r
}
