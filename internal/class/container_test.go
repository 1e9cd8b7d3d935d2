package class

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/daemonlab/daemonlab/internal/testutil"

	"github.com/daemonlab/daemonlab/containers"
	"github.com/daemonlab/daemonlab/internal/grade"
	"github.com/daemonlab/daemonlab/labs"
	"github.com/daemonlab/daemonlab/report"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The real thing: lab 04 submissions graded in systemd containers.

var repoRoot = testutil.RepoRoot()

const labelKey = "org.daemonlab.class-test"

// variants of lab 04: the reference and broken ones, each losing the
// points of the property it breaks.
var variants = []struct {
	name     string
	source   string
	unit     string
	makefile string
}{
	{"reference", "labs/04-systemd-service/reference/mydaemon.c", "labs/04-systemd-service/reference/mydaemon.service", ""},
	{"restart-no", "labs/04-systemd-service/reference/mydaemon.c", "labs/04-systemd-service/broken/restart-no/mydaemon.service", ""},
	{"no-install", "labs/04-systemd-service/reference/mydaemon.c", "labs/04-systemd-service/broken/no-install/mydaemon.service", ""},
	{"relative-exec", "labs/04-systemd-service/reference/mydaemon.c", "labs/04-systemd-service/broken/relative-exec/mydaemon.service", ""},
	{"syntax-error", "labs/04-systemd-service/reference/mydaemon.c", "labs/04-systemd-service/broken/syntax-error/mydaemon.service", ""},
	{"forking-as-simple", "reference/c/daemon.c", "labs/04-systemd-service/reference/mydaemon.service", "mydaemon: mydaemon.c\n\tcc -O2 -D_GNU_SOURCE -std=c11 -o mydaemon mydaemon.c\n"},
}

type realGrader struct {
	lab     *labs.Spec
	checker string
	image   string
	label   string
}

// setupReal builds the checker and finds the image, or skips.
func setupReal(tb testing.TB) *realGrader {
	tb.Helper()
	testutil.RequireContainers(tb, containers.EngineAvailable)
	checker := testutil.Build(tb, "daemonlab")
	image, _, err := containers.EnsureImage(context.Background(), os.Stderr)
	require.NoError(tb, err)
	lab, err := labs.Load("04")
	require.NoError(tb, err)
	g := &realGrader{lab: lab, checker: checker, image: image, label: strconv.FormatInt(time.Now().UnixNano(), 36)}
	tb.Cleanup(func() {
		ids, err := containers.ListLabelled(context.Background(), map[string]string{labelKey: g.label})
		assert.NoError(tb, err)
		assert.Empty(tb, ids, "containers left behind")
	})
	return g
}

func (g *realGrader) grade(ctx context.Context, dir string) (*report.Report, error) {
	r, outcome, err := grade.Grade(ctx, grade.Options{
		Lab: g.lab, Submission: dir, Checker: g.checker, Image: g.image,
		Container: containers.Options{Labels: map[string]string{labelKey: g.label}},
	})
	if err != nil {
		return nil, err
	}
	r.Outcome = outcome.ReportOutcome()
	return r, nil
}

// realClass lays out n submissions cycling through the variants.
func realClass(tb testing.TB, n int) string {
	tb.Helper()
	dir := tb.TempDir()
	for i := range n {
		v := variants[i%len(variants)]
		sub := filepath.Join(dir, fmt.Sprintf("%02d-%s", i, v.name))
		require.NoError(tb, os.MkdirAll(sub, 0o755))
		cp := func(from, to string) {
			data, err := os.ReadFile(filepath.Join(repoRoot, from))
			require.NoError(tb, err)
			require.NoError(tb, os.WriteFile(filepath.Join(sub, to), data, 0o644))
		}
		cp(v.source, "mydaemon.c")
		cp(v.unit, "mydaemon.service")
		if v.makefile != "" {
			require.NoError(tb, os.WriteFile(filepath.Join(sub, "Makefile"), []byte(v.makefile), 0o644))
		}
	}
	return dir
}

