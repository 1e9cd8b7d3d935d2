/*
 * The lab 04 reference daemon, detached the textbook way before main()
 * runs: fork, setsid, fork, and the process systemd started exits 0 once
 * the middle process is gone, leaving the daemon alone in the unit.
 * Under Type=simple systemd takes that exit for the end of the service.
 */
#define _GNU_SOURCE
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

__attribute__((constructor)) static void detach(void)
{
	pid_t pid = fork();

	if (pid < 0)
		exit(1);
	if (pid > 0) {
		waitpid(pid, NULL, 0);
		exit(0);
	}
	setsid();
	pid = fork();
	if (pid < 0)
		_exit(1);
	if (pid > 0)
		_exit(0);
	if (chdir("/") < 0)
		_exit(1);
}
