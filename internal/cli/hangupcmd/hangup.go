// Package hangupcmd implements the hidden `daemonlab hangup` command: lab 00's
// run of a start script inside the lab container. It types a line into an
// interactive login bash on a fresh terminal, hangs the terminal up as at
// logout and prints, as JSON, what became of a program's processes and of
// its log (internal/compare.RunScript). The grader maps it to the checks.
package hangupcmd

import (
	"encoding/json"
	"time"

	"github.com/daemonlab/daemonlab/internal/cmdutil"
	"github.com/daemonlab/daemonlab/internal/compare"
	"github.com/daemonlab/daemonlab/internal/iostreams"
	"github.com/spf13/cobra"
)

// NewCmdHangup builds the command.
func NewCmdHangup(ios *iostreams.IOStreams) *cobra.Command {
	var o compare.ScriptOptions
	cmd := &cobra.Command{
		Use:    "hangup LINE --dir DIR --program FILE --log FILE",
		Short:  "Type LINE into a login bash on a fresh terminal, hang up, watch a program (grader internal)",
		Hidden: true,
		Args:   cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			o.Line = args[0]
			if o.Dir == "" || o.Program == "" || o.Log == "" {
				return cmdutil.BadInput("hangup needs --dir, --program and --log")
			}
			res, err := compare.RunScript(c.Context(), o)
			if err != nil {
				return cmdutil.BadInput("%v", err)
			}
			enc := json.NewEncoder(ios.Out)
			enc.SetIndent("", "  ")
			return enc.Encode(res)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.Dir, "dir", "", "the shell's working directory")
	f.StringVar(&o.Program, "program", "", "the program whose processes are watched")
	f.StringVar(&o.Log, "log", "", "the log file (in --dir) that must keep growing")
	f.DurationVar(&o.Return, "return", 3*time.Second, "how long LINE may take to give the prompt back")
	return cmd
}
