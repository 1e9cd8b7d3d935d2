package checkcmd

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/creack/pty"
	"github.com/daemonlab/daemonlab/checker"
	"github.com/daemonlab/daemonlab/checker/procfs"
	"github.com/daemonlab/daemonlab/internal/cmdutil"
	"github.com/daemonlab/daemonlab/internal/iostreams"
	"github.com/daemonlab/daemonlab/internal/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var (
	repoRoot = testutil.RepoRoot()
	// token marks every process this package starts, for the leak scan.
	token = "dlcheck" + strconv.FormatInt(time.Now().UnixNano(), 36)
	bin   string
)

func TestMain(m *testing.M) {
	for _, dir := range []string{"reference/c", "reference/go"} {
		if out, err := exec.Command("make", "-s", "-C", filepath.Join(repoRoot, dir)).CombinedOutput(); err != nil {
			fmt.Fprintf(os.Stderr, "building %s: %v\n%s", dir, err, out)
			os.Exit(1)
		}
	}
	dir, _ := os.MkdirTemp("", "daemonlab-check-test-")
	_ = os.Chmod(dir, 0o755) // the test runs the binary as nobody too
	bin = filepath.Join(dir, "daemonlab")
	build := exec.Command("go", "build", "-o", bin, "./cmd/daemonlab")
	build.Dir = repoRoot
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "building daemonlab: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	if leaks := leaked(); len(leaks) > 0 {
		fmt.Fprintf(os.Stderr, "LEAK: still alive: %v\n", leaks)
		code = 1
	}
	os.Exit(code)
}

// leaked lists live processes carrying the token.
func leaked() []string { return testutil.Alive(token) }

// runCLI runs the check command in-process with swapped streams.
func runCLI(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	ios, _, out, errOut := iostreams.Test()
	cmd := NewCmdCheck(ios, nil)
	cmd.SetArgs(args)
	cmd.SetOut(out)
	cmd.SetErr(errOut)
	cmd.SilenceErrors, cmd.SilenceUsage = true, true
	err := cmd.ExecuteContext(context.Background())
	return out.String(), errOut.String() + errString(err), cmdutil.Code(err)
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

type jsonReport struct {
	Target struct {
		PID int `json:"pid"`
	} `json:"target"`
	Checks []struct {
		ID       string   `json:"id"`
		Status   string   `json:"status"`
		Observed string   `json:"observed"`
		Expected string   `json:"expected"`
		Hint     string   `json:"hint"`
		Details  []string `json:"details"`
	} `json:"checks"`
	Errors []string `json:"errors"`
}

func parse(t *testing.T, out string) jsonReport {
	t.Helper()
	var r jsonReport
	require.NoError(t, json.Unmarshal([]byte(out), &r), out)
	return r
}

func (r jsonReport) status(id string) string {
	for _, c := range r.Checks {
		if c.ID == id {
			return c.Status
		}
	}
	return "missing"
}

func (r jsonReport) observed(id string) string {
	for _, c := range r.Checks {
		if c.ID == id {
			return c.Observed
		}
	}
	return ""
}

func (r jsonReport) hint(id string) string {
	for _, c := range r.Checks {
		if c.ID == id {
			return c.Hint
		}
	}
	return ""
}

func (r jsonReport) failing() []string {
	var ids []string
	for _, c := range r.Checks {
		if c.Status == "fail" || c.Status == "error" {
			ids = append(ids, c.ID)
		}
	}
	return ids
}

func (r jsonReport) String() string {
	var b strings.Builder
	for _, c := range r.Checks {
		fmt.Fprintf(&b, "\n  %s %s: %s", c.Status, c.ID, c.Observed)
	}
	return b.String()
}

// terminalShell is what a user does: a shell on a terminal runs the
// command, then stays at its prompt (here: sleeps). The test process is not
// a subreaper, so orphans go to init, as on a real machine.
type terminalShell struct {
	cmd *exec.Cmd
	ptm *os.File
	dir string
}

// startFromTerminal runs script with sh on a fresh pseudo-terminal whose
// session it leads. The script runs in dir, which carries the token.
func startFromTerminal(t *testing.T, script string) *terminalShell {
	t.Helper()
	testutil.SkipShort(t, "no real daemons")
	dir, err := os.MkdirTemp("", token+"-")
	require.NoError(t, err)
	cmd := exec.Command("sh", "-c", script+"; exec sleep 100000")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "DAEMONLAB_TEST_TOKEN="+token)
	ptm, err := pty.Start(cmd)
	require.NoError(t, err)
	go func() { _, _ = bytes.NewBuffer(nil).ReadFrom(ptm) }()
	ts := &terminalShell{cmd: cmd, ptm: ptm, dir: dir}
	t.Cleanup(ts.stop)
	// Back at the prompt (the shell exec'ed sleep): the launched program has
	// returned, as when a user goes on to check it.
	require.Eventually(t, func() bool {
		comm, _ := os.ReadFile(fmt.Sprintf("/proc/%d/comm", cmd.Process.Pid))
		return strings.TrimSpace(string(comm)) == "sleep"
	}, 10*time.Second, 2*time.Millisecond, "the launched program did not return")
	return ts
}

