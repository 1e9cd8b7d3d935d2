// Package submission reads a student's submission on the grading host
// without trusting it: regular files and directories only (a symlink, FIFO,
// socket or device is refused by name, never followed or opened), within a
// size and a file-count limit, opened without following links and without
// blocking, and handed on as a tar stream, never held whole in memory.
package submission

import (
	"archive/tar"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"slices"
	"syscall"
	"time"
)

// Limits bound what a submission may hold.
type Limits struct {
	MaxBytes int64 // all regular files together
	MaxFiles int   // files and directories
}

// DefaultLimits are documented in the README (Grading) and in the lab
// READMEs: 20 MB and 2,000 entries.
var DefaultLimits = Limits{MaxBytes: 20 << 20, MaxFiles: 2000}

// ErrRejected wraps every reason a submission is refused as a whole.
var ErrRejected = errors.New("submission refused")

// File is one regular file of a submission.
type File struct {
	Name string // slash-separated, relative to the submission
	Size int64
	Mode fs.FileMode // permission bits
}

// Submission is a scanned submission directory.
type Submission struct {
	root  *os.Root
	files []File
	dirs  []string
}

// Scan walks dir and refuses, with an error wrapping ErrRejected, anything
// that is not a regular file or a directory and anything over the limits.
// The directory itself may be given through a link; nothing inside it is
// followed. Close the result when done.
func Scan(dir string, lim Limits) (*Submission, error) {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, err
	}
	s := &Submission{root: root}
	var total int64
	err = fs.WalkDir(root.FS(), ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return fmt.Errorf("%w: %s: %v", ErrRejected, p, err)
		}
		if p == "." {
			return nil
		}
		if len(s.files)+len(s.dirs) >= lim.MaxFiles {
			return fmt.Errorf("%w: more than %d files and directories", ErrRejected, lim.MaxFiles)
		}
		switch t := d.Type(); {
		case t.IsDir():
			s.dirs = append(s.dirs, p)
			return nil
		case !t.IsRegular():
			return fmt.Errorf("%w: %s is a %s: hand in regular files only", ErrRejected, p, kind(t))
		}
		info, err := d.Info()
		if err != nil {
			return fmt.Errorf("%w: %s: %v", ErrRejected, p, err)
		}
		total += info.Size()
		if total > lim.MaxBytes {
			return fmt.Errorf("%w: larger than %d MB", ErrRejected, lim.MaxBytes>>20)
		}
		s.files = append(s.files, File{Name: p, Size: info.Size(), Mode: info.Mode().Perm()})
		return nil
	})
	if err != nil {
		root.Close()
		return nil, err
	}
	return s, nil
}

func kind(t fs.FileMode) string {
	switch {
	case t&fs.ModeSymlink != 0:
		return "symbolic link"
	case t&fs.ModeNamedPipe != 0:
		return "FIFO"
	case t&fs.ModeSocket != 0:
		return "socket"
	case t&fs.ModeDevice != 0:
		return "device"
	}
	return "special file"
}

// Close releases the submission directory.
func (s *Submission) Close() error { return s.root.Close() }

// Files lists the regular files, in walk order.
func (s *Submission) Files() []File { return s.files }

// Empty reports whether the submission holds no regular file.
func (s *Submission) Empty() bool { return len(s.files) == 0 }

// Has reports whether the submission holds the regular file name.
func (s *Submission) Has(name string) bool {
	return slices.ContainsFunc(s.files, func(f File) bool { return f.Name == name })
}

// open opens a scanned regular file without following a link and without
// blocking, and checks it is still the regular file of the scan: a file
// swapped for a FIFO or a link after the scan is refused.
func (s *Submission) open(f File) (*os.File, error) {
	h, err := s.root.OpenFile(f.Name, os.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrRejected, f.Name, err)
	}
	st, err := h.Stat()
	if err != nil || !st.Mode().IsRegular() || st.Size() != f.Size {
		h.Close()
		return nil, fmt.Errorf("%w: %s changed while it was read", ErrRejected, f.Name)
	}
	return h, nil
}

// ReadFile returns the content of the regular file name, at most max bytes.
func (s *Submission) ReadFile(name string, max int64) ([]byte, error) {
	i := slices.IndexFunc(s.files, func(f File) bool { return f.Name == name })
	if i < 0 {
		return nil, fmt.Errorf("%w: no regular file %s", ErrRejected, name)
	}
	if s.files[i].Size > max {
		return nil, fmt.Errorf("%w: %s is larger than %d KB", ErrRejected, name, max>>10)
	}
	h, err := s.open(s.files[i])
	if err != nil {
		return nil, err
	}
	defer h.Close()
	return io.ReadAll(io.LimitReader(h, max))
}

// WriteTar streams the submission to w as a tar archive: its directories,
// then its files, with their permission bits (owner rw kept, nothing else
// of the host: no owner, no times but now).
func (s *Submission) WriteTar(w io.Writer) error {
	tw := tar.NewWriter(w)
	now := time.Now()
	for _, d := range s.dirs {
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: d + "/", Mode: 0o755, ModTime: now}); err != nil {
			return err
		}
	}
	for _, f := range s.files {
		if err := s.writeFile(tw, f, now); err != nil {
			return err
		}
	}
	return tw.Close()
}

func (s *Submission) writeFile(tw *tar.Writer, f File, now time.Time) error {
	h, err := s.open(f)
	if err != nil {
		return err
	}
	defer h.Close()
	mode := int64(0o644)
	if f.Mode&0o100 != 0 {
		mode = 0o755
	}
	if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: f.Name, Size: f.Size, Mode: mode, ModTime: now}); err != nil {
		return err
	}
	_, err = io.CopyN(tw, h, f.Size)
	return err
}
