package launch

import "time"

// EmptyScans decides when nothing of a run is left. One scan of /proc can
// miss a process that forks and exits while the scan runs (its child is
// not yet listed, it is gone when read), so only empty scans at least
// 10 ms apart, with no exit reaped in between, mean none is left: every
// process of the run that exits is orphaned to the checker and reaped by
// it. The zero value is ready to use.
type EmptyScans struct {
	since time.Time
	mark  int
	empty bool // the last scan found nothing
}

// Empty records a scan that found nothing, made at mark, the position in
// the exit log (Session.Mark), and reports whether nothing is left for sure.
func (e *EmptyScans) Empty(mark int) bool {
	if !e.empty || mark != e.mark {
		e.since, e.mark, e.empty = time.Now(), mark, true
		return false
	}
	return time.Since(e.since) >= 10*time.Millisecond
}

// Busy records a scan that found processes of the run.
func (e *EmptyScans) Busy() { e.empty = false }
