package main

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/daemonlab/daemonlab/internal/cmdutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRyukDisabledUnlessChosen(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		want string
	}{
		{"unset: the grader cleans up itself", map[string]string{}, "true"},
		{"the user's choice stands", map[string]string{"TESTCONTAINERS_RYUK_DISABLED": "false"}, "false"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := tt.env
			lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
			set := func(k, v string) error { env[k] = v; return nil }
			setDefaultEnv(lookup, set)
			assert.Equal(t, tt.want, env["TESTCONTAINERS_RYUK_DISABLED"])
		})
	}
}

// `daemonlab grade` with no environment set up grades the lab 04
// reference instead of exiting 4 trying to pull the reaper image. It needs
// a Docker engine and the cached image (make grade-demo builds it).
func TestGradeWithoutEnvironment(t *testing.T) {
	if testing.Short() {
		t.Skip("container test")
	}
	_, file, _, _ := runtime.Caller(0)
	repo := filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
	dir := t.TempDir()
	for _, name := range []string{"daemonlab", "daemonlab-grade"} {
		build := exec.Command("go", "build", "-o", filepath.Join(dir, name), "./cmd/"+name)
		build.Dir = repo
		build.Env = append(os.Environ(), "CGO_ENABLED=0")
		out, err := build.CombinedOutput()
		require.NoError(t, err, "%s", out)
	}
	tag, err := exec.Command(filepath.Join(dir, "daemonlab-grade"), "image", "tag").Output()
	if err != nil {
		t.Skipf("no image tag: %v", err)
	}
	if err := exec.Command("docker", "image", "inspect", strings.TrimSpace(string(tag))).Run(); err != nil {
		t.Skipf("no Docker engine or image %s not built (make grade-demo builds it): %v", strings.TrimSpace(string(tag)), err)
	}
	sub := t.TempDir()
	for _, f := range []string{"mydaemon.c", "mydaemon.service"} {
		data, err := os.ReadFile(filepath.Join(repo, "labs/04-systemd-service/reference", f))
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(sub, f), data, 0o644))
	}
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "TESTCONTAINERS_") {
			env = append(env, kv)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(dir, "daemonlab-grade"), "grade", "--lab", "04", sub)
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	code := 0
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		code = exit.ExitCode()
	}
	assert.NotEqual(t, cmdutil.ExitInfra, code, "%s", out)
	assert.NotContains(t, strings.ToLower(string(out)), "ryuk")
	assert.Equal(t, cmdutil.ExitOK, code, "%s", out)
}
