package labscmd

import (
	"testing"

	"github.com/daemonlab/daemonlab/internal/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestNewCmdLabs checks how arguments become options, without reading a lab.
func TestNewCmdLabs(t *testing.T) {
	for _, tt := range []struct {
		args []string
		id   string
	}{
		{args: nil, id: ""},
		{args: []string{"04"}, id: "04"},
	} {
		got, _, err := testutil.RunCmd(NewCmdLabs, tt.args...)
		require.NoError(t, err)
		require.NotNil(t, got)
		assert.Equal(t, tt.id, got.ID, "%q", tt.args)
	}
	got, _, err := testutil.RunCmd(NewCmdLabs, "04", "05")
	assert.Error(t, err, "one lab at most")
	assert.Nil(t, got, "runF is not reached")
}
