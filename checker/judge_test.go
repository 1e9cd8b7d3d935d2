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
		{name: "double fork is not a leader", id: "session", want: report.Pass, says: "double fork"},
		{name: "single fork leader", mutate: func(s *Snapshot, p *Profile) { s.Stat.Session, s.Stat.PGRP = 500, 500 }, id: "session", want: report.Pass, says: "single fork"},
		{name: "lab wants a leader", mutate: func(s *Snapshot, p *Profile) { p.Session = "leader" }, id: "session", want: report.Fail, says: "double fork"},
		{name: "lab wants double fork", mutate: func(s *Snapshot, p *Profile) { s.Stat.Session = 500; p.Session = "non-leader" }, id: "session", want: report.Fail, says: "single fork"},
		{name: "still in the terminal's session", mutate: func(s *Snapshot, p *Profile) {
			s.Stat.Session = 300
			s.SessionLeader = &Relative{PID: 300, Comm: "bash", Stat: procfs.Stat{TTYNr: 34819}}
		}, id: "session", want: report.Fail, says: "owns terminal /dev/pts/3"},
		{name: "in the launcher's session", mutate: func(s *Snapshot, p *Profile) {
			s.Stat.Session = 440
			s.SessionLeader = &Relative{PID: 440, Comm: "daemonlab"}
		}, planted: planted, id: "session", want: report.Fail, says: "launcher's terminal session"},
		{name: "worker in its master's session", mutate: func(s *Snapshot, p *Profile) {
			s.Stat.Session = 400
			s.SessionLeader = &Relative{PID: 400, Comm: "nginx"}
			s.Ancestors = append([]Relative{{PID: 400, Comm: "nginx"}}, s.Ancestors...)
		}, id: "session", want: report.Pass, says: "ancestor"},
		{name: "controlling terminal", mutate: func(s *Snapshot, p *Profile) { s.Stat.TTYNr, s.Stat.TPGID = 34819, 500 }, id: "no-tty", want: report.Fail, says: "/dev/pts/3"},
		{name: "no ctty but a terminal fd", mutate: func(s *Snapshot, p *Profile) { s.FDs[1] = pts(1) }, id: "no-tty", want: report.Warn, says: "fd 1 on /dev/pts/3"},
		{name: "parent is a shell", mutate: func(s *Snapshot, p *Profile) {
			s.Stat.PPID = 300
			s.Ancestors = []Relative{{PID: 300, Comm: "bash"}, {PID: 1, Comm: "init"}}
		}, id: "parent", want: report.Fail, says: "never orphaned"},
		{name: "a worker of its master daemon", mutate: func(s *Snapshot, p *Profile) {
			s.Stat.PPID = 400
			s.Ancestors = []Relative{{PID: 400, Comm: "refdaemon", Stat: procfs.Stat{PPID: 1}}, {PID: 1, Comm: "init"}}
		}, id: "parent", want: report.Pass, says: "worker"},
		{name: "the daemon the pid file names is not a worker", mutate: func(s *Snapshot, p *Profile) {
			s.Stat.PPID = 400
			s.Ancestors = []Relative{{PID: 400, Comm: "refdaemon", Stat: procfs.Stat{PPID: 1}}, {PID: 1, Comm: "init"}}
			s.PIDFile = PIDFile{Path: "/run/refdaemon.pid", Exists: true, PID: 500}
		}, id: "parent", want: report.Fail, says: "never orphaned"},
		{name: "parent is a user systemd", mutate: func(s *Snapshot, p *Profile) {
			s.Stat.PPID = 900
			s.Ancestors = []Relative{{PID: 900, Comm: "systemd"}, {PID: 1, Comm: "systemd"}}
		}, id: "parent", want: report.Pass, says: "service manager"},
		{name: "adopted by the checker", mutate: func(s *Snapshot, p *Profile) { s.Stat.PPID = 42 }, planted: planted, id: "parent", want: report.Pass, says: "subreaper"},
		{name: "the launched process never forked", mutate: func(s *Snapshot, p *Profile) { s.PID = 450 }, planted: planted, id: "parent", want: report.Fail, says: "never forked"},
		{name: "cwd in a home directory", mutate: func(s *Snapshot, p *Profile) { s.Cwd = "/home/student" }, id: "cwd", want: report.Fail, says: "most likely the shell's"},
		{name: "cwd in a spool directory", mutate: func(s *Snapshot, p *Profile) { s.Cwd = "/var/spool/cron" }, id: "cwd", want: report.Warn, says: "deliberate"},
		{name: "cwd elsewhere where a lab names /", mutate: func(s *Snapshot, p *Profile) { s.Cwd, p.Cwd = "/var/spool/cron", "/" }, id: "cwd", want: report.Fail, says: "/var/spool/cron"},
		{name: "no lock, but a listening socket", mutate: func(s *Snapshot, p *Profile) {
			s.FDs = append(s.FDs, procfs.FD{Num: 3, Target: "socket:[77]", Ino: 77, HasStat: true, Mode: unix.S_IFSOCK})
			s.Listeners = map[uint64]procfs.Listener{77: {Proto: "tcp", Port: 22, Inode: 77}}
		}, id: "lock", want: report.Warn, says: "tcp port 22"},
		{name: "cwd unreadable is unknown", mutate: func(s *Snapshot, p *Profile) { s.CwdErr = fs.ErrPermission }, id: "cwd", want: report.Unknown, says: "permission denied"},
		{name: "lab cwd", mutate: func(s *Snapshot, p *Profile) { s.Cwd, p.Cwd = "/var/lib/x", "/var/lib/x" }, id: "cwd", want: report.Pass, says: "/var/lib/x"},
		{name: "umask 022 is a warning", mutate: func(s *Snapshot, p *Profile) { s.Status.Umask = 0o22 }, id: "umask", want: report.Warn, says: "0022"},
		{name: "umask unchanged since launch", mutate: func(s *Snapshot, p *Profile) { s.Status.Umask = 0o77 }, planted: planted, id: "umask", want: report.Fail, says: "never called umask"},
		{name: "umask missing on old kernels", mutate: func(s *Snapshot, p *Profile) { s.Status.HasUmask = false }, id: "umask", want: report.Unknown, says: "4.7"},
		{name: "stdio closed", mutate: func(s *Snapshot, p *Profile) { s.FDs = nil }, id: "stdio", want: report.Fail, says: "0→closed"},
		{name: "stdio on a terminal", mutate: func(s *Snapshot, p *Profile) { s.FDs[2] = pts(2) }, id: "stdio", want: report.Fail, says: "a terminal"},
		{name: "stdio to the journal under systemd", mutate: func(s *Snapshot, p *Profile) {
			s.Unit = "cron.service"
			s.FDs[1] = procfs.FD{Num: 1, Target: "socket:[123]", Ino: 123}
			s.UnixStreams = map[uint64]bool{123: true}
		}, id: "stdio", want: report.Pass, says: "1→journal stream"},
		// Debian round 4: proftpd closed 0-2 and its listener took fd 0.
		{name: "a listener on stdin under systemd is no journal stream", mutate: func(s *Snapshot, p *Profile) {
			s.Unit = "proftpd.service"
			s.FDs[0] = procfs.FD{Num: 0, Target: "socket:[124]", Ino: 124}
			s.Listeners = map[uint64]procfs.Listener{124: {Proto: "tcp", Port: 21, Inode: 124}}
		}, id: "stdio", want: report.Fail, says: "descriptor reused by a listening socket"},
		{name: "a unix stream on stdin under systemd is no journal stream", mutate: func(s *Snapshot, p *Profile) {
			s.Unit = "cron.service"
			s.FDs[0] = procfs.FD{Num: 0, Target: "socket:[125]", Ino: 125}
			s.UnixStreams = map[uint64]bool{125: true}
		}, id: "stdio", want: report.Fail, says: "0→socket:[125] (a socket"},
		{name: "a socket on stdout outside systemd", mutate: func(s *Snapshot, p *Profile) { s.FDs[1] = procfs.FD{Num: 1, Target: "socket:[123]"} }, id: "stdio", want: report.Fail, says: "socket"},
		{name: "spare /dev/null leaks", mutate: func(s *Snapshot, p *Profile) { s.FDs = append(s.FDs, devNull(3)) }, id: "fds", want: report.Fail, says: "/dev/null beyond 2"},
		{name: "planted marker leaks", mutate: func(s *Snapshot, p *Profile) {
			s.FDs = append(s.FDs, procfs.FD{Num: 9, Target: "/tmp/launch/marker", HasStat: true, Mode: unix.S_IFREG, Dev: 7, Ino: 77})
		}, planted: planted, id: "fds", want: report.Fail, says: "marker"},
		{name: "runtime descriptors are fine", mutate: func(s *Snapshot, p *Profile) {
			s.FDs = append(s.FDs, procfs.FD{Num: 3, Target: "socket:[1]"}, procfs.FD{Num: 4, Target: "anon_inode:[eventpoll]"},
				procfs.FD{Num: 5, Target: "pipe:[9]"}, procfs.FD{Num: 6, Target: "pipe:[9]"})
		}, id: "fds", want: report.Pass, says: "all explained"},
		{name: "a lone pipe end is unexplained", mutate: func(s *Snapshot, p *Profile) { s.FDs = append(s.FDs, procfs.FD{Num: 3, Target: "pipe:[9]"}) }, id: "fds", want: report.Warn, says: "pipe"},
		{name: "planted blocked signal in every thread", mutate: func(s *Snapshot, p *Profile) {
			s.Tasks = []Task{{TID: 500, SigBlk: procfs.SigSetOf(syscall.SIGUSR1)}, {TID: 501, SigBlk: procfs.SigSetOf(syscall.SIGUSR1)}}
		}, planted: planted, id: "sigmask", want: report.Fail, says: "in all 2 thread(s)"},
		{name: "planted blocked signal in one thread of two is delivered", mutate: func(s *Snapshot, p *Profile) {
			s.Tasks = []Task{{TID: 500}, {TID: 501, SigBlk: procfs.SigSetOf(syscall.SIGUSR1)}}
		}, planted: planted, id: "sigmask", want: report.Pass, says: "501"},
		{name: "planted blocked signal with a handler is not excused", mutate: func(s *Snapshot, p *Profile) {
			s.Tasks = []Task{{TID: 500, SigBlk: procfs.SigSetOf(syscall.SIGUSR1)}}
			s.Status.SigCgt = procfs.SigSetOf(syscall.SIGUSR1, syscall.SIGHUP)
		}, planted: planted, id: "sigmask", want: report.Fail, says: "a handler is installed"},
		{name: "planted blocked signal taken by a signalfd", mutate: func(s *Snapshot, p *Profile) {
			s.Tasks = []Task{{TID: 500, SigBlk: procfs.SigSetOf(syscall.SIGUSR1)}}
			s.FDs = append(s.FDs, procfs.FD{Num: 3, Target: "anon_inode:[signalfd]", HasInfo: true, Info: procfs.FDInfo{HasSigMask: true, SigMask: procfs.SigSetOf(syscall.SIGUSR1)}})
		}, planted: planted, id: "sigmask", want: report.Pass, says: ""},
		{name: "SIGTERM blocked everywhere", mutate: func(s *Snapshot, p *Profile) { s.Tasks[0].SigBlk = procfs.SigSetOf(syscall.SIGTERM) }, id: "sigmask", want: report.Fail, says: "never be delivered"},
		{name: "SIGTERM blocked everywhere in launch mode is the daemon's doing", mutate: func(s *Snapshot, p *Profile) { s.Tasks[0].SigBlk = procfs.SigSetOf(syscall.SIGTERM) }, planted: planted, id: "sigmask", want: report.Fail, says: "by the daemon itself"},
		// caught running between two sigsuspend waits: a moment's mask
		{name: "SIGTERM blocked everywhere while running", mutate: func(s *Snapshot, p *Profile) {
			s.Tasks[0].SigBlk = procfs.SigSetOf(syscall.SIGTERM)
			s.Stat.State = 'R'
		}, planted: planted, id: "sigmask", want: report.Warn, says: "not asleep"},
		{name: "blocked but consumed by a signalfd", mutate: func(s *Snapshot, p *Profile) {
			s.Tasks[0].SigBlk = procfs.SigSetOf(syscall.SIGTERM)
			s.FDs = append(s.FDs, procfs.FD{Num: 3, Target: "anon_inode:[signalfd]", HasInfo: true, Info: procfs.FDInfo{HasSigMask: true, SigMask: procfs.SigSetOf(syscall.SIGTERM)}})
		}, id: "sigmask", want: report.Pass, says: "on purpose"},
		// F2 (qa2 d12): a handler alone excuses nothing; asleep (not in
		// sigsuspend, which would show its temporary mask), the signal
		// stays pending for ever
		{name: "caught and blocked while asleep is not excused by the handler", mutate: func(s *Snapshot, p *Profile) {
			s.Tasks[0] = Task{TID: 500, SigBlk: procfs.SigSetOf(syscall.SIGTERM, syscall.SIGHUP), State: 'S', Wchan: "__do_sys_pause"}
			s.Status.SigCgt = procfs.SigSetOf(syscall.SIGTERM, syscall.SIGHUP)
			s.Status.ShdPnd = procfs.SigSetOf(syscall.SIGTERM)
		}, id: "sigmask", want: report.Fail, says: "a handler is installed for SIGHUP,SIGTERM, but a blocked signal never reaches it; SIGTERM already pending (asleep in __do_sys_pause)"},
		{name: "caught and blocked while asleep, launch mode", mutate: func(s *Snapshot, p *Profile) {
			s.Tasks[0] = Task{TID: 500, SigBlk: procfs.SigSetOf(syscall.SIGTERM), State: 'S'}
			s.Status.SigCgt = procfs.SigSetOf(syscall.SIGTERM)
		}, planted: planted, id: "sigmask", want: report.Fail, says: "by the daemon itself"},
		// the Go runtime catches every signal: attach mode must still see
		// one blocked in every thread
		{name: "caught by every thread's runtime, blocked in all of them", mutate: func(s *Snapshot, p *Profile) {
			s.Tasks = []Task{{TID: 500, SigBlk: procfs.SigSetOf(syscall.SIGUSR1), State: 'S', Wchan: "futex_wait_queue"},
				{TID: 501, SigBlk: procfs.SigSetOf(syscall.SIGUSR1), State: 'S', Wchan: "do_epoll_wait"}}
			s.Status.SigCgt = ^procfs.SigSet(0)
		}, id: "sigmask", want: report.Fail, says: "SIGUSR1 blocked in all 2 thread(s)"},
		{name: "caught and blocked, one thread running", mutate: func(s *Snapshot, p *Profile) {
			s.Tasks = []Task{{TID: 500, SigBlk: procfs.SigSetOf(syscall.SIGTERM), State: 'S'}, {TID: 501, SigBlk: procfs.SigSetOf(syscall.SIGTERM), State: 'R'}}
			s.Status.SigCgt = procfs.SigSetOf(syscall.SIGTERM)
		}, id: "sigmask", want: report.Warn, says: "not asleep"},
		{name: "caught and blocked while stopped", mutate: func(s *Snapshot, p *Profile) {
			s.Tasks[0] = Task{TID: 500, SigBlk: procfs.SigSetOf(syscall.SIGTERM), State: 'T'}
		}, id: "sigmask", want: report.Warn, says: "neither asleep nor running (state T)"},
		{name: "an exited main thread does not count", mutate: func(s *Snapshot, p *Profile) {
			s.Tasks = []Task{{TID: 500, State: 'Z'}, {TID: 501, SigBlk: procfs.SigSetOf(syscall.SIGUSR1), State: 'S'}}
		}, id: "sigmask", want: report.Pass, says: "not in all of 2 thread(s)"},
		{name: "planted and not caught, even in one thread", mutate: func(s *Snapshot, p *Profile) {
			s.Tasks = []Task{{TID: 500, SigBlk: procfs.SigSetOf(syscall.SIGUSR1)}}
			s.Status.SigCgt = procfs.SigSetOf(syscall.SIGTERM)
		}, planted: planted, id: "sigmask", want: report.Fail, says: "as the launcher left it"},
		// the kernel lifts the signals a thread waits for in sigwait()
		// from its mask while it sleeps (do_sigtimedwait)
		{name: "blocked but a thread sigwaits", mutate: func(s *Snapshot, p *Profile) {
			s.Tasks = []Task{{TID: 500, SigBlk: procfs.SigSetOf(syscall.SIGTERM), Wchan: "__do_sys_pause"}, {TID: 501, Wchan: "do_sigtimedwait.isra.0"}}
		}, id: "sigmask", want: report.Pass, says: "on purpose in 2 thread(s): thread(s) 501 wait for them in sigwait()"},
		{name: "a thread sigwaits for other signals", mutate: func(s *Snapshot, p *Profile) {
			s.Tasks = []Task{{TID: 500, SigBlk: procfs.SigSetOf(syscall.SIGTERM), Wchan: "do_sigtimedwait.isra.0"}}
		}, id: "sigmask", want: report.Fail, says: "(asleep in do_sigtimedwait.isra.0, in sigwait() for other signals)"},
		{name: "planted blocked signal while a thread sigwaits for another", mutate: func(s *Snapshot, p *Profile) {
			s.Tasks = []Task{{TID: 500, SigBlk: procfs.SigSetOf(syscall.SIGUSR1), Wchan: "do_sigtimedwait.isra.0"}}
		}, planted: planted, id: "sigmask", want: report.Fail, says: "as the launcher left it"},
		{name: "planted blocked signal taken by a sigwait thread", mutate: func(s *Snapshot, p *Profile) {
			s.Tasks = []Task{{TID: 500, SigBlk: procfs.SigSetOf(syscall.SIGUSR1)}, {TID: 501, Wchan: "do_sigtimedwait.isra.0"}}
		}, planted: planted, id: "sigmask", want: report.Pass, says: "taken by thread(s) 501 asleep in sigwait()"},
		{name: "planted ignore survives", mutate: func(s *Snapshot, p *Profile) { s.Status.SigIgn = procfs.SigSetOf(syscall.SIGINT) }, planted: planted, id: "sigdisp", want: report.Fail, says: "SIGINT is still ignored"},
		{name: "SIGTERM ignored", mutate: func(s *Snapshot, p *Profile) { s.Status.SigIgn = procfs.SigSetOf(syscall.SIGTERM) }, id: "sigdisp", want: report.Fail, says: "cannot be stopped"},
		// F6 (qa2 d8): attach mode cannot know who ignored SIGHUP
		{name: "SIGHUP ignored in attach mode: who did it is not known", mutate: func(s *Snapshot, p *Profile) { s.Status.SigIgn = procfs.SigSetOf(syscall.SIGHUP) }, id: "sigdisp", want: report.Warn, says: "SIGHUP is ignored (by the daemon, or inherited from nohup or its launcher)"},
		{name: "SIGHUP ignored in launch mode is the daemon's", mutate: func(s *Snapshot, p *Profile) { s.Status.SigIgn = procfs.SigSetOf(syscall.SIGHUP) }, planted: planted, id: "sigdisp", want: report.Warn, says: "SIGHUP is ignored by the daemon itself (launch mode left it at its default)"},
		{name: "SIGINT ignored in attach mode is advice", mutate: func(s *Snapshot, p *Profile) { s.Status.SigIgn = procfs.SigSetOf(syscall.SIGINT) }, id: "sigdisp", want: report.Warn, says: "SIGINT"},
		{name: "SIGHUP ignored where reload is wanted", mutate: func(s *Snapshot, p *Profile) {
			s.Status.SigIgn = procfs.SigSetOf(syscall.SIGHUP)
			p.SIGHUP = "reload"
		}, id: "sigdisp", want: report.Fail, says: "reload"},
		{name: "canary present: advice", mutate: func(s *Snapshot, p *Profile) { s.Environ = append(s.Environ, "DAEMONLAB_CANARY=1") }, planted: planted, id: "env", want: report.Warn, says: "cannot be seen"},
		{name: "canary present, exec-clean required", mutate: func(s *Snapshot, p *Profile) {
			s.Environ = append(s.Environ, "DAEMONLAB_CANARY=1")
			p.Env = SevFail
		}, planted: planted, id: "env", want: report.Fail, says: "DAEMONLAB_CANARY"},
		{name: "login session variables", mutate: func(s *Snapshot, p *Profile) { s.Environ = append(s.Environ, "SSH_TTY=/dev/pts/3") }, id: "env", want: report.Warn, says: "SSH_TTY"},
		{name: "privileges not required", id: "privileges", want: report.Skip, says: "uid 0"},
		{name: "root groups kept after setuid", mutate: func(s *Snapshot, p *Profile) {
			s.Status.UID, s.Status.GID, s.Status.Groups = [4]uint32{65534, 65534, 65534, 65534}, [4]uint32{65534, 65534, 65534, 65534}, []uint32{0}
			p.Privileges.User = "nobody"
		}, id: "privileges", want: report.Fail, says: "supplementary group 0"},
		{name: "saved uid still root", mutate: func(s *Snapshot, p *Profile) {
			s.Status.UID, s.Status.GID = [4]uint32{65534, 65534, 0, 65534}, [4]uint32{65534, 65534, 65534, 65534}
			p.Privileges.User = "nobody"
		}, id: "privileges", want: report.Fail, says: "make it root again"},
		{name: "no pid file outside systemd", id: "pidfile", want: report.Warn, says: "no pid file"},
		{name: "no pid file under systemd", mutate: func(s *Snapshot, p *Profile) { s.Unit = "x.service" }, id: "pidfile", want: report.Skip, says: "systemd"},
		{name: "pid file names a pid that has exited", mutate: func(s *Snapshot, p *Profile) {
			s.PIDFile = PIDFile{Path: "/run/refdaemon.pid", Exists: true, Raw: []byte("600\n"), PID: 600}
		}, id: "pidfile", want: report.Fail, says: "600 is not running"},
		{name: "pid file names another running process", mutate: func(s *Snapshot, p *Profile) {
			s.PIDFile = PIDFile{Path: "/run/refdaemon.pid", Exists: true, Raw: []byte("600\n"), PID: 600}
			s.Live = map[int]bool{600: true}
		}, id: "pidfile", want: report.Fail, says: "names pid 600, but the daemon is pid 500"},
		{name: "no pid file where required", mutate: func(s *Snapshot, p *Profile) { p.RequirePIDFile = true }, id: "pidfile", want: report.Fail, says: "no pid file"},
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
		{raw: "1234\n", pid: 1234},
		{raw: "1234\x00", pid: 1234},
		{raw: "  1234  \n\n", pid: 1234},
		{raw: "1234 extra words", pid: 1234},
		{raw: "", pid: 0, wantErr: "empty"},
		{raw: "\x00\n", pid: 0, wantErr: "empty"},
		{raw: "abc", pid: 0, wantErr: "not a pid"},
		{raw: "-5", pid: 0, wantErr: "not a pid"},
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

