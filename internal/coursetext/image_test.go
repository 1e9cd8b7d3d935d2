package coursetext

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"path"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/daemonlab/daemonlab/internal/testutil"

	"github.com/daemonlab/daemonlab/containers"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The examples of course.md are checked by the programs that would read
// them, in daemonlab's systemd image: systemd-analyze verify for unit
// files, xinetd for xinetd files. Without a Docker engine these tests skip,
// unless DAEMONLAB_REQUIRE_DOCKER=1, which makes "no engine" a failure.

const sessionKey = "org.daemonlab.coursetext-test"

var sessionLabel = strconv.FormatInt(time.Now().UnixNano(), 36)

func TestMain(m *testing.M) {
	os.Setenv("TESTCONTAINERS_RYUK_DISABLED", "true") // no reaper image offline; we clean up ourselves
	code := m.Run()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if containers.EngineAvailable(ctx) == nil {
		ids, err := containers.ListLabelled(ctx, map[string]string{sessionKey: sessionLabel})
		if err != nil || len(ids) > 0 {
			fmt.Fprintf(os.Stderr, "FAIL: containers left behind: %v %v\n", ids, err)
			code = 1
		}
	}
	os.Exit(code)
}

type tWriter struct{ t *testing.T }

func (w tWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// systemdImage starts one fresh container of the systemd image and removes
// it when the test ends.
func systemdImage(t *testing.T) *containers.Container {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := containers.EngineAvailable(ctx)
	if err != nil && !errors.Is(err, containers.ErrNoEngine) {
		t.Errorf("EngineAvailable: %v", err)
	}
	testutil.RequireEngine(t, err)
	tag, _, err := containers.EnsureImage(context.Background(), tWriter{t})
	require.NoError(t, err)
	// The examples install programs in /usr/local/sbin too: writable here.
	writable := maps.Clone(containers.SystemdWritable)
	writable["/usr/local/sbin"] = "size=16m,mode=0755"
	c, err := containers.Start(context.Background(), containers.Options{
		Image: tag, Labels: map[string]string{sessionKey: sessionLabel}, MaxLifetime: 3 * time.Minute, Writable: writable,
	})
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, c.Terminate(context.Background())) })
	return c
}

func run(t *testing.T, c *containers.Container, script string) containers.ExecResult {
	t.Helper()
	res, err := c.Exec(context.Background(), []string{"/bin/sh", "-c", script}, containers.WithTimeout(60*time.Second))
	require.NoError(t, err, script)
	return res
}

// programsOf returns the absolute program paths a unit or xinetd file
// starts: the first word of every Exec*= value (after systemd's @-:+!
// prefixes), and xinetd's server = value.
func programsOf(text string) []string {
	var out []string
	for _, l := range strings.Split(text, "\n") {
		k, v, ok := strings.Cut(l, "=")
		if !ok {
			continue
		}
		k = strings.TrimSpace(k)
		if !strings.HasPrefix(k, "Exec") && k != "server" {
			continue
		}
		f := strings.Fields(strings.TrimLeft(strings.TrimSpace(v), "@-:+!"))
		if len(f) > 0 && strings.HasPrefix(f[0], "/") {
			out = append(out, f[0])
		}
	}
	return out
}

// stubPrograms makes every program the examples start exist in the
// container. The examples start programs of the reader's own
// (/usr/local/bin/mydaemon); verify reports "Command ... is not executable"
// for a missing one, which says nothing about the unit file. A program the
// image already has (/bin/kill) is left alone.
func stubPrograms(t *testing.T, c *containers.Container, texts ...string) {
	t.Helper()
	var script strings.Builder
	for _, text := range texts {
		for _, p := range programsOf(text) {
			fmt.Fprintf(&script, "test -e %[1]s || { mkdir -p %[2]s && printf '#!/bin/sh\\nexit 0\\n' > %[1]s && chmod 755 %[1]s; } || echo 'no stub for %[1]s (read-only)'\n", p, path.Dir(p))
		}
	}
	if script.Len() > 0 {
		// A program on the read-only root (/usr/sbin) gets no stub: verify
		// then reports it, which a unit not marked broken must not cause.
		res := run(t, c, script.String())
		require.Zero(t, res.ExitCode, res.Output)
		if strings.TrimSpace(res.Output) != "" {
			t.Log(strings.TrimSpace(res.Output))
		}
	}
}

// userUnitDir is where a unit marked scope=user is installed: root's own
// user manager directory, verified with systemd-analyze --user.
const userUnitDir = "/root/.config/systemd/user/"

// unitPath is where the example's unit goes in the container.
func unitPath(b Block) string {
	if b.Attrs["scope"] == "user" {
		return userUnitDir + b.Attrs["unit"]
	}
	return "/etc/systemd/system/" + b.Attrs["unit"]
}

