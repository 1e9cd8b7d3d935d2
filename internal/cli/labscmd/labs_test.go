package labscmd

import (
	"context"
	"testing"

	"github.com/daemonlab/daemonlab/internal/iostreams"
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
		ios, _, _, _ := iostreams.Test()
		var got *Options
		cmd := NewCmdLabs(ios, func(_ context.Context, o *Options) error { got = o; return nil })
		cmd.SetArgs(tt.args)
		cmd.SilenceErrors, cmd.SilenceUsage = true, true
		require.NoError(t, cmd.Execute())
		require.NotNil(t, got)
		assert.Equal(t, tt.id, got.ID, "%q", tt.args)
	}
	ios, _, _, _ := iostreams.Test()
	cmd := NewCmdLabs(ios, func(context.Context, *Options) error { t.Fatal("runF reached"); return nil })
	cmd.SetArgs([]string{"04", "05"})
	cmd.SilenceErrors, cmd.SilenceUsage = true, true
	assert.Error(t, cmd.Execute(), "one lab at most")
}
