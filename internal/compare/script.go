package compare

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/daemonlab/daemonlab/checker/procfs"
	"golang.org/x/sys/unix"
)

// ScriptOptions describe one hang-up run of a start script (lab 00): the
// command line typed into an interactive login bash on a fresh terminal,
// then the terminal hung up as at logout, and the program the script was to
// start watched before and after.
type ScriptOptions struct {
	Proc procfs.FS
	// Dir is the shell's working directory: where the script, the program
	// and its log are.
	Dir string
	// Line is typed into the shell ("./start.sh").
	Line string
	// Program is the file whose processes are judged (found by the device
	// and inode of /proc/PID/exe, so a replaced file is not it).
	Program string
	// Log is the file the program's output must keep growing in (relative
	// to Dir).
	Log string
	// Return bounds the wait for the typed line to give the prompt back.
	Return time.Duration
	// Appear bounds the wait for the first program process once the line
	// returned (or Return passed).
	Appear time.Duration
	// Gather is how long processes are still collected once the first one
	// was seen, before the hang-up (a second copy started a little later).
	Gather time.Duration
	// MinWatch and MaxWatch bound the watch after the hang-up: at least
	// MinWatch (a program writing on the dead terminal gets EIO on its next
	// write), at most MaxWatch, ending early once the log grew after
	// MinWatch or nothing of the program is left.
	MinWatch, MaxWatch time.Duration
}

// ScriptResult is what a hang-up run observed.
type ScriptResult struct {
	// Returned is true when the prompt came back within Return; ReturnMS is
	// how long the line took.
	Returned bool    `json:"returned"`
	ReturnMS float64 `json:"return_ms,omitempty"`
	// Terminal holds the last lines the terminal showed.
	Terminal []string `json:"terminal,omitempty"`
	// Programs are the program's processes seen during the run.
	Programs []ProgramProc `json:"programs"`
	// ShellExit says how the login shell ended at the hang-up.
	ShellExit string `json:"shell_exit,omitempty"`
	// Log is the log file around the hang-up.
	Log LogGrowth `json:"log"`
	// WatchMS is how long the run watched after the hang-up.
	WatchMS float64 `json:"watch_ms"`
}

// ProgramProc is one process of the program.
type ProgramProc struct {
	PID int `json:"pid"`
	// Stdio and TTYFDs are read when the process was first seen, while
	// the terminal was still open: the targets of 0-2 and every descriptor
	// open on a terminal ("2 -> /dev/pts/0").
	Stdio  [3]string `json:"stdio"`
	TTYFDs []string  `json:"tty_fds,omitempty"`
	// BeforeHangup is true when it was seen before the hang-up.
	BeforeHangup bool `json:"before_hangup"`
	// Survived is true when it was still running at the end of the watch.
	Survived bool `json:"survived"`
	start    uint64
}

// LogGrowth is the size of the log at the hang-up and at the end of the
// watch.
type LogGrowth struct {
	// Problem says why the log could not be measured (missing, not a
	// regular file).
	Problem  string `json:"problem,omitempty"`
	AtHangup int64  `json:"at_hangup"`
	After    int64  `json:"after"`
	// LastLine is the last complete line of the log at the end of the
	// watch (at most 200 bytes): whose output it is.
	LastLine string `json:"last_line,omitempty"`
}

// Grew is true when the log grew during the watch.
func (l LogGrowth) Grew() bool { return l.Problem == "" && l.After > l.AtHangup }

// returnMarker is printed by the line typed after the script: the typed
// text itself ("$((6*7))") never contains it, so seeing it means the shell
// ran the next command, i.e. the script gave the prompt back.
const returnMarker = "daemonlab-returned-42"

// readyMarker is printed by the first line typed, once the login shell
// reads commands.
const readyMarker = "daemonlab-ready-36"

// readyTimeout bounds the login shell's start.
const readyTimeout = 10 * time.Second

