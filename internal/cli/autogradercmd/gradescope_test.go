package autogradercmd

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/daemonlab/daemonlab/containers"
	"github.com/daemonlab/daemonlab/internal/cmdutil"
	"github.com/daemonlab/daemonlab/internal/iostreams"
	"github.com/daemonlab/daemonlab/internal/testutil"
	"github.com/daemonlab/daemonlab/report"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const sessionKey = "org.daemonlab.gradescope-test"

// staticDaemonlab builds the static daemonlab binary the zip ships.
func staticDaemonlab(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "daemonlab")
	build := exec.Command("go", "build", "-trimpath", "-o", bin, "./cmd/daemonlab")
	build.Dir, build.Env = testutil.RepoRoot(), append(os.Environ(), "CGO_ENABLED=0")
	out, err := build.CombinedOutput()
	require.NoError(t, err, "%s", out)
	return bin
}

// buildZip builds the autograder zip of a lab and returns its files.
func buildZip(t *testing.T, lab, bin string) map[string]*zip.File {
	t.Helper()
	out := filepath.Join(t.TempDir(), "autograder.zip")
	ios, _, _, _ := iostreams.Test()
	require.NoError(t, Build(&Options{IO: ios, Lab: lab, Output: out, Binary: bin, HiddenVisibility: "hidden"}))
	zr, err := zip.OpenReader(out)
	require.NoError(t, err)
	t.Cleanup(func() { zr.Close() })
	files := map[string]*zip.File{}
	for _, f := range zr.File {
		files[f.Name] = f
	}
	return files
}

func TestZipLayout(t *testing.T) {
	bin := staticDaemonlab(t)
	files := buildZip(t, "01", bin)
	for _, name := range []string{"setup.sh", "run_autograder", "daemonlab", "lab/lab.yaml"} {
		require.Contains(t, files, name)
	}
	for _, name := range []string{"setup.sh", "run_autograder", "daemonlab"} {
		assert.Equal(t, os.FileMode(0o755), files[name].Mode().Perm(), name)
	}
	run := readZipFile(t, files["run_autograder"])
	assert.Contains(t, string(run), "grade --in-place --lab \"$src/lab\"")
	assert.Contains(t, string(run), "/autograder/results/results.json")
}

// Labs that need systemd are refused with exit 2 and one line; so is a
// binary that is not static.
func TestRefusals(t *testing.T) {
	ios, _, _, _ := iostreams.Test()
	for _, lab := range []string{"04", "05", "06", "07", "08", "09"} {
		err := Build(&Options{IO: ios, Lab: lab, Output: filepath.Join(t.TempDir(), "a.zip"), HiddenVisibility: "hidden"})
		require.Error(t, err, lab)
		assert.Equal(t, cmdutil.ExitBadInput, cmdutil.Code(err), lab)
		assert.Contains(t, err.Error(), "needs systemd")
		assert.NotContains(t, err.Error(), "\n")
	}
	sh, err := exec.LookPath("sh")
	require.NoError(t, err)
	if real, err := filepath.EvalSymlinks(sh); err == nil {
		sh = real
	}
	err = Build(&Options{IO: ios, Lab: "01", Output: filepath.Join(t.TempDir(), "a.zip"), Binary: sh, HiddenVisibility: "hidden"})
	require.Error(t, err)
	assert.Equal(t, cmdutil.ExitBadInput, cmdutil.Code(err))
	assert.Contains(t, err.Error(), "not a static binary")
}

func readZipFile(t *testing.T, f *zip.File) []byte {
	t.Helper()
	rc, err := f.Open()
	require.NoError(t, err)
	defer rc.Close()
	b, err := io.ReadAll(rc)
	require.NoError(t, err)
	return b
}

