package grade

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/daemonlab/daemonlab/checker/catalogue"
	"github.com/daemonlab/daemonlab/containers"
	"github.com/daemonlab/daemonlab/internal/capture"
	"github.com/daemonlab/daemonlab/internal/cmdutil"
	"github.com/daemonlab/daemonlab/internal/poll"
	"github.com/daemonlab/daemonlab/internal/sysd"
	"github.com/daemonlab/daemonlab/report"
)

// settle is how long a freshly started service is watched for dying:
// a forking program under Type=simple loses its main process at once.
const settle = 700 * time.Millisecond

// journalCap bounds one read of the journal (only the lines after a
// cursor are read, so a talkative daemon cannot push evidence out).
const journalCap = 1 << 20

// service runs the systemd steps in order; each one records its checks.
func (g *grader) service(ctx context.Context) {
	// systemd-analyze verify reads the unit file, not the service: it runs
	// beside the steps that start the service.
	var verified sync.WaitGroup
	verified.Add(1)
	go func() { defer verified.Done(); t := time.Now(); g.verify(ctx); g.timing("verify", t) }()
	defer verified.Wait()
	g.enable(ctx)
	if !g.startAndType(ctx) {
		return
	}
	// From here until the reload, a "reloaded" line would be a lie. The
	// reload comes before the restart: its quiet window then spans the
	// daemon's first run and the inside checks, not the few hundred
	// milliseconds a restarted copy has lived (a copy that prints
	// "reloaded" on a timer once restarted passed reload).
	quiet, _ := g.cursor(ctx)
	for _, step := range []struct {
		name string
		run  func(context.Context)
	}{
		{"inside", g.inside}, {"reload", func(ctx context.Context) { g.reload(ctx, quiet) }},
		{"restart", g.restart}, {"journal", g.journal}, {"stop", g.stop},
	} {
		t := time.Now()
		step.run(ctx)
		g.timing(step.name, t)
	}
}

// sys runs the grader's own systemd client (the read-only checker binary,
// which talks to PID 1 only) in the container.
func (g *grader) sys(ctx context.Context, d time.Duration, args ...string) (containers.ExecResult, error) {
	res, err := g.read(ctx, d, append([]string{checkerPath, "systemd"}, args...)...)
	if err == nil {
		if verr := sysOutput(args, res); verr != nil {
			err = fmt.Errorf("systemd %s: %w: %s", args[0], verr, capture.Compact(res.Output))
		}
	}
	return res, err
}

// sysOutput checks that a `daemonlab systemd` call ended by itself and
// printed only what it prints: root in the container may reach the
// call's stdout before it makes itself non-dumpable, and add lines (a
// forged ActiveEnterTimestamp) or kill it after writing a result.
func sysOutput(args []string, res containers.ExecResult) error {
	switch args[0] {
	case "show":
		if res.ExitCode != 0 {
			return fmt.Errorf("exit status %d", res.ExitCode)
		}
		var want []string
		for i := 2; i+1 < len(args); i += 2 {
			want = append(want, args[i+1])
		}
		_, err := sysd.ReadProps(res.Output, want...)
		return err
	case "start", "reload":
		// one result line; exit status 1 when the job's result is not "done"
		if res.ExitCode > 1 {
			return fmt.Errorf("exit status %d", res.ExitCode)
		}
		if !strings.HasPrefix(res.Output, "result=") || strings.Count(res.Output, "\n") != 1 || !strings.HasSuffix(res.Output, "\n") {
			return errors.New("not one job result")
		}
		return nil
	}
	if res.ExitCode != 0 {
		return fmt.Errorf("exit status %d", res.ExitCode)
	}
	return nil
}

// show reads unit properties from PID 1; ok is false when it could not,
// and p["why"] then says why.
func (g *grader) show(ctx context.Context, props ...string) (p map[string]string, ok bool) {
	args := []string{"show", g.lab.Unit}
	for _, p := range props {
		args = append(args, "-p", p)
	}
	res, err := g.sys(ctx, 10*time.Second, args...)
	if err != nil {
		return map[string]string{"why": "could not read the unit's state from systemd: " + err.Error()}, false
	}
	p = sysd.ParseProps(res.Output)
	if ownMain(p) {
		g.mu.Lock()
		g.mains[mainPID(p)] = true
		g.mu.Unlock()
	}
	return p, true
}

func mainPID(p map[string]string) int {
	n, _ := strconv.Atoi(p["MainPID"])
	return n
}

func usec(s string) time.Duration {
	n, _ := strconv.ParseUint(s, 10, 64)
	return time.Duration(n) * time.Microsecond
}

