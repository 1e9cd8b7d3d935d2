package rootcmd

import (
	"context"
	"os"
	"strconv"
	"testing"

	"github.com/daemonlab/daemonlab/internal/cmdutil"
	"github.com/daemonlab/daemonlab/internal/iostreams"
	"github.com/stretchr/testify/assert"
)

func TestMainExitCodes(t *testing.T) {
	self := strconv.Itoa(os.Getpid())
	tests := []struct {
		args   []string
		code   int
		stdout string
		stderr string
	}{
		{[]string{"explain", "lock"}, cmdutil.ExitOK, "course.md#single-instance", ""},
		{[]string{"explain"}, cmdutil.ExitOK, "sigterm", ""},
		// lab 00's 35 prediction checks are one line of the list
		{[]string{"explain"}, cmdutil.ExitOK, "predict-WAY-FIELD  prediction 35 checks", ""},
		{[]string{"explain", "nope"}, cmdutil.ExitBadInput, "", "unknown check \"nope\""},
		{[]string{"labs"}, cmdutil.ExitOK, "Type=forking", ""},
		{[]string{"labs", "04"}, cmdutil.ExitOK, "unit-syntax", ""},
		{[]string{"labs"}, cmdutil.ExitOK, "Background is not a daemon", ""},
		{[]string{"labs", "00"}, cmdutil.ExitOK, "predict.json", ""},
		{[]string{"labs", "77"}, cmdutil.ExitBadInput, "", "no lab"},
		{[]string{"frobnicate"}, cmdutil.ExitBadInput, "", "unknown command"},
		{[]string{"check", "--bogus"}, cmdutil.ExitBadInput, "", "unknown flag"},
		{[]string{"check", "--pid", "nan"}, cmdutil.ExitBadInput, "", "invalid argument"},
		{[]string{"check", "--pid", self, "--user", "no-such-user-dl"}, cmdutil.ExitBadInput, "", "unknown user"},
		{[]string{"check", "--pid", self, "--optional", "no-such-check"}, cmdutil.ExitBadInput, "", "unknown check"},
		{[]string{"check", "--help"}, cmdutil.ExitOK, "  5  incomplete", ""},
		{[]string{"check", "--help"}, cmdutil.ExitOK, "130  interrupted", ""},
	}
	for _, tt := range tests {
		ios, _, out, errOut := iostreams.Test()
		code := Main(context.Background(), ios, tt.args)
		assert.Equal(t, tt.code, code, "%v: %s", tt.args, errOut)
		assert.Contains(t, out.String(), tt.stdout, tt.args)
		assert.Contains(t, errOut.String(), tt.stderr, tt.args)
		assert.NotContains(t, errOut.String(), "goroutine", "no stack traces")
		if tt.stderr != "" {
			assert.Equal(t, 1, countLines(errOut.String()), "one-line error: %q", errOut.String())
		}
	}
}

func countLines(s string) int {
	n := 0
	for _, c := range s {
		if c == '\n' {
			n++
		}
	}
	return n
}
