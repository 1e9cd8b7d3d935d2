package grade

import (
	"context"
	"fmt"
	"path"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/daemonlab/daemonlab/containers"
	"github.com/daemonlab/daemonlab/internal/capture"
	"github.com/daemonlab/daemonlab/internal/unitfile"
	"github.com/daemonlab/daemonlab/report"
)

// Lab 06: one stdin/stdout program behind xinetd and behind a systemd
// socket with Accept=yes.
const (
	superXinetdPort = 9006
	superSocketPort = 9016
	superInstances  = 3
	superReply      = "HELLO DAEMONLAB\n"
	xinetdExe       = "/usr/sbin/xinetd"
)

// superSide is one of the two super-daemons and what the probe saw.
type superSide struct {
	name   string // "xinetd", "the socket unit"
	port   int
	result superResult
	err    error
}

type superResult struct {
	Listener   *probeListener `json:"listener"`
	Before     []int          `json:"before"`
	Server     *probeProc     `json:"server"`
	Reply      string         `json:"reply"`
	ReplyError string         `json:"reply_error"`
	Gone       *bool          `json:"gone"`
	Concurrent []int          `json:"concurrent"`
}

func (g *grader) superdaemon(ctx context.Context) {
	prog := "/usr/local/bin/" + g.lab.Binary
	name := strings.TrimSuffix(g.lab.Binary, path.Ext(g.lab.Binary))
	socketUnit, templateUnit := name+".socket", name+"@.service"

	g.xinetdConfig(ctx, name)
	g.lintUnits(ctx, socketUnit, templateUnit)
	if _, err := g.sys(ctx, g.lab.Deadlines.Start.Duration, "start", socketUnit); err != nil {
		g.progress("starting %s: %v", socketUnit, err)
	}
	sides := []*superSide{{name: "xinetd", port: superXinetdPort}, {name: socketUnit, port: superSocketPort}}
	for _, s := range sides {
		s.err = g.runProbe(ctx, 30*time.Second, &s.result, "super", fmt.Sprint(s.port), prog, fmt.Sprint(superInstances))
	}
	for _, s := range sides {
		if s.err != nil {
			for _, id := range []string{"socket-activation", "inetd-reply", "inetd-stdio", "inetd-instances"} {
				g.set(id, report.Error, fmt.Sprintf("port %d (%s): %v", s.port, s.name, s.err), "")
			}
			return
		}
	}

	// socket-activation: the super-daemon listens, nothing else runs, and
	// a server does not outlive its connection.
	var bad, good []string
	for _, s := range sides {
		r := s.result
		wantListener := s.name == "xinetd" && r.Listener != nil && r.Listener.Exe == xinetdExe ||
			s.name != "xinetd" && r.Listener != nil && r.Listener.PID == 1
		switch {
		case r.Listener == nil:
			bad = append(bad, fmt.Sprintf("nothing listens on port %d", s.port))
		case !wantListener:
			bad = append(bad, fmt.Sprintf("port %d is held by pid %d (%s), not by %s", s.port, r.Listener.PID, orNone(r.Listener.Exe), map[bool]string{true: "xinetd", false: "PID 1"}[s.name == "xinetd"]))
		case len(r.Before) > 0:
			bad = append(bad, fmt.Sprintf("before any connection to port %d, %s already ran (pid %v)", s.port, prog, r.Before))
		case r.Gone != nil && !*r.Gone && r.Server != nil:
			bad = append(bad, fmt.Sprintf("port %d: server pid %d still ran 2 s after its client closed the connection", s.port, r.Server.PID))
		default:
			good = append(good, fmt.Sprintf("port %d: %s listens, no server before a connection, the server exits after it", s.port, map[bool]string{true: "xinetd", false: "PID 1"}[s.name == "xinetd"]))
		}
	}
	if len(bad) > 0 {
		g.set("socket-activation", report.Fail, strings.Join(bad, "; "), "the program serves one connection and exits; the super-daemon, not your program, listens.")
	} else {
		g.set("socket-activation", report.Pass, strings.Join(good, "; "), "")
	}

	// inetd-reply
	bad, good = nil, nil
	for _, s := range sides {
		r := s.result
		switch {
		case r.Reply == superReply:
			good = append(good, fmt.Sprintf("port %d answered %q", s.port, strings.TrimSpace(r.Reply)))
		case r.ReplyError != "":
			bad = append(bad, fmt.Sprintf("port %d: %s", s.port, capture.Compact(r.ReplyError)))
		default:
			bad = append(bad, fmt.Sprintf("port %d answered %q to \"hello daemonlab\"", s.port, capture.Compact(r.Reply)))
		}
	}
	if len(bad) > 0 {
		g.set("inetd-reply", report.Fail, strings.Join(bad, "; "), "read one line from stdin, write it upper-cased (newline included) to stdout, flush, exit.")
	} else {
		g.set("inetd-reply", report.Pass, strings.Join(good, "; "), "")
	}

	// inetd-stdio: who started the server, and where its 0 and 1 point.
	bad, good = nil, nil
	unknown := false
	for _, s := range sides {
		p := s.result.Server
		if p == nil {
			bad = append(bad, fmt.Sprintf("port %d: no %s process had the connection on its stdin within 3 s", s.port, prog))
			continue
		}
		var parentOK bool
		var parent string
		if s.name == "xinetd" {
			parentOK = p.ParentExe == xinetdExe && s.result.Listener != nil && p.PPID == s.result.Listener.PID
			parent = "xinetd"
		} else {
			parentOK = p.PPID == 1 && strings.Contains(p.Cgroup, "/"+name+"@")
			parent = "PID 1, in a " + name + "@ instance unit"
		}
		switch {
		case !parentOK:
			bad = append(bad, fmt.Sprintf("port %d: server pid %d's parent is pid %d (%s), not %s", s.port, p.PID, p.PPID, orNone(p.ParentExe), parent))
		case strings.HasPrefix(p.FD1, "error: "):
			unknown = true
			bad = append(bad, fmt.Sprintf("port %d: server pid %d's descriptors could not be read (%s)", s.port, p.PID, p.FD1))
		case p.FD0 != p.Socket || p.FD1 != p.Socket:
			bad = append(bad, fmt.Sprintf("port %d: server pid %d has fd 0 → %s and fd 1 → %s; the connection is %s", s.port, p.PID, p.FD0, p.FD1, p.Socket))
		default:
			good = append(good, fmt.Sprintf("port %d: pid %d, child of %s, fd 0 and 1 → %s", s.port, p.PID, parent, p.Socket))
		}
	}
	switch {
	case len(bad) == 0:
		g.set("inetd-stdio", report.Pass, strings.Join(good, "; "), "")
	case unknown:
		g.set("inetd-stdio", report.Unknown, strings.Join(bad, "; "), "")
	default:
		g.set("inetd-stdio", report.Fail, strings.Join(bad, "; "),
			"the connection is stdin and stdout: read fd 0, write fd 1, and do not fork away (xinetd: wait = no; systemd: Accept=yes, StandardInput=socket).")
	}

	// inetd-instances
	bad, good = nil, nil
	for _, s := range sides {
		n := len(s.result.Concurrent)
		if n == superInstances {
			good = append(good, fmt.Sprintf("port %d: %d connections, %d servers %v", s.port, superInstances, n, s.result.Concurrent))
		} else {
			bad = append(bad, fmt.Sprintf("port %d: %d concurrent connections, %d server(s) holding them", s.port, superInstances, n))
		}
	}
	if len(bad) > 0 {
		g.set("inetd-instances", report.Fail, strings.Join(bad, "; "), "one server per connection: xinetd wait = no without a low instances =; Accept=yes without MaxConnections=1.")
	} else {
		g.set("inetd-instances", report.Pass, strings.Join(good, "; "), "")
	}
}

