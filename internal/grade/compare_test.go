package grade

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/daemonlab/daemonlab/containers"
	"github.com/daemonlab/daemonlab/internal/capture"
	"github.com/daemonlab/daemonlab/internal/compare"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestCompareInTheLabContainer runs `daemonlab compare` where lab 00 will
// use it: in the sandbox container, with systemd as PID 1 and every tool of
// the image (tmux, screen, systemd-run). No row is missing there, the
// processes that leave the terminal's session are adopted by PID 1 itself,
// and nothing of the run is left.
func TestCompareInTheLabContainer(t *testing.T) {
	requireEngine(t)
	ctx := context.Background()
	c, err := containers.Start(ctx, containers.Options{Image: image, ReadOnly: map[string]string{checkerPath: checkerBin},
		Labels: map[string]string{sessionKey: sessionLabel}, MaxLifetime: 2 * time.Minute})
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Terminate(context.Background()) })
	out := capture.New(1 << 20)
	res, err := c.Exec(ctx, []string{checkerPath, "compare", "--format", "json", "/bin/sleep", "--", "600"},
		containers.WithTimeout(60*time.Second), containers.WithStdout(out))
	require.NoError(t, err)
	require.Equal(t, 0, res.ExitCode, res.Output)
	var got struct{ Ways []compare.Row }
	require.NoError(t, json.Unmarshal(out.Bytes(), &got), out.String())
	require.Len(t, got.Ways, len(compare.Ways))
	for _, r := range got.Ways {
		assert.Empty(t, r.Missing, r.Way)
		assert.Empty(t, r.Error, r.Way)
		t.Logf("%-11s ppid %d (%s) own-session %v ctty %v stdio-on-tty %v sighup %s survives %v output %s",
			r.Way, r.PPID, r.Parent, r.OwnSession, r.HasCTTY, r.StdioOnTTY, r.SIGHUP, r.SurvivesHangup, r.Output)
	}
	rows := map[string]compare.Row{}
	for _, r := range got.Ways {
		rows[r.Way] = r
	}
	assert.True(t, rows["setsid"].ParentIsInit, "setsid -f: adopted by PID 1")
	assert.True(t, rows["systemd-run"].ParentIsInit, "systemd-run: a child of PID 1")
	assert.False(t, rows["systemd-run"].HasCTTY)
	assert.False(t, rows["systemd-run"].StdioOnTTY)
	assert.True(t, rows["systemd-run"].SurvivesHangup)
	assert.False(t, rows["amp"].SurvivesHangup)
	left, err := c.Exec(ctx, []string{"/usr/bin/pgrep", "-f", "^/bin/sleep 600"})
	require.NoError(t, err)
	assert.NotEqual(t, 0, left.ExitCode, "a sleep of the run is left: %s", left.Output)
}
