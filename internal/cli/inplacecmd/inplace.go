// Package inplacecmd implements `daemonlab grade --in-place`: grade a
// launch-mode lab (01–03) on this very machine, taken to be a disposable
// sandbox (a Gradescope autograder container), without systemd or Docker.
// The daemonlab binary answers `grade --in-place` itself, so an autograder
// needs only that one static binary; every other `grade` is handed over to
// daemonlab-grade.
package inplacecmd

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"syscall"

	"github.com/daemonlab/daemonlab/internal/cli/companioncmd"
	"github.com/daemonlab/daemonlab/internal/cli/completioncmd"
	"github.com/daemonlab/daemonlab/internal/cmdutil"
	"github.com/daemonlab/daemonlab/internal/inplace"
	"github.com/daemonlab/daemonlab/internal/iostreams"
	"github.com/daemonlab/daemonlab/internal/launchplan"
	"github.com/daemonlab/daemonlab/labs"
	"github.com/daemonlab/daemonlab/report"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// Flag is the flag that asks for in-place grading.
const Flag = "in-place"

// Options are the inputs of `daemonlab grade --in-place`.
type Options struct {
	GradeOptions
	Version string
}

// GradeOptions are the inputs `daemonlab grade` and `grade --in-place`
// share: what to grade, the reports to write and the checker binary.
type GradeOptions struct {
	IO               *iostreams.IOStreams
	Lab              string
	Submission       string
	Format           string
	Output           string
	JSON             string
	Reports          []string
	ShowHidden       bool
	HiddenVisibility string
	Checker          string
}

// AddReportFlags registers the report flags of both commands: --format,
// --output, --json, --report, --show-hidden and --hidden-visibility.
func (o *GradeOptions) AddReportFlags(f *pflag.FlagSet) {
	cmdutil.AddReportFlags(f, &o.Format, &o.Output)
	f.StringVar(&o.JSON, "json", "", "also write the JSON result to this file (always complete)")
	cmdutil.AddReportList(f, &o.Reports)
	f.BoolVar(&o.ShowHidden, "show-hidden", false, "show the details of the lab's hidden checks (a teacher's view)")
	f.StringVar(&o.HiddenVisibility, "hidden-visibility", "hidden", "Gradescope visibility of hidden checks: hidden, after_due_date or after_published")
}

// ReportSpecs are the reports to write: --format and --output, each
// --report, then the --json file.
func (o *GradeOptions) ReportSpecs() ([]cmdutil.ReportSpec, error) {
	specs, err := cmdutil.ResolveReports(o.Format, o.Output, o.Reports)
	if err != nil {
		return nil, err
	}
	if o.JSON != "" {
		specs = append(specs, cmdutil.ReportSpec{Format: "json", Path: o.JSON})
	}
	return specs, nil
}

// ExitError is the error a grading run ends the command with, for the exit
// code: not gradable (notGradable, then the run's errors), ungradable,
// interrupted, points lost, or nil for full marks.
func ExitError(r *report.Report, outcome launchplan.Outcome, notGradable string, interrupted bool) error {
	switch {
	case outcome == launchplan.NoInfra:
		return cmdutil.Infra(fmt.Errorf("%s: %s", notGradable, strings.Join(r.Errors, "; ")))
	case outcome == launchplan.Ungradable:
		return cmdutil.Ungradable(errors.New("the submission could not be graded"))
	case interrupted:
		return cmdutil.ErrInterrupted
	case !r.Passed():
		return cmdutil.ErrChecksFailed
	}
	return nil
}

// Help is the paragraph the grade command's help gives --in-place.
const Help = `With --in-place, a launch-mode lab (01–03) is graded on this machine
itself, which must be a disposable sandbox (a Gradescope autograder
container): the submission is built here (as nobody when run as root),
installed in /usr/local/bin and run as root. Labs that need systemd are
refused. Used by the autograder of daemonlab autograder gradescope.
The submission runs as root beside the grader: a hostile one can forge
its result. Grade in containers (without --in-place) where a score must
be trusted.`

// Requested reports whether a raw command line asks for --in-place.
func Requested(args []string) bool {
	for _, a := range args {
		if a == "--" {
			return false
		}
		if a == "--"+Flag || a == "--"+Flag+"=true" {
			return true
		}
	}
	return false
}

// NewCmdGradeStub is daemonlab's `grade`: with --in-place it grades here;
// otherwise it hands the command line over to daemonlab-grade.
func NewCmdGradeStub(ios *iostreams.IOStreams, short string) *cobra.Command {
	return &cobra.Command{
		Use:                "grade",
		Short:              short,
		DisableFlagParsing: true,
		ValidArgsFunction:  completeGrade,
		RunE: func(c *cobra.Command, args []string) error {
			if Requested(args) {
				cmd := NewCmdGradeInPlace(ios)
				cmd.SetArgs(args)
				cmd.SetOut(ios.Out)
				cmd.SetErr(ios.ErrOut)
				return cmd.ExecuteContext(c.Context())
			}
			bin, err := companioncmd.Locate()
			if err != nil {
				return cmdutil.Infra(err)
			}
			err = syscall.Exec(bin, append([]string{bin, "grade"}, args...), os.Environ())
			return cmdutil.Infra(errors.Join(errors.New("running "+bin), err))
		},
	}
}

