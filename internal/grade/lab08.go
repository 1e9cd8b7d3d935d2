package grade

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/daemonlab/daemonlab/internal/capture"
	"github.com/daemonlab/daemonlab/internal/sysd"
	"github.com/daemonlab/daemonlab/report"
)

// Lab 08: a timer with its oneshot service, and root's crontab.
const (
	timerCalendar = "*-*-* 03:15:00"
	runsFile      = "/var/lib/mytask/runs"
)

func (g *grader) timer(ctx context.Context) {
	name := g.lab.Binary
	service, timer := name+".service", name+".timer"
	prog := "/usr/local/bin/" + name
	g.lintUnits(ctx, service, timer)

	showUnit := func(unit string, props ...string) map[string]string {
		res, err := g.sys(ctx, 10*time.Second, append([]string{"show", unit}, prefixEach("-p", props)...)...)
		if err != nil {
			return map[string]string{"why": err.Error()}
		}
		return sysd.ParseProps(res.Output)
	}
	runs := func() int {
		res, err := g.exec(ctx, 5*time.Second, "/bin/sh", "-c", "[ -f "+runsFile+" ] && [ ! -L "+runsFile+" ] && /usr/bin/wc -l < "+runsFile+" || echo 0")
		if err != nil {
			return -1
		}
		n, _ := strconv.Atoi(strings.TrimSpace(res.Output))
		return n
	}

	// timer: enabled under timers.target, waiting, the schedule asked.
	_, eerr := g.sys(ctx, 30*time.Second, "enable", timer)
	_, _ = g.sys(ctx, g.lab.Deadlines.Start.Duration, "start", timer)
	tp := showUnit(timer, "ActiveState", "SubState", "UnitFileState", "TimersCalendar", "Persistent", "NextElapseUSecRealtime")
	wants := showUnit("timers.target", "Wants")
	cal := calendarOf(tp["TimersCalendar"])
	norm, nerr := g.normaliseCalendar(ctx, cal)
	switch {
	case tp["why"] != "":
		g.set("timer", report.Error, tp["why"], "")
	case tp["UnitFileState"] != "enabled" || !strings.Contains(" "+wants["Wants"]+" ", " "+timer+" "):
		g.set("timer", report.Fail, fmt.Sprintf("UnitFileState=%s and timers.target does not want %s%s", tp["UnitFileState"], timer, errSuffix(eerr)), "[Install] WantedBy=timers.target, then systemctl enable.")
	case tp["ActiveState"] != "active":
		g.set("timer", report.Fail, fmt.Sprintf("%s is %s (%s) after systemctl start", timer, tp["ActiveState"], tp["SubState"]), "read systemctl status and journalctl -u for the reason.")
	case cal == "":
		g.set("timer", report.Fail, "the timer has no OnCalendar= schedule (TimersCalendar="+capture.Compact(tp["TimersCalendar"])+")", "OnCalendar=*-*-* 03:15:00")
	case nerr != nil:
		g.set("timer", report.Error, "systemd-analyze calendar could not run: "+nerr.Error(), "")
	case norm != timerCalendar:
		g.set("timer", report.Fail, fmt.Sprintf("OnCalendar=%s, which systemd-analyze calendar normalises to %s, not %s", cal, norm, timerCalendar), "every day at 03:15: OnCalendar=*-*-* 03:15:00 (or 03:15).")
	case tp["Persistent"] != "yes":
		g.set("timer", report.Fail, "Persistent=no: a run missed while the machine was off is not caught up at boot", "Persistent=true")
	case tp["NextElapseUSecRealtime"] == "" || tp["NextElapseUSecRealtime"] == "0":
		g.set("timer", report.Fail, "the timer has no next elapse", "")
	default:
		g.set("timer", report.Pass, fmt.Sprintf("enabled under timers.target, waiting; OnCalendar=%s, Persistent=yes, next elapse %s", norm, nextElapse(tp["TimersCalendar"])), "")
	}

	// oneshot-run: each start runs the task once; it exits 0 and does not
	// stay active.
	var bad []string
	var okRuns []string
	for i := 1; i <= 2; i++ {
		before := runs()
		res, err := g.sys(ctx, g.lab.Deadlines.Start.Duration, "start", service)
		p := showUnit(service, "Type", "ActiveState", "Result", "ExecMainStatus", "ExecMainCode", "RemainAfterExit")
		after := runs()
		switch {
		case err != nil && !strings.HasPrefix(res.Output, "result="):
			bad = append(bad, fmt.Sprintf("start %d: %v", i, err))
		case p["Type"] != "oneshot":
			bad = append(bad, fmt.Sprintf("Type=%s: systemd does not wait for the task to finish", p["Type"]))
		case p["ExecMainCode"] != "1" || p["ExecMainStatus"] != "0" || p["Result"] != "success":
			bad = append(bad, fmt.Sprintf("start %d: the task ended with Result=%s, status %s", i, p["Result"], p["ExecMainStatus"]))
		case p["ActiveState"] != "inactive":
			bad = append(bad, fmt.Sprintf("after run %d the service is %s (RemainAfterExit=%s): the timer cannot start it again", i, p["ActiveState"], p["RemainAfterExit"]))
		case after != before+1:
			bad = append(bad, fmt.Sprintf("start %d: %s went from %d to %d lines", i, runsFile, before, after))
		default:
			okRuns = append(okRuns, fmt.Sprintf("run %d: exit 0, inactive, one line more", i))
		}
		if len(bad) > 0 {
			break
		}
	}
	if len(bad) > 0 {
		g.set("oneshot-run", report.Fail, strings.Join(bad, "; "), "Type=oneshot, no RemainAfterExit=, and a task that does its work and exits 0.")
	} else {
		g.set("oneshot-run", report.Pass, strings.Join(okRuns, "; "), "")
	}

	g.crontab(ctx, prog, runs)
}

