package class

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/daemonlab/daemonlab/labs"
	"github.com/daemonlab/daemonlab/report"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fake grades a submission from a file in it: "lose" lists the checks it
// loses, "hang" makes it ignore its deadline, "noinfra" makes it not
// gradable, "bad" is bad input, "slow" takes that long (honouring ctx).
type fake struct {
	lab   *labs.Spec
	calls atomic.Int32
	mu    sync.Mutex
	seen  []string
	// running counts concurrent calls; maxRunning is the peak.
	running, maxRunning atomic.Int32
	release             chan struct{} // closes hanging graders at the end
}

func newFake(t *testing.T) *fake {
	t.Helper()
	lab, err := labs.Load("04")
	require.NoError(t, err)
	f := &fake{lab: lab, release: make(chan struct{})}
	t.Cleanup(func() { close(f.release) })
	return f
}

func (f *fake) grade(ctx context.Context, dir string) (*report.Report, error) {
	f.calls.Add(1)
	n := f.running.Add(1)
	defer f.running.Add(-1)
	for {
		m := f.maxRunning.Load()
		if n <= m || f.maxRunning.CompareAndSwap(m, n) {
			break
		}
	}
	f.mu.Lock()
	f.seen = append(f.seen, filepath.Base(dir))
	f.mu.Unlock()
	read := func(name string) (string, bool) {
		b, err := os.ReadFile(filepath.Join(dir, name))
		return strings.TrimSpace(string(b)), err == nil
	}
	if _, ok := read("hang"); ok {
		<-f.release // ignores ctx on purpose
		return nil, errors.New("released")
	}
	if _, ok := read("bad"); ok {
		return nil, errors.New("bad submission: not a directory")
	}
	if d, ok := read("slow"); ok {
		dur, _ := time.ParseDuration(d)
		select {
		case <-time.After(dur):
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	r := &report.Report{Tool: "daemonlab", Mode: report.ModeGrade, Lab: f.lab.ID, Outcome: report.OutcomeGraded, Started: time.Now()}
	lose, _ := read("lose")
	_, noinfra := read("noinfra")
	score, max := 0.0, 0.0
	for _, c := range f.lab.Checks {
		st, pts := report.Pass, c.Points
		if noinfra || strings.Contains(" "+lose+" ", " "+c.ID+" ") {
			st, pts = report.Fail, 0
		}
		p, m := pts, c.Points
		r.Checks = append(r.Checks, report.Check{ID: c.ID, Status: st, Required: true, Observed: "observed " + c.ID, Points: &p, MaxPoints: &m})
		score += pts
		max += c.Points
	}
	gradable := !noinfra
	r.Gradable, r.MaxScore = &gradable, &max
	if gradable {
		r.Score = &score
	} else {
		r.Outcome = report.OutcomeNotGradable
	}
	return r, nil
}

// makeClass creates DIR/<student>/ with the given control files.
func makeClass(t *testing.T, students map[string]map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for s, files := range students {
		require.NoError(t, os.MkdirAll(filepath.Join(dir, s), 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(dir, s, "mydaemon.c"), []byte("int main(){}"), 0o644))
		for name, content := range files {
			require.NoError(t, os.WriteFile(filepath.Join(dir, s, name), []byte(content), 0o644))
		}
	}
	return dir
}

func readCSV(t *testing.T, path string) [][]string {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	require.NoError(t, err)
	return recs
}

func options(f *fake, dir, out string) Options {
	return Options{Lab: f.lab, Dir: dir, Out: out, Jobs: 3, Version: "v1+img", Grade: f.grade, Timeout: 2 * time.Second, Grace: 200 * time.Millisecond}
}

var basicClass = map[string]map[string]string{
	"alice": {},
	"bob":   {"lose": "restart reload"},
	"carol": {"lose": "unit-syntax"},
	"dave":  {"noinfra": ""},
	"erin":  {"lose": "fds"},
}

func TestClassCSVAndResults(t *testing.T) {
	f := newFake(t)
	dir, out := makeClass(t, basicClass), t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "README"), nil, 0o644)) // not a submission
	require.NoError(t, os.MkdirAll(filepath.Join(dir, ".git"), 0o755))         // not a submission
	var prog bytes.Buffer
	o := options(f, dir, out)
	o.Progress, o.Formats = &prog, []string{"markdown", "gradescope"}
	res, err := Run(context.Background(), o)
	require.NoError(t, err)
	assert.Equal(t, []string{"alice", "bob", "carol", "dave", "erin"}, res.Graded)
	assert.Equal(t, []string{"dave"}, res.NotGradable)

	recs := readCSV(t, filepath.Join(out, "grades.csv"))
	header := append([]string{"student", "score", "max", "gradable"}, checkIDs(f.lab)...)
	assert.Equal(t, header, recs[0])
	require.Len(t, recs, 6)
	assert.Equal(t, []string{"alice", "100", "100", "true"}, recs[1][:4])
	assert.Equal(t, []string{"bob", "75", "100", "true"}, recs[2][:4])
	assert.Equal(t, []string{"dave", "", "100", "false"}, recs[4][:4], "not gradable is not a zero")
	col := indexOf(recs[0], "restart")
	assert.Equal(t, "0", recs[2][col])
	assert.Equal(t, "15", recs[1][col])

	for _, s := range res.Graded {
		assert.FileExists(t, filepath.Join(out, s+".json"))
		assert.FileExists(t, filepath.Join(out, s+".md"))
		assert.FileExists(t, filepath.Join(out, s+".gradescope.json"))
	}
	// the teacher's record has the hidden check's details; the student's
	// formats do not
	js, _ := os.ReadFile(filepath.Join(out, "erin.json"))
	assert.Contains(t, string(js), "observed fds")
	assert.Contains(t, string(js), `"hidden": true`)
	assert.Contains(t, string(js), `"version": "v1+img"`)
	md, _ := os.ReadFile(filepath.Join(out, "erin.md"))
	assert.NotContains(t, string(md), "observed fds")

	assert.Contains(t, prog.String(), "[5/5]")
	assert.Contains(t, prog.String(), "bob: 75/100")
	assert.NotContains(t, prog.String(), "\r", "plain lines when not on a terminal")

	var sum bytes.Buffer
	WriteSummary(&sum, res.Rows)
	t.Logf("summary:\n%s", sum.String())
	assert.Contains(t, sum.String(), "4 submission(s) graded, 1 not gradable (grade again): dave")
	assert.Contains(t, sum.String(), "mean 90.2, median 93, min 75, max 100; full marks 1")
	assert.Contains(t, sum.String(), "checks most often failed:")
	assert.Regexp(t, `(?m)^  fds +1 of 4$`, sum.String())
}

