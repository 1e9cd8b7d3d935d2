package probe_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/daemonlab/daemonlab/checker"
	"github.com/daemonlab/daemonlab/checker/launch"
	"github.com/daemonlab/daemonlab/checker/probe"
	"github.com/daemonlab/daemonlab/checker/procfs"
	"github.com/daemonlab/daemonlab/internal/testutil"
	"github.com/daemonlab/daemonlab/report"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// token marks every process these tests start (their pid file path is in
// their arguments), for the leak scan at the end.
var token = "dlprobe" + strconv.FormatInt(time.Now().UnixNano(), 36)

func TestMain(m *testing.M) {
	code := m.Run()
	if leaks := testutil.Alive(token); len(leaks) > 0 {
		fmt.Fprintf(os.Stderr, "LEAK: still alive:\n  %s\n", strings.Join(leaks, "\n  "))
		code = 1
	}
	os.Exit(code)
}

// fixture is a Python daemon done by the book (double fork, setsid, /, umask
// 0, /dev/null, its pid file locked, ready only once it is written) whose
// other behaviours its words after the pid file choose:
//
//	refuse-after-worker  a second start, before it refuses (exit 1), has the
//	                     first daemon fork a worker (SIGUSR2) and waits for it
//	unlink               a second start removes the pid file, then exits 1
//	quiet                a second start exits 0 and starts nothing
//	foreground           no fork at all: it never returns
//	reraise              its SIGTERM handler re-raises SIGTERM (postfix)
//	slowhup              its SIGHUP handler works 0.4 s, SIGTERM ignored meanwhile
//	blockterm            SIGTERM stays blocked
//	emptyterm            on SIGTERM it empties its pid file, not removes it (lighttpd)
//	lateunlink           on SIGTERM it exits, and its pid file goes 0.1 s later (systemd's PIDFile=)
//	leave                on SIGTERM it exits 0 and leaves its pid file
//
// A second start is refused by the launcher itself (exit 1) unless a word
// says otherwise.
const fixture = `#!/usr/bin/env python3
import fcntl, os, signal, sys, time
pidfile = sys.argv[1]
modes = set(sys.argv[2:])
here = os.path.dirname(pidfile)
worker = os.path.join(here, "worker.pid")
signal.pthread_sigmask(signal.SIG_SETMASK, [])
signal.signal(signal.SIGINT, signal.SIG_DFL)

def locked():
    fd = os.open(pidfile, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return False
    except OSError:
        return True
    finally:
        os.close(fd)

if locked():  # already running
    if "unlink" in modes:
        os.unlink(pidfile)
    if "quiet" in modes:
        sys.exit(0)
    if "refuse-after-worker" in modes:
        os.kill(int(open(pidfile).read()), signal.SIGUSR2)
        deadline = time.time() + 10
        while not os.path.exists(worker) and time.time() < deadline:
            time.sleep(0.01)
    sys.exit(1)

if "foreground" not in modes:
    r, w = os.pipe()
    if os.fork() > 0:
        os.close(w)
        os._exit(0 if os.read(r, 1) else 1)
    os.close(r)
    os.setsid()
    if os.fork() > 0:
        os._exit(0)
    os.chdir("/")
    os.umask(0)
    fd = os.open("/dev/null", os.O_RDWR)
    for i in range(3):
        os.dup2(fd, i)
    os.closerange(3, w)
    os.closerange(w + 1, 1024)
pf = os.open(pidfile, os.O_RDWR | os.O_CREAT, 0o644)
fcntl.lockf(pf, fcntl.LOCK_EX | fcntl.LOCK_NB)
os.ftruncate(pf, 0)
os.write(pf, b"%d\n" % os.getpid())

def term(*_):
    if "reraise" in modes:  # clean up, then die by the signal
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        os.kill(os.getpid(), signal.SIGTERM)
        return
    if "emptyterm" in modes:
        os.ftruncate(pf, 0)
        os._exit(0)
    if "lateunlink" in modes and os.fork() == 0:
        time.sleep(0.1)
        os.unlink(pidfile)
        os._exit(0)
    if "lateunlink" not in modes and "leave" not in modes:
        os.unlink(pidfile)
    os._exit(0)

def hup(*_):
    if "slowhup" in modes:  # a long reload, SIGTERM ignored meanwhile
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        end = time.time() + 0.4
        while time.time() < end:
            pass
        signal.signal(signal.SIGTERM, term)

def fork_worker(*_):
    if os.fork() == 0:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        open(worker + ".tmp", "w").write("%d\n" % os.getpid())
        os.rename(worker + ".tmp", worker)
        while True:
            time.sleep(1000)

signal.signal(signal.SIGTERM, term)
signal.signal(signal.SIGHUP, hup)
def reap(*_):  # how its worker ended, as supervisord logs it
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        how = "signal %d" % os.WTERMSIG(status) if os.WIFSIGNALED(status) else "exit %d" % os.WEXITSTATUS(status)
        open(worker + ".tmp", "w").write(how)
        os.rename(worker + ".tmp", worker + ".end")

signal.signal(signal.SIGUSR2, fork_worker)
signal.signal(signal.SIGCHLD, reap)
if "blockterm" in modes:
    signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGTERM])
if "foreground" not in modes:
    os.write(w, b"r")  # ready: the launcher returns 0
    os.close(w)
while True:
    signal.pause()
`

