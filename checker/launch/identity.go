package launch

import (
	"errors"
	"fmt"
	"os"
	"syscall"

	"github.com/daemonlab/daemonlab/checker/procfs"
	"golang.org/x/sys/unix"
)

// Identity names one process for good: a pid can be reused, a pid with its
// start time cannot.
type Identity struct {
	PID        int
	StartTicks uint64
}

// IdentityOf reads the start time of a live process.
func IdentityOf(fs procfs.FS, pid int) (Identity, error) {
	st, err := fs.Stat(pid)
	if err != nil {
		return Identity{}, err
	}
	if st.IsZombie() {
		return Identity{}, fmt.Errorf("pid %d has exited", pid)
	}
	return Identity{PID: pid, StartTicks: st.StartTicks}, nil
}

// ErrNotSameProcess means the pid now names another process (or none).
var ErrNotSameProcess = errors.New("the process is gone (its pid may have been reused)")

// ErrRefused means the checker will not signal that pid.
var ErrRefused = errors.New("refusing to signal")

// Alive reports whether the identified process still runs (not a zombie).
func (id Identity) Alive(fs procfs.FS) bool {
	st, err := fs.Stat(id.PID)
	return err == nil && st.StartTicks == id.StartTicks && !st.IsZombie()
}

// Signal delivers sig to exactly this process: it opens a pidfd first and
// re-verifies the start time through it, so a recycled pid is never hit.
// It never signals pid 1, pid 0 or the checker itself.
func (id Identity) Signal(fs procfs.FS, sig syscall.Signal) error {
	if id.PID <= 1 || id.PID == os.Getpid() {
		return fmt.Errorf("%w pid %d: not a process of this run", ErrRefused, id.PID)
	}
	pidfd, err := unix.PidfdOpen(id.PID, 0)
	if err != nil {
		if errors.Is(err, unix.ESRCH) {
			return ErrNotSameProcess
		}
		if !errors.Is(err, unix.ENOSYS) {
			return fmt.Errorf("pidfd_open %d: %w", id.PID, err)
		}
		// Kernels before 5.3: verify, then kill; the window is tiny.
		if !id.Alive(fs) {
			return ErrNotSameProcess
		}
		return unix.Kill(id.PID, sig)
	}
	defer unix.Close(pidfd)
	if !id.Alive(fs) {
		return ErrNotSameProcess
	}
	return unix.PidfdSendSignal(pidfd, sig, nil, 0)
}