// stop kills the processes this shell started (they carry its directory
// in their arguments, or the token in their environment and the shell's
// terminal session), by pid, then the shell, and removes the directory.
func (ts *terminalShell) stop() {
	for _, l := range leaked() {
		pid, err := strconv.Atoi(strings.Fields(l)[0])
		if err == nil && (strings.Contains(l, ts.dir) || sameSession(pid, ts.cmd.Process.Pid)) {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	}
	_ = ts.cmd.Process.Kill()
	_ = ts.cmd.Wait()
	ts.ptm.Close()
	os.RemoveAll(ts.dir)
}

func sameSession(pid, leader int) bool {
	st, err := procfs.New("").Stat(pid)
	return err == nil && st.Session == leader
}

// waitPIDFile polls until the pid file names a live process.
func waitPIDFile(t *testing.T, path string) int {
	t.Helper()
	return waitPID(t, path, func(pid int) bool { return syscall.Kill(pid, 0) == nil })
}

// waitDetached polls until the pid file names a process running comm,
// which it kills when the test ends (setsid -f leaves it to nobody).
func waitDetached(t *testing.T, path, comm string) int {
	t.Helper()
	pid := waitPID(t, path, func(pid int) bool {
		got, _ := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
		return strings.TrimSpace(string(got)) == comm
	})
	t.Cleanup(func() { _ = syscall.Kill(pid, syscall.SIGKILL) })
	return pid
}

// waitPID polls until the pid file holds a pid for which ok holds.
func waitPID(t *testing.T, path string, ok func(pid int) bool) int {
	t.Helper()
	pid := 0
	require.Eventually(t, func() bool {
		raw, err := os.ReadFile(path)
		if err != nil {
			return false
		}
		pid, err = checker.ParsePID(raw)
		return err == nil && ok(pid)
	}, 10*time.Second, 2*time.Millisecond, "no live pid in %s", path)
	return pid
}

func TestBadInput(t *testing.T) {
	zombie := exec.Command("true")
	require.NoError(t, zombie.Start())
	// Not waited for (yet): it stays a zombie until the cleanup reaps it.
	t.Cleanup(func() { _ = zombie.Wait() })
	require.Eventually(t, func() bool {
		st, err := procfs.New("").Stat(zombie.Process.Pid)
		return err == nil && st.IsZombie()
	}, 5*time.Second, 5*time.Millisecond)

	missing := filepath.Join(t.TempDir(), "missing.pid")
	stale := filepath.Join(t.TempDir(), "stale.pid")
	require.NoError(t, os.WriteFile(stale, []byte("999999\n"), 0o644))
	junk := filepath.Join(t.TempDir(), "junk.pid")
	require.NoError(t, os.WriteFile(junk, []byte("not-a-pid\n"), 0o644))
	tests := []struct {
		name string
		args []string
		says string
	}{
		{"nothing to check", nil, "what should I check"},
		{"unknown pid", []string{"--pid", "999999"}, "no process with pid 999999"},
		{"negative pid", []string{"--pid", "-4"}, "positive"},
		{"zombie", []string{"--pid", strconv.Itoa(zombie.Process.Pid)}, "zombie"},
		{"kernel thread", []string{"--pid", "2"}, "kernel thread"},
		{"unknown name", []string{"no-such-daemon-" + token}, "no running process"},
		{"both name and pid", []string{"cron", "--pid", "1"}, "not both"},
		{"missing pid file", []string{"--pidfile", missing}, "reading pid file"},
		{"stale pid file", []string{"--pidfile", stale}, "stale pid file"},
		{"junk pid file", []string{"--pidfile", junk}, "not a pid"},
		{"bad format", []string{"--pid", strconv.Itoa(os.Getpid()), "--format", "yaml"}, "unknown format"},
		{"bad umask", []string{"--pid", strconv.Itoa(os.Getpid()), "--umask", "999"}, "umask"},
		{"bad session", []string{"--pid", strconv.Itoa(os.Getpid()), "--session", "maybe"}, "session"},
		{"unknown probe", []string{"--pid", strconv.Itoa(os.Getpid()), "--probe", "sigkill"}, "unknown probe"},
		{"launch a directory", []string{"./"}, "not an executable"},
		{"unknown lab", []string{"--pid", "1", "--lab", "42"}, "no lab"},
		{"kernel thread by name", []string{"kthreadd"}, "kthreadd (pid 2) is a kernel thread"},
		{"arguments for a name, not a path", []string{"sh", "--", "-c", "true"}, "arguments after -- are for launching a program"},
		{"arguments after -- with --pid", []string{"--pid", strconv.Itoa(os.Getpid()), "--", "/usr/sbin/foo", "-x"}, "arguments after -- are for launching a program, and --pid/--pidfile judge a running one"},
		{"arguments after -- with --pidfile", []string{"--pidfile", stale, "--", "-pidfile", stale}, "arguments after -- are for launching a program, and --pid/--pidfile judge a running one"},
		{"a thread id", []string{"--pid", strconv.Itoa(otherThread(t))}, fmt.Sprintf("is a thread of process %d", os.Getpid())},
		{"unknown user", []string{"--pid", strconv.Itoa(os.Getpid()), "--user", "no-such-user-" + token}, "unknown user"},
		{"unknown optional check", []string{"--pid", strconv.Itoa(os.Getpid()), "--optional", "no-such-check"}, "unknown check"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, stderr, code := runCLI(t, tt.args...)
			assert.Equal(t, cmdutil.ExitBadInput, code, stderr)
			assert.Contains(t, stderr, tt.says)
			assert.NotContains(t, stderr, "goroutine", "no stack traces")
		})
	}
}

// otherThread returns the id of a thread of this process other than its
// main thread (the Go runtime always runs several).
func otherThread(t *testing.T) int {
	t.Helper()
	entries, err := os.ReadDir("/proc/self/task")
	require.NoError(t, err)
	for _, e := range entries {
		if tid, _ := strconv.Atoi(e.Name()); tid != os.Getpid() && tid > 0 {
			return tid
		}
	}
	t.Fatal("a single-threaded Go test process?")
	return 0
}

