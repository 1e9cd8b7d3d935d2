package probe

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/daemonlab/daemonlab/checker"
	"github.com/daemonlab/daemonlab/checker/launch"
	"github.com/daemonlab/daemonlab/checker/procfs"
	"github.com/daemonlab/daemonlab/report"
)

// Options tune the deadlines and evidence of launch mode.
type Options struct {
	// LaunchTimeout bounds the wait for the launched program to exit.
	LaunchTimeout time.Duration
	// DaemonTimeout bounds the wait for the daemon (and its pid file) once
	// the launcher has exited.
	DaemonTimeout time.Duration
	// TermTimeout is the graceful-shutdown deadline.
	TermTimeout time.Duration
	// SecondTimeout bounds the wait for a refused second copy to exit.
	SecondTimeout time.Duration
	Reload        Reload
	// Workers bounds the workers probe (opt-in: see OptIn).
	Workers WorkerOptions
	// Probes lists the probes to run; nil means all of them but the opt-in
	// ones.
	Probes []string
}

// DefaultOptions are deadlines generous for a loaded CI machine; every
// wait ends as soon as its event happens.
func DefaultOptions() Options {
	return Options{LaunchTimeout: 5 * time.Second, DaemonTimeout: 3 * time.Second, TermTimeout: 5 * time.Second, SecondTimeout: 3 * time.Second,
		Workers: DefaultWorkerOptions()}
}

// IDs lists the probes of launch mode, in the order they run.
var IDs = []string{"ready", "single-instance", "sighup", "workers", "sigterm", "stale-pidfile"}

// OptIn lists the probes that run only when asked for (a lab that grades
// them asks): workers watches the daemon's children for a while after the
// reload.
var OptIn = []string{"workers"}

func (o Options) wants(id string) bool {
	if o.Probes == nil {
		for _, p := range OptIn {
			if p == id {
				return false
			}
		}
		return true
	}
	for _, p := range o.Probes {
		if p == id {
			return true
		}
	}
	return false
}

