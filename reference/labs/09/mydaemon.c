/* Lab 09 reference: a socket-activated Type=notify daemon with a watchdog.
 *
 * systemd listens on 127.0.0.1:9009 and passes the listening socket as fd 3
 * (LISTEN_FDS=1, LISTEN_PID=our pid). We tell systemd READY=1 once we
 * serve, and WATCHDOG=1 every WATCHDOG_USEC/2 from the main loop, so a
 * stuck main loop stops the pings and systemd restarts us. Every client
 * sends one line and gets it back upper-cased; one process serves them all.
 *
 * Broken variant (cc -DOWN_LISTENER): also opens a listener of its own on
 * 127.0.0.1:9099 (listen-fds).
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <stddef.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#define LISTEN_FD 3

static volatile sig_atomic_t term;
static void on_term(int s) { (void)s; term = 1; }

/* sd_notify(3) without libsystemd: one datagram to $NOTIFY_SOCKET. */
static void notify(const char *msg)
{
	const char *path = getenv("NOTIFY_SOCKET");
	if (!path || !*path)
		return;
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	size_t n = strlen(path);
	if (n >= sizeof sa.sun_path)
		return;
	memcpy(sa.sun_path, path, n);
	if (sa.sun_path[0] == '@')
		sa.sun_path[0] = 0; /* abstract socket */
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return;
	sendto(fd, msg, strlen(msg), MSG_NOSIGNAL, (struct sockaddr *)&sa, offsetof(struct sockaddr_un, sun_path) + n);
	close(fd);
}

static long long now_usec(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000LL + ts.tv_nsec / 1000;
}

static void serve(int c)
{
	struct timeval tv = {2, 0};
	setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	char buf[1024];
	size_t len = 0;
	while (len < sizeof buf) {
		ssize_t r = read(c, buf + len, sizeof buf - len);
		if (r <= 0)
			break;
		len += r;
		if (memchr(buf, '\n', len))
			break;
	}
	for (size_t i = 0; i < len; i++)
		buf[i] = toupper((unsigned char)buf[i]);
	if (len > 0)
		send(c, buf, len, MSG_NOSIGNAL);
	close(c);
}

int main(void)
{
	openlog("mydaemon", LOG_PID, LOG_DAEMON);
	/* sd_listen_fds(3): the descriptors are ours only if LISTEN_PID is us */
	const char *pid = getenv("LISTEN_PID"), *fds = getenv("LISTEN_FDS");
	if (!pid || !fds || atol(pid) != (long)getpid() || atoi(fds) < 1) {
		syslog(LOG_ERR, "not socket-activated (LISTEN_FDS/LISTEN_PID): start mydaemon.socket");
		return 1;
	}
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");

#ifdef OWN_LISTENER
	int own = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(9099), .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	bind(own, (struct sockaddr *)&a, sizeof a);
	listen(own, 8);
#endif

	struct sigaction sa = {.sa_handler = on_term};
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);

	long long wd = 0;
	const char *w = getenv("WATCHDOG_USEC"), *wp = getenv("WATCHDOG_PID");
	if (w && (!wp || atol(wp) == (long)getpid()))
		wd = atoll(w) / 2;
	long long next = now_usec() + wd;

	notify("READY=1\nSTATUS=serving on the socket systemd passed");
	syslog(LOG_INFO, "ready");
	while (!term) {
		int timeout = -1;
		if (wd > 0) {
			long long left = next - now_usec();
			if (left <= 0) {
				notify("WATCHDOG=1");
				next = now_usec() + wd;
				left = wd;
			}
			timeout = (int)(left / 1000) + 1;
		}
		struct pollfd p = {.fd = LISTEN_FD, .events = POLLIN};
		int r = poll(&p, 1, timeout);
		if (r < 0 && errno != EINTR)
			return 1;
		if (r > 0 && (p.revents & POLLIN)) {
			int c = accept4(LISTEN_FD, NULL, NULL, SOCK_CLOEXEC);
			if (c >= 0)
				serve(c);
		}
	}
	notify("STOPPING=1");
	syslog(LOG_INFO, "stopping");
	return 0;
}
