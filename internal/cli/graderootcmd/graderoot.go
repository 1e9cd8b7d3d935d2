// Package graderootcmd assembles the daemonlab-grade command tree: the
// commands that need a container engine.
package graderootcmd

import (
	"context"

	"github.com/daemonlab/daemonlab/internal/cli/completioncmd"
	"github.com/daemonlab/daemonlab/internal/cli/gradecmd"
	"github.com/daemonlab/daemonlab/internal/cli/imagecmd"
	"github.com/daemonlab/daemonlab/internal/cli/labscmd"
	"github.com/daemonlab/daemonlab/internal/cli/labvalidatecmd"
	"github.com/daemonlab/daemonlab/internal/cli/sandboxcmd"
	"github.com/daemonlab/daemonlab/internal/cli/versioncmd"
	"github.com/daemonlab/daemonlab/internal/cmdutil"
	"github.com/daemonlab/daemonlab/internal/iostreams"
	"github.com/spf13/cobra"
)

// NewCmdRoot builds the daemonlab-grade command tree.
func NewCmdRoot(ios *iostreams.IOStreams) *cobra.Command {
	cmd := cmdutil.NewRoot(ios, "daemonlab-grade")
	labscmd.AddLabsDirFlag(cmd)
	cmd.AddCommand(gradecmd.NewCmdGrade(ios, nil))
	labsCmd := &cobra.Command{Use: "labs", Short: "Prove labs (validate)"}
	labsCmd.AddCommand(labvalidatecmd.NewCmdValidate(ios))
	cmd.AddCommand(labsCmd)
	cmd.AddCommand(imagecmd.NewCmdImage(ios))
	cmd.AddCommand(sandboxcmd.NewCmdSandbox(ios, nil))
	cmd.AddCommand(versioncmd.NewCmdVersion(ios))
	completioncmd.Register(cmd)
	return cmd
}

// Main runs the daemonlab-grade command line and returns the exit code.
func Main(ctx context.Context, ios *iostreams.IOStreams, args []string) int {
	return cmdutil.Execute(ctx, ios, NewCmdRoot(ios), args)
}
