package checker

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/daemonlab/daemonlab/checker/procfs"
	"github.com/daemonlab/daemonlab/report"
	"golang.org/x/sys/unix"
)

// noPIDFile is the outcome of pidfile and lock when there is none to judge.
// generatorLate is where systemd-sysv-generator writes the units it makes
// from init scripts.
var generatorLate = "/run/systemd/generator.late"

// sysvGenerated reports whether systemd-sysv-generator made the unit.
func sysvGenerated(unit string) bool {
	_, err := os.Stat(filepath.Join(generatorLate, unit))
	return err == nil
}

func (j *judgement) noPIDFile(expected string) outcome {
	o := outcome{expected: expected}
	switch {
	case j.profile.RequirePIDFile:
		o.status, o.observed = report.Fail, "no pid file"
		o.hint = "write your pid to the lab's pid file after the last fork."
	case j.s.UnderSystemd() && sysvGenerated(j.s.Unit):
		// systemd-sysv-generator's unit: GuessMainPID=no, and without a
		// pid file systemd does not know which process is the daemon.
		o.status = report.Warn
		o.observed = fmt.Sprintf("no pid file found; %s is made from an init script, and without a pid file systemd does not know its main pid", j.s.Unit)
		o.hint = "write /run/NAME.pid and name it in the script's LSB header (# pidfile:) or with a native unit's PIDFile=."
	case j.s.UnderSystemd():
		o.status, o.observed = report.Skip, fmt.Sprintf("no pid file found; systemd tracks the main pid of %s", j.s.Unit)
	default:
		o.status = report.Warn
		o.observed = fmt.Sprintf("no pid file found (open *.pid descriptors, a -p/--pidfile FILE on its command line, /run/%s.pid, /run/%s/..., /run/*/%s.pid naming it); name it with --pidfile", j.s.Stat.Comm, j.s.Stat.Comm, j.s.Stat.Comm)
		o.hint = "a classic daemon writes /run/NAME.pid so init scripts can find it."
	}
	return o
}

func (j *judgement) pidfile() outcome {
	s := j.s
	pf := s.PIDFile
	expected := "a pid file naming this pid, not world-writable"
	if pf.Path == "" {
		return j.noPIDFile(expected)
	}
	o := outcome{expected: fmt.Sprintf("%s names %d, not world-writable", pf.Path, s.PID)}
	o.hint = "write getpid() of the daemon itself (after the last fork), followed by a newline, to a file created with mode 0644."
	switch {
	case !pf.Exists:
		return fail(o, pf.Path+" does not exist")
	case pf.Err != nil:
		return unreadable(pf.Path, pf.Err, o.expected)
	case pf.Mode&os.ModeIrregular != 0:
		return fail(o, pf.Path+" is not a regular file")
	}
	if _, err := ParsePID(pf.Raw); err != nil {
		return fail(o, fmt.Sprintf("%s: %s", pf.Path, err))
	}
	if pf.PID != s.PID {
		o = fail(o, fmt.Sprintf("%s names pid %d, but the daemon is pid %d", pf.Path, pf.PID, s.PID))
		for _, a := range s.Ancestors {
			if a.PID == pf.PID {
				o.observed += fmt.Sprintf(" (%d is its ancestor %s)", a.PID, a.Comm)
			}
		}
		if !s.alive(pf.PID) {
			o.observed += fmt.Sprintf(" (%d is not running: written before a fork?)", pf.PID)
		}
		return o
	}
	o.observed = fmt.Sprintf("%s names %d (mode %04o, owner uid %d, %s)", pf.Path, pf.PID, uint32(pf.Mode.Perm()), pf.UID, pf.How)
	if pf.Mode&0o002 != 0 {
		o.status = report.Fail
		o.observed = fmt.Sprintf("%s is world-writable (mode %04o): anyone can choose which process gets signalled", pf.Path, uint32(pf.Mode.Perm()))
		o.hint = "create it with mode 0644: with umask(0), open(path, O_CREAT, 0666) makes it writable by everybody."
		return o
	}
	if quirks := pidFileQuirks(pf.Raw); len(quirks) > 0 {
		o.status = report.Warn
		o.observed += ": readable, but " + strings.Join(quirks, ", ")
		o.hint = "write exactly the pid followed by one newline (\"%d\\n\"): other tools read the file less leniently than init scripts."
		return o
	}
	o.status = report.Pass
	return o
}

