/*
 * daemon.c - the textbook SysV daemon (daemon(7), "SysV Daemons", steps 1-15),
 * written as the reference solution for daemonlab.
 *
 *   refdaemon -p PIDFILE [-c CONFIG] [-s STATEFILE] [-u USER] [-n NAME]
 *
 * The same file builds deliberately broken variants: compile with exactly one
 * -DBREAK_<X> and the daemon gets one property wrong and nothing else (the
 * grader is mutation-tested with them). Every deviation is marked BREAK_<X>.
 *
 * Protocol with the launcher: the original process exits 0 only once the
 * daemon has written and locked its pid file and installed its signal
 * handlers; otherwise it prints one line on stderr and exits 1.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <syslog.h>
#include <unistd.h>

#define MIN_PATH "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

#ifdef BREAK_PIDFILE
#define PIDFILE_MODE 0666
#else
#define PIDFILE_MODE 0644
#endif

extern char **environ;

/* some helpers are not called in every variant */
#define MAYBE_UNUSED __attribute__((unused))

static const char *ident = "refdaemon";
static int in_original = 1;  /* 1 while we are still the process the user started */
static int ready_fd = -1;    /* write end of the readiness pipe (daemon side) */
static const char *owned_pidfile; /* set once the pid file is ours */
static volatile sig_atomic_t got_hup, got_term;

/*
 * Report a fatal error and exit 1. In the original process it goes to
 * stderr; in the children, through the readiness pipe (the original prints
 * it); after readiness, to syslog.
 */
static void die(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
static void die(const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	int saved = errno;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	errno = saved;
	if (in_original) {
		fprintf(stderr, "%s: %s\n", ident, msg);
		exit(1);
	}
	if (owned_pidfile != NULL)
		unlink(owned_pidfile); /* failed before readiness: leave nothing */
	if (ready_fd >= 0) {
		ssize_t r = write(ready_fd, msg, strlen(msg));
		(void)r;
	} else {
		syslog(LOG_ERR, "%s", msg);
	}
	_exit(1);
}

static void usage(void)
{
	fprintf(stderr, "usage: %s -p PIDFILE [-c CONFIG] [-s STATEFILE] [-u USER] [-n NAME]\n", ident);
	exit(2);
}

/* Make a path absolute against the launch directory: we chdir("/") later. */
static char *absolute(const char *path)
{
	char cwd[PATH_MAX], *out;

	if (path == NULL || path[0] == '/')
		return (char *)path;
	if (getcwd(cwd, sizeof cwd) == NULL)
		die("getcwd: %s", strerror(errno));
	if (asprintf(&out, "%s/%s", cwd, path) < 0)
		die("out of memory");
	return out;
}

static int write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t w = write(fd, buf, len);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		buf += w;
		len -= (size_t)w;
	}
	return 0;
}

/* Step 1: exec-time environment is what /proc/PID/environ shows. */
static MAYBE_UNUSED void clean_environment(char **argv)
{
	static char *const minimal[] = {MIN_PATH, NULL};
	char exe[PATH_MAX];
	const char *path = "/proc/self/exe";
	ssize_t n;

	if (environ != NULL && environ[0] != NULL && strcmp(environ[0], MIN_PATH) == 0 &&
	    environ[1] == NULL)
		return; /* already clean: this is the re-executed copy */
	/*
	 * Exec the resolved path rather than "/proc/self/exe" itself: the kernel
	 * names the process (comm) after the last path component, and "exe"
	 * would be a confusing name in ps.
	 */
	n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (n > 0) {
		exe[n] = '\0';
		if (exe[0] == '/' && strstr(exe, " (deleted)") == NULL)
			path = exe;
	}
	execve(path, argv, minimal);
	die("re-exec with a clean environment: %s", strerror(errno));
}

/* Step 2: close every descriptor above 2. */
static MAYBE_UNUSED void close_fds(void)
{
	struct rlimit rl;
	long fd, max = 1024;

	if (close_range(3, ~0U, 0) == 0)
		return;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
		max = (long)rl.rlim_cur;
	else if (getrlimit(RLIMIT_NOFILE, &rl) == 0)
		max = 1 << 20;
	for (fd = 3; fd < max; fd++)
		close((int)fd);
}