// LaunchCheck launches the session's program, judges the daemon it leaves
// behind against what was planted, then runs the probes. It always returns
// a complete report; the caller closes the session (killing everything).
// When ctx ends (Ctrl-C) the checks not yet done are marked "not run",
// never given a result a cut-short wait would make up.
func LaunchCheck(ctx context.Context, sess *launch.Session, fs procfs.FS, prof checker.Profile, opts Options) *report.Report {
	r := &report.Report{Tool: "daemonlab", Mode: report.ModeLaunch, Started: time.Now()}
	sess.SetPIDFile(prof.PIDFile)
	l := &launchRun{ctx: ctx, sess: sess, fs: fs, prof: prof, opts: opts}
	first, err := l.launch()
	l.firstReturned = first.exited
	if ctx.Err() != nil {
		r.Checks = notRunChecks(prof, opts)
		return r
	}
	if err != nil {
		r.Errors = append(r.Errors, err.Error())
		r.Checks = errorChecks(prof, "the program could not be started: "+err.Error())
		return r
	}
	atExit := readPIDFile(prof.PIDFile)
	if raw, ok, known := first.run.PIDFileAtExit(); known && first.exited {
		// as the launch shell read it the moment the launcher exited
		atExit = pidFileAt{}
		if ok {
			pid, err := checker.ParsePID(raw)
			atExit = pidFileAt{exists: true, pid: pid, err: err}
		}
	}
	pid := l.waitDaemon(first, prof.PIDFile, opts.daemonTimeout())
	if ctx.Err() != nil {
		r.Checks = notRunChecks(prof, opts)
		return r
	}
	ready := l.judgeReady(first, atExit, pid)
	if pid == 0 {
		// One finding: the launcher's fate and its last words. The static
		// checks have nothing to look at, and thirteen lines saying so
		// would bury the one that matters.
		r.Checks = []report.Check{ready}
		return r
	}
	id, err := launch.IdentityOf(fs, pid)
	snap, serr := checker.Take(ctx, pid, checker.Options{Proc: fs, PIDFile: prof.PIDFile})
	if err != nil || serr != nil {
		reason := fmt.Sprintf("the daemon (pid %d) exited before it could be inspected", pid)
		r.Checks = append([]report.Check{ready}, errorChecks(prof, reason)...)
		return r
	}
	r.Target, r.Tree = snap.Target(), snap.Tree()
	r.Checks = append(r.Checks, checker.Judge(snap, prof, first.run.Planted())...)
	if opts.wants("ready") {
		r.Checks = append(r.Checks, ready)
	}
	// A probe cut short by an interruption would make up its result, and
	// one started after it would act on the daemon for nothing: both are
	// "not run".
	runProbe := func(id string, probe func() report.Check) {
		if !opts.wants(id) {
			return
		}
		if ctx.Err() != nil {
			r.Checks = append(r.Checks, NotRun(id))
			return
		}
		c := probe()
		if ctx.Err() != nil {
			c = NotRun(id)
		}
		r.Checks = append(r.Checks, c)
		l.last = id
	}

	// The probes act on the process the pid file names, when there is one:
	// that is what an init script would signal.
	l.pf = snap.PIDFile
	l.target = Target{ID: id, Proc: fs, Session: sess}
	if l.pf.PID != 0 && l.pf.PID != pid {
		l.target.ID = launch.Identity{PID: l.pf.PID}
		if named, err := launch.IdentityOf(fs, l.pf.PID); err == nil {
			l.target.ID = named
		}
	}
	runProbe("single-instance", l.singleInstance)
	// Each signal probe needs a live daemon: when an earlier probe ended it
	// (a fatal SIGHUP), start a fresh one so every probe measures its own
	// property instead of inheriting the previous failure.
	runProbe("sighup", func() report.Check {
		return l.withDaemon("sighup", func(t Target, _ checker.PIDFile) report.Check {
			return SIGHUP(ctx, t, prof.SIGHUP, opts.Reload, opts.TermTimeout)
		})
	})
	runProbe("workers", func() report.Check {
		return l.withDaemon("workers", func(t Target, _ checker.PIDFile) report.Check {
			return Workers(ctx, t, opts.Workers)
		})
	})
	runProbe("sigterm", func() report.Check {
		return l.withDaemon("sigterm", func(t Target, p checker.PIDFile) report.Check {
			return SIGTERM(ctx, t, p, opts.TermTimeout)
		})
	})
	runProbe("stale-pidfile", func() report.Check { return l.stalePIDFile(id) })
	return r
}

// launchRun is one run of launch mode: the session that launches the
// program, the /proc it is watched through, the profile and deadlines, and
// the daemon the probes act on.
type launchRun struct {
	ctx  context.Context
	sess *launch.Session
	fs   procfs.FS
	prof checker.Profile
	opts Options
	// target is the daemon the probes act on and pf its pid file as the
	// snapshot read it; withDaemon replaces both when it starts a fresh
	// daemon.
	target Target
	pf     checker.PIDFile
	// firstReturned is whether the first start returned within the launch
	// deadline; last is the probe run before the current one.
	firstReturned bool
	last          string
}

// start is one start of the program: the launcher and, once it returned
// within the launch deadline, its exit status.
type start struct {
	run    *launch.Run
	exit   launch.Exit
	exited bool
}

// daemonTimeout bounds the wait for the daemon's pid file once the
// launcher has exited: a late pid file costs only ready, so wait for it as
// long as for the launcher itself.
func (o Options) daemonTimeout() time.Duration { return max(o.DaemonTimeout, o.LaunchTimeout) }

// errorChecks stands in for the static checks when there is nothing to
// inspect: every one is an error, so the result stays complete.
func errorChecks(prof checker.Profile, reason string) []report.Check {
	var out []report.Check
	for _, id := range checker.StaticIDs() {
		out = append(out, checker.Check(id).Result(report.Error, reason, ""))
	}
	return out
}

