// Package imagecmd implements `daemonlab image build`: build (or reuse) the
// systemd base image the grader runs submissions in.
package imagecmd

import (
	"fmt"

	"github.com/daemonlab/daemonlab/containers"
	"github.com/daemonlab/daemonlab/internal/cmdutil"
	"github.com/daemonlab/daemonlab/internal/iostreams"
	"github.com/spf13/cobra"
)

// NewCmdImage builds the `image` command group.
func NewCmdImage(ios *iostreams.IOStreams) *cobra.Command {
	cmd := &cobra.Command{Use: "image", Short: "Manage the systemd base image"}
	cmd.AddCommand(&cobra.Command{
		Use:   "build",
		Short: "Build the systemd image, or reuse it when its recipe has not changed",
		Long: `Build the grader's systemd image from its recipe, tagged by the recipe's
content hash: from a registry with the Dockerfile when one is reachable,
otherwise from Debian packages with mmdebstrap and docker import. An image
with the same hash is reused.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			if err := containers.EngineAvailable(ctx); err != nil {
				return cmdutil.Infra(err)
			}
			tag, built, err := containers.EnsureImage(ctx, ios.ErrOut)
			if err != nil {
				return cmdutil.Infra(err)
			}
			state := "reused"
			if built {
				state = "built"
			}
			fmt.Fprintf(ios.Out, "%s (%s)\n", tag, state)
			return nil
		},
	})
	cmd.AddCommand(&cobra.Command{
		Use:   "tag",
		Short: "Print the tag of the image for the current recipe",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			fmt.Fprintln(ios.Out, containers.ImageTag())
			return nil
		},
	})
	return cmd
}
