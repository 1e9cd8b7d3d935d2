// Command daemonlab-grade runs daemonlab's container commands: grade and
// image. `daemonlab grade` and `daemonlab image` hand over to it.
package main

import (
	"os"

	"github.com/daemonlab/daemonlab/internal/cli/graderootcmd"
	"github.com/daemonlab/daemonlab/internal/cmdutil"
)

func main() {
	setDefaultEnv(os.LookupEnv, os.Setenv)
	cmdutil.RunMain(graderootcmd.Main)
}

// setDefaultEnv disables testcontainers' reaper (Ryuk) unless the user
// chose otherwise: the grader removes its containers itself (Terminate,
// the watchdog, the clean-up of leftovers), and the reaper image cannot be
// pulled on machines without a registry — without this `daemonlab grade`
// would exit 4 on a machine with no environment set up.
func setDefaultEnv(lookup func(string) (string, bool), set func(string, string) error) {
	if _, ok := lookup("TESTCONTAINERS_RYUK_DISABLED"); !ok {
		_ = set("TESTCONTAINERS_RYUK_DISABLED", "true")
	}
}