// points maps student → check → points, the whole of a grade.
func points(rows []Row) map[string]map[string]float64 {
	out := map[string]map[string]float64{}
	for _, r := range rows {
		m := map[string]float64{}
		for _, c := range r.Report.Checks {
			if c.Points != nil {
				m[c.ID] = *c.Points
			}
		}
		if r.Score != nil {
			m["(score)"] = *r.Score
		}
		out[r.Student] = m
	}
	return out
}

// TestClassInContainersMatchesAlone: -j 2 gives exactly the scores of
// grading each submission alone, and so do two shards merged.
func TestClassInContainersMatchesAlone(t *testing.T) {
	g := setupReal(t)
	dir := realClass(t, 4)
	names, err := Students(dir)
	require.NoError(t, err)

	alone := map[string]map[string]float64{}
	for _, s := range names {
		r, err := g.grade(context.Background(), filepath.Join(dir, s))
		require.NoError(t, err)
		rows := []Row{{Student: s, Report: r, Score: r.Score}}
		alone[s] = points(rows)[s]
	}

	out := t.TempDir()
	start := time.Now()
	res, err := Run(context.Background(), Options{Lab: g.lab, Dir: dir, Out: out, Jobs: 2, Version: "test", Grade: g.grade, Progress: testWriter{t}})
	require.NoError(t, err)
	t.Logf("-j 2: %d submissions in %s", len(names), time.Since(start).Round(100*time.Millisecond))
	assert.Equal(t, alone, points(res.Rows))
	assert.Equal(t, 100.0, alone["00-reference"]["(score)"], "the reference scores full marks")

	// two shards, graded separately and merged, equal the whole
	var shards []string
	for i := 1; i <= 2; i++ {
		sout := t.TempDir()
		_, err := Run(context.Background(), Options{Lab: g.lab, Dir: dir, Out: sout, Jobs: 2, Version: "test", Shard: Shard{i, 2}, Grade: g.grade})
		require.NoError(t, err)
		shards = append(shards, sout)
	}
	merged, err := Merge(t.TempDir(), shards, testWriter{t})
	require.NoError(t, err)
	assert.Equal(t, alone, points(merged))
	assert.Equal(t, 0.0, alone["01-restart-no"]["restart"])
	assert.Equal(t, 0.0, alone["02-no-install"]["unit-enabled"])
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(string(p))
	return len(p), nil
}

// BenchmarkClass30 grades 30 lab-04 submissions with -j 1, then -j 3, and
// reports both wall times; the scores must be identical. It takes
// minutes, so it runs only with DAEMONLAB_BENCH_CLASS=1 (make bench).
func BenchmarkClass30(b *testing.B) {
	if os.Getenv("DAEMONLAB_BENCH_CLASS") != "1" {
		b.Skip("set DAEMONLAB_BENCH_CLASS=1 (make bench does)")
	}
	g := setupReal(b)
	dir := realClass(b, 30)
	run := func(jobs int) (time.Duration, map[string]map[string]float64) {
		out := b.TempDir()
		start := time.Now()
		res, err := Run(context.Background(), Options{Lab: g.lab, Dir: dir, Out: out, Jobs: jobs, Version: "bench", Grade: g.grade})
		require.NoError(b, err)
		return time.Since(start), points(res.Rows)
	}
	b.ResetTimer()
	for range b.N {
		t1, p1 := run(1)
		t3, p3 := run(3)
		if !assert.Equal(b, p1, p3, "-j 3 gives exactly the scores of -j 1") {
			b.FailNow()
		}
		b.ReportMetric(t1.Seconds(), "s/j1")
		b.ReportMetric(t3.Seconds(), "s/j3")
		b.ReportMetric(t3.Seconds()/t1.Seconds(), "ratio")
		fmt.Fprintf(os.Stderr, "class of 30, lab 04: -j 1 %s, -j 3 %s, ratio %.2f (target ≤ 0.5)\n",
			t1.Round(100*time.Millisecond), t3.Round(100*time.Millisecond), t3.Seconds()/t1.Seconds())
	}
}