// ownMain reports whether MainPID is a process of the unit's own cgroup: a
// pid file may name any process, and the grader signals only the unit's.
func ownMain(p map[string]string) bool {
	return mainPID(p) > 0 && p["MainPIDCgroup"] != "" && p["MainPIDCgroup"] == p["ControlGroup"]
}

// waitState polls the unit until cond holds or d passes.
func (g *grader) waitState(ctx context.Context, d time.Duration, cond func(map[string]string) bool, props ...string) (map[string]string, bool) {
	var p map[string]string
	ok := unitPolling.For(ctx, d, func() bool {
		p, _ = g.show(ctx, props...)
		return cond(p)
	})
	return p, ok
}

// unitPolling is how often the grader asks again (systemd, the journal,
// a file): each question is a process in the container.
var unitPolling = poll.Backoff{First: 20 * time.Millisecond, Max: 200 * time.Millisecond}

var stateProps = []string{"ActiveState", "SubState", "MainPID", "ExecMainPID", "ExecMainCode", "ExecMainStatus", "ControlPID",
	"Result", "Type", "PIDFile", "NRestarts", "RestartUSec", "Restart", "ControlGroup", "MainPIDCgroup", "MainPIDUID",
	"ActiveEnterTimestampMonotonic", "ActiveExitTimestampMonotonic", "InactiveEnterTimestampMonotonic", "UnitFileState"}

func (g *grader) verify(ctx context.Context) {
	res, err := g.read(ctx, 30*time.Second, "/usr/bin/systemd-analyze", "verify", "--man=no", "/etc/systemd/system/"+g.lab.Unit)
	if err != nil {
		g.set("unit-syntax", report.Error, "systemd-analyze verify could not run: "+err.Error(), "")
		return
	}
	var lines []string
	for _, l := range capture.LastLines(res.Output, 8) {
		if strings.TrimSpace(l) != "" {
			lines = append(lines, l)
		}
	}
	if res.ExitCode != 0 {
		g.set("unit-syntax", report.Fail, "systemd-analyze verify: "+capture.Compact(strings.Join(lines, "; ")), "run `systemd-analyze verify` on your unit and fix what it says.", lines...)
		return
	}
	observed := "parses cleanly; systemd-analyze verify accepts it"
	details := append(append([]string(nil), g.unitWarnings...), lines...)
	status := report.Pass
	if len(details) > 0 {
		status = report.Warn
		observed = fmt.Sprintf("accepted, with %d warning(s): %s", len(details), details[0])
	}
	g.set("unit-syntax", status, observed, "", details...)
}

func (g *grader) enable(ctx context.Context) {
	_, err := g.sys(ctx, 30*time.Second, "enable", g.lab.Unit)
	p, ok := g.show(ctx, "UnitFileState")
	switch {
	case !ok:
		g.set("unit-enabled", report.Error, p["why"], "")
	case p["UnitFileState"] == "enabled":
		g.set("unit-enabled", report.Pass, "enabled (UnitFileState=enabled)", "")
	default:
		why := ""
		if err != nil {
			why = ": " + err.Error()
		}
		g.set("unit-enabled", report.Fail, fmt.Sprintf("UnitFileState=%s after enabling%s", p["UnitFileState"], why),
			"add an [Install] section with WantedBy=multi-user.target, then systemctl enable works.")
	}
}

