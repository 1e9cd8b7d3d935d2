package comparecmd

import (
	"testing"

	"github.com/daemonlab/daemonlab/internal/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func parse(t *testing.T, args ...string) (*Options, error) {
	t.Helper()
	got, _, err := testutil.RunCmd(NewCmdCompare, args...)
	return got, err
}

// TestNewCmdCompare checks how flags and arguments become options, without
// starting anything.
func TestNewCmdCompare(t *testing.T) {
	o, err := parse(t, "/bin/sleep", "--format", "json", "--way", "nohup,setsid", "--", "600")
	require.NoError(t, err)
	assert.Equal(t, "/bin/sleep", o.Program)
	assert.Equal(t, []string{"600"}, o.Args)
	assert.Equal(t, "json", o.Format)
	assert.Equal(t, []string{"nohup", "setsid"}, o.Ways)

	o, err = parse(t, "./ticker")
	require.NoError(t, err)
	assert.Equal(t, "text", o.Format, "default")
	assert.Empty(t, o.Args)
	assert.Nil(t, o.Ways, "every way")

	for args, want := range map[string][]string{
		"a PROGRAM before --":      {"--", "/bin/sleep"},
		"one PROGRAM":              {"/bin/sleep", "x", "--", "600"},
		"--format is text or json": {"/bin/sleep", "--format", "xml"},
	} {
		_, err := parse(t, want...)
		assert.ErrorContains(t, err, args, "%q", want)
	}
}
