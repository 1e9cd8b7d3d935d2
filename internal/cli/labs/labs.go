// Package labs implements `daemonlab labs [ID]`: list the labs, or show
// one assignment with its graded checks.
package labs

import (
	"fmt"

	"github.com/daemonlab/daemonlab/checker/catalogue"
	"github.com/daemonlab/daemonlab/internal/cmdutil"
	"github.com/daemonlab/daemonlab/internal/iostreams"
	"github.com/daemonlab/daemonlab/labs"
	"github.com/spf13/cobra"
)

// NewCmdLabs builds the command.
func NewCmdLabs(ios *iostreams.IOStreams) *cobra.Command {
	return &cobra.Command{
		Use:   "labs [ID]",
		Short: "List the labs, or show one assignment",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			if len(args) == 0 {
				all, err := labs.List()
				if err != nil {
					return err
				}
				for _, l := range all {
					fmt.Fprintf(ios.Out, "%s  %-10s %-45s %g points\n", l.ID, l.Tier, l.Title, l.MaxScore())
				}
				return nil
			}
			l, err := labs.Load(args[0])
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
			return nil
		},
	}
}