// Finding a daemon by name: a Python daemon by its script's name (the
// process is python3), with or without .py.
func TestFindAScriptByItsName(t *testing.T) {
	name := "pyd" + token[len(token)-6:]
	dir := t.TempDir()
	script := filepath.Join(dir, name+".py")
	data, err := os.ReadFile(filepath.Join(repoRoot, "reference/python/refdaemon.py"))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(script, data, 0o755))
	ts := startFromTerminal(t, "true")
	pidfile := filepath.Join(ts.dir, "py.pid")
	startFromTerminal(t, "python3 "+script+" -p "+pidfile)
	pid := waitPIDFile(t, pidfile)
	for _, arg := range []string{name, name + ".py"} {
		out, stderr, code := runCLI(t, arg, "--format", "json")
		require.Equal(t, cmdutil.ExitOK, code, stderr)
		assert.Equal(t, pid, parse(t, out).Target.PID, arg)
	}
}

func TestSeveralProcessesOfThatName(t *testing.T) {
	name := "dl" + token[len(token)-8:]
	prog := filepath.Join(t.TempDir(), name)
	data, err := os.ReadFile("/bin/sleep")
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(prog, data, 0o755))
	var pids []int
	for i := 0; i < 2; i++ {
		c := exec.Command(prog, "1000")
		require.NoError(t, c.Start())
		pids = append(pids, c.Process.Pid)
		t.Cleanup(func() { _ = c.Process.Kill(); _ = c.Wait() })
	}
	out, stderr, code := runCLI(t, name)
	assert.Equal(t, cmdutil.ExitBadInput, code, out)
	assert.Contains(t, stderr, "2 processes are called")
	for _, pid := range pids {
		assert.Contains(t, stderr, strconv.Itoa(pid))
	}
}

func TestAttachReferencesPassEveryCheck(t *testing.T) {
	for _, ref := range []string{"reference/c/bin/refdaemon", "reference/go/bin/refdaemon-go", "reference/python/refdaemon.py"} {
		t.Run(filepath.Base(ref), func(t *testing.T) {
			ts := startFromTerminal(t, "true")
			pidfile := filepath.Join(ts.dir, "ref.pid")
			ts2 := startFromTerminal(t, filepath.Join(repoRoot, ref)+" -p "+pidfile)
			_ = ts2
			pid := waitPIDFile(t, pidfile)
			out, stderr, code := runCLI(t, "--pidfile", pidfile, "--format", "json")
			r := parse(t, out)
			assert.Equal(t, pid, r.Target.PID)
			assert.Equal(t, cmdutil.ExitOK, code, stderr+r.String())
			for _, c := range r.Checks {
				assert.Contains(t, []string{"pass", "skip"}, c.Status, "%s: %s", c.ID, c.Observed)
			}
			// by name too: the text report has the tree and one line per check
			text, _, code := runCLI(t, "--pid", strconv.Itoa(pid), "--pidfile", pidfile)
			assert.Equal(t, cmdutil.ExitOK, code)
			assert.Contains(t, text, "tree: ")
			assert.Contains(t, text, "✓ parent")
		})
	}
}

// A nohup'ed background job of a terminal shell is not a daemon.
func TestNohupFromATerminalIsNotADaemon(t *testing.T) {
	ts := startFromTerminal(t, "nohup sleep 100000 & echo $! > bg.pid")
	pid := waitPIDFile(t, filepath.Join(ts.dir, "bg.pid"))
	t.Cleanup(func() { _ = syscall.Kill(pid, syscall.SIGKILL) })
	out, _, code := runCLI(t, "--pid", strconv.Itoa(pid), "--format", "json")
	r := parse(t, out)
	assert.Equal(t, cmdutil.ExitFailed, code)
	// (its stdout on nohup.out, opened for append, is a log file by the
	// stdio rule: what makes it no daemon is its terminal and session)
	for _, id := range []string{"no-tty", "session", "parent"} {
		assert.Equal(t, "fail", r.status(id), "%s%s", id, r)
	}
}

// setsid -f detaches from the terminal but keeps its stdio.
func TestSetsidKeepsTheTerminalsStdio(t *testing.T) {
	ts := startFromTerminal(t, "setsid -f sh -c 'echo $$ > bg.pid; exec sleep 100000'")
	pid := waitPIDFile(t, filepath.Join(ts.dir, "bg.pid"))
	t.Cleanup(func() { _ = syscall.Kill(pid, syscall.SIGKILL) })
	// wait for the exec to replace sh
	require.Eventually(t, func() bool {
		comm, _ := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
		return strings.TrimSpace(string(comm)) == "sleep"
	}, 5*time.Second, 5*time.Millisecond)
	out, stderr, code := runCLI(t, "--pid", strconv.Itoa(pid), "--format", "json")
	require.NotEmpty(t, out, stderr)
	r := parse(t, out)
	assert.Equal(t, cmdutil.ExitFailed, code)
	assert.Equal(t, "fail", r.status("stdio"), r.String())
	assert.Equal(t, "pass", r.status("session"), r.String())
	assert.NotEqual(t, "fail", r.status("no-tty"), r.String())
}

