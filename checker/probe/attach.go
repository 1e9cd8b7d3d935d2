package probe

import (
	"context"
	"fmt"

	"github.com/daemonlab/daemonlab/checker"
	"github.com/daemonlab/daemonlab/checker/launch"
	"github.com/daemonlab/daemonlab/checker/procfs"
	"github.com/daemonlab/daemonlab/report"
)

// Attach runs the probes explicitly asked for against a process the
// checker did not start. Only the signal probes make sense there; exit
// statuses cannot be seen, so sigterm judges by disappearance and clean-up.
func Attach(ctx context.Context, fs procfs.FS, snap *checker.Snapshot, prof checker.Profile, opts Options) ([]report.Check, error) {
	t := Target{ID: launch.Identity{PID: snap.PID, StartTicks: snap.Stat.StartTicks}, Proc: fs}
	var out []report.Check
	for _, id := range opts.Probes {
		if ctx.Err() != nil {
			out = append(out, NotRun(id))
			continue
		}
		switch id {
		case "sighup":
			out = append(out, SIGHUP(ctx, t, prof.SIGHUP, opts.Reload, opts.TermTimeout))
		case "sigterm":
			out = append(out, SIGTERM(ctx, t, snap.PIDFile, opts.TermTimeout))
		default:
			return nil, fmt.Errorf("probe %q needs launch mode (daemonlab check ./PROGRAM)", id)
		}
		if ctx.Err() != nil {
			out[len(out)-1] = NotRun(id) // cut short: its result would be made up
		}
	}
	return out, nil
}
