// Command daemonlab teaches and grades Unix daemons.
package main

import (
	"context"
	"os"

	"github.com/daemonlab/daemonlab/internal/cli/root"
	"github.com/daemonlab/daemonlab/internal/iostreams"
)

func main() {
	os.Exit(root.Main(context.Background(), iostreams.System(), os.Args[1:]))
}
