package compare

import (
	"context"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/daemonlab/daemonlab/internal/testutil"

	"github.com/daemonlab/daemonlab/checker/procfs"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestCompareOnARealTerminal starts /bin/sleep each way from a real pty,
// checks every observed row against /proc read independently while the
// terminal is open, checks what the hang-up did, and that nothing is left.
func TestCompareOnARealTerminal(t *testing.T) {
	testutil.SkipShort(t, "no real daemons")
	if _, err := os.Stat("/dev/ptmx"); err != nil {
		t.Skip("no pseudo-terminals here")
	}
	arg := "3" + strconv.Itoa(os.Getpid()%1000) // a sleep of its own, easy to find
	fs := procfs.New("")
	observed := map[string]bool{}
	rows, err := Run(context.Background(), "/bin/sleep", []string{arg}, Options{OnObserve: func(r Row) {
		observed[r.Way] = true
		st, err := os.ReadFile("/proc/" + strconv.Itoa(r.PID) + "/stat")
		require.NoError(t, err, r.Way)
		s := string(st)
		fields := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
		// state ppid pgrp session tty_nr
		assert.Equal(t, strconv.Itoa(r.PPID), fields[1], r.Way)
		assert.Equal(t, strconv.Itoa(r.PGID), fields[2], r.Way)
		assert.Equal(t, strconv.Itoa(r.SID), fields[3], r.Way)
		assert.Equal(t, fields[4] != "0", r.HasCTTY, r.Way)
		assert.Equal(t, r.PPID == 1, r.ParentIsInit, r.Way)
		for i := 0; i < 3; i++ {
			target, err := os.Readlink("/proc/" + strconv.Itoa(r.PID) + "/fd/" + strconv.Itoa(i))
			require.NoError(t, err)
			if !strings.Contains(r.Stdio[i], "(in the directory") {
				assert.Equal(t, target, r.Stdio[i], r.Way)
			}
		}
		status, err := fs.Status(r.PID)
		require.NoError(t, err)
		assert.Equal(t, status.SigIgn.Has(syscall.SIGHUP), r.SIGHUP == "ignored", r.Way)
	}})
	require.NoError(t, err)
	require.Len(t, rows, len(Ways))
	byWay := map[string]Row{}
	for _, r := range rows {
		byWay[r.Way] = r
		if r.Missing == "" {
			assert.Empty(t, r.Error, r.Way)
			assert.True(t, observed[r.Way], "%s was observed", r.Way)
		} else {
			assert.False(t, observed[r.Way], r.Way)
			t.Logf("%s: %s", r.Way, r.Missing)
		}
	}
	// What the hang-up does, the facts the course and lab 00 teach.
	amp := byWay["amp"]
	assert.False(t, amp.OwnSession)
	assert.True(t, amp.HasCTTY)
	assert.True(t, amp.StdioOnTTY)
	assert.False(t, amp.SurvivesHangup, "bash passes the hang-up on to its jobs")
	nohup := byWay["nohup"]
	assert.Equal(t, "ignored", nohup.SIGHUP)
	assert.True(t, nohup.HasCTTY, "nohup keeps the controlling terminal")
	assert.True(t, nohup.SurvivesHangup)
	assert.Contains(t, nohup.Output, "nohup.out")
	disown := byWay["disown"]
	assert.True(t, disown.HasCTTY)
	assert.True(t, disown.SurvivesHangup, "a disowned job gets no SIGHUP from bash")
	setsid := byWay["setsid"]
	if setsid.Missing == "" {
		assert.True(t, setsid.OwnSession)
		assert.False(t, setsid.HasCTTY)
		assert.True(t, setsid.StdioOnTTY)
		assert.True(t, setsid.SurvivesHangup)
	}
	if r := byWay["tmux"]; r.Missing == "" {
		assert.True(t, r.OwnSession)
		assert.True(t, r.HasCTTY, "the program has tmux's own pty")
		assert.True(t, r.SurvivesHangup)
	}
	// Nothing of the run is left.
	pids, err := fs.PIDs()
	require.NoError(t, err)
	for _, pid := range pids {
		cmd, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
		if st, err := fs.Stat(pid); err == nil && !st.IsZombie() {
			assert.NotEqual(t, "/bin/sleep\x00"+arg+"\x00", string(cmd), "pid %d left running", pid)
		}
	}
}