/* Keep 0, 1 and 2 occupied so no file we open later lands on them. */
static void ensure_std_fds(void)
{
	int fd;

	do {
		fd = open("/dev/null", O_RDWR);
		if (fd < 0)
			die("open /dev/null: %s", strerror(errno));
	} while (fd <= 2);
	close(fd);
}

/* Step 3: empty signal mask, default dispositions. */
static void reset_signals(void)
{
#ifndef BREAK_SIGMASK
	sigset_t empty;

	sigemptyset(&empty);
	if (sigprocmask(SIG_SETMASK, &empty, NULL) < 0)
		die("sigprocmask: %s", strerror(errno));
#endif
#ifndef BREAK_SIGDISP
	struct sigaction sa;
	int sig;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = SIG_DFL;
	sigemptyset(&sa.sa_mask);
	for (sig = 1; sig < NSIG; sig++) {
		if (sig == SIGKILL || sig == SIGSTOP)
			continue;
		/* glibc reserves 32 and 33 for itself and answers EINVAL */
		if (sigaction(sig, &sa, NULL) < 0 && errno != EINVAL)
			die("sigaction(%d): %s", sig, strerror(errno));
	}
#endif
}

static MAYBE_UNUSED void on_hup(int sig)
{
	(void)sig;
	got_hup = 1;
}

static MAYBE_UNUSED void on_nothing(int sig)
{
	(void)sig;
}

static MAYBE_UNUSED void on_term(int sig)
{
	(void)sig;
	got_term = 1;
}

#ifdef BREAK_TTY
static int have_ctty(void)
{
	int fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);

	if (fd < 0)
		return 0; /* ENXIO: no controlling terminal */
	close(fd);
	return 1;
}

/*
 * BREAK_TTY: the daemon is a session leader (single fork + setsid) and
 * reopens the terminal it was started on without O_NOCTTY, which makes it
 * its controlling terminal again, if that terminal is free. It is not free
 * while the launching shell's session still owns it, so then it takes it
 * over with TIOCSCTTY(1) (needs CAP_SYS_ADMIN), and failing that opens a
 * fresh pseudo-terminal the same way, keeping the master open (closing it
 * would hang the terminal up and drop it again). Done before readiness, so
 * a checker sees the result as soon as the launcher returns.
 */
static void grab_tty(const char *tty)
{
	int fd, m;

	if (tty == NULL)
		return; /* not started on a terminal: nothing to reopen */
	fd = open(tty, O_RDWR | O_CLOEXEC); /* the bug: no O_NOCTTY */
	if (fd >= 0) {
		if (!have_ctty())
			(void)ioctl(fd, TIOCSCTTY, 1);
		close(fd);
	}
	if (have_ctty())
		return;
	m = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (m < 0 || grantpt(m) < 0 || unlockpt(m) < 0 || ptsname(m) == NULL) {
		if (m >= 0)
			close(m);
		return;
	}
	fd = open(ptsname(m), O_RDWR | O_CLOEXEC);
	if (fd >= 0)
		close(fd);
}
#endif