// startAndType starts the unit and judges unit-active and unit-type. When
// Type= does not match the program, it corrects Type= in a drop-in and
// starts again, so the remaining steps grade the other properties.
func (g *grader) startAndType(ctx context.Context) bool {
	t := time.Now()
	// the journal from here on must stay whole (journalIntact)
	g.startCursor, _ = g.cursor(ctx)
	p, ok := g.startUnit(ctx)
	g.timing("start", t)
	if !ok {
		g.set("unit-active", report.Error, p["why"], "")
		g.set("unit-type", report.Error, "not judged: "+p["why"], "")
		return false
	}
	typ := p["Type"]
	forkedAway := typ != "forking" && typ != "oneshot" && p["ActiveState"] != "active" && p["ExecMainCode"] == "1" && p["ExecMainStatus"] == "0"
	stuck := typ == "forking" && p["ActiveState"] == "activating"
	switch {
	case forkedAway:
		g.set("unit-type", report.Fail, fmt.Sprintf("Type=%s, but the started process exited 0 at once: it forks away, so systemd took the service for finished and stopped it", typ),
			"a program that daemonizes itself needs Type=forking (with PIDFile=); better, let it stay in the foreground under Type=simple.")
		p, ok = g.restartWithType(ctx, "forking")
	case stuck && p["ControlPID"] != "0" && p["ControlPID"] != "":
		g.set("unit-type", report.Fail, "Type=forking, but the started process never exited: it stays in the foreground",
			"a foreground program is Type=simple (or exec/notify); Type=forking waits for the launcher to exit.")
		p, ok = g.restartWithType(ctx, "simple")
	case stuck:
		g.set("unit-type", report.Fail, fmt.Sprintf("Type=forking: the launcher exited, but systemd is still waiting for PIDFile=%s to name a live process of the unit", p["PIDFile"]),
			"write the pid file before the launcher exits, and only once the daemon runs.")
	}
	if !ok {
		g.set("unit-active", report.Error, p["why"], "")
		g.set("unit-type", report.Error, "not judged: "+p["why"], "")
		return false
	}
	if p["ActiveState"] != "active" || mainPID(p) == 0 {
		status, _ := g.exec(ctx, 10*time.Second, "/usr/bin/systemctl", "status", "--no-pager", "-n", "5", g.lab.Unit)
		g.set("unit-active", report.Fail, fmt.Sprintf("ActiveState=%s SubState=%s Result=%s", p["ActiveState"], p["SubState"], p["Result"]),
			"read `systemctl status` and `journalctl -u` for the reason.", capture.LastLines(status.Output, 6)...)
		g.set("unit-type", report.Error, "not judged: the service did not start", "")
		return false
	}
	observed := fmt.Sprintf("active (%s), MainPID %d", p["SubState"], mainPID(p))
	if g.typeFixed != "" {
		observed += fmt.Sprintf(" — after daemonlab corrected Type= to %s to grade the rest", g.typeFixed)
	}
	g.set("unit-active", report.Pass, observed, "")
	g.judgeType(ctx, p)
	return true
}

// startUnit starts the unit through PID 1 and watches it settle; ok is
// false when systemd could not be asked.
func (g *grader) startUnit(ctx context.Context) (map[string]string, bool) {
	_, _ = g.sys(ctx, g.lab.Deadlines.Start.Duration, "start", g.lab.Unit)
	first, ok := g.show(ctx, stateProps...)
	if !ok || first["ActiveState"] != "active" {
		return first, ok
	}
	pid := mainPID(first)
	// Watch for a main process that dies or is replaced right after start.
	p, changed := g.waitState(ctx, settle, func(p map[string]string) bool {
		return p["ActiveState"] != "active" || mainPID(p) != pid
	}, stateProps...)
	if changed {
		return p, p["why"] == ""
	}
	return first, true
}

func (g *grader) restartWithType(ctx context.Context, typ string) (map[string]string, bool) {
	g.typeFixed = typ
	dropin := fmt.Sprintf("/etc/systemd/system/%s.d/daemonlab-type.conf", g.lab.Unit)
	_, _ = g.exec(ctx, 10*time.Second, "/usr/bin/mkdir", "-p", dropin[:strings.LastIndexByte(dropin, '/')])
	_ = g.c.WriteFile(ctx, dropin, []byte("[Service]\nType="+typ+"\n"), 0o644)
	_, _ = g.sys(ctx, 30*time.Second, "daemon-reload")
	_, _ = g.sys(ctx, 10*time.Second, "stop", g.lab.Unit)
	g.waitState(ctx, g.lab.Deadlines.Stop.Duration, func(p map[string]string) bool {
		return p["ActiveState"] == "inactive" || p["ActiveState"] == "failed"
	}, "ActiveState")
	_, _ = g.sys(ctx, 10*time.Second, "reset-failed", g.lab.Unit)
	return g.startUnit(ctx)
}

