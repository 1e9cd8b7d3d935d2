package compare

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/daemonlab/daemonlab/checker/procfs"
	"github.com/daemonlab/daemonlab/internal/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// buildTicker compiles lab 00's ticker into dir.
func buildTicker(t *testing.T, dir string) string {
	t.Helper()
	return testutil.CompileC(t, filepath.Join(testutil.RepoRoot(), "labs/00-background/starter/ticker.c"), filepath.Join(dir, "ticker"))
}

// TestRunScriptOnARealTerminal types ./start.sh into a login bash on a real
// pty, hangs it up, and checks what RunScript saw against what each script
// does; nothing of a run is left.
func TestRunScriptOnARealTerminal(t *testing.T) {
	if _, err := os.Stat("/dev/ptmx"); err != nil {
		t.Skip("no pseudo-terminals here")
	}
	if _, err := exec.LookPath("setsid"); err != nil {
		t.Skip("no setsid")
	}
	for _, tt := range []struct {
		name, script string
		returned     bool
		survivors    int
		programs     int
		ttyFDs       bool
		grew         bool
	}{
		{"setsid -f, redirected", "setsid -f ./ticker </dev/null >>ticker.log 2>&1", true, 1, 1, false, true},
		{"& in a script, stderr on the terminal", "./ticker > ticker.log &", true, 1, 1, true, true},
		{"& with the output on the terminal", "./ticker &", true, 0, 1, true, false},
		{"started twice", "setsid -f ./ticker </dev/null >>ticker.log 2>&1\nsetsid -f ./ticker </dev/null >>ticker.log 2>&1", true, 2, 2, false, true},
		{"tail -f never returns", "setsid -f ./ticker </dev/null >>ticker.log 2>&1\nexec tail -f ticker.log", false, 1, 1, false, true},
		{"no ticker at all", "echo nothing to see", true, 0, 0, false, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			ticker := buildTicker(t, dir)
			require.NoError(t, os.WriteFile(filepath.Join(dir, "start.sh"), []byte("#!/bin/sh\n"+tt.script+"\n"), 0o755))
			start := time.Now()
			r, err := RunScript(context.Background(), ScriptOptions{Dir: dir, Line: "./start.sh", Program: ticker, Log: "ticker.log", Return: 2 * time.Second})
			require.NoError(t, err)
			t.Logf("%s: %+v in %s", tt.name, r, time.Since(start).Round(time.Millisecond))
			assert.Equal(t, tt.returned, r.Returned, "terminal: %q", r.Terminal)
			assert.Len(t, r.Programs, tt.programs)
			survivors, tty := 0, false
			for _, p := range r.Programs {
				assert.True(t, p.BeforeHangup)
				if p.Survived {
					survivors++
				}
				tty = tty || len(p.TTYFDs) > 0
			}
			assert.Equal(t, tt.survivors, survivors)
			assert.Equal(t, tt.ttyFDs, tty)
			assert.Equal(t, tt.grew, r.Log.Grew(), "%+v", r.Log)
			if tt.grew {
				assert.Regexp(t, `^tick \d+ pid \d+$`, r.Log.LastLine)
			}
			assert.GreaterOrEqual(t, r.WatchMS, 600.0, "a dying ticker gets one write after the hang-up at least")
			dev, ino := statOf(t, ticker)
			assert.Empty(t, programProcs(procfs.New(""), dev, ino), "the run's tickers are gone")
		})
	}
}

func statOf(t *testing.T, p string) (uint64, uint64) {
	var st unix.Stat_t
	require.NoError(t, unix.Stat(p, &st))
	return st.Dev, st.Ino
}

// TestRunScriptIgnoresOtherCopies: a ticker already running (the same
// file, started before the run) is not the script's.
func TestRunScriptIgnoresOtherCopies(t *testing.T) {
	if _, err := os.Stat("/dev/ptmx"); err != nil {
		t.Skip("no pseudo-terminals here")
	}
	dir := t.TempDir()
	ticker := buildTicker(t, dir)
	other := exec.Command(ticker)
	other.Stdout = nil // /dev/null
	require.NoError(t, other.Start())
	defer func() { _ = other.Process.Kill(); _ = other.Wait() }()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "start.sh"), []byte("#!/bin/sh\nsetsid -f ./ticker </dev/null >ticker.log 2>&1\n"), 0o755))
	r, err := RunScript(context.Background(), ScriptOptions{Dir: dir, Line: "./start.sh", Program: ticker, Log: "ticker.log"})
	require.NoError(t, err)
	require.Len(t, r.Programs, 1)
	assert.NotEqual(t, other.Process.Pid, r.Programs[0].PID)
	assert.NoError(t, unix.Kill(other.Process.Pid, 0), "the other copy is left alone")
	assert.True(t, strings.Contains(strings.Join(r.Terminal, "\n"), returnMarker))
}

// TestCompareJobs: the ways tried at once give the same facts as one after
// the other, and leave nothing.
func TestCompareJobs(t *testing.T) {
	if _, err := os.Stat("/dev/ptmx"); err != nil {
		t.Skip("no pseudo-terminals here")
	}
	rows, err := Run(context.Background(), "/bin/sleep", []string{"3" + "1234"}, Options{Jobs: len(Ways)})
	require.NoError(t, err)
	require.Len(t, rows, len(Ways))
	for i, r := range rows {
		assert.Equal(t, Ways[i].ID, r.Way, "rows keep the order of the ways")
		if r.Missing == "" {
			assert.Empty(t, r.Error, r.Way)
		}
	}
	assert.False(t, rows[0].SurvivesHangup, "amp")
	assert.True(t, rows[1].SurvivesHangup, "nohup")
	assert.True(t, rows[1].HasCTTY, "nohup")
	assert.True(t, rows[2].SurvivesHangup, "disown: sleep writes nothing")
	fs := procfs.New("")
	pids, err := fs.PIDs()
	require.NoError(t, err)
	for _, pid := range pids {
		cmd, _ := fs.ReadFile(pid, "cmdline")
		if st, err := fs.Stat(pid); err == nil && !st.IsZombie() {
			assert.NotEqual(t, "/bin/sleep\x0031234\x00", string(cmd), "pid %d left running", pid)
		}
	}
}
