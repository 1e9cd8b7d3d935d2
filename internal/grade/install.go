package grade

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/daemonlab/daemonlab/containers"
	"github.com/daemonlab/daemonlab/internal/capture"
	"github.com/daemonlab/daemonlab/internal/launchplan"
	"github.com/daemonlab/daemonlab/internal/submission"
	"github.com/daemonlab/daemonlab/internal/unitfile"
	"github.com/daemonlab/daemonlab/report"
)

const (
	// checkerPath is the grader's checker inside a lab container: a
	// read-only bind of the host's static binary, called by absolute path,
	// which the submission can neither replace nor shadow.
	checkerPath = "/opt/daemonlab/daemonlab"
	// goRoot is where a Go toolchain is bound read-only for a Go build.
	goRoot = "/usr/local/go"
	// buildDir holds the submission in the build container.
	buildDir = "/build"
	// buildUser runs the build: nobody, with no write access but /build and /tmp.
	buildUser = "65534:65534"
	// MaxArtifact caps the built program that comes out of the build.
	MaxArtifact = 64 << 20
	// maxUnit caps a unit file read from the submission.
	maxUnit = 256 << 10
)

// lintUnit judges the unit with our own parser first (file:line messages),
// from the bytes read safely from the submission.
func (g *grader) lintUnit(data []byte) {
	errs, warns := bySeverity(unitfile.Check(g.lab.Unit, data), nil, nil)
	if len(errs) > 0 {
		g.set("unit-syntax", report.Fail, errs[0], "fix the unit file; `systemd-analyze verify` shows most of these problems, but accepts what the lab rules out (a program or pid file without its full path).", append(errs, warns...)...)
	}
	g.unitWarnings = warns
}

// bySeverity appends each diagnostic, as text, to errs when it is an
// error and to warns otherwise, and returns both.
func bySeverity(ds []unitfile.Diagnostic, errs, warns []string) ([]string, []string) {
	for _, d := range ds {
		if d.Severity == unitfile.Error {
			errs = append(errs, d.String())
		} else {
			warns = append(warns, d.String())
		}
	}
	return errs, warns
}

// exec runs a command in the lab container with a deadline.
func (g *grader) exec(ctx context.Context, d time.Duration, cmd ...string) (containers.ExecResult, error) {
	return g.c.Exec(ctx, cmd, containers.WithTimeout(d))
}

// read runs one of the grader's readers, whose output is a verdict's
// evidence, in the lab container with a deadline: non-dumpable from its
// exec, so no process there can write into its output or its memory.
func (g *grader) read(ctx context.Context, d time.Duration, cmd ...string) (containers.ExecResult, error) {
	return g.c.Exec(ctx, cmd, containers.WithTimeout(d), containers.WithNonDumpable())
}

// buildCommand picks the build from the submission's files (see launchplan).
func buildCommand(sub *submission.Submission, binary string) (cmd string, goBuild bool) {
	return launchplan.BuildCommand(sub, binary, goRoot)
}

// buildEnv keeps a Go build offline and local.
var buildEnv = launchplan.BuildEnv

// hostGoRoot finds the grading host's Go toolchain, bound read-only into
// the build container for Go submissions.
func hostGoRoot(ctx context.Context) (string, error) {
	gobin, err := exec.LookPath("go")
	if err != nil {
		return "", errors.New("this grading host has no Go toolchain (go on PATH), needed to build a Go submission")
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, gobin, "env", "GOROOT").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOROOT: %w", err)
	}
	return strings.TrimSpace(string(out)), nil
}

