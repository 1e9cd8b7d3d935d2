package grade

import (
	"bytes"
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/daemonlab/daemonlab/internal/capture"
	"github.com/daemonlab/daemonlab/internal/sysd"
	"github.com/daemonlab/daemonlab/internal/unitfile"
	"github.com/daemonlab/daemonlab/report"
)

// Lab 09: socket activation with Accept=no (fd 3), Type=notify, the
// watchdog, and hardening.
const (
	modernPort = 9009
	// modernWatchdogMax bounds WatchdogSec= so that grading stays short.
	modernWatchdogMax = 3 * time.Second
	// modernExposureMax is the highest accepted `systemd-analyze security` exposure.
	modernExposureMax = 5.0
)

type askResult struct {
	Answers []struct {
		Reply string `json:"reply"`
		Error string `json:"error"`
	} `json:"answers"`
	Seconds float64 `json:"seconds"`
}

// ok reports whether every client got the right reply, and else why not.
func (a askResult) ok() (bool, string) {
	for _, x := range a.Answers {
		switch {
		case x.Error != "":
			return false, capture.Compact(x.Error)
		case x.Reply != superReply:
			return false, fmt.Sprintf("answered %q to \"hello daemonlab\"", capture.Compact(x.Reply))
		}
	}
	return len(a.Answers) > 0, "no answer"
}

// containerOnly are sandboxing settings that cannot start a service in an
// unprivileged container (measured: PrivateUsers= fails with 217/USER,
// DynamicUser= with 226/NAMESPACE). The grader neutralises them for the
// run, in a drop-in, and says so; the exposure is computed without it.
var containerOnly = []string{"DynamicUser", "PrivateUsers"}

