package grade

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// The attacks of a hostile student on the newer labs (00, 06–09), each
// graded in a real container: the submission scores exactly its honest
// score. What was tried and found to hold is listed in containers/README.md
// ("Trust model") and in each lab's README ("Limits of the grader").

// TestHostileLab00: start.sh runs as root next to the grader's ticker.
func TestHostileLab00(t *testing.T) {
	requireEngine(t)
	ref := handIn{files: map[string]string{"predict.json": "labs/00-background/reference/predict.json"}}
	runMatrix(t, "00", []mutation{
		// The ticker writes to /dev/null; a second program writes lines
		// in the ticker's format, with the real ticker's pid, to ticker.log.
		{"tick lines forged with the ticker's pid", ref.with(nil, map[string]string{"start.sh": `#!/bin/sh
cd "$(dirname "$0")" || exit 1
setsid -f ./ticker </dev/null >/dev/null 2>&1
setsid -f sh -c 'n=0; while :; do
  for p in /proc/[0-9]*; do [ "$(readlink $p/exe)" = /lab/ticker ] && pid=${p#/proc/}; done
  n=$((n+1)); [ -n "$pid" ] && echo "tick $n pid $pid" >> ticker.log; sleep 0.2
done' </dev/null >/dev/null 2>&1
`}), []string{"ticker-log"}},
	})
}

// hostileMytask is lab 08's reference task with code that runs first, as
// root, at every run.
func hostileMytask(t *testing.T, prelude string) string {
	t.Helper()
	src, err := os.ReadFile(filepath.Join(repoRoot, lab08+"mytask.c"))
	require.NoError(t, err)
	return "#include <stdlib.h>\n__attribute__((constructor)) static void hostile(void) {\n" + shell(prelude) + "\n}\n" + string(src)
}

// TestHostileLab07: an init script whose reload sends nothing, beside a
// daemon with a thread that logs "reloaded" every 300 ms under its own pid,
// loses sysv-reload, as the same script with a quiet daemon does. A status
// that looks at nothing and answers 0, 3, 1 by counting its calls (the
// order the states come in) loses sysv-status once status is asked twice
// in a state (the grader draws 1 to 3 times; fixed at 2 here).
func TestHostileLab07(t *testing.T) {
	requireEngine(t)
	asks := statusAsks
	statusAsks = func() int { return 2 }
	t.Cleanup(func() { statusAsks = asks })
	src := readFile(t, textbook)
	src = "#include <pthread.h>\n#include <syslog.h>\n#include <unistd.h>\n" +
		"static void *ticker(void *arg) { (void)arg; for (;;) { usleep(300000); syslog(LOG_INFO, \"reloaded\"); } return NULL; }\n" + src
	src = strings.Replace(src, "\t/* 12. main loop */\n", "\t{ pthread_t t; pthread_create(&t, NULL, ticker, NULL); }\n\t/* 12. main loop */\n", 1)
	require.Contains(t, src, "pthread_create")
	script := readFile(t, lab07+"mydaemon.init")
	noop := strings.Replace(script, "start-stop-daemon --stop --quiet --signal HUP --pidfile $PIDFILE", ": # sends nothing", 1)
	require.NotEqual(t, script, noop)
	counting := strings.Replace(script, "\tstatus_of_proc -p $PIDFILE $DAEMON $NAME && exit 0 || exit $?\n",
		"\tn=$(cat /run/.st 2>/dev/null || echo 0); echo $((n+1)) > /run/.st\n\tcase $n in 0) exit 0;; 1) exit 3;; *) exit 1;; esac\n", 1)
	require.NotEqual(t, script, counting)
	runMatrix(t, "07", []mutation{
		{"status counts its calls", lab07ref.with(nil, map[string]string{"mydaemon.init": counting}), []string{"sysv-status"}},
		{"reload sends nothing, a thread logs reloaded on a timer", lab07ref.with(nil, map[string]string{
			"mydaemon.c": src, "mydaemon.init": noop,
			"Makefile": "mydaemon: mydaemon.c\n\tcc -O2 -D_GNU_SOURCE -std=c11 -pthread -o mydaemon mydaemon.c\n"}),
			[]string{"sysv-reload"}},
	})
}

// TestHostileLab09: the hardened reference unit with one character more,
// ExecStart=+…: systemd-analyze security --offline still counts the
// sandboxing, but the daemon runs as root with every capability. It loses
// hardening, as the unhardened unit does.
func TestHostileLab09(t *testing.T) {
	requireEngine(t)
	unit := readFile(t, lab09+"mydaemon.service")
	plus := strings.Replace(unit, "ExecStart=/", "ExecStart=+/", 1)
	require.NotEqual(t, unit, plus)
	runMatrix(t, "09", []mutation{
		{"ExecStart=+ escapes the sandboxing", lab09ref.with(nil, map[string]string{"mydaemon.service": plus}), []string{"hardening"}},
	})
}

