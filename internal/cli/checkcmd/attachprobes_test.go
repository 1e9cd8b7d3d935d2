package checkcmd

import (
	"path/filepath"
	"strconv"
	"testing"

	"github.com/daemonlab/daemonlab/checker/launch"
	"github.com/daemonlab/daemonlab/checker/procfs"
	"github.com/daemonlab/daemonlab/internal/cmdutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A probe list attach mode cannot run is refused as a whole, before any
// probe signals the daemon: a usage error, and the daemon untouched (the
// sigterm asked for before single-instance would have ended it).
func TestAttachProbeListIsCheckedBeforeAnySignal(t *testing.T) {
	ts := startFromTerminal(t, "true")
	pidfile := filepath.Join(ts.dir, "ref.pid")
	startFromTerminal(t, filepath.Join(repoRoot, "reference/c/bin/refdaemon")+" -p "+pidfile)
	pid := waitPIDFile(t, pidfile)
	fs := procfs.New("")
	id, err := launch.IdentityOf(fs, pid)
	require.NoError(t, err)
	for _, probes := range []string{"sighup,sigterm,single-instance", "stale-pidfile,sigterm"} {
		t.Run(probes, func(t *testing.T) {
			out, stderr, code := runCLI(t, "--pidfile", pidfile, "--probe", probes, "--format", "json")
			assert.Equal(t, cmdutil.ExitBadInput, code, out)
			assert.Contains(t, stderr, "needs launch mode")
			assert.Contains(t, stderr, "nothing was signalled")
			assert.Empty(t, out, "no report for a usage error")
			assert.True(t, id.Alive(fs), "the daemon was signalled before the list was refused")
		})
	}
}

// In attach mode, a probe after one that ended the daemon is skipped, not
// an error: sleep dies of SIGHUP's default action, so sigterm has nothing
// to signal.
func TestAttachProbeAfterTheDaemonDied(t *testing.T) {
	pid := startDetached(t, "sleep 100000 </dev/null >/dev/null 2>&1", "sleep")
	out, stderr, code := runCLI(t, "--pid", strconv.Itoa(pid), "--probe", "sighup,sigterm", "--format", "json")
	require.NotEmpty(t, out, stderr)
	r := parse(t, out)
	assert.Equal(t, cmdutil.ExitFailed, code)
	assert.Equal(t, "fail", r.status("sighup"), r.String())
	assert.Equal(t, "skip", r.status("sigterm"), r.String())
	assert.Equal(t, "not run: the daemon did not survive the sighup probe", r.observed("sigterm"))
}
