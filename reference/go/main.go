// Command refdaemon-go is the reference daemon in Go for daemonlab.
//
//	refdaemon-go -p PIDFILE [-c CONFIG] [-s STATEFILE] [-u USER] [-n NAME]
//
// Go cannot fork, so the process the user starts (the launcher) re-executes
// its own binary as the daemon, in a new session, with a clean environment,
// working directory /, stdio on /dev/null, an empty signal mask and default
// dispositions, and only the write end of a readiness pipe as fd 3. It then
// waits until the daemon reports "ok" (pid file written and locked, signal
// handlers installed) and exits 0, or prints the daemon's error and exits 1.
// The daemon is a session leader (a single "fork"), with no controlling
// terminal.
//
// Broken variants are the same source built with
// -ldflags "-X main.breakMode=<mode>", mode one of lock, sighup, sigterm,
// leftover, ready (see ../README.md).
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/syslog"
	"os"
	"os/exec"
	"os/signal"
	"os/user"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"
	"unsafe"
)

// breakMode selects a broken variant at build time; empty is the reference.
var breakMode string

const minimalPath = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// childFlag marks the re-executed copy; it is never given by users.
const childFlag = "-daemon-child"

// readyFD is where the launcher puts the readiness pipe (ExtraFiles[0]).
const readyFD = 3

type options struct {
	pidfile, config, state, user, name string
}

func main() {
	args := os.Args[1:]
	child := len(args) > 0 && args[0] == childFlag
	if child {
		args = args[1:]
	}
	fs := flag.NewFlagSet("refdaemon-go", flag.ContinueOnError)
	var o options
	fs.StringVar(&o.pidfile, "p", "/run/refdaemon-go.pid", "pid file")
	fs.StringVar(&o.config, "c", "", "configuration file")
	fs.StringVar(&o.state, "s", "", "state file (reload counter and config)")
	fs.StringVar(&o.user, "u", "", "run as this user")
	fs.StringVar(&o.name, "n", "refdaemon-go", "syslog identifier")
	if err := fs.Parse(args); err != nil {
		os.Exit(2)
	}
	if fs.NArg() != 0 || o.pidfile == "" {
		fs.Usage()
		os.Exit(2)
	}
	if child {
		runDaemon(o)
		return
	}
	if err := launch(o); err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", o.name, err)
		os.Exit(1)
	}
}

// launch runs in the process the user started.
func launch(o options) error {
	var err error
	for _, p := range []*string{&o.pidfile, &o.config, &o.state} {
		if *p != "" {
			if *p, err = filepath.Abs(*p); err != nil {
				return err
			}
		}
	}
	if o.config != "" {
		if err := syscall.Access(o.config, rOK); err != nil {
			return fmt.Errorf("config %s: %w", o.config, err)
		}
	}
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	devnull, err := os.OpenFile("/dev/null", os.O_RDWR, 0)
	if err != nil {
		return err
	}
	argv := []string{os.Args[0], childFlag, "-p", o.pidfile, "-n", o.name}
	if o.config != "" {
		argv = append(argv, "-c", o.config)
	}
	if o.state != "" {
		argv = append(argv, "-s", o.state)
	}
	cmd := &exec.Cmd{
		Path:        exe, // not /proc/self/exe: the kernel would name the process "exe"
		Args:        argv,
		Env:         []string{minimalPath},
		Dir:         "/",
		Stdin:       devnull,
		Stdout:      devnull,
		Stderr:      devnull,
		SysProcAttr: &syscall.SysProcAttr{Setsid: true},
	}
	if o.user != "" {
		cred, err := credential(o.user)
		if err != nil {
			return err
		}
		cmd.SysProcAttr.Credential = cred
	}
	var r, w *os.File
	if breakMode == "ready" {
		if pid, locked := lockedBy(o.pidfile); locked {
			return fmt.Errorf("already running (pid %d)", pid)
		}
	} else {
		if r, w, err = os.Pipe(); err != nil {
			return err
		}
		cmd.ExtraFiles = []*os.File{w}
	}

	// os/exec passes every descriptor that lacks close-on-exec, not only
	// ExtraFiles: mark all inherited ones close-on-exec first.
	if err := cloexecFrom(3); err != nil {
		return fmt.Errorf("close-on-exec: %w", err)
	}
	// A signal ignored when we were started stays ignored across exec unless
	// the runtime handles it: SIGHUP and SIGINT are the two the Go runtime
	// leaves ignored, so take them over; the child then gets SIG_DFL.
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGHUP, syscall.SIGINT)
	// The child starts with the signal mask of the thread that forks it.
	runtime.LockOSThread()
	if err := emptySigmask(); err != nil {
		return fmt.Errorf("sigmask: %w", err)
	}
	if err := cmd.Start(); err != nil {
		return err
	}
	_ = cmd.Process.Release()
	if breakMode == "ready" {
		return nil // broken: does not wait for readiness
	}
	w.Close()
	msg, _ := io.ReadAll(r)
	switch {
	case string(msg) == "ok":
		return nil
	case len(msg) == 0:
		return errors.New("daemon exited before it was ready")
	default:
		return errors.New(string(msg))
	}
}

