// Package gradecmd implements `daemonlab grade --lab ID DIR`: grade one
// submission of a container lab inside a fresh systemd container.
package gradecmd

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"

	"github.com/daemonlab/daemonlab/containers"
	"github.com/daemonlab/daemonlab/internal/cli/inplacecmd"
	"github.com/daemonlab/daemonlab/internal/cmdutil"
	"github.com/daemonlab/daemonlab/internal/grade"
	"github.com/daemonlab/daemonlab/internal/iostreams"
	"github.com/daemonlab/daemonlab/labs"
	"github.com/daemonlab/daemonlab/report"
	"github.com/spf13/cobra"
)

// Options are the inputs of `daemonlab grade`.
type Options struct {
	// The submission, the reports and the options of the report writers,
	// and the checker binary: what grade --in-place takes too.
	inplacecmd.GradeOptions
	Image string

	// InPlace grades a launch-mode lab on this machine (see inplacecmd).
	InPlace bool

	// Class grading (see class.go).
	Class  string
	Jobs   int
	Out    string
	Resume bool
	Shard  string
}

// NewCmdGrade builds the command; runF replaces the run function in tests.
func NewCmdGrade(ios *iostreams.IOStreams, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{GradeOptions: inplacecmd.GradeOptions{IO: ios}}
	cmd := &cobra.Command{
		Use:   "grade [--lab ID] [DIR]",
		Short: "Grade a submission inside a fresh systemd container",
		Long: `Grade one submission of a container lab: copy it into a fresh systemd
container, build it, install the binary and the unit, then judge the unit
file, enable, start, Type=, restart after kill -9, reload, the journal and
stop, and the running daemon itself with the checker.

The result is always complete: a step that could not run is an error worth
0 points. Exit codes: 0 full marks, 1 points lost, 2 bad input, 3 the
submission could not be graded (build failed or timed out), 4 no container
engine (not gradable).`,
		Example: `  daemonlab grade                  # in a folder written by daemonlab labs get
  daemonlab grade --lab 04 ./submission
  daemonlab grade --lab 05 ./submission --json result.json
  daemonlab grade --lab 04 . --format github          # in GitHub Actions
  daemonlab grade --lab 04 ./submission --report text --report junit:report.xml
  daemonlab grade --lab 04 --class ./submissions -j 2 --out results
  daemonlab grade --lab 04 --class ./submissions --shard 1/3 --out results-1`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var err error
			if args, err = opts.fromMarker(args); err != nil {
				return err
			}
			if opts.Lab == "" {
				return cmdutil.BadInput("--lab is required (see daemonlab labs)")
			}
			if err := opts.validate(args); err != nil {
				return err
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			if opts.InPlace {
				return runInPlace(cmd.Context(), opts)
			}
			if opts.Class != "" {
				return runClass(cmd.Context(), opts)
			}
			return run(cmd.Context(), opts)
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.Lab, "lab", "", "lab id (04, 05) or a lab spec file")
	opts.AddReportFlags(f)
	f.StringVar(&opts.Image, "image", "", "systemd image to use (default: build or reuse daemonlab's)")
	f.StringVar(&opts.Checker, "checker-binary", "", "static daemonlab binary to copy into the container (default: this one)")
	_ = f.MarkHidden("checker-binary")
	addClassFlags(f, opts)
	f.BoolVar(&opts.InPlace, inplacecmd.Flag, false, "grade a launch-mode lab (01–03) on this machine, a disposable sandbox such as a Gradescope container: no systemd, no Docker")
	cmd.Long += "\n\n" + inplacecmd.Help
	return cmd
}

// fromMarker fills in --lab and the submission from the marker file
// `daemonlab labs get` writes: `daemonlab grade` with no arguments in a
// lab folder grades that folder against its lab; `daemonlab grade DIR`
// finds the lab in DIR.
func (o *Options) fromMarker(args []string) ([]string, error) {
	if o.Lab != "" || o.Class != "" {
		return args, nil
	}
	dir := "."
	if len(args) == 1 {
		dir = args[0]
	}
	id, ok, err := labs.ReadMarker(dir)
	if err != nil {
		return args, cmdutil.BadInput("%v", err)
	}
	if !ok {
		if len(args) == 0 {
			return args, cmdutil.BadInput("no lab here: give --lab ID DIR, or run daemonlab labs get ID first")
		}
		return args, nil
	}
	o.Lab = id
	return []string{dir}, nil
}

// writerOptions are the report writers' options from the flags. Findings
// are located relative to the working directory (the repository root in
// CI), where annotations expect them.
func (o *Options) writerOptions() report.Options {
	prefix := o.Submission
	if filepath.IsAbs(prefix) {
		if wd, err := os.Getwd(); err == nil {
			if rel, err := filepath.Rel(wd, prefix); err == nil && !strings.HasPrefix(rel, "..") {
				prefix = rel
			}
		}
	}
	return report.Options{ShowHidden: o.ShowHidden, HiddenVisibility: o.HiddenVisibility, PathPrefix: filepath.ToSlash(prefix)}
}

// containerLab loads a lab that is graded in containers.
func containerLab(ref string) (*labs.Spec, error) {
	lab, err := labs.Load(ref)
	if err != nil {
		return nil, cmdutil.BadInput("%v", err)
	}
	if lab.Tier != labs.TierContainer {
		return nil, cmdutil.BadInput("lab %s is checked on the host: daemonlab check --lab %s ./PROGRAM", lab.ID, lab.ID)
	}
	return lab, nil
}

func run(ctx context.Context, o *Options) error {
	specs, err := o.ReportSpecs()
	if err != nil {
		return err
	}
	lab, err := containerLab(o.Lab)
	if err != nil {
		return err
	}
	r, outcome, err := grade.Grade(ctx, grade.Options{
		Lab: lab, Submission: o.Submission, Checker: o.Checker, Image: o.Image, Progress: o.IO.ErrOut,
	})
	if errors.Is(err, grade.ErrBadSubmission) {
		return cmdutil.BadInput("%v", err)
	}
	if err != nil {
		return err
	}
	defer func() { _ = containers.CleanupAll(context.WithoutCancel(ctx)) }()
	annotate(r, lab, outcome, graderVersion(o))
	if err := cmdutil.WriteReports(o.IO, r, specs, o.writerOptions()); err != nil {
		return err
	}
	return inplacecmd.ExitError(r, outcome, "not gradable", false)
}

// runInPlace is grade --in-place (internal/cli/inplace), which grades
// without the container stack.
func runInPlace(ctx context.Context, o *Options) error {
	if o.Class != "" || o.Image != "" {
		return cmdutil.BadInput("--in-place grades one submission on this machine: no --class, no --image")
	}
	return inplacecmd.Run(ctx, &inplacecmd.Options{GradeOptions: o.GradeOptions})
}
