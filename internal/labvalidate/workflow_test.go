package labvalidate

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/daemonlab/daemonlab/containers"
	"github.com/daemonlab/daemonlab/internal/cmdutil"
	"github.com/daemonlab/daemonlab/internal/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// cli is the real pair of binaries.
type cli struct {
	t   *testing.T
	bin string
	env []string
}

func buildCLI(t *testing.T) *cli {
	t.Helper()
	testutil.RequireContainers(t, containers.EngineAvailable)
	_, _, err := containers.EnsureImage(context.Background(), os.Stderr)
	require.NoError(t, err)
	bin := testutil.BuildCLI(t)
	env := []string{"TESTCONTAINERS_RYUK_DISABLED=true"}
	for _, e := range os.Environ() {
		if !strings.HasPrefix(e, "DAEMONLAB_LABS_DIR=") {
			env = append(env, e)
		}
	}
	return &cli{t: t, bin: bin, env: env}
}

// run runs daemonlab in dir and returns stdout, stderr and the exit code.
func (c *cli) run(dir string, env []string, args ...string) (string, string, int) {
	c.t.Helper()
	cmd := exec.Command(c.bin, args...)
	cmd.Dir, cmd.Env = dir, append(append([]string{}, c.env...), env...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	code := 0
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		code = exit.ExitCode()
	} else {
		require.NoError(c.t, err)
	}
	c.t.Logf("daemonlab %s: exit %d\n%s%s", strings.Join(args, " "), code, out.String(), lastLines(errOut.String(), 3))
	return out.String(), errOut.String(), code
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n") + "\n"
}

type result struct {
	Score    *float64 `json:"score"`
	MaxScore *float64 `json:"max_score"`
	Checks   []struct {
		ID        string   `json:"id"`
		Points    *float64 `json:"points"`
		MaxPoints *float64 `json:"max_points"`
	} `json:"checks"`
}

func readResult(t *testing.T, p string) result {
	t.Helper()
	data, err := os.ReadFile(p)
	require.NoError(t, err)
	var r result
	require.NoError(t, json.Unmarshal(data, &r))
	require.NotNil(t, r.Score)
	require.NotNil(t, r.MaxScore)
	return r
}

func copyDir(t *testing.T, from, to string) {
	t.Helper()
	require.NoError(t, copyTree(from, to))
}

// TestStudentWorkflow: labs get 04 into an empty folder, then grade there
// with no arguments: the starter loses points, the reference copied over
// it scores full marks.
func TestStudentWorkflow(t *testing.T) {
	c := buildCLI(t)
	work := t.TempDir()
	out, _, code := c.run(work, nil, "labs", "get", "04")
	require.Equal(t, 0, code)
	assert.Contains(t, out, "daemonlab grade")
	assert.Contains(t, out, "systemd-analyze verify ./mydaemon.service")
	folder := filepath.Join(work, "lab-04")
	for _, f := range []string{".daemonlab-lab", "README.md", "mydaemon.c", "mydaemon.service"} {
		assert.FileExists(t, filepath.Join(folder, f))
	}
	_, errOut, code := c.run(work, nil, "labs", "get", "04")
	assert.Equal(t, cmdutil.ExitBadInput, code, "refuses to overwrite")
	assert.Equal(t, 1, strings.Count(errOut, "\n"), errOut)
	assert.Contains(t, errOut, "would overwrite")

	res := filepath.Join(t.TempDir(), "starter.json")
	_, _, code = c.run(folder, nil, "grade", "--json", res)
	assert.Equal(t, cmdutil.ExitFailed, code, "the starter does not score full marks")
	r := readResult(t, res)
	assert.Less(t, *r.Score, *r.MaxScore)

	copyDir(t, filepath.Join(repoRoot, "labs", "04-systemd-service", "reference"), folder)
	res = filepath.Join(t.TempDir(), "reference.json")
	_, _, code = c.run(folder, nil, "grade", "--json", res)
	assert.Equal(t, 0, code)
	r = readResult(t, res)
	assert.Equal(t, *r.MaxScore, *r.Score)
	assert.Equal(t, 100.0, *r.MaxScore)
}

// TestTeacherWorkflow: a teacher's copy of lab 04 with changed points in
// a --labs-dir: labs shows them, the grade uses them, labs validate proves
// it (exit 0), and a wrong expect.yaml fails it, naming variant and check.
func TestTeacherWorkflow(t *testing.T) {
	c := buildCLI(t)
	labsDir := t.TempDir()
	mine := filepath.Join(labsDir, "04-mine")
	src := filepath.Join(repoRoot, "labs", "04-systemd-service")
	for _, sub := range []string{"starter", "reference", "broken/restart-no"} {
		copyDir(t, filepath.Join(src, sub), filepath.Join(mine, sub))
	}
	require.NoError(t, os.WriteFile(filepath.Join(mine, "broken", "restart-no", ExpectFile), []byte("lose: [restart]\n"), 0o644))
	copyDir(t, filepath.Join(src, "README.md"), filepath.Join(mine, "README.md"))
	spec, err := os.ReadFile(filepath.Join(src, "lab.yaml"))
	require.NoError(t, err)
	changed := strings.Replace(string(spec), "{id: restart, points: 15}", "{id: restart, points: 40}", 1)
	changed = strings.Replace(changed, "{id: no-tty, points: 2, hidden: true}", "{id: no-tty, points: 2}", 1)
	require.NotEqual(t, string(spec), changed)
	require.NoError(t, os.WriteFile(filepath.Join(mine, "lab.yaml"), []byte(changed+"max_score: 125\n"), 0o644))

	out, _, code := c.run(labsDir, nil, "--labs-dir", labsDir, "labs")
	require.Equal(t, 0, code)
	var line04 string
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, "04 ") {
			line04 = l
		}
	}
	assert.Contains(t, line04, "125 points")
	assert.Contains(t, line04, labsDir+" (overrides the bundled lab)")
	assert.Regexp(t, `05 .*bundled`, out)
	out, _, _ = c.run(labsDir, []string{"DAEMONLAB_LABS_DIR=" + labsDir}, "labs", "04")
	assert.Regexp(t, `restart +40`, out)
	assert.Regexp(t, `no-tty +2`, out, "made visible in the teacher's copy")

	res := filepath.Join(t.TempDir(), "r.json")
	_, _, code = c.run(labsDir, nil, "grade", "--labs-dir", labsDir, "--lab", "04", filepath.Join(mine, "reference"), "--json", res)
	assert.Equal(t, 0, code)
	r := readResult(t, res)
	assert.Equal(t, 125.0, *r.MaxScore)
	assert.Equal(t, 125.0, *r.Score)
	for _, ch := range r.Checks {
		if ch.ID == "restart" {
			assert.Equal(t, 40.0, *ch.MaxPoints)
		}
	}

	out, _, code = c.run(labsDir, nil, "labs", "validate", mine, "-j", "2")
	assert.Equal(t, 0, code)
	assert.Regexp(t, `reference +125/125 .* ok`, out)
	assert.Regexp(t, `broken/restart-no +85/125 +restart +ok, as declared`, out)

	require.NoError(t, os.WriteFile(filepath.Join(mine, "broken", "restart-no", ExpectFile), []byte("lose: [unit-syntax]\n"), 0o644))
	out, errOut, code := c.run(labsDir, nil, "labs", "validate", mine, "-j", "2")
	assert.Equal(t, cmdutil.ExitFailed, code)
	assert.Contains(t, out, "MISMATCH")
	assert.Regexp(t, `broken/restart-no: check restart lost but not expected \(fail: .*\); check unit-syntax expected lost but kept`, errOut)
}
