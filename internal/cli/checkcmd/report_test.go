package checkcmd

import (
	"encoding/json"
	"encoding/xml"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/daemonlab/daemonlab/internal/cmdutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Several reports from one run: text to the terminal, json and junit to
// files, as InSpec's --reporter cli json:out.json.
func TestSeveralReportsFromOneRun(t *testing.T) {
	dir := t.TempDir()
	jsonFile, junitFile := filepath.Join(dir, "r.json"), filepath.Join(dir, "r.xml")
	out, stderr, code := runCLI(t, "--pid", strconv.Itoa(os.Getpid()), "--report", "text", "--report", "json:"+jsonFile, "--report", "junit:"+junitFile)
	assert.Equal(t, cmdutil.ExitFailed, code, stderr)
	assert.Contains(t, out, "daemonlab check — ")

	var doc struct {
		SchemaVersion string `json:"schema_version"`
		Mode          string `json:"mode"`
		Target        struct {
			PID  int     `json:"pid"`
			PPID int     `json:"ppid"`
			FDs  []any   `json:"fds"`
			Cwd  *string `json:"cwd"`
		} `json:"target"`
		Summary struct {
			ExitCode int  `json:"exit_code"`
			OK       bool `json:"ok"`
		} `json:"summary"`
	}
	data, err := os.ReadFile(jsonFile)
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(data, &doc))
	assert.Equal(t, "1", doc.SchemaVersion)
	assert.Equal(t, "attach", doc.Mode)
	assert.Equal(t, os.Getpid(), doc.Target.PID)
	assert.Equal(t, os.Getppid(), doc.Target.PPID)
	assert.NotEmpty(t, doc.Target.FDs)
	require.NotNil(t, doc.Target.Cwd)
	assert.Equal(t, cmdutil.ExitFailed, doc.Summary.ExitCode)

	x, err := os.ReadFile(junitFile)
	require.NoError(t, err)
	var suites struct {
		Suites []struct {
			Cases []struct {
				Name string `xml:"name,attr"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	require.NoError(t, xml.Unmarshal(x, &suites))
	assert.NotEmpty(t, suites.Suites[0].Cases)

	// --report alone replaces the default text on stdout
	out, _, _ = runCLI(t, "--pid", strconv.Itoa(os.Getpid()), "--report", "json:"+jsonFile)
	assert.Empty(t, out)
	// a bad format is refused before anything runs
	_, stderr, code = runCLI(t, "--pid", strconv.Itoa(os.Getpid()), "--report", "yaml:x")
	assert.Equal(t, cmdutil.ExitBadInput, code)
	assert.True(t, strings.Contains(stderr, "unknown format"), stderr)
}
