package checker

import (
	"context"
	"os"
	"testing"
)

// BenchmarkSnapshotAndJudge measures reading one process from /proc and
// judging every static check (the in-process part of `check --pid`).
func BenchmarkSnapshotAndJudge(b *testing.B) {
	ctx := context.Background()
	prof := DefaultProfile()
	for b.Loop() {
		s, err := Take(ctx, os.Getpid(), Options{})
		if err != nil {
			b.Fatal(err)
		}
		Judge(s, prof, nil)
	}
}
