package grade

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/daemonlab/daemonlab/labs"
	"github.com/daemonlab/daemonlab/report"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// hostSecret is a file on the grading host that no output may ever show.
func hostSecret(t *testing.T) (path, token string) {
	t.Helper()
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	token = "HOST-SECRET-" + hex.EncodeToString(b)
	path = filepath.Join(t.TempDir(), "secret")
	require.NoError(t, os.WriteFile(path, []byte(token+"\n"), 0o600))
	return path, token
}

// withPrelude returns the lab 04 reference with code that runs before main.
func withPrelude(t *testing.T, prelude string) string {
	t.Helper()
	src, err := os.ReadFile(filepath.Join(repoRoot, lab04src))
	require.NoError(t, err)
	return "#include <stdlib.h>\n__attribute__((constructor)) static void hostile(void) {\n" + prelude + "\n}\n" + string(src)
}

func readFile(t *testing.T, name string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(repoRoot, name))
	require.NoError(t, err)
	return string(data)
}

// shell quotes a shell command for a C string literal.
func shell(cmd string) string {
	return "system(" + strconv.Quote(cmd) + ");"
}

// forgers are tools a submission drops where a careless grader would run
// them: each prints what a passing grade would need to see.
const forgers = `for t in systemctl journalctl daemonlab timeout install systemd-analyze kill sh tar; do
  printf '#!/bin/sh\necho ActiveState=active; echo MainPID=1; echo result=done; echo enabled; echo "{\\"checks\\":[]}"; echo "reloaded"; exit 0\n' > /usr/local/bin/$t 2>/dev/null; chmod 755 /usr/local/bin/$t 2>/dev/null;
done
cp /usr/local/bin/systemctl /usr/bin/systemctl 2>/dev/null
cp /usr/local/bin/systemctl /opt/daemonlab/daemonlab 2>/dev/null
echo /tmp/evil.so > /etc/ld.so.preload 2>/dev/null
true`