// Attach mode sees these broken variants for what they are, from /proc
// alone: each fails its own check and no other.
func TestAttachBrokenVariants(t *testing.T) {
	for variant, want := range map[string]string{
		"cwd": "cwd", "stdio": "stdio", "devnull": "fds", "session": "session",
		"pidfile": "pidfile", "lock": "lock", "tty": "no-tty", "parent": "parent",
	} {
		t.Run(variant, func(t *testing.T) {
			ts := startFromTerminal(t, "true")
			pidfile := filepath.Join(ts.dir, "d.pid")
			startFromTerminal(t, filepath.Join(repoRoot, "reference/c/bin/broken-"+variant)+" -p "+pidfile)
			waitPIDFile(t, pidfile)
			out, stderr, code := runCLI(t, "--pidfile", pidfile, "--format", "json")
			require.NotEmpty(t, out, stderr)
			r := parse(t, out)
			assert.Equal(t, cmdutil.ExitFailed, code)
			assert.Equal(t, []string{want}, r.failing(), "%s\n%s", r.String(), out)
		})
	}
}

// A signal blocked by the launcher and never unblocked can never be
// delivered: attach mode sees it when it is blocked in every thread.
func TestAttachInheritedSignalMask(t *testing.T) {
	// sh resets the mask it inherits, so block right before the exec.
	const block = `python3 -c 'import os,signal,sys; signal.pthread_sigmask(signal.SIG_BLOCK,[signal.SIGUSR1]); os.execv(sys.argv[1], sys.argv[1:])' `
	for variant, want := range map[string]string{"refdaemon": "pass", "broken-sigmask": "fail"} {
		t.Run(variant, func(t *testing.T) {
			ts := startFromTerminal(t, "true")
			pidfile := filepath.Join(ts.dir, "d.pid")
			startFromTerminal(t, block+filepath.Join(repoRoot, "reference/c/bin/"+variant)+" -p "+pidfile)
			waitPIDFile(t, pidfile)
			out, _, _ := runCLI(t, "--pidfile", pidfile, "--format", "json")
			r := parse(t, out)
			assert.Equal(t, want, r.status("sigmask"), r.String())
		})
	}
}

// Another user's process: what cannot be read is "unknown", never "fail";
// but with a required check unknown the verdict is not OK: the run is
// incomplete and exits 5, in JSON and in text.
func TestAnotherUsersProcessIsIncomplete(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to run the checker as nobody")
	}
	ts := startFromTerminal(t, "true")
	pidfile := filepath.Join(ts.dir, "ref.pid")
	startFromTerminal(t, filepath.Join(repoRoot, "reference/c/bin/refdaemon")+" -p "+pidfile)
	pid := waitPIDFile(t, pidfile)
	asNobody := func(args ...string) (string, int) {
		cmd := exec.Command(bin, append([]string{"check", "--pid", strconv.Itoa(pid)}, args...)...)
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
		out, err := cmd.Output()
		code := 0
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			code = exit.ExitCode()
		}
		return string(out), code
	}
	out, code := asNobody("--format", "json")
	r := parse(t, out)
	for _, id := range []string{"cwd", "fds", "stdio", "env"} {
		assert.Equal(t, "unknown", r.status(id), "%s%s", id, r)
	}
	assert.Empty(t, r.failing(), r.String())
	assert.Equal(t, cmdutil.ExitIncomplete, code, "unknown required checks make the run incomplete")

	text, code := asNobody()
	assert.Equal(t, cmdutil.ExitIncomplete, code)
	assert.Contains(t, text, "INCOMPLETE")
	assert.NotContains(t, text, "— OK")

	// made optional, the unknowns no longer stand in the way
	_, code = asNobody("--optional", "cwd,fds,stdio,env,sigmask,sigdisp,pidfile,lock,umask,no-tty,session,parent,privileges")
	assert.Equal(t, cmdutil.ExitOK, code)
}

// TestSIGHUPEndsADaemonWeDidNotStart: in attach mode the exit status is
// not ours to see; the hint still tells a handler that exits (cupsd) from
// SIGHUP's default action, by the handler /proc showed as it was sent.
func TestSIGHUPEndsADaemonWeDidNotStart(t *testing.T) {
	tests := []struct {
		name, script, hint string
	}{
		{"a handler that exits", `python3 -c "import signal, sys, time; signal.signal(signal.SIGHUP, lambda *a: sys.exit(1)); time.sleep(100000)" </dev/null >/dev/null 2>&1`, "handled SIGHUP by exiting"},
		{"no handler", `python3 -c "import time; time.sleep(100000)" </dev/null >/dev/null 2>&1`, "SIGHUP's default action terminates"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pid := startDetached(t, tt.script, "python3")
			require.Eventually(t, func() bool {
				st, err := procfs.New("").Status(pid)
				return err == nil && (st.SigCgt.Has(syscall.SIGHUP) || tt.name == "no handler")
			}, 10*time.Second, 5*time.Millisecond)
			out, stderr, _ := runCLI(t, "--pid", strconv.Itoa(pid), "--probe", "sighup", "--format", "json")
			r := parse(t, out)
			require.Equal(t, "fail", r.status("sighup"), stderr+r.String())
			assert.Contains(t, r.hint("sighup"), tt.hint)
		})
	}
}

