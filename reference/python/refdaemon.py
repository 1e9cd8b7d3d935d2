#!/usr/bin/env python3
"""refdaemon.py - the textbook SysV daemon in Python (standard library only).

    refdaemon.py -p PIDFILE [-c CONFIG] [-s STATEFILE] [-u USER] [-n NAME]

The same steps as reference/c/daemon.c: clean re-exec, close inherited
descriptors, reset the signal mask and dispositions, double fork around
setsid(), umask(0), chdir("/"), a locked pid file, stdio on /dev/null,
optional privilege drop, then "ok" to the waiting launcher through a pipe.

Signals are taken synchronously: SIGHUP and SIGTERM stay blocked and the
main loop waits for them with sigwaitinfo() (no handler, no race). In /proc
that shows as SigBlk = HUP|TERM with the thread sleeping in do_sigtimedwait.

Broken variants are the wrappers broken-py-<mode>.py, which call
main(break_mode=<mode>); modes: lock, sighup, hupexit, sigterm, leftover, ready.
Only modules present in python3-minimal are used.
"""

import errno
import fcntl
import getopt
import os
import pwd
import signal
import sys
import syslog
import time

MIN_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
MODES = ("", "lock", "sighup", "hupexit", "sigterm", "leftover", "ready")
USAGE = "usage: %s -p PIDFILE [-c CONFIG] [-s STATEFILE] [-u USER] [-n NAME]"


class Fatal(Exception):
    """An error to report to the launcher (exit status 1)."""