// xinetdProblem matches what xinetd logs about a configuration it
// cannot use ("bad service attribute", "Bad service type", "ERROR ...
// DISABLING", "Service ... failed to start and is deactivated").
var xinetdProblem = regexp.MustCompile(`(?i)\b(bad|error|warning|deactivated|disabling|missing)\b`)

// xinetdConfig has the running xinetd re-read its configuration (the
// hand-in file was installed before anything of the submission ran) and
// reads what xinetd itself logged about the file.
func (g *grader) xinetdConfig(ctx context.Context, name string) {
	file := name + ".xinetd"
	if !g.sub.Has(file) {
		g.set("xinetd-config", report.Fail, "the submission has no "+file, "hand in "+file+" next to your source.")
		return
	}
	before, err := g.cursor(ctx)
	if err != nil {
		g.set("xinetd-config", report.Error, "could not read the journal: "+err.Error(), "")
		return
	}
	if _, err := g.sys(ctx, 30*time.Second, "reload", "xinetd.service"); err != nil {
		g.set("xinetd-config", report.Error, "xinetd could not be reloaded: "+err.Error(), "")
		return
	}
	var problems []string
	var done bool
	unitPolling.For(ctx, 3*time.Second, func() bool {
		entries, err := g.unitJournal(ctx, "xinetd.service", before)
		if err != nil {
			return false
		}
		problems, done = nil, false
		for _, e := range entries {
			t := e.text()
			if strings.Contains(t, "Reconfigured:") {
				done = true
			}
			if e.fromDaemon() && strings.Contains(t, name) && xinetdProblem.MatchString(t) {
				problems = append(problems, capture.Compact(t))
			}
		}
		return done
	})
	switch {
	case len(problems) > 0:
		g.set("xinetd-config", report.Fail, "xinetd: "+problems[0], "each line is attribute = value; check the attribute names in xinetd.conf(5), and put comments on their own lines.", problems...)
	case !done:
		g.set("xinetd-config", report.Error, "xinetd did not log that it re-read its configuration", "")
	default:
		g.set("xinetd-config", report.Pass, fmt.Sprintf("xinetd re-read /etc/xinetd.d/%s and logged no problem about it", name), "")
	}
}

