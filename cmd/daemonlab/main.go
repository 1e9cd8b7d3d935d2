// Command daemonlab teaches and grades Unix daemons.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/daemonlab/daemonlab/internal/cli/root"
	"github.com/daemonlab/daemonlab/internal/iostreams"
)

func main() {
	// Ctrl-C cancels the run; launch mode and the grader clean up on the
	// way out instead of dying with processes or containers left behind.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := root.Main(ctx, iostreams.System(), os.Args[1:])
	stop()
	os.Exit(code)
}
