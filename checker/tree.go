package checker

import (
	"fmt"
	"strings"

	"github.com/daemonlab/daemonlab/checker/procfs"
	"github.com/daemonlab/daemonlab/report"
)

// Tree pictures where the process sits, pstree-like: its ancestors, then
// its session, process group and terminal.
func (s *Snapshot) Tree() []string {
	chain := make([]string, 0, len(s.Ancestors)+1)
	for i := len(s.Ancestors) - 1; i >= 0; i-- {
		a := s.Ancestors[i]
		chain = append(chain, fmt.Sprintf("%s(%d)", a.Comm, a.PID))
	}
	chain = append(chain, fmt.Sprintf("[%s(%d)]", s.Stat.Comm, s.PID))

	st := s.Stat
	var session string
	switch {
	case st.Session == s.PID:
		session = fmt.Sprintf("session %d (its own, leader)", st.Session)
	case s.SessionLeader != nil:
		session = fmt.Sprintf("session %d (leader %s)", st.Session, s.SessionLeader.Comm)
	case st.Session == 0:
		session = "session 0"
	default:
		session = fmt.Sprintf("session %d (leader gone)", st.Session)
	}
	group := fmt.Sprintf("group %d", st.PGRP)
	if st.PGRP == s.PID {
		group += " (leader)"
	}
	tty := "no tty"
	if st.TTYNr != 0 {
		tty = "tty " + ttyName(st.TTYMajor(), st.TTYMinor())
	}
	facts := []string{session, group, tty}
	if s.Unit != "" {
		facts = append(facts, "unit "+s.Unit)
	}
	return []string{
		strings.Join(chain, " ─ "),
		strings.Join(facts, " · "),
	}
}

// Target describes the snapshot's process for a report, with its
// structured facts; what could not be read is left out.
func (s *Snapshot) Target() *report.Target {
	t := &report.Target{
		PID: s.PID, Name: s.Stat.Comm, Exe: s.Exe, Cmdline: s.Cmdline,
		StartTime: s.Created, StartTicks: s.Stat.StartTicks,
		PPID: s.Stat.PPID, SID: s.Stat.Session, PGID: s.Stat.PGRP,
		TTYNr: s.Stat.TTYNr, TPGID: s.Stat.TPGID,
		UID: append([]uint32(nil), s.Status.UID[:]...), GID: append([]uint32(nil), s.Status.GID[:]...),
		Signals: &report.Signals{
			Blocked: sigNames(s.Status.SigBlk), Ignored: sigNames(s.Status.SigIgn),
			Caught: sigNames(s.Status.SigCgt), Pending: sigNames(s.Status.SigPnd | s.Status.ShdPnd),
		},
	}
	if s.CwdErr == nil {
		cwd := s.Cwd
		t.Cwd = &cwd
	}
	if s.Status.HasUmask {
		u := fmt.Sprintf("%04o", s.Status.Umask)
		t.Umask = &u
	}
	if s.FDErr == nil {
		t.FDs = make([]report.FD, 0, len(s.FDs))
		for _, fd := range s.FDs {
			t.FDs = append(t.FDs, report.FD{FD: fd.Num, Target: fd.Target})
		}
	}
	return t
}

func sigNames(set procfs.SigSet) []string {
	out := []string{}
	for _, sig := range set.Signals() {
		out = append(out, procfs.SignalName(sig))
	}
	return out
}
