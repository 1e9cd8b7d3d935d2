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
		tasks = []Task{{TID: s.PID, SigBlk: s.Status.SigBlk}}
	}
	// Signals consumed through a signalfd or by a thread in sigwait() are
	// blocked on purpose.
	consumed := s.signalfdMask()
	waiter := false
	for _, t := range tasks {
		if strings.Contains(t.Wchan, "sigtimedwait") {
			waiter = true
		}
	}
	// A handler alone is no evidence: a daemon can install one and still
	// keep the signal blocked forever. Only a signalfd covering the signal
	// or a thread waiting in sigwait() shows it is taken deliberately. (A
	// thread sleeping in pselect/ppoll/sigsuspend shows its temporary mask,
	// without the signal blocked.)
	if pl := j.planted; pl != nil {
		planted := procfs.SigSetOf(pl.Blocked...)
		// A process-directed signal reaches any thread that does not block
		// it (the Go runtime unblocks on some threads only): the planted
		// signal is lost when every thread still blocks it.
		still := planted &^ consumed
		for _, t := range tasks {
			still &= t.SigBlk
		}
		if still != 0 && !waiter {
			o.status = report.Fail
			o.observed = fmt.Sprintf("%s is still blocked, as the launcher left it, in all %d thread(s)", still, len(tasks))
			if still&s.Status.SigCgt != 0 {
				o.observed += ": a handler is installed, but a blocked signal never reaches it, and no signalfd or sigwait takes it"
			}
			return o
		}
		var where []string
		for _, t := range tasks {
			if b := t.SigBlk & planted &^ consumed; b != 0 {
				where = append(where, fmt.Sprintf("%d", t.TID))
			}
		}
		if len(where) > 0 && !waiter {
			o.status = report.Pass
			o.observed = fmt.Sprintf("%s is unblocked in %d of %d threads, so it is delivered; thread(s) %s still block it as the launcher left it (threads started before the mask was reset, as the Go runtime's)",
				planted&^consumed, len(tasks)-len(where), len(tasks), strings.Join(where, ","))
			return o
		}
	}
	everywhere := ^procfs.SigSet(0)
	var some procfs.SigSet
	for _, t := range tasks {
		everywhere &= t.SigBlk
		some |= t.SigBlk
	}
	// Attach mode, nothing planted: a caught signal blocked outside the
	// wait is the sigsuspend/pselect pattern, the snapshot having caught
	// the daemon between two waits.
	dead := everywhere &^ consumed &^ s.Status.SigCgt
	if waiter {
		dead = 0
	}
	threads := fmt.Sprintf("%d thread(s)", len(tasks))
	switch {
	case dead&^harmlessBlocked != 0 && s.Stat.State == 'R':
		// Caught running, not asleep: a daemon that sleeps in sigsuspend
		// or pselect blocks the signal between two waits only, and the
		// snapshot may have caught such a moment (right after its
		// readiness, on a loaded machine).
		o.status = report.Warn
		o.observed = fmt.Sprintf("%s blocked in all %s while the daemon was running, not asleep: the mask may be a moment's, between two waits; check again once it sleeps", dead, threads)
	case dead&^harmlessBlocked != 0:
		o.status = report.Fail
		o.observed = fmt.Sprintf("%s blocked in all %s and nothing waits for it: it can never be delivered (inherited?)", dead, threads)
		if j.planted != nil {
			// launch mode blocked only what it planted: this is the daemon's
			o.observed = fmt.Sprintf("%s blocked by the daemon itself in all %s, and nothing waits for it (no signalfd, no sigwait): it can never be delivered", dead, threads)
		}
	case dead != 0:
		o.status = report.Warn
		o.observed = fmt.Sprintf("%s blocked in all %s", dead, threads)
	case some == 0:
		o.status, o.observed = report.Pass, "no signal blocked in any of "+threads
	default:
		o.status = report.Pass
		o.observed = fmt.Sprintf("%s blocked, but not in all of %s", some.Brief(4), threads)
		if consumed != 0 || waiter || everywhere&s.Status.SigCgt != 0 {
			o.observed = fmt.Sprintf("%s blocked on purpose (handled, signalfd or sigwait) in %s", some.Brief(4), threads)
		}
	}
	return o
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
		who := "(as nohup leaves it)"
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
