package grade

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/daemonlab/daemonlab/checker/catalogue"
	"github.com/daemonlab/daemonlab/containers"
	"github.com/daemonlab/daemonlab/labs"
	"github.com/daemonlab/daemonlab/report"
)

// launchProbes are the checks of the launch plan that the checker's launch
// mode judges by behaviour (passed to it with --probe).
var launchProbes = []string{"ready", "single-instance", "sighup", "workers", "sigterm", "stale-pidfile"}

// maxCheckerOutput caps the checker's JSON report read back from the lab
// container.
const maxCheckerOutput = 1 << 20

// launch grades a hand-made daemon (labs 01–03): the read-only checker
// runs launch mode inside the lab container — a fresh terminal, planted
// conditions, the checker as subreaper — and its JSON report is mapped to
// the lab's checks. The checker is non-dumpable, so the daemon can neither
// ptrace it nor write into its output; nothing the submission writes is
// read for a verdict but the evidence the lab asks it to write (the state
// file after a reload), which the checker compares with the grader's text.
func (g *grader) launch(ctx context.Context) {
	t := time.Now()
	defer g.timing("launch", t)
	spec := g.lab.Launch
	var files []containers.File
	for _, f := range spec.Files {
		files = append(files, containers.File{Path: f.Path, Mode: 0o644, Size: int64(len(f.Content)), Content: strings.NewReader(f.Content)})
	}
	if len(files) > 0 {
		if err := g.c.PutFiles(ctx, files...); err != nil {
			g.errors = append(g.errors, err.Error())
			g.failAll("not judged: the lab's files could not be written")
			return
		}
	}
	args, err := launchArgs(g.lab)
	if err != nil {
		g.errors = append(g.errors, err.Error())
		g.failAll("not judged: " + err.Error())
		return
	}
	out := containers.NewCapped(maxCheckerOutput)
	res, err := g.c.Exec(ctx, args, containers.WithTimeout(g.launchTimeout()), containers.WithStdout(out))
	switch {
	case errors.Is(err, containers.ErrExecTimeout):
		g.failAll(fmt.Sprintf("not judged: the checker did not finish within %s", g.launchTimeout()))
		return
	case err != nil:
		g.errors = append(g.errors, err.Error())
		g.failAll("not judged: the checker could not run in the container")
		return
	}
	var r report.Report
	if jerr := json.Unmarshal(out.Bytes(), &r); jerr != nil || out.Dropped() > 0 {
		g.errors = append(g.errors, "checker: "+compact(res.Output))
		g.failAll("not judged: the checker failed in the container: " + compact(res.Output))
		return
	}
	for _, e := range r.Errors {
		g.errors = append(g.errors, "checker: "+compact(e))
	}
	for _, cs := range g.lab.Checks {
		if c, ok := r.Find(cs.ID); ok {
			g.results[cs.ID] = c
		}
	}
	g.failAll("not judged: the checker did not report it")
}

// launchTimeout bounds one launch-mode run of the checker: every probe has
// its own deadline inside it; this is the outer one.
func (g *grader) launchTimeout() time.Duration {
	d := g.lab.Deadlines.Start.Duration + 2*g.lab.Deadlines.Stop.Duration + 30*time.Second
	return min(d, g.lab.Deadlines.Total.Duration)
}

// launchArgs is the checker's command line for a lab: launch mode of the
// installed program with the lab's expectations, only the probes the lab
// grades, and the lab's arguments.
func launchArgs(lab *labs.Spec) ([]string, error) {
	args := []string{checkerPath, "check", "/usr/local/bin/" + lab.Binary, "--lab", lab.ID, "--format", "json",
		"--launch-timeout", lab.Deadlines.Start.Duration.String(), "--term-timeout", lab.Deadlines.Stop.Duration.String()}
	var probes []string
	for _, id := range launchProbes {
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
