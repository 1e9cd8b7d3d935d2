// Package graderoot assembles the daemonlab-grade command tree: the
// commands that need a container engine.
package graderoot

import (
	"context"

	"github.com/daemonlab/daemonlab/internal/cli/completion"
	"github.com/daemonlab/daemonlab/internal/cli/grade"
	"github.com/daemonlab/daemonlab/internal/cli/image"
	"github.com/daemonlab/daemonlab/internal/cli/labs"
	"github.com/daemonlab/daemonlab/internal/cli/labvalidate"
	"github.com/daemonlab/daemonlab/internal/cli/sandbox"
	"github.com/daemonlab/daemonlab/internal/cli/version"
	"github.com/daemonlab/daemonlab/internal/cmdutil"
	"github.com/daemonlab/daemonlab/internal/iostreams"
	"github.com/spf13/cobra"
)

// NewCmdRoot builds the daemonlab-grade command tree.
func NewCmdRoot(ios *iostreams.IOStreams) *cobra.Command {
	cmd := cmdutil.NewRoot(ios, "daemonlab-grade")
	labs.AddLabsDirFlag(cmd)
	cmd.AddCommand(grade.NewCmdGrade(ios, nil))
	labsCmd := &cobra.Command{Use: "labs", Short: "Prove labs (validate)"}
	labsCmd.AddCommand(labvalidate.NewCmdValidate(ios))
	cmd.AddCommand(labsCmd)
	cmd.AddCommand(image.NewCmdImage(ios))
	cmd.AddCommand(sandbox.NewCmdSandbox(ios))
	cmd.AddCommand(version.NewCmdVersion(ios))
	completion.Register(cmd)
	return cmd
}

// Main runs the daemonlab-grade command line and returns the exit code.
func Main(ctx context.Context, ios *iostreams.IOStreams, args []string) int {
	return cmdutil.Execute(ctx, ios, NewCmdRoot(ios), args)
}
