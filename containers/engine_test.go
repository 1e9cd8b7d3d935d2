package containers

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/daemonlab/daemonlab/internal/testutil"
)

// Engine tests need a Docker engine. Without one they skip, unless
// DAEMONLAB_REQUIRE_DOCKER=1, which turns "no engine" into a failure.

var sessionLabel = func() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}()

const sessionKey = "org.daemonlab.test-session"

func TestMain(m *testing.M) {
	if os.Getenv("TESTCONTAINERS_RYUK_DISABLED") == "" {
		// The reaper image cannot be pulled without a registry; we clean up ourselves.
		os.Setenv("TESTCONTAINERS_RYUK_DISABLED", "true")
	}
	code := m.Run()
	// Final check: no container of this test session may be left.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if EngineAvailable(ctx) == nil {
		ids, err := ListLabelled(ctx, map[string]string{sessionKey: sessionLabel})
		if err != nil {
			fmt.Fprintln(os.Stderr, "final leftover check:", err)
			code = 1
		} else if len(ids) > 0 {
			fmt.Fprintf(os.Stderr, "FAIL: %d container(s) with %s=%s left behind: %v\n", len(ids), sessionKey, sessionLabel, ids)
			code = 1
			_ = CleanupAll(ctx)
			RemoveLeftovers(ctx)
		}
	}
	os.Exit(code)
}

func requireEngine(t *testing.T) {
	t.Helper()
	testutil.SkipShort(t, "no containers")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := EngineAvailable(ctx); err != nil {
		if !errors.Is(err, ErrNoEngine) {
			t.Errorf("EngineAvailable error does not wrap ErrNoEngine: %v", err)
		}
		if os.Getenv("DAEMONLAB_REQUIRE_DOCKER") == "1" {
			t.Fatalf("DAEMONLAB_REQUIRE_DOCKER=1 but: %v", err)
		}
		t.Skipf("no Docker engine: %v", err)
	}
}

type tWriter struct{ t *testing.T }

func (w tWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

var (
	imageOnce sync.Once
	imageTag  string
	imageErr  error
)

// testImage ensures the base image once per test binary.
func testImage(t *testing.T) string {
	t.Helper()
	requireEngine(t)
	imageOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
		defer cancel()
		start := time.Now()
		var built bool
		imageTag, built, imageErr = EnsureImage(ctx, tWriter{t})
		t.Logf("EnsureImage: tag=%s built=%v in %s", imageTag, built, time.Since(start).Round(time.Millisecond))
	})
	if imageErr != nil {
		t.Fatalf("EnsureImage: %v", imageErr)
	}
	return imageTag
}

// start starts a container labelled with this test session and terminates it
// when the test ends.
func start(t *testing.T, o Options) *Container {
	t.Helper()
	o.Image = testImage(t)
	if o.Labels == nil {
		o.Labels = map[string]string{}
	}
	o.Labels[sessionKey] = sessionLabel
	o.Labels["org.daemonlab.test"] = t.Name()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	c, err := Start(ctx, o)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Logf("container %.12s ready in %s (state %s, failed units %v)", c.ID(), c.StartDuration.Round(time.Millisecond), c.SystemState, c.FailedUnits)
	t.Cleanup(func() {
		if err := c.Terminate(context.Background()); err != nil {
			t.Errorf("Terminate: %v", err)
		}
		t.Logf("teardown of %.12s took %s", c.ID(), c.TeardownDuration().Round(time.Millisecond))
		ids, err := ListLabelled(context.Background(), map[string]string{sessionKey: sessionLabel, "org.daemonlab.test": t.Name()})
		if err != nil || len(ids) > 0 {
			t.Errorf("after Terminate: containers left %v (err %v)", ids, err)
		}
	})
	return c
}

func run(t *testing.T, c *Container, d time.Duration, cmd ...string) ExecResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	res, err := c.Exec(ctx, cmd)
	if err != nil {
		t.Fatalf("exec %q: %v (output %q)", cmd, err, res.Output)
	}
	return res
}

// pollUntil polls f every 50 ms until it returns true or d has passed.
func pollUntil(d time.Duration, f func() bool) bool {
	deadline := time.Now().Add(d)
	for {
		if f() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		<-time.After(50 * time.Millisecond)
	}
}

