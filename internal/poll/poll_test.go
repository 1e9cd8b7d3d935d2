package poll

import (
	"context"
	"testing"
	"time"
)

func TestUntilHolds(t *testing.T) {
	calls := 0
	ok := Backoff{First: time.Microsecond, Max: 4 * time.Microsecond}.Until(context.Background(), func() bool {
		calls++
		return calls == 5
	})
	if !ok || calls != 5 {
		t.Fatalf("Until = %v after %d calls, want true after 5", ok, calls)
	}
}

func TestUntilEndsWithContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	calls := 0
	ok := Backoff{First: time.Microsecond, Max: time.Microsecond}.Until(ctx, func() bool {
		calls++
		if calls == 3 {
			cancel()
		}
		return false
	})
	if ok || calls != 3 {
		t.Fatalf("Until = %v after %d calls, want false after 3 (no call once ctx ended)", ok, calls)
	}
}

func TestForAsksOnceMoreAfterTheDeadline(t *testing.T) {
	start := time.Now()
	var last time.Time
	ok := Backoff{First: time.Millisecond, Max: 2 * time.Millisecond}.For(context.Background(), 5*time.Millisecond, func() bool {
		last = time.Now()
		return false
	})
	if ok {
		t.Fatal("For = true for a condition that never holds")
	}
	if last.Sub(start) < 5*time.Millisecond {
		t.Fatalf("last call %s after the start, want at or after the 5ms deadline", last.Sub(start))
	}
}
