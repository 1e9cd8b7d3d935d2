package checker

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/daemonlab/daemonlab/checker/procfs"
	"github.com/shirou/gopsutil/v4/common"
	"github.com/shirou/gopsutil/v4/process"
)

// Snapshot is everything the static checks need about one process, read
// once. Fields that could not be read carry their error instead; checks
// turn a permission error into "unknown", never into "fail".
type Snapshot struct {
	PID     int
	TakenAt time.Time

	Stat    procfs.Stat
	Status  procfs.Status
	Created time.Time // from gopsutil's CreateTime

	Exe     string
	ExeErr  error
	Cmdline []string

	Cwd    string
	CwdErr error
	// Root is /proc/PID/root: "/" unless the process chroot()ed (then the
	// directory it sees as /, as the checker names it).
	Root    string
	RootErr error

	Environ []string
	EnvErr  error
	// EnvRewritten is what /proc/PID/environ holds instead of NAME=VALUE
	// strings when the process wrote over that memory (its process title,
	// as setproctitle does in nginx, sshd and redis); empty when the area
	// reads as an environment. Environ then lists what survived.
	EnvRewritten string

	Tasks    []Task
	TasksErr error

	FDs   []procfs.FD
	FDErr error

	Locks    []procfs.Lock
	LocksErr error

	// Listeners are the listening sockets of the process's network
	// namespace, by inode; read only when the process holds sockets.
	Listeners map[uint64]procfs.Listener
	// UnixStreams are the connected unix stream sockets of the process's
	// network namespace, by inode: what a journal stream is.
	UnixStreams map[uint64]bool
	// UnboundPaths are the held unix sockets, by inode, whose bind-time
	// path (what /proc/net/unix shows) no longer exists in the process's
	// root: bound under a temporary name and renamed (haproxy,
	// supervisord), or unlinked.
	UnboundPaths map[uint64]bool
	// ChildListeners are the listening sockets its children hold when it
	// holds none itself (opensmtpd's privilege-separated children), and
	// ChildHolder says which child: "pid 812 (smtpd)".
	ChildListeners []procfs.Listener
	ChildHolder    string

	// Ancestors runs from the parent up to the root of the pid namespace.
	Ancestors []Relative
	// SessionLeader is the process whose pid is the session id; nil when it
	// has exited (double fork) or the session id is 0.
	SessionLeader *Relative
	// Unit is the systemd unit from /proc/PID/cgroup ("cron.service"), if any.
	Unit string

	PIDFile PIDFile

	// Live holds, for the other processes the checks name (the pid the
	// pid file holds, the takers of locks on its inode), whether each was
	// running when the snapshot was taken. A pid not in it was not.
	Live map[int]bool

	// Self is the checker process: attach mode compares sessions with it.
	SelfPID int
	SelfSID int
}

// Task is one thread's signal state.
type Task struct {
	TID    int
	SigBlk procfs.SigSet
	// State is the thread's state letter (R, S, D...), read from the same
	// status file as SigBlk; 0 when unknown.
	State byte
	// Wchan is the kernel function the thread sleeps in; "" or "0" when
	// it runs or the file cannot be read (another user's process).
	Wchan string
}

// Relative is a process related to the target (parent, session leader).
type Relative struct {
	PID  int
	Comm string
	Stat procfs.Stat
}

// Options tune how a snapshot is taken.
type Options struct {
	Proc procfs.FS
	// PIDFile is the pid file to read; empty means discover it.
	PIDFile string
}

// ErrNoProcess means the pid does not exist.
var ErrNoProcess = errors.New("no such process")

// BadTargetError explains why a pid cannot be judged (zombie, kernel thread).
type BadTargetError struct{ Reason string }

func (e *BadTargetError) Error() string { return e.Reason }

