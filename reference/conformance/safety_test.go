package conformance

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/daemonlab/daemonlab/checker"
	"github.com/daemonlab/daemonlab/checker/launch"
	"github.com/daemonlab/daemonlab/checker/probe"
	"github.com/daemonlab/daemonlab/checker/procfs"
	"github.com/daemonlab/daemonlab/report"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A daemon that writes pid 1, or the checker's own pid, into its pid file
// is reported, and nothing outside the run gets signalled.
func TestPIDFileNamingInitOrTheCheckerIsRefused(t *testing.T) {
	fs := procfs.New("")
	initID, err := launch.IdentityOf(fs, 1)
	require.NoError(t, err)
	for name, writePID := range map[string]string{
		"pid 1":           `echo 1`,
		"the checker pid": `awk '{print $4}' /proc/$PPID/stat`, // the launch shell's parent
	} {
		t.Run(name, func(t *testing.T) {
			dir := workDir(t)
			pidfile := filepath.Join(dir, "evil.pid")
			script := filepath.Join(dir, "evil")
			// The launcher writes the pid file, detaches a sleeper and exits 0.
			require.NoError(t, os.WriteFile(script, []byte("#!/bin/sh\n"+writePID+" > \"$1\"\nsetsid sleep 100000 </dev/null >/dev/null 2>&1 &\n"), 0o755))
			sess, err := launch.NewSession(launch.DefaultConfig(script, []string{pidfile}))
			require.NoError(t, err)
			defer func() { require.NoError(t, sess.Close()) }()
			prof := checker.DefaultProfile()
			prof.PIDFile = pidfile
			r := probe.LaunchCheck(context.Background(), sess, sess.Proc(), prof, probe.DefaultOptions())

			named := "1"
			if name != "pid 1" {
				named = strconv.Itoa(os.Getpid())
			}
			pf, _ := r.Find("pidfile")
			assert.Equal(t, report.Fail, pf.Status, pf.Observed)
			assert.Contains(t, pf.Observed, "names pid "+named)
			for _, id := range []string{"sighup", "sigterm"} {
				c, _ := r.Find(id)
				assert.Equal(t, report.Fail, c.Status, "%s: %s", id, c.Observed)
				assert.Contains(t, c.Observed, "nothing was signalled", id)
			}
			ready, _ := r.Find("ready")
			assert.Equal(t, report.Fail, ready.Status, ready.Observed)
			assert.True(t, initID.Alive(fs), "init is untouched")
		})
	}
}
