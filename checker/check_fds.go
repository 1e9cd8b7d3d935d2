package checker

import (
	"fmt"
	"strings"

	"github.com/daemonlab/daemonlab/checker/procfs"
	"github.com/daemonlab/daemonlab/report"
	"golang.org/x/sys/unix"
)

func (j *judgement) stdio() outcome {
	s := j.s
	// One rule, in every mode: stdin on /dev/null; stdout and stderr on
	// /dev/null, the journal (under systemd) or a log file opened for
	// append — as the profile allows.
	allowed := []string{"/dev/null"}
	if j.profile.allowsStdio("journal") {
		allowed = append(allowed, "the journal under systemd")
	}
	if j.profile.allowsStdio("logfile") {
		allowed = append(allowed, "a log file opened for append")
	}
	o := outcome{expected: "0 on /dev/null; 1 and 2 on " + strings.Join(allowed, " or ")}
	if s.FDErr != nil {
		return unreadable("/proc/PID/fd", s.FDErr, o.expected)
	}
	byNum := map[int]procfs.FD{}
	for _, fd := range s.FDs {
		byNum[fd.Num] = fd
	}
	var seen, problems []string
	closed := false
	for n := 0; n <= 2; n++ {
		fd, open := byNum[n]
		what, ok := j.stdioTarget(n, fd, open)
		closed = closed || !open
		seen = append(seen, fmt.Sprintf("%d→%s", n, what))
		if !ok {
			problems = append(problems, fmt.Sprintf("fd %d %s", n, what))
		}
	}
	o.observed = strings.Join(seen, " ")
	if len(problems) == 0 {
		o.status = report.Pass
		return o
	}
	o.status = report.Fail
	o.details = problems
	o.hint = "open(\"/dev/null\", O_RDWR) and dup2() it onto 0, 1 and 2, then close the spare descriptor."
	if closed {
		o.hint = "do not just close 0, 1 and 2: the next open() would reuse them and a stray printf would write into that file. dup2() /dev/null onto them."
	}
	return o
}

// stdioTarget names what standard descriptor n points at and whether the
// profile accepts it.
func (j *judgement) stdioTarget(n int, fd procfs.FD, open bool) (string, bool) {
	switch {
	case !open:
		return "closed", false
	case isDevNull(fd):
		return "/dev/null", true
	case isTerminal(fd):
		return describeFD(fd) + " (a terminal)", false
	case fd.IsRegular() && n == 0:
		return fd.Target + " (a file as stdin: stdin belongs on /dev/null; stdio closed and the descriptor reused by a later open()?)", false
	case fd.IsRegular() && !j.profile.allowsStdio("logfile"):
		return fd.Target + " (a file: this lab wants /dev/null or the journal)", false
	case fd.IsRegular() && !fd.HasInfo:
		return fd.Target + " (a file; its open flags could not be read)", false
	case fd.IsRegular() && fd.Info.AccessMode() != "r" && fd.Info.Flags&unix.O_APPEND != 0:
		return fd.Target + " (log file, append)", true
	case fd.IsRegular():
		return fd.Target + " (a file not opened for append: a log is opened with O_APPEND; or stdio closed and the descriptor reused by a later open()?)", false
	case fd.IsSocket():
		// systemd connects stdout and stderr, never stdin, to the journal
		// with a unix stream socket; a listener on 0-2 (proftpd's port 21)
		// is stdio closed and the descriptor reused.
		if n > 0 && j.s.UnixStreams[fd.Ino] && j.profile.allowsStdio("journal") && j.s.UnderSystemd() {
			return "journal stream (" + fd.Target + ")", true
		}
		if l, ok := j.s.Listeners[fd.Ino]; ok {
			return fd.Target + " (" + l.String() + ": stdio closed and the descriptor reused by a listening socket)", false
		}
		return fd.Target + " (a socket: stdio closed and the descriptor reused?)", false
	case fd.IsPipe():
		// runsvdir reads the other end itself (its process-title log)
		for _, other := range j.s.FDs {
			if other.Num > 2 && other.Target == fd.Target && other.HasInfo && other.Info.AccessMode() == "r" {
				return fmt.Sprintf("%s (a pipe it reads itself on fd %d, not the launcher's: kept for its own use, where stdio belongs on /dev/null or the journal)", fd.Target, other.Num), false
			}
		}
		return fd.Target + " (a pipe to whoever launched it)", false
	case fd.IsCharDevice():
		return fd.Target + " (a device: stdio closed and the descriptor reused by a later open()?)", false
	}
	return fd.Target, false
}

func (j *judgement) fds() outcome {
	s := j.s
	o := outcome{expected: "nothing beyond 0-2 but the pid file and runtime descriptors (sockets, event fds, log files)"}
	if s.FDErr != nil {
		return unreadable("/proc/PID/fd", s.FDErr, o.expected)
	}
	var leaks, unexpected, all []string
	reserved := 0 // close-on-exec /dev/null descriptors among unexpected
	for _, fd := range s.FDs {
		if fd.Num <= 2 {
			continue
		}
		verdict, why := j.classifyFD(fd)
		line := fmt.Sprintf("fd %d → %s (%s)", fd.Num, describeFD(fd), why)
		all = append(all, line)
		switch verdict {
		case fdLeak:
			leaks = append(leaks, line)
		case fdUnexpected:
			unexpected = append(unexpected, line)
			if isDevNull(fd) {
				reserved++
			}
		}
	}
	o.details = all
	o.hint = "close every descriptor above 2 first thing (close_range(3, ~0U, 0), or a loop up to the RLIMIT_NOFILE limit), and open your own with O_CLOEXEC."
	if len(leaks) == 0 && reserved > 0 && reserved == len(unexpected) {
		o.hint = "a close-on-exec /dev/null reaches no child: keep it if it reserves a descriptor number on purpose; otherwise close the spare descriptor after dup2() onto 0-2."
	}
	switch {
	case len(all) == 0:
		o.status, o.observed = report.Pass, "no descriptors beyond 0-2"
	case len(leaks) > 0:
		o.status, o.observed = report.Fail, firstFew(leaks, 3)
	case len(unexpected) > 0:
		o.status, o.observed = severityStatus(j.profile.FDUnexpected), firstFew(unexpected, 3)
	default:
		o.status, o.observed = report.Pass, fmt.Sprintf("%d beyond 0-2, all explained", len(all))
	}
	return o
}

// firstFew joins up to n items and counts the rest.
func firstFew(items []string, n int) string {
	if len(items) <= n {
		return strings.Join(items, "; ")
	}
	return fmt.Sprintf("%s; and %d more", strings.Join(items[:n], "; "), len(items)-n)
}
