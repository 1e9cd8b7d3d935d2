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
	var consumed procfs.SigSet
	waiter := false
	for _, fd := range s.FDs {
		if fd.AnonKind() == "signalfd" && fd.HasInfo && fd.Info.HasSigMask {
			consumed |= fd.Info.SigMask
		}
	}
	for _, t := range tasks {
		if strings.Contains(t.Wchan, "sigtimedwait") {
			waiter = true
		}
	}
	// A caught signal blocked outside the wait is the sigsuspend/pselect
	// pattern: the snapshot just caught the daemon between two waits.
	caught := s.Status.SigCgt
	if pl := j.planted; pl != nil {
		planted := procfs.SigSetOf(pl.Blocked...)
		var where []string
		for _, t := range tasks {
			if t.SigBlk&planted&^caught != 0 {
				where = append(where, fmt.Sprintf("thread %d blocks %s", t.TID, t.SigBlk&planted))
			}
		}
		if len(where) > 0 {
			o.status = report.Fail
			o.observed = fmt.Sprintf("%s is still blocked, as the launcher left it: %s", planted, strings.Join(where, "; "))
			return o
		}
	}
	everywhere := ^procfs.SigSet(0)
	var some procfs.SigSet
	for _, t := range tasks {
		everywhere &= t.SigBlk
		some |= t.SigBlk
	}
	dead := everywhere &^ consumed &^ caught
	if waiter {
		dead = 0
	}
	threads := fmt.Sprintf("%d thread(s)", len(tasks))
	switch {
	case dead&^harmlessBlocked != 0:
		o.status = report.Fail
		o.observed = fmt.Sprintf("%s blocked in all %s and nothing waits for it: it can never be delivered (inherited?)", dead, threads)
	case dead != 0:
		o.status = report.Warn
		o.observed = fmt.Sprintf("%s blocked in all %s", dead, threads)
	case some == 0:
		o.status, o.observed = report.Pass, "no signal blocked in any of "+threads
	default:
		o.status = report.Pass
		o.observed = fmt.Sprintf("%s blocked, but not in all of %s", some.Brief(4), threads)
		if consumed != 0 || waiter || everywhere&caught != 0 {
			o.observed = fmt.Sprintf("%s blocked on purpose (handled, signalfd or sigwait) in %s", some.Brief(4), threads)
		}
	}
	return o
}

func (j *judgement) sigdisp() outcome {
	s := j.s
	ign, cgt := s.Status.SigIgn, s.Status.SigCgt
	o := outcome{
		expected: "no signal left ignored by the launcher; SIGTERM not ignored",
		observed: fmt.Sprintf("ignored: %s; caught: %s", ign.Brief(6), cgt.Brief(6)),
		hint:     "reset every signal to SIG_DFL (signal(sig, SIG_DFL) for 1..NSIG), then install the handlers you need with sigaction().",
	}
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
	if shellish := ign & procfs.SigSetOf(syscall.SIGINT, syscall.SIGQUIT); shellish != 0 && j.planted == nil {
		o.status = report.Warn
		o.observed = fmt.Sprintf("%s ignored, as a shell's & leaves them: deliberate? (%s)", shellish, o.observed)
		return o
	}
	o.status = report.Pass
	return o
}
