package checker

import (
	"os"
	"time"

	"github.com/daemonlab/daemonlab/checker/launch"
	"github.com/daemonlab/daemonlab/checker/procfs"
	"github.com/daemonlab/daemonlab/report"
	"golang.org/x/sys/unix"
)

// outcome is what a judge function decides about one check.
type outcome struct {
	status   report.Status
	observed string
	expected string
	hint     string
	details  []string
}

// judgement carries the inputs every judge function reads.
type judgement struct {
	s       *Snapshot
	profile Profile
	planted *launch.Planted // nil in attach mode
}

type staticCheck struct {
	id    string
	judge func(*judgement) outcome
}

// staticChecks are judged in catalogue order.
var staticChecks = []staticCheck{
	{"parent", (*judgement).parent},
	{"no-tty", (*judgement).noTTY},
	{"session", (*judgement).session},
	{"cwd", (*judgement).cwd},
	{"umask", (*judgement).umask},
	{"stdio", (*judgement).stdio},
	{"fds", (*judgement).fds},
	{"sigmask", (*judgement).sigmask},
	{"sigdisp", (*judgement).sigdisp},
	{"pidfile", (*judgement).pidfile},
	{"lock", (*judgement).lock},
	{"privileges", (*judgement).privileges},
	{"env", (*judgement).env},
}

// StaticIDs lists the ids of the static checks in report order.
func StaticIDs() []string {
	ids := make([]string, len(staticChecks))
	for i, c := range staticChecks {
		ids[i] = c.id
	}
	return ids
}

// Judge runs every static check the profile enables on a snapshot. planted
// is nil in attach mode.
func Judge(s *Snapshot, p Profile, planted *launch.Planted) []report.Check {
	j := &judgement{s: s, profile: p, planted: planted}
	out := make([]report.Check, 0, len(staticChecks))
	for _, c := range staticChecks {
		if p.isDisabled(c.id) {
			continue
		}
		start := time.Now()
		o := c.judge(j)
		b := Check(c.id).Expected(o.expected).Details(o.details...).Optional(p.isOptional(c.id)).Since(start)
		out = append(out, b.Result(o.status, o.observed, o.hint))
	}
	return out
}

// unreadable turns a read error into the outcome a check reports: a
// permission problem is "unknown" (never "fail"), a vanished process too.
func unreadable(what string, err error, expected string) outcome {
	reason := err.Error()
	switch {
	case procfs.IsPermission(err) && os.Geteuid() == 0 && !canPtrace():
		reason = "permission denied reading " + what + ": the process is not dumpable (it changed its user with setuid() and did not exec, or called prctl(PR_SET_DUMPABLE, 0)), and root without CAP_SYS_PTRACE, as in a container, may not read such a process"
	case procfs.IsPermission(err) && os.Geteuid() == 0:
		reason = "permission denied reading " + what + ", even as root: the process is not dumpable, in another user namespace, or protected by a security module"
	case procfs.IsPermission(err):
		reason = "permission denied reading " + what + " (another user's process, or one that is not dumpable: run as its user or root)"
	case procfs.IsGone(err):
		reason = what + " vanished while reading: the process exited"
	case os.IsNotExist(err):
		reason = what + " does not exist"
	}
	return outcome{status: report.Unknown, observed: reason, expected: expected}
}

// canPtrace reports whether this process has CAP_SYS_PTRACE, which a
// container's root lacks: only it may read a non-dumpable process.
func canPtrace() bool {
	st, err := procfs.New("/proc").Status(os.Getpid())
	return err == nil && st.CapEff&(1<<unix.CAP_SYS_PTRACE) != 0
}
