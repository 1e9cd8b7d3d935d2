package cmdutil

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/daemonlab/daemonlab/report"
	"github.com/spf13/pflag"

	"github.com/daemonlab/daemonlab/internal/iostreams"
	"github.com/spf13/cobra"
)

// Version is set at build time with -ldflags.
var Version = "dev"

// NewRoot is the bare root command both binaries share.
func NewRoot(ios *iostreams.IOStreams, use string) *cobra.Command {
	cmd := &cobra.Command{
		Use:           use,
		Short:         "Teach and grade Unix daemons against the truth of /proc",
		Version:       Version,
		SilenceErrors: true,
		SilenceUsage:  true,
	}
	cmd.SetOut(ios.Out)
	cmd.SetErr(ios.ErrOut)
	cmd.SetFlagErrorFunc(func(_ *cobra.Command, err error) error {
		return &ExitError{Code: ExitBadInput, Err: err}
	})
	AddColorFlag(cmd, ios)
	cmd.AddCommand(NewHelpTopicExitCodes())
	return cmd
}

// Execute runs a command tree and returns the process exit code, following
// the policy of this package (see exit.go). Errors are printed as one line
// on stderr; nothing panics through to the user.
func Execute(ctx context.Context, ios *iostreams.IOStreams, cmd *cobra.Command, args []string) (code int) {
	defer func() {
		if r := recover(); r != nil {
			fmt.Fprintf(ios.ErrOut, "daemonlab: internal error (a bug in daemonlab, please report it): %s\n", OneLine(fmt.Sprint(r)))
			code = ExitInternal
		}
	}()
	ran := markRuns(cmd)
	cmd.SetArgs(args)
	err := cmd.ExecuteContext(ctx)
	if err == nil {
		return ExitOK
	}
	var exit *ExitError
	if !errors.As(err, &exit) {
		if !*ran {
			// raised by cobra before any command ran: unknown command or
			// flag, bad arguments — a usage error.
			exit = &ExitError{Code: ExitBadInput, Err: err}
		} else {
			exit = &ExitError{Code: Code(err), Err: err}
		}
	}
	if exit.Err != nil {
		fmt.Fprintf(ios.ErrOut, "daemonlab: %s\n", OneLine(exit.Err.Error()))
	}
	return exit.Code
}

// markRuns wraps the RunE of every command in the tree so Execute knows
// whether an error came from a command's own code or from cobra.
func markRuns(root *cobra.Command) *bool {
	ran := new(bool)
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		if run := c.RunE; run != nil {
			c.RunE = func(c *cobra.Command, args []string) error {
				*ran = true
				return run(c, args)
			}
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
	return ran
}

// RunMain is a binary's whole main: Ctrl-C and SIGTERM cancel the run (so
// launch mode and the grader clean up on the way out) and the exit code is
// the command's.
func RunMain(run func(context.Context, *iostreams.IOStreams, []string) int) {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, iostreams.System(), os.Args[1:])
	stop()
	os.Exit(code)
}

// AddReportFlags adds --format and --output, shared by every command that
// writes a report.
func AddReportFlags(f *pflag.FlagSet, format, output *string) {
	f.StringVar(format, "format", "", "output format: "+strings.Join(report.Formats(), ", ")+" (default text)")
	f.StringVarP(output, "output", "o", "", "write the report to this file instead of stdout")
}
