package rootcmd

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/daemonlab/daemonlab/containers/image"
	"github.com/daemonlab/daemonlab/internal/cmdutil"
	"github.com/daemonlab/daemonlab/internal/iostreams"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// complete runs cobra's completion request as a shell does and returns
// the candidates (descriptions dropped) and the directive line.
func complete(t *testing.T, args ...string) ([]string, string) {
	t.Helper()
	ios, _, out, errOut := iostreams.Test()
	code := Main(context.Background(), ios, append([]string{"__complete"}, args...))
	require.Equal(t, cmdutil.ExitOK, code, errOut.String())
	var values []string
	directive := ""
	for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		if strings.HasPrefix(line, ":") {
			directive = line
			continue
		}
		v, _, _ := strings.Cut(line, "\t")
		values = append(values, v)
	}
	return values, directive
}

func TestCompletionCompletesValues(t *testing.T) {
	self, err := os.ReadFile("/proc/self/comm")
	require.NoError(t, err)
	for _, tt := range []struct {
		args    []string
		want    []string
		notWant []string
	}{
		{[]string{"explain", ""}, []string{"lock", "umask", "unit-syntax"}, nil},
		{[]string{"check", "--optional", ""}, []string{"sigterm", "env"}, nil},
		{[]string{"check", "--optional", "env,"}, []string{"env,umask"}, []string{"env,env"}},
		{[]string{"check", "--lab", ""}, []string{"01", "04", "09"}, nil},
		{[]string{"labs", ""}, []string{"01", "04"}, nil},
		{[]string{"labs", "get", ""}, []string{"05"}, nil},
		{[]string{"check", "--format", ""}, []string{"text", "json", "junit", "tap", "gradescope", "github", "markdown"}, nil},
		{[]string{"check", "--report", ""}, []string{"junit", "tap"}, nil},
		{[]string{"check", "--probe", "sighup,"}, []string{"sighup,sigterm", "sighup,ready"}, []string{"sighup,sighup"}},
		{[]string{"check", ""}, []string{strings.TrimSpace(string(self))}, nil},
		{[]string{"check", "--color", ""}, []string{"auto", "always", "never"}, nil},
		{[]string{"grade", "--lab", ""}, []string{"01", "04"}, nil},
		{[]string{"grade", "--format", ""}, []string{"gradescope"}, nil},
		{[]string{"autograder", "gradescope", "--lab", ""}, []string{"01"}, nil},
		{[]string{"grades", "merge", "--format", ""}, nil, nil},
	} {
		got, _ := complete(t, tt.args...)
		for _, w := range tt.want {
			assert.Contains(t, got, w, "%q", tt.args)
		}
		for _, w := range tt.notWant {
			assert.NotContains(t, got, w, "%q", tt.args)
		}
	}
}

func TestVersion(t *testing.T) {
	ios, _, out, _ := iostreams.Test()
	require.Equal(t, cmdutil.ExitOK, Main(context.Background(), ios, []string{"version"}))
	assert.Contains(t, out.String(), "daemonlab "+cmdutil.Version+"\n")
	assert.Contains(t, out.String(), "image "+image.Tag()+"\n")
	assert.Contains(t, out.String(), "recipe sha256:"+image.Hash())
	ios, _, _, _ = iostreams.Test()
	assert.Equal(t, cmdutil.ExitBadInput, Main(context.Background(), ios, []string{"version", "extra"}))
}

// grade --in-place answers in the daemonlab binary itself: refusals are
// one line with exit 2, before anything runs.
func TestGradeInPlaceRefusals(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "mydaemon.c"), []byte("int main(void){return 0;}\n"), 0o644))
	for _, tt := range []struct {
		args []string
		msg  string
	}{
		{[]string{"grade", "--in-place", "--lab", "04", dir}, "lab 04 needs systemd"},
		{[]string{"grade", "--in-place", "--lab", "09", dir}, "lab 09 needs systemd"},
		{[]string{"grade", "--in-place", "--lab", "01", filepath.Join(dir, "nope")}, "not a directory"},
		{[]string{"grade", "--in-place", "--lab", "01", "--hidden-visibility", "sometimes", dir}, "--hidden-visibility"},
		{[]string{"grade", "--in-place", "--bogus", dir}, "unknown flag"},
		{[]string{"grade", "--in-place", dir}, "--lab is required"},
		{[]string{"grade", "--in-place", "--lab", "77", dir}, "no lab"},
		{[]string{"grade", "--in-place", "--lab", "01", "--format", "yaml", dir}, "yaml"},
	} {
		ios, _, _, errOut := iostreams.Test()
		code := Main(context.Background(), ios, tt.args)
		assert.Equal(t, cmdutil.ExitBadInput, code, "%q: %s", tt.args, errOut)
		assert.Contains(t, errOut.String(), tt.msg, tt.args)
		assert.Equal(t, 1, strings.Count(errOut.String(), "\n"), "one line: %q", errOut.String())
	}
}

func TestHelpExitCodesTopic(t *testing.T) {
	ios, _, out, _ := iostreams.Test()
	require.Equal(t, cmdutil.ExitOK, Main(context.Background(), ios, []string{"help", "exit-codes"}))
	for _, c := range cmdutil.ExitCodes {
		assert.Contains(t, out.String(), c.Meaning)
	}
	ios, _, out, _ = iostreams.Test()
	require.Equal(t, cmdutil.ExitOK, Main(context.Background(), ios, []string{"--help"}))
	assert.Contains(t, out.String(), "exit-codes")
}
