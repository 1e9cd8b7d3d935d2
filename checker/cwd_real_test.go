package checker

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/daemonlab/daemonlab/report"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// chrootThenChdir is mini_httpd with chroot: chroot(argv[1]), then
// chdir(argv[2]) inside it.
const chrootThenChdir = `
import os, signal, sys
os.chroot(sys.argv[1])
os.chdir(sys.argv[2])
`

// TestCwdAtTheRootOfItsChroot: a daemon that chroot()s and then chdir("/")
// has /proc/PID/cwd = /proc/PID/root; it did what the hint asks and
// passes, with a note. Elsewhere in its chroot the usual rules apply.
func TestCwdAtTheRootOfItsChroot(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("chroot needs root")
	}
	tests := []struct {
		name  string
		chdir string
		cwd   string // lab's cwd, "" for the textbook
		want  report.Status
		says  string
	}{
		{name: "at its root", chdir: "/", want: report.Pass, says: "at the root of its chroot"},
		{name: "at its root, the lab wants /", chdir: "/", cwd: "/", want: report.Pass, says: "at the root of its chroot"},
		{name: "in a directory of its chroot", chdir: "/sub", want: report.Fail, says: "most likely the shell's"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir() // under /tmp: a directory it would fail for
			require.NoError(t, os.Mkdir(filepath.Join(dir, "sub"), 0o755))
			pid := startPython(t, chrootThenChdir, dir, tt.chdir)
			s := takeReal(t, pid, Options{})
			require.Equal(t, dir, s.Root)
			p := DefaultProfile()
			p.Cwd = tt.cwd
			got := findCheck(t, Judge(s, p, nil), "cwd")
			assert.Equal(t, tt.want, got.Status, "observed: %s", got.Observed)
			assert.Contains(t, got.Observed, tt.says)
			if tt.want == report.Pass {
				assert.Contains(t, got.Observed, dir)
			}
		})
	}
}
