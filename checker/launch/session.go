// Package launch starts a program under controlled initial conditions so
// every daemonization step becomes observable, and owns every process of
// the run: the checker is a child subreaper, so whatever the program forks
// off is adopted by it, its exit status is seen, and it is reaped at the end.
package launch

import (
	"bufio"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/creack/pty"
	"github.com/daemonlab/daemonlab/checker/procfs"
	"golang.org/x/sys/unix"
)

// Config sets the initial conditions of a launch.
type Config struct {
	Program string // path of the program; made absolute
	Args    []string
	Proc    procfs.FS
	// Umask, Blocked and Ignored are planted before the program starts.
	Umask   uint32
	Blocked []syscall.Signal
	Ignored []syscall.Signal
	// MarkerFD is left open without close-on-exec (default 9).
	MarkerFD int
	// Canary is set in the environment as CanaryName=<run id>.
	CanaryName string
	// Groups are the supplementary groups the program starts with when the
	// checker runs as root (a root login has group 0).
	Groups []int
	// Env is the base environment (default: the checker's own).
	Env []string
	// PIDFile, when set, is read by the launch shell the moment the
	// program exits (see Run.PIDFileAtExit).
	PIDFile string
}

// DefaultConfig plants umask 077, SIGUSR1 blocked, SIGINT ignored (as a
// shell's & does), a marker on fd 9 and a canary variable.
func DefaultConfig(program string, args []string) Config {
	return Config{
		Program: program, Args: args, Umask: 0o077,
		Blocked: []syscall.Signal{syscall.SIGUSR1}, Ignored: []syscall.Signal{syscall.SIGINT},
		MarkerFD: 9, CanaryName: "DAEMONLAB_CANARY", Groups: []int{0},
	}
}

// Session is one checking run: a temporary working directory, the marker,
// and every launch made in it. Close kills and reaps everything.
type Session struct {
	cfg     Config
	fs      procfs.FS
	reaper  *reaper
	Dir     string
	marker  *os.File
	markDev uint64
	markIno uint64
	Canary  string
	runs    []*Run
	closed  bool
}

// NewSession prepares a run. Only one session may be open per process at a
// time: the subreaper sees every orphan of the process.
func NewSession(cfg Config) (*Session, error) {
	if cfg.Proc.Root == "" {
		cfg.Proc = procfs.New("")
	}
	if cfg.MarkerFD == 0 {
		cfg.MarkerFD = 9
	}
	prog, err := filepath.Abs(cfg.Program)
	if err != nil {
		return nil, err
	}
	st, err := os.Stat(prog)
	switch {
	case err != nil:
		return nil, fmt.Errorf("%s: %w", cfg.Program, err)
	case st.IsDir() || st.Mode()&0o111 == 0:
		return nil, fmt.Errorf("%s is not an executable file", cfg.Program)
	}
	cfg.Program = prog
	r, err := getReaper()
	if err != nil {
		return nil, fmt.Errorf("becoming a child subreaper: %w", err)
	}
	dir, err := os.MkdirTemp("", "daemonlab-launch-")
	if err != nil {
		return nil, err
	}
	s := &Session{cfg: cfg, fs: cfg.Proc, reaper: r, Dir: dir}
	s.Canary = "dl-" + strconv.FormatInt(time.Now().UnixNano(), 36)
	if s.marker, err = os.Create(filepath.Join(dir, "marker")); err != nil {
		s.Close()
		return nil, err
	}
	var mst unix.Stat_t
	if err := unix.Fstat(int(s.marker.Fd()), &mst); err != nil {
		s.Close()
		return nil, err
	}
	s.markDev, s.markIno = mst.Dev, mst.Ino
	return s, nil
}

// Proc is the procfs tree the session reads.
func (s *Session) Proc() procfs.FS { return s.fs }

// Run is one start of the program from a fresh terminal.
type Run struct {
	session  *Session
	shim     *os.Process
	ShimPID  int // the "shell": session leader of the terminal
	Launcher int // the program as started
	ptm      *os.File
	status   chan string
	exit     *Exit
	output   *tailBuffer
	// the pid file as the launch shell read it when the program exited
	atExitKnown, atExitExists bool
	atExitRaw                 []byte
}

// SetPIDFile names the pid file the launch shell reads the moment the
// program exits; call it before Launch.
func (s *Session) SetPIDFile(path string) { s.cfg.PIDFile = path }

// PIDFileAtExit returns the pid file's content as read the moment the
// program exited: known is false when no pid file was set or the exit was
// not seen.
func (r *Run) PIDFileAtExit() (raw []byte, exists, known bool) {
	return r.atExitRaw, r.atExitExists, r.atExitKnown
}