// TestNotDumpableAsRootWithoutPtrace: a daemon that changed its user with
// setuid() and did not exec is not dumpable; root without CAP_SYS_PTRACE
// (a container's) may not read it, and the checker says exactly that,
// not "run as root". With CAP_SYS_PTRACE (the control) it reads it.
func TestNotDumpableAsRootWithoutPtrace(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root")
	}
	setpriv, err := exec.LookPath("setpriv")
	if err != nil {
		t.Skip("no setpriv")
	}
	pid := startDetached(t, `python3 -c "import os, time; os.setgid(65534); os.setuid(65534); time.sleep(100000)" </dev/null >/dev/null 2>&1`, "python3")
	require.Eventually(t, func() bool {
		st, err := procfs.New("").Status(pid)
		return err == nil && st.UID[0] == 65534
	}, 10*time.Second, 2*time.Millisecond)
	check := func(prefix ...string) (string, int) {
		args := append(append(prefix, bin, "check", "--pid", strconv.Itoa(pid)), "--format", "json")
		cmd := exec.Command(args[0], args[1:]...)
		out, err := cmd.Output()
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			return string(out), exit.ExitCode()
		}
		require.NoError(t, err)
		return string(out), 0
	}
	out, _ := check()
	assert.NotEqual(t, "unknown", parse(t, out).status("cwd"), "the control: root with CAP_SYS_PTRACE reads it")

	out, code := check(setpriv, "--bounding-set", "-sys_ptrace", "--inh-caps", "-sys_ptrace")
	r := parse(t, out)
	assert.Equal(t, cmdutil.ExitIncomplete, code, r.String())
	assert.Equal(t, "unknown", r.status("cwd"), r.String())
	assert.Contains(t, r.observed("cwd"), "root without CAP_SYS_PTRACE")
	assert.Contains(t, r.observed("cwd"), "changed its user with setuid() and did not exec")
	assert.Contains(t, strings.Join(r.Errors, "\n"), "even root may not read them here")
}

// Ctrl-C in the middle of a launch-mode run: the checker says so, marks
// what did not run as not run (no made-up result), exits 130 at once, and
// nothing of the run survives.
func TestInterruptKillsTheWholeRun(t *testing.T) {
	tests := []struct {
		name string
		// program and its args given the work dir; the run is interrupted
		// once the phase file exists
		args       func(dir, pidfile, phase string) []string
		completed  map[string]string // check id → status it keeps
		either     map[string][]string
		notRun     []string
		notPresent []string
	}{
		{
			// the sigterm probe would wait a minute for broken-sigterm; the
			// reload command marks the end of the sighup probe
			name: "during the sigterm probe",
			args: func(dir, pidfile, phase string) []string {
				return []string{filepath.Join(repoRoot, "reference/c/bin/broken-sigterm"), "--pidfile", pidfile,
					"--term-timeout", "60s", "--reload-cmd", "touch " + phase, "--format", "json", "--", "-p", pidfile}
			},
			// sighup may still be finishing when the reload command has run:
			// it is then "pass" or "not run", never made up
			completed: map[string]string{"cwd": "pass", "ready": "pass", "single-instance": "pass"},
			either:    map[string][]string{"sighup": {"pass", "skip"}},
			notRun:    []string{"sigterm", "stale-pidfile"},
		},
		{
			// a launcher that never returns: the launch wait would take a minute
			name: "while waiting for the launcher",
			args: func(dir, pidfile, phase string) []string {
				script := filepath.Join(dir, "slow")
				_ = os.WriteFile(script, []byte("#!/bin/sh\ntouch "+phase+"\nexec sleep 100000 "+token+"\n"), 0o755)
				return []string{script, "--launch-timeout", "60s", "--format", "json"}
			},
			notRun: []string{"ready", "cwd", "sighup", "sigterm"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := tokenDir(t)
			pidfile, phase := filepath.Join(dir, "d.pid"), filepath.Join(dir, "phase")
			cmd := exec.Command(bin, append([]string{"check"}, tt.args(dir, pidfile, phase)...)...)
			var out, errOut bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &errOut
			require.NoError(t, cmd.Start())
			require.Eventually(t, func() bool { _, err := os.Stat(phase); return err == nil }, 20*time.Second, 2*time.Millisecond,
				"the run never reached the phase to interrupt:\n%s%s", out.String(), errOut.String())
			interrupted := time.Now()
			require.NoError(t, cmd.Process.Signal(syscall.SIGINT))
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			select {
			case <-done:
			case <-time.After(20 * time.Second):
				_ = cmd.Process.Kill()
				t.Fatalf("daemonlab did not stop on Ctrl-C:\n%s", out.String())
			}
			assert.Less(t, time.Since(interrupted), 10*time.Second, "Ctrl-C ends the run at once")
			assert.Equal(t, cmdutil.ExitInterrupted, cmd.ProcessState.ExitCode(), errOut.String())
			assert.Contains(t, out.String(), "interrupted")
			r := parse(t, out.String())
			for id, st := range tt.completed {
				assert.Equal(t, st, r.status(id), "%s completed before the interruption%s", id, r)
			}
			for id, sts := range tt.either {
				assert.Contains(t, sts, r.status(id), "%s%s", id, r)
			}
			for _, id := range tt.notRun {
				assert.Equal(t, "skip", r.status(id), "%s%s", id, r)
				for _, c := range r.Checks {
					if c.ID == id {
						assert.Contains(t, c.Observed, "not run", id)
					}
				}
			}
			assert.Empty(t, leakedIn(dir), "processes of the interrupted run survive:\n%s", out.String())
		})
	}
}

// tokenDir makes a directory that carries the token (see leakedIn) and
// is removed when the test ends.
func tokenDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", token+"-")
	require.NoError(t, err)
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

// leakedIn lists live processes whose arguments mention dir.
func leakedIn(dir string) []string {
	var out []string
	for _, l := range leaked() {
		if strings.Contains(l, dir) {
			out = append(out, l)
		}
	}
	return out
}

// runBin runs the daemonlab binary in dir and returns its output and exit
// code; it must end within limit.
func runBin(t *testing.T, dir string, limit time.Duration, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	testutil.SkipShort(t, "no real daemons")
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, append([]string{"check"}, args...)...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "DAEMONLAB_TEST_TOKEN="+token)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	require.NoError(t, ctx.Err(), "daemonlab check did not end within %s:\n%s%s", limit, out.String(), errOut.String())
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		code = exit.ExitCode()
	} else {
		require.NoError(t, err)
	}
	return out.String(), errOut.String(), code
}

