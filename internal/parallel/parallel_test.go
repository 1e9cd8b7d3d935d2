package parallel

import (
	"sync"
	"testing"
)

func TestEach(t *testing.T) {
	for _, jobs := range []int{0, 1, 3, 100} {
		var mu sync.Mutex
		running, most := 0, 0
		done := make([]bool, 20)
		Each(len(done), jobs, func(i int) {
			mu.Lock()
			running++
			most = max(most, running)
			mu.Unlock()
			done[i] = true
			mu.Lock()
			running--
			mu.Unlock()
		})
		for i, d := range done {
			if !d {
				t.Errorf("jobs %d: f(%d) not called", jobs, i)
			}
		}
		if most > max(jobs, 1) {
			t.Errorf("jobs %d: %d calls at once", jobs, most)
		}
	}
}
