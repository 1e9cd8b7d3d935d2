package launch

import (
	"context"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/daemonlab/daemonlab/internal/testutil"

	"github.com/daemonlab/daemonlab/checker/procfs"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func script(t *testing.T, body string) string {
	t.Helper()
	testutil.SkipShort(t, "no real daemons")
	p := filepath.Join(t.TempDir(), "prog")
	require.NoError(t, os.WriteFile(p, []byte("#!/bin/sh\n"+body), 0o755))
	return p
}

// The planted conditions reach the program, exactly as configured.
func TestLaunchPlantsTheConditions(t *testing.T) {
	// What the caller ignores must not leak into the launch.
	signal.Ignore(syscall.SIGQUIT, syscall.SIGUSR2)
	defer signal.Reset(syscall.SIGQUIT, syscall.SIGUSR2)
	// Not a shell script: sh resets the signal mask it inherits.
	prog := filepath.Join(t.TempDir(), "prog")
	require.NoError(t, os.WriteFile(prog, []byte(`#!/usr/bin/env python3
import os, time
def link(fd):
    try:
        return os.readlink("/proc/self/fd/" + fd)
    except OSError:
        return "closed"
open("fds", "w").write("\n".join("%s -> %s" % (fd, link(fd)) for fd in os.listdir("/proc/self/fd")))
open("env", "w").write("\n".join("%s=%s" % kv for kv in os.environ.items()))
open("tty", "w").write(os.ttyname(0))
open("status", "w").write(open("/proc/self/status").read())
time.sleep(1000)
`), 0o755))
	cfg := DefaultConfig(prog, nil)
	s, err := NewSession(cfg)
	require.NoError(t, err)
	defer s.Close()
	run, err := s.Launch(context.Background())
	require.NoError(t, err)
	read := func(name string) string {
		var data []byte
		require.Eventually(t, func() bool {
			data, _ = os.ReadFile(filepath.Join(s.Dir, name))
			return len(data) > 0 && (name != "status" || strings.Contains(string(data), "CapEff"))
		}, 5*time.Second, 5*time.Millisecond)
		return string(data)
	}
	status := read("status")
	assert.Contains(t, status, "Umask:\t0077")
	st, err := procfs.ParseStatus([]byte(status))
	require.NoError(t, err)
	assert.True(t, st.SigBlk.Has(syscall.SIGUSR1), "blocked: %s", st.SigBlk)
	assert.True(t, st.SigIgn.Has(syscall.SIGINT), "ignored: %s", st.SigIgn)
	// (python3 itself ignores SIGPIPE and SIGXFSZ at start-up)
	pythons := procfs.SigSetOf(syscall.SIGPIPE, syscall.SIGXFSZ)
	assert.Equal(t, procfs.SigSetOf(syscall.SIGINT), st.SigIgn&^pythons, "exactly the planted ignore, whatever the caller ignored")
	assert.Equal(t, procfs.SigSetOf(syscall.SIGUSR1), st.SigBlk, "exactly the planted mask")
	assert.Contains(t, read("fds"), "9 -> "+filepath.Join(s.Dir, "marker"))
	assert.Contains(t, read("env"), "DAEMONLAB_CANARY="+s.Canary)
	assert.NotContains(t, read("env"), "DAEMONLAB_LAUNCH_")
	assert.Contains(t, read("tty"), "/dev/pts/")

	// it is a foreground job of the terminal session led by the shell
	fs := procfs.New("")
	pst, err := fs.Stat(run.Launcher)
	require.NoError(t, err)
	assert.Equal(t, run.ShimPID, pst.Session)
	assert.Equal(t, run.Launcher, pst.PGRP)
	assert.Equal(t, pst.PGRP, pst.TPGID)
}

func TestLauncherExitStatusAndCleanup(t *testing.T) {
	prog := script(t, "sleep 1000 &\nsetsid sleep 1000 &\nexit 3\n")
	s, err := NewSession(DefaultConfig(prog, nil))
	require.NoError(t, err)
	run, err := s.Launch(context.Background())
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	e, ok := run.WaitLauncher(ctx)
	require.True(t, ok)
	assert.Equal(t, 3, e.Code)
	assert.False(t, e.Success())
	require.Eventually(t, func() bool { return len(s.Processes()) == 2 }, 5*time.Second, 5*time.Millisecond)
	orphans := s.Processes()
	for _, pid := range orphans {
		st, err := procfs.New("").Stat(pid)
		require.NoError(t, err)
		assert.Equal(t, os.Getpid(), st.PPID, "orphans are adopted by the subreaper")
	}
	dir := s.Dir
	require.NoError(t, s.Close())
	for _, pid := range orphans {
		assert.False(t, procfs.New("").Exists(pid), "pid %d survived Close", pid)
	}
	assert.NoDirExists(t, dir)
}

func TestSignalRefusesInitAndSelfAndRecycledPIDs(t *testing.T) {
	fs := procfs.New("")
	assert.ErrorIs(t, Identity{PID: 1}.Signal(fs, syscall.SIGTERM), ErrRefused)
	assert.ErrorIs(t, Identity{PID: os.Getpid()}.Signal(fs, syscall.SIGTERM), ErrRefused)
	id, err := IdentityOf(fs, os.Getppid())
	require.NoError(t, err)
	id.StartTicks++ // a different process with the same pid
	assert.ErrorIs(t, id.Signal(fs, syscall.SIGTERM), ErrNotSameProcess)
}

func TestNotAnExecutable(t *testing.T) {
	_, err := NewSession(DefaultConfig(t.TempDir(), nil))
	assert.ErrorContains(t, err, "not an executable")
	_, err = NewSession(DefaultConfig(filepath.Join(t.TempDir(), "missing"), nil))
	assert.Error(t, err)
}