// notRunChecks marks every check of the run "not run" (interrupted).
func notRunChecks(prof checker.Profile, opts Options) []report.Check {
	var out []report.Check
	for _, id := range checker.StaticIDs() {
		if !prof.IsDisabled(id) {
			out = append(out, NotRun(id))
		}
	}
	for _, id := range IDs {
		if opts.wants(id) {
			out = append(out, NotRun(id))
		}
	}
	return out
}

// pidFileAt is the pid file as read at one moment.
type pidFileAt struct {
	exists bool
	pid    int
	err    error
}

func readPIDFile(path string) pidFileAt {
	if path == "" {
		return pidFileAt{}
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		return pidFileAt{}
	}
	pid, err := checker.ParsePID(raw)
	return pidFileAt{exists: true, pid: pid, err: err}
}

// judgeReady decides readiness at the moment the launcher's exit was seen:
// the pid file must already have named a live daemon of the run. daemon is
// the daemon found afterwards (0 when none ever ran).
func (l *launchRun) judgeReady(first start, at pidFileAt, daemon int) report.Check {
	check := checker.Check("ready").Expected("the launcher exits 0 once the pid file names the running daemon").Since(time.Now())
	// what the program printed on its terminal says why
	failed := check.Details(lastLines(first.run.Output(), "terminal: ", 10)...)
	const hint = "let the original process wait (e.g. read a pipe) until the daemon has written and locked its pid file, then exit(0)."
	pidfile, e := l.prof.PIDFile, first.exit
	later := ""
	if daemon != 0 {
		later = fmt.Sprintf("; the daemon (pid %d) was found only afterwards", daemon)
	}
	switch {
	case !first.exited:
		return failed.Result(report.Fail, fmt.Sprintf("the launcher (pid %d) was still running after %s: it never returned to the shell", first.run.Launcher, l.opts.LaunchTimeout),
			"fork and let the original process exit; the daemon continues in the child.")
	case !e.Success() && daemon == 0:
		return failed.Result(report.Fail, fmt.Sprintf("the launcher ended with %s and left no daemon running", e), "exit 0 when the daemon started, non-zero with a message when it could not.")
	case !e.Success():
		return failed.Result(report.Fail, fmt.Sprintf("the launcher ended with %s, yet a daemon (pid %d) runs", e, daemon), "exit 0 when the daemon started, non-zero with a message when it could not.")
	case daemon == 0 && at.exists && at.err == nil && at.pid > 0 && checker.Running(l.fs, at.pid):
		// apache2ctl start asks systemd, whose apache2 writes the pid file
		return failed.Result(report.Fail, fmt.Sprintf("the launcher exited 0 and %s names pid %d, a live process that is not of this run: the launcher handed the daemon to someone else (a service manager?), so there is no daemon here to judge", pidfile, at.pid),
			"check the daemon itself: run its program in the foreground-less way it daemonises (not a wrapper that asks systemctl), or attach to it with --pid.")
	case daemon == 0:
		return failed.Result(report.Fail, "the launcher exited 0 but left no daemon behind: no daemon was running", "the daemon is the child that carries on after the original process exits.")
	case pidfile == "":
		return check.Result(report.Pass, fmt.Sprintf("launcher exited 0 with a daemon running (pid %d); no pid file given, so readiness was judged by the process alone", daemon), "")
	case !at.exists:
		return failed.Result(report.Fail, fmt.Sprintf("launcher exited 0, but %s did not exist yet%s", pidfile, later), hint)
	case at.err != nil:
		return failed.Result(report.Fail, fmt.Sprintf("launcher exited 0, but %s: %v%s", pidfile, at.err, later), hint)
	case at.pid != daemon && !l.sess.Owns(at.pid):
		return failed.Result(report.Fail, fmt.Sprintf("launcher exited 0, but %s named pid %d, which is not a running process of this launch%s", pidfile, at.pid, later), hint)
	}
	return check.Result(report.Pass, fmt.Sprintf("launcher exited 0 and %s already named the running daemon (pid %d)", pidfile, at.pid), "")
}

