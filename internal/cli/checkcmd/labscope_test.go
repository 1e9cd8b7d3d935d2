package checkcmd

import (
	"path/filepath"
	"testing"

	"github.com/daemonlab/daemonlab/internal/cmdutil"
	"github.com/daemonlab/daemonlab/report"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// With --lab, `daemonlab check` agrees with `daemonlab grade` on what
// counts: a lab 01 daemon is not failed for what lab 02 or 03 grade (the
// lock, SIGHUP), and lab 01 sends no SIGHUP. Without --lab both count.
func TestLabScopesTheSelfCheck(t *testing.T) {
	tests := []struct {
		variant  string
		breaks   string // the check the variant fails
		lab      string
		wantCode int
		probed   bool // the check is a probe the lab does not run
	}{
		{"broken-lock", "lock", "", cmdutil.ExitFailed, false},
		{"broken-lock", "lock", "01", cmdutil.ExitOK, false},
		{"broken-lock", "lock", "02", cmdutil.ExitFailed, false},
		{"broken-sighup", "sighup", "", cmdutil.ExitFailed, false},
		{"broken-sighup", "sighup", "01", cmdutil.ExitOK, true},
		{"broken-sighup", "sighup", "03", cmdutil.ExitFailed, false},
	}
	for _, tt := range tests {
		t.Run(tt.variant+" lab "+tt.lab, func(t *testing.T) {
			dir := tokenDir(t)
			pidfile := filepath.Join(dir, "d.pid")
			args := []string{filepath.Join(repoRoot, "reference/c/bin/"+tt.variant), "--pidfile", pidfile, "--format", "json"}
			if tt.lab != "" {
				args = append(args, "--lab", tt.lab)
			}
			out, stderr, code := runCLI(t, append(args, "--", "-p", pidfile)...)
			r, err := report.ReadJSON(out)
			require.NoError(t, err, stderr)
			assert.Equal(t, tt.wantCode, code, stderr+out)
			c, ok := r.Find(tt.breaks)
			if tt.probed {
				assert.False(t, ok, "lab %s does not run the %s probe", tt.lab, tt.breaks)
				return
			}
			require.True(t, ok, tt.breaks)
			assert.Equal(t, report.Fail, c.Status, c.Observed)
			assert.Equal(t, tt.lab != "01", c.Required, "only what the lab grades is required")
		})
	}
}
