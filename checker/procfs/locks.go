package procfs

import (
	"fmt"
	"strconv"
	"strings"
)

// Lock is one line of /proc/locks or one "lock:" line of fdinfo.
type Lock struct {
	ID      int
	Blocked bool   // "->": a waiter, not a holder
	Class   string // POSIX, FLOCK, OFDLCK, LEASE, DELEG...
	Kind    string // ADVISORY, MANDATORY, ...
	Access  string // READ, WRITE, UNLCK...
	// PID is the process that took the lock; -1 for OFD locks. For flock
	// locks it can be a process that has since exited while its child still
	// holds the open file (a real cron does this).
	PID      int
	DevMajor uint32
	DevMinor uint32
	Inode    uint64
	Start    string
	End      string
}

// Kernel lock classes as printed by fs/locks.c.
const (
	ClassPOSIX = "POSIX"
	ClassFlock = "FLOCK"
	ClassOFD   = "OFDLCK"
)

// ParseLockLine parses "1: POSIX  ADVISORY  WRITE 1234 08:01:5678 0 EOF"
// (also with "->" after the id for a blocked waiter). The device is printed
// as hexadecimal major:minor, the inode in decimal.
func ParseLockLine(line string) (Lock, error) {
	var l Lock
	f := strings.Fields(line)
	if len(f) > 0 && strings.HasSuffix(f[0], ":") {
		id, err := strconv.Atoi(strings.TrimSuffix(f[0], ":"))
		if err != nil {
			return l, fmt.Errorf("lock: bad id %q", f[0])
		}
		l.ID = id
		f = f[1:]
	}
	if len(f) > 0 && f[0] == "->" {
		l.Blocked = true
		f = f[1:]
	}
	if len(f) < 7 {
		return l, fmt.Errorf("lock: want 7 fields after the id, got %d in %q", len(f), line)
	}
	l.Class, l.Kind, l.Access = f[0], f[1], f[2]
	pid, err := strconv.Atoi(f[3])
	if err != nil {
		return l, fmt.Errorf("lock: bad pid %q", f[3])
	}
	l.PID = pid
	dev := strings.Split(f[4], ":")
	if len(dev) != 3 {
		return l, fmt.Errorf("lock: bad device:inode %q", f[4])
	}
	major, err1 := strconv.ParseUint(dev[0], 16, 32)
	minor, err2 := strconv.ParseUint(dev[1], 16, 32)
	ino, err3 := strconv.ParseUint(dev[2], 10, 64)
	if err1 != nil || err2 != nil || err3 != nil {
		return l, fmt.Errorf("lock: bad device:inode %q", f[4])
	}
	l.DevMajor, l.DevMinor, l.Inode = uint32(major), uint32(minor), ino
	l.Start, l.End = f[5], f[6]
	return l, nil
}

// ParseLocks parses the whole of /proc/locks. Unparseable lines are skipped:
// a new lock class must not blind the checker to the others.
func ParseLocks(data []byte) []Lock {
	var out []Lock
	sc := newScanner(data)
	for sc.Scan() {
		if l, err := ParseLockLine(sc.Text()); err == nil {
			out = append(out, l)
		}
	}
	return out
}

// Locks reads /proc/locks.
func (p FS) Locks() ([]Lock, error) {
	data, err := readFile(p.Root, "locks")
	if err != nil {
		return nil, err
	}
	return ParseLocks(data), nil
}

// String renders the lock the way a student would look it up.
func (l Lock) String() string {
	return fmt.Sprintf("%s %s %s pid %d on %02x:%02x:%d", l.Class, l.Kind, l.Access, l.PID, l.DevMajor, l.DevMinor, l.Inode)
}
