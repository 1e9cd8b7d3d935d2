package grade

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/daemonlab/daemonlab/containers"
	"github.com/daemonlab/daemonlab/internal/unitfile"
	"github.com/daemonlab/daemonlab/report"
)

const (
	submissionDir = "/submission"
	checkerPath   = "/usr/local/bin/daemonlab"
)

// lintUnit judges the unit with our own parser first (file:line messages).
func (g *grader) lintUnit(path string) {
	diags, err := unitfile.CheckFile(path)
	if err != nil {
		g.set("unit-syntax", report.Error, "could not read the unit: "+err.Error(), "")
		return
	}
	var errs, warns []string
	for _, d := range diags {
		d.Path = g.lab.Unit
		if d.Severity == unitfile.Error {
			errs = append(errs, d.String())
		} else {
			warns = append(warns, d.String())
		}
	}
	if len(errs) > 0 {
		g.set("unit-syntax", report.Fail, errs[0], "fix the unit file; `systemd-analyze verify` shows the same problems.", append(errs, warns...)...)
	}
	g.unitWarnings = warns
}

// exec runs a command in the container with a deadline.
func (g *grader) exec(ctx context.Context, d time.Duration, cmd ...string) (containers.ExecResult, error) {
	return g.c.Exec(ctx, cmd, containers.WithTimeout(d))
}

// install copies the submission and the checker in, builds the program
// and installs binary and unit. ok is false when grading cannot go on.
func (g *grader) install(ctx context.Context) (Outcome, bool) {
	t := time.Now()
	defer g.timing("install", t)
	src := g.o.Submission
	if needsHostGoBuild(src) {
		dir, err := g.hostGoBuild(ctx)
		if err != nil {
			g.failAll("the Go build failed: " + oneLine(err.Error()))
			return Ungradable, false
		}
		defer os.RemoveAll(dir)
		src = dir
	}
	if err := g.c.CopyDirTo(ctx, src, submissionDir, 0o755); err != nil {
		g.errors = append(g.errors, err.Error())
		g.failAll("not gradable: copying the submission failed")
		return NoInfra, false
	}
	checker := g.o.Checker
	if checker == "" {
		checker = defaultChecker()
	}
	if err := g.c.CopyFileTo(ctx, checker, checkerPath, 0o755); err != nil {
		g.errors = append(g.errors, err.Error())
		g.failAll("not gradable: copying the checker failed")
		return NoInfra, false
	}
	build := buildCommand(src, g.lab.Binary)
	if build == "" {
		g.failAll(fmt.Sprintf("nothing to build: no Makefile, %s.c, %s.py or Go module", g.lab.Binary, g.lab.Binary))
		return Ungradable, false
	}
	res, err := g.exec(ctx, g.lab.Deadlines.Build.Duration, "sh", "-c", "cd "+submissionDir+" && "+build)
	switch {
	case errors.Is(err, containers.ErrExecTimeout):
		g.failAll(fmt.Sprintf("the build did not finish within %s", g.lab.Deadlines.Build.Duration))
		return Ungradable, false
	case err != nil:
		g.errors = append(g.errors, err.Error())
		g.failAll("not gradable: the build could not run")
		return NoInfra, false
	case res.ExitCode != 0:
		g.failAll(fmt.Sprintf("the build failed (exit %d): %s", res.ExitCode, strings.Join(lastLines(res.Output, 3), " ⏎ ")))
		return Ungradable, false
	}
	script := fmt.Sprintf("test -x %[1]s/%[2]s || { echo 'the build produced no executable %[2]s'; exit 3; }; "+
		"install -m 0755 %[1]s/%[2]s /usr/local/bin/%[2]s && install -m 0644 %[1]s/%[3]s /etc/systemd/system/%[3]s && systemctl daemon-reload",
		submissionDir, g.lab.Binary, g.lab.Unit)
	res, err = g.exec(ctx, 30*time.Second, "sh", "-c", script)
	if err != nil || res.ExitCode != 0 {
		reason := "installing failed"
		if err == nil {
			reason += ": " + oneLine(res.Output)
		}
		g.failAll(reason)
		return Ungradable, false
	}
	return Graded, true
}

// buildCommand picks the build: the submission's Makefile, else a default
// per language.
func buildCommand(dir, binary string) string {
	has := func(name string) bool { _, err := os.Stat(filepath.Join(dir, name)); return err == nil }
	switch {
	case has("Makefile") || has("makefile"):
		return "make " + binary
	case has(binary + ".c"):
		return fmt.Sprintf("cc -O2 -Wall -o %s %s.c", binary, binary)
	case has(binary + ".py"):
		return fmt.Sprintf("head -1 %[1]s.py | grep -q '^#!' || { echo '%[1]s.py has no #! line'; exit 1; }; install -m 0755 %[1]s.py %[1]s", binary)
	case has(binary):
		return "true" // prebuilt (a Go program built on the host)
	}
	return ""
}

func needsHostGoBuild(dir string) bool {
	_, err := os.Stat(filepath.Join(dir, "go.mod"))
	_, mk := os.Stat(filepath.Join(dir, "Makefile"))
	return err == nil && mk != nil
}

// hostGoBuild builds a Go submission on the host (the image has no Go
// toolchain) into a copy of the submission.
func (g *grader) hostGoBuild(ctx context.Context) (string, error) {
	dir, err := os.MkdirTemp("", "daemonlab-gobuild-")
	if err != nil {
		return "", err
	}
	if err := os.CopyFS(dir, os.DirFS(g.o.Submission)); err != nil {
		os.RemoveAll(dir)
		return "", err
	}
	bctx, cancel := context.WithTimeout(ctx, g.lab.Deadlines.Build.Duration)
	defer cancel()
	cmd := exec.CommandContext(bctx, "go", "build", "-o", g.lab.Binary, ".")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOFLAGS=-mod=mod")
	if out, err := cmd.CombinedOutput(); err != nil {
		os.RemoveAll(dir)
		return "", fmt.Errorf("%v: %s", err, strings.Join(lastLines(string(out), 3), " ⏎ "))
	}
	return dir, nil
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
