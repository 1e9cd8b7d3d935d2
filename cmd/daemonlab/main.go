// Command daemonlab teaches and grades Unix daemons.
package main

import (
	"github.com/daemonlab/daemonlab/internal/cli/rootcmd"
	"github.com/daemonlab/daemonlab/internal/cmdutil"
	"golang.org/x/sys/unix"
)

func main() {
	// The checker runs beside untrusted code in a lab container, as the
	// same root: non-dumpable, no process there may ptrace it or open its
	// descriptors (/proc/PID/fd needs ptrace access, which a non-dumpable
	// process grants only to CAP_SYS_PTRACE, which the container lacks).
	// exec resets the flag, so the programs it launches are unaffected.
	_ = unix.Prctl(unix.PR_SET_DUMPABLE, 0, 0, 0, 0)
	cmdutil.RunMain(rootcmd.Main)
}
