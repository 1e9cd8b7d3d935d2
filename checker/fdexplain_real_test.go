package checker

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/daemonlab/daemonlab/report"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// ownMemory holds a memfd (keepalived's consolidated configuration) or a
// POSIX shared memory file under /dev/shm (squid), argv[1] and argv[2].
const ownMemory = `
import os, signal, sys
os.closerange(3, 1024)
if sys.argv[1] == "memfd":
    fd = os.memfd_create("daemonlab-test")
else:
    fd = os.open(sys.argv[2], os.O_RDWR | os.O_CREAT, 0o600)
`

// perlScript is munin-node: perl keeps the script it runs open (to read
// what follows __END__).
const perlScript = `$| = 1;
print "ready\n";
sleep 3600 while 1;
__END__
=head1 NAME
fixture
`

func TestIsScript(t *testing.T) {
	tests := []struct {
		name    string
		cmdline []string
		target  string
		want    bool
	}{
		{"perl with options", []string{"/usr/bin/perl", "-wT", "/usr/sbin/munin-node"}, "/usr/sbin/munin-node", true},
		{"relative script", []string{"python3", "-u", "mydaemon.py"}, "/home/s/lab/mydaemon.py", true},
		{"a file that only ends like it", []string{"python3", "d.py"}, "/home/s/lab/mydaemon.py", false},
		{"only the first argument counts", []string{"perl", "/usr/sbin/x", "/etc/x.conf"}, "/etc/x.conf", false},
		{"no arguments", []string{"/usr/sbin/mydaemon"}, "/usr/sbin/mydaemon", false},
		{"no command line", nil, "/x", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, isScript(tt.cmdline, tt.target))
		})
	}
}

// TestOwnFilesAreExplained: a memfd, POSIX shared memory and the script an
// interpreter runs are the daemon's own runtime files, not "a file the
// launcher left open".
func TestOwnFilesAreExplained(t *testing.T) {
	tests := []struct {
		name   string
		start  func(t *testing.T) (pid int, target string)
		reason string
	}{
		{name: "memfd", reason: "a memfd: the daemon's own memory", start: func(t *testing.T) (int, string) {
			return startPython(t, ownMemory, "memfd"), "/memfd:daemonlab-test"
		}},
		{name: "/dev/shm", reason: "POSIX shared memory: the daemon's own memory", start: func(t *testing.T) (int, string) {
			if st, err := os.Stat("/dev/shm"); err != nil || !st.IsDir() {
				t.Skip("no /dev/shm")
			}
			path := fmt.Sprintf("/dev/shm/daemonlab-test-%d", os.Getpid())
			t.Cleanup(func() { _ = os.Remove(path) })
			return startPython(t, ownMemory, "shm", path), path
		}},
		{name: "perl script", reason: "the script it runs, which its interpreter keeps open", start: func(t *testing.T) (int, string) {
			perl, err := exec.LookPath("perl")
			if err != nil {
				t.Skip("no perl")
			}
			script := filepath.Join(t.TempDir(), "munin-node")
			require.NoError(t, os.WriteFile(script, []byte(perlScript), 0o755))
			return startReal(t, perl, "-wT", script), script
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pid, target := tt.start(t)
			got := findCheck(t, Judge(takeReal(t, pid, Options{}), DefaultProfile(), nil), "fds")
			// Only this descriptor's line: perl keeps whatever the test
			// binary inherited without close-on-exec.
			var line string
			for _, d := range got.Details {
				if strings.Contains(d, "→ "+target) {
					line = d
				}
			}
			require.NotEmpty(t, line, "no descriptor on %s in %q", target, got.Details)
			assert.Contains(t, line, "("+tt.reason+")")
			assert.NotContains(t, line, "launcher")
			if tt.name != "perl script" {
				assert.Equal(t, report.Pass, got.Status, "observed: %s", got.Observed)
			}
		})
	}
}