// lintUnits judges hand-in unit files (other than the lab's Unit) with
// daemonlab's lint, from the submission's bytes, then with
// `systemd-analyze verify`, whose output is read, not its exit status.
func (g *grader) lintUnits(ctx context.Context, units ...string) {
	var errs, warns []string
	for _, u := range units {
		if !g.sub.Has(u) {
			errs = append(errs, "the submission has no "+u)
			continue
		}
		data, err := g.sub.ReadFile(u, maxUnit)
		if err != nil {
			errs = append(errs, capture.Compact(err.Error()))
			continue
		}
		ds := unitfile.Check(u, data)
		if strings.HasSuffix(u, ".service") && slices.ContainsFunc(units, func(x string) bool { return strings.HasSuffix(x, ".socket") || strings.HasSuffix(x, ".timer") }) {
			// a socket- or timer-activated service is not enabled: its socket or timer is
			ds = slices.DeleteFunc(ds, func(d unitfile.Diagnostic) bool { return d.Code == unitfile.CodeMissingInstall })
		}
		errs, warns = bySeverity(ds, errs, warns)
	}
	if len(errs) > 0 {
		g.set("unit-syntax", report.Fail, errs[0], "fix the unit files; `systemd-analyze verify` shows most of these problems, but accepts what the lab rules out (a program or pid file without its full path).", append(errs, warns...)...)
		return
	}
	args := []string{"/usr/bin/systemd-analyze", "verify", "--man=no"}
	for _, u := range units {
		args = append(args, "/etc/systemd/system/"+u)
	}
	res, err := g.c.Exec(ctx, args, containers.WithTimeout(30*time.Second))
	if err != nil {
		g.set("unit-syntax", report.Error, "systemd-analyze verify could not run: "+err.Error(), "")
		return
	}
	problems := append(warns, verifyProblems(res.Output)...)
	if len(problems) > 0 {
		g.set("unit-syntax", report.Fail, fmt.Sprintf("%d problem(s): %s", len(problems), capture.Compact(problems[0])),
			"systemd ignores what it cannot parse: fix every line `systemd-analyze verify` prints.", lastN(problems, 8)...)
		return
	}
	g.set("unit-syntax", report.Pass, strings.Join(units, " and ")+" parse cleanly; systemd-analyze verify prints nothing about them", "")
}

func lastN(s []string, n int) []string {
	if len(s) > n {
		s = s[len(s)-n:]
	}
	out := make([]string, len(s))
	for i, l := range s {
		out[i] = capture.Compact(l)
	}
	return out
}

// unitJournal reads a unit's journal lines after cursor.
func (g *grader) unitJournal(ctx context.Context, unit, after string) ([]journalEntry, error) {
	return g.readJournal(ctx, after, "-u", unit)
}

// verifyHarmless are `systemd-analyze verify` lines that say nothing about
// the unit: the image has no man(1), so a Documentation=man: link makes
// verify say it could not look the page up (and exit 1). Every other line
// is a problem, whatever the exit status (0 for an ignored setting).
var verifyHarmless = regexp.MustCompile(`^(\S+: )?Command 'man [^']*' failed with code \d+$`)

func verifyProblems(output string) []string {
	var out []string
	for _, l := range strings.Split(output, "\n") {
		if l = strings.TrimSpace(l); l != "" && !verifyHarmless.MatchString(l) {
			out = append(out, l)
		}
	}
	return out
}
