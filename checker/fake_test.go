package checker

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/daemonlab/daemonlab/checker/procfs"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// fakeProc builds a procfs tree in a temporary directory, gopsutil-style,
// but at test time: lock lines must carry the real device and inode of the
// pid file they refer to.
type fakeProc struct {
	t    *testing.T
	root string
	dir  string // where fake pid files live
}

func newFakeProc(t *testing.T) *fakeProc {
	t.Helper()
	base := t.TempDir()
	f := &fakeProc{t: t, root: filepath.Join(base, "proc"), dir: filepath.Join(base, "run")}
	require.NoError(t, os.MkdirAll(f.root, 0o755))
	require.NoError(t, os.MkdirAll(f.dir, 0o755))
	f.write("locks", "")
	return f
}

func (f *fakeProc) fs() procfs.FS { return procfs.New(f.root) }

func (f *fakeProc) write(rel, content string) {
	p := filepath.Join(f.root, rel)
	require.NoError(f.t, os.MkdirAll(filepath.Dir(p), 0o755))
	require.NoError(f.t, os.WriteFile(p, []byte(content), 0o644))
}

// proc adds a process: stat fields and a status with the given masks.
func (f *fakeProc) proc(pid, ppid, pgrp, sid, tty int, comm string, umask string) {
	tpgid := -1
	if tty != 0 {
		tpgid = pgrp
	}
	f.write(fmt.Sprintf("%d/stat", pid), fmt.Sprintf("%d (%s) S %d %d %d %d %d 4194560 0 0 0 0 0 0 0 0 20 0 1 0 %d 0 0", pid, comm, ppid, pgrp, sid, tty, tpgid, 1000+pid))
	status := fmt.Sprintf("Name:\t%s\n", comm)
	if umask != "" {
		status += "Umask:\t" + umask + "\n"
	}
	status += fmt.Sprintf("State:\tS (sleeping)\nTgid:\t%d\nPid:\t%d\nPPid:\t%d\nUid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\nGroups:\t\nSigBlk:\t0000000000000000\nSigIgn:\t0000000000000000\nSigCgt:\t0000000000004001\nCapEff:\t0000000000000000\n", pid, pid, ppid)
	f.write(fmt.Sprintf("%d/status", pid), status)
	f.write(fmt.Sprintf("%d/task/%d/status", pid, pid), status)
	require.NoError(f.t, os.Symlink("/", filepath.Join(f.root, strconv.Itoa(pid), "cwd")))
	f.write(fmt.Sprintf("%d/environ", pid), "PATH=/usr/bin\x00")
	f.write(fmt.Sprintf("%d/cgroup", pid), "0::/\n")
	require.NoError(f.t, os.MkdirAll(filepath.Join(f.root, strconv.Itoa(pid), "fd"), 0o755))
}

// fd opens descriptor num of pid on target; fdinfo is written when non-empty.
func (f *fakeProc) fd(pid, num int, target, fdinfo string) {
	link := filepath.Join(f.root, strconv.Itoa(pid), "fd", strconv.Itoa(num))
	require.NoError(f.t, os.Symlink(target, link))
	if fdinfo != "" {
		f.write(fmt.Sprintf("%d/fdinfo/%d", pid, num), fdinfo)
	}
}

// pidFile creates a pid file and returns its path and "MM:mm:ino" as
// /proc/locks prints it.
func (f *fakeProc) pidFile(name, content string) (string, string) {
	p := filepath.Join(f.dir, name)
	require.NoError(f.t, os.WriteFile(p, []byte(content), 0o644))
	var st unix.Stat_t
	require.NoError(f.t, unix.Stat(p, &st))
	return p, fmt.Sprintf("%02x:%02x:%d", unix.Major(st.Dev), unix.Minor(st.Dev), st.Ino)
}

func (f *fakeProc) take(pid int, pidfile string) *Snapshot {
	s, err := Take(context.Background(), pid, Options{Proc: f.fs(), PIDFile: pidfile})
	require.NoError(f.t, err)
	return s
}
