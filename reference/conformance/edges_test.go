package conformance

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/daemonlab/daemonlab/internal/testutil"

	"github.com/daemonlab/daemonlab/checker"
	"github.com/daemonlab/daemonlab/checker/launch"
	"github.com/daemonlab/daemonlab/checker/probe"
	"github.com/daemonlab/daemonlab/report"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// runScript launches a small program and returns the whole report.
func runScript(t *testing.T, body string, opts probe.Options) (*report.Report, string) {
	t.Helper()
	testutil.SkipShort(t, "no real daemons")
	dir := workDir(t)
	prog := filepath.Join(dir, "prog")
	require.NoError(t, os.WriteFile(prog, []byte(body), 0o755))
	pidfile := filepath.Join(dir, "prog.pid")
	sess, err := launch.NewSession(launch.DefaultConfig(prog, []string{pidfile}))
	require.NoError(t, err)
	defer func() { require.NoError(t, sess.Close()) }()
	prof := checker.DefaultProfile()
	prof.PIDFile = pidfile
	return probe.LaunchCheck(context.Background(), sess, sess.Proc(), prof, opts), pidfile
}

// The seeds' lecture locks after the parent has exited: the second start's
// launcher says "started" (exit 0) and only its child refuses. That is a
// pass, with advice.
func TestSingleInstanceRefusedOnlyAfterTheLauncherReturned(t *testing.T) {
	r, _ := runScript(t, `#!/usr/bin/env python3
import fcntl, os, sys, time
if os.fork() > 0:
    os._exit(0)          # the parent returns before anything is locked
os.setsid()
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o644)
try:
    fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
except OSError:
    os._exit(1)          # already running: the refusal comes from the child
os.ftruncate(fd, 0)
os.write(fd, b"%d\n" % os.getpid())
time.sleep(100000)
`, probe.Options{LaunchTimeout: 5 * time.Second, DaemonTimeout: 3 * time.Second, TermTimeout: 2 * time.Second, SecondTimeout: 3 * time.Second, Probes: []string{"single-instance"}})
	c, ok := r.Find("single-instance")
	require.True(t, ok)
	assert.Equal(t, report.Pass, c.Status, c.Observed)
	assert.Contains(t, c.Observed, "forked copy")
	assert.Contains(t, c.Observed, "already exited 0")
}

func TestLaunchersThatDoNotDaemonize(t *testing.T) {
	opts := probe.Options{LaunchTimeout: time.Second, DaemonTimeout: time.Second, TermTimeout: 2 * time.Second, SecondTimeout: time.Second, Probes: []string{"ready"}}
	tests := []struct {
		name, body, ready string
		static            report.Status
	}{
		{"never returns", "#!/bin/sh\necho $$ > \"$1\"\nexec sleep 100000\n", "still running after 1s", report.Fail},
		{"exits non-zero", "#!/bin/sh\necho 'cannot start' >&2\nexit 3\n", "exit status 3", ""},
		{"leaves nothing behind", "#!/bin/sh\nexit 0\n", "no daemon was running", ""},
		{"pid file only later", "#!/bin/sh\n(sleep 0.3; echo $$ > \"$1\"; exec sleep 100000) </dev/null >/dev/null 2>&1 &\nexit 0\n", "did not exist yet", report.Pass},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, _ := runScript(t, tt.body, opts)
			ready, ok := r.Find("ready")
			require.True(t, ok)
			assert.Equal(t, report.Fail, ready.Status, ready.Observed)
			assert.Contains(t, ready.Observed, tt.ready)
			if tt.name == "exits non-zero" {
				assert.Contains(t, ready.Details, "terminal: cannot start", "what the program printed is shown")
			}
			// the static checks still ran; with no daemon at all, ready is
			// the one finding
			cwd, ok := r.Find("cwd")
			if tt.static == "" {
				assert.False(t, ok, "no daemon: ready is the only finding")
				assert.Len(t, r.Checks, 1)
			} else {
				require.True(t, ok)
				assert.NotEqual(t, report.Error, cwd.Status, cwd.Observed)
			}
		})
	}
}

// Reload evidence given as a command works in launch mode, where the
// checker's reaper collects every child.
func TestReloadEvidenceCommand(t *testing.T) {
	dir := workDir(t)
	pidfile, conf, state := filepath.Join(dir, "d.pid"), filepath.Join(dir, "d.conf"), filepath.Join(dir, "d.state")
	require.NoError(t, os.WriteFile(conf, []byte("greeting=hello\n"), 0o644))
	sess, err := launch.NewSession(launch.DefaultConfig(cRef("refdaemon"), []string{"-p", pidfile, "-c", conf, "-s", state}))
	require.NoError(t, err)
	defer func() { require.NoError(t, sess.Close()) }()
	prof := checker.DefaultProfile()
	prof.PIDFile = pidfile
	for cmd, want := range map[string]report.Status{
		"grep -q greeting=reloaded " + state:    report.Pass,
		"grep -q greeting=never-there " + state: report.Fail,
	} {
		opts := probe.DefaultOptions()
		opts.TermTimeout = time.Second
		opts.Probes = []string{"sighup"}
		opts.Reload = probe.Reload{TouchFile: conf, TouchText: "greeting=reloaded\n", Cmd: cmd}
		r := probe.LaunchCheck(context.Background(), sess, sess.Proc(), prof, opts)
		c, ok := r.Find("sighup")
		require.True(t, ok)
		assert.Equal(t, want, c.Status, "%s: %s", cmd, c.Observed)
		require.NoError(t, sess.KillAll()) // start afresh for the next case
	}
}