// launched runs the fixture with modes through launch mode, with only
// the probes named, and hands the report and the run's directory to
// inspect before the session (and every process of it) is closed.
func launched(t *testing.T, modes []string, opts probe.Options, inspect func(r *report.Report, dir string)) {
	t.Helper()
	testutil.SkipShort(t, "no real daemons")
	dir, err := os.MkdirTemp("", token+"-")
	require.NoError(t, err)
	t.Cleanup(func() { os.RemoveAll(dir) })
	prog := filepath.Join(dir, "fixtured")
	require.NoError(t, os.WriteFile(prog, []byte(fixture), 0o755))
	pidfile := filepath.Join(dir, "d.pid")
	sess, err := launch.NewSession(launch.DefaultConfig(prog, append([]string{pidfile}, modes...)))
	require.NoError(t, err)
	// kills and reaps every process of the run, by pid, the whole tree
	defer func() { require.NoError(t, sess.Close()) }()
	prof := checker.DefaultProfile()
	prof.PIDFile = pidfile
	inspect(probe.LaunchCheck(context.Background(), sess, sess.Proc(), prof, opts), dir)
}

func options(timeout time.Duration, probes ...string) probe.Options {
	opts := probe.DefaultOptions()
	opts.LaunchTimeout, opts.TermTimeout = timeout, timeout
	opts.Probes = probes
	return opts
}

func find(t *testing.T, r *report.Report, id string) report.Check {
	t.Helper()
	c, ok := r.Find(id)
	require.True(t, ok, "no %s check in the report", id)
	return c
}

// The second start: judged by what the second start itself did. A worker
// the FIRST daemon forks meanwhile is the first daemon's own: not "a
// second copy", and never killed (squid's kids, supervisord's programs).
// A pid file the second start removed is said to be removed; a second
// start that ran nothing and exited 0 is told to exit non-zero.
func TestSingleInstance(t *testing.T) {
	tests := []struct {
		name        string
		modes       []string
		status      report.Status
		says        []string
		notSays     []string
		workerAlive bool
	}{
		{name: "the first daemon forks a worker meanwhile", modes: []string{"refuse-after-worker"}, status: report.Pass,
			says: []string{"the launcher exit status 1"}, notSays: []string{"second copy kept running"}, workerAlive: true},
		{name: "the second start removes the pid file", modes: []string{"unlink"}, status: report.Fail,
			says: []string{"the pid file (naming", "was removed"}, notSays: []string{`to ""`}},
		{name: "the second start runs nothing and exits 0", modes: []string{"quiet"}, status: report.Fail,
			says: []string{"the second start ran no second copy but exited 0 (success): exit non-zero when already running"}, notSays: []string{"nothing refused"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			launched(t, tt.modes, options(5*time.Second, "single-instance"), func(r *report.Report, dir string) {
				c := find(t, r, "single-instance")
				assert.Equal(t, tt.status, c.Status, c.Observed)
				for _, s := range tt.says {
					assert.Contains(t, c.Observed, s)
				}
				for _, s := range tt.notSays {
					assert.NotContains(t, c.Observed, s)
				}
				if tt.workerAlive {
					raw, err := os.ReadFile(filepath.Join(dir, "worker.pid"))
					require.NoError(t, err, "the first daemon forked no worker")
					pid, err := checker.ParsePID(raw)
					require.NoError(t, err)
					// Ended by us now, the first daemon sees our SIGTERM end
					// it: it was alive until then, never killed by the probe.
					if id, err := launch.IdentityOf(procfs.New(""), pid); err == nil {
						_ = id.Signal(procfs.New(""), syscall.SIGTERM)
					}
					end := filepath.Join(dir, "worker.pid.end")
					require.Eventually(t, func() bool { _, err := os.Stat(end); return err == nil }, 10*time.Second, 5*time.Millisecond, "the first daemon did not see its worker end")
					how, err := os.ReadFile(end)
					require.NoError(t, err)
					assert.Equal(t, "signal 15", string(how), "the first daemon's worker was not alive until the test ended it")
				}
			})
		})
	}
}