// build builds the submission in a throwaway container of its own, as an
// unprivileged user, with no network and the build deadline, and returns
// the built program staged in a host temp file (size-capped). Nothing of
// the build reaches the lab container but that one regular file.
func (g *grader) build(ctx context.Context, sub *submission.Submission) (artifact string, outcome Outcome, ok bool) {
	t := time.Now()
	defer g.timing("build", t)
	cmd, goBuild := buildCommand(sub, g.lab.Binary)
	source := sub.WriteTar
	if g.lab.ProgramSource != "" {
		// The lab's own program (lab 00's ticker): nothing of the
		// submission is built.
		var err error
		if cmd, source, err = g.labProgram(); err != nil {
			g.errors = append(g.errors, err.Error())
			g.failAll("not gradable: the lab's program could not be read")
			return "", NoInfra, false
		}
		goBuild = false
	}
	if cmd == "" {
		g.failAll(launchplan.NothingToBuild(g.lab.Binary))
		return "", Ungradable, false
	}
	copts := g.o.Container
	copts.Image, copts.Plain = g.image, true
	copts.MemoryBytes, copts.PidsLimit = 1<<30, 256
	copts.Writable, copts.Cmd = nil, nil
	copts.MaxLifetime = g.lab.Deadlines.Build.Duration + 60*time.Second
	if goBuild {
		root, err := hostGoRoot(ctx)
		if err != nil {
			g.failAll("not gradable here: " + err.Error())
			return "", Ungradable, false
		}
		copts.ReadOnly = map[string]string{goRoot: root}
	}
	bc, err := containers.Start(ctx, copts)
	if err != nil {
		g.errors = append(g.errors, err.Error())
		g.failAll("not gradable: the build container did not start")
		return "", NoInfra, false
	}
	// Torn down in the background while the lab container is graded; the
	// run waits for it before it returns.
	defer g.background(func() { _ = bc.Terminate(context.WithoutCancel(ctx)) })

	pr, pw := io.Pipe()
	read := make(chan error, 1)
	go func() { err := source(pw); pw.CloseWithError(err); read <- err }()
	if err := bc.PutTar(ctx, buildDir, pr, buildUser); err != nil {
		pr.CloseWithError(err)
		// The reader's own refusal (a file that changed or became a FIFO
		// after the scan) says more than tar's complaint about the stream.
		if rerr := <-read; errors.Is(rerr, submission.ErrRejected) {
			g.failAll(capture.Compact(rerr.Error()))
			return "", Ungradable, false
		}
		g.errors = append(g.errors, err.Error())
		g.failAll("not gradable: copying the submission failed")
		return "", NoInfra, false
	}
	res, err := bc.Exec(ctx, []string{"/bin/sh", "-c", cmd}, containers.WithUser(buildUser), containers.WithWorkingDir(buildDir),
		containers.WithEnv(buildEnv...), containers.WithTimeout(g.lab.Deadlines.Build.Duration))
	switch {
	case errors.Is(err, containers.ErrExecTimeout):
		g.failAll(fmt.Sprintf("the build did not finish within %s", g.lab.Deadlines.Build.Duration))
		return "", Ungradable, false
	case err != nil:
		g.errors = append(g.errors, err.Error())
		g.failAll("not gradable: the build could not run")
		return "", NoInfra, false
	case res.ExitCode != 0:
		g.failAll(fmt.Sprintf("the build failed (exit %d): %s", res.ExitCode, strings.Join(capture.LastLines(res.Output, 3), " ⏎ ")))
		return "", Ungradable, false
	}

	f, err := os.CreateTemp("", "daemonlab-artifact-")
	if err != nil {
		g.errors = append(g.errors, err.Error())
		g.failAll("not gradable: no temporary file for the build result")
		return "", NoInfra, false
	}
	defer f.Close()
	if _, err := bc.GetFile(ctx, buildDir+"/"+g.lab.Binary, f, MaxArtifact); err != nil {
		os.Remove(f.Name())
		reason := fmt.Sprintf("the build produced no executable %s", g.lab.Binary)
		switch {
		case errors.Is(err, containers.ErrNotRegular):
			reason = fmt.Sprintf("the build's %s is not a regular file", g.lab.Binary)
		case errors.Is(err, containers.ErrTooLarge):
			reason = fmt.Sprintf("the build's %s is larger than %d MB", g.lab.Binary, MaxArtifact>>20)
		}
		g.failAll(reason)
		return "", Ungradable, false
	}
	return f.Name(), Graded, true
}

// pinUnit keeps the graded unit loaded: an active unit that orders itself
// after it holds a reference, so systemd does not garbage-collect an
// unreferenced unit (one that could not be enabled) the moment it stops,
// taking its exit status along. After= starts nothing.
const pinUnit = "daemonlab-pin.target"

const pinText = "[Unit]\nDescription=daemonlab grader: keeps %[1]s loaded\nAfter=%[1]s\n"

// install puts the built program, the unit and the lab's other hand-in
// files (the bytes read from the submission) in place in the lab container,
// in one stream and before anything of the submission runs there, and has
// systemd read them.
func (g *grader) install(ctx context.Context, artifact string, sub *submission.Submission, unit []byte) (Outcome, bool) {
	t := time.Now()
	defer g.timing("install", t)
	f, err := os.Open(artifact)
	if err != nil {
		g.errors = append(g.errors, err.Error())
		g.failAll("not gradable: the build result is gone")
		return NoInfra, false
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		g.errors = append(g.errors, err.Error())
		g.failAll("not gradable: the build result is gone")
		return NoInfra, false
	}
	files := []containers.File{{Path: "/usr/local/bin/" + g.lab.Binary, Mode: 0o755, Size: st.Size(), Content: f}}
	if g.lab.Unit != "" {
		pin := fmt.Sprintf(pinText, g.lab.Unit)
		files = append(files,
			containers.File{Path: "/etc/systemd/system/" + g.lab.Unit, Mode: 0o644, Size: int64(len(unit)), Content: bytes.NewReader(unit)},
			containers.File{Path: "/run/systemd/system/" + pinUnit, Mode: 0o644, Size: int64(len(pin)), Content: strings.NewReader(pin)})
	}
	for _, in := range g.lab.Install {
		if !sub.Has(in.File) {
			continue // the plan's checks say what is missing
		}
		data, err := sub.ReadFile(in.File, maxUnit)
		if err != nil {
			g.failAll(capture.Compact(err.Error()))
			return Ungradable, false
		}
		files = append(files, containers.File{Path: in.To, Mode: int64(in.Mode), Size: int64(len(data)), Content: bytes.NewReader(data)})
	}
	err = g.c.PutFiles(ctx, files...)
	if err == nil {
		_, err = g.sys(ctx, 30*time.Second, "daemon-reload")
	}
	if err == nil && g.lab.Unit != "" {
		_, err = g.sys(ctx, 30*time.Second, "start", pinUnit)
	}
	if err != nil {
		g.errors = append(g.errors, err.Error())
		g.failAll("not gradable: installing the program and the unit failed")
		return NoInfra, false
	}
	return Graded, true
}

// defaultChecker is the daemonlab binary installed next to this one
// (daemonlab-grade), else this executable itself.
func defaultChecker() string {
	self, err := os.Executable()
	if err != nil {
		return "daemonlab"
	}
	sibling := filepath.Join(filepath.Dir(self), "daemonlab")
	if st, err := os.Stat(sibling); err == nil && !st.IsDir() {
		return sibling
	}
	return self
}
