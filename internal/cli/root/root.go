// Package root assembles the daemonlab command tree and runs it.
package root

import (
	"context"
	"github.com/daemonlab/daemonlab/internal/cli/compare"

	"github.com/daemonlab/daemonlab/internal/cli/autograder"
	"github.com/daemonlab/daemonlab/internal/cli/check"
	"github.com/daemonlab/daemonlab/internal/cli/companion"
	"github.com/daemonlab/daemonlab/internal/cli/completion"
	"github.com/daemonlab/daemonlab/internal/cli/explain"
	"github.com/daemonlab/daemonlab/internal/cli/grades"
	"github.com/daemonlab/daemonlab/internal/cli/hangup"
	"github.com/daemonlab/daemonlab/internal/cli/inplace"
	"github.com/daemonlab/daemonlab/internal/cli/labs"
	"github.com/daemonlab/daemonlab/internal/cli/sysd"
	"github.com/daemonlab/daemonlab/internal/cli/version"
	"github.com/daemonlab/daemonlab/internal/cmdutil"
	"github.com/daemonlab/daemonlab/internal/iostreams"
	"github.com/spf13/cobra"
)

// NewCmdRoot builds the daemonlab command tree. The container commands are
// stubs that hand over to daemonlab-grade.
func NewCmdRoot(ios *iostreams.IOStreams) *cobra.Command {
	cmd := cmdutil.NewRoot(ios, "daemonlab")
	labs.AddLabsDirFlag(cmd)
	cmd.AddCommand(check.NewCmdCheck(ios, nil))
	cmd.AddCommand(explain.NewCmdExplain(ios))
	cmd.AddCommand(compare.NewCmdCompare(ios))
	cmd.AddCommand(labs.NewCmdLabs(ios))
	cmd.AddCommand(grades.NewCmdGrades(ios))
	cmd.AddCommand(sysd.NewCmdSystemd(ios, nil))
	cmd.AddCommand(hangup.NewCmdHangup(ios))
	cmd.AddCommand(inplace.NewCmdGradeStub(ios, "Grade a submission inside a fresh systemd container (or --in-place)"))
	cmd.AddCommand(companion.NewCmdStub("image", "Manage the systemd base image"))
	cmd.AddCommand(companion.NewCmdStub("sandbox", "Practise in a fresh systemd container: a root shell, the lab's starter in /lab"))
	cmd.AddCommand(autograder.NewCmdAutograder(ios))
	cmd.AddCommand(version.NewCmdVersion(ios))
	completion.Register(cmd)
	return cmd
}

// Main runs the daemonlab command line and returns the exit code.
func Main(ctx context.Context, ios *iostreams.IOStreams, args []string) int {
	return cmdutil.Execute(ctx, ios, NewCmdRoot(ios), args)
}
