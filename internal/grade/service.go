package grade

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/daemonlab/daemonlab/checker/catalogue"
	"github.com/daemonlab/daemonlab/report"
)

// settle is how long a freshly started service is watched for dying:
// a forking program under Type=simple loses its main process at once.
const settle = 700 * time.Millisecond

// service runs the systemd steps in order; each one records its checks.
func (g *grader) service(ctx context.Context) {
	g.verify(ctx)
	g.enable(ctx)
	if !g.startAndType(ctx) {
		return
	}
	g.inside(ctx)
	g.restart(ctx)
	g.reload(ctx)
	g.journal(ctx)
	g.stop(ctx)
}

// show reads unit properties.
func (g *grader) show(ctx context.Context, props ...string) map[string]string {
	args := []string{"systemctl", "show", g.lab.Unit}
	for _, p := range props {
		args = append(args, "-p", p)
	}
	res, err := g.exec(ctx, 10*time.Second, args...)
	out := map[string]string{}
	if err != nil {
		return out
	}
	for _, line := range strings.Split(res.Output, "\n") {
		if k, v, ok := strings.Cut(line, "="); ok {
			out[k] = strings.TrimSpace(v)
		}
	}
	return out
}

func mainPID(p map[string]string) int {
	n, _ := strconv.Atoi(p["MainPID"])
	return n
}

// waitState polls the unit until cond holds or d passes.
func (g *grader) waitState(ctx context.Context, d time.Duration, cond func(map[string]string) bool, props ...string) (map[string]string, bool) {
	deadline := time.Now().Add(d)
	delay := 20 * time.Millisecond
	for {
		p := g.show(ctx, props...)
		if cond(p) {
			return p, true
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return p, false
		}
		pause(ctx, delay)
		delay = min(delay*2, 200*time.Millisecond)
	}
}

// pause waits between two polls, or until ctx ends.
func pause(ctx context.Context, d time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}

var stateProps = []string{"ActiveState", "SubState", "MainPID", "ExecMainPID", "ExecMainCode", "ExecMainStatus", "Result", "Type", "PIDFile", "NRestarts", "RestartUSec", "Restart"}

