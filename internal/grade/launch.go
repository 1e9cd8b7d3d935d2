package grade

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/daemonlab/daemonlab/containers"
	"github.com/daemonlab/daemonlab/internal/capture"
	"github.com/daemonlab/daemonlab/internal/launchplan"
	"github.com/daemonlab/daemonlab/labs"
	"github.com/daemonlab/daemonlab/report"
)

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
	out := capture.New(maxCheckerOutput)
	res, err := g.c.Exec(ctx, args, containers.WithTimeout(g.launchTimeout()), containers.WithStdout(out), containers.WithNonDumpable())
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
		g.errors = append(g.errors, "checker: "+capture.Compact(res.Output))
		g.failAll("not judged: the checker failed in the container: " + capture.Compact(res.Output))
		return
	}
	g.errors = append(g.errors, launchplan.Collect(g.lab, &r, g.results)...)
	g.failAll("not judged: the checker did not report it")
}

// launchTimeout bounds one launch-mode run of the checker.
func (g *grader) launchTimeout() time.Duration { return launchplan.CheckerTimeout(g.lab) }

// launchArgs is the checker's command line for a lab (see launchplan).
func launchArgs(lab *labs.Spec) ([]string, error) {
	return launchplan.CheckerArgs(checkerPath, "/usr/local/bin/"+lab.Binary, lab.ID, lab)
}
