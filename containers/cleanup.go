package containers

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/client"
)

// The cleanup registry: every container this process started, so that
// CleanupAll can end them all (on Ctrl-C, at the end of a test binary).

var (
	trackMu sync.Mutex
	tracked = map[*Container]struct{}{}
)

// TrackForCleanup registers c for CleanupAll. Start does it for every
// container; calling it again is harmless. Terminate unregisters.
func TrackForCleanup(c *Container) {
	if c == nil {
		return
	}
	trackMu.Lock()
	defer trackMu.Unlock()
	select {
	case <-c.termDone:
		return
	default:
	}
	tracked[c] = struct{}{}
}

func untrack(c *Container) {
	trackMu.Lock()
	delete(tracked, c)
	trackMu.Unlock()
}

// Tracked returns how many containers of this process are still running.
func Tracked() int {
	trackMu.Lock()
	defer trackMu.Unlock()
	return len(tracked)
}

// CleanupAll terminates, concurrently, every container of this process that
// has not been terminated yet. Call it from the SIGINT/SIGTERM handler (and
// at exit); it is safe to race with the callers' own Terminate calls.
func CleanupAll(ctx context.Context) error {
	trackMu.Lock()
	list := make([]*Container, 0, len(tracked))
	for c := range tracked {
		list = append(list, c)
	}
	trackMu.Unlock()
	errs := make([]error, len(list))
	var wg sync.WaitGroup
	for i, c := range list {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := c.Terminate(ctx); err != nil {
				errs[i] = fmt.Errorf("terminate %.12s: %w", c.id, err)
			}
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// ListLabelled returns the ids of all containers (running or not) that carry
// LabelKey and every label in extra (key=value).
func ListLabelled(ctx context.Context, extra map[string]string) ([]string, error) {
	cli, err := dockerClient()
	if err != nil {
		return nil, err
	}
	f := client.Filters{}.Add("label", LabelKey+"=1")
	for k, v := range extra {
		f = f.Add("label", k+"="+v)
	}
	res, err := cli.ContainerList(ctx, client.ContainerListOptions{All: true, Filters: f})
	if err != nil {
		return nil, err
	}
	ids := make([]string, 0, len(res.Items))
	for _, s := range res.Items {
		ids = append(ids, s.ID)
	}
	return ids, nil
}

// RemoveLeftovers force-removes every container carrying LabelKey, whoever
// started it (e.g. after a crash or kill -9 of a grader), and returns how many
// it removed. Do not call it while another daemonlab process is grading.
func RemoveLeftovers(ctx context.Context) (int, error) {
	ids, err := ListLabelled(ctx, nil)
	if err != nil {
		return 0, err
	}
	cli, _ := dockerClient()
	n := 0
	var errs []error
	for _, id := range ids {
		_, err := cli.ContainerRemove(ctx, id, client.ContainerRemoveOptions{Force: true, RemoveVolumes: true})
		if err != nil && !cerrdefs.IsNotFound(err) {
			errs = append(errs, fmt.Errorf("remove %.12s: %w", id, err))
			continue
		}
		n++
	}
	return n, errors.Join(errs...)
}

// expiredGrace is how long past its expiry a container may still exist
// before another daemonlab process removes it: its own watchdog should
// have ended it at expiry, so by then its grader is gone (killed with -9,
// a test binary stopped by its timeout) or stuck.
const expiredGrace = time.Minute

var sweepOnce sync.Once

// sweepExpired removes, once per process and in the background, every
// daemonlab container more than expiredGrace past its LabelExpires, and
// the cgroup bind links left dangling: leftovers of graders that could not
// clean up after themselves. It
// never touches a container that is still within its lifetime, so it is
// safe beside other graders on the same engine.
func sweepExpired() {
	sweepOnce.Do(func() {
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			_, _ = removeExpired(ctx, time.Now())
			removeDanglingLinks(cgroupLinkDir(), time.Now())
		}()
	})
}

// removeExpired removes the containers expired before now-expiredGrace and
// returns how many it removed.
func removeExpired(ctx context.Context, now time.Time) (int, error) {
	cli, err := dockerClient()
	if err != nil {
		return 0, err
	}
	res, err := cli.ContainerList(ctx, client.ContainerListOptions{All: true, Filters: client.Filters{}.Add("label", LabelKey+"=1")})
	if err != nil {
		return 0, err
	}
	n := 0
	var errs []error
	for _, s := range res.Items {
		exp, err := time.Parse(time.RFC3339, s.Labels[LabelExpires])
		if err != nil || now.Before(exp.Add(expiredGrace)) {
			continue
		}
		if _, err := cli.ContainerRemove(ctx, s.ID, client.ContainerRemoveOptions{Force: true, RemoveVolumes: true}); err != nil && !cerrdefs.IsNotFound(err) {
			errs = append(errs, fmt.Errorf("remove %.12s: %w", s.ID, err))
			continue
		}
		n++
	}
	return n, errors.Join(errs...)
}