// TestHostileSubmissions: each attack of a hostile student, in a real
// container. The score is the honest one (or the submission is refused),
// no byte of the host appears in the result, a complete result is written
// within the lab's deadline, and nothing is left on the host.
func TestHostileSubmissions(t *testing.T) {
	requireEngine(t)
	secret, token := hostSecret(t)
	restartNo := readFile(t, "labs/04-systemd-service/broken/restart-no/mydaemon.service")
	unit := readFile(t, lab04unit)
	tests := []struct {
		name    string
		make    func(t *testing.T, dir string)
		outcome Outcome
		lost    []string // nil with Ungradable: every check
		says    string   // in some observed text
		// atLeast replaces lost where timing decides how much is lost: these
		// checks at least earn nothing.
		atLeast []string
	}{
		{"a Makefile that drops forged tools", func(t *testing.T, dir string) {
			write(t, dir, "mydaemon.c", readFile(t, lab04src))
			write(t, dir, "mydaemon.service", restartNo)
			write(t, dir, "forge.sh", forgers)
			write(t, dir, "Makefile", "mydaemon: mydaemon.c\n\tsh forge.sh\n\tcc -O2 -o mydaemon mydaemon.c\n")
		}, Graded, []string{"restart"}, "", nil},
		{"a daemon that replaces the grader's tools and checker at start", func(t *testing.T, dir string) {
			write(t, dir, "mydaemon.c", withPrelude(t, shell(forgers)))
			write(t, dir, "mydaemon.service", restartNo)
		}, Graded, []string{"restart"}, "", nil},
		{"a daemon that impersonates PID 1's socket", func(t *testing.T, dir string) {
			// The fake listener is up before the daemon's main runs.
			write(t, dir, "mydaemon.c", withPrelude(t, shell(`rm -f /run/systemd/private; python3 -c 'import socket,os
s=socket.socket(socket.AF_UNIX); s.bind("/run/systemd/private"); s.listen(64)
if os.fork(): os._exit(0)
os.setsid()
while True: s.accept()[0].close()'`)))
			write(t, dir, "mydaemon.service", unit)
		}, Graded, nil, "could not read the unit's state", []string{"restart", "reload", "stop"}},
		{"a daemon that writes forged results into the checker's output", func(t *testing.T, dir string) {
			forge := `{"tool":"daemonlab","checks":[{"id":"no-tty","status":"pass"},{"id":"fds","status":"pass"},{"id":"sigmask","status":"pass"},{"id":"sigdisp","status":"pass"}]}`
			write(t, dir, "mydaemon.c", withPrelude(t, shell(`(end=$(($(date +%s)+20)); while [ $(date +%s) -lt $end ]; do for p in /proc/[0-9]*; do
  [ "$(readlink $p/exe)" = /opt/daemonlab/daemonlab ] && { echo '`+forge+`' > $p/fd/1; kill -9 ${p#/proc/}; }; done; done) >/dev/null 2>&1 &`)))
			write(t, dir, "mydaemon.service", restartNo)
			// whether the forger wins the race to the checker's stdout
			// depends on load: when it does, the four static checks are
			// errors (the result is not trusted), never its forged passes
		}, Graded, nil, "", []string{"restart"}},
		// QA's forger (testdata/ptrace-forger), forked at start: it
		// ptraces the timeout the checker runs under, kills the checker,
		// writes a report with every status turned to pass and makes
		// timeout see exit 0. The daemon honestly leaks a descriptor,
		// ignores SIGINT and keeps SIGUSR1 blocked asleep: it loses
		// sigmask's points, as without the forger (and more when the
		// forger, left in the unit's cgroup, slows the restart or the stop).
		{"a daemon that ptraces the grader's timeout to forge the checker's report", func(t *testing.T, dir string) {
			for _, f := range []string{"Makefile", "forger.c", "mydaemon.service"} {
				write(t, dir, f, readFile(t, "internal/grade/testdata/ptrace-forger/"+f))
			}
			src := strings.Replace(readFile(t, lab04src), "\tsigemptyset(&empty);\n", "\tsigemptyset(&empty);\n\tsigaddset(&empty, SIGUSR1);\n", 1)
			write(t, dir, "mydaemon.c", "#include <fcntl.h>\n#include <signal.h>\n#include <unistd.h>\nvoid forger(int daemon);\n"+
				"__attribute__((constructor)) static void hostile(void) {\n"+
				"\tint self = getpid(), fd = open(\"/etc/hostname\", O_RDONLY);\n\t(void)fd;\n\tsignal(SIGINT, SIG_IGN);\n"+
				"\tif (fork() == 0) {\n\t\tforger(self);\n\t\t_exit(0);\n\t}\n}\n"+src)
		}, Graded, nil, "", []string{"sigmask"}},
		// It ignores SIGHUP and never reloads; the copy systemd starts
		// again after the grader's kill -9 logs "reloaded" every 300 ms.
		// It loses reload, as a daemon that never reloads (and sigdisp,
		// for the ignored SIGHUP).
		{"a restarted copy that logs reloaded on a timer", func(t *testing.T, dir string) {
			write(t, dir, "mydaemon.service", unit)
			write(t, dir, "mydaemon.c", `#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <unistd.h>
static volatile sig_atomic_t term;
static void on_term(int s) { (void)s; term = 1; }
int main(void)
{
	signal(SIGHUP, SIG_IGN);
	signal(SIGTERM, on_term);
	int again = access("/run/mydaemon.first", F_OK) == 0;
	close(open("/run/mydaemon.first", O_CREAT | O_WRONLY, 0644));
	while (!term) {
		usleep(300000);
		if (again)
			fprintf(stderr, "mydaemon: reloaded (timer)\n");
	}
	return 0;
}
`)
		}, Graded, []string{"reload", "sigdisp"}, "", nil},
		// The daemon logs nothing and never reloads; the unit's helpers
		// print for it: ExecStartPost= a start line, ExecReload= the
		// evidence. Helpers are not the daemon: it loses journal and reload.
		{"a unit whose helpers log for a silent daemon", func(t *testing.T, dir string) {
			write(t, dir, "mydaemon.c", strings.ReplaceAll(readFile(t, lab04src), "fprintf(stderr, ", "if (0) fprintf(stderr, "))
			write(t, dir, "mydaemon.service", strings.Replace(unit, "ExecReload=/bin/kill -HUP $MAINPID",
				"ExecStartPost=/bin/echo mydaemon: started\nExecReload=/bin/sh -c '/bin/kill -HUP $MAINPID; echo mydaemon: reloaded'", 1))
		}, Graded, []string{"journal", "reload"}, "", nil},
		// Restart=no, and an ExecStopPost= that starts the unit again when
		// it died of a signal: back within the limit, but not by a
		// restart policy. It loses restart, as Restart=no alone does.
		{"a unit that starts itself again from ExecStopPost", func(t *testing.T, dir string) {
			write(t, dir, "mydaemon.c", readFile(t, lab04src))
			write(t, dir, "mydaemon.service", strings.Replace(restartNo, "Restart=no",
				"Restart=no\nExecStopPost=/bin/sh -c \"[ \\\"$$SERVICE_RESULT\\\" = signal ] && exec /usr/bin/systemctl --no-block start mydaemon.service; exit 0\"", 1))
		}, Graded, []string{"restart"}, "", nil},
		{"a unit that links to a host file", func(t *testing.T, dir string) {
			write(t, dir, "mydaemon.c", readFile(t, lab04src))
			require.NoError(t, os.Symlink(secret, filepath.Join(dir, "mydaemon.service")))
		}, Ungradable, nil, "mydaemon.service is a symbolic link", nil},
		{"a source that links to a host file", func(t *testing.T, dir string) {
			write(t, dir, "mydaemon.service", unit)
			require.NoError(t, os.Symlink(secret, filepath.Join(dir, "mydaemon.c")))
		}, Ungradable, nil, "mydaemon.c is a symbolic link", nil},
		{"a go.mod that links to a host file", func(t *testing.T, dir string) {
			write(t, dir, "mydaemon.service", unit)
			write(t, dir, "main.go", "package main\nfunc main() {}\n")
			require.NoError(t, os.Symlink(secret, filepath.Join(dir, "go.mod")))
		}, Ungradable, nil, "go.mod is a symbolic link", nil},
		{"a unit that is a FIFO", func(t *testing.T, dir string) {
			write(t, dir, "mydaemon.c", readFile(t, lab04src))
			require.NoError(t, syscall.Mkfifo(filepath.Join(dir, "mydaemon.service"), 0o644))
		}, Ungradable, nil, "mydaemon.service is a FIFO", nil},
		{"a unit that links to /dev/zero", func(t *testing.T, dir string) {
			write(t, dir, "mydaemon.c", readFile(t, lab04src))
			require.NoError(t, os.Symlink("/dev/zero", filepath.Join(dir, "mydaemon.service")))
		}, Ungradable, nil, "symbolic link", nil},
		{"a huge sparse file", func(t *testing.T, dir string) {
			write(t, dir, "mydaemon.c", readFile(t, lab04src))
			write(t, dir, "mydaemon.service", unit)
			f, err := os.Create(filepath.Join(dir, "data.bin"))
			require.NoError(t, err)
			require.NoError(t, f.Truncate(1<<30))
			f.Close()
		}, Ungradable, nil, "larger than 20 MB", nil},
		{"many files", func(t *testing.T, dir string) {
			write(t, dir, "mydaemon.c", readFile(t, lab04src))
			write(t, dir, "mydaemon.service", unit)
			for i := range 3000 {
				write(t, dir, "junk/f"+strconv.Itoa(i), "x")
			}
		}, Ungradable, nil, "more than 2000 files", nil},
		{"a Go module that replaces a dependency with a host path", func(t *testing.T, dir string) {
			// A module on the host that would compile the secret in.
			host := t.TempDir()
			write(t, host, "go.mod", "module example.com/x\n\ngo 1.22\n")
			write(t, host, "x.go", "package x\n\nconst S = "+strconv.Quote(token)+"\n")
			write(t, dir, "mydaemon.service", unit)
			write(t, dir, "go.mod", "module sub\n\ngo 1.22\n\nrequire example.com/x v0.0.0\n\nreplace example.com/x => "+host+"\n")
			write(t, dir, "main.go", "package main\n\nimport (\n\t\"fmt\"\n\t\"example.com/x\"\n)\n\nfunc main() { fmt.Println(x.S) }\n")
		}, Ungradable, nil, "the build failed", nil},
		{"a Go module that asks for a toolchain to download", func(t *testing.T, dir string) {
			write(t, dir, "mydaemon.service", unit)
			write(t, dir, "go.mod", "module sub\n\ngo 1.99.0\n\ntoolchain go1.99.0\n")
			write(t, dir, "main.go", "package main\n\nfunc main() {}\n")
		}, Ungradable, nil, "GOTOOLCHAIN=local", nil},
		// The disk is filled once, at the first start: a restart (kill -9)
		// that filled it again ran the dd's before main, with SIGHUP still
		// at its default, and a reload sent then killed it (seen once in CI).
		{"a daemon that fills the disk", func(t *testing.T, dir string) {
			write(t, dir, "mydaemon.c", withPrelude(t, shell("[ -e /root/fill ] || (dd if=/dev/zero of=/var/tmp/fill bs=1M count=4096; dd if=/dev/zero of=/tmp/fill bs=1M count=4096; dd if=/dev/zero of=/root/fill bs=1M count=4096) >/dev/null 2>&1")))
			write(t, dir, "mydaemon.service", unit)
		}, Graded, []string{}, "", nil},
		{"a daemon that writes the host's cgroup tree", func(t *testing.T, dir string) {
			write(t, dir, "mydaemon.c", withPrelude(t, shell("mkdir /sys/fs/cgroup/systemd/"+escapeDir+"; mkdir /sys/fs/cgroup/systemd/../systemd/"+escapeDir+"2; for c in pids memory cpu,cpuacct; do echo $$ > /sys/fs/cgroup/$c/cgroup.procs; done; true")))
			write(t, dir, "mydaemon.service", unit)
		}, Graded, []string{}, "", nil},
	}
	cgroupRoot, cgErr := namedSystemdRoot()
	var cgBefore []string
	if cgErr == nil {
		cgBefore = topLevel(t, cgroupRoot)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			tt.make(t, dir)
			freeBefore := freeDisk(t)
			start := time.Now()
			lab, _ := labs.Load("04")
			r, outcome := grade(t, "04", dir, nil)
			took := time.Since(start)
			assert.Less(t, took, lab.Deadlines.Total.Duration, "a complete result within the lab's deadline")
			assert.Equal(t, tt.outcome, outcome, explain(r))
			assert.Len(t, r.Checks, len(lab.Checks), "the result is complete")
			switch {
			case tt.atLeast != nil:
				assert.Subset(t, lost(r), tt.atLeast, explain(r))
			case tt.outcome == Ungradable:
				for _, c := range r.Checks {
					assert.Zero(t, *c.Points, c.ID)
				}
			default:
				want := append([]string{}, tt.lost...)
				sort.Strings(want)
				assert.Equal(t, want, lost(r), explain(r))
			}
			for _, c := range r.Checks {
				if c.Status == report.Pass {
					assert.NotEmpty(t, c.Observed, "%s passed with nothing observed: a forged result", c.ID)
				}
			}
			out, err := json.Marshal(r)
			require.NoError(t, err)
			assert.NotContains(t, string(out), token, "no host byte in the result")
			assert.NotContains(t, string(out), "HOST-SECRET")
			if tt.says != "" {
				assert.Contains(t, string(out), tt.says)
			}
			// The host's disk did not grow with what the submission wrote.
			assert.Less(t, freeBefore-freeDisk(t), int64(200<<20), "host disk growth")
		})
	}
	t.Cleanup(func() {
		if cgErr != nil {
			return
		}
		assert.Equal(t, cgBefore, topLevel(t, cgroupRoot), "the host's cgroup tree is as it was")
		out, _ := exec.Command("find", cgroupRoot, "-name", escapeDir+"*").Output()
		assert.Empty(t, strings.TrimSpace(string(out)), "no directory made inside a container is left in the host's cgroup tree")
		// The grader's memory stayed bounded through every attack.
		assert.Less(t, peakRSS(t), int64(300<<20), "grader peak RSS")
	})
}

