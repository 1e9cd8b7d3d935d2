package checker

import (
	"fmt"
	"slices"
	"strings"

	"github.com/daemonlab/daemonlab/report"
)

// serviceManagers are parents that legitimately adopt or supervise daemons:
// init systems, container inits and supervisors acting as subreapers.
var serviceManagers = []string{
	"systemd", "init", "tini", "dumb-init", "docker-init", "catatonit",
	"s6-svscan", "s6-supervise", "runsv", "runsvdir", "runit", "supervisord",
	"supervise-daemon", "openrc-init", "upstart", "containerd-shim",
}

func isServiceManager(comm string) bool {
	for _, m := range serviceManagers {
		if comm == m || strings.HasPrefix(comm, m) {
			return true
		}
	}
	return false
}

func (j *judgement) parent() outcome {
	s := j.s
	o := outcome{expected: "ppid 1 (init), a service manager, or the checker as subreaper in launch mode"}
	ppid := s.Stat.PPID
	name := "?"
	if p := s.Parent(); p != nil {
		name = p.Comm
	}
	o.observed = fmt.Sprintf("ppid %d (%s)", ppid, name)
	o.hint = "fork(), let the parent exit once the child is ready, and carry on in the child: the kernel hands the orphan to init."
	if pl := j.planted; pl != nil {
		switch {
		case s.PID == pl.LauncherPID:
			o.status = report.Fail
			o.observed = "the process you launched is itself the daemon: it never forked"
			return o
		case ppid == pl.LauncherPID && !pl.LauncherExited:
			o.status = report.Fail
			o.observed += ": the launched program is still running as its parent"
			return o
		case ppid == pl.Subreaper:
			o.status = report.Pass
			o.observed = fmt.Sprintf("orphaned: the launcher exited and the checker (pid %d, subreaper) adopted it", ppid)
			return o
		}
	}
	switch p := s.Parent(); {
	case ppid == 1:
		o.status = report.Pass
		o.observed = fmt.Sprintf("ppid 1 (%s): adopted by init", name)
	case ppid == 0 && s.PID == 1:
		o.status = report.Warn
		o.observed = "it is PID 1 of its pid namespace (a container's init), so it has no parent to leave"
	case ppid == 0:
		o.status = report.Unknown
		o.observed = "ppid 0: the parent is outside this pid namespace"
	case p != nil && isServiceManager(p.Comm):
		o.status = report.Pass
		o.observed = fmt.Sprintf("ppid %d (%s): supervised by a service manager", ppid, name)
	case p != nil && p.Comm == s.Stat.Comm && len(s.Ancestors) > 1 && (p.Stat.PPID == 1 || isServiceManager(s.Ancestors[1].Comm)) && s.PIDFile.PID != s.PID:
		// A prefork server: the worker's parent is its master, itself a
		// daemon. When the pid file names this process, it is the daemon
		// and must be orphaned itself.
		o.status = report.Pass
		o.observed = fmt.Sprintf("ppid %d (%s): a worker of its master process, which init adopted", ppid, name)
	default:
		o.status = report.Fail
		o.observed += ": it was never orphaned"
	}
	return o
}

func (j *judgement) noTTY() outcome {
	s := j.s
	o := outcome{expected: "tty_nr 0 and tpgid -1: no controlling terminal"}
	if s.Stat.TTYNr != 0 {
		o.status = report.Fail
		o.observed = fmt.Sprintf("controlling terminal %s (tty_nr %d, foreground group %d)", ttyName(s.Stat.TTYMajor(), s.Stat.TTYMinor()), s.Stat.TTYNr, s.Stat.TPGID)
		o.hint = "call setsid() in a forked child (not a process-group leader): it drops the controlling terminal; fork again so it can never get one back."
		return o
	}
	if s.Stat.TPGID != -1 {
		o.status = report.Fail
		o.observed = fmt.Sprintf("tty_nr 0 but tpgid %d", s.Stat.TPGID)
		return o
	}
	o.status, o.observed = report.Pass, "tty_nr 0, tpgid -1: no controlling terminal"
	var onTTY []string
	for _, fd := range s.FDs {
		if isTerminal(fd) {
			onTTY = append(onTTY, fmt.Sprintf("fd %d on %s", fd.Num, describeFD(fd)))
		}
	}
	if len(onTTY) > 0 {
		// The descriptors themselves are judged by stdio and fds.
		o.status = report.Warn
		o.observed += ", but " + strings.Join(onTTY, ", ")
		o.hint = "a terminal descriptor still writes to the user's screen; see the stdio and fds checks."
	}
	return o
}

