package checker

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/daemonlab/daemonlab/report"
	"github.com/stretchr/testify/assert"
)

// bindThenRename is haproxy's and supervisord's way: bind a unix socket
// under NAME.PID.tmp and (argv[3] "rename") rename it over NAME; the pid
// file argv[2] is written and not locked. With "chroot" it keeps the name
// and then chroots into a directory beside it (avahi-daemon): the path it
// was bound under is not in its new root, but still names the socket.
const bindThenRename = `
import os, signal, socket, sys
d, pidfile, how = sys.argv[1:4]
s = socket.socket(socket.AF_UNIX)
tmp = os.path.join(d, "admin.sock.%d.tmp" % os.getpid())
s.bind(tmp)
s.listen()
if how == "rename":
    os.rename(tmp, os.path.join(d, "admin.sock"))
with open(pidfile, "w") as f:
    f.write("%d\n" % os.getpid())
if how == "chroot":
    os.mkdir(os.path.join(d, "jail"))
    os.chroot(os.path.join(d, "jail"))
    os.chdir("/")
`

// TestLockHintLeavesOutARenamedSocket: /proc/net/unix keeps the name a
// socket was bound under; when that path is gone, the socket is no
// evidence that a second copy would fail to bind, and the lock hint does
// not offer it.
func TestLockHintLeavesOutARenamedSocket(t *testing.T) {
	tests := []struct {
		how   string
		want  report.Status
		says  string
		never string
	}{
		{how: "rename", want: report.Fail, says: "since renamed or removed", never: "likely fail to bind"},
		{how: "keep", want: report.Warn, says: "likely fail to bind it", never: "renamed"},
		{how: "chroot", want: report.Warn, says: "likely fail to bind it", never: "renamed"},
	}
	for _, tt := range tests {
		t.Run(tt.how, func(t *testing.T) {
			if tt.how == "chroot" && os.Geteuid() != 0 {
				t.Skip("chroot needs root")
			}
			dir := t.TempDir()
			pidfile := filepath.Join(dir, "d.pid")
			pid := startPython(t, bindThenRename, dir, pidfile, tt.how)
			got := findCheck(t, Judge(takeReal(t, pid, Options{PIDFile: pidfile}), DefaultProfile(), nil), "lock")
			assert.Equal(t, tt.want, got.Status, "observed: %s", got.Observed)
			assert.Contains(t, got.Observed, tt.says)
			assert.Contains(t, got.Observed, fmt.Sprintf("admin.sock.%d.tmp", pid))
			assert.NotContains(t, got.Observed, tt.never)
		})
	}
}

// lockElsewhere is tor: its pid file argv[1] written and closed (or, with
// argv[3] "open", kept open unlocked, as the C reference's broken-lockfile
// does) and a write flock held on another file, argv[2].
const lockElsewhere = `
import fcntl, os, signal, sys
pidfile, lockfile, how = sys.argv[1:4]
fd = os.open(lockfile, os.O_RDWR | os.O_CREAT, 0o644)
fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
pfd = os.open(pidfile, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o644)
os.write(pfd, b"%d\n" % os.getpid())
if how != "open":
    os.close(pfd)
`

// TestUnlockedPIDFile: a pid file that is not locked, beside something
// else that keeps a second copy out. A write lock on another file (tor) is
// named: advice beside a closed pid file (a failure where the lab judges
// the pid file), and a pid file held open unlocked stays a failure. A
// listener (lighttpd keeps its pid file open) is the same hint for a pid
// file open or closed, unless the lab judges the pid file.
func TestUnlockedPIDFile(t *testing.T) {
	tests := []struct {
		name    string
		program string // run with the pid file, a lock file and how
		how     string
		require bool
		want    report.Status
		says    string // LOCK and PIDFILE stand for the files' paths
	}{
		{name: "pid file closed, a lock elsewhere", program: lockElsewhere, how: "closed", want: report.Warn, says: "is not locked, but it holds write flock lock on LOCK"},
		{name: "pid file closed, a lock elsewhere, the lab requires a pid file", program: lockElsewhere, how: "closed", require: true, want: report.Fail, says: "is not locked, but it holds write flock lock on LOCK"},
		{name: "pid file open, a lock elsewhere", program: lockElsewhere, how: "open", want: report.Fail, says: "but not locked; it holds write flock lock on LOCK"},
		{name: "pid file open, a listener", program: keepOpenUnlocked, how: "listen", want: report.Warn, says: "is open on fd 3 but not locked, but it listens on tcp"},
		{name: "pid file open, a listener, the lab requires a pid file", program: keepOpenUnlocked, how: "listen", require: true, want: report.Fail, says: "is open on fd 3 but not locked"},
		{name: "pid file open, nothing else", program: keepOpenUnlocked, how: "no", want: report.Fail, says: "is open on fd 3 but not locked"},
		{name: "its child listens", program: childListens, how: "listen", want: report.Warn, says: "no lock on PIDFILE, but its child pid "},
		{name: "its child listens on nothing", program: childListens, how: "no", want: report.Fail, says: "no lock on PIDFILE"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			pidfile, lockfile := filepath.Join(dir, "d.pid"), filepath.Join(dir, "lock")
			pid := startPython(t, tt.program, pidfile, lockfile, tt.how)
			p := DefaultProfile()
			p.RequirePIDFile = tt.require
			got := findCheck(t, Judge(takeReal(t, pid, Options{PIDFile: pidfile}), p, nil), "lock")
			assert.Equal(t, tt.want, got.Status, "observed: %s", got.Observed)
			assert.Contains(t, got.Observed, strings.NewReplacer("LOCK", lockfile, "PIDFILE", pidfile).Replace(tt.says))
		})
	}
}

// allNULAbstract is irqbalance: a listening socket in the abstract
// namespace whose name is NUL bytes only.
const allNULAbstract = `
import signal, socket
s = socket.socket(socket.AF_UNIX)
s.bind(b"\0" * 108)
s.listen()
`

// TestAllNULAbstractSocketName: /proc/net/unix prints such a name as a row
// of '@'; the lock hint says what it is instead.
func TestAllNULAbstractSocketName(t *testing.T) {
	pid := startPython(t, allNULAbstract)
	got := findCheck(t, Judge(takeReal(t, pid, Options{}), DefaultProfile(), nil), "lock")
	assert.Equal(t, report.Warn, got.Status, "observed: %s", got.Observed)
	assert.Contains(t, got.Observed, "abstract unix socket with an all-NUL name")
	assert.NotContains(t, got.Observed, "@@")
}

// keepOpenUnlocked is lighttpd: its pid file argv[1] written and kept open,
// never locked; with argv[3] "listen" it listens on a TCP port.
const keepOpenUnlocked = `
import os, signal, socket, sys
pidfile, listen = sys.argv[1], sys.argv[3]
fd = os.open(pidfile, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
os.write(fd, b"%d\n" % os.getpid())
if listen == "listen":
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen()
`

// childListens is opensmtpd: its pid file argv[1] written and closed, no
// lock, and (argv[3] "listen") a child that holds the listening socket.
// The child dies with it (PR_SET_PDEATHSIG).
const childListens = `
import ctypes, os, signal, socket, sys
pidfile, how = sys.argv[1], sys.argv[3]
with open(pidfile, "w") as f:
    f.write("%d\n" % os.getpid())
r, w = os.pipe()
if os.fork() == 0:
    ctypes.CDLL(None).prctl(1, 9)
    if how == "listen":
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        s.listen()
    os.write(w, b"r")
    while True:
        signal.pause()
os.read(r, 1)
`
