package checker

import (
	"context"
	"errors"
	"io/fs"
	"syscall"
	"testing"

	"github.com/daemonlab/daemonlab/checker/launch"
	"github.com/daemonlab/daemonlab/checker/procfs"
	"github.com/daemonlab/daemonlab/report"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

func devNull(num int) procfs.FD {
	return procfs.FD{Num: num, Target: "/dev/null", HasStat: true, Mode: unix.S_IFCHR | 0o666, Rdev: unix.Mkdev(1, 3)}
}

func pts(num int) procfs.FD {
	return procfs.FD{Num: num, Target: "/dev/pts/3", HasStat: true, Mode: unix.S_IFCHR | 0o620, Rdev: unix.Mkdev(136, 3)}
}

// daemonSnapshot is a textbook double-forked daemon; cases mutate it.
func daemonSnapshot() *Snapshot {
	return &Snapshot{
		PID:       500,
		Stat:      procfs.Stat{PID: 500, Comm: "refdaemon", State: 'S', PPID: 1, PGRP: 499, Session: 499, TTYNr: 0, TPGID: -1},
		Status:    procfs.Status{Name: "refdaemon", HasUmask: true, Umask: 0},
		Cwd:       "/",
		FDs:       []procfs.FD{devNull(0), devNull(1), devNull(2)},
		Tasks:     []Task{{TID: 500}},
		Ancestors: []Relative{{PID: 1, Comm: "systemd"}},
		Environ:   []string{"PATH=/usr/bin"},
		SelfPID:   42, SelfSID: 40,
	}
}

func TestStaticChecksOnSnapshots(t *testing.T) {
	planted := &launch.Planted{Umask: 0o077, Blocked: []syscall.Signal{syscall.SIGUSR1}, Ignored: []syscall.Signal{syscall.SIGINT},
		MarkerFD: 9, MarkerDev: 7, MarkerIno: 77, Canary: "DAEMONLAB_CANARY", Dir: "/tmp/launch", LauncherPID: 450, LauncherSID: 440, LauncherExited: true, Subreaper: 42}
	tests := []struct {
		name    string
		mutate  func(s *Snapshot, p *Profile)
		planted *launch.Planted
		id      string
		want    report.Status
		says    string
	}{
		{"double fork is not a leader", nil, nil, "session", report.Pass, "double fork"},
		{"single fork leader", func(s *Snapshot, p *Profile) { s.Stat.Session, s.Stat.PGRP = 500, 500 }, nil, "session", report.Pass, "single fork"},
		{"lab wants a leader", func(s *Snapshot, p *Profile) { p.Session = "leader" }, nil, "session", report.Fail, "double fork"},
		{"lab wants double fork", func(s *Snapshot, p *Profile) { s.Stat.Session = 500; p.Session = "non-leader" }, nil, "session", report.Fail, "single fork"},
		{"still in the terminal's session", func(s *Snapshot, p *Profile) {
			s.Stat.Session = 300
			s.SessionLeader = &Relative{PID: 300, Comm: "bash", Stat: procfs.Stat{TTYNr: 34819}}
		}, nil, "session", report.Fail, "owns terminal /dev/pts/3"},
		{"in the launcher's session", func(s *Snapshot, p *Profile) {
			s.Stat.Session = 440
			s.SessionLeader = &Relative{PID: 440, Comm: "daemonlab"}
		}, planted, "session", report.Fail, "launcher's terminal session"},
		{"worker in its master's session", func(s *Snapshot, p *Profile) {
			s.Stat.Session = 400
			s.SessionLeader = &Relative{PID: 400, Comm: "nginx"}
			s.Ancestors = append([]Relative{{PID: 400, Comm: "nginx"}}, s.Ancestors...)
		}, nil, "session", report.Pass, "ancestor"},
		{"controlling terminal", func(s *Snapshot, p *Profile) { s.Stat.TTYNr, s.Stat.TPGID = 34819, 500 }, nil, "no-tty", report.Fail, "/dev/pts/3"},
		{"no ctty but a terminal fd", func(s *Snapshot, p *Profile) { s.FDs[1] = pts(1) }, nil, "no-tty", report.Warn, "fd 1 on /dev/pts/3"},
		{"parent is a shell", func(s *Snapshot, p *Profile) {
			s.Stat.PPID = 300
			s.Ancestors = []Relative{{PID: 300, Comm: "bash"}, {PID: 1, Comm: "init"}}
		}, nil, "parent", report.Fail, "never orphaned"},
		{"a worker of its master daemon", func(s *Snapshot, p *Profile) {
			s.Stat.PPID = 400
			s.Ancestors = []Relative{{PID: 400, Comm: "refdaemon", Stat: procfs.Stat{PPID: 1}}, {PID: 1, Comm: "init"}}
		}, nil, "parent", report.Pass, "worker"},
		{"the daemon the pid file names is not a worker", func(s *Snapshot, p *Profile) {
			s.Stat.PPID = 400
			s.Ancestors = []Relative{{PID: 400, Comm: "refdaemon", Stat: procfs.Stat{PPID: 1}}, {PID: 1, Comm: "init"}}
			s.PIDFile = PIDFile{Path: "/run/refdaemon.pid", Exists: true, PID: 500}
		}, nil, "parent", report.Fail, "never orphaned"},
		{"parent is a user systemd", func(s *Snapshot, p *Profile) {
			s.Stat.PPID = 900
			s.Ancestors = []Relative{{PID: 900, Comm: "systemd"}, {PID: 1, Comm: "systemd"}}
		}, nil, "parent", report.Pass, "service manager"},
		{"adopted by the checker", func(s *Snapshot, p *Profile) { s.Stat.PPID = 42 }, planted, "parent", report.Pass, "subreaper"},
		{"the launched process never forked", func(s *Snapshot, p *Profile) { s.PID = 450 }, planted, "parent", report.Fail, "never forked"},
		{"cwd in a home directory", func(s *Snapshot, p *Profile) { s.Cwd = "/home/student" }, nil, "cwd", report.Fail, "most likely the shell's"},
		{"cwd in a spool directory", func(s *Snapshot, p *Profile) { s.Cwd = "/var/spool/cron" }, nil, "cwd", report.Warn, "deliberate"},
		{"cwd elsewhere where a lab names /", func(s *Snapshot, p *Profile) { s.Cwd, p.Cwd = "/var/spool/cron", "/" }, nil, "cwd", report.Fail, "/var/spool/cron"},
		{"no lock, but a listening socket", func(s *Snapshot, p *Profile) {
			s.FDs = append(s.FDs, procfs.FD{Num: 3, Target: "socket:[77]", Ino: 77, HasStat: true, Mode: unix.S_IFSOCK})
			s.Listeners = map[uint64]procfs.Listener{77: {Proto: "tcp", Port: 22, Inode: 77}}
		}, nil, "lock", report.Warn, "tcp port 22"},
		{"cwd unreadable is unknown", func(s *Snapshot, p *Profile) { s.CwdErr = fs.ErrPermission }, nil, "cwd", report.Unknown, "permission denied"},
		{"lab cwd", func(s *Snapshot, p *Profile) { s.Cwd, p.Cwd = "/var/lib/x", "/var/lib/x" }, nil, "cwd", report.Pass, "/var/lib/x"},
		{"umask 022 is a warning", func(s *Snapshot, p *Profile) { s.Status.Umask = 0o22 }, nil, "umask", report.Warn, "0022"},
		{"umask unchanged since launch", func(s *Snapshot, p *Profile) { s.Status.Umask = 0o77 }, planted, "umask", report.Fail, "never called umask"},
		{"umask missing on old kernels", func(s *Snapshot, p *Profile) { s.Status.HasUmask = false }, nil, "umask", report.Unknown, "4.7"},
		{"stdio closed", func(s *Snapshot, p *Profile) { s.FDs = nil }, nil, "stdio", report.Fail, "0→closed"},
		{"stdio on a terminal", func(s *Snapshot, p *Profile) { s.FDs[2] = pts(2) }, nil, "stdio", report.Fail, "a terminal"},
		{"stdio to the journal under systemd", func(s *Snapshot, p *Profile) {
			s.Unit = "cron.service"
			s.FDs[1] = procfs.FD{Num: 1, Target: "socket:[123]"}
		}, nil, "stdio", report.Pass, "journal"},
		{"a socket on stdout outside systemd", func(s *Snapshot, p *Profile) { s.FDs[1] = procfs.FD{Num: 1, Target: "socket:[123]"} }, nil, "stdio", report.Fail, "socket"},
		{"spare /dev/null leaks", func(s *Snapshot, p *Profile) { s.FDs = append(s.FDs, devNull(3)) }, nil, "fds", report.Fail, "/dev/null beyond 2"},
		{"planted marker leaks", func(s *Snapshot, p *Profile) {
			s.FDs = append(s.FDs, procfs.FD{Num: 9, Target: "/tmp/launch/marker", HasStat: true, Mode: unix.S_IFREG, Dev: 7, Ino: 77})
		}, planted, "fds", report.Fail, "marker"},
		{"runtime descriptors are fine", func(s *Snapshot, p *Profile) {
			s.FDs = append(s.FDs, procfs.FD{Num: 3, Target: "socket:[1]"}, procfs.FD{Num: 4, Target: "anon_inode:[eventpoll]"},
				procfs.FD{Num: 5, Target: "pipe:[9]"}, procfs.FD{Num: 6, Target: "pipe:[9]"})
		}, nil, "fds", report.Pass, "all explained"},
		{"a lone pipe end is unexplained", func(s *Snapshot, p *Profile) { s.FDs = append(s.FDs, procfs.FD{Num: 3, Target: "pipe:[9]"}) }, nil, "fds", report.Warn, "pipe"},
		{"planted blocked signal in every thread", func(s *Snapshot, p *Profile) {
			s.Tasks = []Task{{TID: 500, SigBlk: procfs.SigSetOf(syscall.SIGUSR1)}, {TID: 501, SigBlk: procfs.SigSetOf(syscall.SIGUSR1)}}
		}, planted, "sigmask", report.Fail, "in all 2 thread(s)"},
		{"planted blocked signal in one thread of two is delivered", func(s *Snapshot, p *Profile) {
			s.Tasks = []Task{{TID: 500}, {TID: 501, SigBlk: procfs.SigSetOf(syscall.SIGUSR1)}}
		}, planted, "sigmask", report.Pass, "501"},
		{"planted blocked signal with a handler is not excused", func(s *Snapshot, p *Profile) {
			s.Tasks = []Task{{TID: 500, SigBlk: procfs.SigSetOf(syscall.SIGUSR1)}}
			s.Status.SigCgt = procfs.SigSetOf(syscall.SIGUSR1, syscall.SIGHUP)
		}, planted, "sigmask", report.Fail, "a handler is installed"},
		{"planted blocked signal taken by a signalfd", func(s *Snapshot, p *Profile) {
			s.Tasks = []Task{{TID: 500, SigBlk: procfs.SigSetOf(syscall.SIGUSR1)}}
			s.FDs = append(s.FDs, procfs.FD{Num: 3, Target: "anon_inode:[signalfd]", HasInfo: true, Info: procfs.FDInfo{HasSigMask: true, SigMask: procfs.SigSetOf(syscall.SIGUSR1)}})
		}, planted, "sigmask", report.Pass, ""},
		{"SIGTERM blocked everywhere", func(s *Snapshot, p *Profile) { s.Tasks[0].SigBlk = procfs.SigSetOf(syscall.SIGTERM) }, nil, "sigmask", report.Fail, "never be delivered"},
		{"SIGTERM blocked everywhere in launch mode is the daemon's doing", func(s *Snapshot, p *Profile) { s.Tasks[0].SigBlk = procfs.SigSetOf(syscall.SIGTERM) }, planted, "sigmask", report.Fail, "by the daemon itself"},
		{"blocked but consumed by a signalfd", func(s *Snapshot, p *Profile) {
			s.Tasks[0].SigBlk = procfs.SigSetOf(syscall.SIGTERM)
			s.FDs = append(s.FDs, procfs.FD{Num: 3, Target: "anon_inode:[signalfd]", HasInfo: true, Info: procfs.FDInfo{HasSigMask: true, SigMask: procfs.SigSetOf(syscall.SIGTERM)}})
		}, nil, "sigmask", report.Pass, "on purpose"},
		{"caught and blocked between sigsuspend calls", func(s *Snapshot, p *Profile) {
			s.Tasks[0].SigBlk = procfs.SigSetOf(syscall.SIGTERM, syscall.SIGHUP)
			s.Status.SigCgt = procfs.SigSetOf(syscall.SIGTERM, syscall.SIGHUP)
		}, nil, "sigmask", report.Pass, "on purpose"},
		{"planted and not caught, even in one thread", func(s *Snapshot, p *Profile) {
			s.Tasks = []Task{{TID: 500, SigBlk: procfs.SigSetOf(syscall.SIGUSR1)}}
			s.Status.SigCgt = procfs.SigSetOf(syscall.SIGTERM)
		}, planted, "sigmask", report.Fail, "as the launcher left it"},
		{"blocked but a thread sigwaits", func(s *Snapshot, p *Profile) {
			s.Tasks = []Task{{TID: 500, SigBlk: procfs.SigSetOf(syscall.SIGTERM), Wchan: "do_sigtimedwait"}}
		}, nil, "sigmask", report.Pass, "on purpose"},
		{"planted ignore survives", func(s *Snapshot, p *Profile) { s.Status.SigIgn = procfs.SigSetOf(syscall.SIGINT) }, planted, "sigdisp", report.Fail, "SIGINT is still ignored"},
		{"SIGTERM ignored", func(s *Snapshot, p *Profile) { s.Status.SigIgn = procfs.SigSetOf(syscall.SIGTERM) }, nil, "sigdisp", report.Fail, "cannot be stopped"},
		{"SIGINT ignored in attach mode is advice", func(s *Snapshot, p *Profile) { s.Status.SigIgn = procfs.SigSetOf(syscall.SIGINT) }, nil, "sigdisp", report.Warn, "SIGINT"},
		{"SIGHUP ignored where reload is wanted", func(s *Snapshot, p *Profile) {
			s.Status.SigIgn = procfs.SigSetOf(syscall.SIGHUP)
			p.SIGHUP = "reload"
		}, nil, "sigdisp", report.Fail, "reload"},
		{"canary present: advice", func(s *Snapshot, p *Profile) { s.Environ = append(s.Environ, "DAEMONLAB_CANARY=1") }, planted, "env", report.Warn, "cannot be seen"},
		{"canary present, exec-clean required", func(s *Snapshot, p *Profile) {
			s.Environ = append(s.Environ, "DAEMONLAB_CANARY=1")
			p.Env = SevFail
		}, planted, "env", report.Fail, "DAEMONLAB_CANARY"},
		{"login session variables", func(s *Snapshot, p *Profile) { s.Environ = append(s.Environ, "SSH_TTY=/dev/pts/3") }, nil, "env", report.Warn, "SSH_TTY"},
		{"privileges not required", nil, nil, "privileges", report.Skip, "uid 0"},
		{"root groups kept after setuid", func(s *Snapshot, p *Profile) {
			s.Status.Uid, s.Status.Gid, s.Status.Groups = [4]uint32{65534, 65534, 65534, 65534}, [4]uint32{65534, 65534, 65534, 65534}, []uint32{0}
			p.Privileges.User = "nobody"
		}, nil, "privileges", report.Fail, "supplementary group 0"},
		{"saved uid still root", func(s *Snapshot, p *Profile) {
			s.Status.Uid, s.Status.Gid = [4]uint32{65534, 65534, 0, 65534}, [4]uint32{65534, 65534, 65534, 65534}
			p.Privileges.User = "nobody"
		}, nil, "privileges", report.Fail, "make it root again"},
		{"no pid file outside systemd", nil, nil, "pidfile", report.Warn, "no pid file"},
		{"no pid file under systemd", func(s *Snapshot, p *Profile) { s.Unit = "x.service" }, nil, "pidfile", report.Skip, "systemd"},
		{"no pid file where required", func(s *Snapshot, p *Profile) { p.RequirePIDFile = true }, nil, "pidfile", report.Fail, "no pid file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, p := daemonSnapshot(), DefaultProfile()
			if tt.mutate != nil {
				tt.mutate(s, &p)
			}
			got := findCheck(t, Judge(s, p, tt.planted), tt.id)
			assert.Equal(t, tt.want, got.Status, "observed: %s", got.Observed)
			assert.Contains(t, got.Observed, tt.says)
		})
	}
}