/* The original process: wait for "ok" (or an error message) from the daemon. */
static MAYBE_UNUSED void wait_ready(int rfd) __attribute__((noreturn));
static void wait_ready(int rfd)
{
	char buf[600];
	size_t n = 0;

	for (;;) {
		ssize_t r = read(rfd, buf + n, sizeof buf - 1 - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		n += (size_t)r;
		if (n == sizeof buf - 1)
			break;
	}
	buf[n] = '\0';
	if (n == 2 && memcmp(buf, "ok", 2) == 0)
		exit(0);
	if (n == 0)
		fprintf(stderr, "%s: daemon exited before it was ready\n", ident);
	else
		fprintf(stderr, "%s: %s\n", ident, buf);
	exit(1);
}

/* Read the pid a running instance wrote; fall back to the lock owner. */
static MAYBE_UNUSED long holder_pid(int fd)
{
	char buf[32];
	ssize_t r = pread(fd, buf, sizeof buf - 1, 0);
	long pid = 0;

	if (r > 0) {
		buf[r] = '\0';
		pid = strtol(buf, NULL, 10);
	}
	if (pid <= 0) {
		struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
		if (fcntl(fd, F_GETLK, &fl) == 0 && fl.l_type != F_UNLCK)
			pid = fl.l_pid;
	}
	return pid;
}

#ifdef BREAK_READY
/* This variant cannot report a lost lock race, so it checks up front. */
static void precheck_lock(const char *pidfile)
{
	struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
	int fd = open(pidfile, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return;
	if (fcntl(fd, F_GETLK, &fl) == 0 && fl.l_type != F_UNLCK)
		die("already running (pid %ld)", holder_pid(fd));
	close(fd);
}
#endif

/* Step 7: create, lock and fill the pid file; the fd stays open for life. */
static int open_pidfile(const char *pidfile)
{
	char buf[32];
	int fd, len;

	fd = open(pidfile, O_RDWR | O_CREAT | O_CLOEXEC, PIDFILE_MODE);
	if (fd < 0)
		die("open %s: %s", pidfile, strerror(errno));
#ifndef BREAK_LOCK
	struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 0};
	if (fcntl(fd, F_SETLK, &fl) < 0) {
		if (errno == EAGAIN || errno == EACCES)
			die("already running (pid %ld)", holder_pid(fd));
		die("lock %s: %s", pidfile, strerror(errno));
	}
#endif
	owned_pidfile = pidfile;
	/* O_CREAT's mode only applies to a new file; fix a stale one too */
	if (fchmod(fd, PIDFILE_MODE) < 0)
		die("chmod %s: %s", pidfile, strerror(errno));
	if (ftruncate(fd, 0) < 0)
		die("truncate %s: %s", pidfile, strerror(errno));
	len = snprintf(buf, sizeof buf, "%ld\n", (long)getpid());
	if (pwrite(fd, buf, (size_t)len, 0) != len)
		die("write %s: %s", pidfile, strerror(errno));
	return fd;
}

/* Step 8: stdin, stdout and stderr on /dev/null. */
static void redirect_stdio(void)
{
#ifndef BREAK_STDIO
	int fd = open("/dev/null", O_RDWR);
	int i;

	if (fd < 0)
		die("open /dev/null: %s", strerror(errno));
	for (i = 0; i <= 2; i++)
		if (fd != i && dup2(fd, i) < 0)
			die("dup2 /dev/null: %s", strerror(errno));
#ifndef BREAK_DEVNULL
	if (fd > 2)
		close(fd);
#endif
#endif
}

/* Whole config file; NULL with errno on failure. */
static char *read_file(const char *path, size_t *lenp)
{
	size_t cap = 4096, len = 0;
	char *buf = malloc(cap);
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || buf == NULL) {
		int e = errno;
		free(buf);
		if (fd >= 0)
			close(fd);
		errno = e;
		return NULL;
	}
	for (;;) {
		ssize_t r;
		if (len == cap) {
			char *nb = realloc(buf, cap * 2);
			if (nb == NULL) {
				free(buf);
				close(fd);
				errno = ENOMEM;
				return NULL;
			}
			buf = nb;
			cap *= 2;
		}
		r = read(fd, buf + len, cap - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int e = errno;
			free(buf);
			close(fd);
			errno = e;
			return NULL;
		}
		if (r == 0)
			break;
		len += (size_t)r;
	}
	close(fd);
	*lenp = len;
	return buf;
}

