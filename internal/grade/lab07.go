package grade

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/daemonlab/daemonlab/internal/capture"
	"github.com/daemonlab/daemonlab/internal/sysd"
	"github.com/daemonlab/daemonlab/report"
)

// Lab 07: an LSB init script, run as init runs it and through `service`.

// daemonProc is one running process of the lab's program, from /proc.
type daemonProc struct {
	PID    int      `json:"pid"`
	Start  uint64   `json:"start"`
	PPID   int      `json:"ppid"`
	Cgroup string   `json:"cgroup"`
	Args   []string `json:"args"`
}

func (p daemonProc) String() string { return fmt.Sprintf("pid %d", p.PID) }

// same reports whether two sightings are one process (pid and start time).
func (p daemonProc) same(q daemonProc) bool { return p.PID == q.PID && p.Start == q.Start }

type sysvRun struct {
	code int
	out  string
	err  error
}

// statusAsks is how many times status is asked in one state: 1 to 3,
// drawn each time (a test fixes it).
var statusAsks = func() int { return 1 + rand.IntN(3) }

// errChangedAnswer: the script answered status differently in one state.
var errChangedAnswer = errors.New("a different answer in the same state")

func (r sysvRun) String() string {
	if errors.Is(r.err, errChangedAnswer) {
		return r.err.Error()
	}
	if r.err != nil {
		return "could not run: " + r.err.Error()
	}
	return fmt.Sprintf("exit %d", r.code)
}