func TestReferenceSnapshotPassesEverything(t *testing.T) {
	for _, c := range Judge(daemonSnapshot(), DefaultProfile(), nil) {
		assert.NotEqual(t, report.Fail, c.Status, "%s: %s", c.ID, c.Observed)
	}
}

func TestParsePID(t *testing.T) {
	for _, tt := range []struct {
		raw     string
		pid     int
		wantErr string
	}{
		{"1234\n", 1234, ""},
		{"1234\x00", 1234, ""},
		{"  1234  \n\n", 1234, ""},
		{"1234 extra words", 1234, ""},
		{"", 0, "empty"},
		{"\x00\n", 0, "empty"},
		{"abc", 0, "not a pid"},
		{"-5", 0, "not a pid"},
	} {
		pid, err := ParsePID([]byte(tt.raw))
		if tt.wantErr != "" {
			assert.ErrorContains(t, err, tt.wantErr, "%q", tt.raw)
			continue
		}
		assert.NoError(t, err, "%q", tt.raw)
		assert.Equal(t, tt.pid, pid, "%q", tt.raw)
	}
}

func TestTakeRejectsZombiesAndKernelThreads(t *testing.T) {
	fs := procfs.New("procfs/testdata/proc")
	_, err := Take(context.Background(), 813, Options{Proc: fs})
	var bad *BadTargetError
	require.True(t, errors.As(err, &bad), "%v", err)
	assert.Contains(t, bad.Reason, "zombie")
	_, err = Take(context.Background(), 900, Options{Proc: fs})
	require.True(t, errors.As(err, &bad), "%v", err)
	assert.Contains(t, bad.Reason, "kernel thread")
	_, err = Take(context.Background(), 4242, Options{Proc: fs})
	assert.ErrorIs(t, err, ErrNoProcess)
}

func TestUnitFromCgroup(t *testing.T) {
	assert.Equal(t, "cron.service", UnitFromCgroup("0::/system.slice/cron.service\n"))
	assert.Equal(t, "ssh.service", UnitFromCgroup("12:pids:/\n1:name=systemd:/system.slice/ssh.service\n0::/\n"))
	assert.Equal(t, "", UnitFromCgroup("0::/\n"))
	assert.Equal(t, "session-3.scope", UnitFromCgroup("0::/user.slice/user-0.slice/session-3.scope\n"))
}
