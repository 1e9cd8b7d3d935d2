/*
 * Lab 05 reference: a classic forking daemon for Type=forking.
 *
 *   mydaemon [-p PIDFILE] [-n NAME]
 *
 * systemd waits until the process it started (the launcher) exits, then
 * reads PIDFile=. So the launcher must not exit before the pid file names
 * the daemon: the daemon says "ok" on a pipe once the file is written and
 * locked, and only then does the launcher exit 0. Any failure before that
 * closes the pipe without "ok" and the launcher exits 1.
 *
 * The not-ready variant builds this file with -DBREAK_READY: its launcher
 * exits at once and the pid file shows up later.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <syslog.h>
#include <unistd.h>

/* which signals have arrived and are not handled yet */
static volatile sig_atomic_t pending[NSIG];

static void note_signal(int sig)
{
	pending[sig] = 1;
}

/* Until readiness, stderr is still the launcher's (the journal). */
static void fatal(const char *what)
{
	fprintf(stderr, "mydaemon: %s: %s\n", what, strerror(errno));
	_exit(1);
}

/* Nothing inherited survives: no stray descriptors, a clean signal state. */
static void start_clean(void)
{
	sigset_t none;
	int sig;

	close_range(3, ~0U, 0);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	for (sig = 1; sig < NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			signal(sig, SIG_DFL);
}

/* The launcher's whole job: wait for "ok", then exit with what it means. */
static void launcher(pid_t child, int ready)
{
	char answer[2] = {0};
	ssize_t n;

#ifdef BREAK_READY
	n = 2; /* claims readiness without waiting for it */
	memcpy(answer, "ok", 2);
	(void)ready;
#else
	do
		n = read(ready, answer, sizeof answer);
	while (n < 0 && errno == EINTR);
#endif
	/* the first child exits right after its own fork: reap it */
	while (waitpid(child, NULL, 0) < 0 && errno == EINTR)
		;
	exit(n == 2 && memcmp(answer, "ok", 2) == 0 ? 0 : 1);
}

/* Create, lock and fill the pid file; the descriptor stays open for life. */
static int take_pidfile(const char *path)
{
	struct flock whole = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
	char line[24];
	int fd, len;

	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		fatal(path);
	if (fcntl(fd, F_SETLK, &whole) < 0)
		fatal("already running? the pid file is locked");
	len = snprintf(line, sizeof line, "%d\n", (int)getpid());
	if (fchmod(fd, 0644) < 0 || ftruncate(fd, 0) < 0 ||
	    pwrite(fd, line, (size_t)len, 0) != len)
		fatal(path);
	return fd;
}

int main(int argc, char **argv)
{
	const char *pidfile = "/run/mydaemon.pid", *name = "mydaemon";
	struct sigaction on = {.sa_handler = note_signal};
	sigset_t held, asleep;
	int ready[2], null, opt;
	pid_t pid;

	while ((opt = getopt(argc, argv, "p:n:")) != -1) {
		if (opt == 'p')
			pidfile = optarg;
		else if (opt == 'n')
			name = optarg;
		else
			return 2;
	}
	start_clean();

	/* launcher -> first child -> setsid -> daemon (not a session leader) */
	if (pipe2(ready, O_CLOEXEC) < 0)
		fatal("pipe");
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		fatal("fork");
	if (pid > 0) {
		close(ready[1]);
		launcher(pid, ready[0]);
	}
	close(ready[0]);
	if (setsid() < 0)
		fatal("setsid");
	pid = fork();
	if (pid < 0)
		fatal("fork");
	if (pid > 0)
		_exit(0);

	umask(022);
	if (chdir("/") < 0)
		fatal("chdir /");
#ifdef BREAK_READY
	usleep(300000); /* the launcher is long gone: systemd has to guess */
#endif
	int lockfd = take_pidfile(pidfile);

	/* SIGHUP and SIGTERM wait, blocked, until sigsuspend lets them in */
	sigemptyset(&held);
	sigaddset(&held, SIGHUP);
	sigaddset(&held, SIGTERM);
	sigprocmask(SIG_BLOCK, &held, &asleep);
	sigemptyset(&on.sa_mask);
	if (sigaction(SIGHUP, &on, NULL) < 0 || sigaction(SIGTERM, &on, NULL) < 0)
		fatal("sigaction");
	openlog(name, LOG_PID, LOG_DAEMON);

	null = open("/dev/null", O_RDWR);
	if (null < 0)
		fatal("/dev/null");
	dup2(null, STDIN_FILENO);
	dup2(null, STDOUT_FILENO);
	dup2(null, STDERR_FILENO);
	if (null > STDERR_FILENO)
		close(null);

#ifndef BREAK_READY
	if (write(ready[1], "ok", 2) != 2)
		_exit(1);
#endif
	close(ready[1]);
	syslog(LOG_INFO, "started, pid %d", (int)getpid());

	while (!pending[SIGTERM]) {
		sigsuspend(&asleep);
		if (pending[SIGHUP] && !pending[SIGTERM]) {
			pending[SIGHUP] = 0;
			syslog(LOG_INFO, "reloaded");
		}
	}
	syslog(LOG_INFO, "stopping");
	unlink(pidfile);
	close(lockfd);
	return 0;
}