func (g *grader) sysv(ctx context.Context) {
	name := g.lab.Binary
	script := "/etc/init.d/" + name
	prog := "/usr/local/bin/" + name
	pidfile := "/run/" + name + ".pid"
	if !g.sub.Has(name + ".init") {
		g.failAll("the submission has no " + name + ".init")
		return
	}
	g.lsbHeader(ctx, name)

	// As init runs it: an empty environment, and the systemctl redirect
	// of /lib/lsb/init-functions off, so that the script's own logic runs.
	action := func(a string) sysvRun {
		res, err := g.exec(ctx, g.lab.Deadlines.Stop.Duration+5*time.Second, "/usr/bin/env", "-i", "SYSTEMCTL_SKIP_REDIRECT=1", script, a)
		return sysvRun{res.ExitCode, res.Output, err}
	}
	daemons := func() ([]daemonProc, error) {
		var ps []daemonProc
		err := g.runProbe(ctx, 15*time.Second, &ps, "procs", prog)
		return ps, err
	}
	// settled waits briefly for the number of daemons to reach want.
	settled := func(want int) ([]daemonProc, error) {
		var ps []daemonProc
		var err error
		unitPolling.For(ctx, 2*time.Second, func() bool {
			ps, err = daemons()
			return err != nil || len(ps) == want
		})
		return ps, err
	}
	// status is asked one to three times in each state, how many the
	// script cannot know: a script that answers by counting its calls (the
	// states come in a fixed order) gives itself away, its answers changing
	// within one state.
	status := func() sysvRun {
		first := action("status")
		for range statusAsks() - 1 {
			again := action("status")
			switch {
			case again.err != nil:
				return again
			case again.code != first.code:
				again.err = fmt.Errorf("exit %d, then exit %d when asked again (%w)", first.code, again.code, errChangedAnswer)
				return again
			}
		}
		return first
	}
	pidfileExists := func() bool {
		res, err := g.exec(ctx, 5*time.Second, "/usr/bin/test", "-e", pidfile)
		return err == nil && res.ExitCode == 0
	}

	// start, start; from here until the reload, a "reloaded" line from the
	// daemon would be a lie (a timer that prints it passed sysv-reload)
	first := action("start")
	quiet, _ := g.cursor(ctx)
	d1, err1 := settled(1)
	second := action("start")
	d2, err2 := daemons()
	switch {
	case err1 != nil || err2 != nil:
		g.set("sysv-start", report.Error, "could not read /proc: "+errText(err1, err2), "")
	case first.code != 0 || first.err != nil:
		g.set("sysv-start", report.Fail, "start: "+first.String()+": "+capture.Compact(first.out), "start must exit 0 once the daemon runs.")
	case len(d1) != 1:
		g.set("sysv-start", report.Fail, fmt.Sprintf("start exited 0, then %d %s process(es) ran %v", len(d1), prog, d1), "start exactly one daemon, ready when start returns.")
	case second.code != 0 || second.err != nil:
		g.set("sysv-start", report.Fail, "start while running: "+second.String()+": "+capture.Compact(second.out),
			"start when the daemon already runs is a success (LSB): start-stop-daemon --oknodo, or check first.")
	case len(d2) != 1 || !d2[0].same(d1[0]):
		g.set("sysv-start", report.Fail, fmt.Sprintf("after a second start: %v (was %v)", d2, d1), "a second start must not start a second daemon.")
	default:
		g.set("sysv-start", report.Pass, fmt.Sprintf("start, start: exit 0 both times, one daemon (pid %d)", d1[0].PID), "")
	}

	// status while running
	statusRunning := status()
	running, _ := daemons()

	// reload: the same process, and its own "reloaded" afterwards
	g.sysvReload(ctx, quiet, action, daemons, running)

	// restart: a new process
	before, _ := daemons()
	restart := action("restart")
	after, err := settled(1)
	switch {
	case err != nil:
		g.set("sysv-restart", report.Error, "could not read /proc: "+err.Error(), "")
	case restart.code != 0 || restart.err != nil:
		g.set("sysv-restart", report.Fail, "restart: "+restart.String()+": "+capture.Compact(restart.out), "restart = stop, then start; exit 0.")
	case len(after) != 1:
		g.set("sysv-restart", report.Fail, fmt.Sprintf("after restart %d daemon(s) run %v", len(after), after), "stop must wait until the old daemon is gone before start runs.")
	case len(before) == 1 && after[0].same(before[0]):
		g.set("sysv-restart", report.Fail, fmt.Sprintf("restart exited 0 but pid %d is the same process as before", after[0].PID), "restart stops the daemon and starts a new one; SIGHUP is reload.")
	default:
		g.set("sysv-restart", report.Pass, fmt.Sprintf("restart: exit 0, new daemon pid %d (was %v)", after[0].PID, before), "")
	}

	// stop, stop
	stop1 := action("stop")
	left, err := settled(0)
	pidLeft := pidfileExists()
	stop2 := action("stop")
	switch {
	case err != nil:
		g.set("sysv-stop", report.Error, "could not read /proc: "+err.Error(), "")
	case stop1.code != 0 || stop1.err != nil:
		g.set("sysv-stop", report.Fail, "stop: "+stop1.String()+": "+capture.Compact(stop1.out), "stop exits 0 once the daemon is gone.")
	case len(left) > 0:
		g.set("sysv-stop", report.Fail, fmt.Sprintf("stop exited 0 but %v still run(s)", left), "stop must wait for the daemon to exit (start-stop-daemon --retry).")
	case pidLeft:
		g.set("sysv-stop", report.Fail, "after stop "+pidfile+" is still there", "the daemon removes its pid file on SIGTERM (or the script does).")
	case stop2.code != 0 || stop2.err != nil:
		g.set("sysv-stop", report.Fail, "stop when not running: "+stop2.String()+": "+capture.Compact(stop2.out), "stopping a stopped service is a success (LSB): start-stop-daemon --oknodo.")
	default:
		g.set("sysv-stop", report.Pass, "stop, stop: exit 0 both times; no daemon, no pid file", "")
	}

	// status when stopped, and with a stale pid file after kill -9
	statusStopped := status()
	action("start")
	victims, _ := settled(1)
	var statusStale sysvRun
	stale := ""
	if len(victims) == 1 {
		var k struct {
			Killed bool   `json:"killed"`
			Why    string `json:"why"`
		}
		if err := g.runProbe(ctx, 10*time.Second, &k, "kill", fmt.Sprint(victims[0].PID), fmt.Sprint(victims[0].Start)); err != nil || !k.Killed {
			stale = "the daemon could not be killed: " + errText(err) + k.Why
		} else if !pidfileExists() {
			stale = "after kill -9 no pid file was left to test with"
		} else {
			statusStale = status()
		}
	} else {
		stale = fmt.Sprintf("start gave %d daemons, not one", len(victims))
	}
	action("stop")
	_, _ = g.exec(ctx, 5*time.Second, "/usr/bin/rm", "-f", pidfile)
	codes := fmt.Sprintf("running: %s, stopped: %s, dead with its pid file: %s", statusRunning, statusStopped, statusStale)
	switch {
	case len(running) != 1:
		g.set("sysv-status", report.Error, "not judged: the daemon did not run", "")
	case stale != "":
		g.set("sysv-status", report.Error, "not judged: "+stale, "")
	case statusRunning.code != 0 || statusStopped.code != 3 || statusStale.code != 1 || statusRunning.err != nil || statusStopped.err != nil || statusStale.err != nil:
		g.set("sysv-status", report.Fail, "status "+codes+"; LSB wants 0, 3 and 1",
			"status_of_proc -p PIDFILE DAEMON NAME (from /lib/lsb/init-functions) returns the LSB codes; a pid file alone does not prove the daemon runs.")
	default:
		g.set("sysv-status", report.Pass, "status "+codes, "")
	}

	// unknown action
	u := action("frobnicate")
	switch {
	case u.err != nil:
		g.set("sysv-usage", report.Error, "could not run the script: "+u.err.Error(), "")
	case u.code == 2 && strings.Contains(strings.ToLower(u.out), "usage"):
		g.set("sysv-usage", report.Pass, "frobnicate: exit 2 and "+firstLine(u.out), "")
	default:
		g.set("sysv-usage", report.Fail, fmt.Sprintf("frobnicate: exit %d, %q", u.code, capture.Compact(u.out)), "an unknown action prints \"Usage: ...\" and exits 2 (LSB: invalid or excess argument).")
	}

	g.sysvService(ctx, name, script, settled)
}