// NewCmdGradeInPlace is `grade --in-place` with its own flags (the grade
// command's report flags).
func NewCmdGradeInPlace(ios *iostreams.IOStreams) *cobra.Command {
	opts := &Options{GradeOptions: GradeOptions{IO: ios}}
	var inPlace bool
	cmd := &cobra.Command{
		Use:           "grade --in-place [--lab ID] [DIR]",
		Short:         "Grade a launch-mode lab on this machine (a disposable sandbox)",
		Long:          Help,
		Args:          cobra.MaximumNArgs(1),
		SilenceErrors: true,
		SilenceUsage:  true,
		RunE: func(cmd *cobra.Command, args []string) error {
			if !inPlace {
				return cmdutil.BadInput("grade on this machine only with --in-place")
			}
			dir := "."
			if len(args) == 1 {
				dir = args[0]
			}
			opts.Submission = dir
			return Run(cmd.Context(), opts)
		},
	}
	cmd.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return cmdutil.BadInput("%v", err) })
	f := cmd.Flags()
	f.BoolVar(&inPlace, Flag, false, "grade on this machine, a disposable sandbox (launch-mode labs only)")
	f.StringVar(&opts.Lab, "lab", "", "lab id (01, 02, 03) or a lab folder or spec file")
	opts.AddReportFlags(f)
	f.StringVar(&opts.Checker, "checker-binary", "", "daemonlab binary that judges (default: this one)")
	_ = f.MarkHidden("checker-binary")
	return cmd
}

// Run grades opts.Submission in place and writes the reports. Every report
// file is first written as a complete "not judged" result, replaced at the
// end: a grader killed from outside still leaves a complete result.
func Run(ctx context.Context, o *Options) error {
	if !slices.Contains(report.GradescopeVisibilities, o.HiddenVisibility) {
		return cmdutil.BadInput("--hidden-visibility %q: want hidden, after_due_date or after_published", o.HiddenVisibility)
	}
	if o.Lab == "" {
		id, ok, err := labs.ReadMarker(o.Submission)
		if err != nil {
			return cmdutil.BadInput("%v", err)
		}
		if !ok {
			return cmdutil.BadInput("--lab is required (see daemonlab labs)")
		}
		o.Lab = id
	}
	specs, err := o.ReportSpecs()
	if err != nil {
		return err
	}
	lab, err := labs.Load(o.Lab)
	if err != nil {
		return cmdutil.BadInput("%v", err)
	}
	if err := inplace.Supported(lab); err != nil {
		return cmdutil.BadInput("lab %s needs systemd, which --in-place cannot give: grade it in a container with daemonlab grade --lab %s DIR", lab.ID, lab.ID)
	}
	wopts := report.Options{ShowHidden: o.ShowHidden, HiddenVisibility: o.HiddenVisibility}
	var files []cmdutil.ReportSpec
	for _, s := range specs {
		if s.Path != "" {
			files = append(files, s)
		}
	}
	if len(files) > 0 {
		if err := cmdutil.WriteReports(o.IO, provisional(lab, o.Version), files, wopts); err != nil {
			return err
		}
	}
	labRef := o.Lab
	if !strings.ContainsAny(labRef, "/.") {
		labRef = lab.ID
	}
	r, outcome, err := inplace.Grade(ctx, inplace.Options{
		Lab: lab, LabRef: labRef, Submission: o.Submission, Checker: o.Checker, Progress: o.IO.ErrOut,
	})
	if errors.Is(err, launchplan.ErrBadSubmission) {
		return cmdutil.BadInput("%v", err)
	}
	if err != nil {
		return err
	}
	annotate(r, lab, o.Version)
	if err := cmdutil.WriteReports(o.IO, r, specs, wopts); err != nil {
		return err
	}
	return ExitError(r, outcome, "not gradable here", ctx.Err() != nil)
}

// annotate adds what the command knows: hidden checks, the version.
func annotate(r *report.Report, lab *labs.Spec, version string) {
	for _, c := range lab.Checks {
		if c.Hidden {
			r.MarkHidden(c.ID)
		}
	}
	if version == "" {
		version = cmdutil.Version + "+in-place"
	}
	r.Version = version
}

// provisional is the complete result written before grading starts.
func provisional(lab *labs.Spec, version string) *report.Report {
	r := &report.Report{Tool: "daemonlab", Mode: "grade", Lab: lab.ID, Outcome: report.OutcomeNotGradable,
		Errors: []string{"the grader stopped before it finished (killed or out of time)"}}
	inplace.Provisional(lab, r)
	annotate(r, lab, version)
	return r
}

// completeGrade completes the grade command's flag values through the
// stub (which parses no flags itself).
func completeGrade(_ *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
	if len(args) > 0 {
		switch args[len(args)-1] {
		case "--lab":
			return completioncmd.LabIDs(nil, nil, toComplete)
		case "--format":
			return report.Formats(), cobra.ShellCompDirectiveNoFileComp
		case "--report":
			return completioncmd.Reports(nil, nil, toComplete)
		case "--hidden-visibility":
			return report.GradescopeVisibilities[:3], cobra.ShellCompDirectiveNoFileComp
		}
	}
	if strings.HasPrefix(toComplete, "-") {
		return []string{"--lab", "--format", "--output", "--report", "--json", "--in-place", "--class", "--jobs", "--out", "--resume", "--shard", "--show-hidden", "--hidden-visibility", "--image"}, cobra.ShellCompDirectiveNoFileComp
	}
	return nil, cobra.ShellCompDirectiveFilterDirs
}