func (g *grader) judgeType(ctx context.Context, p map[string]string) {
	typ := p["Type"]
	switch typ {
	case "forking":
		if p["PIDFile"] == "" {
			g.set("unit-type", report.Fail, "Type=forking without PIDFile=: systemd has to guess which process is the daemon",
				"add PIDFile=/run/NAME.pid, the file your daemon writes before its launcher exits.")
			return
		}
		if !ownMain(p) {
			g.set("unit-type", report.Fail, fmt.Sprintf("PIDFile=%s names pid %d, which is not a process of %s (it runs in %s)", p["PIDFile"], mainPID(p), g.lab.Unit, orNone(p["MainPIDCgroup"])),
				"write your daemon's own pid (getpid() after the last fork) into the pid file.")
			return
		}
		if err := g.journalIntact(ctx, g.startCursor); err != nil {
			g.set("unit-type", report.Error, "could not read the journal: "+err.Error(), "")
			return
		}
		if n, err := g.countLines(ctx, g.startCursor, "Can't open PID file", true); err != nil {
			g.set("unit-type", report.Error, "could not read the journal: "+err.Error(), "")
			return
		} else if n > 0 {
			g.set("unit-type", report.Fail, fmt.Sprintf("systemd logged \"Can't open PID file %s (yet?) after start\": the launcher exited before the daemon was ready", p["PIDFile"]),
				"let the original process wait (on a pipe) until the daemon has written its pid file, then exit 0.")
			return
		}
		g.set("unit-type", report.Pass, fmt.Sprintf("Type=forking, PIDFile=%s names MainPID %d, ready when the launcher exited", p["PIDFile"], mainPID(p)), "")
	case "simple", "exec", "notify", "notify-reload", "idle":
		if g.typeFixed == "" && p["ExecMainPID"] != "" && p["ExecMainPID"] != p["MainPID"] {
			g.set("unit-type", report.Fail, fmt.Sprintf("Type=%s, but MainPID %s is not the started process %s", typ, p["MainPID"], p["ExecMainPID"]), "")
			return
		}
		g.set("unit-type", report.Pass, fmt.Sprintf("Type=%s and the started process (pid %d) is the service: it does not fork away", typ, mainPID(p)), "")
	default:
		g.set("unit-type", report.Fail, fmt.Sprintf("Type=%s does not describe a long-running daemon", typ), "use Type=simple for a foreground program, Type=forking for a classic daemon.")
	}
}

func orNone(s string) string {
	if s == "" {
		return "no cgroup the grader can read"
	}
	return s
}

// inside runs daemonlab's own checker (the read-only binary) in the
// container against MainPID and records the static checks the lab grades.
// It runs as the daemon's user: root in a container has no CAP_SYS_PTRACE
// and cannot read another user's descriptors.
func (g *grader) inside(ctx context.Context) {
	var wanted []string
	for _, c := range g.lab.Checks {
		if e, ok := catalogue.Lookup(c.ID); ok && e.Kind == catalogue.Static {
			wanted = append(wanted, c.ID)
		}
	}
	if len(wanted) == 0 {
		return
	}
	setAll := func(status report.Status, observed string) {
		for _, id := range wanted {
			g.set(id, status, observed, "")
		}
	}
	p, pid, ok := g.running(ctx)
	if !ok {
		setAll(report.Error, "not judged: "+p["why"])
		return
	}
	opts := []containers.ExecOption{containers.WithTimeout(30 * time.Second), containers.WithNonDumpable()}
	if uid := p["MainPIDUID"]; uid != "" && uid != "0" {
		opts = append(opts, containers.WithUser(uid))
	}
	res, err := g.c.Exec(ctx, []string{checkerPath, "check", "--pid", strconv.Itoa(pid), "--lab", g.lab.ID, "--format", "json"}, opts...)
	if err != nil {
		setAll(report.Error, "the checker could not run in the container: "+err.Error())
		return
	}
	r, err := insideReport(res, pid)
	if err != nil {
		setAll(report.Error, "the checker's result in the container is not trusted: "+err.Error())
		return
	}
	for _, id := range wanted {
		if c, ok := r.Find(id); ok {
			g.mu.Lock()
			g.results[id] = c
			g.mu.Unlock()
		}
	}
}

// insideReport reads the checker's result, trusting only what the checker
// itself can have written. Root in the container may win the race to open
// the checker's stdout before it makes itself non-dumpable: it can then
// write there, or kill the checker after writing. So the checker must have
// exited by itself with a verdict code, and its output must be exactly one
// report with no field the checker does not write (forged text wrapped
// around the real report cannot parse), about this pid.
func insideReport(res containers.ExecResult, pid int) (*report.Report, error) {
	switch res.ExitCode {
	case cmdutil.ExitOK, cmdutil.ExitFailed, cmdutil.ExitIncomplete:
	default:
		return nil, fmt.Errorf("the checker exited with status %d: %s", res.ExitCode, capture.Compact(res.Output))
	}
	r, err := report.ReadJSON(res.Output)
	if err != nil {
		return nil, fmt.Errorf("%v: %s", err, capture.Compact(res.Output))
	}
	if r.Target == nil || r.Target.PID != pid || r.Mode != report.ModeAttach {
		return nil, fmt.Errorf("its report is not about pid %d", pid)
	}
	return r, nil
}