func (g *grader) modern(ctx context.Context) {
	name := g.lab.Binary
	socketUnit, service := name+".socket", name+".service"
	g.lintUnits(ctx, socketUnit, service)
	neutral := g.exposure(ctx, service)

	if len(neutral) > 0 {
		dropin := fmt.Sprintf("/etc/systemd/system/%s.d/daemonlab-container.conf", service)
		text := "[Service]\n"
		for _, k := range neutral {
			text += k + "=no\n"
		}
		_, _ = g.exec(ctx, 10*time.Second, "/usr/bin/mkdir", "-p", dropin[:strings.LastIndexByte(dropin, '/')])
		if err := g.c.WriteFile(ctx, dropin, []byte(text), 0o644); err == nil {
			_, _ = g.sys(ctx, 30*time.Second, "daemon-reload")
		}
	}
	props := []string{"ActiveState", "SubState", "MainPID", "Type", "NRestarts", "WatchdogUSec", "RestartUSec", "Restart",
		"ControlGroup", "MainPIDCgroup", "MainPIDUID", "Result", "NotifyAccess"}
	show := func(unit string) map[string]string {
		res, err := g.sys(ctx, 10*time.Second, append([]string{"show", unit}, prefixEach("-p", props)...)...)
		if err != nil {
			return map[string]string{"why": err.Error()}
		}
		return sysd.ParseProps(res.Output)
	}
	ask := func(timeout time.Duration, n int) (askResult, error) {
		var a askResult
		err := g.runProbe(ctx, timeout+10*time.Second, &a, "ask", fmt.Sprint(modernPort), fmt.Sprintf("%.1f", timeout.Seconds()), fmt.Sprint(n))
		return a, err
	}

	_, _ = g.sys(ctx, g.lab.Deadlines.Start.Duration, "start", socketUnit)
	sock := show(socketUnit)
	beforeSvc := show(service)
	var listener *probeListener
	lerr := g.runProbe(ctx, 15*time.Second, &listener, "listener", fmt.Sprint(modernPort))
	var early []daemonProc
	perr := g.runProbe(ctx, 15*time.Second, &early, "procs", "/usr/local/bin/"+name)

	// The first connection activates the service and is answered.
	first, ferr := ask(10*time.Second, 1)
	svc, _ := g.waitUnit(ctx, service, g.lab.Deadlines.Start.Duration, func(p map[string]string) bool {
		return p["ActiveState"] != "activating" && p["ActiveState"] != "inactive"
	})
	main := mainPID(svc)
	more, merr := ask(5*time.Second, 3)
	after := show(service)

	// socket-activation
	firstOK, firstWhy := first.ok()
	moreOK, moreWhy := more.ok()
	switch {
	case lerr != nil || perr != nil || ferr != nil || merr != nil:
		g.set("socket-activation", report.Error, "the probe failed: "+errText(lerr, perr, ferr, merr), "")
	case sock["ActiveState"] != "active":
		g.set("socket-activation", report.Fail, fmt.Sprintf("%s is %s (%s) after systemctl start", socketUnit, sock["ActiveState"], sock["SubState"]), "ListenStream=127.0.0.1:9009 in [Socket].")
	case listener == nil || listener.PID != 1:
		g.set("socket-activation", report.Fail, fmt.Sprintf("port %d is not held by PID 1 (%+v)", modernPort, listener), "ListenStream=127.0.0.1:9009 in [Socket].")
	case beforeSvc["ActiveState"] != "inactive" || len(early) > 0:
		g.set("socket-activation", report.Fail, fmt.Sprintf("before any connection %s was %s and %d %s process(es) ran: it was not started on demand", service, beforeSvc["ActiveState"], len(early), name),
			"start and enable only the socket; nothing should pull the service in (Wants=, WantedBy=).")
	case !firstOK:
		g.set("socket-activation", report.Fail, "the first connection: "+firstWhy, "take the listening socket from fd 3 (LISTEN_FDS, LISTEN_PID), accept, answer one line upper-cased.")
	case !moreOK:
		g.set("socket-activation", report.Fail, "three more clients: "+moreWhy, "serve every connection, one after the other or side by side, in the one process.")
	case mainPID(after) != main || after["NRestarts"] != svc["NRestarts"]:
		g.set("socket-activation", report.Fail, fmt.Sprintf("MainPID went from %d to %d while serving three clients", main, mainPID(after)), "one process serves every connection (Accept=no).")
	default:
		g.set("socket-activation", report.Pass, fmt.Sprintf("inactive, with PID 1 listening on %d, until the first connection; it was answered, and so were three more, all by MainPID %d", modernPort, main), "")
	}

	// notify-ready
	switch {
	case svc["why"] != "":
		g.set("notify-ready", report.Error, svc["why"], "")
	case svc["Type"] != "notify" && svc["Type"] != "notify-reload":
		g.set("notify-ready", report.Fail, fmt.Sprintf("Type=%s: systemd takes the service for ready as soon as it is started, not when it says so", svc["Type"]),
			"Type=notify, and send READY=1 to $NOTIFY_SOCKET once you serve.")
	case svc["ActiveState"] != "active":
		g.set("notify-ready", report.Fail, fmt.Sprintf("Type=notify, but the service is %s (%s) after %s: no READY=1 arrived", svc["ActiveState"], svc["SubState"], g.lab.Deadlines.Start.Duration),
			"send READY=1 on $NOTIFY_SOCKET (sd_notify(3)) from the main process once you serve.")
	default:
		g.set("notify-ready", report.Pass, fmt.Sprintf("Type=%s: active once the main process (pid %d) sent READY=1", svc["Type"], main), "")
	}

	g.listenFDs(ctx, service, listener, after)
	g.watchdog(ctx, service, show, ask)
}

func prefixEach(flag string, vals []string) []string {
	out := make([]string, 0, 2*len(vals))
	for _, v := range vals {
		out = append(out, flag, v)
	}
	return out
}

// waitUnit polls a unit's state until cond holds or d passes.
func (g *grader) waitUnit(ctx context.Context, unit string, d time.Duration, cond func(map[string]string) bool) (map[string]string, bool) {
	var p map[string]string
	ok := unitPolling.For(ctx, d, func() bool {
		res, err := g.sys(ctx, 10*time.Second, "show", unit)
		if err != nil {
			p = map[string]string{"why": err.Error()}
			return false
		}
		p = sysd.ParseProps(res.Output)
		return cond(p)
	})
	return p, ok
}

