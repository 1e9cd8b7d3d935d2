// Package labvalidatecmd implements `daemonlab labs validate DIR` (run by
// daemonlab-grade): grade a lab's reference and broken variants in fresh
// containers and print the matrix.
package labvalidatecmd

import (
	"context"
	"fmt"
	"strings"

	"github.com/daemonlab/daemonlab/containers"
	"github.com/daemonlab/daemonlab/internal/cmdutil"
	"github.com/daemonlab/daemonlab/internal/grade"
	"github.com/daemonlab/daemonlab/internal/iostreams"
	"github.com/daemonlab/daemonlab/internal/labvalidate"
	"github.com/daemonlab/daemonlab/labs"
	"github.com/daemonlab/daemonlab/report"
	"github.com/spf13/cobra"
)

// NewCmdValidate builds `labs validate DIR`.
func NewCmdValidate(ios *iostreams.IOStreams) *cobra.Command {
	var jobs int
	var image string
	cmd := &cobra.Command{
		Use:   "validate DIR",
		Short: "Prove a lab: its references score full marks, each broken variant loses exactly its declared checks",
		Long: `Grade the lab folder's reference/ (and references/NAME/) submissions, which
must score full marks, and each broken/NAME/ variant (its files laid over
reference/), which must lose exactly the checks its expect.yaml lists
(lose: [CHECK, ...]), each in a fresh container, -j at once. Prints the
matrix; exits 0 when every variant matches, 1 naming the variant and check
otherwise.`,
		Example: `  daemonlab labs validate labs/04-systemd-service -j 2
  daemonlab labs validate ~/course/labs/04`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if jobs < 1 {
				return cmdutil.BadInput("--jobs must be at least 1")
			}
			lab, err := labs.LoadDir(args[0])
			if err != nil {
				return cmdutil.BadInput("%v", err)
			}
			if lab.Tier != labs.TierContainer {
				return cmdutil.BadInput("lab %s is checked on the host; validate grades container labs", lab.ID)
			}
			ctx := cmd.Context()
			defer func() { _ = containers.CleanupAll(context.WithoutCancel(ctx)) }()
			rows, err := labvalidate.Validate(ctx, labvalidate.Options{
				Lab: lab, Dir: args[0], Jobs: jobs, Progress: ios.ErrOut,
				Grade: func(ctx context.Context, lab *labs.Spec, dir string) (*report.Report, grade.Outcome, error) {
					return grade.Grade(ctx, grade.Options{Lab: lab, Submission: dir, Image: image})
				},
			})
			if err != nil {
				return cmdutil.BadInput("%v", err)
			}
			labvalidate.Matrix(ios.Out, lab, rows)
			var bad []string
			for _, r := range rows {
				if r.OK() {
					continue
				}
				if r.Outcome == grade.NoInfra {
					return cmdutil.Infra(fmt.Errorf("%s: not gradable: %s", r.Name, r.Mismatch()))
				}
				bad = append(bad, r.Name+": "+r.Mismatch())
			}
			if len(bad) > 0 {
				return &cmdutil.ExitError{Code: cmdutil.ExitFailed, Err: fmt.Errorf("lab %s does not validate: %s", lab.ID, strings.Join(bad, "; "))}
			}
			fmt.Fprintf(ios.Out, "lab %s validates: %d variants as declared\n", lab.ID, len(rows))
			return nil
		},
	}
	cmd.Flags().IntVarP(&jobs, "jobs", "j", 2, "variants graded at once")
	cmd.Flags().StringVar(&image, "image", "", "systemd image to use (default: build or reuse daemonlab's)")
	return cmd
}
