package report

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func sample() *Report {
	p, m := 5.0, 10.0
	return &Report{
		Tool: "daemonlab", Mode: "check", Target: &Target{PID: 42, Name: "mydaemon"},
		Tree: []string{"systemd(1) ─ [mydaemon(42)]", "session 41 · group 41 · no tty"},
		Checks: []Check{
			{ID: "cwd", Status: Pass, Required: true, Observed: "/"},
			{ID: "stdio", Status: Fail, Required: true, Observed: "0→/dev/pts/3\x1b[31m\nevil", Expected: "/dev/null", Hint: "dup2 /dev/null", Course: "course.md#standard-descriptors", Points: &p, MaxPoints: &m},
			{ID: "umask", Status: Warn, Required: true, Observed: "umask 0022"},
			{ID: "cwd2", Status: Unknown, Required: true, Observed: "permission denied"},
		},
	}
}

func TestTextWriter(t *testing.T) {
	var b bytes.Buffer
	w, err := NewWriter("text", Options{})
	require.NoError(t, err)
	require.NoError(t, w.Write(&b, sample()))
	out := b.String()
	assert.Contains(t, out, "tree: systemd(1)")
	assert.Contains(t, out, "✓ cwd")
	assert.Contains(t, out, "✗ stdio")
	assert.Contains(t, out, "! umask")
	assert.Contains(t, out, "? cwd2")
	assert.Contains(t, out, "fix: dup2 /dev/null")
	assert.Contains(t, out, "[5/10]")
	assert.NotContains(t, out, "\x1b", "no colour and no escape sequence from the student's text")
	assert.NotContains(t, out, "\nevil", "student text cannot break lines")
	assert.Contains(t, out, "1 passed, 1 failed, 1 warning(s), 1 unknown")
	assert.True(t, strings.HasSuffix(strings.TrimSpace(out), "FAILED"))

	b.Reset()
	w, _ = NewWriter("text", Options{Color: true})
	require.NoError(t, w.Write(&b, sample()))
	assert.Contains(t, b.String(), "\x1b[31m✗\x1b[0m")
}

func TestJSONWriter(t *testing.T) {
	var b bytes.Buffer
	w, err := NewWriter("json", Options{})
	require.NoError(t, err)
	require.NoError(t, w.Write(&b, sample()))
	var got map[string]any
	require.NoError(t, json.Unmarshal(b.Bytes(), &got))
	assert.Equal(t, 42.0, got["target"].(map[string]any)["pid"])
	checks := got["checks"].([]any)
	require.Len(t, checks, 4)
	for _, c := range checks {
		for _, key := range []string{"id", "status", "observed", "expected", "hint"} {
			assert.Contains(t, c, key)
		}
	}
	assert.Nil(t, got["score"], "a check report has no score")
}

func TestUnknownFormat(t *testing.T) {
	_, err := NewWriter("yaml", Options{})
	assert.ErrorContains(t, err, "unknown format")
}

func TestPassedIgnoresWarningsAndOptionalChecks(t *testing.T) {
	r := &Report{Checks: []Check{{ID: "a", Status: Warn, Required: true}, {ID: "b", Status: Fail, Required: false}, {ID: "c", Status: Unknown, Required: true}}}
	assert.True(t, r.Passed())
	r.Checks = append(r.Checks, Check{ID: "d", Status: Error, Required: true})
	assert.False(t, r.Passed())
}

// The JSON writer fills in milliseconds and a summary on a copy: the
// report it is given, which the caller may render again in another
// format, stays as it was.
func TestJSONWriterDoesNotModifyTheReport(t *testing.T) {
	r, pristine := sample(), sample()
	for _, rep := range []*Report{r, pristine} {
		rep.Checks[0].Duration = 1500 * time.Microsecond
		rep.Checks[1].Hidden = true
	}
	w, err := NewWriter("json", Options{})
	require.NoError(t, err)
	var out bytes.Buffer
	require.NoError(t, w.Write(&out, r))
	assert.Equal(t, pristine, r)
	assert.Zero(t, r.Checks[0].DurationMS, "the duration in milliseconds is the document's, not the report's")
	assert.Contains(t, out.String(), `"duration_ms": 1.5`)
}

// ReadJSON reads back exactly what the json writer writes, and refuses
// anything added around it.
func TestReadJSONReadsTheWritersDocument(t *testing.T) {
	w, err := NewWriter("json", Options{})
	require.NoError(t, err)
	var out bytes.Buffer
	require.NoError(t, w.Write(&out, sample()))
	got, err := ReadJSON(out.String())
	require.NoError(t, err)
	assert.Equal(t, 42, got.Target.PID)
	assert.Len(t, got.Checks, len(sample().Checks))

	for name, text := range map[string]string{
		"a second document": out.String() + out.String(),
		"an unknown field":  strings.Replace(out.String(), "{", `{"forged": 1,`, 1),
		"another schema":    strings.Replace(out.String(), `"schema_version": "1"`, `"schema_version": "0"`, 1),
		"text before it":    "ok\n" + out.String(),
		"nothing at all":    "",
	} {
		_, err := ReadJSON(text)
		assert.Error(t, err, name)
	}
}
