// Package labscmd implements `daemonlab labs [ID]`: list the labs, or show
// one assignment with its graded checks; `labs get ID [DIR]` hands over a
// lab's starter files; `labs validate DIR` (run by daemonlab-grade) proves
// a lab.
package labscmd

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"unicode/utf8"

	"github.com/daemonlab/daemonlab/checker/catalogue"
	"github.com/daemonlab/daemonlab/internal/cli/companioncmd"
	"github.com/daemonlab/daemonlab/internal/cmdutil"
	"github.com/daemonlab/daemonlab/internal/iostreams"
	"github.com/daemonlab/daemonlab/labs"
	"github.com/spf13/cobra"
)

// AddLabsDirFlag adds --labs-dir to a root command: a teacher's labs
// directory, beside the bundled labs. It sets DAEMONLAB_LABS_DIR, so the
// commands handed over to daemonlab-grade see it too.
func AddLabsDirFlag(cmd *cobra.Command) {
	var dir string
	cmd.PersistentFlags().StringVar(&dir, "labs-dir", "", "a teacher's labs directory (one folder per lab), beside the bundled labs; also $"+labs.EnvLabsDir)
	cmd.PersistentPreRunE = func(*cobra.Command, []string) error {
		if dir == "" {
			return nil
		}
		abs, err := filepath.Abs(dir)
		if err != nil {
			return cmdutil.BadInput("--labs-dir: %v", err)
		}
		if st, err := os.Stat(abs); err != nil || !st.IsDir() {
			return cmdutil.BadInput("--labs-dir %s is not a directory", dir)
		}
		if old := os.Getenv(labs.EnvLabsDir); old != "" {
			abs = old + string(filepath.ListSeparator) + abs
		}
		return os.Setenv(labs.EnvLabsDir, abs)
	}
}

// Options are the inputs of `daemonlab labs`.
type Options struct {
	IO *iostreams.IOStreams
	ID string // the lab to show; empty lists them all
}

// NewCmdLabs builds the command (`labs validate` is handed over to
// daemonlab-grade); runF replaces the run function in tests.
func NewCmdLabs(ios *iostreams.IOStreams, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{IO: ios}
	cmd := &cobra.Command{
		Use:   "labs [ID]",
		Short: "List the labs, or show one assignment",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				opts.ID = args[0]
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return run(opts)
		},
	}
	cmd.AddCommand(newCmdGet(ios))
	cmd.AddCommand(companioncmd.NewCmdStubArgs("validate", "Prove a lab: references score full marks, broken variants lose what they declare", "labs", "validate"))
	return cmd
}

// run lists the labs or shows one.
func run(opts *Options) error {
	ios := opts.IO
	if opts.ID == "" {
		all, err := labs.List()
		if err != nil {
			return cmdutil.BadInput("%v", err)
		}
		width := 0
		for _, l := range all {
			width = max(width, utf8.RuneCountInString(l.Title))
		}
		for _, l := range all {
			origin := l.Origin
			if l.Overrides {
				origin += " (overrides the bundled lab)"
			}
			fmt.Fprintf(ios.Out, "%s  %-10s %-*s %3g points  %s\n", l.ID, l.Tier, width, l.Title, l.MaxScore(), origin)
		}
		return nil
	}
	l, err := labs.Load(opts.ID)
	if err != nil {
		return cmdutil.BadInput("%v", err)
	}
	fmt.Fprint(ios.Out, l.Assignment())
	fmt.Fprintf(ios.Out, "\nGraded checks (%g points):\n", l.MaxScore())
	for _, c := range l.Checks {
		if c.Hidden {
			continue
		}
		e, _ := catalogue.Lookup(c.ID)
		fmt.Fprintf(ios.Out, "  %-14s %4g  %s\n", c.ID, c.Points, e.Concept)
	}
	fmt.Fprintln(ios.Out, "  (and properties of the running daemon, judged by the checker)")
	if l.Origin != labs.OriginBundled && l.Origin != "" {
		fmt.Fprintf(ios.Out, "(a teacher's lab, from %s)\n", l.Origin)
	}
	return nil
}

func newCmdGet(ios *iostreams.IOStreams) *cobra.Command {
	return &cobra.Command{
		Use:   "get ID [DIR]",
		Short: "Write a lab's starter files and assignment into DIR (default ./lab-ID)",
		Example: `  daemonlab labs get 04
  daemonlab labs get 05 ~/daemons/lab5`,
		Args: cobra.RangeArgs(1, 2),
		RunE: func(_ *cobra.Command, args []string) error {
			l, err := labs.Load(args[0])
			if err != nil {
				return cmdutil.BadInput("%v", err)
			}
			dir := "lab-" + l.ID
			if len(args) == 2 {
				dir = args[1]
			}
			names, err := l.Get(dir)
			if errors.Is(err, labs.ErrExists) {
				return cmdutil.BadInput("%v", err)
			}
			if err != nil {
				return err
			}
			fmt.Fprintf(ios.Out, "lab %s (%s) in %s: %d files\n", l.ID, l.Title, dir, len(names))
			for _, n := range names {
				fmt.Fprintf(ios.Out, "  %s\n", n)
			}
			fmt.Fprintf(ios.Out, "\nNext:\n  cd %s\n", dir)
			fmt.Fprintf(ios.Out, "  %s   # quick self-check\n", l.QuickCheck())
			if l.Tier == labs.TierContainer {
				fmt.Fprintf(ios.Out, "  daemonlab grade   # the full grade, in a fresh systemd container\n")
			}
			return nil
		},
	}
}
