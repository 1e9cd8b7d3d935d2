/* Lab 08 reference: one run of a scheduled task. Appends one line to
 * /var/lib/mytask/runs and exits 0. */
#include <errno.h>
#include <stdio.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

int main(void)
{
	if (mkdir("/var/lib/mytask", 0755) < 0 && errno != EEXIST) {
		perror("mytask: /var/lib/mytask");
		return 1;
	}
	FILE *f = fopen("/var/lib/mytask/runs", "a");
	if (!f) {
		perror("mytask: /var/lib/mytask/runs");
		return 1;
	}
	fprintf(f, "run at %ld by pid %ld (parent %ld)\n", (long)time(NULL), (long)getpid(), (long)getppid());
	return fclose(f) == 0 ? 0 : 1;
}
