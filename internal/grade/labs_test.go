package grade

import (
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/daemonlab/daemonlab/labs"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const pyRef = "reference/python/refdaemon.py"

// broken builds the textbook daemon with one -DBREAK_<X> (or other
// compile-time knobs).
func broken(flags string) sub {
	return sub{source: textbook, makefile: fmt.Sprintf(cflags, flags)}
}

// py hands in a Python daemon as mydaemon.py.
func py(path string) sub {
	return sub{extraFrom: map[string]string{"mydaemon.py": path}}
}

// goRef hands in the Go reference as a module (standard library only).
// A broken variant ("lock", "sighup", ...) is selected by a second file
// that sets main.breakMode.
func goRef(mode string) sub {
	s := sub{extraFrom: map[string]string{"main.go": "reference/go/main.go"}, extra: map[string]string{"go.mod": "module mydaemon\n\ngo 1.22\n"}}
	if mode != "" {
		s.extra["brk.go"] = "package main\n\nfunc init() { breakMode = \"" + mode + "\" }\n"
	}
	return s
}

// pyBroken hands in the Python reference with a break mode.
func pyBroken(t *testing.T, mode string) sub {
	t.Helper()
	src := readFile(t, pyRef)
	require.True(t, strings.HasSuffix(src, "    main()\n"))
	return sub{extra: map[string]string{"mydaemon.py": strings.TrimSuffix(src, "main()\n") + "main(break_mode=\"" + mode + "\")\n"}}
}

type labCase struct {
	name string
	sub  sub
	lost []string
}

// runLabMatrix grades each case in a real lab container: the reference
// scores full marks, each broken variant loses exactly its property.
func runLabMatrix(t *testing.T, lab string, cases []labCase) {
	t.Helper()
	requireEngine(t)
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			r, outcome := grade(t, lab, tt.sub.build(t), func(l *labs.Spec) { l.Deadlines.Build.Duration = 3 * time.Minute })
			assert.Equal(t, Graded, outcome, strings.Join(r.Errors, "; "))
			want := append([]string{}, tt.lost...)
			sort.Strings(want)
			assert.Equal(t, want, lost(r), explain(r))
		})
	}
}

// TestLab01 is lab 01's mutation matrix (fork off and die).
func TestLab01(t *testing.T) {
	runLabMatrix(t, "01", []labCase{
		{"C reference (double fork)", broken(""), nil},
		{"Python reference", py(pyRef), nil},
		{"Go reference", goRef(""), nil},
		{"parent stays", broken("-DBREAK_PARENT"), []string{"parent"}},
		{"takes a terminal", broken("-DBREAK_TTY"), []string{"no-tty"}},
		{"no setsid", broken("-DBREAK_SESSION"), []string{"session"}},
		{"no chdir", broken("-DBREAK_CWD"), []string{"cwd"}},
		{"no umask", broken("-DBREAK_UMASK"), []string{"umask"}},
		{"stdio closed", broken("-DBREAK_STDIO"), []string{"stdio"}},
		{"inherited fds kept", broken("-DBREAK_FDS"), []string{"fds"}},
		{"mask kept", broken("-DBREAK_SIGMASK"), []string{"sigmask"}},
		{"dispositions kept", broken("-DBREAK_SIGDISP"), []string{"sigdisp"}},
		{"not ready on return", broken("-DBREAK_READY"), []string{"ready"}},
	})
}

// TestLab02 is lab 02's mutation matrix (one instance).
func TestLab02(t *testing.T) {
	runLabMatrix(t, "02", []labCase{
		{"C reference", broken(""), nil},
		{"Python reference", py(pyRef), nil},
		{"Go reference", goRef(""), nil},
		{"world-writable pid file", broken("-DBREAK_PIDFILE"), []string{"pidfile"}},
		{"lock on another file", broken("-DBREAK_LOCKFILE"), []string{"lock"}},
		{"no lock (C)", broken("-DBREAK_LOCK"), []string{"lock", "single-instance"}},
		{"no lock (Go)", goRef("lock"), []string{"lock", "single-instance"}},
		{"no lock (Python)", pyBroken(t, "lock"), []string{"lock", "single-instance"}},
		{"pid file existence means running", broken("-DBREAK_STALE"), []string{"stale-pidfile"}},
		{"SIGTERM ignored in effect", broken("-DBREAK_SIGTERM"), []string{"sigterm"}},
		{"pid file left behind", broken("-DBREAK_LEFTOVER"), []string{"sigterm"}},
		{"pid file left behind (Go)", goRef("leftover"), []string{"sigterm"}},
	})
}

// TestLab03 is lab 03's mutation matrix (signals).
func TestLab03(t *testing.T) {
	runLabMatrix(t, "03", []labCase{
		{"C reference (a worker per reload)", broken("-DRELOAD_WORKER"), nil},
		{"C without workers", broken(""), nil},
		{"Python reference", py(pyRef), nil},
		{"Go reference", goRef(""), nil},
		{"SIGHUP kills it", broken("-DBREAK_SIGHUP"), []string{"sighup"}},
		{"SIGHUP kills it (Python)", pyBroken(t, "sighup"), []string{"sighup"}},
		{"workers never reaped", broken("-DBREAK_WORKERS"), []string{"workers"}},
		{"SIGTERM does nothing", broken("-DRELOAD_WORKER -DBREAK_SIGTERM"), []string{"sigterm"}},
		{"pid file left behind", broken("-DRELOAD_WORKER -DBREAK_LEFTOVER"), []string{"sigterm"}},
		{"pid file left behind (Python)", pyBroken(t, "leftover"), []string{"sigterm"}},
	})
}
