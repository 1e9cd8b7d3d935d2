package launch

import (
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"runtime"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// The shim plays the user's interactive shell. The checker re-executes its
// own binary with shimEnv set; the shim is then the session leader of a
// fresh pseudo-terminal, plants the initial conditions (umask, a blocked
// and an ignored signal, a marker descriptor) and starts the program as a
// foreground job, exactly as a shell would. It reports the program's pid
// and exit status on fd 3 and then idles like a shell at its prompt, so the
// terminal session outlives the program.
const (
	shimEnv       = "DAEMONLAB_LAUNCH_SHIM"
	shimUmaskEnv  = "DAEMONLAB_LAUNCH_UMASK"
	shimBlockEnv  = "DAEMONLAB_LAUNCH_BLOCK"
	shimIgnoreEnv = "DAEMONLAB_LAUNCH_IGNORE"
	shimMarkerEnv = "DAEMONLAB_LAUNCH_MARKER_FD"
	shimGroupsEnv = "DAEMONLAB_LAUNCH_GROUPS"
	// shimPIDFileEnv names the pid file the shim reads the moment the
	// program exits: readiness is judged at that instant, not when the
	// checker gets round to it on a loaded machine.
	shimPIDFileEnv = "DAEMONLAB_LAUNCH_PIDFILE"
	shimStatusFD   = 3 // status pipe, as ExtraFiles[0]
	// outputMarker follows, on the terminal, the program's last output.
	outputMarker = "\x1b]daemonlab-launcher-exited\x07"
	shimMarkerFD = 4 // marker file, as ExtraFiles[1]
)

func init() {
	if os.Getenv(shimEnv) == "1" {
		os.Exit(shimMain(os.Args[1:]))
	}
}

func shimMain(args []string) int {
	status := os.NewFile(shimStatusFD, "status")
	fail := func(format string, a ...any) int {
		fmt.Fprintf(status, "error %s\n", strings.ReplaceAll(fmt.Sprintf(format, a...), "\n", " "))
		return 1
	}
	if len(args) == 0 {
		return fail("shim: no program")
	}
	// The mask is per thread and os/exec forks from this thread: keep it.
	runtime.LockOSThread()
	if v := os.Getenv(shimUmaskEnv); v != "" {
		m, err := strconv.ParseUint(v, 8, 32)
		if err != nil {
			return fail("shim: umask %q", v)
		}
		syscall.Umask(int(m))
	}
	if v := os.Getenv(shimGroupsEnv); v != "" && os.Geteuid() == 0 {
		// A root login has supplementary groups; a daemon that drops to
		// another user without setgroups() keeps them.
		var groups []int
		for _, f := range strings.Split(v, ",") {
			if g, err := strconv.Atoi(f); err == nil {
				groups = append(groups, g)
			}
		}
		if err := syscall.Setgroups(groups); err != nil {
			return fail("shim: setgroups: %v", err)
		}
	}
	ignored := splitSignals(os.Getenv(shimIgnoreEnv))
	keep := map[syscall.Signal]bool{}
	for _, s := range ignored {
		keep[s] = true
	}
	resetIgnored(keep)
	for _, s := range ignored {
		// SIG_IGN survives fork and exec; Go leaves ignored signals alone.
		signal.Ignore(s)
	}
	// Exactly the planted mask, whatever the caller had blocked.
	var set unix.Sigset_t
	for _, s := range splitSignals(os.Getenv(shimBlockEnv)) {
		set.Val[(s-1)/64] |= 1 << ((uint(s) - 1) % 64)
	}
	if err := unix.PthreadSigmask(unix.SIG_SETMASK, &set, nil); err != nil {
		return fail("shim: sigprocmask: %v", err)
	}
	// Exactly the planted descriptors: whatever the checker's own caller
	// left open without close-on-exec (a CI runner's pipe on fd 251) must
	// not reach the program, or it would be blamed for it.
	closeOnExecAbove(2)
	markerFD, _ := strconv.Atoi(os.Getenv(shimMarkerEnv))
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	if markerFD >= 3 {
		cmd.ExtraFiles = make([]*os.File, markerFD-2)
		cmd.ExtraFiles[markerFD-3] = os.NewFile(shimMarkerFD, "marker")
	}
	cmd.Env = shimChildEnv(os.Environ())
	// A foreground job of the terminal, in its own process group.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Foreground: true, Ctty: 0}
	if err := cmd.Start(); err != nil {
		return fail("%v", err)
	}
	fmt.Fprintf(status, "started %d\n", cmd.Process.Pid)
	_ = cmd.Wait()
	atExit := "-"
	if pf := os.Getenv(shimPIDFileEnv); pf != "" {
		atExit = "absent"
		if raw, err := os.ReadFile(pf); err == nil {
			atExit = hex.EncodeToString(raw) + "."
		}
	}
	ws, _ := cmd.ProcessState.Sys().(syscall.WaitStatus)
	sig := 0
	if ws.Signaled() {
		sig = int(ws.Signal())
	}
	// Everything the program wrote to the terminal before it exited is
	// ahead of this marker: the checker reads up to it before it shows
	// the program's last lines, so none is lost on a loaded machine.
	_, _ = os.Stdout.WriteString(outputMarker)
	fmt.Fprintf(status, "exit %d %d %s\n", ws.ExitStatus(), sig, atExit)
	// Idle at the "prompt" until the checker ends the run.
	for {
		_ = unix.Pause()
	}
}

// closeOnExecAbove marks every descriptor above n close-on-exec; os/exec
// then passes on only the ones it is given (dup2 clears the flag there).
func closeOnExecAbove(n int) {
	if err := unix.CloseRange(uint(n+1), ^uint(0), unix.CLOSE_RANGE_CLOEXEC); err == nil {
		return
	}
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return
	}
	for _, e := range entries {
		if fd, err := strconv.Atoi(e.Name()); err == nil && fd > n {
			unix.CloseOnExec(fd)
		}
	}
}

// shimChildEnv drops the shim's own variables from the program's environment.
func shimChildEnv(env []string) []string {
	out := env[:0:0]
	for _, kv := range env {
		if !strings.HasPrefix(kv, "DAEMONLAB_LAUNCH_") {
			out = append(out, kv)
		}
	}
	return out
}

func splitSignals(v string) []syscall.Signal {
	var out []syscall.Signal
	for _, f := range strings.Split(v, ",") {
		if n, err := strconv.Atoi(strings.TrimSpace(f)); err == nil && n > 0 && n <= 64 {
			out = append(out, syscall.Signal(n))
		}
	}
	return out
}

func joinSignals(sigs []syscall.Signal) string {
	parts := make([]string, len(sigs))
	for i, s := range sigs {
		parts[i] = strconv.Itoa(int(s))
	}
	return strings.Join(parts, ",")
}
