package checker

import (
	"fmt"
	"strings"
	"syscall"

	"github.com/daemonlab/daemonlab/checker/procfs"
	"github.com/daemonlab/daemonlab/report"
)

// harmlessBlocked are signals whose default action is to do nothing much,
// or that programs routinely keep blocked; blocking them everywhere is
// worth a warning, not a failure.
var harmlessBlocked = procfs.SigSetOf(syscall.SIGPIPE, syscall.SIGCHLD, syscall.SIGWINCH, syscall.SIGURG)

func (j *judgement) sigmask() outcome {
	s := j.s
	o := outcome{expected: "no signal blocked in every thread unless something waits for it; nothing blocked that the launcher blocked"}
	o.hint = "sigset_t none; sigemptyset(&none); sigprocmask(SIG_SETMASK, &none, NULL); early in main, before creating threads."
	tasks := s.Tasks
	if s.TasksErr != nil {
		// Fall back on the main thread's mask from the process status.
		tasks = []Task{{TID: s.PID, SigBlk: s.Status.SigBlk, State: s.Status.State}}
	}
	// Signals consumed through a signalfd are blocked on purpose. A thread
	// asleep in sigwait()/sigwaitinfo()/sigtimedwait() shows the signals
	// it waits for unblocked: the kernel (do_sigtimedwait) lifts them from
	// its mask until it wakes, as sigsuspend, ppoll and pselect install
	// their temporary mask. So a signal every thread blocks is one no
	// thread waits for, and a thread in sigwait() that still blocks it
	// waits for other signals. A handler alone is no evidence: a daemon
	// can install one and keep the signal blocked for ever.
	consumed := s.signalfdMask()
	if pl := j.planted; pl != nil {
		planted := procfs.SigSetOf(pl.Blocked...)
		// A process-directed signal reaches any thread that does not block
		// it (the Go runtime unblocks on some threads only): the planted
		// signal is lost when every thread still blocks it.
		still := planted &^ consumed
		for _, t := range tasks {
			still &= t.SigBlk
		}
		if still != 0 {
			o.status = report.Fail
			o.observed = fmt.Sprintf("%s is still blocked, as the launcher left it, in all %d thread(s)", still, len(tasks))
			if still&s.Status.SigCgt != 0 {
				o.observed += ": a handler is installed, but a blocked signal never reaches it, and no signalfd or sigwait takes it"
			}
			o.observed += sleepNote(tasks)
			return o
		}
		var where []string
		for _, t := range tasks {
			if b := t.SigBlk & planted &^ consumed; b != 0 {
				where = append(where, fmt.Sprintf("%d", t.TID))
			}
		}
		if len(where) > 0 {
			o.status = report.Pass
			o.observed = fmt.Sprintf("%s is unblocked in %d of %d threads, so it is delivered; thread(s) %s still block it as the launcher left it (threads started before the mask was reset, as the Go runtime's)",
				planted&^consumed, len(tasks)-len(where), len(tasks), strings.Join(where, ","))
			if w := sigwaiters(tasks, planted&^consumed); len(w) > 0 {
				o.observed = fmt.Sprintf("%s is blocked in thread(s) %s as the launcher left it, and taken by thread(s) %s asleep in sigwait()",
					planted&^consumed, strings.Join(where, ","), strings.Join(w, ","))
			}
			return o
		}
	}
	everywhere := ^procfs.SigSet(0)
	var some procfs.SigSet
	for _, t := range tasks {
		everywhere &= t.SigBlk
		some |= t.SigBlk
	}
	dead := everywhere &^ consumed
	threads := fmt.Sprintf("%d thread(s)", len(tasks))
	switch state := sleepState(tasks, s.Stat.State); {
	case dead&^harmlessBlocked != 0 && state == 'R':
		// Caught running, not asleep: a daemon that sleeps in sigsuspend
		// or sigwait blocks the signal between two waits only, and the
		// snapshot may have caught such a moment (right after its
		// readiness, on a loaded machine).
		o.status = report.Warn
		o.observed = fmt.Sprintf("%s blocked in all %s while the daemon was running, not asleep: the mask may be a moment's, between two waits; check again once it sleeps", dead, threads)
	case dead&^harmlessBlocked != 0 && state == 'S':
		// Asleep, and no thread sleeps with it unblocked: the mask is the
		// one it keeps, not a wait's.
		// Named: what matters (not SIGPIPE and its like, which are fine
		// blocked), and by whom when it can be told.
		bad := dead &^ harmlessBlocked
		o.status = report.Fail
		o.observed = fmt.Sprintf("%s blocked in all %s and nothing waits for it (no signalfd, no thread in sigwait or sigsuspend): it can never be delivered (inherited?)", bad, threads)
		switch {
		case j.planted != nil:
			// launch mode blocked only what it planted: this is the daemon's
			o.observed = fmt.Sprintf("%s blocked by the daemon itself in all %s, and nothing waits for it (no signalfd, no thread in sigwait or sigsuspend): it can never be delivered", bad, threads)
		case s.UnderSystemd():
			o.observed = fmt.Sprintf("%s blocked by the daemon itself in all %s (systemd starts a service with an empty mask), and nothing waits for it (no signalfd, no thread in sigwait or sigsuspend): it can never be delivered", bad, threads)
		}
		if c := bad & s.Status.SigCgt; c != 0 {
			o.observed = strings.TrimSuffix(o.observed, " (inherited?)")
			o.observed += fmt.Sprintf("; a handler is installed for %s, but a blocked signal never reaches it", c)
		}
		if p := dead & (s.Status.ShdPnd | s.Status.SigPnd); p != 0 {
			o.observed += fmt.Sprintf("; %s already pending", p)
		}
		o.observed += sleepNote(tasks)
		o.hint = "unblock it (sigprocmask(SIG_UNBLOCK) or SIG_SETMASK with an empty set), or take it on purpose: sigwait() in a thread, a signalfd, or a sigsuspend() loop that unblocks it while asleep."
	case dead&^harmlessBlocked != 0:
		// Neither running nor asleep (stopped, traced): whether the mask
		// is a lasting one cannot be told.
		o.status = report.Warn
		o.observed = fmt.Sprintf("%s blocked in all %s, but the daemon was neither asleep nor running (state %s): cannot tell a lasting mask from a moment's", dead, threads, stateName(state))
	case dead != 0:
		o.status = report.Warn
		o.observed = fmt.Sprintf("%s blocked in all %s", dead, threads)
	case some == 0:
		o.status, o.observed = report.Pass, "no signal blocked in any of "+threads
	default:
		o.status = report.Pass
		o.observed = fmt.Sprintf("%s blocked, but not in all of %s", some.Brief(4), threads)
		var by []string
		if c := some & consumed; c != 0 {
			by = append(by, "a signalfd reads "+c.Brief(4))
		}
		if w := sigwaiters(tasks, some); len(w) > 0 {
			by = append(by, fmt.Sprintf("thread(s) %s wait for them in sigwait()", strings.Join(w, ",")))
		}
		if len(by) > 0 {
			o.observed = fmt.Sprintf("%s blocked on purpose in %s: %s", some.Brief(4), threads, strings.Join(by, "; "))
		}
	}
	return o
}