// TestHostileLab05: the broken variant not-ready, whose launcher first
// floods the journal (400 lines of 4 KB on stderr) to push systemd's
// "Can't open PID file" line past what one read of the journal holds,
// loses unit-type as without the flood, and the journal check, which the
// flood leaves no verdict to. One whose daemon deletes the journal's
// archived files loses unit-type: the gap is seen.
func TestHostileLab05(t *testing.T) {
	requireEngine(t)
	const dir = "labs/05-forking-service/"
	flood := "\tstart_clean();\n\t{\n\t\tstatic char junk[4001];\n\t\tmemset(junk, 'x', 4000);\n" +
		"\t\tfor (int i = 0; i < 400; i++)\n\t\t\tfprintf(stderr, \"%d %s\\n\", i, junk);\n\t\tfflush(stderr);\n\t}\n"
	src := strings.Replace(readFile(t, dir+"reference/mydaemon.c"), "\tstart_clean();\n", flood, 1)
	require.Contains(t, src, "junk[4001]")
	// the same variant, whose daemon deletes the journal's archived files
	// once systemd has logged its line (journalctl --rotate, then rm)
	vacuum := strings.Replace(readFile(t, dir+"reference/mydaemon.c"), "\tint lockfd = take_pidfile(pidfile);\n",
		"\tint lockfd = take_pidfile(pidfile);\n\tif (system(\"/usr/bin/journalctl --rotate >/dev/null 2>&1; /bin/rm -f /run/log/journal/*@*.journal* /run/log/journal/*/*@*.journal*\") < 0)\n\t\t_exit(1);\n", 1)
	require.Contains(t, vacuum, "journalctl --rotate")
	notReady := map[string]string{"Makefile": dir + "broken/not-ready/Makefile"}
	runMatrix(t, "05", []mutation{
		{"the launcher floods the journal before systemd's line", reference(dir+"reference/", "mydaemon.service").with(
			notReady, map[string]string{"mydaemon.c": src}), []string{"journal", "unit-type"}},
		{"the daemon deletes the journal's files after systemd's line", reference(dir+"reference/", "mydaemon.service").with(
			notReady, map[string]string{"mydaemon.c": "#include <stdlib.h>\n" + vacuum}), []string{"unit-type"}},
	})
}

// linkedRunsMytask is the lab 08 reference task that, at its second run,
// links its runs file to root's crontab, cut to two lines, and exits.
func linkedRunsMytask(t *testing.T) string {
	t.Helper()
	src, err := os.ReadFile(filepath.Join(repoRoot, lab08+"mytask.c"))
	require.NoError(t, err)
	link := `R=/var/lib/mytask/runs T=/var/spool/cron/crontabs/root
if [ -f $R ] && [ ! -L $R ] && [ "$(wc -l < $R)" -eq 1 ]; then
  head -n 2 $T > $T.x && cat $T.x > $T && rm -f $T.x $R && ln -s $T $R && touch /run/runs-linked
fi`
	return "#include <stdlib.h>\n#include <unistd.h>\n__attribute__((constructor)) static void hostile(void) {\n" + shell(link) +
		"\nif (access(\"/run/runs-linked\", F_OK) == 0) { unlink(\"/run/runs-linked\"); exit(0); }\n}\n" + string(src)
}

// TestHostileLab08: the task runs as root at each oneshot run and leaves
// things on the disk, which a reboot keeps.
func TestHostileLab08(t *testing.T) {
	requireEngine(t)
	// cron ignores this crontab (a line with four time fields): nothing of
	// it runs at boot.
	ignored := lab08ref.with(map[string]string{"crontab": lab08 + "broken/four-fields.crontab"}, nil)
	forge := `logger -t CRON "(root) CMD (/usr/local/bin/mytask)"; /usr/local/bin/mytask`
	runMatrix(t, "08", []mutation{
		// A drop-in for cron.service: its ExecStartPre= logs cron's CMD
		// line from cron's own unit and runs the task at boot.
		{"a cron.service drop-in forges cron's CMD line", ignored.with(nil, map[string]string{"mytask.c": hostileMytask(t,
			"mkdir -p /etc/systemd/system/cron.service.d && printf '[Service]\\nExecStartPre=/bin/sh -c %s\\n' "+strings.ReplaceAll(shellQuote(shellQuote(forge)), "%", "%%")+" > /etc/systemd/system/cron.service.d/x.conf")}),
			[]string{"crontab", "cron-reboot"}},
		// A unit of its own, started at boot, sends the line and exits at
		// once: journald records no unit for it.
		{"a boot unit forges cron's CMD line", ignored.with(nil, map[string]string{"mytask.c": hostileMytask(t,
			"mkdir -p /etc/systemd/system/multi-user.target.wants && printf '[Service]\\nType=oneshot\\nExecStart=/bin/sh -c %s\\n' "+strings.ReplaceAll(shellQuote(shellQuote(forge)), "%", "%%")+" > /etc/systemd/system/x.service && ln -sf ../x.service /etc/systemd/system/multi-user.target.wants/x.service")}),
			[]string{"crontab", "cron-reboot"}},
		// A crontab whose @reboot line only names the task (":" runs at
		// boot, not the task). At its second run the task cuts root's
		// crontab to two lines and links its runs file to it: cronOnly
		// writes the crontab back (three lines) before the boot, so a runs
		// file read through the link would gain a line with no run at boot.
		{"the runs file linked to the crontab", lab08ref.with(nil, map[string]string{
			"crontab":  "# m h dom mon dow command\n@reboot : /usr/local/bin/mytask\n15 3 * * * /usr/local/bin/mytask\n",
			"mytask.c": linkedRunsMytask(t)}),
			[]string{"cron-reboot", "oneshot-run"}},
		// Root's crontab rewritten on the disk: cron runs the good one.
		{"the installed crontab replaced", ignored.with(nil, map[string]string{"mytask.c": hostileMytask(t,
			"printf '@reboot /usr/local/bin/mytask\\n' > /var/spool/cron/crontabs/root")}),
			[]string{"crontab", "cron-reboot"}},
	})
}

// shellQuote quotes s for sh in single quotes.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
