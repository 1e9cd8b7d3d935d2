package containers

import (
	"fmt"
	"sync"
)

// Capped is a writer that keeps the first max bytes written to it and
// counts the rest, so a flood of output costs no memory. It is safe for
// concurrent writers (stdout and stderr of one process).
type Capped struct {
	mu      sync.Mutex
	max     int
	buf     []byte
	dropped int64
}

// NewCapped keeps at most max bytes.
func NewCapped(max int) *Capped { return &Capped{max: max} }

// Write keeps what fits and counts the rest; it never fails.
func (w *Capped) Write(p []byte) (int, error) {
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
func (w *Capped) Bytes() []byte {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf
}

// String returns what was kept.
func (w *Capped) String() string { return string(w.Bytes()) }

// Dropped is how many bytes did not fit.
func (w *Capped) Dropped() int64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.dropped
}

// result is what was kept, with a note of what was dropped, and how many
// bytes were.
func (w *Capped) result() (string, int64) {
	w.mu.Lock()
	defer w.mu.Unlock()
	s := string(w.buf)
	if w.dropped > 0 {
		s += fmt.Sprintf("\n[... truncated %d bytes]", w.dropped)
	}
	return s, w.dropped
}
