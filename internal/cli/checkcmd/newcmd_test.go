package checkcmd

import (
	"testing"
	"time"

	"github.com/daemonlab/daemonlab/internal/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestNewCmdCheck checks how flags and arguments become options, without
// starting or reading any process.
func TestNewCmdCheck(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		want    func(t *testing.T, o *Options)
		wantErr string
	}{
		{name: "launch with arguments", args: []string{"./mydaemon", "--pidfile", "/tmp/d.pid", "--", "-p", "/tmp/d.pid"}, want: func(t *testing.T, o *Options) {
			assert.Equal(t, "./mydaemon", o.Name)
			assert.Equal(t, []string{"-p", "/tmp/d.pid"}, o.Args)
			assert.Equal(t, "/tmp/d.pid", o.PIDFile)
			assert.Equal(t, 5*time.Second, o.LaunchTimeout, "default")
		}},
		{name: "attach by pid", args: []string{"--pid", "812", "--format", "json", "--probe", "sighup,sigterm"}, want: func(t *testing.T, o *Options) {
			assert.Equal(t, 812, o.PID)
			assert.Empty(t, o.Name)
			assert.Equal(t, "json", o.Format)
			assert.Equal(t, []string{"sighup", "sigterm"}, o.Probes)
		}},
		{name: "by pid file alone", args: []string{"--pidfile", "/run/crond.pid"}, want: func(t *testing.T, o *Options) {
			assert.Equal(t, "/run/crond.pid", o.PIDFile)
		}},
		{name: "profile overrides", args: []string{"cron", "--lab", "02", "--umask", "022,027", "--session", "leader", "--lock", "flock", "--optional", "env", "--require-pidfile", "--term-timeout", "2s", "--no-probes"}, want: func(t *testing.T, o *Options) {
			assert.Equal(t, "cron", o.Name)
			assert.Equal(t, "02", o.Lab)
			assert.Equal(t, []string{"022", "027"}, o.Umask)
			assert.Equal(t, "leader", o.Session)
			assert.Equal(t, "flock", o.Lock)
			assert.Equal(t, []string{"env"}, o.Optional)
			assert.True(t, o.RequirePIDFile)
			assert.True(t, o.NoProbes)
			assert.Equal(t, 2*time.Second, o.TermTimeout)
		}},
		{name: "reload evidence", args: []string{"./d", "--reload-touch", "/tmp/c=x", "--reload-expect", "/tmp/s=y", "--sighup", "reload"}, want: func(t *testing.T, o *Options) {
			assert.Equal(t, "/tmp/c=x", o.ReloadTouch)
			assert.Equal(t, "/tmp/s=y", o.ReloadExpect)
			assert.Equal(t, "reload", o.SIGHUP)
		}},
		{name: "nothing to check", args: nil, wantErr: "what should I check?"},
		{name: "name and pid", args: []string{"cron", "--pid", "3"}, wantErr: "not both"},
		{name: "two names", args: []string{"cron", "atd"}, wantErr: "one NAME or PROGRAM"},
		{name: "arguments for a name", args: []string{"cron", "--", "-f"}, wantErr: "not a path"},
		{name: "arguments in attach mode", args: []string{"--pid", "812", "--", "/usr/sbin/foo", "-x"}, wantErr: "arguments after -- are for launching a program"},
		{name: "arguments in attach mode by pid file", args: []string{"--pidfile", "/run/x.pid", "--", "-x"}, wantErr: "arguments after -- are for launching a program"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, _, err := testutil.RunCmd(NewCmdCheck, tt.args...)
			if tt.wantErr != "" {
				require.ErrorContains(t, err, tt.wantErr)
				assert.Nil(t, got, "runF is not reached")
				return
			}
			require.NoError(t, err)
			require.NotNil(t, got)
			tt.want(t, got)
		})
	}
}