class Daemon:
    def __init__(self, opts, break_mode):
        self.pidfile = opts.get("-p", "/run/refdaemon-py.pid")
        self.config = opts.get("-c")
        self.state = opts.get("-s")
        self.user = opts.get("-u")
        self.ident = opts.get("-n", "refdaemon-py")
        self.brk = break_mode
        self.ready_fd = -1     # write end of the readiness pipe (daemon side)
        self.pid_fd = -1
        self.owned = False     # pid file is ours: remove it if we fail
        self.cfg = b""
        self.reloads = 0

    # -- reporting ---------------------------------------------------------

    def fail(self, msg):
        """Fatal error in the daemon before or after readiness."""
        if self.owned:
            try:
                os.unlink(self.pidfile)
            except OSError:
                pass
        if self.ready_fd >= 0:
            try:
                os.write(self.ready_fd, msg.encode(errors="replace"))
            except OSError:
                pass
        else:
            syslog.syslog(syslog.LOG_ERR, msg)
        os._exit(1)

    # -- the steps ---------------------------------------------------------

    def pid_file(self):
        mode = 0o644
        try:
            fd = os.open(self.pidfile, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, mode)
        except OSError as e:
            raise Fatal("open %s: %s" % (self.pidfile, e.strerror))
        if self.brk != "lock":
            try:
                fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # POSIX fcntl lock
            except OSError as e:
                if e.errno in (errno.EAGAIN, errno.EACCES):
                    raise Fatal("already running (pid %s)" % holder_pid(fd))
                raise Fatal("lock %s: %s" % (self.pidfile, e.strerror))
        self.pid_fd, self.owned = fd, True
        try:
            os.fchmod(fd, mode)  # O_CREAT's mode only applies to a new file
            os.ftruncate(fd, 0)
            os.pwrite(fd, b"%d\n" % os.getpid(), 0)
        except OSError as e:
            raise Fatal("write %s: %s" % (self.pidfile, e.strerror))

    def load_config(self):
        if self.config is None:
            return
        try:
            with open(self.config, "rb") as f:
                self.cfg = f.read()
        except OSError as e:
            raise Fatal("config %s: %s" % (self.config, e.strerror))

    def write_state(self):
        """reloads=N and the config, written to a temp file and renamed."""
        if self.state is None:
            return
        tmp = "%s.tmp.%d" % (self.state, os.getpid())
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o644)
            try:
                os.write(fd, b"reloads=%d\n" % self.reloads + self.cfg)
            finally:
                os.close(fd)
            os.rename(tmp, self.state)
        except OSError as e:
            try:
                os.unlink(tmp)
            except OSError:
                pass
            raise Fatal("state %s: %s" % (self.state, e.strerror))

    def run(self):
        """Steps 6 to 12, in the grandchild."""
        os.umask(0)
        os.chdir("/")
        if self.brk == "ready":
            time.sleep(0.3)  # widen the race the launcher does not wait for
        self.pid_file()

        null = os.open("/dev/null", os.O_RDWR)
        for i in (0, 1, 2):
            if null != i:
                os.dup2(null, i)
        if null > 2:
            os.close(null)

        if self.user is not None:
            pw = pwd.getpwnam(self.user)
            os.fchown(self.pid_fd, pw.pw_uid, pw.pw_gid)
            os.initgroups(pw.pw_name, pw.pw_gid)
            os.setgid(pw.pw_gid)
            os.setuid(pw.pw_uid)

        syslog.openlog(self.ident, syslog.LOG_PID, syslog.LOG_DAEMON)
        wanted = {signal.SIGTERM}
        if self.brk != "sighup":
            wanted.add(signal.SIGHUP)   # broken "sighup": default action kills
        signal.pthread_sigmask(signal.SIG_BLOCK, wanted)
        self.load_config()
        self.write_state()

        if self.ready_fd >= 0:
            os.write(self.ready_fd, b"ok")
            os.close(self.ready_fd)
            self.ready_fd = -1

        while True:
            sig = signal.sigwaitinfo(wanted).si_signo
            if sig == signal.SIGTERM and self.brk == "sigterm":
                continue  # broken "sigterm": taken, then never acted on
            if sig == signal.SIGTERM:
                syslog.syslog(syslog.LOG_INFO, "stopping")
                if self.brk != "leftover":
                    try:
                        os.unlink(self.pidfile)
                    except OSError:
                        pass
                os.close(self.pid_fd)
                os._exit(0)
            if sig == signal.SIGHUP and self.brk == "hupexit":
                os._exit(0)  # broken "hupexit": SIGHUP handled by exiting
            if sig == signal.SIGHUP:
                self.reload()

    def reload(self):
        old = self.cfg
        try:
            self.load_config()
        except Fatal as e:
            syslog.syslog(syslog.LOG_ERR, "reload: %s; keeping the old config" % e)
            self.cfg = old
            return
        self.reloads += 1
        try:
            self.write_state()
        except Fatal as e:
            syslog.syslog(syslog.LOG_ERR, "reload: %s" % e)
        syslog.syslog(syslog.LOG_INFO, "reloaded")


def holder_pid(fd):
    """The pid a running instance wrote, else the lock owner."""
    try:
        return int(os.pread(fd, 32, 0).split()[0])
    except (OSError, ValueError, IndexError):
        pass
    try:
        import struct
        layout = "hhqqi4x"  # struct flock on 64-bit Linux
        fl = struct.pack(layout, fcntl.F_WRLCK, os.SEEK_SET, 0, 0, 0)
        return struct.unpack(layout, fcntl.fcntl(fd, fcntl.F_GETLK, fl))[4]
    except (OSError, ImportError):
        return "?"


def locked_by(path):
    """For the "ready" variant's up-front check: pid of a lock holder or None."""
    try:
        fd = os.open(path, os.O_RDWR | os.O_CLOEXEC)
    except OSError:
        return None
    try:
        fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return holder_pid(fd)
    finally:
        os.close(fd)  # also drops the probe lock, if we got it
    return None


def clean_environment(script):
    """Step 1: /proc/PID/environ shows the exec-time environment only.

    Python may add LC_CTYPE to os.environ itself (PEP 538), so the test is
    on what the kernel recorded, which is also what a checker reads."""
    try:
        with open("/proc/self/environ", "rb") as f:
            if f.read() == b"PATH=" + MIN_PATH.encode() + b"\0":
                return
    except OSError:
        return  # no /proc: nothing to prove, do not loop
    os.execve(sys.executable, [sys.executable, script] + sys.argv[1:], {"PATH": MIN_PATH})