// listenFDs: MainPID's fd 3 is PID 1's listening socket, and it has no
// listening socket of its own.
func (g *grader) listenFDs(ctx context.Context, service string, listener *probeListener, p map[string]string) {
	pid := mainPID(p)
	if pid == 0 || !ownMain(p) || listener == nil {
		g.set("listen-fds", report.Error, fmt.Sprintf("not judged: no main process of %s to read (MainPID %d)", service, pid), "")
		return
	}
	var info struct {
		FDs       map[string]string `json:"fds"`
		Listening map[string]string `json:"listening"`
		Error     string            `json:"error"`
	}
	if err := g.runProbe(ctx, 15*time.Second, &info, "fds", fmt.Sprint(pid)); err != nil {
		g.set("listen-fds", report.Error, "the probe failed: "+err.Error(), "")
		return
	}
	if info.Error != "" {
		g.set("listen-fds", report.Unknown, fmt.Sprintf("pid %d's descriptors could not be read: %s", pid, info.Error), "")
		return
	}
	want := fmt.Sprintf("socket:[%d]", listener.Inode)
	var own []string
	for fd, v := range info.Listening {
		if v != want {
			own = append(own, fmt.Sprintf("fd %s → %s", fd, v))
		}
	}
	switch {
	case info.FDs["3"] != want:
		g.set("listen-fds", report.Fail, fmt.Sprintf("MainPID %d's fd 3 is %s, not PID 1's listening socket %s", pid, orNone(info.FDs["3"]), want),
			"keep fd 3 open (do not close it in a close-everything loop) and accept on it.")
	case len(own) > 0:
		g.set("listen-fds", report.Fail, fmt.Sprintf("MainPID %d listens on sockets of its own: %s", pid, strings.Join(own, ", ")),
			"take every listening socket from systemd (ListenStream= in the .socket unit); open none yourself.")
	default:
		g.set("listen-fds", report.Pass, fmt.Sprintf("MainPID %d's fd 3 is PID 1's listening socket %s; no listener of its own", pid, want), "")
	}
}

// watchdog freezes the main process (SIGSTOP through PID 1) and expects
// systemd to kill and restart it within WatchdogSec plus RestartSec plus a
// margin, while a client that connects meanwhile waits in the queue of
// PID 1's socket and is answered by the new process.
func (g *grader) watchdog(ctx context.Context, service string, show func(string) map[string]string, ask func(time.Duration, int) (askResult, error)) {
	p := show(service)
	wd, rs := usec(p["WatchdogUSec"]), usec(p["RestartUSec"])
	switch {
	case p["why"] != "":
		g.set("watchdog", report.Error, p["why"], "")
		return
	case wd == 0:
		g.set("watchdog", report.Fail, "no WatchdogSec=: systemd never notices a frozen daemon", "WatchdogSec=1s, and send WATCHDOG=1 every WATCHDOG_USEC/2 from the main loop.")
		return
	case wd > modernWatchdogMax:
		g.set("watchdog", report.Fail, fmt.Sprintf("WatchdogSec=%s: longer than the lab's %s", wd, modernWatchdogMax), fmt.Sprintf("WatchdogSec= at most %s.", modernWatchdogMax))
		return
	case !ownMain(p) || p["ActiveState"] != "active":
		g.set("watchdog", report.Error, fmt.Sprintf("not judged: the service is %s, MainPID %d", p["ActiveState"], mainPID(p)), "")
		return
	}
	old := mainPID(p)
	restarts, _ := strconv.Atoi(p["NRestarts"])
	limit := wd + rs + 3*time.Second
	t := time.Now()
	if _, err := g.sys(ctx, 10*time.Second, "kill", service, "--signal", "19"); err != nil { // SIGSTOP
		g.set("watchdog", report.Error, "SIGSTOP could not be sent: "+err.Error(), "")
		return
	}
	a, err := ask(limit+2*time.Second, 1)
	took := time.Since(t)
	q, _ := g.waitUnit(ctx, service, 2*time.Second, func(q map[string]string) bool {
		return q["ActiveState"] == "active" && mainPID(q) != old
	})
	n, _ := strconv.Atoi(q["NRestarts"])
	answered, why := a.ok()
	switch {
	case err != nil:
		g.set("watchdog", report.Error, "the probe failed: "+err.Error(), "")
	case n <= restarts || mainPID(q) == old || q["ActiveState"] != "active":
		// leave nothing frozen behind
		_, _ = g.sys(ctx, 10*time.Second, "kill", service, "--signal", "9")
		g.set("watchdog", report.Fail, fmt.Sprintf("pid %d frozen with SIGSTOP: after %s the service is %s, MainPID %d, NRestarts=%d (Restart=%s)",
			old, took.Round(100*time.Millisecond), q["ActiveState"], mainPID(q), n, q["Restart"]),
			"WatchdogSec= makes systemd kill a daemon that stops sending WATCHDOG=1; Restart=on-failure brings it back.")
	case !answered:
		g.set("watchdog", report.Fail, fmt.Sprintf("restarted as pid %d, but the client that connected meanwhile: %s", mainPID(q), why),
			"the socket belongs to PID 1: clients queue while the daemon restarts; the new process must accept them from fd 3.")
	case took > limit:
		g.set("watchdog", report.Fail, fmt.Sprintf("restarted as pid %d after %s, later than WatchdogSec %s + RestartSec %s + 3 s", mainPID(q), took.Round(100*time.Millisecond), wd, rs), "")
	default:
		g.set("watchdog", report.Pass, fmt.Sprintf("pid %d frozen: killed and restarted as pid %d (NRestarts %d → %d); the client that connected meanwhile was answered after %s",
			old, mainPID(q), restarts, n, time.Duration(a.Seconds*float64(time.Second)).Round(100*time.Millisecond)), "")
	}
}