// Launch mode: a relative --pidfile names the file where the program runs
// (the run's directory), and no file of the run is left anywhere: neither
// in the caller's directory nor a pid file the run created.
func TestLaunchPIDFilePaths(t *testing.T) {
	ref := filepath.Join(repoRoot, "reference/c/bin/refdaemon")
	tests := []struct {
		name    string
		pidfile func(dir string) string
		before  bool // the pid file existed before the run
	}{
		{"relative", func(string) string { return "ref.pid" }, false},
		{"absolute, created by the run", func(dir string) string { return filepath.Join(dir, "abs.pid") }, false},
		{"absolute, there before the run", func(dir string) string { return filepath.Join(dir, "old.pid") }, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			caller := t.TempDir()
			pidfile := tt.pidfile(caller)
			if tt.before {
				require.NoError(t, os.WriteFile(pidfile, []byte("999999\n"), 0o644))
			}
			out, stderr, code := runBin(t, caller, time.Minute, ref, "--pidfile", pidfile, "--format", "json", "--", "-p", pidfile)
			r := parse(t, out)
			assert.Equal(t, cmdutil.ExitOK, code, stderr+r.String())
			for _, id := range []string{"pidfile", "ready", "stale-pidfile", "lock", "single-instance"} {
				assert.Equal(t, "pass", r.status(id), "%s%s", id, r)
			}
			entries, err := os.ReadDir(caller)
			require.NoError(t, err)
			var names []string
			for _, e := range entries {
				names = append(names, e.Name())
			}
			if tt.before {
				assert.Equal(t, []string{"old.pid"}, names, "a file that was there before the run stays")
			} else {
				assert.Empty(t, names, "the run left files in the caller's directory")
			}
		})
	}
}

// TestLaunchKeepsAPIDFileItHandedOver: a launcher that hands the daemon
// to a service manager (`apache2ctl start` asks systemd), which writes the
// pid file of a process outside the run: the run says so, and does not
// remove a file that names a live process once it is over.
func TestLaunchKeepsAPIDFileItHandedOver(t *testing.T) {
	manager := exec.Command("sleep", "600")
	require.NoError(t, manager.Start())
	t.Cleanup(func() { _ = manager.Process.Kill(); _ = manager.Wait() })
	caller := t.TempDir()
	pidfile := filepath.Join(caller, "handed.pid")
	script := filepath.Join(t.TempDir(), "handoff.sh")
	require.NoError(t, os.WriteFile(script, []byte("#!/bin/sh\necho \"$2\" > \"$1\"\n"), 0o755))
	out, stderr, _ := runBin(t, caller, time.Minute, script, "--pidfile", pidfile, "--format", "json", "--", pidfile, strconv.Itoa(manager.Process.Pid))
	r := parse(t, out)
	assert.Equal(t, "fail", r.status("ready"), "no daemon of the run: %s%s", stderr, r)
	assert.Contains(t, r.observed("ready"), fmt.Sprintf("names pid %d, a live process that is not of this run", manager.Process.Pid))
	got, err := os.ReadFile(pidfile)
	require.NoError(t, err, "the pid file of a live process outside the run stays")
	assert.Equal(t, strconv.Itoa(manager.Process.Pid)+"\n", string(got))
}

// A program that prints an error and exits 3 at once: one finding, at
// once, with its exit status and its own error line — every time, also
// when several runs share the machine.
func TestLauncherThatFailsAtOnce(t *testing.T) {
	dir := t.TempDir()
	prog := filepath.Join(dir, "failing")
	require.NoError(t, os.WriteFile(prog, []byte("#!/bin/sh\necho \"failing: cannot open /etc/nope.conf\" >&2\nexit 3\n"), 0o755))
	const parallel = 6
	type result struct {
		out, stderr string
		code        int
		took        time.Duration
	}
	results := make(chan result, parallel)
	for i := 0; i < parallel; i++ {
		go func() {
			start := time.Now()
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, bin, "check", prog, "--format", "json")
			var out, errOut bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &errOut
			_ = cmd.Run()
			results <- result{out.String(), errOut.String(), cmd.ProcessState.ExitCode(), time.Since(start)}
		}()
	}
	for i := 0; i < parallel; i++ {
		res := <-results
		assert.Equal(t, cmdutil.ExitFailed, res.code, res.stderr)
		assert.Less(t, res.took, 2*time.Second, "no wait for a daemon that cannot come")
		r := parse(t, res.out)
		require.Len(t, r.Checks, 1, "one finding:%s", r)
		c := r.Checks[0]
		assert.Equal(t, "ready", c.ID)
		assert.Equal(t, "fail", c.Status)
		assert.Contains(t, c.Observed, "exit status 3")
		assert.Contains(t, c.Details, "terminal: failing: cannot open /etc/nope.conf", "the program's own error line")
	}
}