/* State file: "reloads=N\n" + config, written to a temp file and renamed. */
static int write_state(const char *state, unsigned long reloads, const char *cfg, size_t cfglen)
{
	char tmp[PATH_MAX], head[64];
	int fd, hlen;

	if (snprintf(tmp, sizeof tmp, "%s.tmp.%ld", state, (long)getpid()) >= (int)sizeof tmp) {
		errno = ENAMETOOLONG;
		return -1;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -1;
	hlen = snprintf(head, sizeof head, "reloads=%lu\n", reloads);
	if (write_all(fd, head, (size_t)hlen) < 0 || write_all(fd, cfg, cfglen) < 0 ||
	    close(fd) < 0) {
		int e = errno;
		close(fd);
		unlink(tmp);
		errno = e;
		return -1;
	}
	if (rename(tmp, state) < 0) {
		int e = errno;
		unlink(tmp);
		errno = e;
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	const char *pidfile = "/run/refdaemon.pid", *config = NULL, *state = NULL, *user = NULL;
	char *cfg = NULL;
	size_t cfglen = 0;
	unsigned long reloads = 0;
	int opt, pipefd[2] = {-1, -1}, pidfd;
	pid_t pid;
	struct sigaction sa;
	sigset_t block, waitmask;
	uid_t uid = 0;
	gid_t gid = 0;
	char *uname = NULL;
#ifdef BREAK_TTY
	char *tty = NULL;

	/* remember the terminal before anything closes or redirects stdio */
	if (isatty(0) && ttyname(0) != NULL)
		tty = strdup(ttyname(0));
#endif

	while ((opt = getopt(argc, argv, "+p:c:s:u:n:")) != -1) {
		switch (opt) {
		case 'p': pidfile = optarg; break;
		case 'c': config = optarg; break;
		case 's': state = optarg; break;
		case 'u': user = optarg; break;
		case 'n': ident = optarg; break;
		default: usage();
		}
	}
	if (optind != argc || pidfile[0] == '\0')
		usage();

	/* 1. clean environment (re-exec; the copy passes straight through) */
#ifndef BREAK_ENV
	clean_environment(argv);
#endif

	/* 2. close every inherited descriptor above 2 */
#ifndef BREAK_FDS
	close_fds();
#endif
	ensure_std_fds();

	/* 3. empty signal mask, default dispositions */
	reset_signals();

	pidfile = absolute(pidfile);
	config = absolute(config);
	state = absolute(state);
	if (config != NULL && access(config, R_OK) < 0)
		die("config %s: %s", config, strerror(errno));
	if (user != NULL) {
		struct passwd *pw;
		errno = 0;
		pw = getpwnam(user);
		if (pw == NULL)
			die("unknown user %s%s%s", user, errno ? ": " : "", errno ? strerror(errno) : "");
		uid = pw->pw_uid;
		gid = pw->pw_gid;
		uname = strdup(pw->pw_name);
		if (uname == NULL)
			die("out of memory");
	}

	/* 4. readiness pipe, first fork */
#ifdef BREAK_READY
	precheck_lock(pidfile);
#else
	if (pipe2(pipefd, O_CLOEXEC) < 0)
		die("pipe: %s", strerror(errno));
#endif
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		die("fork: %s", strerror(errno));
	if (pid > 0) {
#ifdef BREAK_READY
		/*
		 * BREAK_READY: return without waiting for readiness; the pid file
		 * shows up later. It still reaps the first child, which exits right
		 * after setsid() and the second fork: were the launcher a session
		 * leader on a terminal and gone before that setsid(), the kernel's
		 * SIGHUP to the foreground group would kill the daemon-to-be.
		 */
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
		exit(0);
#else
		close(pipefd[1]);
		wait_ready(pipefd[0]);
#endif
	}
	in_original = 0;
	ready_fd = pipefd[1];
	if (pipefd[0] >= 0)
		close(pipefd[0]);

	/* 5. new session, second fork: the daemon is not a session leader */
#if defined(BREAK_SESSION)
	/* BREAK_SESSION: no setsid(), just drop the controlling terminal */
	if (isatty(0) && ioctl(0, TIOCNOTTY) < 0 && errno != ENOTTY)
		die("TIOCNOTTY: %s", strerror(errno));
	/* own process group, so the launcher's exit does not SIGHUP us */
	if (setpgid(0, 0) < 0)
		die("setpgid: %s", strerror(errno));
#else
	if (setsid() < 0)
		die("setsid: %s", strerror(errno));
#if !defined(BREAK_TTY)
	pid = fork();
	if (pid < 0)
		die("fork: %s", strerror(errno));
	if (pid > 0) {
		if (ready_fd >= 0)
			close(ready_fd);
#ifdef BREAK_PARENT
		/*
		 * BREAK_PARENT: the session leader stays and waits for the daemon,
		 * so the daemon is never orphaned: its parent is not init.
		 */
		{
			int status;
			while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
				;
			_exit(WIFEXITED(status) ? WEXITSTATUS(status) : 1);
		}
#endif
		_exit(0);
	}
#endif
#endif

	/* 6. file mode mask and working directory */
#ifndef BREAK_UMASK
	umask(0);
#endif
#ifndef BREAK_CWD
	if (chdir("/") < 0)
		die("chdir /: %s", strerror(errno));
#endif

#ifdef BREAK_STDIO
	/* BREAK_STDIO: the "just close them" tutorial; the pid file gets fd 0 */
	close(0);
	close(1);
	close(2);
#endif
#ifdef BREAK_READY
	usleep(300000); /* widen the race the launcher does not wait for */
#endif

	/* 7. pid file, locked, naming us */
	pidfd = open_pidfile(pidfile);

	/* 8. stdio to /dev/null */
	redirect_stdio();

	/* 9. drop privileges */
	if (user != NULL) {
		if (fchown(pidfd, uid, gid) < 0)
			die("chown %s: %s", pidfile, strerror(errno));
#ifndef BREAK_PRIVILEGES
		if (initgroups(uname, gid) < 0)
			die("initgroups %s: %s", uname, strerror(errno));
#endif
		if (setgid(gid) < 0)
			die("setgid %ld: %s", (long)gid, strerror(errno));
		if (setuid(uid) < 0)
			die("setuid %ld: %s", (long)uid, strerror(errno));
	}

	/* 10. syslog, signal handlers, configuration, state */
	openlog(ident, LOG_PID, LOG_DAEMON);
	sigemptyset(&block);
	sigaddset(&block, SIGHUP);
	sigaddset(&block, SIGTERM);
	/* hold them until sigsuspend; waitmask is the mask to sleep with */
	if (sigprocmask(SIG_BLOCK, &block, &waitmask) < 0)
		die("sigprocmask: %s", strerror(errno));
	memset(&sa, 0, sizeof sa);
	sigemptyset(&sa.sa_mask);
#ifndef BREAK_SIGHUP
	sa.sa_handler = on_hup;
	if (sigaction(SIGHUP, &sa, NULL) < 0)
		die("sigaction SIGHUP: %s", strerror(errno));
#endif
#ifdef BREAK_SIGTERM
	/* BREAK_SIGTERM: a handler that does nothing: SIGTERM is caught, not
	 * ignored, so only the behaviour shows the bug */
	sa.sa_handler = on_nothing;
#else
	sa.sa_handler = on_term;
#endif
	if (sigaction(SIGTERM, &sa, NULL) < 0)
		die("sigaction SIGTERM: %s", strerror(errno));
	if (config != NULL) {
		cfg = read_file(config, &cfglen);
		if (cfg == NULL)
			die("config %s: %s", config, strerror(errno));
	}
	if (state != NULL && write_state(state, reloads, cfg ? cfg : "", cfglen) < 0)
		die("state %s: %s", state, strerror(errno));

#ifdef BREAK_TTY
	grab_tty(tty);
#endif

	/* 11. tell the original process we are ready */
	if (ready_fd >= 0) {
		if (write_all(ready_fd, "ok", 2) < 0)
			die("readiness pipe: %s", strerror(errno));
		close(ready_fd);
		ready_fd = -1;
	}

	/* 12. main loop */
	for (;;) {
		while (!got_hup && !got_term)
			sigsuspend(&waitmask);
		if (got_term) {
			syslog(LOG_INFO, "stopping");
#ifndef BREAK_LEFTOVER
			unlink(pidfile);
#endif
			close(pidfd);
			closelog();
			_exit(0);
		}
		got_hup = 0;
		if (config != NULL) {
			size_t nlen;
			char *ncfg = read_file(config, &nlen);
			if (ncfg == NULL) {
				syslog(LOG_ERR, "reload: config %s: %m; keeping the old one", config);
				continue;
			}
			free(cfg);
			cfg = ncfg;
			cfglen = nlen;
		}
		reloads++;
		if (state != NULL && write_state(state, reloads, cfg ? cfg : "", cfglen) < 0)
			syslog(LOG_ERR, "reload: state %s: %m", state);
		syslog(LOG_INFO, "reloaded");
	}
}
