// Package comparecmd implements `daemonlab compare PROGRAM [-- ARGS]`.
package comparecmd

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/daemonlab/daemonlab/internal/cmdutil"
	"github.com/daemonlab/daemonlab/internal/compare"
	"github.com/daemonlab/daemonlab/internal/iostreams"
	"github.com/spf13/cobra"
)

// NewCmdCompare builds the command.
func NewCmdCompare(ios *iostreams.IOStreams, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{IO: ios}
	cmd := &cobra.Command{
		Use:   "compare PROGRAM [-- ARGS...]",
		Short: "Start a program each way of \"running it in the background\" and compare",
		Long: `Start the same program each of the usual ways — cmd &, nohup cmd &,
cmd & disown, setsid -f, tmux new -d, screen -dmS, systemd-run — from a
fresh pseudo-terminal running an interactive bash, observe it in /proc,
hang the terminal up as at logout, and print one table: parent, session
and process group, controlling terminal, stdio targets, SIGHUP disposition,
whether it survived the hang-up, and where its output went. A way whose
tool is missing is a row that says so. Nothing of the run is left.`,
		Example: `  daemonlab compare /bin/sleep -- 600
  daemonlab compare ./ticker --format json`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			opts.Program, opts.Args = args[0], args[1:]
			if dash := c.ArgsLenAtDash(); dash == 0 {
				return cmdutil.BadInput("compare needs a PROGRAM before --")
			} else if dash > 1 {
				return cmdutil.BadInput("compare takes one PROGRAM; its arguments go after --")
			}
			if opts.Format != "text" && opts.Format != "json" {
				return cmdutil.BadInput("--format is text or json, not %q", opts.Format)
			}
			if runF != nil {
				return runF(c.Context(), opts)
			}
			return run(c.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.Format, "format", "text", "output format: text or json")
	cmd.Flags().IntVarP(&opts.Jobs, "jobs", "j", 1, "how many ways to try at once, each on its own terminal")
	cmd.Flags().StringSliceVar(&opts.Ways, "way", nil, "only these ways: amp, nohup, disown, setsid, tmux, screen, systemd-run")
	return cmd
}

// Options are the inputs of one `daemonlab compare` run.
type Options struct {
	IO      *iostreams.IOStreams
	Program string
	Args    []string
	Format  string   // text or json
	Ways    []string // only these ways; nil means all
	Jobs    int      // how many ways at once
}

func run(ctx context.Context, o *Options) error {
	rows, err := compare.Run(ctx, o.Program, o.Args, compare.Options{Ways: o.Ways, Jobs: o.Jobs})
	if err != nil {
		return cmdutil.BadInput("%v", err)
	}
	if o.Format == "json" {
		enc := json.NewEncoder(o.IO.Out)
		enc.SetIndent("", "  ")
		return enc.Encode(map[string]any{"program": o.Program, "args": o.Args, "ways": rows})
	}
	return writeTable(o.IO, rows)
}

func writeTable(ios *iostreams.IOStreams, rows []compare.Row) error {
	tw := tabwriter.NewWriter(ios.Out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "WAY\tPPID (PARENT)\tSID/PGID\tOWN SESSION\tCTTY\tSTDIO 0 1 2\tSIGHUP\tSURVIVES HANG-UP\tOUTPUT AFTER")
	yn := func(b bool) string {
		if b {
			return "yes"
		}
		return "no"
	}
	for _, r := range rows {
		switch {
		case r.Missing != "":
			fmt.Fprintf(tw, "%s\t(not tried: %s)\t\t\t\t\t\t\t\n", r.Way, r.Missing)
		case r.Error != "":
			fmt.Fprintf(tw, "%s\t(failed: %s)\t\t\t\t\t\t\t\n", r.Way, r.Error)
		default:
			parent := fmt.Sprintf("%d (%s)", r.PPID, r.Parent)
			if r.ParentIsInit {
				parent += " init"
			}
			fmt.Fprintf(tw, "%s\t%s\t%d/%d\t%s\t%s\t%s\t%s\t%s\t%s\n", r.Way, parent, r.SID, r.PGID, yn(r.OwnSession), yn(r.HasCTTY),
				strings.Join(r.Stdio[:], " "), r.SIGHUP, yn(r.SurvivesHangup), r.Output)
		}
	}
	return tw.Flush()
}
