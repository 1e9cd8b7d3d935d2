package grade

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"testing"
	"time"

	"github.com/daemonlab/daemonlab/internal/testutil"

	"github.com/daemonlab/daemonlab/containers"
	"github.com/daemonlab/daemonlab/labs"
	"github.com/daemonlab/daemonlab/report"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var (
	repoRoot   = testutil.RepoRoot()
	checkerBin string
	image      string
	engineErr  error
	// sessionLabel marks this run's containers, for the leftover check.
	sessionLabel = strconv.FormatInt(time.Now().UnixNano(), 36)
)

const sessionKey = "org.daemonlab.grade-test"

func TestMain(m *testing.M) {
	os.Setenv("TESTCONTAINERS_RYUK_DISABLED", "true")
	ctx := context.Background()
	engineErr = containers.EngineAvailable(ctx)
	dir, err := os.MkdirTemp("", "daemonlab-grade-test-")
	if err != nil {
		panic(err)
	}
	code := run(ctx, m, dir)
	os.RemoveAll(dir) // os.Exit skips deferred calls
	os.Exit(code)
}

func run(ctx context.Context, m *testing.M, dir string) int {
	if engineErr == nil {
		checkerBin = filepath.Join(dir, "daemonlab")
		if err := testutil.BuildCmds(dir, "daemonlab"); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		var err error
		if image, _, err = containers.EnsureImage(ctx, os.Stderr); err != nil {
			fmt.Fprintf(os.Stderr, "systemd image: %v\n", err)
			return 1
		}
	}
	code := m.Run()
	if engineErr == nil {
		ids, err := containers.ListLabelled(ctx, map[string]string{sessionKey: sessionLabel})
		if err != nil || len(ids) > 0 {
			fmt.Fprintf(os.Stderr, "FAIL: containers left behind by the grader: %v %v\n", ids, err)
			code = 1
		}
	}
	return code
}

func requireEngine(t *testing.T) {
	t.Helper()
	testutil.RequireEngine(t, engineErr)
}

// submission assembles a submission directory from reference pieces.
type sub struct {
	source   string // copied as mydaemon.c
	unit     string // copied as mydaemon.service
	makefile string // optional Makefile content
	extra    map[string]string
	// extraFrom copies reference files into the submission: name -> path.
	extraFrom map[string]string
}

func (s sub) build(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	cp := func(from, to string) {
		data, err := os.ReadFile(filepath.Join(repoRoot, from))
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(dir, to), data, 0o644))
	}
	if s.source != "" {
		cp(s.source, "mydaemon.c")
	}
	if s.unit != "" {
		cp(s.unit, "mydaemon.service")
	}
	if s.makefile != "" {
		require.NoError(t, os.WriteFile(filepath.Join(dir, "Makefile"), []byte(s.makefile), 0o644))
	}
	for name, from := range s.extraFrom {
		cp(from, name)
	}
	for name, content := range s.extra {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644))
	}
	return dir
}

func grade(t *testing.T, labID string, dir string, tune func(*labs.Spec)) (*report.Report, Outcome) {
	t.Helper()
	lab, err := labs.Load(labID)
	require.NoError(t, err)
	if tune != nil {
		tune(lab)
	}
	r, outcome, err := Grade(context.Background(), Options{
		Lab: lab, Submission: dir, Checker: checkerBin, Image: image,
		Container: containers.Options{Labels: map[string]string{sessionKey: sessionLabel}},
	})
	require.NoError(t, err)
	require.NotNil(t, r)
	t.Logf("lab %s: score %v/%v, timings %v", labID, deref(r.Score), deref(r.MaxScore), r.Timings)
	return r, outcome
}

func deref(p *float64) any {
	if p == nil {
		return nil
	}
	return *p
}

// lost lists the checks that earned less than their points.
func lost(r *report.Report) []string {
	out := []string{}
	for _, c := range r.Checks {
		if *c.Points < *c.MaxPoints {
			out = append(out, c.ID)
		}
	}
	sort.Strings(out)
	return out
}

// explain lists the checks of r that did not pass, for a failure message.
var explain = testutil.NotPassing

const (
	lab04src  = "labs/04-systemd-service/reference/mydaemon.c"
	lab04unit = "labs/04-systemd-service/reference/mydaemon.service"
	lab05unit = "labs/05-forking-service/reference/mydaemon.service"
	textbook  = "reference/c/daemon.c"
	cflags    = "mydaemon: mydaemon.c\n\tcc -O2 -D_GNU_SOURCE -std=c11 %s -o mydaemon mydaemon.c\n"
)

// The mutation matrix of the bundled labs (every reference scores full
// marks; every broken unit or daemon loses exactly the points of the
// property it breaks) is in the lab folders, labs/NN-*/reference and
// labs/NN-*/broken/NAME/expect.yaml, graded by internal/labvalidate's
// TestBundledLabsValidate (daemonlab labs validate).

