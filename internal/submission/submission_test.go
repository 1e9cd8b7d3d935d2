package submission

import (
	"archive/tar"
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func write(t *testing.T, dir, name, content string) {
	t.Helper()
	p := filepath.Join(dir, name)
	require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
	require.NoError(t, os.WriteFile(p, []byte(content), 0o644))
}

func TestScanAcceptsRegularFilesAndStreamsThem(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "mydaemon.c", "int main(void){return 0;}\n")
	write(t, dir, "mydaemon.service", "[Service]\nExecStart=/usr/local/bin/mydaemon\n")
	write(t, dir, "src/util.c", "/* util */\n")
	require.NoError(t, os.Chmod(filepath.Join(dir, "src/util.c"), 0o700))
	s, err := Scan(dir, DefaultLimits)
	require.NoError(t, err)
	defer s.Close()
	assert.True(t, s.Has("mydaemon.c"))
	assert.True(t, s.Has("src/util.c"))
	assert.False(t, s.Has("src"))
	assert.False(t, s.Empty())
	unit, err := s.ReadFile("mydaemon.service", 1<<20)
	require.NoError(t, err)
	assert.Contains(t, string(unit), "ExecStart=")

	var buf bytes.Buffer
	require.NoError(t, s.WriteTar(&buf))
	got := map[string]string{}
	modes := map[string]int64{}
	tr := tar.NewReader(&buf)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		require.NoError(t, err)
		data, _ := io.ReadAll(tr)
		got[h.Name], modes[h.Name] = string(data), h.Mode
		assert.Zero(t, h.Uid, "no host owner")
	}
	assert.Equal(t, "/* util */\n", got["src/util.c"])
	assert.Equal(t, int64(0o755), modes["src/util.c"])
	assert.Equal(t, int64(0o644), modes["mydaemon.c"])
	assert.Contains(t, got, "src/")
}

func TestScanRefuses(t *testing.T) {
	secret := filepath.Join(t.TempDir(), "host-secret")
	require.NoError(t, os.WriteFile(secret, []byte("HOST-SECRET"), 0o600))
	tests := []struct {
		name string
		make func(t *testing.T, dir string)
		want string
	}{
		{"a unit linked to a host file", func(t *testing.T, dir string) {
			require.NoError(t, os.Symlink(secret, filepath.Join(dir, "mydaemon.service")))
		}, "mydaemon.service is a symbolic link"},
		{"a unit linked to /dev/zero", func(t *testing.T, dir string) {
			require.NoError(t, os.Symlink("/dev/zero", filepath.Join(dir, "mydaemon.service")))
		}, "symbolic link"},
		{"a linked directory", func(t *testing.T, dir string) {
			require.NoError(t, os.Symlink("/etc", filepath.Join(dir, "src")))
		}, "src is a symbolic link"},
		{"a go.mod linked inside the submission", func(t *testing.T, dir string) {
			write(t, dir, "real.mod", "module x\n")
			require.NoError(t, os.Symlink("real.mod", filepath.Join(dir, "go.mod")))
		}, "go.mod is a symbolic link"},
		{"a FIFO", func(t *testing.T, dir string) {
			require.NoError(t, syscall.Mkfifo(filepath.Join(dir, "mydaemon.service"), 0o644))
		}, "mydaemon.service is a FIFO"},
		{"a device", func(t *testing.T, dir string) {
			if err := syscall.Mknod(filepath.Join(dir, "zero"), syscall.S_IFCHR|0o666, 1<<8|5); err != nil {
				t.Skipf("mknod needs root: %v", err)
			}
		}, "zero is a device"},
		{"a huge sparse file", func(t *testing.T, dir string) {
			f, err := os.Create(filepath.Join(dir, "big"))
			require.NoError(t, err)
			require.NoError(t, f.Truncate(1<<30))
			f.Close()
		}, "larger than 20 MB"},
		{"too many files", func(t *testing.T, dir string) {
			for i := range 2001 {
				write(t, dir, "f"+strconv.Itoa(i), "")
			}
		}, "more than 2000 files"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			write(t, dir, "mydaemon.c", "int main(void){return 0;}\n")
			tt.make(t, dir)
			done := make(chan error, 1)
			go func() {
				s, err := Scan(dir, DefaultLimits)
				if err == nil {
					s.Close()
				}
				done <- err
			}()
			select {
			case err := <-done:
				require.Error(t, err)
				assert.True(t, errors.Is(err, ErrRejected), err)
				assert.Contains(t, err.Error(), tt.want)
				assert.NotContains(t, err.Error(), "HOST-SECRET")
			case <-time.After(10 * time.Second):
				t.Fatal("Scan blocked")
			}
		})
	}
}

// A file swapped for a FIFO after the scan is refused, not waited on.
func TestSwappedFileIsRefusedWithoutBlocking(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "mydaemon.c", "int main(void){return 0;}\n")
	s, err := Scan(dir, DefaultLimits)
	require.NoError(t, err)
	defer s.Close()
	p := filepath.Join(dir, "mydaemon.c")
	require.NoError(t, os.Remove(p))
	require.NoError(t, syscall.Mkfifo(p, 0o644))
	done := make(chan error, 1)
	go func() { done <- s.WriteTar(io.Discard) }()
	select {
	case err := <-done:
		assert.True(t, errors.Is(err, ErrRejected), err)
	case <-time.After(10 * time.Second):
		t.Fatal("WriteTar blocked on a FIFO")
	}
	_, err = s.ReadFile("mydaemon.c", 1<<20)
	assert.True(t, errors.Is(err, ErrRejected), err)
}
