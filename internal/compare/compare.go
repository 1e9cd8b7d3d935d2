// Package compare starts one program each of the usual ways of "putting it
// in the background" from a fresh pseudo-terminal running an interactive
// bash, observes the process in /proc while the terminal is open, hangs
// the terminal up as at logout, and reports what survived and where its
// output went. It is `daemonlab compare` and the observer of lab 00.
// Nothing of a run is left: every process found is killed by identity,
// tmux and screen servers of the run are stopped, the directory removed.
package compare

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/creack/pty"
	"github.com/daemonlab/daemonlab/checker/procfs"
	"github.com/daemonlab/daemonlab/internal/parallel"
	"golang.org/x/sys/unix"
)

// Way is one way of starting a program in the background.
type Way struct {
	ID   string // amp, nohup, disown, setsid, tmux, screen, systemd-run
	Tool string // the program the way needs ("" for the shell itself)
	// line is the command typed into the shell.
	line func(r *run, cmd string) string
	// stop undoes what the tool left (a tmux server, a unit).
	stop func(r *run)
}

// Ways lists every way, in the order of the table.
var Ways = []Way{
	{ID: "amp", line: func(_ *run, c string) string { return c + " &" }},
	{ID: "nohup", Tool: "nohup", line: func(_ *run, c string) string { return "nohup " + c + " &" }},
	{ID: "disown", line: func(_ *run, c string) string { return c + " & disown" }},
	{ID: "setsid", Tool: "setsid", line: func(_ *run, c string) string { return "setsid -f " + c }},
	{ID: "tmux", Tool: "tmux", line: func(r *run, c string) string {
		return "tmux -S " + quote(filepath.Join(r.dir, "tmux.sock")) + " new-session -d " + quote(c)
	}, stop: func(r *run) {
		_ = exec.Command(r.tools["tmux"], "-S", filepath.Join(r.dir, "tmux.sock"), "kill-server").Run()
	}},
	{ID: "screen", Tool: "screen", line: func(r *run, c string) string { return "screen -dmS " + r.name + " " + c },
		stop: func(r *run) { _ = exec.Command(r.tools["screen"], "-S", r.name, "-X", "quit").Run() }},
	{ID: "systemd-run", Tool: "systemd-run", line: func(r *run, c string) string {
		return "systemd-run --quiet --collect --unit=" + r.name + " --setenv=" + marker + "=" + r.name + " " + c
	}, stop: func(r *run) {
		if p, err := exec.LookPath("systemctl"); err == nil {
			_ = exec.Command(p, "stop", r.name+".service").Run()
		}
	}},
}

// marker is set in the terminal's environment so the started process can
// be found again (systemd-run passes it with --setenv).
const marker = "DAEMONLAB_COMPARE"

// Row is what one way did.
type Row struct {
	Way string `json:"way"`
	// Missing says why the way could not be tried (a missing tool).
	Missing string `json:"missing,omitempty"`
	// Error says why a tried way gave nothing to observe.
	Error string `json:"error,omitempty"`
	PID   int    `json:"pid,omitempty"`
	PPID  int    `json:"ppid,omitempty"`
	// Parent is the parent's name.
	Parent       string    `json:"parent,omitempty"`
	ParentIsInit bool      `json:"parent_is_init"`
	SID          int       `json:"sid,omitempty"`
	PGID         int       `json:"pgid,omitempty"`
	OwnSession   bool      `json:"own_session"`
	HasCTTY      bool      `json:"has_ctty"`
	Stdio        [3]string `json:"stdio"`
	StdioOnTTY   bool      `json:"stdio_on_tty"`
	// SIGHUP is the disposition: default, ignored or caught.
	SIGHUP         string `json:"sighup,omitempty"`
	SurvivesHangup bool   `json:"survives_hangup"`
	// Output is where its standard output went after the hang-up.
	Output string `json:"output,omitempty"`
}

// Options tune a run.
type Options struct {
	Proc procfs.FS
	// Ways limits the ways tried (IDs); empty means all.
	Ways []string
	// Settle is how long the process gets to start, and to react to the
	// hang-up.
	Settle time.Duration
	// OnObserve, when set, is called while the terminal is still open with
	// the row just observed (tests check it against /proc); with Jobs above
	// 1 it may be called from several goroutines at once.
	OnObserve func(Row)
	// Jobs is how many ways are tried at once, each on its own terminal
	// (default 1: one after the other).
	Jobs int
}

type run struct {
	dir, name string
	tools     map[string]string
}

// Run tries each way with program and args and returns one row per way.
func Run(ctx context.Context, program string, args []string, o Options) ([]Row, error) {
	defer defaultSIGHUP()()
	prog, err := exec.LookPath(program)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", program, err)
	}
	if prog, err = filepath.Abs(prog); err != nil {
		return nil, err
	}
	bash, err := exec.LookPath("bash")
	if err != nil {
		return nil, errors.New("compare needs bash: " + err.Error())
	}
	if o.Proc.Root == "" {
		o.Proc = procfs.New("")
	}
	if o.Settle == 0 {
		o.Settle = 500 * time.Millisecond
	}
	cmd := quote(prog)
	for _, a := range args {
		cmd += " " + quote(a)
	}
	var ways []Way
	for _, w := range Ways {
		if len(o.Ways) == 0 || slices.Contains(o.Ways, w.ID) {
			ways = append(ways, w)
		}
	}
	rows := make([]Row, len(ways))
	parallel.Each(len(ways), o.Jobs, func(i int) {
		rows[i] = tryWay(ctx, ways[i], bash, prog, cmd, o)
	})
	return rows, nil
}

