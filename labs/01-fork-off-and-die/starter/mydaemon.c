/*
 * mydaemon.c - lab 01 starter: a program that runs, but is not a daemon yet.
 *
 *   mydaemon -p PIDFILE [-c CONFIG] [-s STATEFILE]
 *
 * Build: cc -O2 -Wall -o mydaemon mydaemon.c
 * Try:   daemonlab check --lab 01 --pidfile /tmp/mydaemon.pid ./mydaemon -- -p /tmp/mydaemon.pid
 *
 * Each TODO is one graded property (see README.md).
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static volatile sig_atomic_t got_term;

static void on_term(int sig) { (void)sig; got_term = 1; }

static void write_pidfile(const char *path)
{
	char buf[32];
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		perror(path);
		exit(1);
	}
	int n = snprintf(buf, sizeof buf, "%d\n", (int)getpid());
	if (write(fd, buf, n) != n) {
		perror(path);
		exit(1);
	}
	close(fd);
}

int main(int argc, char **argv)
{
	const char *pidfile = NULL;
	int opt;

	while ((opt = getopt(argc, argv, "p:c:s:")) != -1) {
		switch (opt) {
		case 'p': pidfile = optarg; break;
		case 'c': case 's': break; /* used in labs 02 and 03 */
		default:
			fprintf(stderr, "usage: %s -p PIDFILE [-c CONFIG] [-s STATEFILE]\n", argv[0]);
			exit(2);
		}
	}
	if (pidfile == NULL) {
		fprintf(stderr, "usage: %s -p PIDFILE [-c CONFIG] [-s STATEFILE]\n", argv[0]);
		exit(2);
	}

	/* TODO fds:     close every inherited descriptor above 2 */
	/* TODO sigmask: empty the signal mask (sigprocmask) */
	/* TODO sigdisp: reset every signal to SIG_DFL */
	/* TODO ready:   make a pipe; the original process waits on it and
	 *               exits 0 only once the daemon wrote its pid file */
	/* TODO parent:  fork(); the parent returns to the shell */
	/* TODO session, no-tty: setsid(), and (optionally) fork again */
	/* TODO umask:   umask(0) */
	/* TODO cwd:     chdir("/") */
	/* TODO stdio:   /dev/null on 0, 1 and 2 */

	write_pidfile(pidfile);
	signal(SIGTERM, on_term);
	while (!got_term)
		pause();
	unlink(pidfile);
	return 0;
}
