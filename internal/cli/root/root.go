// Package root assembles the daemonlab command tree and runs it.
package root

import (
	"context"
	"errors"
	"fmt"

	"github.com/daemonlab/daemonlab/internal/cli/check"
	"github.com/daemonlab/daemonlab/internal/cli/explain"
	"github.com/daemonlab/daemonlab/internal/cli/grade"
	"github.com/daemonlab/daemonlab/internal/cli/image"
	"github.com/daemonlab/daemonlab/internal/cli/labs"
	"github.com/daemonlab/daemonlab/internal/cmdutil"
	"github.com/daemonlab/daemonlab/internal/iostreams"
	"github.com/spf13/cobra"
)

// Version is set at build time with -ldflags.
var Version = "dev"

// NewCmdRoot builds the whole command tree on the given streams.
func NewCmdRoot(ios *iostreams.IOStreams) *cobra.Command {
	cmd := &cobra.Command{
		Use:           "daemonlab",
		Short:         "Teach and grade Unix daemons against the truth of /proc",
		Version:       Version,
		SilenceErrors: true,
		SilenceUsage:  true,
	}
	cmd.SetOut(ios.Out)
	cmd.SetErr(ios.ErrOut)
	cmd.SetFlagErrorFunc(func(_ *cobra.Command, err error) error {
		return &cmdutil.ExitError{Code: cmdutil.ExitBadInput, Err: err}
	})
	cmd.AddCommand(check.NewCmdCheck(ios, nil))
	cmd.AddCommand(explain.NewCmdExplain(ios))
	cmd.AddCommand(grade.NewCmdGrade(ios, nil))
	cmd.AddCommand(image.NewCmdImage(ios))
	cmd.AddCommand(labs.NewCmdLabs(ios))
	return cmd
}

// Main runs the command line and returns the process exit code. Errors are
// printed as one line on stderr; nothing panics through to the user.
func Main(ctx context.Context, ios *iostreams.IOStreams, args []string) (code int) {
	defer func() {
		if r := recover(); r != nil {
			fmt.Fprintf(ios.ErrOut, "daemonlab: internal error: %v\n", r)
			code = cmdutil.ExitInfra
		}
	}()
	cmd := NewCmdRoot(ios)
	cmd.SetArgs(args)
	err := cmd.ExecuteContext(ctx)
	if err == nil {
		return cmdutil.ExitOK
	}
	var exit *cmdutil.ExitError
	if !errors.As(err, &exit) {
		// cobra's own errors (unknown command, bad args) are usage errors.
		exit = &cmdutil.ExitError{Code: cmdutil.ExitBadInput, Err: err}
	}
	if exit.Err != nil {
		fmt.Fprintf(ios.ErrOut, "daemonlab: %v\n", exit.Err)
	}
	return exit.Code
}