// A program that never returns, even without a stale pid file, cannot be
// judged on stale pid files: skip, pointing at ready (fail2ban-server -xf).
func TestStalePIDFileOfAProgramThatNeverReturns(t *testing.T) {
	launched(t, []string{"foreground"}, options(time.Second, "ready", "stale-pidfile"), func(r *report.Report, _ string) {
		assert.Equal(t, report.Fail, find(t, r, "ready").Status)
		c := find(t, r, "stale-pidfile")
		assert.Equal(t, report.Skip, c.Status, c.Observed)
		assert.Equal(t, "cannot be judged: the program does not return even without a stale pid file; see ready", c.Observed)
	})
}

// What sigterm says: a daemon that catches SIGTERM and re-raises it is not
// told its default action killed it (postfix); one that keeps SIGTERM
// blocked is told so, not that it ignores it; a daemon whose reload is
// still under way when SIGTERM would come is left to finish it first
// (munin-node), so sigterm judges its shutdown, not the sighup probe's
// timing.
func TestSIGTERM(t *testing.T) {
	tests := []struct {
		name    string
		modes   []string
		probes  []string
		status  report.Status
		says    string // in observed, once
		hint    string
		notHint string
	}{
		{name: "handled, then re-raised", modes: []string{"reraise"}, probes: []string{"sigterm"}, status: report.Fail,
			says: "killed by SIGTERM", hint: "it handles SIGTERM but then dies by the signal (re-raised", notHint: "default action"},
		{name: "pid file left behind", modes: []string{"leave"}, probes: []string{"sigterm"}, status: report.Fail,
			says: "left behind", hint: "unlink the pid file"},
		{name: "pid file emptied, not removed", modes: []string{"emptyterm"}, probes: []string{"sigterm"}, status: report.Pass,
			says: "emptied, not removed: it names no process"},
		{name: "pid file removed just after the exit, as systemd does", modes: []string{"lateunlink"}, probes: []string{"sigterm"}, status: report.Pass,
			says: "exit status 0"},
		{name: "kept blocked", modes: []string{"blockterm"}, probes: []string{"sigterm"}, status: report.Fail,
			says: "SIGTERM is blocked (SigBlk)", hint: "unblock SIGTERM", notHint: "never ignore it"},
		{name: "right after a long reload", modes: []string{"slowhup"}, probes: []string{"sighup", "sigterm"}, status: report.Pass,
			says: "exit status 0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			launched(t, tt.modes, options(2*time.Second, tt.probes...), func(r *report.Report, _ string) {
				if len(tt.probes) > 1 {
					assert.Equal(t, report.Pass, find(t, r, "sighup").Status)
				}
				c := find(t, r, "sigterm")
				assert.Equal(t, tt.status, c.Status, c.Observed)
				assert.Equal(t, 1, strings.Count(c.Observed, tt.says), c.Observed)
				assert.Contains(t, c.Hint, tt.hint)
				if tt.notHint != "" {
					assert.NotContains(t, c.Hint, tt.notHint)
				}
			})
		})
	}
}

// The attach-mode probe list is refused as a whole when one probe needs
// launch mode.
func TestCheckAttach(t *testing.T) {
	assert.NoError(t, probe.CheckAttach(nil))
	assert.NoError(t, probe.CheckAttach([]string{"sighup", "sigterm"}))
	err := probe.CheckAttach([]string{"sighup", "sigterm", "single-instance"})
	require.Error(t, err)
	assert.Contains(t, err.Error(), `probe "single-instance" needs launch mode`)
}