func TestEnsureImageReuses(t *testing.T) {
	tag := testImage(t) // builds or reuses
	if tag != ImageTag() {
		t.Fatalf("tag %s != ImageTag() %s", tag, ImageTag())
	}
	start := time.Now()
	tag2, built, err := EnsureImage(context.Background(), tWriter{t})
	if err != nil {
		t.Fatal(err)
	}
	if built || tag2 != tag {
		t.Fatalf("second EnsureImage: tag %s built %v, want %s false", tag2, built, tag)
	}
	t.Logf("second EnsureImage (reuse) took %s", time.Since(start).Round(time.Millisecond))
	cli, _ := dockerClient()
	ins, err := cli.ImageInspect(context.Background(), tag)
	if err != nil {
		t.Fatal(err)
	}
	if got := ins.Config.Labels[RecipeLabel]; got != RecipeHash() {
		t.Fatalf("image label %s=%q, want %s", RecipeLabel, got, RecipeHash())
	}
}

func TestStartSystemdContainer(t *testing.T) {
	c := start(t, Options{})
	if c.SystemState != "running" && c.SystemState != "degraded" {
		t.Fatalf("SystemState %q", c.SystemState)
	}
	if c.SystemState == "degraded" {
		t.Logf("degraded, failed units: %v", c.FailedUnits)
	}
	if got := strings.TrimSpace(run(t, c, 10*time.Second, "systemctl", "is-system-running").Output); got != "running" && got != "degraded" {
		t.Fatalf("is-system-running: %q", got)
	}
	if got := strings.TrimSpace(run(t, c, 10*time.Second, "cat", "/proc/1/comm").Output); got != "systemd" {
		t.Fatalf("PID 1 is %q, want systemd", got)
	}

	// Capabilities: nothing beyond Docker's default set, and certainly not all.
	status := run(t, c, 10*time.Second, "cat", "/proc/self/status").Output
	var capEff uint64
	for _, line := range strings.Split(status, "\n") {
		if v, ok := strings.CutPrefix(line, "CapEff:"); ok {
			capEff, _ = strconv.ParseUint(strings.TrimSpace(v), 16, 64)
		}
	}
	const dockerDefault = 0xa80425fb // chown dac_override fowner fsetid kill setgid setuid setpcap net_bind_service net_raw sys_chroot mknod audit_write setfcap
	t.Logf("CapEff inside: %#x (Docker default %#x)", capEff, dockerDefault)
	if capEff&^uint64(dockerDefault) != 0 {
		t.Fatalf("CapEff %#x has capabilities beyond Docker's default %#x", capEff, dockerDefault)
	}
	const capSysAdmin = 1 << 21
	if capEff&capSysAdmin != 0 {
		t.Fatalf("CAP_SYS_ADMIN present")
	}

	// Network: loopback only.
	if got := strings.Fields(run(t, c, 10*time.Second, "ls", "/sys/class/net").Output); len(got) != 1 || got[0] != "lo" {
		t.Fatalf("interfaces %v, want only lo", got)
	}
	py := `import socket
s=socket.socket(); s.bind(("127.0.0.1",0)); s.listen(1)
c=socket.create_connection(s.getsockname(),timeout=2); print("loopback ok")`
	if got := run(t, c, 10*time.Second, "python3", "-c", py).Output; !strings.Contains(got, "loopback ok") {
		t.Fatalf("loopback: %q", got)
	}

	// The resource cgroups are read-only inside: a process cannot leave its
	// pids/memory cgroup (with a plain -v /sys/fs/cgroup:/sys/fs/cgroup:ro it could).
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, ctl := range []string{"pids", "memory", "devices"} {
		res, err := c.Exec(ctx, []string{"sh", "-c", "echo $$ > /sys/fs/cgroup/" + ctl + "/cgroup.procs"})
		if err != nil {
			t.Fatal(err)
		}
		if res.ExitCode == 0 {
			t.Errorf("a process could move itself to the root %s cgroup", ctl)
		}
	}
}

