// Package parallel runs independent jobs concurrently, a bounded number at
// a time.
package parallel

import "sync"

// Each calls f(i) for every i in [0, n), at most jobs calls at a time (one
// when jobs < 1), and returns when every call has returned.
func Each(n, jobs int, f func(i int)) {
	sem := make(chan struct{}, max(jobs, 1))
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			f(i)
		}()
	}
	wg.Wait()
}
