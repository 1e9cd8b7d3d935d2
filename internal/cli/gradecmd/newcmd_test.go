package gradecmd

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestNewCmdGrade checks how flags and arguments become options, without
// starting a container.
func TestNewCmdGrade(t *testing.T) {
	o, err := parse(t, "--lab", "05", "sub", "--json", "result.json", "--format", "json", "--output", "out.json")
	require.NoError(t, err)
	assert.Equal(t, "05", o.Lab)
	assert.Equal(t, "sub", o.Submission)
	assert.Equal(t, "result.json", o.JSON)
	assert.Equal(t, "json", o.Format)
	assert.Equal(t, "out.json", o.Output)
	assert.Empty(t, o.Class)

	_, err = parse(t, "--lab", "04", "a", "b")
	assert.Error(t, err, "one submission at most")
}
