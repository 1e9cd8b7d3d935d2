// Package capture holds what the grader keeps of an untrusted program's
// output: a capped buffer, so a flood costs no memory, and the one-line
// and last-lines forms that go into a report.
package capture

import (
	"fmt"
	"strings"
	"sync"
)

// Buffer is a writer that keeps the first max bytes written to it and
// counts the rest. It is safe for concurrent writers (stdout and stderr
// of one process).
type Buffer struct {
	mu      sync.Mutex
	max     int
	buf     []byte
	dropped int64
}

// New keeps at most max bytes.
func New(max int) *Buffer { return &Buffer{max: max} }

// Write keeps what fits and counts the rest; it never fails.
func (w *Buffer) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	room := w.max - len(w.buf)
	if room > 0 {
		n := min(room, len(p))
		w.buf = append(w.buf, p[:n]...)
		w.dropped += int64(len(p) - n)
	} else {
		w.dropped += int64(len(p))
	}
	return len(p), nil
}

// Bytes returns what was kept.
func (w *Buffer) Bytes() []byte {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf
}

// String returns what was kept.
func (w *Buffer) String() string { return string(w.Bytes()) }

// Dropped is how many bytes did not fit.
func (w *Buffer) Dropped() int64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.dropped
}

// Noted is what was kept, with a note of how many bytes were dropped, and
// that number.
func (w *Buffer) Noted() (string, int64) {
	w.mu.Lock()
	defer w.mu.Unlock()
	s := string(w.buf)
	if w.dropped > 0 {
		s += fmt.Sprintf("\n[... truncated %d bytes]", w.dropped)
	}
	return s, w.dropped
}

// Compact flattens text to one line of at most 300 bytes.
func Compact(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 300 {
		s = s[:300] + "…"
	}
	return s
}

// LastLines keeps the last n lines of s, each cut at 200 bytes.
func LastLines(s string, n int) []string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	for i, l := range lines {
		if len(l) > 200 {
			lines[i] = l[:200] + "…"
		}
	}
	return lines
}