func errSuffix(err error) string {
	if err == nil {
		return ""
	}
	return " (" + err.Error() + ")"
}

var calendarRe = regexp.MustCompile(`OnCalendar=([^;]*?) ;`)

// calendarOf takes the spec out of TimersCalendar ("{ OnCalendar=*-*-*
// 03:15:00 ; next_elapse=... }"); "" when there is none.
func calendarOf(tc string) string {
	m := calendarRe.FindStringSubmatch(tc)
	if m == nil {
		return ""
	}
	return strings.TrimSpace(m[1])
}

func nextElapse(tc string) string {
	_, after, ok := strings.Cut(tc, "next_elapse=")
	if !ok {
		return "unknown"
	}
	v := strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(after), "}"))
	if us, err := strconv.ParseInt(v, 10, 64); err == nil && us > 0 {
		return time.UnixMicro(us).UTC().Format("2006-01-02 15:04:05 UTC")
	}
	return v
}

// normaliseCalendar asks systemd-analyze calendar for the normalised form.
func (g *grader) normaliseCalendar(ctx context.Context, spec string) (string, error) {
	if spec == "" {
		return "", nil
	}
	res, err := g.read(ctx, 10*time.Second, "/usr/bin/systemd-analyze", "calendar", spec)
	if err != nil {
		return "", err
	}
	for _, l := range strings.Split(res.Output, "\n") {
		if k, v, ok := strings.Cut(strings.TrimSpace(l), ":"); ok && k == "Normalized form" {
			return strings.TrimSpace(v), nil
		}
	}
	return "", fmt.Errorf("no normalised form: %s", capture.Compact(res.Output))
}