// fifoDaemon daemonizes correctly but for choices of its own: umask 022,
// a FIFO it opens by path, and no sweep of descriptors (it closes only the
// marker it knows about).
const fifoDaemon = `#!/usr/bin/env python3
import fcntl, os, signal, sys
pidfile, fifo = sys.argv[1], sys.argv[2]
signal.pthread_sigmask(signal.SIG_SETMASK, [])
signal.signal(signal.SIGINT, signal.SIG_DFL)
r, w = os.pipe()
if os.fork() > 0:
    os.close(w)
    os.read(r, 1)
    os._exit(0)
os.close(r)
os.setsid()
if os.fork() > 0:
    os._exit(0)
os.chdir("/")
os.umask(0o022)
os.close(9)
fd = os.open("/dev/null", os.O_RDWR)
for i in range(3):
    os.dup2(fd, i)
os.close(fd)
os.mkfifo(fifo)
ff = os.open(fifo, os.O_RDWR)
pf = os.open(pidfile, os.O_RDWR | os.O_CREAT, 0o644)
fcntl.lockf(pf, fcntl.LOCK_EX | fcntl.LOCK_NB)
os.write(pf, b"%d\n" % os.getpid())
def term(*_):
    os.unlink(pidfile)
    os._exit(0)
signal.signal(signal.SIGTERM, term)
signal.signal(signal.SIGHUP, lambda *_: None)
os.close(w)  # ready: the launcher reads end-of-file, then returns
while True:
    signal.pause()
`

// Launch mode knows what it planted: a umask the daemon set is its choice,
// not "the shell's"; a FIFO it opened by path is its own; and a descriptor
// the checker's caller left open does not reach the program at all.
func TestLaunchMessagesMatchWhatWasPlanted(t *testing.T) {
	dir := tokenDir(t)
	prog := filepath.Join(dir, "fifod")
	require.NoError(t, os.WriteFile(prog, []byte(fifoDaemon), 0o755))
	pidfile, fifo := filepath.Join(dir, "d.pid"), filepath.Join(dir, "d.fifo")
	pr, pw, err := os.Pipe()
	require.NoError(t, err)
	defer pr.Close()
	defer pw.Close()
	cmd := exec.Command(bin, "check", prog, "--pidfile", pidfile, "--no-probes", "--format", "json", "--", pidfile, fifo)
	// a caller's stray descriptor (a CI runner's pipe), not close-on-exec, on fd 23
	cmd.ExtraFiles = make([]*os.File, 21)
	cmd.ExtraFiles[20] = pw
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	_ = cmd.Run()
	r := parse(t, out.String())
	require.NotEmpty(t, r.Checks, errOut.String())
	assert.Equal(t, "warn", r.status("umask"), r.String())
	assert.Contains(t, r.observed("umask"), "set by the daemon")
	assert.NotContains(t, r.observed("umask"), "shell")
	assert.Equal(t, "pass", r.status("fds"), r.String())
	for _, c := range r.Checks {
		if c.ID == "fds" {
			assert.NotContains(t, strings.Join(c.Details, "\n"), "inherited", "launch mode planted nothing but the marker")
			assert.Contains(t, strings.Join(c.Details, "\n"), "FIFO")
		}
	}
	assert.Empty(t, r.failing(), r.String())
}

// pyDaemon is a Python daemon done by the book, with its pid file (its
// first argument) locked, but for what it imports besides, how it forks
// away after setsid and what it does before it writes the pid file.
func pyDaemon(imports, forkAway, beforePIDFile string) string {
	return `#!/usr/bin/env python3
import fcntl, os, signal, sys` + imports + `
pidfile = sys.argv[1]
signal.pthread_sigmask(signal.SIG_SETMASK, [])
signal.signal(signal.SIGINT, signal.SIG_DFL)
if os.fork() > 0:
    os._exit(0)
os.setsid()
` + forkAway + `os.chdir("/")
os.umask(0)
fd = os.open("/dev/null", os.O_RDWR)
for i in range(3):
    os.dup2(fd, i)
os.closerange(3, 1024)
` + beforePIDFile + `pf = os.open(pidfile, os.O_RDWR | os.O_CREAT, 0o644)
fcntl.lockf(pf, fcntl.LOCK_EX | fcntl.LOCK_NB)
os.write(pf, b"%d\n" % os.getpid())
while True:
    signal.pause()
`
}

// lateDaemon returns to the shell at once; its daemon writes the pid file
// only after a while (the classic not-ready daemon).
var lateDaemon = pyDaemon(", time", "if os.fork() > 0:\n    os._exit(0)\n", "time.sleep(0.3)\n")

// hoppingDaemon is late too, and its daemon forks away many times before
// it settles: a single scan of /proc at the launcher's exit can miss it.
var hoppingDaemon = pyDaemon("", "for i in range(300):\n    if os.fork() > 0:\n        os._exit(0)\n", "")

// Late readiness costs only ready: the daemon is found among the run's
// processes, its pid file waited for, everything else judged as usual.
func TestLateReadinessCostsOnlyReady(t *testing.T) {
	for name, body := range map[string]string{"writes its pid file late": lateDaemon, "forks away 300 times first": hoppingDaemon} {
		t.Run(name, func(t *testing.T) {
			dir := tokenDir(t)
			prog := filepath.Join(dir, "lated")
			require.NoError(t, os.WriteFile(prog, []byte(body), 0o755))
			for i := 0; i < 5; i++ {
				pidfile := filepath.Join(dir, fmt.Sprintf("d%d.pid", i))
				out, stderr, code := runBin(t, dir, time.Minute, prog, "--pidfile", pidfile, "--probe", "ready", "--format", "json", "--", pidfile)
				r := parse(t, out)
				assert.Equal(t, cmdutil.ExitFailed, code, stderr)
				assert.Equal(t, "fail", r.status("ready"), r.String())
				assert.Contains(t, r.observed("ready"), "did not exist yet")
				assert.NotContains(t, r.observed("ready"), "no daemon")
				for _, id := range []string{"parent", "session", "cwd", "stdio", "pidfile", "lock"} {
					assert.Equal(t, "pass", r.status(id), "%s%s", id, r)
				}
				assert.Equal(t, []string{"ready"}, r.failing(), r.String())
				assert.Empty(t, leakedIn(dir), "nothing of the run outlives it")
			}
		})
	}
}

