package sandboxcmd

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/creack/pty"
	"github.com/daemonlab/daemonlab/containers"
	"github.com/daemonlab/daemonlab/internal/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// terminal collects what the sandbox writes on its pseudo-terminal; each
// write wakes the waiters.
type terminal struct {
	mu    sync.Mutex
	buf   bytes.Buffer
	wrote chan struct{} // closed and replaced at each write
}

func (t *terminal) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	n, err := t.buf.Write(p)
	if t.wrote != nil {
		close(t.wrote)
	}
	t.wrote = make(chan struct{})
	return n, err
}

// snapshot is what was written so far and a channel closed at the next write.
func (t *terminal) snapshot() (string, <-chan struct{}) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.wrote == nil {
		t.wrote = make(chan struct{})
	}
	return t.buf.String(), t.wrote
}

func (t *terminal) String() string {
	s, _ := t.snapshot()
	return s
}

// waitFor waits until text is on the terminal, at most d.
func (t *terminal) waitFor(tb testing.TB, text string, d time.Duration) {
	tb.Helper()
	timeout := time.After(d)
	for {
		s, next := t.snapshot()
		if strings.Contains(s, text) {
			return
		}
		select {
		case <-next:
		case <-timeout:
			tb.Fatalf("no %q on the terminal after %s; it shows:\n%s", text, d, t.String())
		}
	}
}

func requireEngine(t *testing.T) {
	t.Helper()
	testutil.RequireEngine(t, containers.EngineAvailable(context.Background()))
}

// start runs `daemonlab sandbox ARGS` on a fresh pseudo-terminal.
func start(t *testing.T, bin string, args ...string) (*exec.Cmd, *os.File, *terminal) {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"sandbox"}, args...)...)
	cmd.Env = append(os.Environ(), "TESTCONTAINERS_RYUK_DISABLED=true", "TERM=xterm")
	ptmx, err := pty.StartWithSize(cmd, &pty.Winsize{Rows: 30, Cols: 100})
	require.NoError(t, err)
	term := &terminal{}
	go func() { _, _ = io.Copy(term, ptmx) }()
	t.Cleanup(func() {
		_ = ptmx.Close()
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
		// nothing of this sandbox may be left
		ids, err := containers.ListLabelled(context.Background(), map[string]string{containers.LabelPID: fmt.Sprint(cmd.Process.Pid)})
		assert.NoError(t, err)
		assert.Empty(t, ids, "containers left behind by the sandbox")
		for _, id := range ids {
			_ = exec.Command("docker", "rm", "-f", id).Run()
		}
	})
	return cmd, ptmx, term
}

func wait(t *testing.T, cmd *exec.Cmd, d time.Duration) error {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		return err
	case <-time.After(d):
		t.Fatalf("the sandbox did not end within %s", d)
		return nil
	}
}

// TestSandboxSession: a scripted session on a real pseudo-terminal runs
// systemctl is-system-running in the sandbox and exits; the container is gone.
func TestSandboxSession(t *testing.T) {
	requireEngine(t)
	bin := testutil.BuildCLI(t)
	cmd, ptmx, term := start(t, bin, "--lab", "06")
	term.waitFor(t, ":/lab# ", 90*time.Second)
	_, err := ptmx.Write([]byte("systemctl is-system-running --wait; ls /lab; tty; daemonlab labs | head -1\r"))
	require.NoError(t, err)
	term.waitFor(t, "myservice.xinetd", 30*time.Second)
	_, err = ptmx.Write([]byte("exit\r"))
	require.NoError(t, err)
	require.NoError(t, wait(t, cmd, 30*time.Second), term.String())
	// the process has ended, but its last lines may still be on their way
	// through the pty to the reader
	term.waitFor(t, "container removed", 10*time.Second)
	out := term.String()
	assert.Regexp(t, `(running|degraded)\r?\n`, out)
	assert.Contains(t, out, " points ", "daemonlab runs in the sandbox")
	assert.Contains(t, out, "/dev/pts/", "the shell has a terminal of its own")
}

// TestSandboxLostTerminal: when the terminal goes away the sandbox ends
// and removes its container.
func TestSandboxLostTerminal(t *testing.T) {
	requireEngine(t)
	bin := testutil.BuildCLI(t)
	cmd, ptmx, term := start(t, bin)
	term.waitFor(t, ":/lab# ", 90*time.Second)
	// What the kernel does when the terminal goes away: SIGHUP to the
	// session's controlling process. (Closing the master here would wait
	// for the reader goroutine, so it would not hang up at once.)
	require.NoError(t, cmd.Process.Signal(syscall.SIGHUP))
	_ = wait(t, cmd, 30*time.Second)
	// its last line may still be on its way through the pty to the reader
	term.waitFor(t, "container removed", 10*time.Second)
	_ = ptmx.Close()
}
