package probe

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"strings"
	"syscall"
	"time"

	"github.com/daemonlab/daemonlab/checker"
	"github.com/daemonlab/daemonlab/checker/launch"
	"github.com/daemonlab/daemonlab/checker/procfs"
	"github.com/daemonlab/daemonlab/report"
)

// singleInstance starts a second copy while the first runs. Every process
// the second start creates must exit within the deadline, the refusal
// visible as a non-zero status of the launcher or of its forked copy (both
// seen, as subreaper); the first daemon keeps its pid; the pid file is
// unchanged. What the first run forks meanwhile (its workers) is its own:
// neither waited for nor signalled.
func (l *launchRun) singleInstance() report.Check {
	ctx, sess, fs, first, pf, opts := l.ctx, l.sess, l.fs, l.target, l.pf, l.opts
	start := time.Now()
	expected := "a second start exits non-zero promptly; the first daemon and its pid file are untouched"
	check := checker.Check("single-instance").Expected(expected).Since(start)
	const lockHint = "lock the pid file (fcntl F_SETLK / flock LOCK_NB) before writing it, and exit non-zero when the lock is taken."
	// Every process of the run alive now is the first run's, and so is
	// whatever they fork meanwhile (squid's kids, supervisord's programs):
	// never the second start's, never signalled.
	before := map[int]uint64{}
	for _, p := range sess.Processes() {
		if id, err := launch.IdentityOf(fs, p); err == nil {
			before[p] = id.StartTicks
		}
	}
	if first.ID.PID > 1 {
		before[first.ID.PID] = first.ID.StartTicks
	}
	pidBefore, hadPIDFile := readPIDFileRaw(pf.Path)

	mark := sess.Mark()
	second, err := l.launch()
	run, exit, exited := second.run, second.exit, second.exited
	if err != nil {
		return check.Result(report.Error, "could not start a second copy: "+err.Error(), "")
	}
	// Wait for everything the second start created to end: those still
	// running now, and (through the exit log) those already gone.
	var survivors []int
	copies := 0 // processes of the second start besides its launcher
	deadline := time.Now().Add(opts.SecondTimeout)
	for _, p := range sess.Processes() {
		if p == run.Launcher || firstRuns(fs, before, p) {
			continue
		}
		id, err := launch.IdentityOf(fs, p)
		if err != nil {
			continue
		}
		copies++
		wctx, wcancel := context.WithDeadline(ctx, deadline)
		_, ok := sess.WaitExit(wctx, id)
		wcancel()
		if !ok {
			survivors = append(survivors, p)
			_ = id.Signal(fs, syscall.SIGKILL)
		}
	}
	var exits []launch.Exit
	for _, e := range sess.ExitsSince(mark) {
		if _, ok := before[e.PID]; !ok { // not one of the first run's, orphaned and ended
			exits = append(exits, e)
		}
	}
	copies += len(exits)
	if !exited {
		survivors = append(survivors, run.Launcher)
	}
	var problems []string
	if !first.ID.Alive(fs) {
		problems = append(problems, fmt.Sprintf("the first daemon (pid %d) is gone", first.ID.PID))
	}
	if pf.Path != "" {
		pidAfter, hasPIDFile := readPIDFileRaw(pf.Path)
		switch {
		case hadPIDFile && !hasPIDFile:
			problems = append(problems, fmt.Sprintf("the pid file (naming %q) was removed", strings.TrimSpace(string(pidBefore))))
		case !bytes.Equal(pidBefore, pidAfter) || hadPIDFile != hasPIDFile:
			problems = append(problems, fmt.Sprintf("the pid file changed from %q to %q", strings.TrimSpace(string(pidBefore)), strings.TrimSpace(string(pidAfter))))
		}
	}
	if len(survivors) > 0 {
		problems = append(problems, fmt.Sprintf("a second copy kept running (pid %v)", survivors))
	}
	refusedBy := ""
	if exited && !exit.Success() {
		refusedBy = "the launcher " + exit.String()
	}
	for _, e := range exits {
		if refusedBy == "" && !e.Success() {
			refusedBy = fmt.Sprintf("its forked copy (pid %d) %s", e.PID, e)
		}
	}
	if len(problems) == 0 && refusedBy == "" {
		if copies == 0 {
			problems = append(problems, "the second start ran no second copy but exited 0 (success): exit non-zero when already running")
		} else {
			problems = append(problems, "every process of the second start exited 0: nothing refused")
		}
	}
	if len(problems) > 0 {
		return check.Result(report.Fail, "second start: "+strings.Join(problems, "; "), lockHint)
	}
	observed := "the second start was refused: " + refusedBy
	if exited && exit.Success() {
		observed += " — but its launcher had already exited 0, telling the caller the start succeeded; take the lock before the original process exits"
	}
	return check.Result(report.Pass, observed, "")
}

