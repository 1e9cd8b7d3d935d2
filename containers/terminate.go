package containers

import (
	"context"
	"errors"
	"strings"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/testcontainers/testcontainers-go"
)

// watchdog terminates the container once its lifetime d has passed,
// unless Terminate came first.
func (c *Container) watchdog(d time.Duration) {
	t := time.NewTimer(max(d, 0))
	defer t.Stop()
	select {
	case <-t.C:
		c.terminate(context.Background(), true)
	case <-c.watchdogStop:
	}
}

// Terminate stops the container with SIGRTMIN+3 (systemd powers off at once;
// after StopGrace it is killed) and removes it with its anonymous volumes.
// Killing PID 1 of the container's pid namespace takes every process in it
// along, double-forked daemons included. It is idempotent and safe to call
// concurrently (from a defer, a signal handler and the watchdog): every caller
// waits for the one teardown and gets its result. It ignores ctx's cancellation
// (a cancelled context must not leave a container behind) but not its values;
// it gives up after 30 s.
func (c *Container) Terminate(ctx context.Context) error {
	return c.terminate(ctx, false)
}

func (c *Container) terminate(ctx context.Context, byWatchdog bool) error {
	c.termOnce.Do(func() {
		close(c.watchdogStop)
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
		start := time.Now()
		err := c.tc.Terminate(ctx, testcontainers.StopTimeout(StopGrace))
		if err != nil && isGone(err) {
			err = nil
		}
		if cerr := c.cgroup.remove(); cerr != nil && err == nil {
			err = cerr
		}
		c.teardown = time.Since(start)
		c.termErr = err
		c.expired = byWatchdog
		untrack(c)
		close(c.termDone)
	})
	<-c.termDone
	return c.termErr
}

func isGone(err error) bool {
	if cerrdefs.IsNotFound(err) {
		return true
	}
	// tc joins several errors; all "not found"/"already in progress" ones mean gone.
	var joined interface{ Unwrap() []error }
	if errors.As(err, &joined) {
		for _, e := range joined.Unwrap() {
			if e != nil && !isGone(e) {
				return false
			}
		}
		return true
	}
	msg := err.Error()
	return strings.Contains(msg, "No such container") || strings.Contains(msg, "is already in progress")
}

// TeardownDuration is how long Terminate took (0 before it ran).
func (c *Container) TeardownDuration() time.Duration {
	select {
	case <-c.termDone:
		return c.teardown
	default:
		return 0
	}
}

// Terminated is closed once the container has been terminated.
func (c *Container) Terminated() <-chan struct{} { return c.termDone }