// RunScript types o.Line into an interactive login bash on a fresh
// pseudo-terminal, waits for the prompt, hangs the terminal up (the
// master is closed, as when a terminal window or an SSH connection goes
// away) and watches o.Program's processes and o.Log. It does not adopt
// anything (no subreaper): orphans go to init, as at a real logout. At the
// end it kills the program's processes it saw, by identity.
func RunScript(ctx context.Context, o ScriptOptions) (*ScriptResult, error) {
	defer defaultSIGHUP()()
	if o.Proc.Root == "" {
		o.Proc = procfs.New("")
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&o.Return, 3*time.Second)
	def(&o.Appear, 2*time.Second)
	def(&o.Gather, 300*time.Millisecond)
	def(&o.MinWatch, 600*time.Millisecond)
	def(&o.MaxWatch, 2*time.Second)
	var prog unix.Stat_t
	if err := unix.Stat(o.Program, &prog); err != nil {
		return nil, fmt.Errorf("program: %w", err)
	}
	bash, err := exec.LookPath("bash")
	if err != nil {
		return nil, errors.New("the hang-up run needs bash: " + err.Error())
	}
	res := &ScriptResult{Programs: []ProgramProc{}}
	seen := map[identity]int{} // index in res.Programs
	// Processes of the program already running are not the script's.
	for _, id := range programProcs(o.Proc, prog.Dev, prog.Ino) {
		seen[id] = -1
	}
	collect := func(beforeHangup bool) {
		for _, id := range programProcs(o.Proc, prog.Dev, prog.Ino) {
			if _, ok := seen[id]; ok {
				continue
			}
			p := ProgramProc{PID: id.pid, start: id.start, BeforeHangup: beforeHangup}
			for i := range p.Stdio {
				p.Stdio[i] = describe(o.Proc, id.pid, i, "")
			}
			if fds, err := o.Proc.FDs(id.pid); err == nil {
				for _, fd := range fds {
					if isTerminalFD(fd) {
						p.TTYFDs = append(p.TTYFDs, fmt.Sprintf("%d -> %s", fd.Num, fd.Target))
					}
				}
			}
			seen[id] = len(res.Programs)
			res.Programs = append(res.Programs, p)
		}
	}
	defer func() {
		for id, i := range seen {
			if i >= 0 {
				id.kill(o.Proc)
			}
		}
	}()

	ptm, pts, err := openPTY()
	if err != nil {
		return nil, fmt.Errorf("no pseudo-terminal: %w", err)
	}
	shell := exec.Command(bash, "--login", "-i")
	shell.Dir = o.Dir
	shell.Env = loginEnv(bash)
	shell.Stdin, shell.Stdout, shell.Stderr = pts, pts, pts
	shell.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}
	if err := shell.Start(); err != nil {
		pts.Close()
		ptm.Close()
		return nil, fmt.Errorf("starting bash: %w", err)
	}
	pts.Close()
	var out lockedBuffer
	drained := make(chan struct{})
	go func() { _, _ = io.Copy(&out, ptm); close(drained) }()
	exited := make(chan error, 1)
	go func() { exited <- shell.Wait() }()
	shellDone := false
	defer func() {
		if !shellDone {
			_ = shell.Process.Kill()
			<-exited
		}
	}()

	poll := func(deadline time.Time, done func() bool) bool {
		for {
			if done() {
				return true
			}
			if !time.Now().Before(deadline) || ctx.Err() != nil {
				return false
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	// The login shell reads its profile first: the time the line takes is
	// counted from the moment the shell answers.
	if _, err := ptm.Write([]byte("echo daemonlab-ready-$((6*6))\n")); err != nil {
		ptm.Close()
		return nil, fmt.Errorf("typing into the terminal: %w", err)
	}
	if !poll(time.Now().Add(readyTimeout), func() bool { return strings.Contains(out.String(), readyMarker) }) {
		ptm.Close()
		return nil, fmt.Errorf("the login shell did not answer within %s: %s", readyTimeout, strings.Join(lastLines(out.String(), 3), " | "))
	}
	// The line, then a second one that prints the marker once the shell
	// reads it: typed ahead, as a user would.
	begin := time.Now()
	if _, err := ptm.Write([]byte(o.Line + "\necho daemonlab-returned-$((6*7))\n")); err != nil {
		ptm.Close()
		return nil, fmt.Errorf("typing into the terminal: %w", err)
	}
	res.Returned = poll(begin.Add(o.Return), func() bool {
		collect(true)
		return strings.Contains(out.String(), returnMarker)
	})
	if res.Returned {
		res.ReturnMS = ms(time.Since(begin))
	}
	poll(time.Now().Add(o.Appear), func() bool { collect(true); return len(res.Programs) > 0 })
	if len(res.Programs) > 0 {
		poll(time.Now().Add(o.Gather), func() bool { collect(true); return false })
	}

	// Hang up as at logout: the terminal goes away; the kernel sends SIGHUP
	// (and SIGCONT) to the session leader (bash) and the foreground job;
	// bash passes SIGHUP on to the jobs in its table and exits.
	ptm.Close()
	select {
	case err := <-exited:
		shellDone = true
		res.ShellExit = exitText(err)
	case <-time.After(3 * time.Second):
		res.ShellExit = "still running 3 s after the hang-up (killed)"
	}
	t0 := time.Now()
	logPath := filepath.Join(o.Dir, o.Log)
	size := func() (int64, string) {
		st, err := os.Lstat(logPath)
		switch {
		case err != nil:
			return 0, o.Log + " does not exist"
		case !st.Mode().IsRegular():
			return 0, o.Log + " is not a regular file"
		}
		return st.Size(), ""
	}
	res.Log.AtHangup, res.Log.Problem = size()
	alive := func() int {
		n := 0
		for id, i := range seen {
			if i >= 0 && id.alive(o.Proc) {
				n++
			}
		}
		return n
	}
	poll(t0.Add(o.MaxWatch), func() bool {
		collect(false)
		if time.Since(t0) < o.MinWatch {
			return false
		}
		s, _ := size()
		return s > res.Log.AtHangup || alive() == 0
	})
	res.WatchMS = ms(time.Since(t0))
	var problem string
	res.Log.After, problem = size()
	if res.Log.Problem == "" {
		res.Log.Problem = problem
	}
	if problem == "" {
		res.Log.LastLine = lastLogLine(logPath)
	}
	for id, i := range seen {
		if i >= 0 {
			res.Programs[i].Survived = id.alive(o.Proc)
		}
	}
	select {
	case <-drained:
	case <-time.After(time.Second):
	}
	res.Terminal = lastLines(strings.ReplaceAll(out.String(), "\r", ""), 8)
	return res, nil
}

// programProcs are the live processes whose executable is the file dev:ino.
func programProcs(fs procfs.FS, dev, ino uint64) []identity {
	pids, err := fs.PIDs()
	if err != nil {
		return nil
	}
	var out []identity
	for _, pid := range pids {
		var st unix.Stat_t
		if unix.Stat(fs.Path(pid, "exe"), &st) != nil || st.Dev != dev || st.Ino != ino {
			continue
		}
		s, err := fs.Stat(pid)
		if err != nil || s.IsZombie() {
			continue
		}
		out = append(out, identity{pid, s.StartTicks})
	}
	return out
}

// isTerminalFD reports whether a descriptor is open on a terminal: a pty
// slave, a virtual console or serial line, /dev/tty or /dev/console (by
// device number, so a hung-up or deleted pty still counts).
func isTerminalFD(fd procfs.FD) bool {
	if fd.IsCharDevice() {
		major, minor := unix.Major(fd.Rdev), unix.Minor(fd.Rdev)
		return major >= 136 && major <= 143 || major == 4 || major == 5 && (minor == 0 || minor == 1)
	}
	return !fd.HasStat && isTTY(fd.Target)
}

// loginEnv is the environment of a fresh login: what login(1) sets, no
// more.
func loginEnv(bash string) []string {
	name, home := "root", "/root"
	if u, err := user.Current(); err == nil {
		name, home = u.Username, u.HomeDir
	}
	return []string{"HOME=" + home, "USER=" + name, "LOGNAME=" + name, "SHELL=" + bash, "TERM=xterm",
		"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "LANG=C.UTF-8"}
}

func exitText(err error) string {
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return "killed by " + unix.SignalName(ws.Signal())
		}
		return "exit status " + strconv.Itoa(ee.ExitCode())
	}
	if err != nil {
		return err.Error()
	}
	return "exit status 0"
}

func lastLines(s string, n int) []string {
	var lines []string
	for _, l := range strings.Split(strings.TrimRight(s, "\n"), "\n") {
		l = string(bytes.ToValidUTF8([]byte(strings.TrimSpace(l)), []byte("?")))
		if len(l) > 200 {
			l = l[:200]
		}
		lines = append(lines, l)
	}
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return lines
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// lastLogLine reads the last complete line of a log (from its last 4 KB),
// without following a link.
func lastLogLine(p string) string {
	f, err := os.OpenFile(p, os.O_RDONLY|unix.O_NOFOLLOW|unix.O_NONBLOCK, 0)
	if err != nil {
		return ""
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil || !st.Mode().IsRegular() {
		return ""
	}
	off := max(st.Size()-4096, 0)
	buf := make([]byte, st.Size()-off)
	n, _ := f.ReadAt(buf, off)
	buf = buf[:n]
	end := bytes.LastIndexByte(buf, '\n')
	if end < 0 {
		return ""
	}
	line := buf[bytes.LastIndexByte(buf[:end], '\n')+1 : end]
	if len(line) > 200 {
		line = line[:200]
	}
	return string(bytes.ToValidUTF8(line, []byte("?")))
}
