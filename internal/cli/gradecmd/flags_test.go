package gradecmd

import (
	"testing"

	"github.com/daemonlab/daemonlab/internal/cmdutil"
	"github.com/daemonlab/daemonlab/internal/testutil"
	"github.com/daemonlab/daemonlab/labs"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func parse(t *testing.T, args ...string) (*Options, error) {
	t.Helper()
	got, _, err := testutil.RunCmd(NewCmdGrade, args...)
	return got, err
}

func TestClassFlags(t *testing.T) {
	o, err := parse(t, "--lab", "04", "--class", "subs", "-j", "3", "--out", "res", "--resume", "--shard", "2/3", "--report", "junit")
	require.NoError(t, err)
	assert.Equal(t, "subs", o.Class)
	assert.Equal(t, 3, o.Jobs)
	assert.Equal(t, "res", o.Out)
	assert.True(t, o.Resume)
	assert.Equal(t, "2/3", o.Shard)
	formats, err := classFormats(o)
	require.NoError(t, err)
	assert.Equal(t, []string{"junit"}, formats)

	for _, bad := range [][]string{
		{"--lab", "04"},                    // no submission
		{},                                 // no lab marker here
		{"--lab", "04", "sub", "--resume"}, // class flag without --class
		{"--lab", "04", "--class", "subs", "extra"}, // both
		{"--lab", "04", "--class", "subs", "--shard", "4/3"},
		{"--lab", "04", "--class", "subs", "-j", "0"},
		{"--lab", "04", "--class", "subs", "--json", "x.json"},
		{"--lab", "04", "sub", "--hidden-visibility", "public"},
	} {
		_, err := parse(t, bad...)
		assert.Equal(t, cmdutil.ExitBadInput, cmdutil.Code(err), "%v: %v", bad, err)
	}
	o, err = parse(t, "--lab", "04", "--class", "subs", "--report", "junit:x.xml")
	require.NoError(t, err)
	_, err = classFormats(o)
	assert.Error(t, err, "a class writes one file per student")
}

func TestSingleSubmissionFlags(t *testing.T) {
	o, err := parse(t, "--lab", "04", "sub", "--format", "github", "--report", "junit:r.xml", "--show-hidden", "--hidden-visibility", "after_published")
	require.NoError(t, err)
	assert.Equal(t, "sub", o.Submission)
	wo := o.writerOptions()
	assert.True(t, wo.ShowHidden)
	assert.Equal(t, "after_published", wo.HiddenVisibility)
	assert.Equal(t, "sub", wo.PathPrefix)
	specs, err := cmdutil.ResolveReports(o.Format, o.Output, o.Reports)
	require.NoError(t, err)
	assert.Equal(t, []cmdutil.ReportSpec{{Format: "github"}, {Format: "junit", Path: "r.xml"}}, specs)
}

func TestMarkerFindsTheLab(t *testing.T) {
	dir := t.TempDir()
	lab, err := labs.Load("04")
	require.NoError(t, err)
	_, err = lab.Get(dir)
	require.NoError(t, err)
	o, err := parse(t, dir)
	require.NoError(t, err)
	assert.Equal(t, "04", o.Lab)
	assert.Equal(t, dir, o.Submission)

	t.Chdir(dir)
	o, err = parse(t)
	require.NoError(t, err)
	assert.Equal(t, "04", o.Lab)
	assert.Equal(t, ".", o.Submission)

	o, err = parse(t, "--lab", "05", ".")
	require.NoError(t, err)
	assert.Equal(t, "05", o.Lab, "--lab wins over the marker")
}