func errText(errs ...error) string {
	for _, e := range errs {
		if e != nil {
			return e.Error()
		}
	}
	return ""
}

func firstLine(s string) string {
	l, _, _ := strings.Cut(strings.TrimSpace(s), "\n")
	return fmt.Sprintf("%q", capture.Compact(l))
}

// lsbHeader reads the header from the submission's bytes, then has
// update-rc.d make the rc links and lists them.
func (g *grader) lsbHeader(ctx context.Context, name string) {
	data, err := g.sub.ReadFile(name+".init", maxUnit)
	if err != nil {
		g.set("lsb-header", report.Error, capture.Compact(err.Error()), "")
		return
	}
	h, err := parseLSB(data)
	if err != nil {
		g.set("lsb-header", report.Fail, err.Error(), "the header sits between \"### BEGIN INIT INFO\" and \"### END INIT INFO\", one \"# Key: value\" per line.")
		return
	}
	var bad []string
	want := map[string]string{"Provides": name, "Default-Start": "2 3 4 5", "Default-Stop": "0 1 6"}
	for _, k := range []string{"Provides", "Required-Start", "Required-Stop", "Default-Start", "Default-Stop", "Short-Description"} {
		v, ok := h[k]
		switch {
		case !ok:
			bad = append(bad, "no "+k+":")
		case want[k] != "" && strings.Join(strings.Fields(v), " ") != want[k] && !(k == "Provides" && slices.Contains(strings.Fields(v), name)):
			bad = append(bad, fmt.Sprintf("%s: %s (want %s)", k, v, want[k]))
		case k == "Short-Description" && v == "":
			bad = append(bad, "Short-Description: is empty")
		}
	}
	res, err := g.exec(ctx, 30*time.Second, "/usr/sbin/update-rc.d", name, "defaults")
	if err != nil {
		g.set("lsb-header", report.Error, "update-rc.d could not run: "+err.Error(), "")
		return
	}
	ls, err := g.exec(ctx, 10*time.Second, "/bin/sh", "-c", "cd /etc && for d in rc0.d rc1.d rc2.d rc3.d rc4.d rc5.d rc6.d; do for l in $d/[SK][0-9][0-9]"+name+"; do [ -L \"$l\" ] && echo \"$l\"; done; done")
	if err != nil {
		g.set("lsb-header", report.Error, "the rc links could not be listed: "+err.Error(), "")
		return
	}
	links := strings.Fields(ls.Output)
	has := func(level, kind string) bool {
		return slices.ContainsFunc(links, func(l string) bool { return strings.HasPrefix(l, "rc"+level+".d/"+kind) })
	}
	for _, lv := range "2345" {
		if !has(string(lv), "S") {
			bad = append(bad, fmt.Sprintf("no S link in /etc/rc%c.d", lv))
		}
	}
	for _, lv := range "016" {
		if !has(string(lv), "K") {
			bad = append(bad, fmt.Sprintf("no K link in /etc/rc%c.d", lv))
		}
	}
	if res.ExitCode != 0 {
		bad = append(bad, fmt.Sprintf("update-rc.d %s defaults exited %d: %s", name, res.ExitCode, capture.Compact(res.Output)))
	}
	if len(bad) > 0 {
		g.set("lsb-header", report.Fail, strings.Join(bad, "; "), "Default-Start: 2 3 4 5 and Default-Stop: 0 1 6 make update-rc.d link S scripts into rc2–5.d and K scripts into rc0, 1, 6.d.", links...)
		return
	}
	g.set("lsb-header", report.Pass, fmt.Sprintf("LSB header complete; update-rc.d made %d links: %s", len(links), strings.Join(links, " ")), "")
}

