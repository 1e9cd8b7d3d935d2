package launchplan

import (
	"testing"

	"github.com/daemonlab/daemonlab/labs"
	"github.com/daemonlab/daemonlab/report"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type files map[string]bool

func (f files) Has(name string) bool { return f[name] }

func TestBuildCommand(t *testing.T) {
	for _, tt := range []struct {
		files  files
		goRoot string
		want   string
		isGo   bool
	}{
		{files{"Makefile": true, "mydaemon.c": true}, "", "make", false},
		{files{"go.mod": true}, "", "go build -o mydaemon .", true},
		{files{"go.mod": true}, "/usr/local/go", "PATH=/usr/local/go/bin:$PATH go build -o mydaemon .", true},
		{files{"mydaemon.c": true}, "", "cc -O2 -Wall -o mydaemon mydaemon.c", false},
		{files{"notes.txt": true}, "", "", false},
	} {
		got, isGo := BuildCommand(tt.files, "mydaemon", tt.goRoot)
		assert.Equal(t, tt.want, got)
		assert.Equal(t, tt.isGo, isGo)
	}
	py, _ := BuildCommand(files{"mydaemon.py": true}, "mydaemon", "")
	assert.Contains(t, py, "cp mydaemon.py mydaemon && chmod 0755 mydaemon")
}

// The checker's command line: the lab's graded probes only, its reload
// evidence and its arguments after --.
func TestCheckerArgs(t *testing.T) {
	lab, err := labs.Load("03")
	require.NoError(t, err)
	args, err := CheckerArgs("/opt/daemonlab", "/usr/local/bin/mydaemon", "/autograder/source/lab", lab)
	require.NoError(t, err)
	assert.Equal(t, []string{"/opt/daemonlab", "check", "/usr/local/bin/mydaemon", "--lab", "/autograder/source/lab", "--format", "json"}, args[:7])
	assert.Contains(t, args, "sighup,workers,sigterm")
	assert.Contains(t, args, "--reload-touch")
	assert.Equal(t, append([]string{"--"}, lab.Launch.Args...), args[len(args)-len(lab.Launch.Args)-1:])

	lab01, err := labs.Load("01")
	require.NoError(t, err)
	args, err = CheckerArgs("c", "p", "01", lab01)
	require.NoError(t, err)
	assert.Contains(t, args, "ready")
}

// Score gives one entry per graded check, in the lab's order; a check
// without a result is an error worth 0; warn earns, skip does not; a run
// that was not gradable has no score.
func TestScore(t *testing.T) {
	lab, err := labs.Load("02")
	require.NoError(t, err)
	res := map[string]report.Check{
		"pidfile": {ID: "pidfile", Status: report.Pass},
		"lock":    {ID: "lock", Status: report.Warn},
		"sigterm": {ID: "sigterm", Status: report.Skip},
	}
	var r report.Report
	Score(lab, res, true, &r)
	require.Len(t, r.Checks, len(lab.Checks))
	assert.Equal(t, 40.0, *r.Score)
	assert.Equal(t, 100.0, *r.MaxScore)
	c, ok := r.Find("single-instance")
	require.True(t, ok)
	assert.Equal(t, report.Error, c.Status)
	assert.Equal(t, 0.0, *c.Points)

	var nr report.Report
	Score(lab, res, false, &nr)
	assert.Nil(t, nr.Score)
	assert.False(t, *nr.Gradable)
}

func TestCollect(t *testing.T) {
	lab, err := labs.Load("02")
	require.NoError(t, err)
	r := report.Report{
		Errors: []string{"line one\nline two"},
		Checks: []report.Check{{ID: "pidfile", Status: report.Pass}, {ID: "umask", Status: report.Fail}},
	}
	res := map[string]report.Check{}
	errs := Collect(lab, &r, res)
	assert.Equal(t, []string{"checker: line one line two"}, errs)
	assert.Contains(t, res, "pidfile", "a check the lab grades is taken")
	assert.NotContains(t, res, "umask", "a check the lab does not grade is left out")
}
