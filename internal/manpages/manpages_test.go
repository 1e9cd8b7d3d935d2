package manpages

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Every command has a page, the container commands with their real flags
// (not the stubs'), and the exit-codes help topic has one too.
func TestGenerate(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, Generate(dir))
	read := func(name string) string {
		b, err := os.ReadFile(filepath.Join(dir, name))
		require.NoError(t, err, name)
		return string(b)
	}
	for _, name := range []string{"daemonlab.1", "daemonlab-check.1", "daemonlab-explain.1", "daemonlab-labs.1", "daemonlab-labs-get.1",
		"daemonlab-labs-validate.1", "daemonlab-grade.1", "daemonlab-grades-merge.1", "daemonlab-image-build.1", "daemonlab-sandbox.1",
		"daemonlab-version.1", "daemonlab-autograder-gradescope.1", "daemonlab-exit-codes.1"} {
		assert.FileExists(t, filepath.Join(dir, name))
	}
	grade := read("daemonlab-grade.1")
	for _, flag := range []string{"in-place", "class", "report", "color", "labs-dir"} {
		assert.Contains(t, grade, `\fB--`+flag+`\fP`, "daemonlab-grade.1")
	}
	assert.Contains(t, read("daemonlab-exit-codes.1"), "interrupted")
	assert.Contains(t, read("daemonlab-check.1"), `\fB--probe\fP`)
}
