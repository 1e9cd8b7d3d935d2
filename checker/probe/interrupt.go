package probe

import (
	"github.com/daemonlab/daemonlab/checker"
	"github.com/daemonlab/daemonlab/report"
)

// notRunObserved is what a check that an interruption stopped says.
const notRunObserved = "not run: the run was interrupted (Ctrl-C)"

// NotRun is the entry of a check the run did not get to: a skip that says
// why, so a partial report never shows a made-up result.
func NotRun(id string) report.Check {
	return checker.Check(id).Result(report.Skip, notRunObserved, "")
}

// MarkInterrupted says in the report that the run was interrupted. Checks
// the run completed keep their result; the caller has already replaced
// those the interruption cut short (see LaunchCheck).
func MarkInterrupted(r *report.Report) {
	r.Errors = append(r.Errors, "interrupted (Ctrl-C or SIGTERM): the results shown are those completed before it; checks marked \"not run\" did not run")
}
