package gradescmd

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/daemonlab/daemonlab/internal/cmdutil"
	"github.com/daemonlab/daemonlab/internal/iostreams"
	"github.com/daemonlab/daemonlab/report"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func result(t *testing.T, dir, student, lab string, score float64) {
	t.Helper()
	s, m, g := score, 10.0, true
	r := &report.Report{Tool: "daemonlab", Mode: report.ModeGrade, Lab: lab, Outcome: report.OutcomeGraded, Gradable: &g, Score: &s, MaxScore: &m, Started: time.Now(),
		Checks: []report.Check{{ID: "unit-syntax", Status: report.Pass, Points: &s, MaxPoints: &m}}}
	w, _ := report.NewWriter("json", report.Options{})
	f, err := os.Create(filepath.Join(dir, student+".json"))
	require.NoError(t, err)
	require.NoError(t, w.Write(f, r))
	require.NoError(t, f.Close())
}

func run(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	ios, _, out, errOut := iostreams.Test()
	cmd := NewCmdGrades(ios)
	cmd.SetArgs(args)
	cmd.SilenceErrors, cmd.SilenceUsage = true, true
	err := cmd.Execute()
	return out.String(), errOut.String(), cmdutil.Code(err)
}

func TestMerge(t *testing.T) {
	a, b, out := t.TempDir(), t.TempDir(), filepath.Join(t.TempDir(), "all")
	result(t, a, "alice", "04", 10)
	result(t, b, "bob", "04", 4)
	stdout, stderr, code := run(t, "merge", a, b, "--out", out)
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, stdout, "2 submission(s) graded")
	csv, err := os.ReadFile(filepath.Join(out, "grades.csv"))
	require.NoError(t, err)
	assert.Equal(t, "student,score,max,gradable,unit-syntax\nalice,10,10,true,10\nbob,4,10,true,4\n", string(csv))
	assert.FileExists(t, filepath.Join(out, "alice.json"))

	c := t.TempDir()
	result(t, c, "carol", "05", 1)
	_, _, code = run(t, "merge", a, c, "--out", t.TempDir())
	assert.Equal(t, cmdutil.ExitBadInput, code, "one lab at a time")
	_, _, code = run(t, "merge", a)
	assert.Equal(t, cmdutil.ExitBadInput, code, "--out is required")
}