// TestGradescopeContainer runs the lab 01 autograder zip as Gradescope
// does, in a plain container (no systemd, no Docker, the image's gcc, make
// and python3, no Go): the zip unpacked in /autograder/source, setup.sh
// run there, run_autograder copied to /autograder, the submission in
// /autograder/submission; then it reads /autograder/results/results.json.
func TestGradescopeContainer(t *testing.T) {
	ctx := context.Background()
	os.Setenv("TESTCONTAINERS_RYUK_DISABLED", "true")
	testutil.RequireEngine(t, containers.EngineAvailable(ctx))
	tag, _, err := containers.EnsureImage(ctx, io.Discard)
	require.NoError(t, err)
	files := buildZip(t, "01", staticDaemonlab(t))
	label := strconv.FormatInt(time.Now().UnixNano(), 36)
	t.Cleanup(func() {
		ids, err := containers.ListLabelled(context.Background(), map[string]string{sessionKey: label})
		assert.NoError(t, err)
		assert.Empty(t, ids, "containers left behind")
	})

	ref, err := os.ReadFile(filepath.Join(testutil.RepoRoot(), "reference/c/daemon.c"))
	require.NoError(t, err)
	makefile := func(flags string) string {
		return fmt.Sprintf("mydaemon: mydaemon.c\n\tcc -O2 -D_GNU_SOURCE -std=c11 %s -o mydaemon mydaemon.c\n", flags)
	}
	py, err := os.ReadFile(filepath.Join(testutil.RepoRoot(), "reference/python/refdaemon.py"))
	require.NoError(t, err)
	hang := "#!/usr/bin/python3\nimport time\nwhile True:\n    time.sleep(1)\n"
	for _, tt := range []struct {
		name   string
		sub    map[string]string
		score  float64
		failed []string
		output string
	}{
		{"Python reference", map[string]string{"mydaemon.py": string(py)}, 100, nil, ""},
		{"never returns", map[string]string{"mydaemon.py": hang}, 0, nil, "never returned to the shell"},
		{"C reference", map[string]string{"mydaemon.c": string(ref), "Makefile": makefile("")}, 100, nil, ""},
		{"no umask", map[string]string{"mydaemon.c": string(ref), "Makefile": makefile("-DBREAK_UMASK")}, 90, []string{"umask"}, ""},
		{"stdio closed", map[string]string{"mydaemon.c": string(ref), "Makefile": makefile("-DBREAK_STDIO")}, 90, []string{"stdio"}, ""},
		{"Go without a Go toolchain", map[string]string{"main.go": "package main\n\nfunc main() {}\n", "go.mod": "module mydaemon\n\ngo 1.22\n"}, 0, nil, "no Go toolchain"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			res, log := runAutograder(t, ctx, tag, label, files, tt.sub)
			assert.Equal(t, tt.score, res.Score, log)
			var failed []string
			total := 0.0
			for _, test := range res.Tests {
				total += test.MaxScore
				if test.Status != "passed" {
					failed = append(failed, test.Name)
				}
			}
			assert.Equal(t, 100.0, total, "every check of the lab is a test")
			assert.Len(t, res.Tests, 10)
			if tt.output != "" {
				all := res.Output
				for _, test := range res.Tests {
					all += "\n" + test.Output
				}
				assert.Contains(t, all, tt.output)
				return
			}
			assert.Equal(t, tt.failed, failed, log)
		})
	}
}

// runAutograder runs one submission in a fresh Gradescope-shaped container
// and returns results.json and the run's output.
func runAutograder(t *testing.T, ctx context.Context, tag, label string, zipFiles map[string]*zip.File, sub map[string]string) (report.GradescopeResults, string) {
	t.Helper()
	c, err := containers.Start(ctx, containers.Options{
		Image: tag, Plain: true, Labels: map[string]string{sessionKey: label}, MaxLifetime: 5 * time.Minute,
		Writable: map[string]string{
			"/autograder":    "size=64m,mode=0755",
			"/tmp":           "size=256m,mode=1777",
			"/run":           "size=16m,mode=0755",
			"/usr/local/bin": "size=64m,mode=0755",
		},
	})
	require.NoError(t, err)
	defer func() { assert.NoError(t, c.Terminate(context.WithoutCancel(ctx))) }()

	var put []containers.File
	add := func(path string, mode int64, data []byte) {
		put = append(put, containers.File{Path: path, Mode: mode, Size: int64(len(data)), Content: bytes.NewReader(data)})
	}
	for name, f := range zipFiles {
		data := readZipFile(t, f)
		add("/autograder/source/"+name, int64(f.Mode().Perm()), data)
		if name == "run_autograder" {
			add("/autograder/run_autograder", 0o755, data) // as Gradescope does
		}
	}
	for name, content := range sub {
		add("/autograder/submission/"+name, 0o644, []byte(content))
	}
	add("/autograder/results/.keep", 0o644, nil)
	require.NoError(t, c.PutFiles(ctx, put...))

	setup, err := c.Exec(ctx, []string{"/bin/sh", "-c", "cd /autograder/source && ./setup.sh"}, containers.WithTimeout(time.Minute))
	require.NoError(t, err)
	require.Equal(t, 0, setup.ExitCode, setup.Output)
	run, err := c.Exec(ctx, []string{"/autograder/run_autograder"}, containers.WithTimeout(4*time.Minute))
	require.NoError(t, err)
	t.Logf("run_autograder exit %d:\n%s", run.ExitCode, run.Output)
	assert.Equal(t, 0, run.ExitCode, run.Output)

	var buf bytes.Buffer
	_, err = c.GetFile(ctx, "/autograder/results/results.json", &buf, 1<<20)
	require.NoError(t, err)
	var res report.GradescopeResults
	require.NoError(t, json.Unmarshal(buf.Bytes(), &res), buf.String())
	// Gradescope's documented fields.
	var raw map[string]any
	require.NoError(t, json.Unmarshal(buf.Bytes(), &raw))
	for _, k := range []string{"score", "execution_time", "output", "tests"} {
		assert.Contains(t, raw, k)
	}
	// Nothing of the submission outlives the run.
	ps, err := c.Exec(ctx, []string{"/bin/sh", "-c", "ps -eo comm= | grep -c mydaemon || true"}, containers.WithTimeout(30*time.Second))
	require.NoError(t, err)
	assert.Equal(t, "0", strings.TrimSpace(ps.Output), "mydaemon still runs after the autograder")
	return res, run.Output
}
