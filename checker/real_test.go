package checker

import (
	"bufio"
	"bytes"
	"context"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/daemonlab/daemonlab/internal/testutil"
	"github.com/stretchr/testify/require"
)

// readyTimeout bounds the wait for a fixture to say it is set up.
const readyTimeout = 15 * time.Second

// startReal starts a real fixture process, waits until it prints "ready"
// on its stdout (every other line before it is kept for the failure
// message) and returns its pid. The process is killed and reaped, by its
// pid, when the test ends. Skipped under -short: no real processes there.
func startReal(t *testing.T, argv ...string) int {
	t.Helper()
	testutil.SkipShort(t, "a real process")
	cmd := exec.Command(argv[0], argv[1:]...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	pid := cmd.Process.Pid
	done := make(chan struct{})
	t.Cleanup(func() {
		close(done)
		_ = syscall.Kill(pid, syscall.SIGKILL)
		_ = cmd.Wait()
	})
	lines := make(chan string)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			select {
			case lines <- sc.Text():
			case <-done:
				return
			}
			if sc.Text() == "ready" {
				return
			}
		}
	}()
	deadline := time.After(readyTimeout)
	var said []string
	for {
		select {
		case l, ok := <-lines:
			if !ok {
				require.FailNow(t, "fixture ended before it was ready", "%s\nstdout: %s\nstderr: %s", strings.Join(argv, " "), strings.Join(said, "\n"), stderr.String())
			}
			if l == "ready" {
				return pid
			}
			said = append(said, l)
		case <-deadline:
			require.FailNow(t, "fixture not ready", "%s after %s\nstderr: %s", strings.Join(argv, " "), readyTimeout, stderr.String())
		}
	}
}

// startPython runs a Python 3 fixture (see startReal): program sets the
// process up (importing signal); then it says "ready" and sleeps in
// pause() until the test ends.
func startPython(t *testing.T, program string, args ...string) int {
	t.Helper()
	if _, err := exec.LookPath("python3"); err != nil {
		t.Skip("no python3")
	}
	program += "print(\"ready\", flush=True)\nwhile True:\n    signal.pause()\n"
	return startReal(t, append([]string{"python3", "-c", program}, args...)...)
}

// takeReal snapshots a real process from /proc.
func takeReal(t *testing.T, pid int, opts Options) *Snapshot {
	t.Helper()
	s, err := Take(context.Background(), pid, opts)
	require.NoError(t, err)
	return s
}