// running reads the unit's state; ok is false (with p["why"] said) when no
// process of the unit's own runs: the grader then signals nothing.
func (g *grader) running(ctx context.Context) (p map[string]string, pid int, ok bool) {
	p, read := g.show(ctx, stateProps...)
	switch {
	case !read:
	case mainPID(p) == 0:
		p["why"] = "the service is not running"
	case !ownMain(p):
		p["why"] = fmt.Sprintf("MainPID %d is not a process of %s", mainPID(p), g.lab.Unit)
	default:
		return p, mainPID(p), true
	}
	return p, 0, false
}

// runningFor is running for check id, which it sets to an error (not
// judged, and why) when no process of the unit's own runs.
func (g *grader) runningFor(ctx context.Context, id string) (p map[string]string, pid int, ok bool) {
	if p, pid, ok = g.running(ctx); !ok {
		g.set(id, report.Error, "not judged: "+p["why"], "")
	}
	return p, pid, ok
}

// restart kills the main process and judges how long systemd took to
// bring the service back, on PID 1's own clock (ActiveExit to ActiveEnter),
// so a loaded grading machine does not change the verdict.
func (g *grader) restart(ctx context.Context) {
	p, old, ok := g.runningFor(ctx, "restart")
	if !ok {
		return
	}
	limit := g.lab.Deadlines.Restart.Duration
	if rs := usec(p["RestartUSec"]); p["Restart"] != "no" && rs > limit {
		g.set("restart", report.Fail, fmt.Sprintf("RestartSec=%s: the service would stay down longer than the lab's %s", rs, limit),
			fmt.Sprintf("use a short RestartSec= (at most %s).", limit))
		return
	}
	if _, err := g.sys(ctx, 10*time.Second, "kill", g.lab.Unit, "--signal", "9"); err != nil {
		g.set("restart", report.Error, "kill -9 could not be sent: "+err.Error(), "")
		return
	}
	after, back := g.waitState(ctx, limit+g.lab.Deadlines.RestartMargin.Duration, func(q map[string]string) bool {
		return q["ActiveState"] == "active" && mainPID(q) != 0 && mainPID(q) != old
	}, stateProps...)
	if !back {
		g.set("restart", report.Fail, fmt.Sprintf("kill -9 %d: not running again after %s (Restart=%s, ActiveState=%s)", old, limit, after["Restart"], after["ActiveState"]),
			"Restart=on-failure (or always) with a short RestartSec= brings a crashed daemon back.")
		// Start it again by hand so the remaining steps can be graded.
		_, _ = g.sys(ctx, 10*time.Second, "reset-failed", g.lab.Unit)
		_, _ = g.sys(ctx, g.lab.Deadlines.Start.Duration, "start", g.lab.Unit)
		g.waitState(ctx, settle, func(q map[string]string) bool { return q["ActiveState"] == "active" && mainPID(q) != 0 }, stateProps...)
		return
	}
	down := usec(after["ActiveEnterTimestampMonotonic"]) - usec(after["ActiveExitTimestampMonotonic"])
	observed := fmt.Sprintf("kill -9 %d: restarted as pid %d after %s by systemd's clock (Restart=%s, RestartSec=%s, NRestarts=%s)",
		old, mainPID(after), down.Round(time.Millisecond), after["Restart"], usec(p["RestartUSec"]), after["NRestarts"])
	before, _ := strconv.Atoi(p["NRestarts"])
	if now, _ := strconv.Atoi(after["NRestarts"]); now <= before {
		// back, but not by Restart=: an ExecStopPost= that starts the
		// unit again (systemctl start) is no restart policy
		g.set("restart", report.Fail, observed+": NRestarts did not grow, so systemd's Restart= did not bring it back",
			"Restart=on-failure (or always) with a short RestartSec= brings a crashed daemon back.")
		return
	}
	if down > limit {
		g.set("restart", report.Fail, observed+fmt.Sprintf(": longer than the lab's %s", limit), fmt.Sprintf("use a short RestartSec= (at most %s).", limit))
		return
	}
	g.set("restart", report.Pass, observed, "")
}

