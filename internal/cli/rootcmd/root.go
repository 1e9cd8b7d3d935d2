// Package rootcmd assembles the daemonlab command tree and runs it.
package rootcmd

import (
	"context"

	"github.com/daemonlab/daemonlab/internal/cli/autogradercmd"
	"github.com/daemonlab/daemonlab/internal/cli/checkcmd"
	"github.com/daemonlab/daemonlab/internal/cli/companioncmd"
	"github.com/daemonlab/daemonlab/internal/cli/comparecmd"
	"github.com/daemonlab/daemonlab/internal/cli/completioncmd"
	"github.com/daemonlab/daemonlab/internal/cli/explaincmd"
	"github.com/daemonlab/daemonlab/internal/cli/gradescmd"
	"github.com/daemonlab/daemonlab/internal/cli/hangupcmd"
	"github.com/daemonlab/daemonlab/internal/cli/inplacecmd"
	"github.com/daemonlab/daemonlab/internal/cli/labscmd"
	"github.com/daemonlab/daemonlab/internal/cli/sysdcmd"
	"github.com/daemonlab/daemonlab/internal/cli/versioncmd"
	"github.com/daemonlab/daemonlab/internal/cmdutil"
	"github.com/daemonlab/daemonlab/internal/iostreams"
	"github.com/spf13/cobra"
)

// NewCmdRoot builds the daemonlab command tree. The container commands are
// stubs that hand over to daemonlab-grade.
func NewCmdRoot(ios *iostreams.IOStreams) *cobra.Command {
	cmd := cmdutil.NewRoot(ios, "daemonlab")
	labscmd.AddLabsDirFlag(cmd)
	cmd.AddCommand(checkcmd.NewCmdCheck(ios, nil))
	cmd.AddCommand(explaincmd.NewCmdExplain(ios))
	cmd.AddCommand(comparecmd.NewCmdCompare(ios, nil))
	cmd.AddCommand(labscmd.NewCmdLabs(ios, nil))
	cmd.AddCommand(gradescmd.NewCmdGrades(ios))
	cmd.AddCommand(sysdcmd.NewCmdSystemd(ios, nil))
	cmd.AddCommand(hangupcmd.NewCmdHangup(ios))
	cmd.AddCommand(inplacecmd.NewCmdGradeStub(ios, "Grade a submission inside a fresh systemd container (or --in-place)"))
	cmd.AddCommand(companioncmd.NewCmdStub("image", "Manage the systemd base image"))
	cmd.AddCommand(companioncmd.NewCmdStub("sandbox", "Practise in a fresh systemd container: a root shell, the lab's starter in /lab"))
	cmd.AddCommand(autogradercmd.NewCmdAutograder(ios))
	cmd.AddCommand(versioncmd.NewCmdVersion(ios))
	completioncmd.Register(cmd)
	return cmd
}

// Main runs the daemonlab command line and returns the exit code.
func Main(ctx context.Context, ios *iostreams.IOStreams, args []string) int {
	return cmdutil.Execute(ctx, ios, NewCmdRoot(ios), args)
}
