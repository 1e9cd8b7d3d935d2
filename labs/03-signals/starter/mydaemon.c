/*
 * mydaemon.c - lab 03 starter: the signal handling of a daemon. Start from
 * your lab 02 daemon; this file shows only the main loop.
 *
 *   mydaemon -p PIDFILE -c CONFIG -s STATEFILE
 *
 * The state file is "reloads=N\n" followed by the config file's content,
 * rewritten at start (N = 0) and after every reload.
 *
 * Try: daemonlab check --lab 03 --pidfile /tmp/d.pid --reload-touch /tmp/d.conf=new
 *        --reload-expect /tmp/d.state=new ./mydaemon -- -p /tmp/d.pid -c /tmp/d.conf -s /tmp/d.state
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile sig_atomic_t got_hup, got_term, got_chld;

static void on_hup(int sig) { (void)sig; got_hup = 1; }
static void on_term(int sig) { (void)sig; got_term = 1; }
static void on_chld(int sig) { (void)sig; got_chld = 1; }

/* TODO: read the whole config file, write "reloads=N\n" + config into the
 * state file (write a temporary file, then rename it over the state file) */
static void write_state(const char *config, const char *state, int reloads)
{
	(void)config; (void)state; (void)reloads;
}

int main(int argc, char **argv)
{
	const char *pidfile = NULL, *config = NULL, *state = NULL;
	int opt, reloads = 0;
	struct sigaction sa;
	sigset_t block, waitmask;

	while ((opt = getopt(argc, argv, "p:c:s:")) != -1) {
		switch (opt) {
		case 'p': pidfile = optarg; break;
		case 'c': config = optarg; break;
		case 's': state = optarg; break;
		default: exit(2);
		}
	}
	if (pidfile == NULL)
		exit(2);
	/* ... the daemonization of lab 01 and the locked pid file of lab 02 ... */

	/* block the signals; sleep with them unblocked in sigsuspend: no race */
	sigemptyset(&block);
	sigaddset(&block, SIGHUP);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGCHLD);
	sigprocmask(SIG_BLOCK, &block, &waitmask);
	memset(&sa, 0, sizeof sa);
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = on_hup;
	sigaction(SIGHUP, &sa, NULL);
	sa.sa_handler = on_term;
	sigaction(SIGTERM, &sa, NULL);
	sa.sa_handler = on_chld;
	sigaction(SIGCHLD, &sa, NULL);
	write_state(config, state, reloads);

	for (;;) {
		while (!got_hup && !got_term && !got_chld)
			sigsuspend(&waitmask);
		if (got_chld) {
			got_chld = 0;
			/* TODO workers: reap every finished child (waitpid WNOHANG in a loop) */
		}
		if (got_term) {
			/* TODO sigterm: remove the pid file, exit 0 */
			exit(0);
		}
		if (got_hup) {
			got_hup = 0;
			reloads++;
			/* TODO sighup: re-read the config, rewrite the state file */
			if (fork() == 0)  /* a worker per reload */
				_exit(0);
		}
	}
}