// Judging reads nothing: whether a pid the pid file names still runs is
// what Take found (Live), not what /proc says now.
func TestJudgeTakesLivenessFromTheSnapshot(t *testing.T) {
	s := daemonSnapshot()
	s.PIDFile = PIDFile{Path: "/run/refdaemon.pid", Exists: true, Raw: []byte("1\n"), PID: 1}
	got := findCheck(t, Judge(s, DefaultProfile(), nil), "pidfile")
	assert.Contains(t, got.Observed, "1 is not running", "pid 1 runs here, but the snapshot does not say so")
	s.Live = map[int]bool{1: true}
	got = findCheck(t, Judge(s, DefaultProfile(), nil), "pidfile")
	assert.NotContains(t, got.Observed, "not running")
}

// TestUnreadableEnvIsAdviceUnlessRequired: a process title written over
// /proc/PID/environ makes env unknown; as advice (the default) it is not
// required, so it cannot make a run incomplete; a profile that asks for an
// exec-clean environment keeps it required.
func TestUnreadableEnvIsAdviceUnlessRequired(t *testing.T) {
	s := daemonSnapshot()
	s.Environ, s.EnvRewritten = nil, "a process title"
	got := findCheck(t, Judge(s, DefaultProfile(), nil), "env")
	assert.Equal(t, report.Unknown, got.Status)
	assert.False(t, got.Required, "advice")
	strict := DefaultProfile()
	strict.Env = SevFail
	got = findCheck(t, Judge(s, strict, nil), "env")
	assert.Equal(t, report.Unknown, got.Status)
	assert.True(t, got.Required, "an exec-clean environment asked for")
}
