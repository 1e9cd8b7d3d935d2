package checkcmd

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// redisArgs daemonises redis-server on a free loopback port with its pid
// file and working directory in dir, saving nothing.
func redisArgs(t *testing.T, dir string) []string {
	return []string{"--daemonize", "yes", "--pidfile", filepath.Join(dir, "redis.pid"),
		"--port", strconv.Itoa(freePort(t)), "--bind", "127.0.0.1", "--dir", dir, "--save", ""}
}

// redis-server sets its process title over the memory /proc/PID/environ
// shows (NUL bytes only): the environment it was started with cannot be
// read any more, so the env check cannot say "none from a login session"
// (attach) or "canary absent" (launch).
func TestProcessTitleOverTheEnvironmentIsUnknown(t *testing.T) {
	needDebian(t, "redis-server")
	t.Run("attach", func(t *testing.T) {
		_, pid := startDaemon(t,
			func(dir string) string {
				return fmt.Sprintf("OLDPWD=/home/student /usr/bin/redis-server %s", shellWords(redisArgs(t, dir)))
			},
			func(dir string) string { return filepath.Join(dir, "redis.pid") })
		out, stderr, _ := runCLI(t, "--pid", strconv.Itoa(pid), "--format", "json")
		r := parse(t, out)
		require.NotEmpty(t, r.Checks, stderr)
		assert.Equal(t, "unknown", r.status("env"), r.String())
		assert.Contains(t, r.observed("env"), "process title")
	})
	t.Run("launch", func(t *testing.T) {
		dir := tokenDir(t)
		r := launchCheck(t, dir, append([]string{"/usr/bin/redis-server", "--pidfile", filepath.Join(dir, "redis.pid"), "--no-probes", "--format", "json", "--"}, redisArgs(t, dir)...)...)
		assert.Equal(t, "unknown", r.status("env"), r.String())
		assert.Contains(t, r.observed("env"), "DAEMONLAB_CANARY is not there")
		assert.Empty(t, leakedIn(dir))
	})
}

// launchCheck runs daemonlab check args in dir (launch mode: the daemon
// is started by the check) and returns its report, which must have checks.
func launchCheck(t *testing.T, dir string, args ...string) jsonReport {
	t.Helper()
	out, stderr, _ := runBin(t, dir, time.Minute, args...)
	r := parse(t, out)
	require.NotEmpty(t, r.Checks, stderr)
	return r
}

// checkMemcached runs daemonlab check (with checkArgs) on memcached -d -u
// user, launched in a fresh directory of the given mode that holds its
// pid file; it returns the report and the directory.
func checkMemcached(t *testing.T, mode os.FileMode, user string, checkArgs ...string) (jsonReport, string) {
	t.Helper()
	needDebian(t, "memcached")
	dir := tokenDir(t)
	require.NoError(t, os.Chmod(dir, mode))
	pidfile := filepath.Join(dir, "memcached.pid")
	args := append([]string{"/usr/bin/memcached", "--pidfile", pidfile}, checkArgs...)
	args = append(args, "--format", "json", "--", "-d", "-u", user, "-P", pidfile, "-l", "127.0.0.1", "-p", strconv.Itoa(freePort(t)))
	return launchCheck(t, dir, args...), dir
}

// shellWords quotes words for sh -c.
func shellWords(words []string) string {
	out := ""
	for i, w := range words {
		if i > 0 {
			out += " "
		}
		out += strconv.Quote(w)
	}
	return out
}

// memcached -u nobody writes its pid file after dropping privileges, by a
// temporary file renamed over the pid file. A crash leaves nobody's pid
// file behind, which the next start replaces; the stale pid file the probe
// plants must be the same, or the start fails for a reason of the probe's
// making (in a sticky directory such as /tmp, nobody cannot rename over a
// file of root's). SIGTERM first: memcached removes its pid file as it
// exits, so the probe creates the stale one.
func TestStalePIDFileKeepsTheDaemonsOwner(t *testing.T) {
	r, dir := checkMemcached(t, 0o777|os.ModeSticky, "nobody", "--probe", "sigterm,stale-pidfile")
	assert.Equal(t, "pass", r.status("pidfile"), r.String())
	assert.Equal(t, "pass", r.status("stale-pidfile"), r.String())
	assert.Empty(t, leakedIn(dir))
}

// memcached -d ignores SIGHUP itself before it daemonises. Launch mode
// left SIGHUP at its default, so the report must not blame nohup.
func TestSIGHUPIgnoredByTheDaemonItself(t *testing.T) {
	r, dir := checkMemcached(t, 0o755, "root", "--no-probes")
	assert.Equal(t, "warn", r.status("sigdisp"), r.String())
	assert.Contains(t, r.observed("sigdisp"), "SIGHUP is ignored by the daemon itself")
	assert.NotContains(t, r.observed("sigdisp"), "nohup")
	assert.Empty(t, leakedIn(dir))
}

// redis-server as Debian runs it keeps its pid file in a directory of its
// own under /run (/run/redis/redis-server.pid), as chronyd and dbus-daemon
// do: found there because it names the process.
func TestPIDFileInADirectoryOfRun(t *testing.T) {
	needDebian(t, "redis-server")
	run, err := os.MkdirTemp("/run", token+"-")
	require.NoError(t, err)
	t.Cleanup(func() { os.RemoveAll(run) })
	pidfile := filepath.Join(run, "redis-server.pid")
	_, pid := startDaemon(t,
		func(dir string) string {
			args := redisArgs(t, dir)
			args[3] = pidfile // --pidfile
			return "/usr/bin/redis-server " + shellWords(args)
		},
		func(string) string { return pidfile })
	out, stderr, _ := runCLI(t, "--pid", strconv.Itoa(pid), "--format", "json")
	r := parse(t, out)
	require.NotEmpty(t, r.Checks, stderr)
	assert.Equal(t, "pass", r.status("pidfile"), r.String())
	assert.Contains(t, r.observed("pidfile"), "found at "+pidfile)
}
