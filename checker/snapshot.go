package checker

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/daemonlab/daemonlab/checker/procfs"
	"github.com/shirou/gopsutil/v4/common"
	"github.com/shirou/gopsutil/v4/process"
	"golang.org/x/sys/unix"
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

	Environ []string
	EnvErr  error

	Tasks    []Task
	TasksErr error

	FDs   []procfs.FD
	FDErr error

	Locks    []procfs.Lock
	LocksErr error

	// Listeners are the listening sockets of the process's network
	// namespace, by inode; read only when the process holds sockets.
	Listeners map[uint64]procfs.Listener

	// Ancestors runs from the parent up to the root of the pid namespace.
	Ancestors []Relative
	// SessionLeader is the process whose pid is the session id; nil when it
	// has exited (double fork) or the session id is 0.
	SessionLeader *Relative
	// Unit is the systemd unit from /proc/PID/cgroup ("cron.service"), if any.
	Unit string

	PIDFile PIDFile

	proc procfs.FS

	// Self is the checker process: attach mode compares sessions with it.
	SelfPID int
	SelfSID int
}

// Task is one thread's signal state.
type Task struct {
	TID    int
	SigBlk procfs.SigSet
	Wchan  string
}

// Relative is a process related to the target (parent, session leader).
type Relative struct {
	PID  int
	Comm string
	Stat procfs.Stat
}

// PIDFile is the pid file as read during the snapshot.
type PIDFile struct {
	Path string
	// How says how the path was chosen: "given", or how it was discovered.
	How    string
	Exists bool
	Err    error // reading failed for another reason than not existing
	Raw    []byte
	PID    int // 0 when Raw does not parse
	Mode   os.FileMode
	Uid    uint32
	Dev    uint64
	Ino    uint64
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
	s := &Snapshot{PID: pid, TakenAt: time.Now(), SelfPID: os.Getpid(), proc: fs}
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
	if env, err := gp.EnvironWithContext(gctx); err != nil {
		s.EnvErr = err
	} else {
		s.Environ = trimEmpty(env)
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
			break
		}
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
	return s, nil
}

func trimEmpty(list []string) []string {
	out := list[:0]
	for _, v := range list {
		if v != "" {
			out = append(out, v)
		}
	}
	return out
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
		out = append(out, Task{TID: tid, SigBlk: st.SigBlk, Wchan: wchan})
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

// alive reports whether pid names a running (not zombie) process.
func (s *Snapshot) alive(pid int) bool {
	st, err := s.proc.Stat(pid)
	return err == nil && !st.IsZombie()
}

// Parent returns the parent, if it could be read.
func (s *Snapshot) Parent() *Relative {
	if len(s.Ancestors) == 0 {
		return nil
	}
	return &s.Ancestors[0]
}

// UnitFromCgroup extracts the systemd unit a process runs in from the
// content of /proc/PID/cgroup, on cgroup v2 ("0::/system.slice/x.service")
// and v1 ("1:name=systemd:/system.slice/x.service").
func UnitFromCgroup(content string) string {
	var path string
	for _, line := range strings.Split(content, "\n") {
		parts := strings.SplitN(line, ":", 3)
		if len(parts) != 3 {
			continue
		}
		if parts[0] == "0" && parts[1] == "" || parts[1] == "name=systemd" {
			path = parts[2]
			if parts[1] == "name=systemd" {
				break
			}
		}
	}
	for _, elem := range reverse(strings.Split(path, "/")) {
		for _, suffix := range []string{".service", ".scope", ".socket"} {
			if strings.HasSuffix(elem, suffix) {
				return elem
			}
		}
	}
	return ""
}

func reverse(list []string) []string {
	out := make([]string, len(list))
	for i, v := range list {
		out[len(list)-1-i] = v
	}
	return out
}

// UnderSystemd reports whether systemd runs the process as a service.
func (s *Snapshot) UnderSystemd() bool { return strings.HasSuffix(s.Unit, ".service") }

// ParsePID reads a pid file's content leniently: surrounding white space
// and NUL bytes are ignored and only the first word counts.
func ParsePID(raw []byte) (int, error) {
	text := strings.TrimSpace(strings.ReplaceAll(string(raw), "\x00", " "))
	if text == "" {
		return 0, errors.New("the pid file is empty")
	}
	first := strings.Fields(text)[0]
	pid, err := strconv.Atoi(first)
	if err != nil || pid <= 0 {
		return 0, fmt.Errorf("the pid file holds %q, not a pid", truncateString(first, 32))
	}
	return pid, nil
}

func truncateString(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

// readPIDFile reads the given pid file or discovers one: an open descriptor
// of the process named *.pid, then the usual places under /run.
func readPIDFile(fs procfs.FS, given string, s *Snapshot) PIDFile {
	if given != "" {
		return statPIDFile(given, "given")
	}
	for _, fd := range s.FDs {
		if fd.IsRegular() && strings.HasSuffix(fd.Target, ".pid") {
			return statPIDFile(fd.Target, fmt.Sprintf("held open on fd %d", fd.Num))
		}
	}
	names := []string{s.Stat.Comm}
	if s.Exe != "" {
		if base := filepath.Base(strings.TrimSuffix(s.Exe, " (deleted)")); base != s.Stat.Comm {
			names = append(names, base)
		}
	}
	// A candidate naming another live process belongs to someone else (a
	// master process, a namesake); one naming a dead pid is this daemon's
	// stale or wrong pid file and is worth reporting.
	var stale PIDFile
	for _, dir := range []string{"/run", "/var/run"} {
		for _, name := range names {
			for _, cand := range []string{
				filepath.Join(dir, name+".pid"),
				filepath.Join(dir, name, name+".pid"),
				filepath.Join(dir, name, "pid"),
			} {
				pf := statPIDFile(cand, "found at "+cand)
				switch {
				case !pf.Exists:
				case pf.PID == s.PID:
					return pf
				case stale.Path == "" && (pf.PID == 0 || !s.alive(pf.PID)):
					stale = pf
				}
			}
		}
	}
	return stale
}

func statPIDFile(path, how string) PIDFile {
	pf := PIDFile{Path: path, How: how}
	raw, err := os.ReadFile(path)
	if err != nil {
		if !errors.Is(err, os.ErrNotExist) {
			pf.Exists, pf.Err = true, err
			// an unreadable file can still be stat'ed: its inode finds
			// its lock in /proc/locks
			var st unix.Stat_t
			if unix.Stat(path, &st) == nil {
				pf.Mode, pf.Uid, pf.Dev, pf.Ino = os.FileMode(st.Mode&0777), st.Uid, st.Dev, st.Ino
			}
		}
		return pf
	}
	pf.Exists, pf.Raw = true, raw
	pf.PID, _ = ParsePID(raw)
	var st unix.Stat_t
	if unix.Stat(path, &st) == nil {
		pf.Mode = os.FileMode(st.Mode & 0777)
		if st.Mode&unix.S_IFMT != unix.S_IFREG {
			pf.Mode |= os.ModeIrregular
		}
		pf.Uid, pf.Dev, pf.Ino = st.Uid, st.Dev, st.Ino
	}
	return pf
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
