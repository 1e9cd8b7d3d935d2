// Package explaincmd implements `daemonlab explain CHECK`: the concept behind
// a check, what daemonlab observes, how to fix it and where the course
// explains it.
package explaincmd

import (
	"fmt"
	"strings"

	"github.com/daemonlab/daemonlab/checker/catalogue"
	"github.com/daemonlab/daemonlab/internal/cmdutil"
	"github.com/daemonlab/daemonlab/internal/iostreams"
	"github.com/spf13/cobra"
)

// NewCmdExplain builds the command.
func NewCmdExplain(ios *iostreams.IOStreams) *cobra.Command {
	return &cobra.Command{
		Use:   "explain [CHECK]",
		Short: "Explain the concept behind a check (no argument: list them)",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return list(ios)
			}
			e, ok := catalogue.Lookup(args[0])
			if !ok {
				return cmdutil.BadInput("unknown check %q; known checks: %s", args[0], strings.Join(catalogue.IDs(), ", "))
			}
			w := ios.Out
			fmt.Fprintf(w, "%s — %s (%s check)\n\n", e.ID, e.Concept, e.Kind)
			fmt.Fprintf(w, "Why it matters\n  %s\n\n", e.Why)
			fmt.Fprintf(w, "What daemonlab observes\n  %s\n\n", e.Observed)
			fmt.Fprintf(w, "How to get it right\n  %s\n\n", e.Fix)
			fmt.Fprintf(w, "Course: %s\n", e.Course())
			return nil
		},
	}
}

func list(ios *iostreams.IOStreams) error {
	for _, e := range catalogue.All() {
		fmt.Fprintf(ios.Out, "%-18s %-8s %s\n", e.ID, e.Kind, e.Concept)
	}
	return nil
}
