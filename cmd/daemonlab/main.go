// Command daemonlab teaches and grades Unix daemons.
package main

import (
	"syscall"

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
	// A grader binds a setgid copy (internal/grade, setgidChecker), which
	// the kernel makes non-dumpable at exec, before this line could run:
	// drop that group, which /proc would count against us when we read
	// the daemon; the process stays non-dumpable.
	if gid := syscall.Getgid(); syscall.Getegid() != gid {
		_ = syscall.Setresgid(gid, gid, gid) // every thread, unlike unix.Setresgid
	}
	_ = unix.Prctl(unix.PR_SET_DUMPABLE, 0, 0, 0, 0)
	cmdutil.RunMain(rootcmd.Main)
}
