package testutil

import (
	"context"

	"github.com/daemonlab/daemonlab/internal/iostreams"
	"github.com/spf13/cobra"
)

// RunCmd builds a command with newCmd (a cli/cli-style NewCmdX taking IO
// streams and a runF hook), runs it on args with a runF that only keeps
// the options, and returns them (nil when runF was not reached), the test
// IO streams it was given and Execute's error: how flags become options,
// without running anything.
func RunCmd[O any](newCmd func(*iostreams.IOStreams, func(context.Context, *O) error) *cobra.Command, args ...string) (*O, *iostreams.IOStreams, error) {
	ios, _, _, _ := iostreams.Test()
	var got *O
	cmd := newCmd(ios, func(_ context.Context, o *O) error { got = o; return nil })
	cmd.SetArgs(args)
	cmd.SilenceErrors, cmd.SilenceUsage = true, true
	err := cmd.Execute()
	return got, ios, err
}