// Take reads one process. It fails only when the process cannot be judged
// at all: it does not exist, is a zombie or a kernel thread.
func Take(ctx context.Context, pid int, opts Options) (*Snapshot, error) {
	fs := opts.Proc
	if fs.Root == "" {
		fs = procfs.New("")
	}
	s := &Snapshot{PID: pid, TakenAt: time.Now(), SelfPID: os.Getpid()}
	var err error
	if s.Stat, err = fs.Stat(pid); err != nil {
		if procfs.IsGone(err) {
			return nil, fmt.Errorf("pid %d: %w", pid, ErrNoProcess)
		}
		return nil, fmt.Errorf("pid %d: %w", pid, err)
	}
	if s.Stat.IsZombie() {
		return nil, &BadTargetError{fmt.Sprintf("pid %d (%s) is a zombie: it has exited and waits for its parent (pid %d) to reap it", pid, s.Stat.Comm, s.Stat.PPID)}
	}
	if s.Stat.IsKernelThread() {
		return nil, &BadTargetError{fmt.Sprintf("pid %d (%s) is a kernel thread, not a program", pid, s.Stat.Comm)}
	}
	if s.Status, err = fs.Status(pid); err != nil {
		if procfs.IsGone(err) {
			return nil, fmt.Errorf("pid %d: %w", pid, ErrNoProcess)
		}
		return nil, fmt.Errorf("pid %d: %w", pid, err)
	}
	if s.Status.Tgid != 0 && s.Status.Tgid != pid {
		// /proc/TID answers for any thread, but a thread is not a process.
		return nil, &BadTargetError{fmt.Sprintf("pid %d is a thread of process %d (%s), not a process: use --pid %d", pid, s.Status.Tgid, s.Stat.Comm, s.Status.Tgid)}
	}
	if self, err := fs.Stat(os.Getpid()); err == nil {
		s.SelfSID = self.Session
	}

	// gopsutil where it has the field.
	gctx := context.WithValue(ctx, common.EnvKey, common.EnvMap{common.HostProcEnvKey: fs.Root})
	gp := &process.Process{Pid: int32(pid)}
	s.Exe, s.ExeErr = gp.ExeWithContext(gctx)
	s.Cmdline, _ = gp.CmdlineSliceWithContext(gctx)
	s.Cwd, s.CwdErr = gp.CwdWithContext(gctx)
	s.Root, s.RootErr = fs.Readlink(pid, "root")
	if raw, err := fs.ReadFile(pid, "environ"); err != nil {
		s.EnvErr = err
	} else {
		s.Environ, s.EnvRewritten = ParseEnviron(raw)
	}
	if ms, err := gp.CreateTimeWithContext(gctx); err == nil {
		s.Created = time.UnixMilli(ms)
	}

	s.Tasks, s.TasksErr = readTasks(fs, pid)
	s.FDs, s.FDErr = fs.FDs(pid)
	s.Locks, s.LocksErr = fs.Locks()
	for _, fd := range s.FDs {
		if fd.IsSocket() {
			s.Listeners, _ = fs.Listeners(pid)
			s.UnixStreams, _ = fs.UnixStreams(pid)
			break
		}
	}
	s.UnboundPaths = unboundPaths(fs, s)
	if len(s.HeldListeners()) == 0 {
		childListeners(fs, s)
	}
	s.Ancestors = readAncestors(fs, s.Stat.PPID)
	if sid := s.Stat.Session; sid > 0 && sid != pid {
		// A recycled pid is not the leader: a real leader's session is its pid.
		if st, err := fs.Stat(sid); err == nil && !st.IsZombie() && st.Session == sid {
			s.SessionLeader = &Relative{PID: sid, Comm: st.Comm, Stat: st}
		}
	}
	if data, err := fs.ReadFile(pid, "cgroup"); err == nil {
		s.Unit = UnitFromCgroup(string(data))
	}
	s.PIDFile = readPIDFile(fs, opts.PIDFile, s)
	s.Live = liveness(fs, s)
	return s, nil
}

// ParseEnviron splits the content of /proc/PID/environ into its NAME=VALUE
// strings. The file shows the memory the environment was copied to at
// exec, whatever the process did with it since: a program that sets its
// process title (setproctitle: nginx, sshd, redis, postgres) moves its
// environment away and writes the title over that memory, so the file
// holds the end of the title, NUL bytes or blanks. Anything that is not a
// NAME=VALUE string (a gap, a name with blanks in it) is returned as
// rewritten, shortened, and only the strings that read as variables are
// listed.
func ParseEnviron(raw []byte) (vars []string, rewritten string) {
	text := strings.TrimSuffix(string(raw), "\x00")
	if text == "" {
		return nil, ""
	}
	var odd []string
	for _, kv := range strings.Split(text, "\x00") {
		name, _, ok := strings.Cut(kv, "=")
		if ok && name != "" && !strings.ContainsAny(name, " \t\n") {
			vars = append(vars, kv)
			continue
		}
		if t := strings.TrimSpace(kv); t != "" {
			odd = append(odd, t)
		} else if len(odd) == 0 || odd[len(odd)-1] != "" {
			odd = append(odd, "") // a run of NUL bytes or blanks
		}
	}
	if len(odd) == 0 {
		return vars, ""
	}
	rewritten = strings.TrimSpace(strings.Join(odd, " "))
	if rewritten == "" {
		rewritten = "only NUL bytes and blanks"
	} else {
		rewritten = fmt.Sprintf("%q, the end of its title", truncateString(rewritten, 48))
	}
	return vars, rewritten
}

func readTasks(fs procfs.FS, pid int) ([]Task, error) {
	tids, err := fs.Tasks(pid)
	if err != nil {
		return nil, err
	}
	out := make([]Task, 0, len(tids))
	for _, tid := range tids {
		st, err := fs.TaskStatus(pid, tid)
		if err != nil {
			if procfs.IsGone(err) {
				continue // the thread exited while we read
			}
			return nil, err
		}
		wchan, _ := fs.TaskWchan(pid, tid)
		out = append(out, Task{TID: tid, SigBlk: st.SigBlk, State: st.State, Wchan: wchan})
	}
	return out, nil
}