// TestStudentsNeverShareAFile: a folder named after another student's
// file in an extra format ("alice.gradescope" is alice's Gradescope file)
// stops the run before anything is graded or written, with both names;
// without that format the two are distinct.
func TestStudentsNeverShareAFile(t *testing.T) {
	f := newFake(t)
	dir := makeClass(t, map[string]map[string]string{"alice": {}, "alice.gradescope": {"lose": "restart"}})
	tests := []struct {
		name    string
		formats []string
		clash   string
	}{
		{name: "gradescope", formats: []string{"gradescope"}, clash: "alice.gradescope.json (students alice and alice.gradescope)"},
		{name: "markdown only", formats: []string{"markdown"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := t.TempDir()
			o := options(f, dir, out)
			o.Formats = tt.formats
			res, err := Run(context.Background(), o)
			if tt.clash == "" {
				require.NoError(t, err)
				assert.Equal(t, []string{"alice", "alice.gradescope"}, res.Graded)
				return
			}
			require.ErrorIs(t, err, ErrNameClash)
			assert.Contains(t, err.Error(), tt.clash)
			entries, _ := os.ReadDir(out)
			assert.Empty(t, entries, "nothing graded, nothing written")
		})
	}
}

func checkIDs(lab *labs.Spec) []string {
	var ids []string
	for _, c := range lab.Checks {
		ids = append(ids, c.ID)
	}
	return ids
}