func TestExecOutputAndExitCode(t *testing.T) {
	c := start(t, Options{})
	res := run(t, c, 10*time.Second, "sh", "-c", "echo out; echo err >&2; exit 3")
	if res.ExitCode != 3 || !strings.Contains(res.Output, "out\n") || !strings.Contains(res.Output, "err\n") {
		t.Fatalf("got %+v", res)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	res, err := c.Exec(ctx, []string{"sh", "-c", "head -c 300000 /dev/zero | tr '\\0' a"}, WithMaxOutput(1000))
	if err != nil {
		t.Fatal(err)
	}
	if res.Truncated != 299000 || !strings.HasPrefix(res.Output, strings.Repeat("a", 1000)+"\n") ||
		!strings.HasSuffix(res.Output, "[... truncated 299000 bytes]") {
		t.Fatalf("cap: truncated %d, output len %d, tail %q", res.Truncated, len(res.Output), res.Output[max(0, len(res.Output)-40):])
	}
	// Default cap is 64 KiB.
	res, err = c.Exec(ctx, []string{"sh", "-c", "head -c 100000 /dev/zero"})
	if err != nil || res.Truncated != 100000-DefaultMaxOutput {
		t.Fatalf("default cap: truncated %d err %v", res.Truncated, err)
	}
}

func TestExecTimeoutKillsCommand(t *testing.T) {
	c := start(t, Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 1*time.Second)
	defer cancel()
	begin := time.Now()
	res, err := c.Exec(ctx, []string{"sleep", "30"})
	took := time.Since(begin)
	t.Logf("sleep 30 with a 1 s deadline returned after %s: exit %d, err %v", took.Round(time.Millisecond), res.ExitCode, err)
	if !errors.Is(err, ErrExecTimeout) || !strings.Contains(err.Error(), "timed out") {
		t.Fatalf("want a timeout error, got %v", err)
	}
	if took > 3*time.Second {
		t.Fatalf("Exec returned after %s, want about 1 s", took)
	}
	gone := pollUntil(3*time.Second, func() bool {
		r, err := c.Exec(context.Background(), []string{"pgrep", "-x", "sleep"}, WithTimeout(5*time.Second))
		return err == nil && r.ExitCode == 1
	})
	if !gone {
		t.Fatalf("sleep still runs in the container after the timeout")
	}
	// Cancelling ctx (Ctrl-C) returns at once with ctx's error.
	cctx, ccancel := context.WithCancel(context.Background())
	time.AfterFunc(300*time.Millisecond, ccancel)
	begin = time.Now()
	_, err = c.Exec(cctx, []string{"sleep", "30"})
	if !errors.Is(err, context.Canceled) || time.Since(begin) > 2*time.Second {
		t.Fatalf("cancelled Exec: err %v after %s", err, time.Since(begin))
	}
	// WithTimeout works as well as a ctx deadline.
	_, err = c.Exec(context.Background(), []string{"sleep", "30"}, WithTimeout(500*time.Millisecond))
	if !errors.Is(err, ErrExecTimeout) {
		t.Fatalf("WithTimeout: %v", err)
	}
}

func TestForkBombIsContained(t *testing.T) {
	c := start(t, Options{PidsLimit: 256})
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	begin := time.Now()
	res, err := c.Exec(ctx, []string{"bash", "-c", ":(){ :|:& };:"}, WithMaxOutput(2048))
	t.Logf("fork bomb exec returned after %s: exit %d err %v output %q",
		time.Since(begin).Round(time.Millisecond), res.ExitCode, err, firstLine(res.Output))
	if time.Since(begin) > 10*time.Second {
		t.Fatalf("fork bomb exec took %s", time.Since(begin))
	}
	// The host is fine: the engine still answers quickly.
	pctx, pcancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer pcancel()
	if err := EngineAvailable(pctx); err != nil {
		t.Fatalf("engine after fork bomb: %v", err)
	}
	if err := c.Terminate(context.Background()); err != nil {
		t.Fatalf("Terminate after fork bomb: %v", err)
	}
	t.Logf("teardown after fork bomb: %s", c.TeardownDuration().Round(time.Millisecond))
}

func TestTerminateConcurrentAndIdempotent(t *testing.T) {
	c := start(t, Options{})
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for range 3 {
		wg.Add(1)
		go func() { defer wg.Done(); errs <- c.Terminate(context.Background()) }()
	}
	wg.Add(1)
	go func() { defer wg.Done(); errs <- CleanupAll(context.Background()) }()
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	td := c.TeardownDuration()
	t.Logf("Terminate took %s (target < 0.5 s)", td.Round(time.Millisecond))
	if td == 0 {
		t.Fatal("TeardownDuration not recorded")
	}
	if err := c.Terminate(context.Background()); err != nil {
		t.Fatalf("second Terminate: %v", err)
	}
	if _, err := c.Exec(context.Background(), []string{"true"}); err == nil {
		t.Fatal("Exec after Terminate succeeded")
	}
	ids, err := ListLabelled(context.Background(), map[string]string{sessionKey: sessionLabel, "org.daemonlab.test": t.Name()})
	if err != nil || len(ids) != 0 {
		t.Fatalf("left: %v %v", ids, err)
	}
}

func TestWatchdogTerminates(t *testing.T) {
	// A plain container: the watchdog is the same, and a slow systemd boot on
	// a loaded machine cannot outlast the short lifetime.
	c := start(t, Options{MaxLifetime: 3 * time.Second, Plain: true})
	select {
	case <-c.Terminated():
	case <-time.After(30 * time.Second):
		t.Fatal("watchdog did not terminate the container within 30 s")
	}
	if !c.Expired() {
		t.Fatal("Expired() = false after the watchdog fired")
	}
	t.Logf("watchdog teardown took %s", c.TeardownDuration().Round(time.Millisecond))
}

func TestCopyAndService(t *testing.T) {
	c := start(t, Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	if err := c.WriteFile(ctx, "/usr/local/bin/hello", []byte("#!/bin/sh\necho hello from $0\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if got := run(t, c, 10*time.Second, "/usr/local/bin/hello").Output; got != "hello from /usr/local/bin/hello\n" {
		t.Fatalf("hello: %q", got)
	}
	// Out again: a regular file comes out whole; a symlink, a directory or
	// a file over the limit is refused.
	var got strings.Builder
	if _, err := c.GetFile(ctx, "/usr/local/bin/hello", &got, 1<<20); err != nil || !strings.HasPrefix(got.String(), "#!/bin/sh") {
		t.Fatalf("GetFile: %v %q", err, got.String())
	}
	run(t, c, 10*time.Second, "ln", "-s", "/etc/shadow", "/tmp/link")
	for p, want := range map[string]error{"/tmp/link": ErrNotRegular, "/usr/local/bin": ErrNotRegular, "/usr/bin/systemctl": ErrTooLarge} {
		if _, err := c.GetFile(ctx, p, io.Discard, 1024); !errors.Is(err, want) {
			t.Fatalf("GetFile(%s) = %v, want %v", p, err, want)
		}
	}
	// A unit restarts after kill -9 and its log is in the journal.
	unit := "[Service]\nExecStart=/bin/sh -c 'echo started; exec sleep 1000'\nRestart=on-failure\nRestartSec=100ms\n"
	if err := c.WriteFile(ctx, "/etc/systemd/system/lab.service", []byte(unit), 0o644); err != nil {
		t.Fatal(err)
	}
	run(t, c, 10*time.Second, "systemctl", "daemon-reload")
	run(t, c, 10*time.Second, "systemctl", "start", "lab.service")
	run(t, c, 10*time.Second, "systemctl", "kill", "-s", "KILL", "lab.service")
	ok := pollUntil(10*time.Second, func() bool {
		r, err := c.Exec(ctx, []string{"systemctl", "show", "-p", "NRestarts,ActiveState", "lab.service"})
		return err == nil && strings.Contains(r.Output, "NRestarts=1") && strings.Contains(r.Output, "ActiveState=active")
	})
	if !ok {
		t.Fatal("lab.service was not restarted")
	}
	if got := run(t, c, 10*time.Second, "journalctl", "-u", "lab.service", "--no-pager").Output; strings.Count(got, "started") < 2 {
		t.Fatalf("journal: %q", got)
	}
}

// TestWritesAreBoundedAndStayInside: the root file system is read-only (the
// image's tools cannot be replaced, no /etc/ld.so.preload), every writable
// path is a size-limited tmpfs (a disk fill costs the host nothing), and a
// cgroup made inside lands in the container's own subtree, which is gone
// after Terminate.
func TestWritesAreBoundedAndStayInside(t *testing.T) {
	c := start(t, Options{})
	for _, p := range []string{"/usr/bin/systemctl", "/etc/ld.so.preload", "/usr/lib/x", "/etc/hosts", "/opt/x"} {
		if res := run(t, c, 10*time.Second, "sh", "-c", "echo x >> "+p); res.ExitCode == 0 {
			t.Errorf("%s is writable", p)
		}
	}
	res := run(t, c, 30*time.Second, "sh", "-c", "dd if=/dev/zero of=/var/tmp/fill bs=1M count=1024 2>&1; df -k /var | tail -1")
	if res.ExitCode != 0 && !strings.Contains(res.Output, "No space left") {
		t.Fatalf("fill: %s", res.Output)
	}
	if !strings.Contains(res.Output, "No space left") {
		t.Fatalf("a 1 GiB write into /var succeeded: %s", res.Output)
	}
	root, err := namedSystemdMount("/proc/self/mountinfo")
	if err != nil {
		t.Skipf("no cgroup v1 name=systemd here: %v", err)
	}
	before := listDir(t, root)
	run(t, c, 10*time.Second, "mkdir", "/sys/fs/cgroup/systemd/escape")
	own := filepath.Join(root, cgroupParent, c.ID(), "escape")
	if _, err := os.Stat(own); err != nil {
		t.Fatalf("the cgroup made inside is not in the container's own subtree %s: %v", own, err)
	}
	if after := listDir(t, root); strings.Join(after, " ") != strings.Join(before, " ") {
		t.Fatalf("the host's cgroup tree changed: %v -> %v", before, after)
	}
	if err := c.Terminate(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Dir(own)); !os.IsNotExist(err) {
		t.Fatalf("the container's cgroup %s is left: %v", filepath.Dir(own), err)
	}
}

func listDir(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

// TestReboot: a reboot stops everything, empties RAM (/run, /tmp), keeps the
// disk (/var, /etc/systemd/system, /root, /usr/local/bin) with owners and
// modes, and boots systemd again, which starts what was enabled.
func TestReboot(t *testing.T) {
	c := start(t, Options{Rebootable: true})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	unit := "[Service]\nType=oneshot\nExecStart=/bin/sh -c 'echo $$ >> /var/lib/boots; touch /run/booted'\n[Install]\nWantedBy=multi-user.target\n"
	if err := c.WriteFile(ctx, "/etc/systemd/system/atboot.service", []byte(unit), 0o644); err != nil {
		t.Fatal(err)
	}
	run(t, c, 10*time.Second, "systemctl", "enable", "atboot.service")
	run(t, c, 10*time.Second, "/bin/sh", "-c", "echo kept > /root/note; chown nobody:nogroup /root/note; chmod 0600 /root/note; touch /tmp/ram /run/ram; sleep 1000 &")
	pid1 := run(t, c, 10*time.Second, "stat", "-c", "%Z", "/proc/1").Output
	// Tools a submission drops in /usr/local/bin are kept on the disk; the
	// boot script, PID 1 before systemd, must not run them.
	for _, tool := range []string{"sleep", "cat", "rm", "cp", "systemd"} {
		if err := c.WriteFile(ctx, "/usr/local/bin/"+tool, []byte("#!/bin/sh\necho $0 >> /var/lib/pwned\n"), 0o755); err != nil {
			t.Fatal(err)
		}
	}

	sleepers := `for p in /proc/[0-9]*; do tr '\0' ' ' < $p/cmdline 2>/dev/null; echo; done | grep -c '^sleep 1000 $'`
	assert.Equal(t, "1\n", run(t, c, 10*time.Second, "/bin/sh", "-c", sleepers).Output, "the first boot's sleeper runs")
	begin := time.Now()
	if err := c.Reboot(ctx); err != nil {
		t.Fatalf("Reboot: %v", err)
	}
	t.Logf("reboot took %s", time.Since(begin).Round(time.Millisecond))
	if c.SystemState != "running" && c.SystemState != "degraded" {
		t.Fatalf("after the reboot systemd is %q", c.SystemState)
	}
	assert.NotEqual(t, pid1, run(t, c, 10*time.Second, "stat", "-c", "%Z", "/proc/1").Output, "PID 1 is a new process")
	assert.Equal(t, "kept\n", run(t, c, 10*time.Second, "cat", "/root/note").Output)
	assert.Equal(t, 1, run(t, c, 10*time.Second, "test", "-e", "/var/lib/pwned").ExitCode, "the boot ran none of the submission's tools")
	assert.Equal(t, "nobody 600\n", run(t, c, 10*time.Second, "stat", "-c", "%U %a", "/root/note").Output)
	assert.Equal(t, 1, run(t, c, 10*time.Second, "test", "-e", "/tmp/ram").ExitCode, "/tmp is RAM")
	assert.Equal(t, 1, run(t, c, 10*time.Second, "test", "-e", "/run/ram").ExitCode, "/run is RAM")
	assert.Equal(t, 0, run(t, c, 10*time.Second, "test", "-e", "/run/booted").ExitCode, "the enabled unit ran at boot")
	// by command line: pids start again from 1 and may be reused
	assert.Equal(t, "0\n", run(t, c, 10*time.Second, "/bin/sh", "-c", sleepers).Output, "nothing of the first boot runs")
	// the image's own content of the writable paths is there too
	assert.Equal(t, 0, run(t, c, 10*time.Second, "test", "-x", "/var/lib/dpkg").ExitCode)
	// and a second reboot works as the first
	if err := c.Reboot(ctx); err != nil {
		t.Fatalf("second Reboot: %v", err)
	}
	// enabled after the first boot: it ran at the second and the third
	assert.Equal(t, 2, strings.Count(run(t, c, 10*time.Second, "cat", "/var/lib/boots").Output, "\n"), "the unit ran at each boot")

	t.Run("not rebootable", func(t *testing.T) {
		plain := start(t, Options{})
		assert.ErrorIs(t, plain.Reboot(ctx), ErrNotRebootable)
	})
}

// TestExpiredLeftoversAreSwept: a container whose grader died (no
// watchdog left) is removed once it is past its expiry and the grace;
// one within its lifetime is never touched.
func TestExpiredLeftoversAreSwept(t *testing.T) {
	img := testImage(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	now := time.Now()
	create := func(expires time.Time) string {
		out, err := exec.CommandContext(ctx, "docker", "create", "--network", "none",
			"--label", LabelKey+"=1", "--label", sessionKey+"="+sessionLabel,
			"--label", LabelExpires+"="+expires.UTC().Format(time.RFC3339), img, "/usr/bin/true").Output()
		require.NoError(t, err)
		id := strings.TrimSpace(string(out))
		t.Cleanup(func() { _ = exec.Command("docker", "rm", "-f", id).Run() })
		return id
	}
	dead := create(now.Add(-expiredGrace - time.Minute))
	young := create(now.Add(-expiredGrace / 2)) // expired, but within the grace
	alive := create(now.Add(time.Hour))
	_, err := removeExpired(ctx, now)
	require.NoError(t, err)
	exists := func(id string) bool { return exec.Command("docker", "inspect", id).Run() == nil }
	assert.False(t, exists(dead), "past expiry and grace: removed")
	assert.True(t, exists(young), "within the grace: kept")
	assert.True(t, exists(alive), "within its lifetime: kept")
}

// TestDanglingCgroupLinksAreSwept: a bind-source link whose cgroup is gone
// is removed once it is older than the grace; a live one, or a young one,
// stays.
func TestDanglingCgroupLinksAreSwept(t *testing.T) {
	dir := t.TempDir()
	target := t.TempDir()
	require.NoError(t, os.Symlink(filepath.Join(dir, "gone"), filepath.Join(dir, "dangling")))
	require.NoError(t, os.Symlink(target, filepath.Join(dir, "live")))
	assert.Equal(t, 0, removeDanglingLinks(dir, time.Now()), "too young")
	assert.Equal(t, 1, removeDanglingLinks(dir, time.Now().Add(2*expiredGrace)))
	_, err := os.Lstat(filepath.Join(dir, "dangling"))
	assert.ErrorIs(t, err, fs.ErrNotExist)
	_, err = os.Lstat(filepath.Join(dir, "live"))
	assert.NoError(t, err, "a link to a live cgroup stays")
}
