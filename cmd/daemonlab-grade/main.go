// Command daemonlab-grade runs daemonlab's container commands: grade and
// image. `daemonlab grade` and `daemonlab image` hand over to it.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/daemonlab/daemonlab/internal/cli/graderoot"
	"github.com/daemonlab/daemonlab/internal/iostreams"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := graderoot.Main(ctx, iostreams.System(), os.Args[1:])
	stop()
	os.Exit(code)
}
