// Package inplace grades a launch-mode lab (labs 01–03, and any lab whose
// plan is "launch") directly on the current machine, which it treats as a
// disposable sandbox: `daemonlab grade --in-place`, for autograders such
// as Gradescope's, whose containers cannot boot systemd and have no Docker.
//
// It runs the same launch plan as the container grader (internal/grade),
// from internal/launchplan: the same build command, the same checker
// command line, the same scoring, the same result model. Only the place
// differs: the build runs in a temporary directory (as nobody when run as
// root), the program is installed in /usr/local/bin and the checker runs
// as a child process. The result is always complete: a step that could
// not run is an error worth 0 points; the run has the lab's deadlines;
// every process the submission left behind is killed before it returns.
package inplace

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/daemonlab/daemonlab/checker"
	"github.com/daemonlab/daemonlab/internal/capture"
	"github.com/daemonlab/daemonlab/internal/launchplan"
	"github.com/daemonlab/daemonlab/internal/submission"
	"github.com/daemonlab/daemonlab/labs"
	"github.com/daemonlab/daemonlab/report"
	"golang.org/x/sys/unix"
)

// Options are the inputs of one in-place grading run.
type Options struct {
	Lab *labs.Spec
	// LabRef is how the checker finds the lab: its id (default) or the
	// lab's folder or spec file.
	LabRef     string
	Submission string // directory
	// Checker is the daemonlab binary that judges (default: daemonlab
	// next to this executable, else this executable).
	Checker string
	// InstallDir receives the built program (default /usr/local/bin,
	// where the container grader installs it too).
	InstallDir string
	Progress   io.Writer
	// Limits bound the submission (default submission.DefaultLimits).
	Limits submission.Limits
}

// ErrNeedsSystemd refuses a lab that is not graded by the launch plan.
var ErrNeedsSystemd = errors.New("needs systemd")

// Supported reports whether a lab can be graded in place: its plan is the
// launch plan (no systemd, no container needed).
func Supported(lab *labs.Spec) error {
	if lab.Tier == labs.TierContainer && lab.Plan == labs.PlanLaunch {
		return nil
	}
	return fmt.Errorf("%w: lab %s is graded in a systemd container (plan %q); only launch-mode labs can be graded in place", ErrNeedsSystemd, lab.ID, lab.Plan)
}

const (
	// maxCheckerOutput caps the checker's JSON report.
	maxCheckerOutput = 1 << 20
	// maxBuildOutput caps what the build prints.
	maxBuildOutput = 64 << 10
	// maxArtifact caps the built program (as internal/grade.MaxArtifact).
	maxArtifact = 64 << 20
	// nobody builds the submission when the grader runs as root.
	nobody = 65534
	// killGrace is how long the checker has to clean up after SIGTERM.
	killGrace = 10 * time.Second
)

// Grade runs every step and returns a complete report. It fails only for
// bad input (launchplan.ErrBadSubmission) or a lab it cannot grade (ErrNeedsSystemd).
// It makes the process a child subreaper and, at the end, kills every
// child process it has: meant for a command that does nothing else.
func Grade(ctx context.Context, o Options) (*report.Report, launchplan.Outcome, error) {
	start := time.Now()
	if err := Supported(o.Lab); err != nil {
		return nil, launchplan.Graded, err
	}
	if st, err := os.Stat(o.Submission); err != nil || !st.IsDir() {
		return nil, launchplan.Graded, fmt.Errorf("%w: %s is not a directory", launchplan.ErrBadSubmission, o.Submission)
	}
	if o.Progress == nil {
		o.Progress = io.Discard
	}
	if o.LabRef == "" {
		o.LabRef = o.Lab.ID
	}
	if o.InstallDir == "" {
		o.InstallDir = "/usr/local/bin"
	}
	if o.Limits == (submission.Limits{}) {
		o.Limits = submission.DefaultLimits
	}
	g := &grader{o: o, lab: o.Lab, results: map[string]report.Check{}, timings: map[string]float64{}}
	// Orphans of the run (a daemon whose checker was killed, a build that
	// left a process behind) are adopted by us and killed at the end.
	subreaper := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == nil
	outcome := g.run(ctx)
	if subreaper {
		killOrphans(5 * time.Second)
	}
	r := &report.Report{Tool: "daemonlab", Mode: "grade", Lab: o.Lab.ID, Started: start, Errors: g.errors, Timings: g.timings}
	launchplan.Score(o.Lab, g.results, outcome != launchplan.NoInfra, r)
	r.Outcome = outcome.ReportOutcome()
	r.DurationMS = ms(time.Since(start))
	return r, outcome, nil
}

