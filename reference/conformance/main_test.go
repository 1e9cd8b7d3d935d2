// Package conformance runs every reference daemon and every broken variant
// through the real checker, on real processes: the references must pass
// every check, each variant must fail exactly the checks of the property it
// breaks. It is the grader's mutation test.
package conformance

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/daemonlab/daemonlab/internal/testutil"
)

// suiteToken marks every process the suite starts (in its arguments, via
// the pid file path, and in its environment), so the leak scan can find
// survivors.
var suiteToken = "dlsuite" + strconv.FormatInt(time.Now().UnixNano(), 36)

var repoRoot = testutil.RepoRoot()

func TestMain(m *testing.M) {
	// Build before any launch session makes this process a subreaper that
	// reaps every child itself (os/exec could not wait for its own then).
	for _, dir := range []string{"reference/c", "reference/go"} {
		cmd := exec.Command("make", "-s", "-C", filepath.Join(repoRoot, dir))
		if out, err := cmd.CombinedOutput(); err != nil {
			fmt.Fprintf(os.Stderr, "building %s: %v\n%s", dir, err, out)
			os.Exit(1)
		}
	}
	os.Setenv("DAEMONLAB_SUITE", suiteToken)
	code := m.Run()
	if leaks := testutil.Alive(suiteToken); len(leaks) > 0 {
		fmt.Fprintf(os.Stderr, "LEAK: processes started by the suite are still alive:\n  %s\n", strings.Join(leaks, "\n  "))
		code = 1
	}
	os.Exit(code)
}

// workDir is a per-test directory whose path carries the suite token.
func workDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", suiteToken+"-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}
