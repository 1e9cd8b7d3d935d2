package class

import (
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/daemonlab/daemonlab/report"
)

// progress shows the run on stderr: one live line on a terminal (done,
// total, running, lost points, not gradable, ETA), plain lines otherwise.
type progress struct {
	mu        sync.Mutex
	w         io.Writer
	tty       bool
	total     int
	done      int
	running   int
	failed    int // lost points or could not be graded
	broken    int // not gradable, or the grader failed
	began     time.Time
	stop      chan struct{}
	closeOnce sync.Once
}

func newProgress(w io.Writer, tty bool, total, resumed int) *progress {
	p := &progress{w: w, tty: tty, total: total, began: time.Now(), stop: make(chan struct{})}
	if resumed > 0 {
		fmt.Fprintf(w, "resuming: %d submission(s) already graded\n", resumed)
	}
	if tty {
		go func() {
			t := time.NewTicker(time.Second)
			defer t.Stop()
			for {
				select {
				case <-t.C:
					p.mu.Lock()
					p.line()
					p.mu.Unlock()
				case <-p.stop:
					return
				}
			}
		}()
	}
	return p
}

// line redraws the live line; the caller holds mu.
func (p *progress) line() {
	eta := "–"
	if p.done > 0 {
		per := time.Since(p.began) / time.Duration(p.done)
		eta = (per * time.Duration(p.total-p.done)).Round(time.Second).String()
	}
	fmt.Fprintf(p.w, "\r\x1b[Kgrading %d/%d · running %d · lost points %d · not gradable %d · ETA %s",
		p.done, p.total, p.running, p.failed, p.broken, eta)
}

func (p *progress) start(student string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.running++
	if p.tty {
		p.line()
	} else {
		fmt.Fprintf(p.w, "[%d/%d] %s: grading\n", p.done, p.total, student)
	}
}

func (p *progress) abandon(student string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.running--
	if !p.tty {
		fmt.Fprintf(p.w, "[%d/%d] %s: interrupted, not recorded\n", p.done, p.total, student)
	}
}

func (p *progress) finish(student string, r *report.Report, err error, took time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.running--
	p.done++
	verdict := ""
	switch {
	case err != nil:
		p.broken++
		verdict = "error: " + err.Error()
	case r.Outcome == report.OutcomeNotGradable || (r.Gradable != nil && !*r.Gradable):
		p.broken++
		verdict = "not gradable"
	default:
		if r.Score != nil && r.MaxScore != nil {
			verdict = fmt.Sprintf("%g/%g", *r.Score, *r.MaxScore)
			if *r.Score < *r.MaxScore {
				p.failed++
			}
		}
		if r.Outcome == report.OutcomeUngradable {
			verdict += " (could not be graded)"
		}
	}
	if p.tty {
		fmt.Fprintf(p.w, "\r\x1b[K%s: %s (%s)\n", student, verdict, took.Round(100*time.Millisecond))
		p.line()
		return
	}
	fmt.Fprintf(p.w, "[%d/%d] %s: %s (%s)\n", p.done, p.total, student, verdict, took.Round(100*time.Millisecond))
}

func (p *progress) close() {
	p.closeOnce.Do(func() {
		close(p.stop)
		p.mu.Lock()
		defer p.mu.Unlock()
		if p.tty {
			p.line()
			fmt.Fprintln(p.w)
		}
	})
}