func indexOf(xs []string, x string) int {
	for i, v := range xs {
		if v == x {
			return i
		}
	}
	return -1
}

// TestParallelEqualsSerial: -j 3 gives exactly the results of -j 1.
func TestParallelEqualsSerial(t *testing.T) {
	students := map[string]map[string]string{}
	for i := range 12 {
		students[fmt.Sprintf("s%02d", i)] = map[string]string{"lose": []string{"", "restart", "unit-type journal", "fds"}[i%4], "slow": "20ms"}
	}
	dir := makeClass(t, students)
	csvOf := func(jobs int) string {
		f := newFake(t)
		out := t.TempDir()
		o := options(f, dir, out)
		o.Jobs = jobs
		_, err := Run(context.Background(), o)
		require.NoError(t, err)
		if jobs > 1 {
			assert.Greater(t, f.maxRunning.Load(), int32(1), "ran in parallel")
		}
		assert.LessOrEqual(t, f.maxRunning.Load(), int32(jobs))
		data, err := os.ReadFile(filepath.Join(out, "grades.csv"))
		require.NoError(t, err)
		return string(data)
	}
	assert.Equal(t, csvOf(1), csvOf(3))
}

// TestHangingSubmissionDoesNotBlockOthers: a grader that ignores its
// deadline is abandoned after the grace period; the others finish.
func TestHangingSubmissionDoesNotBlockOthers(t *testing.T) {
	f := newFake(t)
	dir := makeClass(t, map[string]map[string]string{"hangs": {"hang": ""}, "a": {}, "b": {}, "c": {"lose": "stop"}})
	out := t.TempDir()
	o := options(f, dir, out)
	o.Jobs, o.Timeout, o.Grace = 2, 300*time.Millisecond, 100*time.Millisecond
	start := time.Now()
	res, err := Run(context.Background(), o)
	require.NoError(t, err)
	assert.Less(t, time.Since(start), 2*time.Second)
	assert.Len(t, res.Graded, 4)
	recs := readCSV(t, filepath.Join(out, "grades.csv"))
	assert.Equal(t, []string{"hangs", "0", "100", "true"}, recs[4][:4], "recorded as ungradable, worth 0")
	r, err := readReport(filepath.Join(out, "hangs.json"))
	require.NoError(t, err)
	assert.Equal(t, report.OutcomeUngradable, r.Outcome)
	assert.Contains(t, r.Checks[0].Observed, "did not finish within 300ms")
}

func TestBadSubmissionIsReportedAndOthersGraded(t *testing.T) {
	f := newFake(t)
	dir := makeClass(t, map[string]map[string]string{"bad": {"bad": ""}, "good": {}})
	_, err := Run(context.Background(), options(f, dir, t.TempDir()))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "bad: bad submission")
}

func TestResume(t *testing.T) {
	f := newFake(t)
	dir, out := makeClass(t, basicClass), t.TempDir()
	_, err := Run(context.Background(), options(f, dir, out))
	require.NoError(t, err)
	first := readCSV(t, filepath.Join(out, "grades.csv"))
	calls := f.calls.Load()

	o := options(f, dir, out)
	o.Resume = true
	res, err := Run(context.Background(), o)
	require.NoError(t, err)
	assert.Equal(t, []string{"dave"}, res.Graded, "only the not-gradable one is graded again")
	assert.Equal(t, calls+1, f.calls.Load())
	assert.Equal(t, first, readCSV(t, filepath.Join(out, "grades.csv")))

	o.Version = "v2+img" // a new grader grades everything again
	res, err = Run(context.Background(), o)
	require.NoError(t, err)
	assert.Len(t, res.Graded, 5)
}

