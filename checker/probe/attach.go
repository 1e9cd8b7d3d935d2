package probe

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/daemonlab/daemonlab/checker"
	"github.com/daemonlab/daemonlab/checker/launch"
	"github.com/daemonlab/daemonlab/checker/procfs"
	"github.com/daemonlab/daemonlab/report"
)

// AttachIDs lists the probes attach mode can run: the signal probes. The
// others start the program, which only launch mode does.
var AttachIDs = []string{"sighup", "sigterm"}

// CheckAttach refuses a probe list attach mode cannot run as a whole, so
// nothing is signalled for a list that is then rejected.
func CheckAttach(ids []string) error {
	for _, id := range ids {
		if !slices.Contains(AttachIDs, id) {
			return fmt.Errorf("probe %q needs launch mode (daemonlab check ./PROGRAM): attach mode runs only %s; nothing was signalled", id, strings.Join(AttachIDs, ", "))
		}
	}
	return nil
}

// Attach runs the probes explicitly asked for against a process the
// checker did not start. Only the signal probes make sense there; exit
// statuses cannot be seen, so sigterm judges by disappearance and clean-up.
// The whole list is checked before any signal is sent.
func Attach(ctx context.Context, fs procfs.FS, snap *checker.Snapshot, prof checker.Profile, opts Options) ([]report.Check, error) {
	if err := CheckAttach(opts.Probes); err != nil {
		return nil, err
	}
	t := Target{ID: launch.Identity{PID: snap.PID, StartTicks: snap.Stat.StartTicks}, Proc: fs}
	var out []report.Check
	last := ""
	for _, id := range opts.Probes {
		if ctx.Err() != nil {
			out = append(out, NotRun(id))
			continue
		}
		var c report.Check
		switch {
		case last != "" && !t.ID.Alive(fs):
			// not ours to start again
			c = didNotSurvive(id, last, "")
		case id == "sighup":
			c = SIGHUP(ctx, t, prof.SIGHUP, opts.Reload, opts.TermTimeout)
		case id == "sigterm":
			c = SIGTERM(ctx, t, snap.PIDFile, opts.TermTimeout)
		}
		if ctx.Err() != nil {
			c = NotRun(id) // cut short: its result would be made up
		}
		out = append(out, c)
		last = id
	}
	return out, nil
}

// didNotSurvive is the entry of a probe that needs a live daemon when the
// earlier probe ended it: a skip, never an error or a result inherited
// from that probe. more says what was tried instead, if anything.
func didNotSurvive(id, earlier, more string) report.Check {
	what := "the daemon is gone"
	if earlier != "" {
		what = "the daemon did not survive the " + earlier + " probe"
	}
	return checker.Check(id).Result(report.Skip, "not run: "+what+more, "")
}
