// Package probe holds the behavioural checks: the checker acts on the
// daemon (a second start, SIGHUP, SIGTERM, a stale pid file) and watches
// what happens. Probes are explicit: launch mode runs them all, attach mode
// only those asked for, since the process is not ours.
package probe

import (
	"context"
	"fmt"
	"syscall"
	"time"

	"github.com/daemonlab/daemonlab/checker/launch"
	"github.com/daemonlab/daemonlab/checker/procfs"
	"github.com/daemonlab/daemonlab/internal/poll"
)

// probing is how often a probe looks again for what it waits for.
var probing = poll.Backoff{First: time.Millisecond, Max: 50 * time.Millisecond}

// delivery is how often a probe looks whether a signal is still pending:
// a handler runs within microseconds.
var delivery = poll.Backoff{First: 500 * time.Microsecond, Max: 20 * time.Millisecond}

// Target is the daemon a probe acts on.
type Target struct {
	ID   launch.Identity
	Proc procfs.FS
	// Session is the launch session that owns the daemon; nil in attach
	// mode, where exit statuses cannot be seen.
	Session *launch.Session
}

// signal verifies that the target is still the same process and, in launch
// mode, that it belongs to the run, then delivers sig.
func (t Target) signal(sig syscall.Signal) error {
	if t.Session != nil && !t.Session.Owns(t.ID.PID) {
		return fmt.Errorf("%w pid %d: not a process of this run", launch.ErrRefused, t.ID.PID)
	}
	return t.ID.Signal(t.Proc, sig)
}

// waitExit waits until the target exits or ctx ends. known is false when
// the exit status cannot be seen (attach mode, or reaped by another parent).
func (t Target) waitExit(ctx context.Context) (e launch.Exit, exited, known bool) {
	if t.Session != nil {
		e, ok := t.Session.WaitExit(ctx, t.ID)
		return e, ok, ok && e.Code != -1
	}
	if !probing.Until(ctx, func() bool { return !t.ID.Alive(t.Proc) }) {
		return launch.Exit{}, false, false
	}
	return launch.Exit{PID: t.ID.PID}, true, false
}

// delivered waits until sig is no longer pending for the target: the
// kernel has run its handler or its default action (or it exited).
func (t Target) delivered(ctx context.Context, sig syscall.Signal) bool {
	return delivery.Until(ctx, func() bool {
		st, err := t.Proc.Status(t.ID.PID)
		if err != nil || !t.ID.Alive(t.Proc) {
			return true
		}
		return !st.SigPnd.Has(sig) && !st.ShdPnd.Has(sig)
	})
}