// Launch starts the program once, from a new terminal session.
func (s *Session) Launch(ctx context.Context) (*Run, error) {
	ptm, pts, err := pty.Open()
	if err != nil {
		return nil, fmt.Errorf("opening a pseudo-terminal: %w", err)
	}
	defer pts.Close()
	statusR, statusW, err := os.Pipe()
	if err != nil {
		ptm.Close()
		return nil, err
	}
	self, err := os.Executable()
	if err != nil {
		ptm.Close()
		return nil, err
	}
	env := s.cfg.Env
	if env == nil {
		env = os.Environ()
	}
	env = append(shimChildEnv(env),
		shimEnv+"=1",
		shimUmaskEnv+"="+strconv.FormatUint(uint64(s.cfg.Umask), 8),
		shimBlockEnv+"="+joinSignals(s.cfg.Blocked),
		shimIgnoreEnv+"="+joinSignals(s.cfg.Ignored),
		shimMarkerEnv+"="+strconv.Itoa(s.cfg.MarkerFD),
		shimGroupsEnv+"="+joinInts(s.cfg.Groups),
		shimPIDFileEnv+"="+s.cfg.PIDFile,
	)
	if s.cfg.CanaryName != "" {
		env = append(env, s.cfg.CanaryName+"="+s.Canary)
	}
	proc, err := os.StartProcess(self, append([]string{"daemonlab-shell", s.cfg.Program}, s.cfg.Args...), &os.ProcAttr{
		Dir:   s.Dir,
		Env:   env,
		Files: []*os.File{pts, pts, pts, statusW, s.marker},
		Sys:   &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0},
	})
	statusW.Close()
	if err != nil {
		ptm.Close()
		statusR.Close()
		return nil, fmt.Errorf("starting the launch shell: %w", err)
	}
	run := &Run{session: s, shim: proc, ShimPID: proc.Pid, ptm: ptm, status: make(chan string, 4), output: &tailBuffer{max: 4096, marked: make(chan struct{})}}
	s.runs = append(s.runs, run)
	go func() {
		sc := bufio.NewScanner(statusR)
		for sc.Scan() {
			run.status <- sc.Text()
		}
		statusR.Close()
		close(run.status)
	}()
	go run.output.drain(ptm) // a terminal nobody reads would block the program's writes
	select {
	case line, ok := <-run.status:
		switch {
		case !ok:
			return run, errors.New("the launch shell died before starting the program")
		case strings.HasPrefix(line, "error "):
			return run, fmt.Errorf("starting %s: %s", s.cfg.Program, strings.TrimPrefix(line, "error "))
		}
		pid, err := strconv.Atoi(strings.TrimPrefix(line, "started "))
		if err != nil {
			return run, fmt.Errorf("launch shell: %q", line)
		}
		run.Launcher = pid
	case <-ctx.Done():
		return run, ctx.Err()
	}
	return run, nil
}

// Output returns the tail of what the program wrote to its terminal.
func (r *Run) Output() string { return r.output.String() }

// tailBuffer keeps the last max bytes written to it, less the shim's
// output marker, whose arrival closes marked.
type tailBuffer struct {
	mu     sync.Mutex
	max    int
	buf    []byte
	marked chan struct{}
	seen   bool
}

func (t *tailBuffer) drain(f *os.File) {
	chunk := make([]byte, 4096)
	for {
		n, err := f.Read(chunk)
		t.mu.Lock()
		t.buf = append(t.buf, chunk[:n]...)
		if i := strings.Index(string(t.buf), outputMarker); i >= 0 {
			t.buf = append(t.buf[:i], t.buf[i+len(outputMarker):]...)
			if !t.seen {
				t.seen = true
				close(t.marked)
			}
		}
		// keep room for a marker split across two reads
		if len(t.buf) > t.max+len(outputMarker) {
			t.buf = append(t.buf[:0], t.buf[len(t.buf)-t.max:]...)
		}
		t.mu.Unlock()
		if err != nil {
			return
		}
	}
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.buf)
}

// WaitLauncher waits until the program as started exits, or ctx ends. It
// reports the exit and whether it happened.
func (r *Run) WaitLauncher(ctx context.Context) (Exit, bool) {
	if r.exit != nil {
		return *r.exit, true
	}
	for {
		select {
		case line, ok := <-r.status:
			if !ok {
				return Exit{}, false
			}
			var code, sig int
			var atExit string
			if _, err := fmt.Sscanf(line, "exit %d %d %s", &code, &sig, &atExit); err == nil {
				switch {
				case atExit == "absent":
					r.atExitKnown = true
				case strings.HasSuffix(atExit, "."):
					if raw, err := hex.DecodeString(strings.TrimSuffix(atExit, ".")); err == nil {
						r.atExitKnown, r.atExitExists, r.atExitRaw = true, true, raw
					}
				}
				e := Exit{PID: r.Launcher, Code: code}
				if sig != 0 {
					e = Exit{PID: r.Launcher, Signaled: true, Signal: syscall.Signal(sig)}
				}
				r.exit = &e
				// the program's last output is ahead of the shim's marker
				select {
				case <-r.output.marked:
				case <-time.After(time.Second):
				case <-ctx.Done():
				}
				return e, true
			}
		case <-ctx.Done():
			return Exit{}, false
		}
	}
}