// stalePIDFile leaves a pid file naming a dead process (as a crash would)
// and starts the program again: a fresh start must not be stopped by it.
func (l *launchRun) stalePIDFile(old launch.Identity) report.Check {
	sess, fs, pf, opts := l.sess, l.fs, l.pf, l.opts
	start := time.Now()
	expected := "a pid file naming a dead process does not stop a new start"
	check := checker.Check("stale-pidfile").Expected(expected).Since(start)
	if pf.Path == "" {
		return check.Result(report.Skip, "no pid file known (give --pidfile)", "")
	}
	if !l.firstReturned {
		// a launcher that does not return here says nothing of pid files
		return check.Result(report.Skip, "cannot be judged: the program does not return even without a stale pid file; see ready", "")
	}
	// Make sure nothing of the earlier runs holds the lock any more.
	_ = sess.KillAll()
	dead := old.PID
	if old.Alive(fs) || fs.Exists(dead) {
		return check.Result(report.Skip, fmt.Sprintf("pid %d is in use again; cannot fake a stale pid file", dead), "")
	}
	if err := plantStale(pf, dead); err != nil {
		return check.Result(report.Error, "could not plant a stale pid file: "+err.Error(), "")
	}
	pid, again, err := l.startDaemon(pf.Path)
	exit, exited := again.exit, again.exited
	if err != nil {
		return check.Result(report.Error, "could not start again: "+err.Error(), "")
	}
	hint := "decide \"already running\" by the lock, not by the pid file's existence or content: a crashed daemon leaves its pid file behind."
	if !exited {
		return check.Result(report.Fail, fmt.Sprintf("with a stale pid file (naming dead pid %d) the launcher did not return within %s", dead, opts.LaunchTimeout), hint)
	}
	if !exit.Success() {
		return check.Result(report.Fail, fmt.Sprintf("a stale pid file (naming dead pid %d) stopped a fresh start: the launcher %s", dead, exit), hint)
	}
	raw := readFile(pf.Path)
	named, _ := checker.ParsePID(raw)
	if pid == 0 || named != pid {
		return check.Result(report.Fail, fmt.Sprintf("after a stale pid file (dead pid %d) no new daemon took it over (pid file now %q)", dead, strings.TrimSpace(string(raw))), hint)
	}
	return check.Result(report.Pass, fmt.Sprintf("started over a stale pid file naming dead pid %d; now pid %d", dead, pid), "")
}

// plantStale writes a pid file naming dead as the crashed daemon would
// have left it: with the owner and mode its own pid file had. A daemon
// that writes its pid file after dropping privileges (memcached -u) must
// be able to replace it, as it could replace its own; one left by root
// would stop it for a reason no crash produces.
func plantStale(pf checker.PIDFile, dead int) error {
	mode := pf.Mode.Perm()
	if mode == 0 {
		mode = 0o644
	}
	if err := os.WriteFile(pf.Path, []byte(fmt.Sprintf("%d\n", dead)), mode); err != nil {
		return err
	}
	if err := os.Chmod(pf.Path, mode); err != nil {
		return err
	}
	if os.Geteuid() == 0 && pf.Ino != 0 {
		return os.Lchown(pf.Path, int(pf.UID), int(pf.GID))
	}
	return nil
}

// firstRuns reports whether pid belongs to the first run: it, or one of
// its ancestors, was alive before the second start (before maps those
// pids to their start times, so a reused pid is not taken for one).
func firstRuns(fs procfs.FS, before map[int]uint64, pid int) bool {
	self := os.Getpid()
	for hops := 0; pid > 1 && pid != self && hops < 4096; hops++ {
		st, err := fs.Stat(pid)
		if err != nil {
			return false
		}
		if ticks, ok := before[pid]; ok && ticks == st.StartTicks {
			return true
		}
		pid = st.PPID
	}
	return false
}

// readPIDFileRaw reads a pid file's bytes and whether it exists.
func readPIDFileRaw(path string) ([]byte, bool) {
	if path == "" {
		return nil, false
	}
	data, err := os.ReadFile(path)
	return data, err == nil
}

func readFile(path string) []byte {
	if path == "" {
		return nil
	}
	data, _ := os.ReadFile(path)
	return data
}