// verifyUnits installs the units at their paths (system units in
// /etc/systemd/system, so they find each other: a timer its service, a
// socket its template) and returns, per path, the problem lines of
// `systemd-analyze verify` (--user for a user unit, which needs a runtime
// directory).
func verifyUnits(t *testing.T, c *containers.Container, units map[string]string) map[string][]string {
	t.Helper()
	var texts []string
	for p, text := range units {
		require.NoError(t, c.WriteFile(context.Background(), p, []byte(text), 0o644))
		texts = append(texts, text)
	}
	stubPrograms(t, c, texts...)
	out := map[string][]string{}
	for p := range units {
		cmd := "systemd-analyze verify " + p + " 2>&1"
		if strings.HasPrefix(p, userUnitDir) {
			cmd = "mkdir -p -m 700 /tmp/xdg && XDG_RUNTIME_DIR=/tmp/xdg systemd-analyze --user verify " + p + " 2>&1"
		}
		res := run(t, c, cmd)
		out[p] = VerifyProblems(res.Output)
		t.Logf("verify %s: exit %d, %d problem line(s)", p, res.ExitCode, len(out[p]))
	}
	return out
}

// parseXinetd has xinetd read a configuration that includes just one file
// (as /etc/xinetd.d would) and returns its problem lines and whether it
// printed the service's configuration, i.e. parsed it. xinetd -d writes its
// debug log only to a terminal, hence script(1); it is stopped after 3 s.
func parseXinetd(t *testing.T, c *containers.Container, name, text string) (problems []string, parsed bool) {
	t.Helper()
	dir := "/tmp/xinetd-" + name
	require.NoError(t, c.WriteFile(context.Background(), dir+"/d/"+name, []byte(text), 0o644))
	require.NoError(t, c.WriteFile(context.Background(), dir+"/xinetd.conf", []byte("defaults\n{\n}\nincludedir "+dir+"/d\n"), 0o644))
	stubPrograms(t, c, text)
	res := run(t, c, "timeout -s INT 3 script -qec 'xinetd -d -dontfork -f "+dir+"/xinetd.conf' /dev/null 2>&1")
	return XinetdProblems(res.Output), strings.Contains(res.Output, "Service configuration: ")
}

// The timer of issue 12 item 1, comments after values: systemd ignores both
// settings. verify must say so, or the verifier proves nothing.
const trailingCommentTimer = `[Unit]
Description=Nightly cleanup

[Timer]
OnCalendar=*-*-* 02:30:00
Persistent=true            # run at boot if the machine was off at 02:30
AccuracySec=1s             # default 1min

[Install]
WantedBy=timers.target
`

// Item 2: a comment after an xinetd value.
const trailingCommentXinetd = `service proofdaytime
{
    type        = UNLISTED          # not in /etc/services, so port is required
    port        = 13014
    socket_type = stream
    protocol    = tcp
    wait        = no
    user        = nobody
    server      = /usr/local/bin/proofdaytime
    disable     = no
}
`

func TestExamplesInTheSystemdImage(t *testing.T) {
	blocks := Blocks(course(t))
	c := systemdImage(t)

	t.Run("the verifier catches a trailing comment", func(t *testing.T) {
		p := verifyUnits(t, c, map[string]string{
			"/etc/systemd/system/proofcleanup.timer":   trailingCommentTimer,
			"/etc/systemd/system/proofcleanup.service": "[Service]\nType=oneshot\nExecStart=/usr/local/bin/proofcleanup\n",
			userUnitDir + "proofuser.service":          "[Service]\nExecStart=/bin/true\nPersistent=true\n",
		})
		joined := strings.Join(p["/etc/systemd/system/proofcleanup.timer"], "\n")
		assert.Contains(t, joined, "Failed to parse boolean value, ignoring")
		assert.Contains(t, joined, "Failed to parse sec value, ignoring")
		assert.Empty(t, p["/etc/systemd/system/proofcleanup.service"])
		assert.Contains(t, strings.Join(p[userUnitDir+"proofuser.service"], "\n"), "Unknown key 'Persistent'", "user units are verified too")
	})

	t.Run("xinetd catches a trailing comment", func(t *testing.T) {
		problems, parsed := parseXinetd(t, c, "proofdaytime", trailingCommentXinetd)
		assert.True(t, parsed)
		assert.Contains(t, strings.Join(problems, "\n"), "Bad service type: #")
	})

	t.Run("units", func(t *testing.T) {
		units := map[string]string{}
		block := map[string]Block{}
		for _, b := range blocks {
			if b.Lang == "ini" {
				units[unitPath(b)] = b.Text
				block[unitPath(b)] = b
			}
		}
		require.NotEmpty(t, units)
		for p, problems := range verifyUnits(t, c, units) {
			b := block[p]
			if b.Has("broken") {
				assert.NotEmpty(t, problems, "course.md:%d: %s is shown as broken, but verify finds nothing wrong", b.Line, p)
				continue
			}
			assert.Empty(t, problems, "course.md:%d: %s", b.Line, p)
		}
		t.Logf("%d unit files verified", len(units))
	})

	t.Run("xinetd files", func(t *testing.T) {
		n := 0
		for _, b := range blocks {
			if b.Lang != "xinetd" {
				continue
			}
			n++
			name := b.Attrs["file"]
			require.NotContains(t, name, ".", "xinetd's includedir skips names with a dot")
			problems, parsed := parseXinetd(t, c, name, b.Text)
			assert.True(t, parsed, "course.md:%d: xinetd did not parse %s", b.Line, name)
			assert.Empty(t, problems, "course.md:%d: %s", b.Line, name)
		}
		assert.NotZero(t, n)
		t.Logf("%d xinetd files parsed", n)
	})
}