// pidFileQuirks lists how a parseable pid file differs from the canonical
// "PID\n" that init scripts and tools expect.
func pidFileQuirks(raw []byte) []string {
	var q []string
	text := string(raw)
	if strings.Contains(text, "\x00") {
		q = append(q, "it holds a NUL byte")
		text = strings.ReplaceAll(text, "\x00", "")
	}
	if !strings.HasSuffix(text, "\n") {
		q = append(q, "no trailing newline")
	}
	if strings.TrimLeft(text, " \t\r\n") != text {
		q = append(q, "leading white space")
	}
	if lines := strings.Split(strings.TrimRight(text, "\n"), "\n"); len(lines) > 1 {
		q = append(q, fmt.Sprintf("%d lines (only the first is the pid)", len(lines)))
	} else if f := strings.Fields(text); len(f) > 1 {
		q = append(q, "more than the pid on its line")
	} else if strings.TrimRight(text, "\n") != strings.TrimSpace(text) {
		q = append(q, "trailing white space")
	}
	return q
}

// heldLock is a lock credited to the target, with how it was found.
type heldLock struct {
	lock procfs.Lock
	fd   int // -1 when credited from /proc/locks alone
}

func (j *judgement) lock() outcome {
	s := j.s
	pf := s.PIDFile
	want := j.profile.Lock
	expected := "a lock on the pid file held by this process"
	if want != "any" && want != "none" {
		expected = fmt.Sprintf("a %s lock on the pid file held by this process", want)
	}
	if want == "none" {
		return outcome{status: report.Skip, observed: "the profile requires no lock", expected: "none"}
	}
	if pf.Exists && pf.Err != nil {
		// There is a pid file, but we may not read it: its lock can only be
		// credited from /proc/locks by its inode; otherwise, unknown.
		if pf.Ino != 0 {
			if held, _ := j.pidFileLocks(pf); len(held) > 0 {
				return outcome{status: report.Pass, expected: expected, observed: fmt.Sprintf("%s on %s (found in /proc/locks; the file itself is unreadable)", lockKind(held[0].lock), pf.Path)}
			}
		}
		return unreadable(pf.Path, pf.Err, expected)
	}
	if pf.Path == "" || !pf.Exists || pf.Ino == 0 {
		if held := j.exclusiveLocks(0); len(held) > 0 {
			h := held[0]
			return outcome{status: report.Pass, expected: expected,
				observed: fmt.Sprintf("no pid file, but holds %s on fd %d (%s)", lockKind(h.lock), h.fd, j.fdTarget(h.fd))}
		}
		o := j.noPIDFile(expected)
		if l, gone := j.bindable(); len(l) > 0 && o.status != report.Skip {
			return j.listenerInstead(o, "no pid file and no lock", l)
		} else if len(gone) > 0 && o.status == report.Warn {
			o.observed = "no pid file and no lock found: nothing stops a second copy" + goneNote(gone)
			o.hint = "lock the pid file (fcntl F_SETLK or flock LOCK_EX|LOCK_NB) and keep it open, so a second copy fails to start."
			return o
		}
		if o.status == report.Warn {
			o.observed = "no pid file and no lock found: nothing stops a second copy"
			o.hint = "lock the pid file (fcntl F_SETLK or flock LOCK_EX|LOCK_NB) and keep it open, so a second copy fails to start."
		}
		return o
	}
	if s.FDErr != nil && s.LocksErr != nil {
		return unreadable("/proc/PID/fd and /proc/locks", s.FDErr, expected)
	}
	o := outcome{expected: expected}
	o.hint = "open the pid file, lock it (fcntl F_SETLK with F_WRLCK, or flock LOCK_EX|LOCK_NB), exit non-zero if that fails, and keep it open for the daemon's whole life."
	held, others := j.pidFileLocks(pf)
	if len(held) == 0 {
		var open []string
		for _, fd := range s.FDs {
			if sameFile(fd, pf.Dev, pf.Ino) {
				open = append(open, fmt.Sprint(fd.Num))
			}
		}
		elsewhere := j.otherWriteLocks(pf)
		switch {
		case len(others) > 0:
			return fail(o, fmt.Sprintf("%s is locked, but not by this process: %s", pf.Path, strings.Join(others, "; ")))
		case len(open) > 0:
			what := fmt.Sprintf("%s is open on fd %s but not locked", pf.Path, strings.Join(open, ","))
			// lighttpd keeps its pid file open (to empty it at exit) and
			// listens: the same hint as for a pid file it closed, unless
			// the lab judges the pid file.
			if l, gone := j.bindable(); len(l) > 0 && len(elsewhere) == 0 && !j.profile.RequirePIDFile {
				o = j.listenerInstead(o, what, l)
				o.observed += goneNote(gone)
				return o
			}
			o = fail(o, what)
			if len(elsewhere) > 0 {
				o.observed += fmt.Sprintf("; it holds %s instead", j.describeHeld(elsewhere[0]))
			}
			return o
		case s.FDErr != nil:
			return unreadable("/proc/PID/fd", s.FDErr, expected)
		case len(elsewhere) > 0:
			// tor: its DataDirectory lock keeps a second copy out, but the
			// pid file others read stays unlocked. With no pid file at all
			// such a lock passes (rpcbind); beside an unlocked pid file it
			// is advice, and a failure where the lab judges the pid file.
			o.status = report.Warn
			if j.profile.RequirePIDFile {
				o.status = report.Fail
			}
			o.observed = fmt.Sprintf("its pid file %s is not locked, but it holds %s: that lock likely keeps a second copy out, but the pid file cannot show a live daemon from a stale file", pf.Path, j.describeHeld(elsewhere[0]))
			o.hint = "lock the pid file itself and keep it open: tools read the pid file, and only its lock tells a running daemon from a stale file."
			return o
		}
		l, gone := j.bindable()
		if len(l) > 0 {
			o = j.listenerInstead(o, "no lock on "+pf.Path, l)
			o.observed += goneNote(gone)
			return o
		}
		return fail(o, fmt.Sprintf("no lock on %s: nothing in the pid file tells a live daemon from a stale file", pf.Path)+goneNote(gone))
	}
	h := held[0]
	via := "found in /proc/locks"
	if h.fd >= 0 {
		via = fmt.Sprintf("via fd %d", h.fd)
	}
	o.observed = fmt.Sprintf("%s on %s %s", lockKind(h.lock), pf.Path, via)
	if h.lock.PID > 0 && h.lock.PID != s.PID {
		o.observed += fmt.Sprintf(" (taken by pid %d, which %s: a flock lock belongs to the open file, not to a pid)", h.lock.PID, map[bool]string{true: "is another process", false: "has exited"}[s.alive(h.lock.PID)])
	}
	if want != "any" && classWant(want) != h.lock.Class {
		o.status = report.Fail
		o.observed += fmt.Sprintf(", but this lab asks for a %s lock", want)
		return o
	}
	o.status = report.Pass
	return o
}