func (g *grader) verify(ctx context.Context) {
	res, err := g.exec(ctx, 30*time.Second, "systemd-analyze", "verify", "/etc/systemd/system/"+g.lab.Unit)
	if err != nil {
		g.set("unit-syntax", report.Error, "systemd-analyze verify could not run: "+err.Error(), "")
		return
	}
	var lines []string
	for _, l := range lastLines(res.Output, 8) {
		if strings.TrimSpace(l) != "" {
			lines = append(lines, l)
		}
	}
	if res.ExitCode != 0 {
		g.set("unit-syntax", report.Fail, "systemd-analyze verify: "+oneLine(strings.Join(lines, "; ")), "run `systemd-analyze verify` on your unit and fix what it says.", lines...)
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
	res, err := g.exec(ctx, 30*time.Second, "systemctl", "enable", g.lab.Unit)
	if err != nil {
		g.set("unit-enabled", report.Error, "systemctl enable could not run: "+err.Error(), "")
		return
	}
	state, _ := g.exec(ctx, 10*time.Second, "systemctl", "is-enabled", g.lab.Unit)
	got := strings.TrimSpace(state.Output)
	if got == "enabled" {
		g.set("unit-enabled", report.Pass, "enabled (systemctl is-enabled)", "")
		return
	}
	g.set("unit-enabled", report.Fail, fmt.Sprintf("systemctl is-enabled says %q: %s", got, oneLine(res.Output)),
		"add an [Install] section with WantedBy=multi-user.target, then systemctl enable works.")
}

// startAndType starts the unit and judges unit-active and unit-type. When
// Type= does not match the program, it corrects Type= in a drop-in and
// starts again, so the remaining steps grade the other properties.
func (g *grader) startAndType(ctx context.Context) bool {
	t := time.Now()
	p := g.startUnit(ctx)
	g.timing("start", t)
	typ := p["Type"]
	forkedAway := typ != "forking" && typ != "oneshot" && p["ActiveState"] != "active" && p["ExecMainCode"] == "1" && p["ExecMainStatus"] == "0"
	neverReturned := typ == "forking" && p["ActiveState"] == "activating"
	switch {
	case forkedAway:
		g.set("unit-type", report.Fail, fmt.Sprintf("Type=%s, but the started process exited 0 at once: it forks away, so systemd took the service for finished and stopped it", typ),
			"a program that daemonizes itself needs Type=forking (with PIDFile=); better, let it stay in the foreground under Type=simple.")
		p = g.restartWithType(ctx, "forking")
	case neverReturned:
		g.set("unit-type", report.Fail, "Type=forking, but the started process never exited: it stays in the foreground",
			"a foreground program is Type=simple (or exec/notify); Type=forking waits for the launcher to exit.")
		p = g.restartWithType(ctx, "simple")
	}
	if p["ActiveState"] != "active" || mainPID(p) == 0 {
		status, _ := g.exec(ctx, 10*time.Second, "systemctl", "status", "--no-pager", "-n", "5", g.lab.Unit)
		g.set("unit-active", report.Fail, fmt.Sprintf("ActiveState=%s SubState=%s Result=%s", p["ActiveState"], p["SubState"], p["Result"]),
			"read `systemctl status` and `journalctl -u` for the reason.", lastLines(status.Output, 6)...)
		g.set("unit-type", report.Skip, "not judged: the service did not start", "")
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

// startUnit runs systemctl start and watches the unit settle.
func (g *grader) startUnit(ctx context.Context) map[string]string {
	_, _ = g.exec(ctx, g.lab.Deadlines.Start.Duration, "systemctl", "start", g.lab.Unit)
	first := g.show(ctx, stateProps...)
	if first["ActiveState"] != "active" {
		return first
	}
	pid := mainPID(first)
	// Watch for a main process that dies or is replaced right after start.
	p, changed := g.waitState(ctx, settle, func(p map[string]string) bool {
		return p["ActiveState"] != "active" || mainPID(p) != pid
	}, stateProps...)
	if changed {
		return p
	}
	return first
}

func (g *grader) restartWithType(ctx context.Context, typ string) map[string]string {
	g.typeFixed = typ
	dropin := fmt.Sprintf("mkdir -p /etc/systemd/system/%[1]s.d && printf '[Service]\\nType=%[2]s\\n' > /etc/systemd/system/%[1]s.d/daemonlab-type.conf && systemctl daemon-reload && systemctl reset-failed %[1]s; systemctl stop %[1]s", g.lab.Unit, typ)
	_, _ = g.exec(ctx, 30*time.Second, "sh", "-c", dropin)
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
		if n := g.journalCount(ctx, "Can't open PID file"); n > 0 {
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

// inside runs daemonlab's own checker in the container against MainPID
// and records the static checks the lab grades.
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
	pid := mainPID(g.show(ctx, "MainPID"))
	res, err := g.exec(ctx, 30*time.Second, checkerPath, "check", "--pid", strconv.Itoa(pid), "--lab", g.lab.ID, "--format", "json")
	if err != nil {
		for _, id := range wanted {
			g.set(id, report.Error, "the checker could not run in the container: "+err.Error(), "")
		}
		return
	}
	var r report.Report
	if jerr := json.Unmarshal([]byte(res.Output), &r); jerr != nil {
		for _, id := range wanted {
			g.set(id, report.Error, "the checker failed in the container: "+oneLine(res.Output), "")
		}
		return
	}
	for _, id := range wanted {
		if c, ok := r.Find(id); ok {
			g.results[id] = c
		}
	}
}

// running reads the unit's state; it records id as an error when the
// service is not running.
func (g *grader) running(ctx context.Context, id string) (map[string]string, int, bool) {
	p := g.show(ctx, stateProps...)
	pid := mainPID(p)
	if pid == 0 {
		g.set(id, report.Error, "the service is not running", "")
	}
	return p, pid, pid != 0
}

func (g *grader) restart(ctx context.Context) {
	p, old, ok := g.running(ctx, "restart")
	if !ok {
		return
	}
	limit := parseSpan(p["RestartUSec"]) + g.lab.Deadlines.RestartMargin.Duration
	t := time.Now()
	if _, err := g.exec(ctx, 10*time.Second, "kill", "-9", strconv.Itoa(old)); err != nil {
		g.set("restart", report.Error, "kill -9 could not run: "+err.Error(), "")
		return
	}
	after, ok := g.waitState(ctx, limit, func(q map[string]string) bool {
		return q["ActiveState"] == "active" && mainPID(q) != 0 && mainPID(q) != old
	}, stateProps...)
	took := time.Since(t).Round(time.Millisecond)
	g.timing("restart", t)
	if ok {
		g.set("restart", report.Pass, fmt.Sprintf("kill -9 %d: restarted as pid %d after %s (Restart=%s, RestartSec=%s, NRestarts=%s)", old, mainPID(after), took, after["Restart"], p["RestartUSec"], after["NRestarts"]), "")
		return
	}
	g.set("restart", report.Fail, fmt.Sprintf("kill -9 %d: not running again after %s (Restart=%s, ActiveState=%s)", old, limit, after["Restart"], after["ActiveState"]),
		"Restart=on-failure (or always) with a short RestartSec= brings a crashed daemon back.")
	// Start it again by hand so the remaining steps can be graded.
	_, _ = g.exec(ctx, g.lab.Deadlines.Start.Duration, "sh", "-c", "systemctl reset-failed "+g.lab.Unit+"; systemctl start "+g.lab.Unit)
	g.waitState(ctx, settle, func(q map[string]string) bool { return q["ActiveState"] == "active" && mainPID(q) != 0 }, stateProps...)
}

func (g *grader) reload(ctx context.Context) {
	_, old, ok := g.running(ctx, "reload")
	if !ok {
		return
	}
	evidence := g.lab.ReloadEvidence
	before := g.journalCount(ctx, evidence)
	res, err := g.exec(ctx, 30*time.Second, "systemctl", "reload", g.lab.Unit)
	if err != nil {
		g.set("reload", report.Error, "systemctl reload could not run: "+err.Error(), "")
		return
	}
	if res.ExitCode != 0 {
		g.set("reload", report.Fail, "systemctl reload failed: "+oneLine(res.Output), "add ExecReload=/bin/kill -HUP $MAINPID and handle SIGHUP in the daemon.")
		return
	}
	deadline := time.Now().Add(3 * time.Second)
	delay := 20 * time.Millisecond
	for {
		q := g.show(ctx, stateProps...)
		alive := q["ActiveState"] == "active" && mainPID(q) == old
		seen := evidence == "" || g.journalCount(ctx, evidence) > before
		switch {
		case !alive && (q["ActiveState"] != "active" || mainPID(q) != old):
			if time.Now().After(deadline) || mainPID(q) != old {
				g.set("reload", report.Fail, fmt.Sprintf("after systemctl reload the daemon did not survive (ActiveState=%s, MainPID %d, was %d)", q["ActiveState"], mainPID(q), old),
					"install a SIGHUP handler: SIGHUP's default action terminates the process.")
				return
			}
		case seen:
			g.set("reload", report.Pass, fmt.Sprintf("reloaded: pid %d lives on and the journal shows %q", old, evidence), "")
			return
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			g.set("reload", report.Fail, fmt.Sprintf("pid %d survived systemctl reload, but the journal shows no new %q line", old, evidence),
				fmt.Sprintf("on SIGHUP re-read the configuration and log a line containing %q.", evidence))
			return
		}
		pause(ctx, delay)
		delay = min(delay*2, 200*time.Millisecond)
	}
}

// journalEntry is the part of journalctl's JSON output we read.
type journalEntry struct {
	Identifier string `json:"SYSLOG_IDENTIFIER"`
	PID        string `json:"_PID"`
	Message    any    `json:"MESSAGE"`
}

func (g *grader) journalEntries(ctx context.Context) []journalEntry {
	res, err := g.exec(ctx, 15*time.Second, "journalctl", "-u", g.lab.Unit, "-o", "json", "--no-pager")
	if err != nil {
		return nil
	}
	var out []journalEntry
	sc := bufio.NewScanner(strings.NewReader(res.Output))
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		var e journalEntry
		if json.Unmarshal(sc.Bytes(), &e) == nil {
			out = append(out, e)
		}
	}
	return out
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

// journalCount counts the unit's journal lines containing text.
func (g *grader) journalCount(ctx context.Context, text string) int {
	n := 0
	for _, e := range g.journalEntries(ctx) {
		if strings.Contains(e.text(), text) {
			n++
		}
	}
	return n
}

func (g *grader) journal(ctx context.Context) {
	deadline := time.Now().Add(2 * time.Second)
	for {
		ids := map[string]int{}
		for _, e := range g.journalEntries(ctx) {
			if e.PID != "1" && e.Identifier != "systemd" && e.Identifier != "" {
				ids[e.Identifier]++
			}
		}
		if len(ids) > 0 {
			var parts []string
			for id, n := range ids {
				parts = append(parts, fmt.Sprintf("%d line(s) from %s", n, id))
			}
			g.set("journal", report.Pass, strings.Join(parts, ", "), "")
			return
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			g.set("journal", report.Fail, "journalctl -u shows only systemd's own lines, none from the daemon",
				"log to stderr or with syslog(3); under systemd both reach the journal.")
			return
		}
		pause(ctx, 100*time.Millisecond)
	}
}

func (g *grader) stop(ctx context.Context) {
	limit := g.lab.Deadlines.Stop.Duration
	t := time.Now()
	_, err := g.exec(ctx, limit+10*time.Second, "systemctl", "stop", g.lab.Unit)
	took := time.Since(t).Round(time.Millisecond)
	g.timing("stop", t)
	if err != nil {
		g.set("stop", report.Error, "systemctl stop could not run: "+err.Error(), "")
		return
	}
	p := g.show(ctx, stateProps...)
	observed := fmt.Sprintf("stopped in %s: ActiveState=%s, Result=%s", took, p["ActiveState"], p["Result"])
	switch {
	case p["ActiveState"] != "inactive" && p["ActiveState"] != "failed":
		g.set("stop", report.Fail, observed+": still not stopped", "exit promptly on SIGTERM.")
	case p["Result"] == "timeout":
		g.set("stop", report.Fail, observed+": SIGTERM did not stop it, systemd had to SIGKILL it", "handle SIGTERM: leave the main loop, clean up, exit(0).")
	case p["Result"] != "success":
		g.set("stop", report.Fail, observed, "exit with status 0 on SIGTERM.")
	case took > limit:
		g.set("stop", report.Fail, observed+fmt.Sprintf(": slower than the lab's %s", limit), "exit promptly on SIGTERM.")
	default:
		g.set("stop", report.Pass, observed, "")
	}
}

// parseSpan reads a systemd time span as `systemctl show` prints it
// ("500ms", "1min 30s", "100ms"); unknown text counts as zero.
func parseSpan(s string) time.Duration {
	var total time.Duration
	units := []struct {
		suffix string
		d      time.Duration
	}{{"min", time.Minute}, {"ms", time.Millisecond}, {"us", time.Microsecond}, {"h", time.Hour}, {"s", time.Second}}
	for _, f := range strings.Fields(s) {
		for _, u := range units {
			if num, ok := strings.CutSuffix(f, u.suffix); ok {
				if v, err := strconv.ParseFloat(num, 64); err == nil {
					total += time.Duration(v * float64(u.d))
				}
				break
			}
		}
	}
	return total
}
