package launch

import (
	"errors"
	"os"
	"os/signal"
	"strconv"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"
)

// Exit is how a process ended, as its parent (or we, as subreaper) saw it.
type Exit struct {
	PID    int
	Code   int            // exit status when !Signaled
	Signal syscall.Signal // the killing signal when Signaled
	// Signaled is true when a signal killed it.
	Signaled bool
}

// Success reports a plain exit(0).
func (e Exit) Success() bool { return !e.Signaled && e.Code == 0 }

func (e Exit) String() string {
	if e.Signaled {
		return "killed by " + unix.SignalName(e.Signal)
	}
	return "exit status " + strconv.Itoa(e.Code)
}

func exitFrom(pid int, ws unix.WaitStatus) Exit {
	if ws.Signaled() {
		return Exit{PID: pid, Signaled: true, Signal: ws.Signal()}
	}
	return Exit{PID: pid, Code: ws.ExitStatus()}
}

// reaper makes the checker a child subreaper and reaps every child as
// SIGCHLD arrives, recording exit statuses: orphans of the run are adopted
// by us, so we see how the daemon itself ends.
type reaper struct {
	mu    sync.Mutex
	exits map[int]Exit
	// log keeps every reaped exit in order, so a probe can see processes
	// that came and went between two looks.
	log     []Exit
	changed chan struct{} // closed and replaced on every reap
	sigs    chan os.Signal
	done    chan struct{}
}

var (
	theReaper     *reaper
	theReaperOnce sync.Once
	errReaper     error
)

// getReaper starts the process-wide reaper once.
func getReaper() (*reaper, error) {
	theReaperOnce.Do(func() {
		if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
			errReaper = err
			return
		}
		r := &reaper{exits: map[int]Exit{}, changed: make(chan struct{}), sigs: make(chan os.Signal, 16), done: make(chan struct{})}
		signal.Notify(r.sigs, syscall.SIGCHLD)
		go r.loop()
		theReaper = r
	})
	return theReaper, errReaper
}

func (r *reaper) loop() {
	for range r.sigs {
		r.reapAll()
	}
}

// reapAll collects every child that has exited.
func (r *reaper) reapAll() {
	for {
		var ws unix.WaitStatus
		pid, err := unix.Wait4(-1, &ws, unix.WNOHANG, nil)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil || pid <= 0 {
			return
		}
		if !ws.Exited() && !ws.Signaled() {
			continue
		}
		r.mu.Lock()
		e := exitFrom(pid, ws)
		r.exits[pid] = e
		r.log = append(r.log, e)
		close(r.changed)
		r.changed = make(chan struct{})
		r.mu.Unlock()
	}
}

// exit returns the recorded exit of pid and a channel closed at the next
// reap, to wait on.
func (r *reaper) exit(pid int) (Exit, bool, <-chan struct{}) {
	r.reapAll()
	r.mu.Lock()
	defer r.mu.Unlock()
	e, ok := r.exits[pid]
	return e, ok, r.changed
}

// mark returns the current position in the exit log.
func (r *reaper) mark() int {
	r.reapAll()
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.log)
}

// since returns the exits reaped after a mark.
func (r *reaper) since(mark int) []Exit {
	r.reapAll()
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Exit(nil), r.log[mark:]...)
}