// parseLSB reads the LSB comment block: "# Key: value" lines, with
// continuation lines ("#<TAB>" or "#  ") appended to the previous key.
func parseLSB(data []byte) (map[string]string, error) {
	sc := bufio.NewScanner(bytes.NewReader(data))
	in, done := false, false
	h := map[string]string{}
	last := ""
	for sc.Scan() {
		l := strings.TrimRight(sc.Text(), " \t\r")
		switch {
		case l == "### BEGIN INIT INFO":
			in = true
			continue
		case l == "### END INIT INFO":
			done = in
		}
		if done {
			break
		}
		if !in {
			continue
		}
		if !strings.HasPrefix(l, "#") {
			return nil, fmt.Errorf("line %q inside the LSB header is not a comment", capture.Compact(l))
		}
		body := strings.TrimPrefix(l, "#")
		if (strings.HasPrefix(body, "\t") || strings.HasPrefix(body, "  ")) && last != "" {
			h[last] += " " + strings.TrimSpace(body)
			continue
		}
		k, v, ok := strings.Cut(strings.TrimSpace(body), ":")
		if !ok {
			continue
		}
		last = strings.TrimSpace(k)
		h[last] = strings.TrimSpace(v)
	}
	switch {
	case !in:
		return nil, fmt.Errorf("no \"### BEGIN INIT INFO\" line: the script has no LSB header")
	case !done:
		return nil, fmt.Errorf("no \"### END INIT INFO\" line after \"### BEGIN INIT INFO\"")
	}
	return h, nil
}

// sysvReload: reload keeps the process, which logs its evidence after it,
// and not in the quiet window since it started (after cursor quiet).
func (g *grader) sysvReload(ctx context.Context, quiet string, action func(string) sysvRun, daemons func() ([]daemonProc, error), running []daemonProc) {
	if len(running) != 1 {
		g.set("sysv-reload", report.Error, fmt.Sprintf("not judged: %d daemon(s) ran before the reload", len(running)), "")
		return
	}
	old := running[0]
	evidence := g.lab.ReloadEvidence
	cursor, err := g.cursor(ctx)
	if err != nil {
		g.set("sysv-reload", report.Error, "could not read the journal: "+err.Error(), "")
		return
	}
	if err := g.journalIntact(ctx, quiet); err != nil {
		g.set("sysv-reload", report.Error, "could not read the journal: "+err.Error(), "")
		return
	}
	if lied, _ := g.pidLogged(ctx, quiet, old.PID, evidence); lied {
		g.set("sysv-reload", report.Fail, fmt.Sprintf("pid %d logged %q before any reload", old.PID, evidence),
			fmt.Sprintf("log %q when, and only when, SIGHUP made the daemon re-read its configuration.", evidence))
		return
	}
	r := action("reload")
	var now []daemonProc
	seen, logged := false, ""
	unitPolling.For(ctx, 3*time.Second, func() bool {
		now, _ = daemons()
		if len(now) != 1 || !now[0].same(old) {
			return true
		}
		seen, logged = g.pidLogged(ctx, cursor, old.PID, evidence)
		return seen
	})
	switch {
	case r.code != 0 || r.err != nil:
		g.set("sysv-reload", report.Fail, "reload: "+r.String()+": "+capture.Compact(r.out), "reload sends SIGHUP to the daemon and exits 0.")
	case len(now) != 1 || !now[0].same(old):
		g.set("sysv-reload", report.Fail, fmt.Sprintf("after reload the daemon is %v, not the same process (pid %d)", now, old.PID), "reload must not restart: send SIGHUP (start-stop-daemon --stop --signal HUP).")
	case !seen:
		g.set("sysv-reload", report.Fail, fmt.Sprintf("pid %d lives on but logged no %q after the reload", old.PID, evidence), "on SIGHUP re-read the configuration and log a line containing \""+evidence+"\".", capture.LastLines(logged, 5)...)
	default:
		g.set("sysv-reload", report.Pass, fmt.Sprintf("reload: exit 0; pid %d (same start time) logged %q", old.PID, evidence), "")
	}
}

// pidLogged reports whether the journal has a line from pid (journald's
// trusted _PID) containing text after cursor.
func (g *grader) pidLogged(ctx context.Context, cursor string, pid int, text string) (bool, string) {
	entries, err := g.readJournal(ctx, cursor)
	if err != nil {
		return false, ""
	}
	var lines []string
	for _, e := range entries {
		if e.PID == fmt.Sprint(pid) {
			lines = append(lines, e.text())
			if strings.Contains(e.text(), text) {
				return true, ""
			}
		}
	}
	return false, strings.Join(lines, "\n")
}

