package sandboxcmd

import (
	"context"
	"testing"

	"github.com/daemonlab/daemonlab/internal/iostreams"
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
		ios, _, _, _ := iostreams.Test()
		var got *Options
		cmd := NewCmdSandbox(ios, func(_ context.Context, o *Options) error { got = o; return nil })
		cmd.SetArgs(tt.args)
		cmd.SilenceErrors, cmd.SilenceUsage = true, true
		require.NoError(t, cmd.Execute())
		require.NotNil(t, got)
		assert.Same(t, ios, got.IO)
		got.IO = nil
		assert.Equal(t, tt.want, *got, "%q", tt.args)
	}
}
