// Package poll waits for a condition by asking it again and again, with a
// delay between the calls that doubles up to a ceiling: quick for what
// happens at once, cheap for what takes a while.
package poll

import (
	"context"
	"time"
)

// Backoff is a growing delay: First after the first call, doubled after
// each further one, never more than Max.
type Backoff struct {
	First, Max time.Duration
}

// Until calls cond until it holds or ctx ends, waiting the growing delay
// between calls. It reports whether cond held.
func (b Backoff) Until(ctx context.Context, cond func() bool) bool {
	return b.run(ctx, time.Time{}, cond)
}

// For is Until bounded by d as well. The delay is not cut short at the
// deadline: cond is asked once more after it, so the last word is a fresh
// look, not a stale one.
func (b Backoff) For(ctx context.Context, d time.Duration, cond func() bool) bool {
	return b.run(ctx, time.Now().Add(d), cond)
}

func (b Backoff) run(ctx context.Context, deadline time.Time, cond func() bool) bool {
	delay := b.First
	for {
		if cond() {
			return true
		}
		if !deadline.IsZero() && time.Now().After(deadline) || ctx.Err() != nil {
			return false
		}
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return false
		case <-t.C:
		}
		delay = min(delay*2, b.Max)
	}
}
