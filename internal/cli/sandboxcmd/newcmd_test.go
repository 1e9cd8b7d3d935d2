package sandboxcmd

import (
	"testing"

	"github.com/daemonlab/daemonlab/internal/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestNewCmdSandbox checks how flags and arguments become options, without
// starting a container.
func TestNewCmdSandbox(t *testing.T) {
	for _, tt := range []struct {
		args []string
		want Options
	}{
		{args: nil, want: Options{}},
		{args: []string{"--lab", "07"}, want: Options{Lab: "07"}},
		{args: []string{"./mywork", "--image", "img:1"}, want: Options{Dir: "./mywork", Image: "img:1"}},
	} {
		got, ios, err := testutil.RunCmd(NewCmdSandbox, tt.args...)
		require.NoError(t, err)
		require.NotNil(t, got)
		assert.Same(t, ios, got.IO)
		got.IO = nil
		assert.Equal(t, tt.want, *got, "%q", tt.args)
	}
}
