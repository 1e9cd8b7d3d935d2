/*
 * ticker: the program of lab 00 (daemonlab). It writes one line to its
 * standard output every 200 ms and exits as soon as a write fails: EIO on
 * a terminal that was hung up, EPIPE on a pipe nobody reads. It does
 * nothing about signals, sessions or descriptors: whether it survives the
 * end of your login is up to the way you start it.
 *
 *     cc -O2 -Wall -o ticker ticker.c
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int main(void)
{
	const struct timespec pause = {0, 200 * 1000 * 1000};
	char line[64];

	for (unsigned long n = 1;; n++) {
		int len = snprintf(line, sizeof line, "tick %lu pid %ld\n", n, (long)getpid());
		if (write(STDOUT_FILENO, line, len) != len) {
			dprintf(STDERR_FILENO, "ticker: write failed: %s\n", strerror(errno));
			return 1;
		}
		nanosleep(&pause, NULL);
	}
}