// credential resolves a user name to uid, gid and supplementary groups.
func credential(name string) (*syscall.Credential, error) {
	u, err := user.Lookup(name)
	if err != nil {
		return nil, err
	}
	uid, err1 := strconv.ParseUint(u.Uid, 10, 32)
	gid, err2 := strconv.ParseUint(u.Gid, 10, 32)
	if err1 != nil || err2 != nil {
		return nil, fmt.Errorf("user %s: bad uid/gid", name)
	}
	cred := &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
	gids, err := u.GroupIds()
	if err != nil {
		return nil, fmt.Errorf("groups of %s: %w", name, err)
	}
	for _, g := range gids {
		n, err := strconv.ParseUint(g, 10, 32)
		if err != nil {
			return nil, fmt.Errorf("groups of %s: %w", name, err)
		}
		cred.Groups = append(cred.Groups, uint32(n))
	}
	return cred, nil
}

// cloexecFrom sets close-on-exec on every descriptor >= first.
func cloexecFrom(first int) error {
	if err := closeRangeCloexec(first); err == nil {
		return nil
	}
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return err
	}
	for _, e := range ents {
		fd, err := strconv.Atoi(e.Name())
		if err != nil || fd < first {
			continue
		}
		_, _, _ = syscall.Syscall(syscall.SYS_FCNTL, uintptr(fd), syscall.F_SETFD, syscall.FD_CLOEXEC)
	}
	return nil
}

// lockedBy reports whether someone holds a lock on the pid file, and who.
func lockedBy(pidfile string) (int, bool) {
	f, err := os.Open(pidfile)
	if err != nil {
		return 0, false
	}
	defer f.Close()
	lk := syscall.Flock_t{Type: syscall.F_WRLCK, Whence: io.SeekStart}
	if err := syscall.FcntlFlock(f.Fd(), syscall.F_GETLK, &lk); err != nil || lk.Type == syscall.F_UNLCK {
		return 0, false
	}
	return holderPid(f, int(lk.Pid)), true
}

func holderPid(f *os.File, lockPid int) int {
	buf := make([]byte, 32)
	n, _ := f.ReadAt(buf, 0)
	if pid, err := strconv.Atoi(strings.TrimSpace(string(buf[:n]))); err == nil && pid > 0 {
		return pid
	}
	return lockPid
}

// daemon is the state of the re-executed copy.
type daemon struct {
	o       options
	ready   int // readiness pipe fd, -1 once used
	pidf    *os.File
	owned   bool // the pid file is ours: remove it on failure
	cfg     []byte
	reloads int
	log     *syslog.Writer
}

func runDaemon(o options) {
	syscall.Umask(0)
	d := &daemon{o: o, ready: -1}
	// fd 3 is the readiness pipe, except in the "ready" variant, which has
	// none (and the runtime may then have opened something else there).
	var st syscall.Stat_t
	if breakMode != "ready" && syscall.Fstat(readyFD, &st) == nil && st.Mode&syscall.S_IFMT == syscall.S_IFIFO {
		d.ready = readyFD
		syscall.CloseOnExec(readyFD)
	}

	sigs := make(chan os.Signal, 4)
	if breakMode != "sighup" {
		signal.Notify(sigs, syscall.SIGHUP)
	}
	if breakMode == "sigterm" {
		// caught but never acted on: only the behaviour shows the bug
		signal.Notify(make(chan os.Signal, 1), syscall.SIGTERM)
		signal.Notify(sigs, syscall.SIGINT)
	} else {
		signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT)
	}

	if breakMode == "ready" {
		time.Sleep(300 * time.Millisecond) // widen the race the launcher ignores
	}
	if err := d.openPidfile(); err != nil {
		d.fail(err)
	}
	if o.config != "" {
		cfg, err := os.ReadFile(o.config)
		if err != nil {
			d.fail(fmt.Errorf("config %s: %w", o.config, err))
		}
		d.cfg = cfg
	}
	if err := d.writeState(); err != nil {
		d.fail(err)
	}
	if d.ready >= 0 {
		if _, err := syscall.Write(d.ready, []byte("ok")); err != nil {
			d.fail(fmt.Errorf("readiness pipe: %w", err))
		}
		syscall.Close(d.ready)
		d.ready = -1
	}

	for sig := range sigs {
		switch sig {
		case syscall.SIGHUP:
			d.reload()
		case syscall.SIGTERM, syscall.SIGINT:
			d.logf(syslog.LOG_INFO, "stopping")
			if breakMode != "leftover" {
				os.Remove(d.o.pidfile)
			}
			d.pidf.Close()
			os.Exit(0)
		}
	}
}

