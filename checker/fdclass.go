package checker

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/daemonlab/daemonlab/checker/procfs"
	"golang.org/x/sys/unix"
)

// fdVerdict is how one descriptor above 2 is judged.
type fdVerdict int

const (
	fdOK         fdVerdict = iota // pid file, runtime descriptor, allowed path
	fdUnexpected                  // not explained; costs Profile.FDUnexpected
	fdLeak                        // certainly inherited or forgotten: a failure
)

// isTerminal reports whether a descriptor is open on a terminal (a pty
// slave, a virtual console, /dev/tty or /dev/console). A pty master
// (/dev/ptmx) is not: terminal servers hold those by design.
func isTerminal(fd procfs.FD) bool {
	if fd.IsCharDevice() {
		major, minor := unix.Major(fd.Rdev), unix.Minor(fd.Rdev)
		switch {
		case major >= 136 && major <= 143: // Unix98 pty slaves
			return true
		case major == 4: // tty0-63, ttyS*
			return true
		case major == 5 && (minor == 0 || minor == 1): // /dev/tty, /dev/console
			return true
		}
		return false
	}
	if fd.HasStat {
		return false
	}
	t := fd.Target
	return strings.HasPrefix(t, "/dev/pts/") || t == "/dev/tty" || t == "/dev/console" ||
		strings.HasPrefix(t, "/dev/tty")
}

// isDevNull reports whether a descriptor is open on /dev/null (char 1:3).
func isDevNull(fd procfs.FD) bool {
	if fd.IsCharDevice() {
		return unix.Major(fd.Rdev) == 1 && unix.Minor(fd.Rdev) == 3
	}
	return !fd.HasStat && fd.Target == "/dev/null"
}

// ttyName names a terminal device number as /dev would.
func ttyName(major, minor uint32) string {
	switch {
	case major >= 136 && major <= 143:
		return fmt.Sprintf("/dev/pts/%d", (major-136)*256+minor)
	case major == 4 && minor < 64:
		return fmt.Sprintf("/dev/tty%d", minor)
	case major == 4:
		return fmt.Sprintf("/dev/ttyS%d", minor-64)
	case major == 5 && minor == 0:
		return "/dev/tty"
	case major == 5 && minor == 1:
		return "/dev/console"
	}
	return fmt.Sprintf("tty %d:%d", major, minor)
}

// describeFD is a short human rendering of a descriptor target.
func describeFD(fd procfs.FD) string {
	if isDevNull(fd) {
		return "/dev/null"
	}
	if fd.IsCharDevice() && isTerminal(fd) {
		return ttyName(unix.Major(fd.Rdev), unix.Minor(fd.Rdev))
	}
	return fd.Target
}

// sameFile reports whether a descriptor is open on the given dev/inode.
func sameFile(fd procfs.FD, dev, ino uint64) bool {
	if ino == 0 {
		return false
	}
	if fd.HasStat {
		return fd.Dev == dev && fd.Ino == ino
	}
	return fd.HasInfo && fd.Info.HasIno && fd.Info.Ino == ino
}