// listenerInstead is the verdict for a daemon that may keep single
// instance by what it listens on: a second copy that binds the same port
// or socket name fails. That is a hint, not a proof — a second copy may
// unlink a socket path first, set SO_REUSEPORT, or carry on without the
// socket — so it is advice, never a pass.
func (j *judgement) listenerInstead(o outcome, what string, ls []procfs.Listener) outcome {
	names := make([]string, len(ls))
	abstract := false
	for i, l := range ls {
		names[i] = l.String()
		abstract = abstract || l.Abstract()
	}
	o.status = report.Warn
	who := "it listens"
	if len(j.s.HeldListeners()) == 0 && j.s.ChildHolder != "" {
		who = "its child " + j.s.ChildHolder + " listens"
	}
	o.observed = fmt.Sprintf("%s, but %s on %s: a second copy would likely fail to bind it — a hint, not a proof", what, who, firstFew(names, 3))
	if abstract {
		o.observed += " (an abstract socket name cannot be unlinked, so only one holder can bind it)"
	} else {
		o.observed += " (a second copy may unlink a socket path, set SO_REUSEPORT or carry on without the socket)"
	}
	o.hint = "a lock on the pid file also stops a second copy that binds nothing, and a stale pid file never blocks a start."
	return o
}

// bindable splits the listeners the process holds into those a second
// copy would have to bind again, and unix sockets whose bind-time path is
// gone (renamed or unlinked): those prove nothing about a second copy,
// which binds its own temporary name.
func (j *judgement) bindable() (live, gone []procfs.Listener) {
	for _, l := range j.s.HeldListeners() {
		if j.s.UnboundPaths[l.Inode] {
			gone = append(gone, l)
		} else {
			live = append(live, l)
		}
	}
	if len(live) == 0 && len(gone) == 0 {
		// its children's, by their bind-time path as they are
		live = j.s.ChildListeners
	}
	return live, gone
}

// goneNote mentions the unix sockets left out of the evidence.
func goneNote(gone []procfs.Listener) string {
	if len(gone) == 0 {
		return ""
	}
	names := make([]string, len(gone))
	for i, l := range gone {
		names[i] = l.Path
	}
	return fmt.Sprintf(" (unix socket bound as %s, since renamed or removed: no evidence that a second copy would fail to bind)", firstFew(names, 2))
}