// reload judges `systemctl reload`: the same process lives on and logs the
// lab's evidence after the reload — and did not log it, unasked, in the
// quiet window since the start (a daemon that prints "reloaded" on a timer
// earns nothing).
func (g *grader) reload(ctx context.Context, quiet string) {
	_, old, ok := g.runningFor(ctx, "reload")
	if !ok {
		return
	}
	evidence := g.lab.ReloadEvidence
	// One read of the quiet window: the evidence must not be there, and its
	// last line is where the read after the reload starts.
	before := quiet
	if before == "" {
		var err error
		if before, err = g.cursor(ctx); err != nil {
			g.set("reload", report.Error, "could not read the journal: "+err.Error(), "")
			return
		}
	}
	err := g.journalIntact(ctx, before)
	var entries []journalEntry
	if err == nil {
		entries, err = g.journalEntries(ctx, before)
	}
	if err != nil {
		g.set("reload", report.Error, "could not read the journal: "+err.Error(), "")
		return
	}
	// any process of the unit: no helper runs here, and a line from one
	// would be as much a lie
	if n := count(entries, evidence, journalEntry.fromDaemon); evidence != "" && n > 0 {
		g.set("reload", report.Fail, fmt.Sprintf("the daemon logged %q %d time(s) without being reloaded", evidence, n),
			fmt.Sprintf("log %q when, and only when, SIGHUP made you re-read the configuration.", evidence))
		return
	}
	if len(entries) > 0 {
		before = entries[len(entries)-1].Cursor
	}
	res, err := g.sys(ctx, 30*time.Second, "reload", g.lab.Unit)
	if err != nil {
		g.set("reload", report.Error, "systemctl reload could not be sent: "+err.Error(), "")
		return
	}
	if strings.TrimSpace(res.Output) != "result=done" {
		g.set("reload", report.Fail, "systemctl reload failed: "+capture.Compact(res.Output), "add ExecReload=/bin/kill -HUP $MAINPID and handle SIGHUP in the daemon.")
		return
	}
	var q map[string]string
	var seen int
	var readErr error
	unitPolling.For(ctx, 3*time.Second, func() bool {
		q, _ = g.show(ctx, stateProps...)
		if q["ActiveState"] != "active" || mainPID(q) != old {
			return true
		}
		seen, readErr = 1, nil
		if evidence != "" {
			seen, readErr = g.countLines(ctx, before, evidence, false)
		}
		return seen > 0
	})
	switch {
	case q["ActiveState"] != "active" || mainPID(q) != old:
		g.set("reload", report.Fail, fmt.Sprintf("after systemctl reload the daemon did not survive (ActiveState=%s, MainPID %d, was %d)", q["ActiveState"], mainPID(q), old),
			"install a SIGHUP handler: SIGHUP's default action terminates the process.")
	case readErr != nil:
		g.set("reload", report.Error, "could not read the journal: "+readErr.Error(), "")
	case seen > 0:
		g.set("reload", report.Pass, fmt.Sprintf("reloaded: pid %d lives on and logged %q after the reload", old, evidence), "")
	default:
		g.set("reload", report.Fail, fmt.Sprintf("pid %d survived systemctl reload, but logged no new %q line", old, evidence),
			fmt.Sprintf("on SIGHUP re-read the configuration and log a line containing %q.", evidence))
	}
}

// journalEntry is the part of journalctl's JSON output we read. The
// underscore fields are journald's trusted ones, stamped from the sender's
// credentials, not from what the sender wrote.
type journalEntry struct {
	Cursor     string `json:"__CURSOR"`
	Identifier string `json:"SYSLOG_IDENTIFIER"`
	PID        string `json:"_PID"`
	Message    any    `json:"MESSAGE"`
	// Unit is journald's attribution by the sender's cgroup; empty when
	// the sender was gone before journald read its /proc entry.
	Unit string `json:"_SYSTEMD_UNIT"`
}

func (e journalEntry) text() string {
	switch m := e.Message.(type) {
	case string:
		return m
	case []any: // journald stores non-UTF-8 messages as byte arrays
		b := make([]byte, 0, len(m))
		for _, v := range m {
			if f, ok := v.(float64); ok {
				b = append(b, byte(f))
			}
		}
		return string(b)
	}
	return ""
}

// fromDaemon tells the unit's own lines from systemd's lines about it.
func (e journalEntry) fromDaemon() bool { return e.PID != "1" && e.Identifier != "systemd" }

var (
	errJournal    = errors.New("journalctl could not run")
	errJournalGap = errors.New("entries of the journal are missing since the grader's mark: its files were deleted")
	errJournalCut = fmt.Errorf("the unit logged more than %d MiB to read at once", journalCap>>20)
)

// journalEntries reads the unit's journal lines after cursor (all when "").
func (g *grader) journalEntries(ctx context.Context, after string) ([]journalEntry, error) {
	return g.readJournal(ctx, after, "-u", g.lab.Unit)
}

