package grade

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/daemonlab/daemonlab/containers"
	"github.com/daemonlab/daemonlab/internal/cmdutil"
	"github.com/daemonlab/daemonlab/labs"
	"github.com/daemonlab/daemonlab/report"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestInsideReportTrustsOnlyTheChecker feeds insideReport what a root
// daemon that opened the checker's stdout could make of it.
func TestInsideReportTrustsOnlyTheChecker(t *testing.T) {
	checked := &report.Report{Tool: "daemonlab", Mode: report.ModeAttach, Target: &report.Target{PID: 42},
		Checks: []report.Check{{ID: "fds", Status: report.Fail, Observed: "fd 3 → /etc/passwd"}}}
	out, err := json.Marshal(report.JSONDocument(checked))
	require.NoError(t, err)
	honest := string(out) + "\n"
	forged := `{"schema_version":"1","tool":"daemonlab","mode":"attach","target":{"pid":42},"checks":[{"id":"fds","status":"pass","observed":"no fd"}]}`
	tests := []struct {
		name   string
		code   int
		output string
		trust  bool
	}{
		{"the checker's own report", cmdutil.ExitFailed, honest, true},
		{"an incomplete run is still a verdict", cmdutil.ExitIncomplete, honest, true},
		{"forged, then the checker killed", 137, forged, false},
		{"forged before the checker's report", cmdutil.ExitFailed, forged + honest, false},
		{"forged after the checker's report", cmdutil.ExitFailed, honest + forged, false},
		{"the real report wrapped in a forged one", cmdutil.ExitFailed, forged[:len(forged)-1] + `,"wrapped":` + honest + "}", false},
		{"the real report as a forged check", cmdutil.ExitFailed, `{"schema_version":"1","tool":"daemonlab","mode":"attach","target":{"pid":42},"checks":[` + honest + `]}`, false},
		{"a report about another pid", cmdutil.ExitOK, `{"schema_version":"1","tool":"daemonlab","mode":"attach","target":{"pid":7},"checks":[]}`, false},
		{"a usage error", cmdutil.ExitBadInput, "daemonlab: no such pid\n", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := insideReport(containers.ExecResult{ExitCode: tt.code, Output: tt.output}, 42)
			if !tt.trust {
				assert.Error(t, err)
				return
			}
			require.NoError(t, err)
			c, ok := r.Find("fds")
			require.True(t, ok)
			assert.Equal(t, report.Fail, c.Status)
		})
	}
}

// TestSysOutputTrustsOnlyTheCall feeds sysOutput what a root daemon that
// reached the stdout of a `daemonlab systemd` call could make of it.
func TestSysOutputTrustsOnlyTheCall(t *testing.T) {
	show := []string{"show", "mydaemon.service", "-p", "ActiveState", "-p", "NRestarts"}
	honest := "ActiveState=active\nNRestarts=0\n"
	tests := []struct {
		name   string
		args   []string
		code   int
		output string
		trust  bool
	}{
		{"show as printed", show, 0, honest, true},
		{"a forged line after", show, 0, honest + "NRestarts=1\n", false},
		{"a forged line before", show, 0, "NRestarts=1\n" + honest, false},
		{"a key not asked for", show, 0, "ActiveEnterTimestampMonotonic=1\n" + honest, false},
		{"a forged prefix merged into a line", show, 0, "NRestarts=1 " + honest, false},
		{"a key missing", show, 0, "ActiveState=active\n", false},
		{"forged, then the call killed", show, 137, honest, false},
		{"every property, as printed", []string{"show", "x.service"}, 0, "A=1\nB=\nC=x=y\n", true},
		{"every property, one repeated", []string{"show", "x.service"}, 0, "A=1\nB=\nB=2\n", false},
		{"a job result", []string{"start", "x.service"}, 0, "result=done\n", true},
		{"a failed job result", []string{"start", "x.service"}, 1, "result=failed\n", true},
		{"a forged result, then the call killed", []string{"reload", "x.service"}, 137, "result=done\n", false},
		{"two results", []string{"reload", "x.service"}, 0, "result=done\nresult=failed\n", false},
		{"a verb that prints nothing", []string{"stop", "x.service"}, 0, "", true},
		{"that verb killed", []string{"kill", "x.service"}, 137, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := sysOutput(tt.args, containers.ExecResult{ExitCode: tt.code, Output: tt.output})
			if tt.trust {
				assert.NoError(t, err)
			} else {
				assert.Error(t, err)
			}
		})
	}
}

// TestStepsThatPanicStillGiveAResult: a grader bug that panics on what the
// container printed (a probe's JSON with a field missing) costs the checks
// not yet judged, as the grader's errors, never the result.
func TestStepsThatPanicStillGiveAResult(t *testing.T) {
	lab, err := labs.Load("06")
	require.NoError(t, err)
	g := &grader{lab: lab, results: map[string]report.Check{}, timings: map[string]float64{}}
	ok := g.runSteps(context.Background(), func(g *grader, _ context.Context) {
		g.set(lab.Checks[0].ID, report.Pass, "judged before the bug", "")
		var server *probeProc
		_ = server.PID
	})
	assert.False(t, ok)
	require.Len(t, g.errors, 1)
	assert.Contains(t, g.errors[0], "internal error while grading")
	assert.Equal(t, report.Pass, g.results[lab.Checks[0].ID].Status, "what was judged stays")
	for _, c := range lab.Checks[1:] {
		assert.Equal(t, report.Error, g.results[c.ID].Status, c.ID)
	}
	r := g.report(NoInfra)
	assert.Len(t, r.Checks, len(lab.Checks), "a complete result")
}

// TestNextEntry: journald's cursors count every entry (i=, hex) within one
// sequence (s=); a gap is a journal that lost entries.
func TestNextEntry(t *testing.T) {
	const a = "s=92f8;i=39;b=967b;m=108191bd9d;t=661bb3909b3a7;x=9aed"
	tests := []struct {
		name string
		b    string
		next bool
	}{
		{name: "the next entry", b: "s=92f8;i=3a;b=967b;m=108191bed6;t=661bb3909b4e0;x=5939", next: true},
		{name: "entries missing", b: "s=92f8;i=3e;b=967b;m=1081ac9b52;t=661bb3924915b;x=cd00"},
		{name: "another sequence", b: "s=aaaa;i=3a;b=967b;m=1;t=1;x=1"},
		{name: "not a cursor", b: "i=3a"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.next, nextEntry(a, tt.b))
		})
	}
}
