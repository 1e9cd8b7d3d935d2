package launch

import (
	"os"
	"syscall"
)

// Planted describes the conditions launch mode set up before starting the
// program. Whatever the daemon did not undo shows against them. Attach mode
// has no Planted and judges by the profile alone.
type Planted struct {
	Umask   uint32 // as /proc/PID/status shows it
	Blocked []syscall.Signal
	Ignored []syscall.Signal
	// Marker is the descriptor left open without close-on-exec.
	MarkerFD  int
	MarkerDev uint64
	MarkerIno uint64
	// Canary is the name of the environment variable set at launch.
	Canary string
	// Dir is the temporary working directory the program started in.
	Dir string
	// LauncherPID and LauncherSID identify the launched program and the
	// session of the terminal it started on.
	LauncherPID int
	LauncherSID int
	// LauncherExited is true once the launched program has exited.
	LauncherExited bool
	// Subreaper is the checker's pid: orphans of the run are adopted by it.
	Subreaper int
}

// Planted describes what this run planted, for the static checks.
func (r *Run) Planted() *Planted {
	s := r.session
	return &Planted{
		Umask: s.cfg.Umask, Blocked: s.cfg.Blocked, Ignored: s.cfg.Ignored,
		MarkerFD: s.cfg.MarkerFD, MarkerDev: s.markDev, MarkerIno: s.markIno,
		Canary: s.cfg.CanaryName, Dir: s.Dir,
		LauncherPID: r.Launcher, LauncherSID: r.ShimPID, LauncherExited: r.exit != nil,
		Subreaper: os.Getpid(),
	}
}