// journalctl reads the journal non-dumpable from its exec
// (containers.WithNonDumpable): no process of the container, root
// included, can write into its output or its memory.
var journalctl = []string{"/usr/bin/journalctl", "--no-pager", "-o", "json"}

// readJournal reads the journal lines that match (journalctl's arguments)
// after cursor.
func (g *grader) readJournal(ctx context.Context, after string, match ...string) ([]journalEntry, error) {
	args := append([]string{"--output-fields=MESSAGE,_PID,SYSLOG_IDENTIFIER,_SYSTEMD_UNIT,__CURSOR"}, match...)
	if after != "" {
		args = append(args, "--after-cursor="+after)
	}
	out, err := g.journalctl(ctx, 15*time.Second, args...)
	if err != nil {
		return nil, err
	}
	var entries []journalEntry
	sc := bufio.NewScanner(strings.NewReader(out))
	sc.Buffer(make([]byte, 0, 64<<10), journalCap)
	for sc.Scan() {
		var e journalEntry
		if json.Unmarshal(sc.Bytes(), &e) == nil {
			entries = append(entries, e)
		}
	}
	return entries, nil
}

// journalctl runs the grader's journalctl with args and returns its output.
func (g *grader) journalctl(ctx context.Context, d time.Duration, args ...string) (string, error) {
	res, err := g.c.Exec(ctx, append(append([]string{}, journalctl...), args...),
		containers.WithNonDumpable(), containers.WithTimeout(d), containers.WithMaxOutput(journalCap))
	switch {
	case err != nil || res.ExitCode != 0:
		return "", errJournal
	case res.Truncated > 0:
		// What was cut may be the line a check looks for, or must not
		// find: a daemon that floods the journal gets no verdict from it.
		return "", errJournalCut
	}
	return res.Output, nil
}

// cursor is the journal's position now: later reads start after it.
func (g *grader) cursor(ctx context.Context) (string, error) {
	out, err := g.journalctl(ctx, 10*time.Second, "-n", "1", "--output-fields=__CURSOR")
	if err != nil {
		return "", err
	}
	var e journalEntry
	if json.Unmarshal([]byte(strings.TrimSpace(out)), &e) != nil || e.Cursor == "" {
		return "", errJournal
	}
	return e.Cursor, nil
}

// journalIntact checks that nothing after cursor was taken out of the
// journal: root in the container may delete journal files (journalctl
// --rotate, then rm), and a line it took out must not read as "not found".
// The first entry after the cursor must be the very next one: journald's
// cursors count every entry (i=) within one sequence (s=).
func (g *grader) journalIntact(ctx context.Context, cursor string) error {
	if cursor == "" {
		return errJournal
	}
	out, err := g.journalctl(ctx, 10*time.Second, "--after-cursor="+cursor, "-n", "1", "--output-fields=__CURSOR")
	if err != nil {
		return err
	}
	line, _, _ := strings.Cut(strings.TrimSpace(out), "\n")
	if line == "" {
		return nil // nothing logged since
	}
	var e journalEntry
	if json.Unmarshal([]byte(line), &e) != nil || !nextEntry(cursor, e.Cursor) {
		return errJournalGap
	}
	return nil
}

// nextEntry reports whether journal cursor b names the entry right after a.
func nextEntry(a, b string) bool {
	seqA, idA, okA := cursorSeq(a)
	seqB, idB, okB := cursorSeq(b)
	return okA && okB && seqA == seqB && idB == idA+1
}

// cursorSeq reads the sequence id (s=) and the entry number (i=, hex) of
// a journal cursor.
func cursorSeq(c string) (seq string, i uint64, ok bool) {
	var hasI bool
	for _, f := range strings.Split(c, ";") {
		k, v, _ := strings.Cut(f, "=")
		switch k {
		case "s":
			seq = v
		case "i":
			n, err := strconv.ParseUint(v, 16, 64)
			i, hasI = n, err == nil
		}
	}
	return seq, i, seq != "" && hasI
}

// countLines counts the unit's journal lines after cursor containing text:
// systemd's own lines about the unit when bySystemd, else the daemon's.
func (g *grader) countLines(ctx context.Context, after, text string, systemd bool) (int, error) {
	read := g.journalEntries
	if systemd {
		// PID 1's own lines about the unit: what the daemon floods the
		// journal with is not even read.
		read = func(ctx context.Context, after string) ([]journalEntry, error) {
			return g.readJournal(ctx, after, "_PID=1", "UNIT="+g.lab.Unit)
		}
	}
	entries, err := read(ctx, after)
	from := g.fromMain
	if systemd {
		from = bySystemd
	}
	return count(entries, text, from), err
}

