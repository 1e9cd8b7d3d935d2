/* Lab 06 reference: an inetd-style service. stdin and stdout are the
 * client's connection; read one line, write it back upper-cased, exit.
 *
 * Broken variants, one knob each (cc -DKNOB):
 *   NO_UPPER   echoes the line unchanged                 (inetd-reply)
 *   STDOUT_NULL puts /dev/null on fd 1 and replies on a dup of
 *              fd 0 (the socket is bidirectional)        (inetd-stdio)
 *   LINGER     stays alive 60 s after replying            (socket-activation)
 */
#include <ctype.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

int main(void)
{
	char line[1024];
	FILE *out = stdout;
#ifdef STDOUT_NULL
	out = fdopen(dup(0), "w");
	int null = open("/dev/null", O_WRONLY);
	dup2(null, 1);
	close(null);
#endif
	if (!fgets(line, sizeof line, stdin))
		return 1;
#ifndef NO_UPPER
	for (char *p = line; *p; p++)
		*p = (char)toupper((unsigned char)*p);
#endif
	fputs(line, out);
	fflush(out);
#ifdef LINGER
	sleep(60);
#endif
	return 0;
}