def reset_signals():
    """Step 3: empty mask, every disposition back to SIG_DFL."""
    signal.pthread_sigmask(signal.SIG_SETMASK, [])
    for sig in signal.valid_signals():
        if sig in (signal.SIGKILL, signal.SIGSTOP):
            continue
        try:
            signal.signal(sig, signal.SIG_DFL)
        except (OSError, ValueError):
            pass  # 32 and 33 belong to the C library


def wait_ready(rfd, ident):
    """The original process: exit 0 on "ok", else print the error, exit 1."""
    buf = b""
    while True:
        chunk = os.read(rfd, 512)
        if not chunk:
            break
        buf += chunk
    if buf == b"ok":
        os._exit(0)
    msg = buf.decode(errors="replace") or "daemon exited before it was ready"
    sys.stderr.write("%s: %s\n" % (ident, msg))
    sys.stderr.flush()
    os._exit(1)


def main(break_mode=""):
    if break_mode not in MODES:
        raise SystemExit("unknown break mode %r" % break_mode)
    script = os.path.abspath(sys.argv[0])
    try:
        opts, rest = getopt.getopt(sys.argv[1:], "p:c:s:u:n:")
    except getopt.GetoptError as e:
        sys.stderr.write("%s\n" % e)
        opts, rest = None, None
    if opts is None or rest:
        sys.stderr.write(USAGE % os.path.basename(script) + "\n")
        sys.exit(2)
    opts = dict(opts)
    d = Daemon(opts, break_mode)

    def die(msg):
        sys.stderr.write("%s: %s\n" % (d.ident, msg))
        sys.exit(1)

    # 1. clean environment (the re-executed copy passes straight through)
    try:
        clean_environment(script)
    except OSError as e:
        die("re-exec with a clean environment: %s" % e.strerror)

    # 2. close inherited descriptors above 2
    try:
        maxfd = os.sysconf("SC_OPEN_MAX")
    except (OSError, ValueError):
        maxfd = 1024
    os.closerange(3, max(maxfd, 1024))
    # keep 0-2 occupied so nothing we open later lands there
    while True:
        fd = os.open("/dev/null", os.O_RDWR)
        if fd > 2:
            os.close(fd)
            break

    # 3. signals
    reset_signals()

    # paths are relative to where we were started, and we chdir("/")
    for attr in ("pidfile", "config", "state"):
        if getattr(d, attr) is not None:
            setattr(d, attr, os.path.abspath(getattr(d, attr)))
    if d.config is not None and not os.access(d.config, os.R_OK):
        die("config %s: cannot read" % d.config)
    if d.user is not None:
        try:
            pwd.getpwnam(d.user)
        except KeyError:
            die("unknown user %s" % d.user)

    # 4. readiness pipe, first fork
    rfd = wfd = -1
    if break_mode == "ready":
        holder = locked_by(d.pidfile)
        if holder is not None:
            die("already running (pid %s)" % holder)
    else:
        rfd, wfd = os.pipe()  # close-on-exec by default
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid > 0:
        if break_mode == "ready":
            # broken: returns before the daemon is ready. It still reaps the
            # first child (gone right after setsid and the second fork), or a
            # terminal's SIGHUP at our exit could kill it before its setsid.
            os.waitpid(pid, 0)
            os._exit(0)
        os.close(wfd)
        wait_ready(rfd, d.ident)
    if rfd >= 0:
        os.close(rfd)
    d.ready_fd = wfd

    try:
        # 5. new session, second fork: the daemon is not a session leader
        os.setsid()
        if os.fork() > 0:
            os._exit(0)
        d.run()
    except Fatal as e:
        d.fail(str(e))
    except OSError as e:
        d.fail("%s%s" % (e.strerror or e, ": " + e.filename if e.filename else ""))
    except KeyError as e:
        d.fail("unknown user %s" % e)
    os._exit(1)


if __name__ == "__main__":
    main()
