package cmdutil

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/daemonlab/daemonlab/internal/iostreams"
	"github.com/spf13/cobra"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// tree is a root with one subcommand whose RunE does what the test asks.
func tree(ios *iostreams.IOStreams, run func() error) *cobra.Command {
	root := NewRoot(ios, "daemonlab")
	root.AddCommand(&cobra.Command{Use: "do", Args: cobra.NoArgs, RunE: func(*cobra.Command, []string) error { return run() }})
	return root
}

func TestExecuteExitPolicy(t *testing.T) {
	tests := []struct {
		name   string
		args   []string
		run    func() error
		code   int
		stderr string
	}{
		{"success", []string{"do"}, func() error { return nil }, ExitOK, ""},
		{"plain error from the command is a failure", []string{"do"}, func() error { return errors.New("disk full") }, ExitFailed, "disk full"},
		{"coded error keeps its code", []string{"do"}, func() error { return BadInput("bad %s", "pid") }, ExitBadInput, "bad pid"},
		{"infrastructure", []string{"do"}, func() error { return Infra(errors.New("no engine")) }, ExitInfra, "no engine"},
		{"incomplete report", []string{"do"}, func() error { return ErrIncomplete }, ExitIncomplete, ""},
		{"interrupted", []string{"do"}, func() error { return fmt.Errorf("waiting: %w", context.Canceled) }, ExitInterrupted, "canceled"},
		{"unknown command is usage", []string{"frobnicate"}, nil, ExitBadInput, "unknown command"},
		{"unknown flag is usage", []string{"do", "--bogus"}, nil, ExitBadInput, "unknown flag"},
		{"extra argument is usage", []string{"do", "x"}, nil, ExitBadInput, "unknown command"},
		{"panic is an internal error, not infrastructure", []string{"do"}, func() error { panic("index out of range\ngoroutine 1 [running]") }, ExitInternal, "internal error"},
		{"multi-line error printed on one line", []string{"do"}, func() error { return errors.Join(errors.New("first"), errors.New("second")) }, ExitFailed, "first; second"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ios, _, _, errOut := iostreams.Test()
			run := tt.run
			if run == nil {
				run = func() error { t.Fatal("the command must not run"); return nil }
			}
			code := Execute(context.Background(), ios, tree(ios, run), tt.args)
			assert.Equal(t, tt.code, code, errOut.String())
			assert.Contains(t, errOut.String(), tt.stderr)
			if tt.stderr != "" {
				assert.Equal(t, 1, strings.Count(errOut.String(), "\n"), "one line: %q", errOut.String())
			}
		})
	}
}

// Code, used where no cobra tree runs, applies the same rule as Execute
// to an error a command returned.
func TestCodeAgreesWithExecute(t *testing.T) {
	for _, err := range []error{errors.New("x"), BadInput("x"), Infra(errors.New("x")), context.Canceled, ErrChecksFailed, ErrIncomplete} {
		ios, _, _, _ := iostreams.Test()
		got := Execute(context.Background(), ios, tree(ios, func() error { return err }), []string{"do"})
		assert.Equal(t, Code(err), got, "%v", err)
	}
}

// The README's exit-code table lists exactly the codes of ExitCodes.
func TestREADMEExitCodeTable(t *testing.T) {
	_, file, _, _ := runtime.Caller(0)
	raw, err := os.ReadFile(filepath.Join(filepath.Dir(file), "..", "..", "README.md"))
	require.NoError(t, err)
	section := string(raw)
	i := strings.Index(section, "### Exit codes")
	require.GreaterOrEqual(t, i, 0)
	section = section[i:]
	if j := strings.Index(section[4:], "\n#"); j >= 0 {
		section = section[:j+4]
	}
	rows := regexp.MustCompile(`(?m)^\| (\d+) \| (.+) \|$`).FindAllStringSubmatch(section, -1)
	got := map[int]string{}
	for _, r := range rows {
		n, _ := strconv.Atoi(r[1])
		got[n] = r[2]
	}
	require.Len(t, got, len(ExitCodes), "README rows: %v", got)
	for _, c := range ExitCodes {
		assert.Contains(t, got[c.Code], c.Meaning, "README row for %d", c.Code)
	}
}
