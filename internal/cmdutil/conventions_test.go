package cmdutil

import (
	"context"
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

// readmeExitRows reads the README's exit-code table: code -> meaning, with
// the markdown code spans unquoted.
func readmeExitRows(t *testing.T) map[int]string {
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
	got := map[int]string{}
	for _, r := range regexp.MustCompile(`(?m)^\| (\d+) \| (.+) \|$`).FindAllStringSubmatch(section, -1) {
		n, _ := strconv.Atoi(r[1])
		got[n] = strings.ReplaceAll(r[2], "`", "")
	}
	return got
}

// `daemonlab help exit-codes` lists exactly the codes of the constants, in
// order, each with the README's meaning word for word.
func TestHelpExitCodesAgreesWithREADMEAndCode(t *testing.T) {
	ios, _, out, _ := iostreams.Test()
	root := NewRoot(ios, "daemonlab")
	root.AddCommand(&cobra.Command{Use: "noop", RunE: func(*cobra.Command, []string) error { return nil }})
	require.Equal(t, ExitOK, Execute(context.Background(), ios, root, []string{"help", "exit-codes"}))
	text := out.String()

	readme := readmeExitRows(t)
	require.Len(t, readme, len(ExitCodes))
	lines := regexp.MustCompile(`(?m)^ +(\d+)  (.+)$`).FindAllStringSubmatch(text, -1)
	require.Len(t, lines, len(ExitCodes), text)
	for i, c := range ExitCodes {
		n, _ := strconv.Atoi(lines[i][1])
		assert.Equal(t, c.Code, n, "line %d of the topic", i)
		assert.Equal(t, readme[c.Code], lines[i][2], "code %d: topic and README differ", c.Code)
		assert.Contains(t, lines[i][2], c.Meaning)
	}
	for _, code := range []int{ExitOK, ExitFailed, ExitBadInput, ExitUngradable, ExitInfra, ExitIncomplete, ExitInternal, ExitInterrupted} {
		assert.Contains(t, readme, code)
	}
}

// --color always|never decide; auto colours a terminal unless NO_COLOR is
// non-empty or TERM is dumb; a bad value is a usage error (2).
func TestColorFlag(t *testing.T) {
	for _, tt := range []struct {
		name          string
		args          []string
		tty           bool
		noColor, term string
		want          bool
	}{
		{"auto, terminal", nil, true, "", "xterm", true},
		{"auto, pipe", nil, false, "", "xterm", false},
		{"auto, NO_COLOR=1", nil, true, "1", "xterm", false},
		{"auto, NO_COLOR empty is ignored", nil, true, "", "xterm", true},
		{"auto, TERM=dumb", nil, true, "", "dumb", false},
		{"always, pipe", []string{"--color", "always"}, false, "", "dumb", true},
		{"always beats NO_COLOR", []string{"--color=always"}, false, "1", "xterm", true},
		{"never, terminal", []string{"--color", "never"}, true, "", "xterm", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ios, _, _, _ := iostreams.Test()
			ios.SetStdoutTTY(tt.tty)
			ios.SetEnv(tt.noColor, tt.term)
			var got bool
			root := NewRoot(ios, "daemonlab")
			root.AddCommand(&cobra.Command{Use: "probe", RunE: func(*cobra.Command, []string) error { got = ios.ColorEnabled(); return nil }})
			require.Equal(t, ExitOK, Execute(context.Background(), ios, root, append([]string{"probe"}, tt.args...)))
			assert.Equal(t, tt.want, got)
		})
	}
	ios, _, _, errOut := iostreams.Test()
	root := NewRoot(ios, "daemonlab")
	root.AddCommand(&cobra.Command{Use: "probe", RunE: func(*cobra.Command, []string) error { return nil }})
	assert.Equal(t, ExitBadInput, Execute(context.Background(), ios, root, []string{"probe", "--color", "sometimes"}))
	assert.Contains(t, errOut.String(), "want auto, always or never")
	assert.Equal(t, 1, strings.Count(errOut.String(), "\n"))
}