var exposureRe = regexp.MustCompile(`Overall exposure level for \S+: ([0-9.]+)`)

// exposure judges hardening with `systemd-analyze security --offline=yes`
// on the unit as handed in, before any drop-in of the grader's; it returns
// the settings that must be neutralised for the service to run here.
func (g *grader) exposure(ctx context.Context, service string) (neutral []string) {
	data, err := g.sub.ReadFile(service, maxUnit)
	var escapes []string
	if err == nil {
		u, _ := unitfile.Parse(service, bytes.NewReader(data))
		if u != nil {
			for _, k := range containerOnly {
				if e, ok := u.Get("Service", k); ok && isTrue(e.Value) {
					neutral = append(neutral, k)
				}
			}
			escapes = privilegedCommands(u)
		}
	}
	res, err := g.read(ctx, 60*time.Second, "/usr/bin/systemd-analyze", "security", "--offline=yes", "--no-pager", "/etc/systemd/system/"+service)
	if err != nil {
		g.set("hardening", report.Error, "systemd-analyze security could not run: "+err.Error(), "")
		return neutral
	}
	m := exposureRe.FindStringSubmatch(res.Output)
	if m == nil {
		g.set("hardening", report.Error, "systemd-analyze security printed no exposure: "+capture.Compact(lastLine(res.Output)), "")
		return neutral
	}
	score, _ := strconv.ParseFloat(m[1], 64)
	if len(escapes) > 0 {
		g.set("hardening", report.Fail, fmt.Sprintf("%s runs with full privileges, outside the sandboxing the unit declares (systemd-analyze security does not count it: exposure %.1f)", escapes[0], score),
			"drop the + and ! prefixes: the whole service, every command of it, is what the sandboxing must cover.", escapes...)
		return neutral
	}
	note := ""
	if len(neutral) > 0 {
		note = fmt.Sprintf("; %s=yes counted, but neutralised for the run (it cannot start in an unprivileged container)", strings.Join(neutral, "=yes, "))
	}
	if score > modernExposureMax {
		g.set("hardening", report.Fail, fmt.Sprintf("exposure %.1f, above the lab's %.1f%s", score, modernExposureMax, note),
			"add sandboxing one setting at a time (User=, NoNewPrivileges=, ProtectSystem=strict, PrivateTmp=, RestrictAddressFamilies=, SystemCallFilter=...), checking the service still works.",
			securityLines(res.Output)...)
		return neutral
	}
	g.set("hardening", report.Pass, fmt.Sprintf("exposure %.1f (at most %.1f)%s", score, modernExposureMax, note), "")
	return neutral
}

// execKeys are the settings whose values are command lines.
var execKeys = []string{"ExecStartPre", "ExecStart", "ExecStartPost", "ExecReload", "ExecStop", "ExecStopPost", "ExecCondition"}

// privilegedCommands lists the command lines systemd runs with full
// privileges, whatever User=, capabilities and sandboxing say: the "+"
// prefix, and "!"/"!!" (no user or group change).
func privilegedCommands(u *unitfile.Unit) []string {
	var out []string
	for _, k := range execKeys {
		for _, e := range u.Effective("Service", k) {
			prefix := e.Value[:len(e.Value)-len(strings.TrimLeft(e.Value, "@-:+!|"))]
			if strings.ContainsAny(prefix, "+!") {
				out = append(out, k+"="+e.Value)
			}
		}
	}
	return out
}

func isTrue(v string) bool {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "1", "yes", "true", "on":
		return true
	}
	return false
}

func lastLine(s string) string {
	l := strings.Split(strings.TrimSpace(s), "\n")
	return l[len(l)-1]
}

// securityLines keeps the worst lines of the security table (✗).
func securityLines(out string) []string {
	var bad []string
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(strings.TrimSpace(l), "✗") {
			bad = append(bad, strings.Join(strings.Fields(l), " "))
		}
	}
	return lastN(bad, 8)
}
