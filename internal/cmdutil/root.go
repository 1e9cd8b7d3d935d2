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
	return cmd
}

// Execute runs a command tree and returns the process exit code. Errors
// are printed as one line on stderr; nothing panics through to the user.
func Execute(ctx context.Context, ios *iostreams.IOStreams, cmd *cobra.Command, args []string) (code int) {
	defer func() {
		if r := recover(); r != nil {
			fmt.Fprintf(ios.ErrOut, "daemonlab: internal error: %v\n", r)
			code = ExitInfra
		}
	}()
	cmd.SetArgs(args)
	err := cmd.ExecuteContext(ctx)
	if err == nil {
		return ExitOK
	}
	var exit *ExitError
	if !errors.As(err, &exit) {
		// cobra's own errors (unknown command, bad args) are usage errors.
		exit = &ExitError{Code: ExitBadInput, Err: err}
	}
	if exit.Err != nil {
		fmt.Fprintf(ios.ErrOut, "daemonlab: %v\n", exit.Err)
	}
	return exit.Code
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