// sleepState sums up the threads' states: 'R' when one runs (its mask may
// be a moment's, between two waits), 'S' when all sleep (S or D; exited
// threads aside), else the first other state seen (0 when unknown). A
// thread whose own state is unknown takes the process's.
func sleepState(tasks []Task, process byte) byte {
	var other byte
	asleep := false
	for _, t := range tasks {
		st := t.State
		if st == 0 {
			st = process
		}
		switch st {
		case 'R':
			return 'R'
		case 'S', 'D':
			asleep = true
		case 'Z', 'X':
			// an exited thread takes no signal and blocks nothing that counts
		default:
			if other == 0 {
				other = st
				if st == 0 {
					other = '?'
				}
			}
		}
	}
	if other != 0 {
		return other
	}
	if asleep {
		return 'S'
	}
	return '?'
}

func stateName(st byte) string {
	if st == '?' || st == 0 {
		return "unknown"
	}
	return string(st)
}

// isSigwait says whether a wait channel is the kernel's sigwait():
// do_sigtimedwait (with a compiler suffix such as .isra.0) on current
// kernels, sys_rt_sigtimedwait on older ones.
func isSigwait(wchan string) bool {
	return strings.Contains(wchan, "sigtimedwait")
}

// sigwaiters lists the threads asleep in sigwait() that have some of set
// unblocked, as the kernel shows the signals such a thread waits for.
func sigwaiters(tasks []Task, set procfs.SigSet) []string {
	var out []string
	for _, t := range tasks {
		if isSigwait(t.Wchan) && set&^t.SigBlk != 0 {
			out = append(out, fmt.Sprint(t.TID))
		}
	}
	return out
}

