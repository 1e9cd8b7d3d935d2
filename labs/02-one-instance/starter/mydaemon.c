/*
 * mydaemon.c - lab 02 starter. Start from your lab 01 daemon; this file
 * shows only the pid file part, still without a lock.
 *
 *   mydaemon -p PIDFILE [-c CONFIG] [-s STATEFILE]
 *
 * Try: daemonlab check --lab 02 --pidfile /tmp/mydaemon.pid ./mydaemon -- -p /tmp/mydaemon.pid
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static volatile sig_atomic_t got_term;

static void on_term(int sig) { (void)sig; got_term = 1; }

/*
 * Open the pid file and keep its descriptor open for the daemon's life.
 * TODO lock:            lock it (fcntl F_SETLK with F_WRLCK, or flock
 *                       LOCK_EX|LOCK_NB) BEFORE writing anything
 * TODO single-instance: when the lock is held, print one line on stderr
 *                       ("already running (pid N)") and exit 1
 * TODO stale-pidfile:   decide "already running" by the lock only, never by
 *                       the file's existence; then truncate and rewrite it
 * TODO pidfile:         mode 0644, content "PID\n" of the daemon (after the
 *                       last fork)
 */
static int open_pidfile(const char *path)
{
	char buf[32];
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		exit(1);
	}
	int n = snprintf(buf, sizeof buf, "%d\n", (int)getpid());
	if (ftruncate(fd, 0) < 0 || pwrite(fd, buf, n, 0) != n) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		exit(1);
	}
	return fd;
}

int main(int argc, char **argv)
{
	const char *pidfile = NULL;
	int opt;

	while ((opt = getopt(argc, argv, "p:c:s:")) != -1) {
		if (opt == 'p')
			pidfile = optarg;
		else if (opt != 'c' && opt != 's')
			exit(2);
	}
	if (pidfile == NULL) {
		fprintf(stderr, "usage: %s -p PIDFILE [-c CONFIG] [-s STATEFILE]\n", argv[0]);
		exit(2);
	}
	/* ... the daemonization of lab 01 goes here ... */
	int fd = open_pidfile(pidfile);
	(void)fd; /* keep it open: closing any descriptor of the file drops a POSIX lock */

	/* TODO sigterm: on SIGTERM remove the pid file and exit 0 */
	signal(SIGTERM, on_term);
	while (!got_term)
		pause();
	return 0;
}