// A pid file the user cannot read: pidfile and lock are unknown (never "no
// pid file": there is one), unless /proc/locks credits the lock by inode.
func TestUnreadablePIDFile(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to run the checker as nobody")
	}
	tests := []struct {
		name, daemon, lock string
	}{
		{"locked pid file: the lock is found by inode", "refdaemon", "pass"},
		{"unlocked pid file: unknown", "broken-lock", "unknown"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := startFromTerminal(t, "true")
			require.NoError(t, os.Chmod(ts.dir, 0o755))
			pidfile := filepath.Join(ts.dir, "d.pid")
			startFromTerminal(t, filepath.Join(repoRoot, "reference/c/bin", tt.daemon)+" -p "+pidfile)
			pid := waitPIDFile(t, pidfile)
			require.NoError(t, os.Chmod(pidfile, 0o600))
			cmd := exec.Command(bin, "check", "--pid", strconv.Itoa(pid), "--pidfile", pidfile, "--format", "json")
			cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
			out, _ := cmd.Output()
			r := parse(t, string(out))
			assert.Equal(t, "unknown", r.status("pidfile"), r.String())
			assert.Equal(t, tt.lock, r.status("lock"), r.String())
			assert.NotContains(t, r.observed("lock"), "no pid file")
			assert.Equal(t, cmdutil.ExitIncomplete, cmd.ProcessState.ExitCode())
		})
	}
}

// --pid 1 as root: what cannot be read is not "another user's process".
func TestPIDOneAsRoot(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("as root")
	}
	out, stderr, code := runCLI(t, "--pid", "1", "--format", "json")
	require.NotEmpty(t, out, stderr)
	assert.NotContains(t, out, "another user's process")
	r := parse(t, out)
	for _, c := range r.Checks {
		if c.Status == "unknown" && strings.Contains(c.Observed, "permission denied") {
			assert.Contains(t, c.Observed, "even as root", c.ID)
		}
	}
	assert.Contains(t, []int{cmdutil.ExitOK, cmdutil.ExitFailed, cmdutil.ExitIncomplete}, code)
}

// Pid file formats: what init scripts read is accepted, anything but
// "PID\n" is worth a warning that says what is off.
func TestPIDFileFormats(t *testing.T) {
	tests := []struct {
		name, format, status, says string
	}{
		{"canonical", `'%s\n'`, "pass", ""},
		{"no trailing newline", `'%s'`, "warn", "no trailing newline"},
		{"leading spaces", `'  %s\n'`, "warn", "leading white space"},
		{"trailing NUL", `'%s\n\000'`, "warn", "NUL"},
		{"two lines", `'%s\nextra\n'`, "warn", "2 lines"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := startFromTerminal(t, "true")
			pidfile := filepath.Join(ts.dir, "d.pid")
			startFromTerminal(t, fmt.Sprintf("setsid -f sh -c 'printf %s $$ > %s; exec sleep 100000 </dev/null >/dev/null 2>&1'", strings.ReplaceAll(tt.format, "'", `"`), pidfile))
			pid := waitDetached(t, pidfile, "sleep")
			out, stderr, _ := runCLI(t, "--pid", strconv.Itoa(pid), "--pidfile", pidfile, "--format", "json")
			r := parse(t, out)
			require.NotEmpty(t, r.Checks, stderr)
			assert.Equal(t, tt.status, r.status("pidfile"), r.String())
			assert.Contains(t, r.observed("pidfile"), tt.says)
		})
	}
}

// startDetached runs a detached command line (setsid -f) from a terminal
// that writes its pid to pid.pid in the shell's directory, and returns the
// pid once the process runs comm.
func startDetached(t *testing.T, script, comm string) int {
	t.Helper()
	testutil.SkipShort(t, "no real daemons")
	ts := startFromTerminal(t, "true")
	pidfile := filepath.Join(ts.dir, "pid.pid")
	startFromTerminal(t, fmt.Sprintf("cd %s && setsid -f sh -c 'echo $$ > %s; exec %s'", ts.dir, pidfile, script))
	return waitDetached(t, pidfile, comm)
}

// Without --user nothing is required of privileges, but a half-finished
// drop (effective uid nobody, real and saved uid root) can go back to
// root: a warning. SIGHUP left ignored by nohup: the daemon can never
// reload, a warning.
func TestWarningsWithoutRequirements(t *testing.T) {
	tests := []struct {
		name, script, comm, check, says string
		root                            bool
	}{
		{"half-dropped privileges", `python3 -c "import os, time; os.seteuid(65534); time.sleep(100000)" </dev/null >/dev/null 2>&1`, "python3", "privileges", "half dropped", true},
		{"SIGHUP ignored by nohup", `nohup sleep 100000 </dev/null >/dev/null 2>&1`, "sleep", "sigdisp", "SIGHUP is ignored", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.root && os.Geteuid() != 0 {
				t.Skip("needs root")
			}
			pid := startDetached(t, tt.script, tt.comm)
			if tt.root {
				// until the seteuid() has happened
				require.Eventually(t, func() bool {
					st, err := procfs.New("").Status(pid)
					return err == nil && st.UID[1] == 65534
				}, 10*time.Second, 2*time.Millisecond)
			}
			out, stderr, _ := runCLI(t, "--pid", strconv.Itoa(pid), "--format", "json")
			r := parse(t, out)
			require.NotEmpty(t, r.Checks, stderr)
			assert.Equal(t, "warn", r.status(tt.check), r.String())
			assert.Contains(t, r.observed(tt.check), tt.says)
		})
	}
}