type grader struct {
	o       Options
	lab     *labs.Spec
	results map[string]report.Check
	errors  []string
	timings map[string]float64
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func (g *grader) progress(format string, a ...any) {
	fmt.Fprintf(g.o.Progress, "grade %s (in place): %s\n", g.lab.ID, fmt.Sprintf(format, a...))
}

// set records a check result (the first one for an id wins).
func (g *grader) set(id string, status report.Status, observed, hint string) {
	if _, done := g.results[id]; !done {
		g.results[id] = checker.Check(id).Result(status, observed, hint)
	}
}

// failAll marks every graded check not yet judged as an error.
func (g *grader) failAll(reason string) {
	for _, c := range g.lab.Checks {
		g.set(c.ID, report.Error, reason, "")
	}
}

// infra records a failure of this machine: not gradable.
func (g *grader) infra(reason string, err error) launchplan.Outcome {
	if err != nil {
		g.errors = append(g.errors, capture.Compact(err.Error()))
	}
	g.failAll("not gradable here: " + reason)
	return launchplan.NoInfra
}

func (g *grader) run(ctx context.Context) launchplan.Outcome {
	ctx, cancel := context.WithTimeout(ctx, g.lab.Deadlines.Total.Duration)
	defer cancel()

	sub, err := submission.Scan(g.o.Submission, g.o.Limits)
	if err != nil {
		g.failAll(capture.Compact(err.Error()))
		return launchplan.Ungradable
	}
	defer sub.Close()
	if sub.Empty() {
		g.failAll("the submission directory is empty")
		return launchplan.Ungradable
	}
	checkerBin, err := g.checker()
	if err != nil {
		return g.infra("no checker binary", err)
	}
	work, err := os.MkdirTemp("", "daemonlab-inplace-")
	if err != nil {
		return g.infra("no temporary directory", err)
	}
	defer os.RemoveAll(work)

	g.progress("building")
	program, outcome, ok := g.build(ctx, sub, work)
	if !ok {
		return outcome
	}
	if outcome, ok := g.install(program); !ok {
		return outcome
	}
	g.progress("judging")
	g.launch(ctx, checkerBin)
	if ctx.Err() != nil {
		g.errors = append(g.errors, fmt.Sprintf("the grading deadline of %s passed", g.lab.Deadlines.Total.Duration))
		g.failAll("not judged: the grading deadline passed")
	}
	return launchplan.Graded
}

// checker finds the daemonlab binary that judges.
func (g *grader) checker() (string, error) {
	if g.o.Checker != "" {
		return filepath.Abs(g.o.Checker)
	}
	self, err := os.Executable()
	if err != nil {
		return "", err
	}
	sibling := filepath.Join(filepath.Dir(self), "daemonlab")
	if st, err := os.Stat(sibling); err == nil && st.Mode().IsRegular() {
		return sibling, nil
	}
	return self, nil
}

// build copies the submission (read as internal/grade reads it: regular
// files only, within limits) into work/src and runs the lab's build there,
// as nobody when we are root, in its own process group, with the lab's
// build deadline. It returns the built program's path.
func (g *grader) build(ctx context.Context, sub *submission.Submission, work string) (string, launchplan.Outcome, bool) {
	t := time.Now()
	defer func() { g.timings["build"] = ms(time.Since(t)) }()
	goRoot := ""
	cmdline, goBuild := launchplan.BuildCommand(sub, g.lab.Binary, "")
	if cmdline == "" {
		g.failAll(launchplan.NothingToBuild(g.lab.Binary))
		return "", launchplan.Ungradable, false
	}
	if goBuild {
		gobin, err := exec.LookPath("go")
		if err != nil {
			g.failAll("not buildable here: this grading machine has no Go toolchain (go on PATH) to build a Go submission; hand in C (mydaemon.c or a Makefile) or Python (mydaemon.py), or ask your teacher")
			return "", launchplan.Ungradable, false
		}
		goRoot = filepath.Dir(filepath.Dir(gobin))
	}
	src := filepath.Join(work, "src")
	if err := extract(sub, src); err != nil {
		if errors.Is(err, submission.ErrRejected) {
			g.failAll(capture.Compact(err.Error()))
			return "", launchplan.Ungradable, false
		}
		return "", g.infra("copying the submission failed", err), false
	}
	asNobody := os.Geteuid() == 0
	if asNobody {
		if err := chownTree(work, nobody); err != nil {
			return "", g.infra("the build directory could not be handed to nobody", err), false
		}
	}
	bctx, cancel := context.WithTimeout(ctx, g.lab.Deadlines.Build.Duration)
	defer cancel()
	cmd := exec.CommandContext(bctx, "/bin/sh", "-c", cmdline)
	cmd.Dir = src
	env := append([]string{"PATH=" + buildPath(goRoot)}, launchplan.BuildEnv...)
	cmd.Env = append(env, "TMPDIR="+filepath.Join(work, "tmp"))
	if err := os.Mkdir(filepath.Join(work, "tmp"), 0o700); err == nil && asNobody {
		_ = os.Chown(filepath.Join(work, "tmp"), nobody, nobody)
	}
	out := capture.New(maxBuildOutput)
	cmd.Stdout, cmd.Stderr, cmd.Stdin = out, out, nil
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if asNobody {
		cmd.SysProcAttr.Credential = &syscall.Credential{Uid: nobody, Gid: nobody, Groups: []uint32{}}
	}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 2 * time.Second
	err := cmd.Run()
	if cmd.Process != nil {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) // what the build left running
	}
	switch {
	case bctx.Err() != nil && ctx.Err() == nil:
		g.failAll(fmt.Sprintf("the build did not finish within %s", g.lab.Deadlines.Build.Duration))
		return "", launchplan.Ungradable, false
	case ctx.Err() != nil:
		g.failAll("not judged: the grading deadline passed during the build")
		return "", launchplan.Ungradable, false
	case err != nil:
		var exit *exec.ExitError
		if !errors.As(err, &exit) {
			return "", g.infra("the build could not run", err), false
		}
		g.failAll(fmt.Sprintf("the build failed (exit %d): %s", exit.ExitCode(), strings.Join(capture.LastLines(out.String(), 3), " ⏎ ")))
		return "", launchplan.Ungradable, false
	}
	return filepath.Join(src, g.lab.Binary), launchplan.Graded, true
}

