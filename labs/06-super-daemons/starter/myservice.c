/* Lab 06 starter: one line in on stdin, the same line upper-cased out on
 * stdout, then exit. xinetd or systemd has already connected stdin and
 * stdout to the client's socket. */
#include <stdio.h>

int main(void)
{
	char line[1024];
	if (!fgets(line, sizeof line, stdin))
		return 1;
	/* TODO: upper-case the line (toupper from <ctype.h>) */
	fputs(line, stdout);
	return 0;
}
