package probe

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"syscall"
	"time"

	"github.com/daemonlab/daemonlab/checker"
	"github.com/daemonlab/daemonlab/checker/launch"
	"github.com/daemonlab/daemonlab/checker/procfs"
	"github.com/daemonlab/daemonlab/internal/poll"
	"github.com/daemonlab/daemonlab/report"
	"golang.org/x/sys/unix"
)

// Reload says how to provoke and recognise a reload.
type Reload struct {
	// TouchFile gets TouchText written into it before SIGHUP (a new config).
	TouchFile, TouchText string
	// ExpectFile must contain ExpectText after SIGHUP (the new config took effect).
	ExpectFile, ExpectText string
	// Cmd, run with sh -c, must exit 0 once the reload took effect.
	Cmd string
}

func (r Reload) evidence() bool { return r.ExpectFile != "" || r.Cmd != "" }

// SIGHUP sends SIGHUP and checks the daemon lives on as the same process
// and, when evidence is configured, that the reload took effect.
func SIGHUP(ctx context.Context, t Target, want string, rl Reload, timeout time.Duration) report.Check {
	start := time.Now()
	expected := "the same (pid, start time) after SIGHUP"
	if want == "reload" || rl.evidence() {
		expected += ", and the reload takes effect"
	}
	check := checker.Check("sighup").Expected(expected).Since(start)
	if rl.TouchFile != "" {
		if err := os.WriteFile(rl.TouchFile, []byte(rl.TouchText), 0o644); err != nil {
			return check.Result(report.Error, "could not write the new configuration: "+err.Error(), "")
		}
	}
	// the exit status of a process that is not our child is not visible:
	// whether a handler took the signal tells how it ended
	caught, err := t.sendCaught(syscall.SIGHUP)
	if err != nil {
		return refused(check, err)
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	t.delivered(ctx, syscall.SIGHUP)
	// If the default action killed it, the exit follows delivery at once.
	dctx, dcancel := context.WithTimeout(ctx, 100*time.Millisecond)
	e, died, known := t.waitExit(dctx)
	dcancel()
	if died {
		how := "it exited"
		if known {
			how += " (" + e.String() + ")"
		}
		hint := "install a SIGHUP handler (sigaction) that sets a flag; re-read the configuration in the main loop. Without one, SIGHUP's default action terminates the process."
		if known && !e.Signaled || !known && caught {
			// It exited by itself: a handler ran (sshd re-executes itself
			// and daemonises again under a new pid; cupsd exits 1).
			hint = "the daemon handled SIGHUP by exiting: a reload must keep the same process (re-read the configuration in place; a daemon that re-executes itself must keep its pid, not fork again)."
		}
		return check.Result(report.Fail, "SIGHUP ended the daemon: "+how, hint)
	}
	// The next probe must not land in the middle of the reload (munin-node
	// re-executes itself with SIGTERM blocked while it handles SIGHUP).
	defer t.settle(ctx, settleLimit)
	if !rl.evidence() {
		return check.Result(report.Pass, fmt.Sprintf("pid %d survived SIGHUP (same start time); no reload evidence configured", t.ID.PID), "")
	}
	if err := waitEvidence(ctx, rl); err != nil {
		return check.Result(report.Fail, fmt.Sprintf("pid %d survived SIGHUP, but the reload did not take effect within %s: %v", t.ID.PID, timeout, err),
			"on SIGHUP re-read the configuration file and apply it.")
	}
	if !t.ID.Alive(t.Proc) {
		return check.Result(report.Fail, "the daemon reloaded, then exited", "")
	}
	return check.Result(report.Pass, fmt.Sprintf("pid %d reloaded and lives on (same start time)", t.ID.PID), "")
}

// settleLimit bounds the wait for a daemon to settle after SIGHUP.
const settleLimit = 2 * time.Second

// settleGap is how far apart two looks must agree for a daemon to count
// as settled.
const settleGap = 30 * time.Millisecond

// settle waits (at most limit) until the target is quiet again: asleep
// (state S or I, no deliverable signal pending) and its signal mask and
// dispositions the same in two looks settleGap apart. It returns early
// when the target is gone.
func (t Target) settle(ctx context.Context, limit time.Duration) {
	type look struct {
		state                  byte
		blk, ign, cgt, pending procfs.SigSet
	}
	read := func() (look, bool) {
		st, err := t.Proc.Status(t.ID.PID)
		if err != nil || !t.ID.Alive(t.Proc) {
			return look{}, false
		}
		return look{st.State, st.SigBlk, st.SigIgn, st.SigCgt, (st.SigPnd | st.ShdPnd) &^ st.SigBlk}, true
	}
	quiet := func(l look) bool { return (l.state == 'S' || l.state == 'I') && l.pending == 0 }
	var prev look
	have := false
	poll.Backoff{First: settleGap, Max: settleGap}.For(ctx, limit, func() bool {
		cur, ok := read()
		if !ok {
			return true // gone: nothing to wait for
		}
		settled := have && quiet(prev) && quiet(cur) && prev == cur
		prev, have = cur, true
		return settled
	})
}

// waitEvidence polls the reload evidence until it holds or ctx ends.
func waitEvidence(ctx context.Context, rl Reload) error {
	var last error
	took := probing.Until(ctx, func() bool {
		switch {
		case rl.ExpectFile != "":
			data, err := os.ReadFile(rl.ExpectFile)
			if err == nil && strings.Contains(string(data), rl.ExpectText) {
				return true
			}
			last = fmt.Errorf("%s does not contain %q", rl.ExpectFile, rl.ExpectText)
		case rl.Cmd != "":
			e, err := launch.Command(ctx, "sh", "-c", rl.Cmd)
			switch {
			case err == nil && e.Success():
				return true
			case err != nil:
				last = fmt.Errorf("%q: %v", rl.Cmd, err)
			default:
				last = fmt.Errorf("%q: %s", rl.Cmd, e)
			}
		}
		return false
	})
	if took {
		return nil
	}
	return last
}

// SIGTERM sends SIGTERM and checks a clean exit within the deadline: exit
// status 0 (seen in launch mode), pid file removed, lock released. A
// daemon still running at the deadline is killed.
func SIGTERM(ctx context.Context, t Target, pf checker.PIDFile, timeout time.Duration) report.Check {
	start := time.Now()
	expected := fmt.Sprintf("exit within %s with status 0, pid file removed, lock released", timeout)
	check := checker.Check("sigterm").Expected(expected).Since(start)
	caught, err := t.sendCaught(syscall.SIGTERM)
	if err != nil {
		return refused(check, err)
	}
	wctx, cancel := context.WithTimeout(ctx, timeout)
	e, exited, known := t.waitExit(wctx)
	cancel()
	took := time.Since(start).Round(time.Millisecond)
	if !exited {
		why, hint := termStuck(t)
		_ = t.signal(syscall.SIGKILL)
		kctx, kcancel := context.WithTimeout(ctx, 2*time.Second)
		t.waitExit(kctx)
		kcancel()
		return check.Result(report.Fail, fmt.Sprintf("still running %s after SIGTERM%s; killed with SIGKILL", timeout, why), hint)
	}
	var problems []string
	status := "exit status not visible (not our child)"
	failed := false
	if known {
		status = e.String()
		failed = !e.Success()
	}
	observed := fmt.Sprintf("exited after %s, %s", took, status)
	pidFileLeft := false
	if pf.Path != "" {
		var emptied bool
		if pidFileLeft, emptied = leftBehind(ctx, pf.Path); pidFileLeft {
			problems = append(problems, "pid file "+pf.Path+" left behind")
		} else if emptied {
			observed += "; pid file " + pf.Path + " emptied, not removed: it names no process"
		}
		if holders := lockHolders(t, pf); holders != "" {
			problems = append(problems, "lock still held: "+holders)
		}
	}
	if failed || len(problems) > 0 {
		if len(problems) > 0 {
			observed += ": " + strings.Join(problems, "; ")
		}
		hint := "on SIGTERM: unlink the pid file, close it (releasing the lock) and exit(0)."
		if known && e.Signaled && e.Signal == syscall.SIGTERM {
			hint = "SIGTERM's default action killed it, so nothing was cleaned up: handle SIGTERM, unlink the pid file and exit(0)."
			if caught {
				hint = "it handles SIGTERM but then dies by the signal (re-raised after its handler): exit(0) after cleaning up instead"
				if pidFileLeft {
					hint += ", and remove the pid file"
				}
				hint += "."
			}
		}
		return check.Result(report.Fail, observed, hint)
	}
	return check.Result(report.Pass, observed, "")
}

// pidFileGrace is how long after the exit a pid file may take to go:
// systemd removes a unit's PIDFile= itself once its main process exited.
const pidFileGrace = 500 * time.Millisecond

// leftBehind reports whether the pid file still names a process after the
// exit, within pidFileGrace, and whether it was emptied instead of removed
// (a daemon that dropped root may not unlink in /run; lighttpd truncates
// the file it kept open).
func leftBehind(ctx context.Context, path string) (left, emptied bool) {
	gctx, cancel := context.WithTimeout(ctx, pidFileGrace)
	defer cancel()
	probing.Until(gctx, func() bool {
		st, err := os.Stat(path)
		left = err == nil && st.Size() > 0
		emptied = err == nil && st.Size() == 0
		return !left
	})
	return left, emptied
}

// sendCaught sends sig and reports whether a handler took it, as /proc
// showed just before it was sent.
func (t Target) sendCaught(sig syscall.Signal) (caught bool, err error) {
	if st, err := t.Proc.Status(t.ID.PID); err == nil {
		caught = st.SigCgt.Has(sig)
	}
	return caught, t.signal(sig)
}

// termStuck says why a daemon still runs after SIGTERM, as /proc shows it
// at the deadline: a blocked or pending SIGTERM was never delivered, which
// is not the same mistake as ignoring it.
func termStuck(t Target) (why, hint string) {
	hint = "handle SIGTERM (or leave it at its default action) and leave the main loop promptly; never ignore it."
	st, err := t.Proc.Status(t.ID.PID)
	if err != nil {
		return "", hint
	}
	const unblock = "unblock SIGTERM once set up (sigprocmask/pthread_sigmask), or read it with signalfd or sigwait(); a daemon busy in a SIGHUP handler must not keep it blocked afterwards."
	switch {
	case st.SigBlk.Has(syscall.SIGTERM) && (st.SigPnd.Has(syscall.SIGTERM) || st.ShdPnd.Has(syscall.SIGTERM)):
		return ": SIGTERM is blocked (SigBlk) and still pending: it was never delivered", unblock
	case st.SigBlk.Has(syscall.SIGTERM):
		return ": SIGTERM is blocked (SigBlk)", unblock
	case st.SigPnd.Has(syscall.SIGTERM) || st.ShdPnd.Has(syscall.SIGTERM):
		return ": SIGTERM is still pending (not yet delivered)", hint
	case st.SigIgn.Has(syscall.SIGTERM):
		return ": SIGTERM is ignored (SigIgn)", hint
	case st.SigCgt.Has(syscall.SIGTERM):
		return ": its SIGTERM handler ran, but it did not exit", hint
	}
	return "", hint
}

// lockHolders describes locks left on the pid file's old inode.
func lockHolders(t Target, pf checker.PIDFile) string {
	locks, err := t.Proc.Locks()
	if err != nil || pf.Ino == 0 {
		return ""
	}
	var out []string
	for _, l := range locks {
		if l.Inode == pf.Ino && l.DevMajor == unix.Major(pf.Dev) && l.DevMinor == unix.Minor(pf.Dev) && !l.Blocked {
			out = append(out, l.String())
		}
	}
	return strings.Join(out, "; ")
}

// refused reports a signal the checker would not or could not send.
func refused(check checker.CheckBuilder, err error) report.Check {
	if errors.Is(err, launch.ErrRefused) {
		return check.Result(report.Fail, err.Error()+": nothing was signalled", "the pid file must name the daemon itself.")
	}
	return check.Result(report.Error, "could not signal: "+err.Error(), "")
}