// sleepNote names where the threads sleep, as far as /proc/PID/task/TID/
// wchan tells ("0" or empty when hidden): a thread in sigwait() that still
// blocks the signal waits for other signals.
func sleepNote(tasks []Task) string {
	var where []string
	seen := map[string]bool{}
	for _, t := range tasks {
		w := t.Wchan
		if w == "" || w == "0" || seen[w] {
			continue
		}
		seen[w] = true
		if isSigwait(w) {
			w += ", in sigwait() for other signals"
		}
		where = append(where, w)
	}
	if len(where) == 0 {
		return ""
	}
	return " (asleep in " + firstFew(where, 3) + ")"
}

// signalfdMask is the set of signals the process's signalfds read.
func (s *Snapshot) signalfdMask() procfs.SigSet {
	var m procfs.SigSet
	for _, fd := range s.FDs {
		if fd.AnonKind() == "signalfd" && fd.HasInfo && fd.Info.HasSigMask {
			m |= fd.Info.SigMask
		}
	}
	return m
}

// blockedEverywhere is the set of signals every thread blocks (the main
// thread's mask from status when the threads could not be read).
func (s *Snapshot) blockedEverywhere() procfs.SigSet {
	if s.TasksErr != nil || len(s.Tasks) == 0 {
		return s.Status.SigBlk
	}
	all := ^procfs.SigSet(0)
	for _, t := range s.Tasks {
		all &= t.SigBlk
	}
	return all
}

func (j *judgement) sigdisp() (o outcome) {
	s := j.s
	ign, cgt := s.Status.SigIgn, s.Status.SigCgt
	o = outcome{
		expected: "no signal left ignored by the launcher; SIGTERM not ignored",
		observed: fmt.Sprintf("ignored: %s; caught: %s", ign.Brief(6), cgt.Brief(6)),
		hint:     "reset every signal to SIG_DFL (signal(sig, SIG_DFL) for 1..NSIG), then install the handlers you need with sigaction().",
	}
	// The kernel never discards a blocked signal as ignored: it stays
	// pending, and a signalfd reads it. An ignored signal blocked in every
	// thread and in a signalfd's mask is consumed there, the SIG_IGN has no
	// effect — credited as sigmask credits a signalfd.
	viaSignalfd := ign & s.signalfdMask() & s.blockedEverywhere()
	ign &^= viaSignalfd
	defer func() {
		switch {
		case viaSignalfd == 0:
		case o.status == report.Pass:
			o.observed = fmt.Sprintf("%s ignored, but blocked and consumed by a signalfd, so the SIG_IGN has no effect (%s)", viaSignalfd, o.observed)
		default:
			o.observed += fmt.Sprintf("; %s ignored, but blocked and consumed by a signalfd (no effect)", viaSignalfd)
		}
	}()
	if pl := j.planted; pl != nil {
		if still := ign & procfs.SigSetOf(pl.Ignored...); still != 0 {
			o.status = report.Fail
			o.observed = fmt.Sprintf("%s is still ignored, as the launcher left it (ignored: %s)", still, ign)
			return o
		}
	}
	if ign.Has(syscall.SIGTERM) {
		o.status = report.Fail
		o.observed = "SIGTERM is ignored: the daemon cannot be stopped gracefully (" + o.observed + ")"
		return o
	}
	if ign.Has(syscall.SIGHUP) && j.profile.SIGHUP == "reload" {
		o.status = report.Fail
		o.observed = "SIGHUP is ignored, but this lab wants a reload on SIGHUP (" + o.observed + ")"
		o.hint = "install a SIGHUP handler with sigaction() that makes the main loop re-read the configuration."
		return o
	}
	if ign.Has(syscall.SIGHUP) && j.profile.SIGHUP == "any" {
		o.status = report.Warn
		// attach mode cannot know who set it
		who := "(by the daemon, or inherited from nohup or its launcher)"
		if j.planted != nil {
			// launch mode knows what it left ignored, and SIGHUP was not
			// (a planted one is judged above)
			who = "by the daemon itself (launch mode left it at its default)"
		}
		o.observed = "SIGHUP is ignored " + who + ": the daemon can never be told to reload (" + o.observed + ")"
		o.hint = "reset SIGHUP to SIG_DFL at start, then install a handler that re-reads the configuration (or say in the lab that SIGHUP is ignored on purpose)."
		return o
	}
	if shellish := ign & procfs.SigSetOf(syscall.SIGINT, syscall.SIGQUIT); shellish != 0 && j.planted == nil {
		o.status = report.Warn
		o.observed = fmt.Sprintf("%s ignored, as a shell's & leaves them: deliberate? (%s)", shellish, o.observed)
		return o
	}
	o.status = report.Pass
	return o
}
