package probe

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/daemonlab/daemonlab/checker"
	"github.com/daemonlab/daemonlab/report"
)

// WorkerOptions bound the workers probe.
type WorkerOptions struct {
	// Window is how long the daemon's children are watched at most.
	Window time.Duration
	// Settle is the shortest watch: workers forked by the reload just
	// before it get this long to appear and end.
	Settle time.Duration
	// ZombieGrace is how long a child may stay a zombie before it counts as
	// never reaped (a daemon reaps in its main loop, on SIGCHLD).
	ZombieGrace time.Duration
}

// DefaultWorkerOptions fit a loaded CI machine; a daemon without children
// costs only Settle.
func DefaultWorkerOptions() WorkerOptions {
	return WorkerOptions{Window: 2 * time.Second, Settle: 150 * time.Millisecond, ZombieGrace: 500 * time.Millisecond}
}

// Workers watches the daemon's children (run it after the SIGHUP probe,
// which may start a worker per reload): every child that ends must be
// reaped — a zombie child that stays one longer than the grace fails.
// Children still running at the end of the window are not judged.
func Workers(ctx context.Context, t Target, o WorkerOptions) report.Check {
	start := time.Now()
	const expected = "no zombie child: every worker that ends is reaped (waitpid) by the daemon"
	check := checker.Check("workers").Expected(expected).Since(start)
	if !t.ID.Alive(t.Proc) {
		return check.Result(report.Skip, "the daemon is no longer running", "")
	}
	zombieSince := map[int]time.Time{}
	seen := map[int]bool{}
	deadline := start.Add(o.Window)
	for {
		live, zombies := children(t)
		now := time.Now()
		for pid := range zombieSince {
			if !slices.Contains(zombies, pid) {
				delete(zombieSince, pid) // reaped
			}
		}
		for _, pid := range append(append([]int{}, live...), zombies...) {
			seen[pid] = true
		}
		var stale []string
		for _, pid := range zombies {
			if _, ok := zombieSince[pid]; !ok {
				zombieSince[pid] = now
			}
			if now.Sub(zombieSince[pid]) >= o.ZombieGrace {
				stale = append(stale, fmt.Sprintf("pid %d", pid))
			}
		}
		if len(stale) > 0 {
			sort.Strings(stale)
			return check.Result(report.Fail, fmt.Sprintf("%d child process(es) of pid %d stayed zombies for %s or more: %s", len(stale), t.ID.PID, o.ZombieGrace, strings.Join(stale, ", ")),
				"reap every child: on SIGCHLD (a handler that sets a flag) call waitpid(-1, &status, WNOHANG) in a loop until it returns 0, in the main loop.")
		}
		elapsed := now.Sub(start)
		switch {
		case len(live) == 0 && len(zombies) == 0 && elapsed >= o.Settle:
			if len(seen) == 0 {
				return check.Result(report.Pass, fmt.Sprintf("pid %d has no child processes (no workers): nothing to reap", t.ID.PID), "")
			}
			return check.Result(report.Pass, fmt.Sprintf("every child of pid %d that ended was reaped (%d seen)", t.ID.PID, len(seen)), "")
		case now.After(deadline):
			return check.Result(report.Pass, fmt.Sprintf("no zombie child of pid %d; %d worker(s) still running after %s", t.ID.PID, len(live), o.Window), "")
		case !t.ID.Alive(t.Proc):
			return check.Result(report.Skip, "the daemon exited while its children were watched", "")
		}
		select {
		case <-ctx.Done():
			return check.Result(report.Error, "not judged: the deadline passed", "")
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// children lists the target's live and zombie children.
func children(t Target) (live, zombies []int) {
	pids, err := t.Proc.PIDs()
	if err != nil {
		return nil, nil
	}
	for _, pid := range pids {
		st, err := t.Proc.Stat(pid)
		if err != nil || st.PPID != t.ID.PID {
			continue
		}
		if st.IsZombie() {
			zombies = append(zombies, pid)
		} else {
			live = append(live, pid)
		}
	}
	return live, zombies
}