// TestInterruptLeavesConsistentResults: Ctrl-C while submissions run
// records those that finished and nothing else, and the CSV matches.
func TestInterruptLeavesConsistentResults(t *testing.T) {
	f := newFake(t)
	students := map[string]map[string]string{"fast1": {}, "fast2": {"lose": "reload"}}
	for i := range 6 {
		students[fmt.Sprintf("slow%d", i)] = map[string]string{"slow": "10s"}
	}
	dir, out := makeClass(t, students), t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	o := options(f, dir, out)
	o.Jobs, o.Timeout = 3, time.Minute
	time.AfterFunc(300*time.Millisecond, cancel)
	start := time.Now()
	res, err := Run(ctx, o)
	assert.ErrorIs(t, err, ErrInterrupted)
	assert.Less(t, time.Since(start), 5*time.Second, "running graders are cancelled, not awaited to the end")
	assert.Equal(t, []string{"fast1", "fast2"}, res.Graded)
	recs := readCSV(t, filepath.Join(out, "grades.csv"))
	var names []string
	for _, r := range recs[1:] {
		names = append(names, r[0])
	}
	assert.Equal(t, []string{"fast1", "fast2"}, names)
	entries, _ := os.ReadDir(out)
	for _, e := range entries {
		assert.False(t, strings.HasPrefix(e.Name(), ".daemonlab-"), "no temporary file left: %s", e.Name())
		assert.False(t, strings.HasPrefix(e.Name(), "slow"), "no result of an interrupted submission: %s", e.Name())
	}
}

func TestShardsPartitionAndMerge(t *testing.T) {
	students := map[string]map[string]string{}
	for i := range 20 {
		students[fmt.Sprintf("student-%d", i)] = map[string]string{"lose": []string{"", "restart", "stop"}[i%3]}
	}
	dir := makeClass(t, students)
	f := newFake(t)
	whole := t.TempDir()
	_, err := Run(context.Background(), options(f, dir, whole))
	require.NoError(t, err)

	var shardDirs []string
	var all []string
	for i := 1; i <= 3; i++ {
		out := t.TempDir()
		o := options(f, dir, out)
		o.Shard = Shard{i, 3}
		res, err := Run(context.Background(), o)
		require.NoError(t, err)
		assert.NotEmpty(t, res.Graded, "shard %d has students", i)
		all = append(all, res.Graded...)
		shardDirs = append(shardDirs, out)
	}
	sort.Strings(all)
	names, _ := Students(dir)
	assert.Equal(t, names, all, "the shards partition the class")

	merged := t.TempDir()
	var warn bytes.Buffer
	rows, err := Merge(merged, shardDirs, &warn)
	require.NoError(t, err)
	assert.Len(t, rows, 20)
	assert.Empty(t, warn.String())
	w, _ := os.ReadFile(filepath.Join(whole, "grades.csv"))
	m, _ := os.ReadFile(filepath.Join(merged, "grades.csv"))
	assert.Equal(t, string(w), string(m), "two (here three) shards merged equal the whole")

	// a student graded twice keeps the newest result, with a warning
	_, err = Merge(t.TempDir(), []string{shardDirs[0], whole}, &warn)
	require.NoError(t, err)
	assert.Contains(t, warn.String(), "graded twice")
}

func TestShardIsStable(t *testing.T) {
	s := Shard{2, 4}
	a := s.Includes("alice")
	for range 3 {
		assert.Equal(t, a, s.Includes("alice"))
	}
	for _, bad := range []string{"0/2", "3/2", "x/2", "1", "1/0"} {
		_, err := ParseShard(bad)
		assert.Error(t, err, bad)
	}
	sh, err := ParseShard("2/4")
	require.NoError(t, err)
	assert.Equal(t, s, sh)
}

func TestCSVSafeNames(t *testing.T) {
	assert.Equal(t, "'=cmd()", csvSafe("=cmd()"))
	assert.Equal(t, "alice", csvSafe("alice"))
}

func TestLiveProgressOnATerminal(t *testing.T) {
	f := newFake(t)
	dir := makeClass(t, map[string]map[string]string{"a": {}, "b": {"lose": "stop"}})
	var prog bytes.Buffer
	o := options(f, dir, t.TempDir())
	o.Progress, o.TTY = &prog, true
	_, err := Run(context.Background(), o)
	require.NoError(t, err)
	assert.Contains(t, prog.String(), "\r\x1b[Kgrading 2/2 · running 0 · lost points 1 · not gradable 0 · ETA 0s")
}