// pidFileLocks finds the locks on the pid file's inode that the target
// holds, and describes those held by somebody else.
func (j *judgement) pidFileLocks(pf PIDFile) (held []heldLock, others []string) {
	s := j.s
	major, minor := unix.Major(pf.Dev), unix.Minor(pf.Dev)
	onInode := func(l procfs.Lock) bool {
		return l.Inode == pf.Ino && (l.DevMajor == major && l.DevMinor == minor || j.hasFDOn(pf))
	}
	// fdinfo "lock:" lines are authoritative: the kernel lists there the
	// locks owned through this open file (flock, OFD) or by this process
	// (POSIX), whatever pid /proc/locks shows.
	fdinfoReadable := false
	for _, fd := range s.FDs {
		if !sameFile(fd, pf.Dev, pf.Ino) || !fd.HasInfo {
			continue
		}
		fdinfoReadable = true
		for _, l := range fd.Info.Locks {
			if !l.Blocked && onInode(l) {
				held = append(held, heldLock{l, fd.Num})
			}
		}
	}
	if len(held) > 0 {
		return held, nil
	}
	for _, l := range s.Locks {
		if l.Blocked || !onInode(l) {
			continue
		}
		switch {
		case l.Class == procfs.ClassPOSIX && l.PID == s.PID:
			held = append(held, heldLock{l, -1})
		case !fdinfoReadable && j.hasFDOn(pf) && (l.PID == s.PID || l.PID <= 0 || !s.alive(l.PID)):
			// No fdinfo to ask: the process has the file open and the
			// recorded locker is itself or gone, so the lock is its.
			held = append(held, heldLock{l, -1})
		default:
			others = append(others, fmt.Sprintf("%s by pid %d", lockKind(l), l.PID))
		}
	}
	return held, others
}

// anyHeldLock lists locks the target holds through any descriptor.
func (j *judgement) anyHeldLock() []heldLock {
	var out []heldLock
	for _, fd := range j.s.FDs {
		if fd.HasInfo && fd.IsRegular() {
			for _, l := range fd.Info.Locks {
				if !l.Blocked {
					out = append(out, heldLock{l, fd.Num})
				}
			}
		}
	}
	return out
}

// otherWriteLocks lists the write locks the target holds on files other
// than its pid file that could keep a second copy out.
func (j *judgement) otherWriteLocks(pf PIDFile) []heldLock { return j.exclusiveLocks(pf.Ino) }

// exclusiveLocks lists the write locks the target holds on files (but the
// inode skip) that a second copy would also try to lock: a read lock
// excludes no reader, and a lock on a deleted file (knot's lock.mdb in a
// per-run temporary directory) none that opens the path anew.
func (j *judgement) exclusiveLocks(skip uint64) []heldLock {
	var out []heldLock
	for _, h := range j.anyHeldLock() {
		if h.lock.Access == "WRITE" && (skip == 0 || h.lock.Inode != skip) && !strings.HasSuffix(j.fdTarget(h.fd), " (deleted)") {
			out = append(out, h)
		}
	}
	return out
}

// describeHeld names a held lock and its file: "write flock lock on
// /var/lib/tor/lock (fd 8)".
func (j *judgement) describeHeld(h heldLock) string {
	return fmt.Sprintf("%s on %s (fd %d)", lockKind(h.lock), j.fdTarget(h.fd), h.fd)
}

func (j *judgement) hasFDOn(pf PIDFile) bool {
	for _, fd := range j.s.FDs {
		if sameFile(fd, pf.Dev, pf.Ino) {
			return true
		}
	}
	return false
}

func (j *judgement) fdTarget(num int) string {
	for _, fd := range j.s.FDs {
		if fd.Num == num {
			return fd.Target
		}
	}
	return "?"
}

func lockKind(l procfs.Lock) string {
	name := map[string]string{procfs.ClassPOSIX: "POSIX (fcntl) lock", procfs.ClassFlock: "flock lock", procfs.ClassOFD: "OFD lock"}[l.Class]
	if name == "" {
		name = l.Class + " lock"
	}
	return fmt.Sprintf("%s %s", strings.ToLower(l.Access), name)
}

func classWant(want string) string {
	return map[string]string{"posix": procfs.ClassPOSIX, "flock": procfs.ClassFlock, "ofd": procfs.ClassOFD}[want]
}