// buildPath is the build's PATH: the usual directories, and the Go
// toolchain's first when there is one.
func buildPath(goRoot string) string {
	p := "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
	if goRoot != "" {
		p = filepath.Join(goRoot, "bin") + ":" + p
	}
	return p
}

// install copies the built program (a regular file, not a link, within the
// size cap) to InstallDir and writes the lab's launch files.
func (g *grader) install(program string) (launchplan.Outcome, bool) {
	t := time.Now()
	defer func() { g.timings["install"] = ms(time.Since(t)) }()
	f, err := os.OpenFile(program, os.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, 0)
	if err != nil {
		g.failAll(fmt.Sprintf("the build produced no executable %s", g.lab.Binary))
		return launchplan.Ungradable, false
	}
	defer f.Close()
	st, err := f.Stat()
	switch {
	case err != nil || !st.Mode().IsRegular():
		g.failAll(fmt.Sprintf("the build's %s is not a regular file", g.lab.Binary))
		return launchplan.Ungradable, false
	case st.Size() > maxArtifact:
		g.failAll(fmt.Sprintf("the build's %s is larger than %d MB", g.lab.Binary, maxArtifact>>20))
		return launchplan.Ungradable, false
	}
	dst := filepath.Join(g.o.InstallDir, g.lab.Binary)
	if err := writeAtomic(dst, io.LimitReader(f, maxArtifact), 0o755); err != nil {
		return g.infra(fmt.Sprintf("the program could not be installed in %s (grade --in-place runs as root in a disposable machine)", g.o.InstallDir), err), false
	}
	for _, lf := range g.lab.Launch.Files {
		if err := os.MkdirAll(filepath.Dir(lf.Path), 0o755); err != nil {
			return g.infra("the lab's files could not be written", err), false
		}
		if err := writeAtomic(lf.Path, strings.NewReader(lf.Content), 0o644); err != nil {
			return g.infra("the lab's files could not be written", err), false
		}
	}
	return launchplan.Graded, true
}