func TestSyntaxErrorIsReportedWithItsLine(t *testing.T) {
	requireEngine(t)
	r, _ := grade(t, "04", sub{source: lab04src, unit: "labs/04-systemd-service/broken/syntax-error/mydaemon.service"}.build(t), nil)
	c, ok := r.Find("unit-syntax")
	require.True(t, ok)
	assert.Contains(t, c.Observed, "mydaemon.service:2:")
}

func TestPathologicalSubmissions(t *testing.T) {
	requireEngine(t)
	t.Run("the build hangs", func(t *testing.T) {
		sub := sub{unit: lab04unit, makefile: "mydaemon:\n\tsleep 1000\n"}
		start := time.Now()
		r, outcome := grade(t, "04", sub.build(t), func(l *labs.Spec) { l.Deadlines.Build.Duration = 3 * time.Second })
		assert.Equal(t, Ungradable, outcome)
		assert.Less(t, time.Since(start), 30*time.Second)
		for _, c := range r.Checks {
			assert.Equal(t, report.Error, c.Status, c.ID)
			assert.Contains(t, c.Observed, "did not finish within 3s")
			assert.Zero(t, *c.Points)
		}
		require.NotNil(t, r.Score)
		assert.Zero(t, *r.Score)
	})
	t.Run("the service never starts", func(t *testing.T) {
		sub := sub{unit: lab04unit, extra: map[string]string{"mydaemon.c": "#include <stdio.h>\nint main(void){fputs(\"cannot start: no config\\n\", stderr);return 1;}\n"}}
		r, outcome := grade(t, "04", sub.build(t), nil)
		assert.Equal(t, Graded, outcome)
		c, _ := r.Find("unit-active")
		assert.Equal(t, report.Fail, c.Status, c.Observed)
		assert.Contains(t, c.Observed, "ActiveState=")
		assert.Less(t, *r.Score, *r.MaxScore)
	})
	t.Run("the daemon fork-bombs", func(t *testing.T) {
		bomb := "#include <unistd.h>\nint main(void){for(;;)fork();}\n"
		sub := sub{unit: lab04unit, extra: map[string]string{"mydaemon.c": bomb}}
		start := time.Now()
		r, outcome := grade(t, "04", sub.build(t), func(l *labs.Spec) { l.Deadlines.Total.Duration = 90 * time.Second })
		assert.NotEqual(t, NoInfra, outcome)
		assert.Less(t, time.Since(start), 2*time.Minute)
		assert.Less(t, *r.Score, *r.MaxScore, explain(r))
		t.Logf("fork bomb graded in %s: %s", time.Since(start).Round(time.Millisecond), explain(r))
	})
	t.Run("an empty submission", func(t *testing.T) {
		r, outcome := grade(t, "04", t.TempDir(), nil)
		assert.Equal(t, Ungradable, outcome)
		for _, c := range r.Checks {
			assert.NotEqual(t, report.Pass, c.Status, c.ID)
		}
	})
}

// TestNoEngineIsNotGradable runs the real CLI with no engine reachable:
// exit code 4, and still a complete JSON result that is "not gradable",
// not a zero.
func TestNoEngineIsNotGradable(t *testing.T) {
	bin := testutil.BuildCLI(t)
	result := filepath.Join(t.TempDir(), "result.json")
	cmd := exec.Command(bin, "grade", "--lab", "04", sub{source: lab04src, unit: lab04unit}.build(t), "--json", result)
	cmd.Env = append(os.Environ(), "DOCKER_HOST=unix:///nonexistent/docker.sock")
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	require.True(t, errors.As(err, &exit), "%v: %s", err, out)
	assert.Equal(t, 4, exit.ExitCode(), string(out))
	assert.Contains(t, string(out), "not gradable")

	data, err := os.ReadFile(result)
	require.NoError(t, err)
	var r struct {
		Gradable *bool            `json:"gradable"`
		Score    *float64         `json:"score"`
		MaxScore *float64         `json:"max_score"`
		Checks   []map[string]any `json:"checks"`
	}
	require.NoError(t, json.Unmarshal(data, &r))
	require.NotNil(t, r.Gradable)
	assert.False(t, *r.Gradable)
	assert.Nil(t, r.Score, "not gradable is not a zero")
	require.NotNil(t, r.MaxScore)
	assert.Equal(t, 100.0, *r.MaxScore)
	lab, _ := labs.Load("04")
	assert.Len(t, r.Checks, len(lab.Checks), "the result is complete")
	for _, c := range r.Checks {
		for _, key := range []string{"id", "status", "points", "max_points", "observed", "hint"} {
			assert.Contains(t, c, key)
		}
	}
}

func TestBadSubmissionPath(t *testing.T) {
	lab, err := labs.Load("04")
	require.NoError(t, err)
	_, _, err = Grade(context.Background(), Options{Lab: lab, Submission: filepath.Join(t.TempDir(), "missing")})
	assert.True(t, errors.Is(err, ErrBadSubmission))
}
