// Package versioncmd implements `daemonlab version`: the version of
// daemonlab and the systemd image it grades with.
package versioncmd

import (
	"fmt"
	"runtime"

	"github.com/daemonlab/daemonlab/containers/image"
	"github.com/daemonlab/daemonlab/internal/cmdutil"
	"github.com/daemonlab/daemonlab/internal/iostreams"
	"github.com/spf13/cobra"
)

// NewCmdVersion builds the command.
func NewCmdVersion(ios *iostreams.IOStreams) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version and the systemd image it grades with",
		Long: `Print daemonlab's version, the tag of the systemd image daemonlab grade
runs (daemonlab/systemd:<first 12 hex of the recipe hash>, built or reused
by daemonlab image build) and the full sha256 of the image recipe. Two
graders with the same version and image grade alike.`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			fmt.Fprintf(ios.Out, "daemonlab %s\nimage %s\nrecipe sha256:%s\n%s %s/%s\n",
				cmdutil.Version, image.Tag(), image.Hash(), runtime.Version(), runtime.GOOS, runtime.GOARCH)
			return nil
		},
	}
}
