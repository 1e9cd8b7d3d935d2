package checkcmd

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/daemonlab/daemonlab/internal/testutil"

	"github.com/daemonlab/daemonlab/checker"
	"github.com/daemonlab/daemonlab/checker/procfs"
	"github.com/daemonlab/daemonlab/internal/cmdutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Real Debian daemons the judging is tried on. They are installed in the
// test set-up the way scripts/deps.sh installs the reference daemons'
// needs: only when missing, with apt-get, as root — and without letting
// the packages' post-install scripts start services on this machine (a
// policy-rc.d that says 101, present only for the install).
var debianPackages = map[string]string{ // package → a file it installs
	"lighttpd":      "/usr/sbin/lighttpd",
	"haveged":       "/usr/sbin/haveged",
	"apache2":       "/usr/sbin/apache2",
	"openbsd-inetd": "/usr/sbin/inetd",
	"at":            "/usr/sbin/atd",
	"redis-server":  "/usr/bin/redis-server",
	"memcached":     "/usr/bin/memcached",
}

var installMu sync.Mutex

// needDebian installs the packages that are missing, or skips the test
// when that cannot be done (not root, no apt-get, no package source).
func needDebian(t *testing.T, pkgs ...string) {
	t.Helper()
	testutil.SkipShort(t, "no real daemons")
	installMu.Lock()
	defer installMu.Unlock()
	var missing []string
	for _, p := range pkgs {
		if _, err := os.Stat(debianPackages[p]); err != nil {
			missing = append(missing, p)
		}
	}
	if len(missing) == 0 {
		return
	}
	if os.Geteuid() != 0 {
		t.Skipf("needs %s (apt-get install them, or run the tests as root)", strings.Join(missing, " "))
	}
	if _, err := exec.LookPath("apt-get"); err != nil {
		t.Skipf("needs %s and there is no apt-get", strings.Join(missing, " "))
	}
	const policy = "/usr/sbin/policy-rc.d"
	if _, err := os.Stat(policy); os.IsNotExist(err) {
		if err := os.WriteFile(policy, []byte("#!/bin/sh\n# daemonlab tests: do not start services while installing\nexit 101\n"), 0o755); err != nil {
			t.Fatalf("writing %s: %v", policy, err)
		}
		defer os.Remove(policy)
	}
	install := func() ([]byte, error) {
		cmd := exec.Command("apt-get", append([]string{"install", "-y", "-qq", "--no-install-recommends", "-o", "DPkg::Lock::Timeout=300"}, missing...)...)
		cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
		return cmd.CombinedOutput()
	}
	if _, err := install(); err != nil {
		// a fresh machine has no package lists yet
		if upd, uerr := exec.Command("apt-get", "update", "-qq", "-o", "DPkg::Lock::Timeout=300").CombinedOutput(); uerr != nil {
			t.Skipf("apt-get update: %v\n%s", uerr, upd)
		}
		if out, err := install(); err != nil {
			t.Fatalf("apt-get install %s: %v\n%s", strings.Join(missing, " "), err, out)
		}
	}
}

// freePort returns a loopback TCP port nobody listens on right now.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// lighttpdConf writes a minimal lighttpd configuration serving dir on a
// loopback port, with its pid file and error log in dir.
func lighttpdConf(t *testing.T, dir string) (conf, pidfile string) {
	t.Helper()
	conf, pidfile = filepath.Join(dir, "lighttpd.conf"), filepath.Join(dir, "lighttpd.pid")
	body := fmt.Sprintf("server.document-root = %q\nserver.port = %d\nserver.bind = \"127.0.0.1\"\nserver.pid-file = %q\nserver.errorlog = %q\n",
		dir, freePort(t), pidfile, filepath.Join(dir, "error.log"))
	require.NoError(t, os.WriteFile(conf, []byte(body), 0o644))
	return conf, pidfile
}

// lighttpd installs a SIGUSR1 handler yet leaves the signal blocked for
// ever, as the launcher left it: a handler alone does not excuse it.
func TestLighttpdKeepsThePlantedSignalBlocked(t *testing.T) {
	needDebian(t, "lighttpd")
	dir, err := os.MkdirTemp("", token+"-")
	require.NoError(t, err)
	t.Cleanup(func() { os.RemoveAll(dir) })
	conf, pidfile := lighttpdConf(t, dir)
	out, stderr, _ := runBin(t, dir, time.Minute, "/usr/sbin/lighttpd", "--pidfile", pidfile, "--no-probes", "--format", "json", "--", "-f", conf)
	r := parse(t, out)
	require.NotEmpty(t, r.Checks, stderr)
	assert.Equal(t, "fail", r.status("sigmask"), r.String())
	assert.Contains(t, r.observed("sigmask"), "a handler is installed")
	assert.Equal(t, "pass", r.status("pidfile"), r.String())
	assert.Empty(t, leakedIn(dir))
	_, err = os.Stat(pidfile)
	assert.True(t, os.IsNotExist(err), "the pid file the run created is removed")
}

