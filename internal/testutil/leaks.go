// Package testutil holds what several test suites share: finding the
// processes a suite started, so it can prove none of them outlives it.
package testutil

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	"github.com/daemonlab/daemonlab/checker/procfs"
)

// Alive lists live (not zombie) processes other than this one whose
// command line or environment contains token, as "pid cmdline".
func Alive(token string) []string {
	proc := procfs.New("")
	entries, _ := os.ReadDir("/proc")
	var out []string
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		if st, err := proc.Stat(pid); err != nil || st.IsZombie() {
			continue
		}
		dir := filepath.Join("/proc", e.Name())
		cmdline, _ := os.ReadFile(filepath.Join(dir, "cmdline"))
		environ, _ := os.ReadFile(filepath.Join(dir, "environ"))
		if bytes.Contains(cmdline, []byte(token)) || bytes.Contains(environ, []byte(token)) {
			out = append(out, fmt.Sprintf("%d %s", pid, bytes.ReplaceAll(cmdline, []byte{0}, []byte{' '})))
		}
	}
	return out
}