// lastLines returns the last n non-blank lines of text, trimmed and
// prefixed.
func lastLines(text, prefix string, n int) []string {
	var out []string
	for _, line := range strings.Split(strings.TrimSpace(text), "\n") {
		if line = strings.TrimSpace(line); line != "" {
			out = append(out, prefix+line)
		}
	}
	if len(out) > n {
		out = out[len(out)-n:]
	}
	return out
}

// waitDaemon finds the daemon once the launcher is done: the process of the
// run the pid file names, or else the topmost live process of the run.
// When the launcher never exited, it is the candidate itself.
func (l *launchRun) waitDaemon(first start, pidfile string, timeout time.Duration) int {
	ctx, cancel := context.WithTimeout(l.ctx, timeout)
	defer cancel()
	sess, fs, exited := l.sess, l.fs, first.exited
	// Once the launcher has exited, no daemon can appear when nothing of
	// the run is alive: say so as soon as that is sure (see EmptyScans).
	var scans launch.EmptyScans
	found := 0
	if probing.Until(ctx, func() bool {
		procs := sess.Processes()
		if exited && len(procs) == 0 {
			if scans.Empty(sess.Mark()) {
				return true
			}
		} else {
			scans.Busy()
		}
		if pidfile != "" {
			if raw, err := os.ReadFile(pidfile); err == nil {
				if pid, err := checker.ParsePID(raw); err == nil && sess.Owns(pid) {
					found = pid
					return true
				}
			}
		}
		if top := topmost(fs, procs); top != 0 && (pidfile == "" || !exited || ctx.Err() != nil) {
			found = top
			return true
		}
		return false
	}) {
		return found
	}
	return topmost(fs, sess.Processes())
}

// topmost returns the oldest process of the set whose parent is outside it.
func topmost(fs procfs.FS, pids []int) int {
	in := map[int]bool{}
	for _, p := range pids {
		in[p] = true
	}
	best, bestStart := 0, uint64(0)
	for _, p := range pids {
		st, err := fs.Stat(p)
		if err != nil || in[st.PPID] {
			continue
		}
		if best == 0 || st.StartTicks < bestStart {
			best, bestStart = p, st.StartTicks
		}
	}
	return best
}

// withDaemon runs a probe on the target, first starting a fresh daemon if
// the target is no longer alive.
func (l *launchRun) withDaemon(id string, probe func(Target, checker.PIDFile) report.Check) report.Check {
	t := &l.target
	if t.ID.PID > 1 && !t.ID.Alive(l.fs) {
		if pid, _, err := l.startDaemon(l.prof.PIDFile); err == nil && pid != 0 {
			if fresh, err := launch.IdentityOf(l.fs, pid); err == nil {
				t.ID = fresh
				if snap, err := checker.Take(l.ctx, pid, checker.Options{Proc: l.fs, PIDFile: l.prof.PIDFile}); err == nil {
					l.pf = snap.PIDFile
				}
			}
		}
		if !t.ID.Alive(l.fs) {
			return didNotSurvive(id, l.last, " and could not be started again")
		}
	}
	return probe(*t, l.pf)
}

// startDaemon starts the program once more and finds the daemon it leaves
// (0 when the launcher failed or nothing is running), by pidfile when
// there is one.
func (l *launchRun) startDaemon(pidfile string) (int, start, error) {
	st, err := l.launch()
	if err != nil || st.exited && !st.exit.Success() {
		return 0, st, err
	}
	return l.waitDaemon(st, pidfile, l.opts.DaemonTimeout), st, nil
}

// launch starts the program once more and waits (within the launch
// deadline) for the launcher to return.
func (l *launchRun) launch() (start, error) {
	run, err := l.sess.Launch(l.ctx)
	if err != nil {
		return start{run: run}, err
	}
	lctx, cancel := context.WithTimeout(l.ctx, l.opts.LaunchTimeout)
	defer cancel()
	exit, exited := run.WaitLauncher(lctx)
	return start{run: run, exit: exit, exited: exited}, nil
}
