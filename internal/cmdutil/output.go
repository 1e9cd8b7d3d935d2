package cmdutil

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

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
	write := verdictWriter(w, format, r)
	if path == "" {
		return write(ios.Out, r)
	}
	return WriteFileAtomic(path, func(out io.Writer) error { return write(out, r) })
}

// Verdict is the exit code a written report stands for: 1 when a required
// check failed, 5 (incomplete) when none failed but a required one could
// not be read, 0 otherwise.
func Verdict(r *report.Report) int {
	if !r.Passed() {
		return ExitFailed
	}
	if len(Unknowns(r)) > 0 {
		return ExitIncomplete
	}
	return ExitOK
}

// Unknowns lists the required checks whose data could not be read.
func Unknowns(r *report.Report) []string {
	var ids []string
	for _, c := range r.Checks {
		if c.Required && c.Status == report.Unknown {
			ids = append(ids, c.ID)
		}
	}
	return ids
}

// VerdictError turns a written report into the error Execute maps to its
// exit code.
func VerdictError(r *report.Report) error {
	switch Verdict(r) {
	case ExitFailed:
		return ErrChecksFailed
	case ExitIncomplete:
		return ErrIncomplete
	}
	return nil
}

// verdictWriter is w's Write, except that a text report of an incomplete
// run closes with INCOMPLETE instead of OK.
func verdictWriter(w report.Writer, format string, r *report.Report) func(io.Writer, *report.Report) error {
	if format == "text" && Verdict(r) == ExitIncomplete {
		return func(out io.Writer, r *report.Report) error { return writeIncomplete(w, out, r) }
	}
	return w.Write
}

// writeIncomplete renders the text report with the closing verdict "OK"
// replaced: a run with unread required checks is not OK.
func writeIncomplete(w report.Writer, out io.Writer, r *report.Report) error {
	var b bytes.Buffer
	if err := w.Write(&b, r); err != nil {
		return err
	}
	text := b.String()
	verdict := fmt.Sprintf(" — INCOMPLETE (%d required check(s) unknown: %s)", len(Unknowns(r)), strings.Join(Unknowns(r), ", "))
	if i := strings.LastIndex(text, " — OK"); i >= 0 {
		text = text[:i] + verdict + text[i+len(" — OK"):]
	}
	_, err := io.WriteString(out, text)
	return err
}

// WriteFileAtomic writes through fill into a temporary file next to path
// and renames it into place.
func WriteFileAtomic(path string, fill func(io.Writer) error) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".daemonlab-*")
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