// escapeDir is the cgroup a hostile daemon makes, unique to this run.
var escapeDir = "daemonlab-escape-" + strconv.FormatInt(time.Now().UnixNano(), 36)

func write(t *testing.T, dir, name, content string) {
	t.Helper()
	p := filepath.Join(dir, name)
	require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
	require.NoError(t, os.WriteFile(p, []byte(content), 0o644))
}

// freeDisk is the free space of the engine's data root.
func freeDisk(t *testing.T) int64 {
	t.Helper()
	var st syscall.Statfs_t
	require.NoError(t, syscall.Statfs("/var/lib/docker", &st))
	return int64(st.Bavail) * st.Bsize
}

func namedSystemdRoot() (string, error) {
	data, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return "", err
	}
	for _, line := range strings.Split(string(data), "\n") {
		if strings.Contains(line, " - cgroup ") && strings.Contains(line, "name=systemd") {
			return strings.Fields(line)[4], nil
		}
	}
	return "", os.ErrNotExist
}

func topLevel(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

// peakRSS is this process's peak resident set (VmHWM).
func peakRSS(t *testing.T) int64 {
	t.Helper()
	data, err := os.ReadFile("/proc/self/status")
	require.NoError(t, err)
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kb << 10
		}
	}
	return 0
}

// TestGoSubmission: a Go submission builds in its own container with its
// own cache and scores full marks; nothing is built on the host (an empty
// host build cache stays empty).
func TestGoSubmission(t *testing.T) {
	requireEngine(t)
	cache := t.TempDir()
	t.Setenv("GOCACHE", cache)
	dir := t.TempDir()
	write(t, dir, "mydaemon.service", readFile(t, lab04unit))
	write(t, dir, "go.mod", "module mydaemon\n\ngo 1.22\n")
	write(t, dir, "main.go", goLab04)
	r, outcome := grade(t, "04", dir, func(l *labs.Spec) { l.Deadlines.Build.Duration = 3 * time.Minute })
	assert.Equal(t, Graded, outcome, explain(r))
	assert.Empty(t, lost(r), explain(r))
	assert.Zero(t, dirSize(t, cache), "nothing was built on the host")
}

func dirSize(t *testing.T, dir string) int64 {
	t.Helper()
	var n int64
	_ = filepath.Walk(dir, func(_ string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() {
			n += info.Size()
		}
		return nil
	})
	return n
}

// goLab04 is a lab 04 daemon in Go: foreground, SIGHUP reloads, SIGTERM
// exits 0.
const goLab04 = `package main

import (
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGHUP, syscall.SIGTERM)
	fmt.Fprintf(os.Stderr, "mydaemon: started, pid %d\n", os.Getpid())
	reloads := 0
	for s := range sigs {
		if s == syscall.SIGTERM {
			fmt.Fprintln(os.Stderr, "mydaemon: stopping")
			os.Exit(0)
		}
		reloads++
		fmt.Fprintf(os.Stderr, "mydaemon: reloaded (%d)\n", reloads)
	}
}
`
