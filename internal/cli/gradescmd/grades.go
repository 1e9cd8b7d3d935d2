// Package gradescmd implements `daemonlab grades`: work on the results of
// class grading without a container engine (merge shards).
package gradescmd

import (
	"context"
	"fmt"

	"github.com/daemonlab/daemonlab/internal/class"
	"github.com/daemonlab/daemonlab/internal/cmdutil"
	"github.com/daemonlab/daemonlab/internal/iostreams"
	"github.com/spf13/cobra"
)

// NewCmdGrades builds `daemonlab grades` and its subcommands.
func NewCmdGrades(ios *iostreams.IOStreams) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "grades",
		Short: "Work on class grading results (merge shards)",
	}
	cmd.AddCommand(newCmdMerge(ios))
	return cmd
}

// MergeOptions are the inputs of `daemonlab grades merge`.
type MergeOptions struct {
	IO   *iostreams.IOStreams
	Out  string
	Dirs []string
}

func newCmdMerge(ios *iostreams.IOStreams) *cobra.Command {
	o := &MergeOptions{IO: ios}
	cmd := &cobra.Command{
		Use:   "merge RESULTS... --out DIR",
		Short: "Merge the results of several shards or machines into one class",
		Long: `Merge the results directories of several class grading runs (the shards
of "daemonlab grade --class DIR --shard I/N", graded by N CI jobs or N
machines) into one: every student's files are copied into --out and
grades.csv is written for the whole class, with the class summary on
stdout. The runs must grade the same lab; a student graded in two runs
keeps the most recent result (with a warning).`,
		Example: `  daemonlab grades merge results-1 results-2 results-3 --out results`,
		Args:    cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Dirs = args
			if o.Out == "" {
				return cmdutil.BadInput("--out DIR is required")
			}
			return runMerge(cmd.Context(), o)
		},
	}
	cmd.Flags().StringVarP(&o.Out, "out", "o", "", "directory of the merged results")
	return cmd
}

func runMerge(_ context.Context, o *MergeOptions) error {
	rows, err := class.Merge(o.Out, o.Dirs, o.IO.ErrOut)
	if err != nil {
		return cmdutil.BadInput("%v", err)
	}
	class.WriteSummary(o.IO.Out, rows)
	fmt.Fprintf(o.IO.Out, "results: %s (grades.csv)\n", o.Out)
	return nil
}
