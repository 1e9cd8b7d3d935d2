package gradecmd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/daemonlab/daemonlab/containers"
	"github.com/daemonlab/daemonlab/internal/class"
	"github.com/daemonlab/daemonlab/internal/cmdutil"
	"github.com/daemonlab/daemonlab/internal/grade"
	"github.com/daemonlab/daemonlab/labs"
	"github.com/daemonlab/daemonlab/report"
	"github.com/spf13/pflag"
	"golang.org/x/sys/unix"
)

// ExitInterrupted ends a class run cut short by Ctrl-C or SIGTERM (128 +
// SIGINT, as shells report it); the results directory holds what finished.
const ExitInterrupted = 130

func addClassFlags(f *pflag.FlagSet, o *Options) {
	f.StringVar(&o.Class, "class", "", "grade every submission under this directory (one subdirectory per student)")
	f.IntVarP(&o.Jobs, "jobs", "j", 1, "class: submissions graded at once")
	f.StringVar(&o.Out, "out", "", "class: results directory (<student>.json, grades.csv); default RESULTS next to --class")
	f.BoolVar(&o.Resume, "resume", false, "class: skip submissions already graded with the same lab and grader version")
	f.StringVar(&o.Shard, "shard", "", "class: grade only shard I of N (I/N), a stable partition by student name")
}

// validate checks the combination of arguments and flags.
func (o *Options) validate(args []string) error {
	if !slices.Contains(report.GradescopeVisibilities, o.HiddenVisibility) {
		return cmdutil.BadInput("--hidden-visibility %q: want hidden, after_due_date or after_published", o.HiddenVisibility)
	}
	if o.Class == "" {
		if len(args) != 1 {
			return cmdutil.BadInput("give the submission directory (or --class DIR)")
		}
		o.Submission = args[0]
		for _, flag := range []struct {
			set  bool
			name string
		}{{o.Out != "", "--out"}, {o.Resume, "--resume"}, {o.Shard != "", "--shard"}, {o.Jobs != 1, "--jobs"}} {
			if flag.set {
				return cmdutil.BadInput("%s applies to class grading (--class DIR)", flag.name)
			}
		}
		return nil
	}
	if len(args) > 0 {
		return cmdutil.BadInput("--class grades every subdirectory of %s; do not also give %s", o.Class, args[0])
	}
	if o.Jobs < 1 {
		return cmdutil.BadInput("--jobs must be at least 1")
	}
	if o.Output != "" || o.JSON != "" {
		return cmdutil.BadInput("--output and --json name one file; a class writes one result per student into --out")
	}
	if o.Shard != "" {
		if _, err := class.ParseShard(o.Shard); err != nil {
			return cmdutil.BadInput("%v", err)
		}
	}
	return nil
}

// graderVersion identifies the grader for results and --resume: the
// binary's version and the image it grades with.
func graderVersion(o *Options) string {
	image := o.Image
	if image == "" {
		image = containers.ImageTag()
	}
	return cmdutil.Version + "+" + image
}

// annotate completes a grade report with what the command knows: the
// outcome as a value, the lab's hidden checks and the grader version.
func annotate(r *report.Report, lab *labs.Spec, outcome grade.Outcome, version string) {
	r.Outcome = outcome.ReportOutcome()
	for _, c := range lab.Checks {
		if c.Hidden {
			r.MarkHidden(c.ID)
		}
	}
	r.Version = version
}

// classFormats are the per-student formats: --format and every --report
// format (their files are named after the student; a FILE is refused).
func classFormats(o *Options) ([]string, error) {
	var out []string
	if o.Format != "" {
		out = append(out, o.Format)
	}
	for _, r := range o.Reports {
		format, file, _ := strings.Cut(r, ":")
		if file != "" {
			return nil, cmdutil.BadInput("--report %s: with --class every student gets RESULTS/<student>.<ext>; give the format only", r)
		}
		out = append(out, format)
	}
	for _, f := range out {
		if _, err := report.NewWriter(f, report.Options{}); err != nil {
			return nil, cmdutil.BadInput("%v", err)
		}
	}
	return out, nil
}

func runClass(ctx context.Context, o *Options) error {
	formats, err := classFormats(o)
	if err != nil {
		return err
	}
	lab, err := containerLab(o.Lab)
	if err != nil {
		return err
	}
	if st, err := os.Stat(o.Class); err != nil || !st.IsDir() {
		return cmdutil.BadInput("--class %s is not a directory", o.Class)
	}
	shard := class.Shard{}
	if o.Shard != "" {
		shard, _ = class.ParseShard(o.Shard)
	}
	out := o.Out
	if out == "" {
		out = "RESULTS"
	}
	if err := containers.EngineAvailable(ctx); err != nil {
		return cmdutil.Infra(fmt.Errorf("not gradable: %w", err))
	}
	defer func() { _ = containers.CleanupAll(context.WithoutCancel(ctx)) }()
	image := o.Image
	if image == "" {
		tag, _, err := containers.EnsureImage(ctx, o.IO.ErrOut)
		if err != nil {
			return cmdutil.Infra(fmt.Errorf("the systemd image: %w", err))
		}
		image = tag
	}
	version := cmdutil.Version + "+" + image
	gradeOne := func(ctx context.Context, dir string) (*report.Report, error) {
		r, outcome, err := grade.Grade(ctx, grade.Options{Lab: lab, Submission: dir, Checker: o.Checker, Image: image, Progress: io.Discard})
		if err != nil {
			return nil, err
		}
		annotate(r, lab, outcome, version)
		return r, nil
	}
	wopts := o.writerOptions()
	wopts.PathPrefix = ""
	res, err := class.Run(ctx, class.Options{
		Lab: lab, Dir: o.Class, Out: out, Jobs: o.Jobs, Resume: o.Resume, Shard: shard,
		Version: version, Formats: formats, WriterOptions: wopts, Grade: gradeOne,
		Progress: o.IO.ErrOut, TTY: isTerminal(o.IO.ErrOut),
	})
	if res != nil {
		class.WriteSummary(o.IO.Out, res.Rows)
		fmt.Fprintf(o.IO.Out, "results: %s (grades.csv)\n", out)
	}
	switch {
	case errors.Is(err, class.ErrInterrupted):
		return &cmdutil.ExitError{Code: ExitInterrupted, Err: err}
	case errors.Is(err, class.ErrNameClash):
		return cmdutil.BadInput("%v", err)
	case err != nil:
		return err
	case len(res.NotGradable) > 0:
		return cmdutil.Infra(fmt.Errorf("%d submission(s) not gradable (infrastructure); run again with --resume", len(res.NotGradable)))
	}
	return nil
}

// isTerminal reports whether w is a terminal (for the live progress line).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	_, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	return err == nil
}
