// Package procfs is a thin reader of the /proc files that gopsutil does not
// expose: the raw stat fields, the signal and capability masks of status,
// per-thread status, descriptor targets with their fdinfo, and /proc/locks.
//
// Every reader takes its root from FS so tests can point it at a fake tree
// under testdata/. Parsers are separate, pure functions of the file bytes.
package procfs

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
)

// DefaultRoot is where the kernel mounts procfs.
const DefaultRoot = "/proc"

// FS reads one procfs tree.
type FS struct {
	Root string
}

// New returns a reader rooted at root, or at /proc when root is empty.
func New(root string) FS {
	if root == "" {
		root = DefaultRoot
	}
	return FS{Root: root}
}

// Path joins the root, a pid and the given elements.
func (p FS) Path(pid int, elem ...string) string {
	return filepath.Join(append([]string{p.Root, strconv.Itoa(pid)}, elem...)...)
}

// ReadFile reads a file below the pid's directory.
func (p FS) ReadFile(pid int, elem ...string) ([]byte, error) {
	return os.ReadFile(p.Path(pid, elem...))
}

// Readlink resolves a magic link below the pid's directory (cwd, exe, fd/N).
func (p FS) Readlink(pid int, elem ...string) (string, error) {
	return os.Readlink(p.Path(pid, elem...))
}

// Exists reports whether the pid has a directory in this tree.
func (p FS) Exists(pid int) bool {
	_, err := os.Stat(p.Path(pid))
	return err == nil
}

// IsPermission reports whether err means the kernel refused us the data
// (another user's process), as opposed to the data not existing.
func IsPermission(err error) bool {
	return errors.Is(err, fs.ErrPermission)
}

// IsGone reports whether err means the process (or the file) is gone.
func IsGone(err error) bool {
	return errors.Is(err, fs.ErrNotExist) || errors.Is(err, errProcessGone)
}

var errProcessGone = errors.New("process has exited")

func readFile(root string, elem ...string) ([]byte, error) {
	return os.ReadFile(filepath.Join(append([]string{root}, elem...)...))
}