// crontab judges root's crontab from the submission's bytes, then has cron
// start as at boot and reads cron's own journal lines about the @reboot job.
func (g *grader) crontab(ctx context.Context, prog string, runs func() int) {
	data, err := g.sub.ReadFile("crontab", maxUnit)
	if err != nil {
		g.set("crontab", report.Fail, "the submission has no crontab", "hand in root's crontab as crontab.")
		g.set("cron-reboot", report.Error, "not judged: no crontab", "")
		return
	}
	var reboot, scheduled, other []string
	var bad []string
	for i, l := range strings.Split(string(data), "\n") {
		l = strings.TrimSpace(l)
		if l == "" || strings.HasPrefix(l, "#") || regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*\s*=`).MatchString(l) {
			continue
		}
		f := strings.Fields(l)
		switch {
		case f[0] == "@reboot":
			if len(f) > 1 && strings.Contains(l, prog) {
				reboot = append(reboot, l)
			}
		case strings.HasPrefix(f[0], "@"):
			other = append(other, l)
		default:
			if len(f) < 6 {
				bad = append(bad, fmt.Sprintf("line %d: %q has %d fields: minute hour day month weekday command", i+1, l, len(f)))
				continue
			}
			if why := cronFieldsProblem(f[:5]); why != "" {
				bad = append(bad, fmt.Sprintf("line %d: %s", i+1, why))
				continue
			}
			if strings.Contains(strings.Join(f[5:], " "), prog) {
				if strings.Join(f[:5], " ") == "15 3 * * *" {
					scheduled = append(scheduled, l)
				} else {
					other = append(other, l)
				}
			}
		}
	}
	switch {
	case len(bad) > 0:
		g.set("crontab", report.Fail, bad[0], "five time fields, then the command; `man 5 crontab`.", bad...)
	case len(scheduled) == 0 && len(other) > 0:
		g.set("crontab", report.Fail, fmt.Sprintf("%q does not run at 03:15 every day", other[0]), "minute hour day month weekday: 15 3 * * * "+prog)
	case len(scheduled) == 0:
		g.set("crontab", report.Fail, "no scheduled line runs "+prog, "15 3 * * * "+prog)
	default:
		g.set("crontab", report.Pass, fmt.Sprintf("scheduled: %q", scheduled[0]), "")
	}

	// A real reboot of the container: the disk is kept, RAM (/run, /tmp) is
	// not, and cron starts at boot as it would on the student's machine.
	var cmd string
	var ran bool
	var cronLog []string
	if len(reboot) > 0 {
		var ok bool
		if cmd, ran, cronLog, ok = g.rebootForCron(ctx, prog, runs); !ok {
			return
		}
	}
	switch {
	case len(reboot) == 0:
		g.set("cron-reboot", report.Fail, "no @reboot line runs "+prog, "@reboot "+prog)
	case !ran && cmd == "":
		g.set("cron-reboot", report.Fail, "after a reboot of the container cron logged no run of "+prog, "@reboot "+prog+" in root's crontab.", cronLog...)
	case !ran:
		g.set("cron-reboot", report.Fail, fmt.Sprintf("cron ran the @reboot job (%s) but %s has no new line", capture.Compact(cmd), runsFile), "")
	default:
		g.set("cron-reboot", report.Pass, fmt.Sprintf("after a reboot of the container cron's child ran the @reboot job: %s; %s gained a line", capture.Compact(cmd), runsFile), "")
	}
}

// cronBoot puts back, as the image has them, the paths of the disk from
// which anything could run at boot (units and drop-ins, timer stamps,
// crontabs, programs in /usr/local/bin but the task) and the journal's
// directory. It runs before systemd starts, when nothing of the submission
// runs: the task has run as root (oneshot-run) and could have left a unit,
// a drop-in for cron.service, a rewritten crontab or a forged journal there.
// The task's runs file goes too: only a run at this boot may write it (a
// runs file linked to the crontab cronOnly writes would gain its lines).
const cronBoot = `set -e
skel=/usr/lib/daemonlab/skel
/usr/bin/find /usr/local/bin -mindepth 1 -maxdepth 1 ! -name "$1" -exec /bin/rm -rf -- {} +
/usr/bin/find /etc/systemd/system -mindepth 1 -maxdepth 1 -exec /bin/rm -rf -- {} +
/bin/cp -a $skel/etc/systemd/system/. /etc/systemd/system/
for p in /var/spool /var/lib/systemd /var/log/journal; do
	/bin/rm -rf -- $p
	/bin/cp -a $skel$p $p
done
/bin/rm -f -- "$2"
`

// cronOnly readies the disk for the boot that judges cron-reboot: only cron
// can run the task then (see cronBoot), from root's crontab as handed in.
func (g *grader) cronOnly(ctx context.Context) error {
	res, err := g.exec(ctx, 30*time.Second, "/bin/sh", "-c", cronBoot, "sh", g.lab.Binary, runsFile)
	if err == nil && res.ExitCode != 0 {
		err = fmt.Errorf("exit %d: %s", res.ExitCode, capture.Compact(res.Output))
	}
	if err != nil {
		return err
	}
	data, err := g.sub.ReadFile("crontab", maxUnit)
	if err != nil {
		return err
	}
	for _, in := range g.lab.Install {
		if in.File == "crontab" {
			return g.c.WriteFile(ctx, in.To, data, int64(in.Mode))
		}
	}
	return fmt.Errorf("lab %s installs no crontab", g.lab.ID)
}

func showUnit(g *grader, ctx context.Context, unit string) map[string]string {
	res, err := g.sys(ctx, 10*time.Second, "show", unit, "-p", "MainPID")
	if err != nil {
		return map[string]string{}
	}
	return sysd.ParseProps(res.Output)
}

// cronFieldsProblem checks the five time fields' ranges (numbers, *,
// ranges, lists, steps and names); "" when they are fine.
func cronFieldsProblem(f []string) string {
	names := []string{"minute", "hour", "day of month", "month", "day of week"}
	max := []int{59, 23, 31, 12, 7}
	min := []int{0, 0, 1, 1, 0}
	for i, v := range f {
		for _, part := range strings.Split(v, ",") {
			part, _, _ = strings.Cut(part, "/")
			if part == "*" {
				continue
			}
			for _, n := range strings.Split(part, "-") {
				x, err := strconv.Atoi(n)
				if err != nil {
					if (i == 3 || i == 4) && len(n) == 3 {
						continue // jan, mon
					}
					return fmt.Sprintf("%s %q is not a number", names[i], v)
				}
				if x < min[i] || x > max[i] {
					return fmt.Sprintf("%s %d is out of range %d-%d", names[i], x, min[i], max[i])
				}
			}
		}
	}
	return ""
}

// rebootForCron reboots the container and waits for cron's child to log
// the @reboot job and the job to write its line; cronLog is what cron
// logged in this boot. ok is false when the container could not be
// rebooted (then judged).
func (g *grader) rebootForCron(ctx context.Context, prog string, runs func() int) (cmd string, ran bool, cronLog []string, ok bool) {
	t := time.Now()
	err := g.c.RebootWith(ctx, g.cronOnly)
	g.record("reboot", time.Since(t))
	if err != nil {
		g.errors = append(g.errors, "reboot: "+err.Error())
		g.set("cron-reboot", report.Error, "not judged: the container could not be rebooted", "")
		return "", false, nil, false
	}
	// The journal is in RAM: after the reboot it holds this boot only.
	// cron's lines are found by their identifier, not by unit: a job that
	// ends at once is often gone before journald reads its cgroup, and its
	// lines then carry no unit (seen on a loaded machine). A line another
	// unit sent does not count. A line with no unit is trusted because of
	// cronOnly: at this boot nothing of the submission runs but what cron
	// runs (no unit, drop-in or timer of its own), so a forged "CMD (" line
	// could only come from a job cron really ran.
	ran = unitPolling.For(ctx, 15*time.Second, func() bool {
		cronMain := strconv.Itoa(mainPID(showUnit(g, ctx, "cron.service")))
		entries, err := g.readJournal(ctx, "", "-t", "cron", "-t", "CRON")
		if err != nil {
			return false
		}
		cronLog = cronLog[:0]
		for _, e := range entries {
			cronLog = append(cronLog, "journal: "+e.text())
		}
		for _, e := range entries {
			// cron's child logs "(root) CMD (...)" before it runs the job
			if (e.Unit == "cron.service" || e.Unit == "") && e.PID != "1" && e.PID != cronMain &&
				strings.Contains(e.text(), "CMD (") && strings.Contains(e.text(), prog) {
				cmd = e.text()
				return runs() > 0
			}
		}
		return false
	})
	return cmd, ran, cronLog, true
}
