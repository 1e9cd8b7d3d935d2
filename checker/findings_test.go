package checker

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/daemonlab/daemonlab/checker/launch"
	"github.com/daemonlab/daemonlab/checker/procfs"
	"github.com/daemonlab/daemonlab/report"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// The rules behind the QA findings on Debian daemons, on snapshots built
// in memory (the *_real_test.go files hold them on real processes; these
// run under -short too).
func TestQAFindingsOnSnapshots(t *testing.T) {
	// inetutils-syslogd.service is made from an init script here
	generated := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(generated, "inetutils-syslogd.service"), nil, 0o644))
	late := generatorLate
	generatorLate = generated
	t.Cleanup(func() { generatorLate = late })
	planted := &launch.Planted{Umask: 0o077, Ignored: []syscall.Signal{syscall.SIGINT}, LauncherPID: 450, Subreaper: 42}
	devNullFlags := func(num int, flags uint32) procfs.FD {
		fd := devNull(num)
		fd.HasInfo, fd.Info = true, procfs.FDInfo{Flags: flags}
		return fd
	}
	signalfd := procfs.FD{Num: 4, Target: "anon_inode:[signalfd]", HasInfo: true, Info: procfs.FDInfo{HasSigMask: true, SigMask: procfs.SigSetOf(syscall.SIGINT, syscall.SIGTERM)}}
	tests := []struct {
		name    string
		mutate  func(s *Snapshot)
		planted *launch.Planted
		id      string
		want    report.Status
		says    string
	}{
		{name: "F3 close-on-exec /dev/null", mutate: func(s *Snapshot) { s.FDs = append(s.FDs, devNullFlags(3, 0o2100002)) }, id: "fds", want: report.Warn, says: "close-on-exec: reserved on purpose"},
		{name: "F3 /dev/null without close-on-exec", mutate: func(s *Snapshot) { s.FDs = append(s.FDs, devNullFlags(3, 0o100002)) }, planted: planted, id: "fds", want: report.Fail, says: "spare descriptor"},
		{name: "F8 at the root of its chroot", mutate: func(s *Snapshot) { s.Cwd, s.Root = "/home/www", "/home/www" }, id: "cwd", want: report.Pass, says: "at the root of its chroot /home/www"},
		{name: "F8 below the root of its chroot", mutate: func(s *Snapshot) { s.Cwd, s.Root = "/home/www/x", "/home/www" }, id: "cwd", want: report.Fail, says: "most likely the shell's"},
		{name: "F8 an unreadable root is no chroot", mutate: func(s *Snapshot) { s.Cwd, s.Root, s.RootErr = "/home/www", "/home/www", unix.EACCES }, id: "cwd", want: report.Fail, says: "most likely the shell's"},
		{name: "F11 ignored, blocked, read by a signalfd", mutate: func(s *Snapshot) {
			s.Status.SigIgn = procfs.SigSetOf(syscall.SIGINT)
			s.Tasks[0].SigBlk = procfs.SigSetOf(syscall.SIGINT, syscall.SIGTERM)
			s.FDs = append(s.FDs, signalfd)
		}, planted: planted, id: "sigdisp", want: report.Pass, says: "consumed by a signalfd"},
		{name: "F11 ignored and in a signalfd's mask, but not blocked", mutate: func(s *Snapshot) {
			s.Status.SigIgn = procfs.SigSetOf(syscall.SIGINT)
			s.FDs = append(s.FDs, signalfd)
		}, planted: planted, id: "sigdisp", want: report.Fail, says: "still ignored"},
		{name: "F11 SIGTERM ignored but read by a signalfd", mutate: func(s *Snapshot) {
			s.Status.SigIgn = procfs.SigSetOf(syscall.SIGTERM)
			s.Tasks[0].SigBlk = procfs.SigSetOf(syscall.SIGTERM)
			s.FDs = append(s.FDs, signalfd)
		}, id: "sigdisp", want: report.Pass, says: "SIGTERM ignored, but blocked"},
		{name: "F14 memfd", mutate: func(s *Snapshot) {
			s.FDs = append(s.FDs, procfs.FD{Num: 3, Target: "/memfd:conf (deleted)", HasStat: true, Mode: unix.S_IFREG})
		}, id: "fds", want: report.Pass, says: "all explained"},
		{name: "F14 the interpreter's script", mutate: func(s *Snapshot) {
			s.Cmdline = []string{"/usr/bin/perl", "-wT", "/usr/sbin/munin-node"}
			s.FDs = append(s.FDs, procfs.FD{Num: 3, Target: "/usr/sbin/munin-node", HasStat: true, Mode: unix.S_IFREG})
		}, id: "fds", want: report.Pass, says: "all explained"},
		{name: "F14 a file that is not the script", mutate: func(s *Snapshot) {
			s.Cmdline = []string{"/usr/bin/perl", "-wT", "/usr/sbin/munin-node"}
			s.FDs = append(s.FDs, procfs.FD{Num: 3, Target: "/var/cache/x", HasStat: true, Mode: unix.S_IFREG})
		}, id: "fds", want: report.Warn, says: "not explained"},
		{name: "F9 a renamed socket is no hint", mutate: func(s *Snapshot) {
			s.FDs = append(s.FDs, procfs.FD{Num: 3, Target: "socket:[77]", Ino: 77, HasStat: true, Mode: unix.S_IFSOCK})
			s.Listeners = map[uint64]procfs.Listener{77: {Proto: "unix", Path: "/run/haproxy/admin.sock.15164.tmp", Inode: 77}}
			s.UnboundPaths = map[uint64]bool{77: true}
		}, id: "lock", want: report.Warn, says: "bound as /run/haproxy/admin.sock.15164.tmp, since renamed or removed"},
		// Debian round 3: knotd blocks every signal it does not handle,
		// SIGPIPE (harmless blocked, and handled) among them.
		{name: "R3 a service's own mask names what matters", mutate: func(s *Snapshot) {
			s.Unit = "knot.service"
			s.Status.SigCgt = procfs.SigSetOf(syscall.SIGPIPE, syscall.SIGTERM, syscall.SIGHUP)
			s.Tasks = []Task{{TID: 500, SigBlk: procfs.SigSetOf(syscall.SIGPIPE, syscall.SIGUSR2), State: 'S'}}
		}, id: "sigmask", want: report.Fail, says: "SIGUSR2 blocked by the daemon itself in all 1 thread(s) (systemd starts a service with an empty mask), and nothing waits for it"},
		// systemd passes a service nothing but 0-2 and sockets: a file
		// beyond them is the daemon's own (monit's state file).
		{name: "R3 a service's own file", mutate: func(s *Snapshot) {
			s.Unit = "monit.service"
			s.FDs = append(s.FDs, procfs.FD{Num: 3, Target: "/var/lib/monit/state", HasStat: true, Mode: unix.S_IFREG})
		}, id: "fds", want: report.Warn, says: "a file the daemon opened and kept"},
		// An init script's unit: systemd does not know the main pid.
		{name: "R4 no pid file, a unit made from an init script", mutate: func(s *Snapshot) {
			s.Unit = "inetutils-syslogd.service"
		}, id: "pidfile", want: report.Warn, says: "made from an init script, and without a pid file systemd does not know its main pid"},
		{name: "R4 no pid file, a native unit", mutate: func(s *Snapshot) {
			s.Unit = "cron.service"
		}, id: "pidfile", want: report.Skip, says: "systemd tracks the main pid of cron.service"},
		// runsvdir: stderr on a pipe whose read end it holds itself.
		{name: "R4 stderr on a pipe it reads itself", mutate: func(s *Snapshot) {
			s.FDs[2] = procfs.FD{Num: 2, Target: "pipe:[77]", HasStat: true, Mode: unix.S_IFIFO, HasInfo: true, Info: procfs.FDInfo{Flags: unix.O_WRONLY}}
			s.FDs = append(s.FDs, procfs.FD{Num: 3, Target: "pipe:[77]", HasStat: true, Mode: unix.S_IFIFO, HasInfo: true, Info: procfs.FDInfo{Flags: unix.O_RDONLY}})
		}, id: "stdio", want: report.Fail, says: "2→pipe:[77] (a pipe it reads itself on fd 3, not the launcher's"},
		// ngircd, tinyproxy: a service's umask that systemd did not give.
		{name: "R4 a service's own umask", mutate: func(s *Snapshot) {
			s.Unit = "ngircd.service"
			s.Status.Umask = 0o077
		}, id: "umask", want: report.Warn, says: "umask 0077: the unit's UMask=, or the daemon's own umask() (systemd's default is 0022)"},
		// knot: a read lock on a file in a per-run temporary directory,
		// since deleted: no pid file, and no lock that keeps a second
		// copy out.
		{name: "R4 a read lock is no single-instance lock", mutate: func(s *Snapshot) {
			s.FDs = append(s.FDs, heldFD(3, "/var/lib/knot/lock.mdb", "READ"))
		}, id: "lock", want: report.Warn, says: "no pid file"},
		{name: "R4 a write lock on a deleted file is none either", mutate: func(s *Snapshot) {
			s.FDs = append(s.FDs, heldFD(3, "/tmp/knot-confdb.U21mDT/lock.mdb (deleted)", "WRITE"))
		}, id: "lock", want: report.Warn, says: "no pid file"},
		{name: "R4 a write lock on a file it keeps does keep it out", mutate: func(s *Snapshot) {
			s.FDs = append(s.FDs, heldFD(3, "/var/lib/knot/lock", "WRITE"))
		}, id: "lock", want: report.Pass, says: "holds write POSIX (fcntl) lock on fd 3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := daemonSnapshot()
			tt.mutate(s)
			got := findCheck(t, Judge(s, DefaultProfile(), tt.planted), tt.id)
			assert.Equal(t, tt.want, got.Status, "observed: %s", got.Observed)
			assert.Contains(t, got.Observed, tt.says)
		})
	}
}

// heldFD is a regular file open on num that holds a POSIX lock (access
// READ or WRITE).
func heldFD(num int, target, access string) procfs.FD {
	return procfs.FD{Num: num, Target: target, HasStat: true, Mode: unix.S_IFREG, Ino: 900, HasInfo: true,
		Info: procfs.FDInfo{Locks: []procfs.Lock{{Class: "POSIX", Kind: "ADVISORY", Access: access, PID: 500, Inode: 900}}}}
}