func tryWay(ctx context.Context, w Way, bash, prog, cmd string, o Options) Row {
	row := Row{Way: w.ID}
	r := &run{name: "dlcmp-" + w.ID + "-" + strconv.FormatInt(time.Now().UnixNano(), 36), tools: map[string]string{}}
	if w.Tool != "" {
		p, err := exec.LookPath(w.Tool)
		if err != nil {
			row.Missing = w.Tool + " is not installed"
			return row
		}
		r.tools[w.Tool] = p
	}
	if w.ID == "systemd-run" {
		if _, err := os.Stat("/run/systemd/system"); err != nil {
			row.Missing = "systemd is not running here"
			return row
		}
	}
	dir, err := os.MkdirTemp("", "daemonlab-compare-")
	if err != nil {
		row.Error = err.Error()
		return row
	}
	r.dir = dir
	defer os.RemoveAll(dir)

	ptm, pts, err := openPTY()
	if err != nil {
		row.Error = "no pseudo-terminal: " + err.Error()
		return row
	}
	shell := exec.Command(bash, "--norc", "--noprofile", "-i")
	shell.Dir = dir
	shell.Env = append(os.Environ(), marker+"="+r.name, "PS1=$ ", "HISTFILE=/dev/null", "TERM=xterm")
	shell.Stdin, shell.Stdout, shell.Stderr = pts, pts, pts
	shell.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}
	if err := shell.Start(); err != nil {
		pts.Close()
		ptm.Close()
		row.Error = "starting bash: " + err.Error()
		return row
	}
	pts.Close()
	var out lockedBuffer
	drained := make(chan struct{})
	go func() { _, _ = io.Copy(&out, ptm); close(drained) }()
	exited := make(chan struct{})
	go func() { _ = shell.Wait(); close(exited) }()

	var found []identity
	defer func() {
		for _, id := range found {
			id.kill(o.Proc)
		}
		if w.stop != nil {
			w.stop(r)
		}
		// Anything else of the run (a nohup of a nohup...) carries the marker.
		for _, id := range byMarker(o.Proc, r.name, "") {
			id.kill(o.Proc)
		}
		_ = shell.Process.Kill()
		<-exited
	}()

	if _, err := ptm.Write([]byte(w.line(r, cmd) + "\n")); err != nil {
		row.Error = "typing into the terminal: " + err.Error()
		return row
	}
	var target identity
	deadline := time.Now().Add(3 * o.Settle)
	for time.Now().Before(deadline) && ctx.Err() == nil {
		if ids := byMarker(o.Proc, r.name, prog); len(ids) > 0 {
			target = ids[0]
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if target.pid == 0 {
		row.Error = "the program was not seen running: " + lastLine(out.String())
		return row
	}
	found = append(found, target)
	// Observe once the typed command is done and the shell has the
	// terminal back: setsid -f's parent has exited (its child is adopted
	// by then), tmux's and screen's clients have returned.
	for deadline := time.Now().Add(o.Settle); time.Now().Before(deadline) && ctx.Err() == nil; {
		if pg, err := foreground(ptm); err == nil && pg == shell.Process.Pid {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	observe(o.Proc, &row, target.pid, shell.Process.Pid)
	if o.OnObserve != nil {
		o.OnObserve(row)
	}

	// Hang up as at logout: the terminal goes away; the kernel sends SIGHUP
	// to the session leader (bash), which passes it on to its jobs.
	ptm.Close()
	<-drained
	select {
	case <-exited:
	case <-time.After(10 * o.Settle):
	}
	row.SurvivesHangup = survives(o.Proc, target, o.Settle)
	if row.SurvivesHangup {
		row.Output = describe(o.Proc, target.pid, 1, dir)
	} else {
		row.Output = "(gone)"
		if row.Stdio[1] != "" && !strings.HasPrefix(row.Stdio[1], "/dev/pts/") {
			row.Output = row.Stdio[1] + " (gone)"
		}
	}
	return row
}

// survives tells whether id outlives the hang-up. It must stay alive for
// settle with no unblocked signal left pending: on a loaded machine the
// SIGHUP bash passed on may not have been acted upon yet when settle is up,
// so the wait goes on (up to ten times settle) while one is pending.
func survives(fs procfs.FS, id identity, settle time.Duration) bool {
	quiet := time.Now().Add(settle)
	limit := time.Now().Add(10 * settle)
	for {
		if !id.alive(fs) {
			return false
		}
		now := time.Now()
		if now.After(limit) {
			return true
		}
		if now.After(quiet) {
			if s, err := fs.Status(id.pid); err == nil && (s.SigPnd|s.ShdPnd)&^s.SigBlk == 0 {
				return true
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// observe fills the process facts of a row.
func observe(fs procfs.FS, row *Row, pid, shellPID int) {
	st, err := fs.Stat(pid)
	if err != nil {
		row.Error = "gone before it could be observed"
		return
	}
	row.PID, row.PPID, row.SID, row.PGID = pid, st.PPID, st.Session, st.PGRP
	row.ParentIsInit = st.PPID == 1
	if pst, err := fs.Stat(st.PPID); err == nil {
		row.Parent = pst.Comm
	}
	row.OwnSession = st.Session != shellPID
	row.HasCTTY = st.TTYNr != 0
	for i := 0; i < 3; i++ {
		row.Stdio[i] = describe(fs, pid, i, "")
		if isTTY(row.Stdio[i]) {
			row.StdioOnTTY = true
		}
	}
	if s, err := fs.Status(pid); err == nil {
		switch {
		case s.SigIgn.Has(syscall.SIGHUP):
			row.SIGHUP = "ignored"
		case s.SigCgt.Has(syscall.SIGHUP):
			row.SIGHUP = "caught"
		default:
			row.SIGHUP = "default"
		}
	}
}

func isTTY(target string) bool {
	return strings.HasPrefix(target, "/dev/pts/") || strings.HasPrefix(target, "/dev/tty")
}

// describe names what descriptor fd of pid points at (relative to dir
// when inside it).
func describe(fs procfs.FS, pid, fd int, dir string) string {
	t, err := fs.Readlink(pid, "fd", strconv.Itoa(fd))
	if err != nil {
		return "(closed)"
	}
	if dir != "" && strings.HasPrefix(t, dir+"/") {
		return "./" + strings.TrimPrefix(t, dir+"/") + " (in the directory it was started from)"
	}
	return t
}

// identity is a process by (pid, start time).
type identity struct {
	pid   int
	start uint64
}

func (id identity) alive(fs procfs.FS) bool {
	st, err := fs.Stat(id.pid)
	return err == nil && st.StartTicks == id.start && !st.IsZombie()
}

// kill sends SIGKILL to the process if it is still the same one, and waits
// (a second at most) until it is gone or a zombie: nothing of a run is
// left running when the run returns.
func (id identity) kill(fs procfs.FS) {
	if id.pid <= 1 || !id.alive(fs) {
		return
	}
	_ = syscall.Kill(id.pid, syscall.SIGKILL)
	for deadline := time.Now().Add(time.Second); id.alive(fs) && time.Now().Before(deadline); {
		time.Sleep(5 * time.Millisecond)
	}
}

// byMarker finds the live processes of a run: the marker in their
// environment and, when prog is given, prog as argv[0].
func byMarker(fs procfs.FS, name, prog string) []identity {
	pids, err := fs.PIDs()
	if err != nil {
		return nil
	}
	want := []byte(marker + "=" + name + "\x00")
	var out []identity
	for _, pid := range pids {
		if pid == os.Getpid() {
			continue
		}
		env, err := fs.ReadFile(pid, "environ")
		if err != nil || !bytes.Contains(env, want) {
			continue
		}
		st, err := fs.Stat(pid)
		if err != nil || st.IsZombie() {
			continue
		}
		if prog != "" {
			cmdline, _ := fs.ReadFile(pid, "cmdline")
			argv0, _, _ := bytes.Cut(cmdline, []byte{0})
			if string(argv0) != prog {
				continue
			}
		}
		out = append(out, identity{pid, st.StartTicks})
	}
	return out
}

func quote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r == '/' || r == '.' || r == '-' || r == '_' || r == '=' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z')
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	l := strings.TrimSpace(lines[len(lines)-1])
	if len(l) > 200 {
		l = l[:200]
	}
	return l
}

// lockedBuffer collects the terminal's output from its reader goroutine.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.buf.Len() < 64<<10 {
		b.buf.Write(p)
	}
	return len(p), nil
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// openPTY opens a pseudo-terminal whose master is served by Go's poller,
// so that closing it (the hang-up) is not held back by the pending read.
func openPTY() (*os.File, *os.File, error) {
	ptm, pts, err := pty.Open()
	if err != nil {
		return nil, nil, err
	}
	fd, err := syscall.Dup(int(ptm.Fd()))
	ptm.Close()
	if err == nil {
		err = syscall.SetNonblock(fd, true)
	}
	if err != nil {
		pts.Close()
		return nil, nil, err
	}
	syscall.CloseOnExec(fd)
	return os.NewFile(uintptr(fd), "/dev/ptmx"), pts, nil
}

// foreground is the terminal's foreground process group, asked on the
// master side (without taking its descriptor out of Go's poller).
func foreground(ptm *os.File) (int, error) {
	rc, err := ptm.SyscallConn()
	if err != nil {
		return 0, err
	}
	var pg int
	var ierr error
	if err := rc.Control(func(fd uintptr) { pg, ierr = unix.IoctlGetInt(int(fd), unix.TIOCGPGRP) }); err != nil {
		return 0, err
	}
	return pg, ierr
}