// maxAncestors bounds the walk up the tree; real trees are a few deep.
const maxAncestors = 64

func readAncestors(fs procfs.FS, ppid int) []Relative {
	var out []Relative
	for pid := ppid; pid > 0 && len(out) < maxAncestors; {
		st, err := fs.Stat(pid)
		if err != nil {
			break
		}
		out = append(out, Relative{PID: pid, Comm: st.Comm, Stat: st})
		pid = st.PPID
	}
	return out
}

// Running reports whether pid names a running (not zombie) process.
func Running(fs procfs.FS, pid int) bool {
	st, err := fs.Stat(pid)
	return err == nil && !st.IsZombie()
}

// liveness reads whether the other processes the checks name run: the
// pid the pid file holds and the takers of locks on its inode.
func liveness(fs procfs.FS, s *Snapshot) map[int]bool {
	live := map[int]bool{}
	look := func(pid int) {
		if _, done := live[pid]; !done && pid > 0 {
			live[pid] = Running(fs, pid)
		}
	}
	look(s.PIDFile.PID)
	if s.PIDFile.Ino == 0 {
		return live
	}
	locks := s.Locks
	for _, fd := range s.FDs {
		locks = append(locks[:len(locks):len(locks)], fd.Info.Locks...)
	}
	for _, l := range locks {
		if l.Inode == s.PIDFile.Ino {
			look(l.PID)
		}
	}
	return live
}

// alive reports whether pid was running when the snapshot was taken (see
// Live).
func (s *Snapshot) alive(pid int) bool { return s.Live[pid] }

// chrooted reports whether the process runs in a chroot: its root
// directory, read from /proc/PID/root, is not the checker's /.
func (s *Snapshot) chrooted() bool {
	return s.RootErr == nil && s.Root != "" && s.Root != "/"
}

// Parent returns the parent, if it could be read.
func (s *Snapshot) Parent() *Relative {
	if len(s.Ancestors) == 0 {
		return nil
	}
	return &s.Ancestors[0]
}

// UnderSystemd reports whether systemd runs the process as a service.
func (s *Snapshot) UnderSystemd() bool { return strings.HasSuffix(s.Unit, ".service") }

// unboundPaths finds the held unix sockets whose path is gone, looked up
// in the process's own root (/proc/PID/root/PATH: a chroot, another mount
// namespace) and, for a chrooted process, in ours too: the path is the one
// bind() was given, relative to the binder's root, and a daemon may bind
// before it chroots, or get the socket from systemd (avahi-daemon). A
// relative path (relative to the binder's working directory then) says
// nothing. Nothing is looked up when the process's root cannot be read.
func unboundPaths(fs procfs.FS, s *Snapshot) map[uint64]bool {
	if s.RootErr != nil {
		return nil
	}
	missing := func(path string) bool {
		_, err := os.Lstat(path)
		return errors.Is(err, os.ErrNotExist)
	}
	var gone map[uint64]bool
	for _, l := range s.HeldListeners() {
		if l.Proto != "unix" || l.Path == "" || l.Abstract() || !filepath.IsAbs(l.Path) {
			continue
		}
		if missing(filepath.Join(fs.Path(s.PID, "root"), l.Path)) && (!s.chrooted() || missing(l.Path)) {
			if gone == nil {
				gone = map[uint64]bool{}
			}
			gone[l.Inode] = true
		}
	}
	return gone
}

// maxChildren bounds the children looked at for listeners.
const maxChildren = 32

// childListeners fills ChildListeners from the first child that holds
// listening sockets: the process's own network namespace's table.
func childListeners(fs procfs.FS, s *Snapshot) {
	tids := make([]int, 0, len(s.Tasks))
	for _, t := range s.Tasks {
		tids = append(tids, t.TID)
	}
	children := fs.Children(s.PID, tids)
	for _, c := range children[:min(len(children), maxChildren)] {
		inos, err := fs.SocketInodes(c)
		if err != nil || len(inos) == 0 {
			continue
		}
		if s.Listeners == nil {
			s.Listeners, _ = fs.Listeners(s.PID)
		}
		var held []procfs.Listener
		for _, ino := range inos {
			if l, ok := s.Listeners[ino]; ok && !slices.ContainsFunc(held, func(h procfs.Listener) bool { return h.Inode == ino }) {
				held = append(held, l)
			}
		}
		if len(held) > 0 {
			st, _ := fs.Stat(c)
			s.ChildListeners, s.ChildHolder = held, fmt.Sprintf("pid %d (%s)", c, st.Comm)
			return
		}
	}
}

// HeldListeners lists the listening sockets the process holds open.
func (s *Snapshot) HeldListeners() []procfs.Listener {
	var out []procfs.Listener
	seen := map[uint64]bool{}
	for _, fd := range s.FDs {
		if l, ok := s.Listeners[fd.Ino]; ok && fd.IsSocket() && !seen[fd.Ino] {
			seen[fd.Ino] = true
			out = append(out, l)
		}
	}
	return out
}
