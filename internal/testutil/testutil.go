// Package testutil holds what the test suites share: where the repository
// is and its commands built (Build, BuildCLI), the rule for tests that need
// a container engine, the leak scan, a command run only as far as its
// options (RunCmd), and a report's failures for an assertion's message.
package testutil

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// RepoRoot is the repository's top directory.
func RepoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
}

// RequireEngine applies the container tests' rule to engineErr (the result
// of containers.EngineAvailable): under -short the test is skipped (see
// SkipShort); without an engine too, unless DAEMONLAB_REQUIRE_DOCKER=1,
// which makes it a failure (CI).
func RequireEngine(tb testing.TB, engineErr error) {
	tb.Helper()
	SkipShort(tb, "no containers")
	if engineErr == nil {
		return
	}
	if os.Getenv("DAEMONLAB_REQUIRE_DOCKER") == "1" {
		tb.Fatalf("DAEMONLAB_REQUIRE_DOCKER=1 but: %v", engineErr)
	}
	tb.Skipf("no container engine: %v", engineErr)
}

// SkipShort skips the test under -short, which means: no containers and no
// real daemons — only what runs in memory and on fake /proc trees, in
// seconds (make unit).
func SkipShort(tb testing.TB, what string) {
	tb.Helper()
	if testing.Short() {
		tb.Skipf("-short: %s", what)
	}
}
