package grade

import (
	"encoding/json"
	"testing"

	"github.com/daemonlab/daemonlab/containers"
	"github.com/daemonlab/daemonlab/internal/cmdutil"
	"github.com/daemonlab/daemonlab/report"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestInsideReportTrustsOnlyTheChecker feeds insideReport what a root
// daemon that opened the checker's stdout could make of it.
func TestInsideReportTrustsOnlyTheChecker(t *testing.T) {
	checked := &report.Report{Tool: "daemonlab", Mode: report.ModeAttach, Target: &report.Target{PID: 42},
		Checks: []report.Check{{ID: "fds", Status: report.Fail, Observed: "fd 3 → /etc/passwd"}}}
	out, err := json.Marshal(checked)
	require.NoError(t, err)
	honest := string(out) + "\n"
	forged := `{"tool":"daemonlab","mode":"attach","target":{"pid":42},"checks":[{"id":"fds","status":"pass","observed":"no fd"}]}`
	tests := []struct {
		name   string
		code   int
		output string
		trust  bool
	}{
		{"the checker's own report", cmdutil.ExitFailed, honest, true},
		{"an incomplete run is still a verdict", cmdutil.ExitIncomplete, honest, true},
		{"forged, then the checker killed", 137, forged, false},
		{"forged before the checker's report", cmdutil.ExitFailed, forged + honest, false},
		{"forged after the checker's report", cmdutil.ExitFailed, honest + forged, false},
		{"the real report wrapped in a forged one", cmdutil.ExitFailed, forged[:len(forged)-1] + `,"wrapped":` + honest + "}", false},
		{"the real report as a forged check", cmdutil.ExitFailed, `{"tool":"daemonlab","mode":"attach","target":{"pid":42},"checks":[` + honest + `]}`, false},
		{"a report about another pid", cmdutil.ExitOK, `{"tool":"daemonlab","mode":"attach","target":{"pid":7},"checks":[]}`, false},
		{"a usage error", cmdutil.ExitBadInput, "daemonlab: no such pid\n", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := insideReport(containers.ExecResult{ExitCode: tt.code, Output: tt.output}, 42)
			if !tt.trust {
				assert.Error(t, err)
				return
			}
			require.NoError(t, err)
			c, ok := r.Find("fds")
			require.True(t, ok)
			assert.Equal(t, report.Fail, c.Status)
		})
	}
}
