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

// list prints one line per check; lab 00's prediction checks, one per
// way and field, are folded into one line.
func list(ios *iostreams.IOStreams) error {
	var ways, fields []string
	for _, w := range catalogue.BackgroundWays {
		ways = append(ways, w.ID)
	}
	for _, f := range catalogue.PredictionFields {
		fields = append(fields, f.Short)
	}
	folded := false
	for _, e := range catalogue.All() {
		if e.Kind != "prediction" {
			fmt.Fprintf(ios.Out, "%-18s %-10s %s\n", e.ID, e.Kind, e.Concept)
			continue
		}
		if !folded {
			folded = true
			fmt.Fprintf(ios.Out, "%-18s %-10s %d checks, one per WAY (%s) and FIELD (%s): lab 00's predictions; e.g. daemonlab explain %s\n",
				"predict-WAY-FIELD", e.Kind, len(ways)*len(fields), strings.Join(ways, ", "), strings.Join(fields, ", "), e.ID)
		}
	}
	return nil
}