// Processes lists the live processes of the session other than the launch
// shells: the launcher while it runs, the daemon and whatever it forked.
func (s *Session) Processes() []int {
	shims := map[int]bool{}
	for _, r := range s.runs {
		shims[r.ShimPID] = true
	}
	var out []int
	for _, pid := range descendants(s.fs, os.Getpid()) {
		if !shims[pid] {
			out = append(out, pid)
		}
	}
	return out
}

// Owns reports whether pid is a live process of this session (a descendant
// of the checker that is not a launch shell).
func (s *Session) Owns(pid int) bool {
	for _, p := range s.Processes() {
		if p == pid {
			return true
		}
	}
	return false
}

// WaitExit waits for a process of the session to end and returns how it
// ended, as seen by its parent: us, once it was orphaned.
func (s *Session) WaitExit(ctx context.Context, id Identity) (Exit, bool) {
	for {
		e, ok, changed := s.reaper.exit(id.PID)
		if ok {
			return e, true
		}
		if !id.Alive(s.fs) {
			// A zombie of ours, or one just reaped: the reaper records its
			// status a moment later. Otherwise it was reaped by someone
			// else (its own parent) and its status is not ours to know.
			select {
			case <-changed:
				continue
			case <-ctx.Done():
			case <-time.After(100 * time.Millisecond):
			}
			if e, ok, _ := s.reaper.exit(id.PID); ok {
				return e, true
			}
			return Exit{PID: id.PID, Code: -1}, true
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return Exit{}, false
		case <-time.After(20 * time.Millisecond):
			// A process whose parent is not us exits without a SIGCHLD
			// for us; look again.
		}
	}
}

// Mark is a position in the session's exit log (see ExitsSince).
func (s *Session) Mark() int { return s.reaper.mark() }

// ExitsSince returns how the processes that were orphaned to the checker
// and ended after the mark ended, launch shells excluded.
func (s *Session) ExitsSince(mark int) []Exit {
	shims := map[int]bool{}
	for _, r := range s.runs {
		shims[r.ShimPID] = true
	}
	var out []Exit
	for _, e := range s.reaper.since(mark) {
		if !shims[e.PID] {
			out = append(out, e)
		}
	}
	return out
}

// KillAll kills and reaps every process of the session (the launch shells
// included) and returns once none is left.
func (s *Session) KillAll() error { return killAll(s.fs, s.reaper, 5*time.Second) }

// Close kills and reaps every process of the session, closes the
// terminals and removes the working directory. It is safe to call twice.
func (s *Session) Close() error {
	if s.closed {
		return nil
	}
	s.closed = true
	err := s.KillAll()
	for _, r := range s.runs {
		r.ptm.Close()
	}
	if s.marker != nil {
		s.marker.Close()
	}
	if rmErr := os.RemoveAll(s.Dir); err == nil {
		err = rmErr
	}
	return err
}

// descendants lists every live process below root, from one scan of /proc.
func descendants(fs procfs.FS, root int) []int {
	pids, err := fs.PIDs()
	if err != nil {
		return nil
	}
	children := map[int][]int{}
	for _, pid := range pids {
		if st, err := fs.Stat(pid); err == nil && !st.IsZombie() {
			children[st.PPID] = append(children[st.PPID], pid)
		}
	}
	var out []int
	queue := []int{root}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		for _, c := range children[p] {
			out = append(out, c)
			queue = append(queue, c)
		}
	}
	return out
}

// killAll SIGKILLs every descendant until none is left (a fork bomb keeps
// producing new ones for a while) and reaps them.
func killAll(fs procfs.FS, r *reaper, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	var scans EmptyScans
	for {
		pids := descendants(fs, os.Getpid())
		if len(pids) == 0 {
			if scans.Empty(r.mark()) {
				return nil
			}
			time.Sleep(2 * time.Millisecond) // the next look
			continue
		}
		scans.Busy()
		for _, pid := range pids {
			if id, err := IdentityOf(fs, pid); err == nil {
				_ = id.Signal(fs, syscall.SIGKILL)
			}
		}
		r.reapAll()
		if time.Now().After(deadline) {
			return fmt.Errorf("%d processes of the run survived SIGKILL for %s", len(descendants(fs, os.Getpid())), limit)
		}
		_, _, changed := r.exit(-1)
		select {
		case <-changed:
		case <-time.After(10 * time.Millisecond):
		}
	}
}

func joinInts(v []int) string {
	parts := make([]string, len(v))
	for i, n := range v {
		parts[i] = strconv.Itoa(n)
	}
	return strings.Join(parts, ",")
}
