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

// breaks is the case of the textbook daemon built with flags (broken),
// which loses the points of the checks lost.
func breaks(name, flags string, lost ...string) labCase {
	return labCase{name, broken(flags), lost}
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

// runLabMatrix grades each case in a real lab container, and the Python
// and Go references, which every one of these labs takes: the references
// score full marks, each broken variant loses exactly its property.
func runLabMatrix(t *testing.T, lab string, cases []labCase) {
	t.Helper()
	requireEngine(t)
	cases = append(cases, labCase{"Python reference", py(pyRef), nil}, labCase{"Go reference", goRef(""), nil})
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
		breaks("C reference (double fork)", ""),
		breaks("parent stays", "-DBREAK_PARENT", "parent"),
		breaks("takes a terminal", "-DBREAK_TTY", "no-tty"),
		breaks("no setsid", "-DBREAK_SESSION", "session"),
		breaks("no chdir", "-DBREAK_CWD", "cwd"),
		breaks("no umask", "-DBREAK_UMASK", "umask"),
		breaks("stdio closed", "-DBREAK_STDIO", "stdio"),
		breaks("inherited fds kept", "-DBREAK_FDS", "fds"),
		breaks("mask kept", "-DBREAK_SIGMASK", "sigmask"),
		breaks("dispositions kept", "-DBREAK_SIGDISP", "sigdisp"),
		breaks("not ready on return", "-DBREAK_READY", "ready"),
	})
}

// TestLab02 is lab 02's mutation matrix (one instance).
func TestLab02(t *testing.T) {
	runLabMatrix(t, "02", []labCase{
		breaks("C reference", ""),
		breaks("world-writable pid file", "-DBREAK_PIDFILE", "pidfile"),
		breaks("lock on another file", "-DBREAK_LOCKFILE", "lock"),
		breaks("no lock (C)", "-DBREAK_LOCK", "lock", "single-instance"),
		{"no lock (Go)", goRef("lock"), []string{"lock", "single-instance"}},
		{"no lock (Python)", pyBroken(t, "lock"), []string{"lock", "single-instance"}},
		breaks("pid file existence means running", "-DBREAK_STALE", "stale-pidfile"),
		breaks("SIGTERM ignored in effect", "-DBREAK_SIGTERM", "sigterm"),
		breaks("pid file left behind", "-DBREAK_LEFTOVER", "sigterm"),
		{"pid file left behind (Go)", goRef("leftover"), []string{"sigterm"}},
	})
}

// TestLab03 is lab 03's mutation matrix (signals).
func TestLab03(t *testing.T) {
	runLabMatrix(t, "03", []labCase{
		breaks("C reference (a worker per reload)", "-DRELOAD_WORKER"),
		breaks("C without workers", ""),
		breaks("SIGHUP kills it", "-DBREAK_SIGHUP", "sighup"),
		{"SIGHUP kills it (Python)", pyBroken(t, "sighup"), []string{"sighup"}},
		breaks("workers never reaped", "-DBREAK_WORKERS", "workers"),
		breaks("SIGTERM does nothing", "-DRELOAD_WORKER -DBREAK_SIGTERM", "sigterm"),
		breaks("pid file left behind", "-DRELOAD_WORKER -DBREAK_LEFTOVER", "sigterm"),
		{"pid file left behind (Python)", pyBroken(t, "leftover"), []string{"sigterm"}},
	})
}
