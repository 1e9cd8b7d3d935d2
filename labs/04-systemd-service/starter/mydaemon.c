/* Lab 04 starter: a foreground daemon for systemd (Type=simple).
 * systemd already detaches it: no fork, no setsid, no /dev/null needed.
 * TODO: handle SIGHUP (log "reloaded") and SIGTERM (exit 0). */
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

int main(void)
{
	fprintf(stderr, "mydaemon: started\n");
	for (;;)
		pause();
}
