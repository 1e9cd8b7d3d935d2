package conformance

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"testing"

	"github.com/daemonlab/daemonlab/internal/testutil"

	"github.com/daemonlab/daemonlab/checker"
	"github.com/daemonlab/daemonlab/checker/launch"
	"github.com/daemonlab/daemonlab/checker/probe"
	"github.com/daemonlab/daemonlab/report"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// program is one daemon to launch: its path and its arguments given the
// work directory.
type program struct {
	name string
	path string
	// extra flags for the daemon and the checker's profile
	args    []string
	profile func(*checker.Profile)
	// wantFail is the exact set of checks that must fail.
	wantFail []string
}

func cRef(name string) string  { return filepath.Join(repoRoot, "reference/c/bin", name) }
func goRef(name string) string { return filepath.Join(repoRoot, "reference/go/bin", name) }
func pyRef(name string) string { return filepath.Join(repoRoot, "reference/python", name) }

// launchCheck runs the whole launch-mode check the way the CLI does and
// returns the report; the session is closed (everything killed) before it
// returns.
func launchCheck(t *testing.T, p program) *report.Report {
	t.Helper()
	testutil.SkipShort(t, "no real daemons")
	dir := workDir(t)
	if slices.Contains(p.args, "-u") {
		// the daemon writes its state file after dropping privileges
		require.NoError(t, os.Chmod(dir, 0o1777))
	}
	pidfile := filepath.Join(dir, "daemon.pid")
	conf := filepath.Join(dir, "daemon.conf")
	state := filepath.Join(dir, "daemon.state")
	require.NoError(t, os.WriteFile(conf, []byte("greeting=hello\n"), 0o644))
	args := append([]string{"-p", pidfile, "-c", conf, "-s", state}, p.args...)

	cfg := launch.DefaultConfig(p.path, args)
	sess, err := launch.NewSession(cfg)
	require.NoError(t, err)
	defer func() { require.NoError(t, sess.Close()) }()

	prof := checker.DefaultProfile()
	prof.PIDFile = pidfile
	if p.profile != nil {
		p.profile(&prof)
	}
	opts := probe.DefaultOptions()
	opts.Reload = probe.Reload{TouchFile: conf, TouchText: "greeting=reloaded\n", ExpectFile: state, ExpectText: "greeting=reloaded"}
	return probe.LaunchCheck(context.Background(), sess, sess.Proc(), prof, opts)
}

func failing(r *report.Report) []string {
	var ids []string
	for _, c := range r.Checks {
		if c.Status == report.Fail || c.Status == report.Error {
			ids = append(ids, c.ID)
		}
	}
	sort.Strings(ids)
	return ids
}

func describe(r *report.Report) string {
	s := ""
	for _, c := range r.Checks {
		if c.Status != report.Pass {
			s += "\n  " + string(c.Status) + " " + c.ID + ": " + c.Observed
		}
	}
	return s
}

func TestLaunchModeMatrix(t *testing.T) {
	nobody := func(p *checker.Profile) { p.Privileges.User = "nobody" }
	var programs []program
	for _, ref := range []string{cRef("refdaemon"), goRef("refdaemon-go"), pyRef("refdaemon.py")} {
		programs = append(programs, program{name: filepath.Base(ref), path: ref})
	}
	programs = append(programs, program{name: "refdaemon as nobody", path: cRef("refdaemon"), args: []string{"-u", "nobody"}, profile: nobody})
	for v, want := range map[string][]string{
		"parent": {"parent"}, "tty": {"no-tty"}, "session": {"session"}, "cwd": {"cwd"},
		"umask": {"umask"}, "stdio": {"stdio"}, "devnull": {"fds"}, "fds": {"fds"},
		"sigmask": {"sigmask"}, "sigdisp": {"sigdisp"}, "pidfile": {"pidfile"},
		// the static lock check and the behavioural probe judge the same property
		"lock":   {"lock", "single-instance"},
		"sighup": {"sighup"}, "sigterm": {"sigterm"},
		"leftover": {"sigterm"}, "ready": {"ready"},
	} {
		programs = append(programs, program{name: "c/broken-" + v, path: cRef("broken-" + v), wantFail: want})
	}
	// /proc/PID/environ shows only the exec-time environment: by default a
	// canary still there is advice (the daemon may have cleared it in
	// process); a lab that asks for an exec-clean environment fails it.
	execClean := func(p *checker.Profile) { p.Env = checker.SevFail }
	programs = append(programs,
		program{name: "c/broken-env", path: cRef("broken-env")},
		program{name: "c/broken-env, exec-clean required", path: cRef("broken-env"), profile: execClean, wantFail: []string{"env"}})
	programs = append(programs, program{name: "c/broken-privileges", path: cRef("broken-privileges"), args: []string{"-u", "nobody"}, profile: nobody, wantFail: []string{"privileges"}})
	for v, want := range map[string][]string{
		"lock": {"lock", "single-instance"}, "sighup": {"sighup"}, "sigterm": {"sigterm"},
		"leftover": {"sigterm"}, "ready": {"ready"},
	} {
		programs = append(programs,
			program{name: "go/broken-" + v, path: goRef("broken-go-" + v), wantFail: want},
			program{name: "python/broken-" + v, path: pyRef("broken-py-" + v + ".py"), wantFail: want})
	}
	sort.Slice(programs, func(i, j int) bool { return programs[i].name < programs[j].name })
	for _, p := range programs {
		t.Run(p.name, func(t *testing.T) {
			r := launchCheck(t, p)
			want := append([]string(nil), p.wantFail...)
			sort.Strings(want)
			if want == nil {
				want = []string{}
			}
			got := failing(r)
			if got == nil {
				got = []string{}
			}
			assert.Equal(t, want, got, "failing checks of %s:%s", p.name, describe(r))
		})
	}
}

// TestSIGHUPHandledByExiting: a daemon that takes SIGHUP and exits 0 (as
// sshd re-executes itself and daemonises again under a new pid) fails
// sighup, with a hint about keeping the process, not about a missing
// handler.
func TestSIGHUPHandledByExiting(t *testing.T) {
	r := launchCheck(t, program{name: "python/broken-hupexit", path: pyRef("broken-py-hupexit.py")})
	var got report.Check
	for _, c := range r.Checks {
		if c.ID == "sighup" {
			got = c
		}
	}
	assert.Equal(t, report.Fail, got.Status, describe(r))
	assert.Contains(t, got.Observed, "exit status 0")
	assert.Contains(t, got.Hint, "handled SIGHUP by exiting")
	assert.NotContains(t, got.Hint, "default action")
}