// classifyFD judges one descriptor above 2 and says why.
func (j *judgement) classifyFD(fd procfs.FD) (fdVerdict, string) {
	s, pl := j.s, j.planted
	if pl != nil && pl.MarkerIno != 0 && sameFile(fd, pl.MarkerDev, pl.MarkerIno) {
		return fdLeak, fmt.Sprintf("the marker descriptor the launcher left open (was fd %d)", pl.MarkerFD)
	}
	pf := s.PIDFile
	if pf.Exists && (sameFile(fd, pf.Dev, pf.Ino) || fd.Target == pf.Path) {
		return fdOK, "pid file"
	}
	// Launch mode started the program with 0-2 and the marker only, and
	// systemd starts a service with 0-2 and the sockets it passes: any
	// other descriptor is the daemon's own doing, not an inheritance.
	launched := pl != nil || s.UnderSystemd()
	switch {
	case isTerminal(fd):
		return fdLeak, "a terminal: output still reaches the user's screen"
	case isDevNull(fd) && fd.HasInfo && fd.Info.CloseOnExec():
		// An inherited descriptor cannot carry O_CLOEXEC across the exec
		// (it would have been closed), and this one reaches no child:
		// kept on purpose, as postfix's master reserves fixed numbers
		// for its plumbing with dup(0) after closefrom(3).
		return fdUnexpected, "/dev/null beyond 2, close-on-exec: reserved on purpose? it leaks into nothing"
	case isDevNull(fd) && launched:
		return fdLeak, "/dev/null beyond 2: the spare descriptor left over after dup2() onto 0-2"
	case isDevNull(fd):
		return fdLeak, "/dev/null beyond 2: left over after dup2(), or inherited from the launcher"
	case fd.IsSocket():
		return fdOK, "socket"
	case fd.AnonKind() != "":
		return fdOK, fd.AnonKind()
	case isNamespace(fd.Target):
		return fdOK, "namespace"
	case fd.IsPipe():
		if j.pipeEnds(fd) > 1 {
			return fdOK, "self-pipe"
		}
		if !strings.HasPrefix(fd.Target, "pipe:") {
			// a FIFO opened by its path: the daemon's own
			return fdOK, "a FIFO opened by path"
		}
		if launched {
			return fdUnexpected, "one end of a pipe the daemon made and kept (a readiness pipe not closed?)"
		}
		return fdUnexpected, "one end of a pipe: inherited from the launcher?"
	}
	switch {
	case strings.HasPrefix(fd.Target, "/memfd:"):
		return fdOK, "a memfd: the daemon's own memory"
	case strings.HasPrefix(fd.Target, "/dev/shm/"):
		return fdOK, "POSIX shared memory: the daemon's own memory"
	case fd.IsRegular() && (!fd.HasInfo || fd.Info.AccessMode() == "r") && isScript(s.Cmdline, fd.Target):
		return fdOK, "the script it runs, which its interpreter keeps open"
	}
	for _, glob := range j.profile.FDAllow {
		if ok, _ := filepath.Match(glob, fd.Target); ok {
			return fdOK, "allowed by the profile"
		}
	}
	if fd.HasInfo && len(fd.Info.Locks) > 0 {
		return fdOK, "lock file"
	}
	if fd.IsCharDevice() {
		return fdOK, "device"
	}
	if fd.IsRegular() && (strings.HasPrefix(fd.Target, "/proc/") || strings.HasPrefix(fd.Target, "/sys/")) {
		// Runtimes and daemons keep kernel interfaces open: the Go runtime
		// reads its cgroup CPU quota, rsyslog reads /proc/kmsg.
		return fdOK, "kernel interface"
	}
	if fd.IsRegular() && fd.HasInfo && fd.Info.AccessMode() != "r" && fd.Info.Flags&unix.O_APPEND != 0 {
		return fdOK, "log file"
	}
	if launched {
		return fdUnexpected, "not explained: a file the daemon opened and kept"
	}
	return fdUnexpected, "not explained: a file the launcher left open?"
}

// isScript reports whether target is the script an interpreter runs: the
// first argument after the interpreter's options ("perl -wT
// /usr/sbin/munin-node", "python3 -u mydaemon.py"), which a relative path
// matches by its trailing components.
func isScript(cmdline []string, target string) bool {
	for _, arg := range cmdline[min(1, len(cmdline)):] {
		if strings.HasPrefix(arg, "-") {
			continue
		}
		if filepath.IsAbs(arg) {
			return filepath.Clean(arg) == target
		}
		return strings.HasSuffix(target, "/"+filepath.Clean(arg))
	}
	return false
}

// pipeEnds counts the descriptors of the process on the same pipe.
func (j *judgement) pipeEnds(fd procfs.FD) int {
	n := 0
	for _, other := range j.s.FDs {
		if other.Target == fd.Target {
			n++
		}
	}
	return n
}

// isNamespace recognises nsfs targets such as "net:[4026531833]".
func isNamespace(target string) bool {
	kind, rest, ok := strings.Cut(target, ":[")
	return ok && strings.HasSuffix(rest, "]") && !strings.Contains(kind, "/") &&
		kind != "socket" && kind != "pipe"
}
