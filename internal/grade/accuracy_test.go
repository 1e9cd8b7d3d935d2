package grade

import (
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/daemonlab/daemonlab/labs"
	"github.com/daemonlab/daemonlab/report"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// knobDaemon is a lab 04 daemon whose one deviation is chosen at compile
// time: TALK logs a line every tick, FAKE_RELOAD logs "reloaded" on a timer
// and not on SIGHUP, IGNORE_TERM keeps running on SIGTERM, NO_TERM_HANDLER
// dies of it, TERM_STATUS is the exit status on SIGTERM.
const knobDaemon = `#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#ifndef TERM_STATUS
#define TERM_STATUS 0
#endif
static volatile sig_atomic_t hup, term;
static void on(int s) { if (s == SIGHUP) hup = 1; else term = 1; }
int main(void) {
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGHUP, &sa, 0);
#ifndef NO_TERM_HANDLER
	sigaction(SIGTERM, &sa, 0);
#endif
	setvbuf(stderr, 0, _IOLBF, 0);
	fprintf(stderr, "mydaemon: started\n");
	unsigned long n = 0, reloads = 0;
	struct timespec tick = {0, 20 * 1000000L};
	for (;;) {
		nanosleep(&tick, 0);
		n++;
#ifdef TALK
		fprintf(stderr, "mydaemon: tick %lu, all is well\n", n);
#endif
#ifdef FAKE_RELOAD
		if (n % 12 == 0)
			fprintf(stderr, "mydaemon: reloaded (or so it says)\n");
		hup = 0;
#endif
		if (hup) {
			hup = 0;
			fprintf(stderr, "mydaemon: reloaded (%lu)\n", ++reloads);
		}
		if (term) {
#ifdef IGNORE_TERM
			term = 0;
			continue;
#endif
			fprintf(stderr, "mydaemon: stopping\n");
			return TERM_STATUS;
		}
	}
}
`

func knob(flags string) string {
	return "mydaemon: mydaemon.c\n\tcc -O2 " + flags + " -o mydaemon mydaemon.c\n"
}

// journaldPidfile is a forking lab 05 daemon whose launcher writes the pid
// of systemd-journald into the pid file: systemd then takes journald for
// the service's main process.
const journaldPidfile = `#define _GNU_SOURCE
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
static int journald(void) {
	DIR *d = opendir("/proc");
	struct dirent *e;
	char path[64], comm[64];
	while (d && (e = readdir(d))) {
		snprintf(path, sizeof path, "/proc/%s/comm", e->d_name);
		FILE *f = fopen(path, "r");
		if (!f) continue;
		if (fgets(comm, sizeof comm, f) && strncmp(comm, "systemd-journal", 15) == 0) { fclose(f); return atoi(e->d_name); }
		fclose(f);
	}
	return 0;
}
int main(void) {
	pid_t p = fork();
	if (p < 0) return 1;
	if (p > 0) {
		FILE *f = fopen("/run/mydaemon.pid", "w");
		if (!f) return 1;
		fprintf(f, "%d\n", journald());
		fclose(f);
		return 0;
	}
	setsid();
	signal(SIGHUP, SIG_IGN);
	fprintf(stderr, "mydaemon: started\n");
	for (;;) pause();
}
`

// neverReady is a lab 05 launcher that exits 0 while its daemon never
// writes the pid file.
const neverReady = `#include <unistd.h>
int main(void) {
	pid_t p = fork();
	if (p < 0) return 1;
	if (p > 0) return 0;
	setsid();
	for (;;) pause();
}
`

// TestAccuracyHoles: each hole issue 7 found in the judging of a container
// lab, on a real container. Before the fix each of these earned the
// points of a property it does not have (or lost points it earned).
func TestAccuracyHoles(t *testing.T) {
	requireEngine(t)
	unit := readFile(t, lab04unit)
	lab05 := readFile(t, lab05unit)
	tests := []struct {
		name  string
		lab   string
		files map[string]string
		tune  func(*labs.Spec)
		lost  []string
		check func(t *testing.T, r *report.Report)
	}{
		{name: "a talkative daemon that reloads correctly keeps reload", lab: "04",
			files: map[string]string{"mydaemon.c": knobDaemon, "Makefile": knob("-DTALK"), "mydaemon.service": unit},
			lost:  []string{}},
		{name: "a man page named in Documentation= that the image lacks is no syntax error", lab: "04",
			files: map[string]string{"mydaemon.c": knobDaemon, "Makefile": knob(""), "mydaemon.service": strings.Replace(unit, "[Unit]\n", "[Unit]\nDocumentation=man:mydaemon(8)\n", 1)},
			lost:  []string{}},
		{name: "reloaded on a timer, not on SIGHUP, loses reload", lab: "04",
			files: map[string]string{"mydaemon.c": knobDaemon, "Makefile": knob("-DFAKE_RELOAD"), "mydaemon.service": unit},
			lost:  []string{"reload"},
			check: func(t *testing.T, r *report.Report) { says(t, r, "reload", "without being reloaded") }},
		{name: "RestartSec=30s loses restart at once", lab: "04",
			files: map[string]string{"mydaemon.c": knobDaemon, "Makefile": knob(""), "mydaemon.service": strings.Replace(unit, "RestartSec=500ms", "RestartSec=30s", 1)},
			lost:  []string{"restart"},
			check: func(t *testing.T, r *report.Report) { says(t, r, "restart", "RestartSec=30s") }},
		{name: "SuccessExitStatus=1 does not hide an exit 1 on SIGTERM", lab: "04",
			files: map[string]string{"mydaemon.c": knobDaemon, "Makefile": knob("-DTERM_STATUS=1"), "mydaemon.service": strings.Replace(unit, "[Service]\n", "[Service]\nSuccessExitStatus=1\n", 1)},
			lost:  []string{"stop"},
			check: func(t *testing.T, r *report.Report) { says(t, r, "stop", "exited with status 1") }},
		{name: "dying of SIGTERM is not a clean stop", lab: "04",
			files: map[string]string{"mydaemon.c": knobDaemon, "Makefile": knob("-DNO_TERM_HANDLER"), "mydaemon.service": unit},
			lost:  []string{"stop"},
			check: func(t *testing.T, r *report.Report) { says(t, r, "stop", "killed by signal 15") }},
		{name: "ignoring SIGTERM is a plain fail, not an error", lab: "04",
			files: map[string]string{"mydaemon.c": knobDaemon, "Makefile": knob("-DIGNORE_TERM"), "mydaemon.service": unit},
			tune:  func(l *labs.Spec) { l.Deadlines.Stop.Duration = 3 * time.Second },
			lost:  []string{"stop"},
			check: func(t *testing.T, r *report.Report) {
				c, _ := r.Find("stop")
				assert.Equal(t, report.Fail, c.Status, c.Observed)
				assert.Contains(t, c.Observed, "does not stop on SIGTERM")
			}},
		{name: "a Makefile whose default target is not named mydaemon builds", lab: "04",
			files: map[string]string{"src/main.c": readFile(t, lab04src), "mydaemon.service": unit,
				"Makefile": "build:\n\tcc -O2 -o mydaemon src/main.c\n\nclean:\n\trm -f mydaemon\n"},
			lost: []string{}},
		{name: "a service that never starts earns nothing for unit-type", lab: "04",
			files: map[string]string{"mydaemon.c": "#include <stdio.h>\nint main(void){fputs(\"cannot start\\n\", stderr);return 1;}\n", "mydaemon.service": strings.Replace(unit, "Restart=on-failure", "Restart=no", 1)},
			check: func(t *testing.T, r *report.Report) {
				c, _ := r.Find("unit-type")
				assert.Equal(t, report.Error, c.Status)
				assert.Zero(t, *c.Points)
				assert.Contains(t, c.Observed, "not judged")
			}},
		{name: "a pid file naming journald: not the unit's process, never signalled", lab: "05",
			files: map[string]string{"mydaemon.c": journaldPidfile, "mydaemon.service": lab05},
			check: func(t *testing.T, r *report.Report) {
				says(t, r, "unit-type", "not a process of mydaemon.service")
				c, _ := r.Find("restart")
				assert.Equal(t, report.Error, c.Status, c.Observed)
				assert.Contains(t, c.Observed, "is not a process of mydaemon.service")
				for _, c := range r.Checks {
					assert.NotContains(t, c.Observed, "kill -9", "nothing was killed")
				}
			}},
		{name: "a launcher that exits while no pid file appears is not 'in the foreground'", lab: "05",
			files: map[string]string{"mydaemon.c": neverReady, "mydaemon.service": lab05},
			tune:  func(l *labs.Spec) { l.Deadlines.Start.Duration = 3 * time.Second },
			check: func(t *testing.T, r *report.Report) {
				says(t, r, "unit-type", "the launcher exited, but systemd is still waiting for PIDFile=/run/mydaemon.pid")
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			for name, content := range tt.files {
				write(t, dir, name, content)
			}
			r, outcome := grade(t, tt.lab, dir, tt.tune)
			require.Equal(t, Graded, outcome, explain(r))
			if tt.lost != nil {
				want := append([]string{}, tt.lost...)
				sort.Strings(want)
				assert.Equal(t, want, lost(r), explain(r))
			}
			if tt.check != nil {
				tt.check(t, r)
			}
		})
	}
}

func says(t *testing.T, r *report.Report, id, text string) {
	t.Helper()
	c, ok := r.Find(id)
	require.True(t, ok, id)
	assert.Contains(t, c.Observed, text, "%s: %s", id, c.Status)
}
