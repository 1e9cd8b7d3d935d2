package grade

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/daemonlab/daemonlab/internal/submission"
	"github.com/daemonlab/daemonlab/labs"
	"github.com/daemonlab/daemonlab/report"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The mutation matrix of lab 00 (references, the starter's mistake, a
// ticker on the terminal, nohup.out, two tickers, a script that never
// returns, a wrong, a partial and a malformed predict.json) is in
// labs/00-background, validated by internal/labvalidate.

func lab00Grader(t *testing.T, files map[string]string) *grader {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644))
	}
	sub, err := submission.Scan(dir, submission.DefaultLimits)
	require.NoError(t, err)
	t.Cleanup(func() { sub.Close() })
	lab, err := labs.Load("00")
	require.NoError(t, err)
	return &grader{lab: lab, sub: sub, results: map[string]report.Check{}, timings: map[string]float64{}}
}

func TestReadPredictions(t *testing.T) {
	for name, tt := range map[string]struct {
		files   map[string]string
		problem string
	}{
		"missing":       {map[string]string{"start.sh": "#!/bin/sh\n"}, "the submission has no predict.json"},
		"not JSON":      {map[string]string{predictFile: "{\n  \"amp\": {,}\n}"}, "line 2, column 12"},
		"an array":      {map[string]string{predictFile: "[true, false]"}, "not an object keyed by way (array found)"},
		"null":          {map[string]string{predictFile: "null"}, "not a JSON object keyed by way"},
		"too large":     {map[string]string{predictFile: `{"x": "` + strings.Repeat("a", maxPredict) + `"}`}, "larger than 64 KB"},
		"a good object": {map[string]string{predictFile: `{"amp": {"has_ctty": true}}`}, ""},
	} {
		t.Run(name, func(t *testing.T) {
			p, problem := lab00Grader(t, tt.files).readPredictions()
			if tt.problem == "" {
				assert.Empty(t, problem)
				assert.NotNil(t, p)
				return
			}
			assert.Contains(t, problem, tt.problem)
		})
	}
	p := predictions{}
	p["amp"] = []byte(`{"has_ctty": true, "own_session": "yes", "stdio_on_tty": null}`)
	p["nohup"] = []byte(`[1]`)
	b, err := p.get("amp", "has_ctty")
	assert.NoError(t, err)
	assert.True(t, b)
	_, err = p.get("amp", "own_session")
	assert.EqualError(t, err, `predict.json: amp.own_session is "yes", not true or false`)
	_, err = p.get("amp", "stdio_on_tty")
	assert.ErrorContains(t, err, "is null, not true or false")
	_, err = p.get("amp", "parent_is_init")
	assert.EqualError(t, err, "predict.json has no amp.parent_is_init")
	_, err = p.get("nohup", "has_ctty")
	assert.EqualError(t, err, `predict.json: "nohup" is not an object of booleans`)
	_, err = p.get("tmux", "has_ctty")
	assert.EqualError(t, err, `predict.json has no "tmux"`)
}

func TestStripEscapes(t *testing.T) {
	assert.Equal(t, "root@x:/lab# ./start.sh", stripEscapes("\x1b[?2004hroot@x:/lab# ./start.sh"))
	assert.Equal(t, "red", stripEscapes("\x1b[31mred\x1b[0m\a"))
	assert.Equal(t, "", stripEscapes("\x1b[?2004l"))
}

// TestLab00Pathological grades submissions in a real container that must
// still give a complete result: nothing handed in, a start.sh that ignores
// the hang-up and never returns, one with DOS line endings.
func TestLab00Pathological(t *testing.T) {
	requireEngine(t)
	lab, err := labs.Load("00")
	require.NoError(t, err)
	ref, err := os.ReadFile(filepath.Join(repoRoot, "labs/00-background/reference/predict.json"))
	require.NoError(t, err)
	complete := func(t *testing.T, r *report.Report) {
		t.Helper()
		require.Len(t, r.Checks, len(lab.Checks), "the result is complete")
		require.NotNil(t, r.Score)
	}
	t.Run("nothing handed in", func(t *testing.T) {
		dir := t.TempDir()
		require.NoError(t, os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("todo\n"), 0o644))
		r, outcome := grade(t, "00", dir, nil)
		assert.Equal(t, Graded, outcome)
		complete(t, r)
		assert.Zero(t, *r.Score)
		for _, c := range r.Checks {
			assert.Equal(t, report.Fail, c.Status, c.ID)
			if strings.HasPrefix(c.ID, "predict-") {
				assert.Equal(t, "the submission has no predict.json", c.Observed)
			} else {
				assert.Equal(t, "the submission has no start.sh", c.Observed)
			}
		}
	})
	t.Run("start.sh ignores the hang-up and never returns", func(t *testing.T) {
		dir := t.TempDir()
		script := "#!/bin/sh\ntrap '' HUP\n./ticker </dev/null >ticker.log 2>&1 &\nexec sleep 1000\n"
		require.NoError(t, os.WriteFile(filepath.Join(dir, "start.sh"), []byte(script), 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(dir, "predict.json"), ref, 0o644))
		start := time.Now()
		r, outcome := grade(t, "00", dir, nil)
		assert.Equal(t, Graded, outcome)
		complete(t, r)
		assert.Less(t, time.Since(start), 30*time.Second)
		assert.Equal(t, []string{"start-returns"}, lost(r), explain(r))
		c, _ := r.Find("start-returns")
		assert.Contains(t, c.Observed, "had not given the prompt back after 3s")
	})
	t.Run("DOS line endings", func(t *testing.T) {
		dir := t.TempDir()
		require.NoError(t, os.WriteFile(filepath.Join(dir, "start.sh"), []byte("#!/bin/sh\r\nsetsid -f ./ticker </dev/null >ticker.log 2>&1\r\n"), 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(dir, "predict.json"), ref, 0o644))
		r, outcome := grade(t, "00", dir, nil)
		assert.Equal(t, Graded, outcome)
		complete(t, r)
		assert.Equal(t, []string{"one-ticker", "ticker-log", "ticker-no-tty", "ticker-survives"}, lost(r), explain(r))
		c, _ := r.Find("ticker-survives")
		assert.Contains(t, c.Observed, "no ticker was running")
		assert.Contains(t, strings.Join(c.Details, "\n"), "./start.sh: cannot execute", "the terminal shows why")
	})
}
