package testutil

import (
	"fmt"

	"github.com/daemonlab/daemonlab/report"
)

// NotPassing lists the checks of r that did not pass, one "status id:
// observed" line each (every line starts with a newline), for the message
// of a failed assertion on a report.
func NotPassing(r *report.Report) string {
	s := ""
	for _, c := range r.Checks {
		if c.Status != report.Pass {
			s += fmt.Sprintf("\n  %s %s: %s", c.Status, c.ID, c.Observed)
		}
	}
	return s
}