// count counts the entries from whom containing text.
func count(entries []journalEntry, text string, from func(journalEntry) bool) int {
	n := 0
	for _, e := range entries {
		if from(e) && strings.Contains(e.text(), text) {
			n++
		}
	}
	return n
}

func bySystemd(e journalEntry) bool { return !e.fromDaemon() }

// fromMain tells the daemon's own lines: from a process systemd had as
// the unit's main process. The unit's helpers (ExecReload=, ExecStartPost=
// running echo) log under the unit with pids of their own, and earn the
// daemon nothing.
func (g *grader) fromMain(e journalEntry) bool {
	pid, err := strconv.Atoi(e.PID)
	g.mu.Lock()
	defer g.mu.Unlock()
	return err == nil && g.mains[pid]
}

func (g *grader) journal(ctx context.Context) {
	var ids map[string]int
	var err error
	unitPolling.For(ctx, 2*time.Second, func() bool {
		var entries []journalEntry
		entries, err = g.journalEntries(ctx, "")
		ids = map[string]int{}
		for _, e := range entries {
			if g.fromMain(e) && e.Identifier != "" {
				ids[e.Identifier]++
			}
		}
		return err != nil || len(ids) > 0
	})
	switch {
	case err != nil:
		g.set("journal", report.Error, "could not read the journal: "+err.Error(), "")
	case len(ids) > 0:
		var parts []string
		for id, n := range ids {
			parts = append(parts, fmt.Sprintf("%d line(s) from %s", n, id))
		}
		g.set("journal", report.Pass, strings.Join(parts, ", "), "")
	default:
		g.set("journal", report.Fail, "journalctl -u shows only systemd's own lines, none from the daemon",
			"log to stderr or with syslog(3); under systemd both reach the journal. stdout is a pipe there, so it is block-buffered: a line written to it shows only once flushed (fflush, Python's flush=True or python3 -u).")
	}
}

// stop asks PID 1 to stop the unit without waiting, watches it for the
// lab's deadline, and judges how the main process ended: exit status 0,
// read from systemd (ExecMainCode/ExecMainStatus), whatever
// SuccessExitStatus= the unit declares.
func (g *grader) stop(ctx context.Context) {
	_, _, ok := g.runningFor(ctx, "stop")
	if !ok {
		return
	}
	limit := g.lab.Deadlines.Stop.Duration
	if _, err := g.sys(ctx, 10*time.Second, "stop", g.lab.Unit); err != nil {
		g.set("stop", report.Error, "systemctl stop could not be sent: "+err.Error(), "")
		return
	}
	q, stopped := g.waitState(ctx, limit, func(q map[string]string) bool {
		return q["ActiveState"] == "inactive" || q["ActiveState"] == "failed"
	}, stateProps...)
	if !stopped {
		_, _ = g.sys(ctx, 10*time.Second, "kill", g.lab.Unit, "--all", "--signal", "9")
		g.set("stop", report.Fail, fmt.Sprintf("still %s %s after SIGTERM: it does not stop on SIGTERM", q["ActiveState"], limit),
			"handle SIGTERM: leave the main loop, clean up, exit(0).")
		return
	}
	took := usec(q["InactiveEnterTimestampMonotonic"]) - usec(q["ActiveExitTimestampMonotonic"])
	observed := fmt.Sprintf("stopped in %s: ", took.Round(time.Millisecond))
	switch code, status := q["ExecMainCode"], q["ExecMainStatus"]; {
	case q["Result"] == "timeout":
		g.set("stop", report.Fail, observed+"SIGTERM did not stop it, systemd had to SIGKILL it", "handle SIGTERM: leave the main loop, clean up, exit(0).")
	case code == "2" || code == "3": // CLD_KILLED, CLD_DUMPED
		g.set("stop", report.Fail, observed+fmt.Sprintf("the main process was killed by signal %s, it did not exit", status),
			"catch SIGTERM and exit(0) from the main loop: dying of the signal is not a clean stop.")
	case code != "1":
		g.set("stop", report.Error, observed+fmt.Sprintf("systemd reports no exit of the main process (ExecMainCode=%s)", code), "")
	case status != "0":
		g.set("stop", report.Fail, observed+fmt.Sprintf("the main process exited with status %s", status), "exit with status 0 on SIGTERM.")
	case took > limit:
		g.set("stop", report.Fail, observed+fmt.Sprintf("slower than the lab's %s", limit), "exit promptly on SIGTERM.")
	default:
		g.set("stop", report.Pass, observed+"the main process exited with status 0", "")
	}
}