func (j *judgement) session() outcome {
	s := j.s
	sid, pid := s.Stat.Session, s.PID
	o := outcome{expected: "its own session (setsid): " + sessionWant(j.profile.Session)}
	o.hint = "call setsid() in the child after the first fork (it fails in a process-group leader)."
	shape := ""
	switch {
	case sid == pid:
		shape = "session leader (single fork + setsid)"
	case sid == 0:
		o.status, o.observed = report.Unknown, "session 0: its session leader is outside this pid namespace"
		return o
	case s.SessionLeader == nil:
		shape = fmt.Sprintf("not the session leader: leader %d has exited (double fork)", sid)
	}
	if shape == "" {
		leader := s.SessionLeader
		desc := fmt.Sprintf("session %d of %s (pid %d)", sid, leader.Comm, leader.PID)
		switch {
		case j.planted != nil && sid == j.planted.LauncherSID:
			return fail(o, desc+": still the launcher's terminal session")
		case sid == s.SelfSID:
			return fail(o, desc+": the same session as daemonlab, i.e. your terminal's")
		case leader.Stat.TTYNr != 0:
			return fail(o, fmt.Sprintf("%s, which owns terminal %s", desc, ttyName(leader.Stat.TTYMajor(), leader.Stat.TTYMinor())))
		case slices.ContainsFunc(s.Ancestors, func(r Relative) bool { return r.PID == leader.PID }):
			o.status, o.observed = report.Pass, desc+", its own detached ancestor (a worker of a daemon)"
			return o
		}
		o.status, o.observed = report.Warn, desc+": shares another program's session instead of calling setsid()"
		return o
	}
	o.observed = fmt.Sprintf("sid %d, pgid %d: %s", sid, s.Stat.PGRP, shape)
	if j.planted != nil && sid == j.planted.LauncherSID {
		return fail(o, o.observed+", but in the launcher's session")
	}
	switch want := j.profile.Session; {
	case want == "leader" && sid != pid:
		o.hint = "this lab wants a session leader: fork once, then setsid() in the child, without a second fork."
		return fail(o, o.observed)
	case want == "non-leader" && sid == pid:
		o.hint = "this lab wants the double fork: after setsid(), fork again and let the session leader exit, so the daemon can never acquire a terminal."
		return fail(o, o.observed)
	}
	o.status = report.Pass
	return o
}

func sessionWant(want string) string {
	switch want {
	case "leader":
		return "session leader (single fork)"
	case "non-leader":
		return "not the session leader (double fork)"
	}
	return "leader (single fork) or non-leader (double fork)"
}

func fail(o outcome, observed string) outcome {
	o.status, o.observed = report.Fail, observed
	return o
}

func (j *judgement) cwd() outcome {
	s := j.s
	want, strict := j.profile.Cwd, j.profile.Cwd != ""
	if !strict {
		want = "/"
	}
	o := outcome{expected: want}
	if s.CwdErr != nil {
		return unreadable("/proc/PID/cwd", s.CwdErr, want)
	}
	o.observed = s.Cwd
	o.hint = fmt.Sprintf("call chdir(%q) after setsid(): a daemon must not pin the directory it was started in.", want)
	switch {
	case s.Cwd == want:
		o.status = report.Pass
	case strings.HasSuffix(s.Cwd, " (deleted)"):
		o.status, o.observed = report.Fail, s.Cwd+": its working directory was removed under it"
	case s.chrooted() && s.Cwd == s.Root && (!strict || want == "/"):
		// chroot(dir) then chdir("/"): the daemon is at its own / (the
		// checker sees both as dir), which pins nothing outside its tree.
		o.status, o.observed = report.Pass, fmt.Sprintf("%s: at the root of its chroot %s", s.Cwd, s.Root)
	case j.planted != nil && s.Cwd == j.planted.Dir:
		o.status, o.observed = report.Fail, s.Cwd+": still the directory it was launched from"
	case strict:
		o.status = report.Fail
	case inheritedLooking(s.Cwd):
		o.status, o.observed = report.Fail, s.Cwd+": a user's, temporary or removable directory, most likely the shell's"
	default:
		o.status = report.Warn
		o.observed = s.Cwd + ": a deliberate working directory (a spool)? It pins its file system; the textbook daemon runs in /"
	}
	return o
}

// inheritedLooking tells directories a daemon would not choose for itself:
// homes, temporary directories and mount points for removable media.
func inheritedLooking(dir string) bool {
	for _, p := range []string{"/home", "/root", "/tmp", "/var/tmp", "/mnt", "/media", "/run/user"} {
		if dir == p || strings.HasPrefix(dir, p+"/") {
			return true
		}
	}
	return false
}

func (j *judgement) umask() outcome {
	s := j.s
	accepted := make([]string, len(j.profile.Umask))
	for i, m := range j.profile.Umask {
		accepted[i] = m.String()
	}
	o := outcome{expected: "umask " + strings.Join(accepted, " or ")}
	if !s.Status.HasUmask {
		o.status, o.observed = report.Unknown, "no Umask line in /proc/PID/status (a kernel older than 4.7)"
		return o
	}
	got := Mode(s.Status.Umask)
	o.observed = "umask " + got.String()
	o.hint = fmt.Sprintf("call umask(%s) early, and give explicit modes to open() and mkdir().", accepted[0])
	if slices.Contains(j.profile.Umask, got) {
		o.status = report.Pass
		return o
	}
	if pl := j.planted; pl != nil && got == Mode(pl.Umask) {
		// Equal to the planted mask: either the daemon never called
		// umask(), or it chose that very value (postfix sets 077 itself).
		o.status, o.observed = report.Fail, fmt.Sprintf("umask %s, the same as the mask planted at launch: cannot tell whether the daemon set it or never called umask()", got)
		return o
	}
	switch {
	case j.planted != nil:
		o.observed += fmt.Sprintf(": set by the daemon (launch mode started it with %s), a deliberate choice other than %s", Mode(j.planted.Umask), strings.Join(accepted, " or "))
	case s.UnderSystemd() && got == 0o022:
		o.observed += ": systemd's default UMask="
	case s.UnderSystemd():
		// systemd starts a service with 0022 unless its unit says UMask=:
		// anything else the unit asked for, or the daemon chose.
		o.observed += ": the unit's UMask=, or the daemon's own umask() (systemd's default is 0022)"
	default:
		o.observed += ": an explicit choice? the inherited mask of the shell that started it?"
	}
	o.status = severityStatus(j.profile.UmaskOther)
	return o
}

// severityStatus maps a profile severity to the status of a deviation.
func severityStatus(sev Severity) report.Status {
	switch sev {
	case SevFail:
		return report.Fail
	case SevOff:
		return report.Pass
	}
	return report.Warn
}