// startDaemon starts a real daemon from a terminal, as a user would, and
// waits for its pid file. The terminal shell's clean-up kills it (by pid:
// its arguments carry the shell's directory, or it is in its session).
func startDaemon(t *testing.T, cmdline func(dir string) string, pidfile func(dir string) string) (*terminalShell, int) {
	t.Helper()
	testutil.SkipShort(t, "no real daemons")
	ts := startFromTerminal(t, "true")
	pf := pidfile(ts.dir)
	existed := false
	if _, err := os.Stat(pf); err == nil {
		existed = true
	}
	startFromTerminal(t, cmdline(ts.dir))
	pid := waitPIDFile(t, pf)
	t.Cleanup(func() {
		_ = syscall.Kill(pid, syscall.SIGKILL)
		if !existed {
			os.Remove(pf)
		}
	})
	return ts, pid
}

// What stops a second copy when there is no lock: haveged's abstract unix
// socket (a second haveged refuses), inetd's TCP listener (a second inetd
// in fact starts). A listener is worded as a hint, never a proof or a
// failure.
func TestListenerIsAHintForTheLock(t *testing.T) {
	tests := []struct {
		name, pkg string
		cmdline   func(dir string) string
		pidfile   func(dir string) string
		says      string
	}{
		{"haveged", "haveged",
			func(dir string) string { return "/usr/sbin/haveged -p " + filepath.Join(dir, "haveged.pid") },
			func(dir string) string { return filepath.Join(dir, "haveged.pid") },
			"abstract unix socket"},
		{"openbsd-inetd", "openbsd-inetd",
			func(dir string) string {
				conf := filepath.Join(dir, "inetd.conf")
				_ = os.WriteFile(conf, []byte(fmt.Sprintf("127.0.0.1:%d stream tcp nowait nobody /bin/cat cat\n", freePort(t))), 0o644)
				return "/usr/sbin/inetd " + conf
			},
			func(string) string { return "/run/inetd.pid" },
			"tcp port"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			needDebian(t, tt.pkg)
			_, pid := startDaemon(t, tt.cmdline, tt.pidfile)
			// inetd writes its pid file before it binds: wait for the socket
			require.Eventually(t, func() bool { return listening(pid) }, 10*time.Second, 2*time.Millisecond)
			out, stderr, _ := runCLI(t, "--pid", strconv.Itoa(pid), "--format", "json")
			r := parse(t, out)
			require.NotEmpty(t, r.Checks, stderr)
			assert.Equal(t, "warn", r.status("lock"), r.String())
			assert.Contains(t, r.observed("lock"), tt.says)
			assert.Contains(t, r.observed("lock"), "not a proof")
		})
	}
}

// apacheConf writes a minimal apache2 configuration: a loopback port, the
// pid file and error log in dir, workers as nobody.
func apacheConf(t *testing.T, dir string) string {
	t.Helper()
	conf := filepath.Join(dir, "apache.conf")
	body := fmt.Sprintf(`ServerRoot "/etc/apache2"
LoadModule mpm_event_module /usr/lib/apache2/modules/mod_mpm_event.so
LoadModule authz_core_module /usr/lib/apache2/modules/mod_authz_core.so
Listen 127.0.0.1:%d
PidFile %s/apache.pid
ErrorLog %s/error.log
DefaultRuntimeDir %s
Mutex file:%s
ServerName localhost
DocumentRoot %s
User nobody
Group nogroup
`, freePort(t), dir, dir, dir, dir, dir)
	require.NoError(t, os.WriteFile(conf, []byte(body), 0o644))
	return conf
}

// apache2 started from a terminal: found by name (its parent process, not
// one of its workers) and its stderr on the append-mode error log passes
// stdio, the rule the course teaches.
func TestApache(t *testing.T) {
	needDebian(t, "apache2")
	var conf string
	ts, pid := startDaemon(t,
		func(dir string) string {
			require.NoError(t, os.Chmod(dir, 0o755))
			conf = apacheConf(t, dir)
			return "/usr/sbin/apache2 -f " + conf + " -k start"
		},
		func(dir string) string { return filepath.Join(dir, "apache.pid") })
	_ = ts
	// wait for the workers: several processes are called apache2
	require.Eventually(t, func() bool {
		cands, err := checker.FindByName(procfs.New(""), "apache2", os.Getpid())
		return err == nil && len(cands) > 1
	}, 10*time.Second, 5*time.Millisecond)
	out, stderr, code := runCLI(t, "apache2", "--format", "json")
	require.NotEqual(t, cmdutil.ExitBadInput, code, stderr)
	r := parse(t, out)
	assert.Equal(t, pid, r.Target.PID, "the parent, not a worker")
	assert.Equal(t, "pass", r.status("stdio"), r.String())
	assert.Contains(t, r.observed("stdio"), "error.log (log file, append)")
}

// listening reports whether pid holds a listening socket.
func listening(pid int) bool {
	fs := procfs.New("")
	ls, err := fs.Listeners(pid)
	if err != nil {
		return false
	}
	fds, _ := fs.FDs(pid)
	for _, fd := range fds {
		if _, ok := ls[fd.Ino]; ok && fd.IsSocket() {
			return true
		}
	}
	return false
}
