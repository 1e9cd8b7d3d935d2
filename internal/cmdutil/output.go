package cmdutil

import (
	"fmt"
	"io"
	"os"

	"github.com/daemonlab/daemonlab/internal/iostreams"
	"github.com/daemonlab/daemonlab/report"
)

// WriteReport renders r in format to path, or to stdout when path is empty.
// The file is written whole or not at all (temp file plus rename), so a
// grader never leaves half a result behind.
func WriteReport(ios *iostreams.IOStreams, r *report.Report, format, path string) error {
	color := path == "" && ios.ColorEnabled()
	w, err := report.NewWriter(format, report.Options{Color: color})
	if err != nil {
		return BadInput("%v", err)
	}
	if path == "" {
		return w.Write(ios.Out, r)
	}
	return WriteFileAtomic(path, func(out io.Writer) error { return w.Write(out, r) })
}

// WriteFileAtomic writes through fill into a temporary file next to path
// and renames it into place.
func WriteFileAtomic(path string, fill func(io.Writer) error) error {
	tmp, err := os.CreateTemp(dirOf(path), ".daemonlab-*")
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	if err := fill(tmp); err != nil {
		tmp.Close()
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

func dirOf(path string) string {
	for i := len(path) - 1; i >= 0; i-- {
		if path[i] == '/' {
			if i == 0 {
				return "/"
			}
			return path[:i]
		}
	}
	return "."
}