// sysvService: `service NAME start` and an administrator's direct run of
// the script both go through systemd, whose unit (generated from the
// script) then owns the one daemon.
func (g *grader) sysvService(ctx context.Context, name, script string, settled func(int) ([]daemonProc, error)) {
	unit := name + ".service"
	var bad, good []string
	state := func() map[string]string {
		res, err := g.sys(ctx, 10*time.Second, "show", unit, "-p", "ActiveState", "-p", "LoadState", "-p", "SourcePath", "-p", "FragmentPath", "-p", "DropInPaths")
		if err != nil {
			return map[string]string{"ActiveState": "unknown (" + err.Error() + ")"}
		}
		return sysd.ParseProps(res.Output)
	}
	ways := []struct {
		name string
		cmd  func(string) []string
	}{
		{"service " + name, func(a string) []string { return []string{"/usr/sbin/service", name, a} }},
		{script, func(a string) []string { return []string{script, a} }},
	}
	for _, w := range ways {
		start, err := g.exec(ctx, g.lab.Deadlines.Start.Duration+5*time.Second, w.cmd("start")...)
		ps, perr := settled(1)
		st := state()
		switch {
		case err != nil || perr != nil:
			bad = append(bad, fmt.Sprintf("%s start could not be judged: %s", w.name, errText(err, perr)))
		case start.ExitCode != 0:
			bad = append(bad, fmt.Sprintf("%s start: exit %d: %s", w.name, start.ExitCode, capture.Compact(start.Output)))
		case len(ps) != 1:
			bad = append(bad, fmt.Sprintf("%s start: %d daemon(s) run", w.name, len(ps)))
		case st["ActiveState"] != "active":
			bad = append(bad, fmt.Sprintf("%s start: the daemon runs (pid %d), but systemd says %s is %s", w.name, ps[0].PID, unit, st["ActiveState"]))
		case !strings.Contains(ps[0].Cgroup, "/"+unit):
			bad = append(bad, fmt.Sprintf("%s start: pid %d runs outside %s (cgroup %s): systemd does not know it", w.name, ps[0].PID, unit, capture.Compact(ps[0].Cgroup)))
		case st["SourcePath"] != "/etc/init.d/"+name || strings.TrimSpace(st["DropInPaths"]) != "":
			// The unit must be the one systemd generates from the script:
			// a unit file or drop-in of one's own replaces the script.
			bad = append(bad, fmt.Sprintf("%s start: %s is not the unit generated from /etc/init.d/%s (SourcePath=%s, FragmentPath=%s, DropInPaths=%s)",
				w.name, unit, name, st["SourcePath"], capture.Compact(st["FragmentPath"]), capture.Compact(st["DropInPaths"])))
		default:
			good = append(good, fmt.Sprintf("%s start: %s active, pid %d in its cgroup", w.name, unit, ps[0].PID))
		}
		stop, err := g.exec(ctx, g.lab.Deadlines.Stop.Duration+5*time.Second, w.cmd("stop")...)
		ps, perr = settled(0)
		st = state()
		switch {
		case err != nil || perr != nil:
			bad = append(bad, fmt.Sprintf("%s stop could not be judged: %s", w.name, errText(err, perr)))
		case stop.ExitCode != 0:
			bad = append(bad, fmt.Sprintf("%s stop: exit %d", w.name, stop.ExitCode))
		case len(ps) != 0:
			bad = append(bad, fmt.Sprintf("%s stop: %v still run(s)", w.name, ps))
		case st["ActiveState"] != "inactive" && st["ActiveState"] != "failed":
			bad = append(bad, fmt.Sprintf("%s stop: the daemon is gone but systemd says %s is %s", w.name, unit, st["ActiveState"]))
		default:
			good = append(good, fmt.Sprintf("%s stop: inactive, no daemon", w.name))
		}
		if len(ps) > 0 { // leave nothing behind for the next way
			_, _ = g.exec(ctx, 20*time.Second, "/usr/bin/env", "-i", "SYSTEMCTL_SKIP_REDIRECT=1", script, "stop")
		}
	}
	if len(bad) > 0 {
		g.set("sysv-service", report.Fail, strings.Join(bad, "; "),
			"source /lib/lsb/init-functions: on a systemd machine it hands /etc/init.d/NAME start to systemctl, so systemd tracks the daemon in NAME.service.")
		return
	}
	g.set("sysv-service", report.Pass, strings.Join(good, "; "), "")
}
