package testutil

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// BuildCmds builds the commands ./cmd/NAME of the repository into dir,
// one binary per name, static (CGO_ENABLED=0) as they ship. The error
// of a failed build carries the go tool's output.
func BuildCmds(dir string, names ...string) error {
	for _, name := range names {
		build := exec.Command("go", "build", "-o", filepath.Join(dir, name), "./cmd/"+name)
		build.Dir, build.Env = RepoRoot(), append(os.Environ(), "CGO_ENABLED=0")
		if out, err := build.CombinedOutput(); err != nil {
			return fmt.Errorf("building %s: %w\n%s", name, err, out)
		}
	}
	return nil
}

// Build builds the commands named (see BuildCmds) side by side into a
// temporary directory of tb, and returns the path of the first.
func Build(tb testing.TB, names ...string) string {
	tb.Helper()
	dir := tb.TempDir()
	if err := BuildCmds(dir, names...); err != nil {
		tb.Fatal(err)
	}
	return filepath.Join(dir, names[0])
}

// BuildCLI builds the real pair of binaries, daemonlab and daemonlab-grade
// (to which daemonlab hands grade over), and returns daemonlab's path.
func BuildCLI(tb testing.TB) string {
	tb.Helper()
	return Build(tb, "daemonlab", "daemonlab-grade")
}

// RequireContainers is RequireEngine for a test about to start containers
// of its own: it skips under -short before engine (containers.EngineAvailable,
// which this package cannot import) is even asked, and turns testcontainers'
// reaper (Ryuk) off for the process, as the tests clean up after themselves.
func RequireContainers(tb testing.TB, engine func(context.Context) error) {
	tb.Helper()
	SkipShort(tb, "no containers")
	os.Setenv("TESTCONTAINERS_RYUK_DISABLED", "true")
	RequireEngine(tb, engine(context.Background()))
}

// CompileC compiles the C file src into the program out with the
// system's cc (-O2 -Wall), or skips the test when there is no compiler.
func CompileC(tb testing.TB, src, out string) string {
	tb.Helper()
	cc, err := exec.LookPath("cc")
	if err != nil {
		tb.Skip("no C compiler")
	}
	if b, err := exec.Command(cc, "-O2", "-Wall", "-o", out, src).CombinedOutput(); err != nil {
		tb.Fatalf("cc %s: %v\n%s", src, err, b)
	}
	return out
}
