package containers

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"path"
	"time"
)

// tarBin is the image's GNU tar, called by absolute path: the root file
// system is read-only, so it is the image's own.
const tarBin = "/usr/bin/tar"

// copyTimeout bounds one copy in or out.
const copyTimeout = 60 * time.Second

// PutTar extracts the tar stream r into the container directory dir, as
// user ("" is root). The stream is passed through, never held whole.
func (c *Container) PutTar(ctx context.Context, dir string, r io.Reader, user string) error {
	res, err := c.Exec(ctx, []string{tarBin, "-x", "--no-same-owner", "--no-overwrite-dir", "-C", dir, "-f", "-"},
		WithStdin(r), WithUser(user), WithTimeout(copyTimeout), WithMaxOutput(4096))
	if err != nil {
		return fmt.Errorf("copy into %.12s:%s: %w", c.id, dir, err)
	}
	if res.ExitCode != 0 {
		return fmt.Errorf("copy into %.12s:%s: tar exit %d: %s", c.id, dir, res.ExitCode, res.Output)
	}
	return nil
}

// WriteFile writes data (small: it is held in memory) to the container path
// with mode, owned by root.
func (c *Container) WriteFile(ctx context.Context, p string, data []byte, mode int64) error {
	return c.PutFile(ctx, p, bytes.NewReader(data), int64(len(data)), mode)
}

// PutFile streams size bytes of r to the absolute container path p with
// mode, owned by root; missing parent directories are made.
func (c *Container) PutFile(ctx context.Context, p string, r io.Reader, size, mode int64) error {
	if !path.IsAbs(p) {
		return fmt.Errorf("copy into %.12s: %q is not absolute", c.id, p)
	}
	pr, pw := io.Pipe()
	go func() {
		tw := tar.NewWriter(pw)
		err := tw.WriteHeader(&tar.Header{Name: path.Clean(p)[1:], Mode: mode, Size: size, Typeflag: tar.TypeReg, ModTime: time.Now()})
		if err == nil {
			_, err = io.CopyN(tw, r, size)
		}
		if err == nil {
			err = tw.Close()
		}
		pw.CloseWithError(err)
	}()
	return c.PutTar(ctx, "/", pr, "")
}

// ErrNotRegular is returned by GetFile for anything but a regular file.
var ErrNotRegular = errors.New("not a regular file")

// ErrTooLarge is returned by GetFile for a file over the limit.
var ErrTooLarge = errors.New("larger than the limit")

// GetFile streams the regular file at the container path p into w, reading
// at most max bytes; a symlink, a directory or a device is refused with
// ErrNotRegular, a larger file with ErrTooLarge. It returns the mode.
func (c *Container) GetFile(ctx context.Context, p string, w io.Writer, max int64) (int64, error) {
	pr, pw := io.Pipe()
	type result struct {
		mode int64
		err  error
	}
	done := make(chan result, 1)
	go func() {
		mode, err := readOne(pr, w, max)
		// Stop the stream on refusal: the exec then ends at once.
		pr.CloseWithError(errors.Join(err, io.ErrClosedPipe))
		done <- result{mode, err}
	}()
	res, err := c.Exec(ctx, []string{tarBin, "-c", "-f", "-", "-C", path.Dir(p), "--", path.Base(p)},
		WithStdout(pw), WithTimeout(copyTimeout), WithMaxOutput(4096))
	pw.Close()
	got := <-done
	if got.err != nil {
		return 0, fmt.Errorf("%s: %w", p, got.err)
	}
	if err != nil {
		return 0, fmt.Errorf("copy %.12s:%s: %w", c.id, p, err)
	}
	if res.ExitCode != 0 {
		return 0, fmt.Errorf("copy %.12s:%s: tar exit %d: %s", c.id, p, res.ExitCode, res.Output)
	}
	return got.mode, nil
}

func readOne(r io.Reader, w io.Writer, max int64) (int64, error) {
	tr := tar.NewReader(r)
	hdr, err := tr.Next()
	if err != nil {
		return 0, fmt.Errorf("reading the archive: %w", err)
	}
	if hdr.Typeflag != tar.TypeReg {
		return 0, ErrNotRegular
	}
	if hdr.Size > max {
		return 0, fmt.Errorf("%w (%d bytes, limit %d)", ErrTooLarge, hdr.Size, max)
	}
	if _, err := io.CopyN(w, tr, hdr.Size); err != nil {
		return 0, err
	}
	_, _ = io.Copy(io.Discard, r) // let tar finish writing its trailer
	return hdr.Mode, nil
}