func (d *daemon) openPidfile() error {
	f, err := os.OpenFile(d.o.pidfile, os.O_RDWR|os.O_CREATE|syscall.O_CLOEXEC, 0o644)
	if err != nil {
		return err
	}
	if breakMode != "lock" {
		lk := syscall.Flock_t{Type: syscall.F_WRLCK, Whence: io.SeekStart}
		if err := syscall.FcntlFlock(f.Fd(), syscall.F_SETLK, &lk); err != nil {
			if errors.Is(err, syscall.EAGAIN) || errors.Is(err, syscall.EACCES) {
				gl := syscall.Flock_t{Type: syscall.F_WRLCK, Whence: io.SeekStart}
				_ = syscall.FcntlFlock(f.Fd(), syscall.F_GETLK, &gl)
				return fmt.Errorf("already running (pid %d)", holderPid(f, int(gl.Pid)))
			}
			return fmt.Errorf("lock %s: %w", d.o.pidfile, err)
		}
	}
	d.pidf, d.owned = f, true
	if err := f.Chmod(0o644); err != nil {
		return err
	}
	if err := f.Truncate(0); err != nil {
		return err
	}
	if _, err := f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0); err != nil {
		return err
	}
	return nil
}

// writeState writes "reloads=N\n" and the config, atomically.
func (d *daemon) writeState() error {
	if d.o.state == "" {
		return nil
	}
	tmp := fmt.Sprintf("%s.tmp.%d", d.o.state, os.Getpid())
	data := append([]byte(fmt.Sprintf("reloads=%d\n", d.reloads)), d.cfg...)
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("state %s: %w", d.o.state, err)
	}
	if err := os.Rename(tmp, d.o.state); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("state %s: %w", d.o.state, err)
	}
	return nil
}

func (d *daemon) reload() {
	if d.o.config != "" {
		cfg, err := os.ReadFile(d.o.config)
		if err != nil {
			d.logf(syslog.LOG_ERR, "reload: %v; keeping the old config", err)
			return
		}
		d.cfg = cfg
	}
	d.reloads++
	if err := d.writeState(); err != nil {
		d.logf(syslog.LOG_ERR, "reload: %v", err)
	}
	d.logf(syslog.LOG_INFO, "reloaded")
}

// logf sends to syslog, connecting on first use (no socket until needed).
func (d *daemon) logf(prio syslog.Priority, format string, args ...any) {
	if d.log == nil {
		w, err := syslog.New(syslog.LOG_DAEMON|syslog.LOG_INFO, d.o.name)
		if err != nil {
			return
		}
		d.log = w
	}
	msg := fmt.Sprintf(format, args...)
	if prio == syslog.LOG_ERR {
		_ = d.log.Err(msg)
	} else {
		_ = d.log.Info(msg)
	}
}

// fail reports an error before readiness and exits 1.
func (d *daemon) fail(err error) {
	if d.owned {
		os.Remove(d.o.pidfile)
	}
	if d.ready >= 0 {
		_, _ = syscall.Write(d.ready, []byte(err.Error()))
	} else {
		d.logf(syslog.LOG_ERR, "%v", err)
	}
	os.Exit(1)
}

// The few system calls below are not in package syscall; the reference
// uses the standard library only, so it builds as a submission offline.

// rOK is access(2)'s R_OK.
const rOK = 4

// emptySigmask empties the calling thread's signal mask (rt_sigprocmask).
func emptySigmask() error {
	var empty uint64
	const sigSetmask = 2
	if _, _, e := syscall.RawSyscall6(syscall.SYS_RT_SIGPROCMASK, sigSetmask, uintptr(unsafe.Pointer(&empty)), 0, 8, 0, 0); e != 0 {
		return e
	}
	return nil
}

// closeRangeCloexec marks every descriptor from first up close-on-exec
// (close_range(2) with CLOSE_RANGE_CLOEXEC, Linux 5.11; the same number on
// every architecture).
func closeRangeCloexec(first int) error {
	const sysCloseRange, closeRangeCloexec = 436, 4
	if _, _, e := syscall.Syscall(sysCloseRange, uintptr(first), ^uintptr(0), closeRangeCloexec); e != 0 {
		return e
	}
	return nil
}