// launch runs the checker's launch mode on the installed program and maps
// its JSON report to the lab's checks. On its deadline the checker gets
// SIGTERM (it kills and reaps its run and reports), then SIGKILL.
func (g *grader) launch(ctx context.Context, checkerBin string) {
	t := time.Now()
	defer func() { g.timings["launch"] = ms(time.Since(t)) }()
	program := filepath.Join(g.o.InstallDir, g.lab.Binary)
	args, err := launchplan.CheckerArgs(checkerBin, program, g.o.LabRef, g.lab)
	if err != nil {
		g.errors = append(g.errors, err.Error())
		g.failAll("not judged: " + err.Error())
		return
	}
	timeout := launchplan.CheckerTimeout(g.lab)
	lctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cmd := exec.CommandContext(lctx, args[0], args[1:]...)
	out, errOut := capture.New(maxCheckerOutput), capture.New(maxBuildOutput)
	cmd.Stdout, cmd.Stderr, cmd.Stdin = out, errOut, nil
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = killGrace
	runErr := cmd.Run()
	if lctx.Err() != nil {
		g.failAll(fmt.Sprintf("not judged: the checker did not finish within %s", timeout))
		return
	}
	var r report.Report
	if jerr := json.Unmarshal(out.Bytes(), &r); jerr != nil || out.Dropped() > 0 {
		msg := capture.Compact(errOut.String())
		if msg == "" && runErr != nil {
			msg = runErr.Error()
		}
		g.errors = append(g.errors, "checker: "+msg)
		g.failAll("not judged: the checker failed: " + msg)
		return
	}
	g.errors = append(g.errors, launchplan.Collect(g.lab, &r, g.results)...)
	g.failAll("not judged: the checker did not report it")
}

// extract writes the submission's tar stream into dir: directories and
// regular files only, names that stay inside dir.
func extract(sub *submission.Submission, dir string) error {
	if err := os.Mkdir(dir, 0o755); err != nil {
		return err
	}
	pr, pw := io.Pipe()
	go func() { pw.CloseWithError(sub.WriteTar(pw)) }()
	defer pr.Close()
	tr := tar.NewReader(pr)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		name := path.Clean(h.Name)
		if !filepath.IsLocal(name) {
			return fmt.Errorf("%w: %s", submission.ErrRejected, h.Name)
		}
		p := filepath.Join(dir, filepath.FromSlash(name))
		switch h.Typeflag {
		case tar.TypeDir:
			if err := os.MkdirAll(p, 0o755); err != nil {
				return err
			}
		case tar.TypeReg:
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				return err
			}
			f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL|syscall.O_NOFOLLOW, os.FileMode(h.Mode)&0o755)
			if err != nil {
				return err
			}
			_, err = io.Copy(f, tr)
			if cerr := f.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				return err
			}
		}
	}
}

// chownTree gives dir and everything under it to uid (and gid uid).
func chownTree(dir string, uid int) error {
	return filepath.WalkDir(dir, func(p string, _ os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(p, uid, uid)
	})
}

// writeAtomic writes r to path through a temporary file in its directory.
func writeAtomic(p string, r io.Reader, mode os.FileMode) error {
	f, err := os.CreateTemp(filepath.Dir(p), "."+filepath.Base(p)+".tmp-")
	if err != nil {
		return err
	}
	_, err = io.Copy(f, r)
	if err == nil {
		err = f.Chmod(mode)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), p)
	}
	if err != nil {
		os.Remove(f.Name())
	}
	return err
}

// killOrphans kills and reaps every child of this process — orphans of
// the run adopted by us as subreaper — until none is left or d passes.
func killOrphans(d time.Duration) {
	deadline := time.Now().Add(d)
	self := os.Getpid()
	for time.Now().Before(deadline) {
		kids := children(self)
		if len(kids) == 0 {
			return
		}
		for _, pid := range kids {
			_ = unix.Kill(pid, unix.SIGKILL)
		}
		for _, pid := range kids {
			var ws unix.WaitStatus
			_, _ = unix.Wait4(pid, &ws, 0, nil)
		}
	}
}

// children lists the pids whose parent is ppid, from /proc.
func children(ppid int) []int {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	var out []int
	for _, e := range entries {
		var pid int
		if _, err := fmt.Sscanf(e.Name(), "%d", &pid); err != nil || pid <= 0 {
			continue
		}
		data, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...: split after the last ')'.
		i := bytes.LastIndexByte(data, ')')
		if i < 0 {
			continue
		}
		var state string
		var parent int
		if _, err := fmt.Sscanf(string(data[i+1:]), " %s %d", &state, &parent); err == nil && parent == ppid {
			out = append(out, pid)
		}
	}
	return out
}

// Provisional fills r with the lab's complete result before anything ran:
// every check "not judged", not gradable. Written first, it stands when
// the grader itself is killed from outside.
func Provisional(lab *labs.Spec, r *report.Report) {
	res := map[string]report.Check{}
	for _, c := range lab.Checks {
		res[c.ID] = checker.Check(c.ID).Result(report.Error, "not judged: the grader stopped before it finished", "")
	}
	launchplan.Score(lab, res, false, r)
}
