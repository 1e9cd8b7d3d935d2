// Package catalogue holds the stable check ids and what each one teaches:
// the concept, why it matters, what daemonlab observes, how to fix it and
// where course.md explains it. Reports, lab specs and `daemonlab explain`
// all refer to checks by these ids.
package catalogue

import (
	"sort"
	"strings"
)

// Kind says how a check is judged.
type Kind string

// Kinds of checks.
const (
	Static  Kind = "static"  // a pure function of one /proc snapshot
	Probe   Kind = "probe"   // behaviour: the checker acts and watches
	Systemd Kind = "systemd" // judged inside a systemd container
)

// Entry describes one check.
type Entry struct {
	ID       string
	Concept  string
	Kind     Kind
	Why      string
	Observed string
	Fix      string
	// Section is the anchor of the course.md section that explains it.
	Section string
}

// Course is the link a report prints for the entry.
func (e Entry) Course() string { return "course.md#" + e.Section }

var entries = []Entry{
	{
		ID: "parent", Concept: "orphaned and adopted by init", Kind: Static, Section: "fork-and-exit",
		Why:      "A daemon must not depend on the shell or program that started it. Forking and letting the parent exit orphans the child; the kernel hands it to init (or the nearest subreaper), so the launcher returns at once and the daemon's life no longer depends on it.",
		Observed: "ppid from /proc/PID/stat and the parent's name: 1, a systemd manager, a known container init, or the checker as subreaper in launch mode.",
		Fix:      "fork(); in the parent exit(0) once the child is ready; continue in the child.",
	},
	{
		ID: "no-tty", Concept: "no controlling terminal", Kind: Static, Section: "controlling-terminal",
		Why:      "A process with a controlling terminal receives SIGHUP when the terminal closes and SIGINT/SIGTSTP from keyboard keys. A daemon must be immune to whoever logs out.",
		Observed: "tty_nr (must be 0) and tpgid (must be -1) in /proc/PID/stat; descriptors still open on a terminal are mentioned.",
		Fix:      "call setsid() in a child that is not a process-group leader; fork once more so the daemon can never reacquire a terminal; never open a tty without O_NOCTTY.",
	},
	{
		ID: "session", Concept: "own session (setsid)", Kind: Static, Section: "sessions",
		Why:      "setsid() detaches the process from the login session and its job control. A process left in the shell's session is still a job of that shell.",
		Observed: "session id from /proc/PID/stat compared with the pid (leader: single fork) and with the launcher's session; a non-leader whose leader has exited is the double-fork pattern.",
		Fix:      "after the first fork call setsid(); optionally fork again so the daemon is not a session leader.",
	},
	{
		ID: "cwd", Concept: "working directory", Kind: Static, Section: "working-directory",
		Why:      "A daemon runs until shutdown; if its working directory is on a mounted file system, that file system can never be unmounted. Relative paths would also depend on where it was started.",
		Observed: "readlink /proc/PID/cwd.",
		Fix:      "chdir(\"/\") (or the directory the lab names) right after setsid().",
	},
	{
		ID: "umask", Concept: "file mode creation mask", Kind: Static, Section: "umask",
		Why:      "The umask is inherited from whoever started the daemon, so the permissions of the files it creates would depend on that user's shell. Setting it explicitly makes them deterministic.",
		Observed: "the Umask line of /proc/PID/status (Linux 4.7 and later), compared with the lab's accepted values and with the mask planted at launch.",
		Fix:      "call umask(0) (or the value the lab asks for) and give explicit modes to open() and mkdir().",
	},
	{
		ID: "stdio", Concept: "stdin, stdout, stderr detached", Kind: Static, Section: "standard-descriptors",
		Why:      "Descriptors 0, 1 and 2 inherited from a terminal keep writing to it (or fail with EIO after logout). Closing them is not enough: the next open() would get descriptor 0 and a stray printf would write into that file.",
		Observed: "the targets of /proc/PID/fd/0, 1 and 2: /dev/null (character device 1:3), or what the lab allows (a log file; under systemd the journal socket).",
		Fix:      "open /dev/null read-write and dup2() it onto 0, 1 and 2, then close the extra descriptor.",
	},
	{
		ID: "fds", Concept: "inherited descriptors closed", Kind: Static, Section: "closing-descriptors",
		Why:      "Every descriptor the launcher left open (a terminal, a pipe, a file) stays open in the daemon for its whole life: it holds resources, keeps pipes from reaching end-of-file and may leak data.",
		Observed: "every entry of /proc/PID/fd beyond 2, classified: pid or lock file, sockets and event descriptors (runtime), log files, and leaks (terminals, spare /dev/null, the marker planted at launch).",
		Fix:      "close every descriptor above 2 before doing anything else (close_range(3, ~0U, 0) or a loop up to the RLIMIT_NOFILE limit); open what you need afterwards with O_CLOEXEC.",
	},
	{
		ID: "sigmask", Concept: "signal mask reset", Kind: Static, Section: "signals",
		Why:      "The signal mask survives fork and exec. A signal blocked by the launcher stays blocked, so the daemon silently never sees it.",
		Observed: "SigBlk of every thread (/proc/PID/task/*/status); signals consumed by a signalfd or a sigwait() thread are accounted for.",
		Fix:      "sigset_t empty; sigemptyset(&empty); sigprocmask(SIG_SETMASK, &empty, NULL); early in main.",
	},
	{
		ID: "sigdisp", Concept: "signal dispositions reset", Kind: Static, Section: "signals",
		Why:      "Ignored signals survive exec: a shell's `&` ignores SIGINT and SIGQUIT, nohup ignores SIGHUP. A daemon that ignores SIGTERM cannot be stopped cleanly.",
		Observed: "SigIgn and SigCgt of /proc/PID/status, compared with the dispositions planted at launch.",
		Fix:      "reset every signal you do not handle to SIG_DFL, then install the handlers you need with sigaction().",
	},
	{
		ID: "pidfile", Concept: "pid file", Kind: Static, Section: "pid-file",
		Why:      "Init scripts and administrators find the daemon through its pid file. A pid file naming the wrong process gets the wrong process signalled; a world-writable one lets anybody choose who gets signalled.",
		Observed: "the pid file's content (leniently parsed), its owner and mode.",
		Fix:      "write the daemon's own pid (after the last fork) followed by a newline, mode 0644, in /run; remove it on exit.",
	},
	{
		ID: "lock", Concept: "single instance, statically", Kind: Static, Section: "single-instance",
		Why:      "A pid file alone cannot stop a second copy: the pid may be stale. A lock the kernel releases when the daemon dies can: a second copy fails to take it.",
		Observed: "`lock:` lines of /proc/PID/fdinfo/N and /proc/locks matched to the pid file's device and inode; POSIX (fcntl/lockf), flock and OFD locks alike.",
		Fix:      "open the pid file, lock it with fcntl(F_SETLK) or flock(LOCK_EX|LOCK_NB), exit non-zero if that fails, keep the descriptor open for the daemon's whole life.",
	},
	{
		ID: "privileges", Concept: "privileges dropped", Kind: Static, Section: "privileges",
		Why:      "A daemon that does not need root should not keep it: a bug in it becomes a root compromise.",
		Observed: "Uid and Gid (real, effective, saved, filesystem), Groups and CapEff from /proc/PID/status.",
		Fix:      "after binding privileged resources: setgroups(), setgid(), then setuid() — in that order — and check each return value.",
	},
	{
		ID: "env", Concept: "environment sanitised", Kind: Static, Section: "environment",
		Why:      "The environment of the user who started the daemon (PATH, LD_*, locale, session variables) leaks into the daemon and into everything it runs.",
		Observed: "/proc/PID/environ: the environment at exec time. A daemon that clears its environment in-process (clearenv) cannot be seen doing so; re-executing with a clean environment, or being started by systemd, can.",
		Fix:      "exec with a minimal environment (execve with your own envp), or let systemd provide it.",
	},
	{
		ID: "ready", Concept: "readiness before return", Kind: Probe, Section: "readiness",
		Why:      "An init script (or systemd with Type=forking) treats the launcher's exit as \"the service is up\". If the pid file is written only later, whoever reads it right after start finds nothing.",
		Observed: "at the moment the launcher's exit is seen, the pid file already names a live daemon.",
		Fix:      "let the original process wait (on a pipe) until the daemon has written its pid file and is ready, then exit 0.",
	},
	{
		ID: "single-instance", Concept: "single instance, by behaviour", Kind: Probe, Section: "single-instance",
		Why:      "The lock is only worth something if a second start actually refuses to run.",
		Observed: "a second launch: every process it starts exits promptly and non-zero; the first daemon keeps its pid; the pid file is unchanged. A stale pid file must not stop a fresh start.",
		Fix:      "take the lock before writing the pid file and exit non-zero when it is held.",
	},
	{
		ID: "stale-pidfile", Concept: "a stale pid file does not block a start", Kind: Probe, Section: "pid-file",
		Why:      "A daemon that crashed or was killed leaves its pid file behind. If the next start trusts the file instead of the lock, the service can never come back without an administrator.",
		Observed: "a pid file naming a dead process is planted, then the program is started again: it must start and take the pid file over.",
		Fix:      "decide \"already running\" by trying the lock, never by the pid file's existence; then truncate and rewrite it.",
	},
	{
		ID: "sighup", Concept: "reload on SIGHUP", Kind: Probe, Section: "sighup",
		Why:      "By convention SIGHUP tells a daemon (which has no terminal to hang up) to re-read its configuration without restarting.",
		Observed: "after SIGHUP the same (pid, start time) lives on; the lab's reload evidence appears.",
		Fix:      "install a SIGHUP handler that sets a flag; re-read the configuration in the main loop.",
	},
	{
		ID: "sigterm", Concept: "graceful shutdown", Kind: Probe, Section: "sigterm",
		Why:      "SIGTERM is how init, systemd and administrators stop a daemon. It should finish its work, remove its pid file and exit 0 within a few seconds.",
		Observed: "exit within the deadline, exit status 0 (seen as subreaper), pid file removed, lock released.",
		Fix:      "handle SIGTERM with a flag; on leaving the main loop unlink the pid file and exit(0).",
	},
	{
		ID: "workers", Concept: "children reaped, no zombie left", Kind: Probe, Section: "reaping-children",
		Why:      "A daemon that forks workers (one per request, per reload) must wait for each one. A child that ended but was never waited for stays a zombie: an entry in the process table, with its pid, for as long as the daemon lives; enough of them and fork() fails.",
		Observed: "after the reload, the daemon's children in /proc (ppid = the daemon): a child that stays in state Z longer than a grace period was never reaped. Children still running are not judged.",
		Fix:      "on SIGCHLD set a flag; in the main loop call waitpid(-1, &status, WNOHANG) until it returns 0 (Python: os.waitpid(-1, os.WNOHANG); Go: cmd.Wait in a goroutine).",
	},
	{
		ID: "unit-syntax", Concept: "unit file syntax", Kind: Systemd, Section: "unit-files",
		Why:      "systemd ignores what it cannot parse, often with only a log line; a typo silently changes behaviour.",
		Observed: "daemonlab's own parser (systemd.syntax(7), with file:line messages), then `systemd-analyze verify`.",
		Fix:      "sections in brackets, Key=Value lines, absolute paths in Exec*=.",
	},
	{
		ID: "unit-enabled", Concept: "enabled at boot", Kind: Systemd, Section: "unit-files",
		Why:      "A service that is started but not enabled does not come back after a reboot.",
		Observed: "`systemctl enable` succeeds and `systemctl is-enabled` answers enabled (needs an [Install] section).",
		Fix:      "add [Install] WantedBy=multi-user.target and run systemctl enable.",
	},
	{
		ID: "unit-active", Concept: "service starts", Kind: Systemd, Section: "systemctl",
		Why:      "The unit must start and stay up.",
		Observed: "`systemctl start` succeeds and ActiveState=active with a MainPID.",
		Fix:      "read `systemctl status` and `journalctl -u` for the reason.",
	},
	{
		ID: "unit-type", Concept: "Type= matches the process", Kind: Systemd, Section: "service-types",
		Why:      "systemd must know whether the process forks: Type=forking waits for the launcher to exit and reads PIDFile=; Type=simple tracks the first process, which must not fork away.",
		Observed: "Type= and PIDFile= of the unit, whether MainPID is the started process, and the journal's \"Can't open PID file\" warning.",
		Fix:      "forking daemons: Type=forking with PIDFile=, ready before the launcher exits; foreground programs: Type=simple or notify.",
	},
	{
		ID: "restart", Concept: "restart on failure", Kind: Systemd, Section: "restart",
		Why:      "A crashed daemon should come back by itself.",
		Observed: "kill -9 MainPID (only a process of the unit's own cgroup); a new MainPID within the lab's limit, timed on systemd's own clock; a RestartSec= above the limit fails at once.",
		Fix:      "Restart=on-failure (or always) and a short RestartSec=.",
	},
	{
		ID: "reload", Concept: "systemctl reload", Kind: Systemd, Section: "sighup",
		Why:      "`systemctl reload` must reach the daemon and must not kill it.",
		Observed: "after `systemctl reload`, the same MainPID is active and the daemon logs the reload evidence after the reload; the same evidence logged unasked before it fails.",
		Fix:      "ExecReload=/bin/kill -HUP $MAINPID and a SIGHUP handler.",
	},
	{
		ID: "stop", Concept: "clean stop", Kind: Systemd, Section: "sigterm",
		Why:      "`systemctl stop` sends SIGTERM and escalates to SIGKILL after TimeoutStopSec; a daemon killed that way lost its chance to clean up.",
		Observed: "after `systemctl stop`, the main process exits with status 0 within the lab's deadline, as systemd records it (ExecMainCode/ExecMainStatus, whatever SuccessExitStatus= says); dying of SIGTERM or needing SIGKILL fails.",
		Fix:      "exit promptly and with status 0 on SIGTERM.",
	},
	{
		ID: "journal", Concept: "logging to the journal", Kind: Systemd, Section: "journal",
		Why:      "Under systemd, stdout/stderr and syslog go to the journal; `journalctl -u` is where an administrator looks first.",
		Observed: "`journalctl -u UNIT` shows the daemon's lines under its identifier.",
		Fix:      "log with syslog(3) or to stderr; set SyslogIdentifier= if you want a fixed name.",
	},
	{
		ID: "socket-activation", Concept: "socket activation", Kind: Systemd, Section: "super-daemons",
		Why:      "A super-daemon (inetd, xinetd, systemd sockets) listens on behalf of a service and starts it only when a client connects.",
		Observed: "nothing runs before the first connection; the connection is served; Accept=yes starts one instance per connection.",
		Fix:      "a .socket unit with ListenStream= and a service that uses the passed descriptor (sd_listen_fds).",
	},
	{
		ID: "xinetd-config", Concept: "xinetd service file", Kind: Systemd, Section: "super-daemons",
		Why:      "xinetd skips an attribute it does not know and disables a service it cannot use, with only a log line; the service then runs without the setting you wrote, or not at all.",
		Observed: "after the file is installed, xinetd re-reads its configuration (reload); its own log lines about the service: \"bad service attribute\", \"Bad ...\", \"ERROR\", \"deactivated\".",
		Fix:      "one attribute = value per line, names from xinetd.conf(5), comments on their own lines; `journalctl -u xinetd` after a reload.",
	},
	{
		ID: "inetd-reply", Concept: "an inetd-style service answers", Kind: Systemd, Section: "super-daemons",
		Why:      "Behind a super-daemon the program has no network code: the client's connection is its stdin and stdout.",
		Observed: "a client on 127.0.0.1 sends one line through each super-daemon and reads the reply.",
		Fix:      "read a line from fd 0, write the answer to fd 1, flush, exit.",
	},
	{
		ID: "inetd-stdio", Concept: "the connection is stdin and stdout", Kind: Systemd, Section: "super-daemons",
		Why:      "With inetd's nowait (xinetd wait = no, systemd Accept=yes) the super-daemon accepts, forks and puts the connected socket on descriptors 0 and 1 of a fresh server; the server is its child and must not daemonize.",
		Observed: "while a connection is held: the server's parent (xinetd, or PID 1 through a NAME@ instance unit) and /proc/PID/fd/0 and 1, compared with the server end of that connection (its socket inode).",
		Fix:      "xinetd: wait = no; systemd: Accept=yes with StandardInput=socket; the program keeps fds 0 and 1 and stays in the foreground.",
	},
	{
		ID: "inetd-instances", Concept: "one server per connection", Kind: Systemd, Section: "super-daemons",
		Why:      "nowait/Accept=yes means one process per connection: concurrent clients are served side by side, each by its own server.",
		Observed: "three concurrent connections through each super-daemon, and the distinct server processes holding them.",
		Fix:      "no low instances = (xinetd) or MaxConnections= (systemd) limit; let each server handle exactly one connection.",
	},
	{
		ID: "lsb-header", Concept: "LSB header and rc links", Kind: Systemd, Section: "chkconfig-and-update-rc-d",
		Why:      "The comment block between ### BEGIN INIT INFO and ### END INIT INFO tells update-rc.d (and insserv, chkconfig, systemd's generator) in which runlevels the script starts and stops and what it depends on.",
		Observed: "the header's Provides, Required-Start/Stop, Default-Start (2 3 4 5), Default-Stop (0 1 6) and Short-Description; `update-rc.d NAME defaults` and the S and K links it makes in /etc/rcN.d.",
		Fix:      "copy the LSB template's header and fill in every field.",
	},
	{
		ID: "sysv-start", Concept: "init script start", Kind: Systemd, Section: "sysv-init",
		Why:      "init and administrators run start without knowing whether the service runs; starting twice must not give two daemons, and is a success.",
		Observed: "`start` twice as init runs it (env -i): the exit codes, and the daemon's processes in /proc.",
		Fix:      "start-stop-daemon --start --oknodo --pidfile PIDFILE; set PATH in the script.",
	},
	{
		ID: "sysv-status", Concept: "init script status codes", Kind: Systemd, Section: "sysv-init",
		Why:      "Monitoring and other scripts act on status's exit code: 0 running, 3 stopped, 1 dead with its pid file left behind. A pid file alone proves nothing.",
		Observed: "`status` while the daemon runs, after stop, and after kill -9 of the daemon (its stale pid file left).",
		Fix:      "status_of_proc -p PIDFILE DAEMON NAME from /lib/lsb/init-functions.",
	},
	{
		ID: "sysv-reload", Concept: "init script reload", Kind: Systemd, Section: "sysv-init",
		Why:      "reload asks the running daemon to re-read its configuration; it must not replace the process.",
		Observed: "`reload`: exit 0, the same process (pid and start time) in /proc, and the reload evidence in the journal from that pid afterwards.",
		Fix:      "start-stop-daemon --stop --signal HUP --pidfile PIDFILE.",
	},
	{
		ID: "sysv-restart", Concept: "init script restart", Kind: Systemd, Section: "sysv-init",
		Why:      "restart replaces the daemon with a fresh process (new code, new state); stop must have finished before start runs.",
		Observed: "`restart`: exit 0 and exactly one daemon, a different process.",
		Fix:      "restart) do_stop && do_start, with a stop that waits (--retry).",
	},
	{
		ID: "sysv-stop", Concept: "init script stop", Kind: Systemd, Section: "sysv-init",
		Why:      "At shutdown init runs stop and then moves on: the daemon must be gone when stop returns; stopping a stopped service is a success.",
		Observed: "`stop` twice: the exit codes, no daemon left in /proc, no pid file.",
		Fix:      "start-stop-daemon --stop --oknodo --retry=TERM/10/KILL/5 --pidfile PIDFILE.",
	},
	{
		ID: "sysv-usage", Concept: "init script usage", Kind: Systemd, Section: "sysv-init",
		Why:      "An unknown action is an error of the caller: LSB exit code 2 and a usage line.",
		Observed: "an unknown action's exit code and output.",
		Fix:      "*) echo \"Usage: $0 {start|stop|restart|reload|force-reload|status}\" >&2; exit 2",
	},
	{
		ID: "sysv-service", Concept: "init scripts under systemd", Kind: Systemd, Section: "sysv-init",
		Why:      "systemd wraps every /etc/init.d script in a generated unit. A daemon started behind its back (the script run by hand without the redirect of /lib/lsb/init-functions) runs outside the unit: systemctl says inactive while it runs.",
		Observed: "`service NAME start|stop` and `/etc/init.d/NAME start|stop` run by an administrator: PID 1's ActiveState for NAME.service and the daemon's cgroup in /proc.",
		Fix:      "source /lib/lsb/init-functions at the top of the script.",
	},
	{
		ID: "listen-fds", Concept: "the listening socket from systemd", Kind: Systemd, Section: "super-daemons",
		Why:      "With Accept=no, systemd passes its listening socket as fd 3 (LISTEN_FDS, LISTEN_PID). The port stays open while the daemon restarts, so clients queue instead of being refused, and only if the daemon uses that socket instead of binding its own.",
		Observed: "MainPID's /proc/PID/fd/3 compared with the inode of PID 1's listening socket; every other descriptor of MainPID that is a listening TCP socket.",
		Fix:      "check LISTEN_PID == getpid() and LISTEN_FDS >= 1 (sd_listen_fds), accept on fd 3, and open no listener yourself.",
	},
	{
		ID: "notify-ready", Concept: "Type=notify readiness", Kind: Systemd, Section: "service-types",
		Why:      "With Type=notify systemd starts what depends on the service only when the service says it is ready (READY=1), not when its process merely exists.",
		Observed: "Type= of the unit and whether the service became active (which under Type=notify takes READY=1 from the main process) after its first connection.",
		Fix:      "Type=notify, and sd_notify(0, \"READY=1\") (a datagram to $NOTIFY_SOCKET) once you serve.",
	},
	{
		ID: "watchdog", Concept: "the systemd watchdog", Kind: Systemd, Section: "watchdog",
		Why:      "A daemon can hang without dying. With WatchdogSec= it sends WATCHDOG=1 regularly from its main loop; when the pings stop, systemd kills it and Restart= brings it back.",
		Observed: "the main process is frozen with SIGSTOP (through PID 1); within WatchdogSec + RestartSec + 3 s a new MainPID runs (NRestarts grows), and a client that connected meanwhile is answered.",
		Fix:      "WatchdogSec=1s, Restart=on-failure, and WATCHDOG=1 every WATCHDOG_USEC/2 from the main loop (not from a separate timer thread).",
	},
	{
		ID: "oneshot-run", Concept: "a oneshot task", Kind: Systemd, Section: "timers",
		Why:      "A timer starts its service each time it elapses; a Type=oneshot service runs the task to its end and goes back to inactive, so the next trigger can start it again.",
		Observed: "the service started twice as the timer would: Type=oneshot, Result=success with exit status 0, inactive afterwards, one more line in the task's output file each time.",
		Fix:      "Type=oneshot, no RemainAfterExit=, a task that does its work and exits 0.",
	},
	{
		ID: "crontab", Concept: "a crontab line", Kind: Systemd, Section: "timers",
		Why:      "cron reads five time fields (minute, hour, day of month, month, day of week) and then the command; a missing field shifts the command into the schedule.",
		Observed: "root's crontab as handed in: every line's fields and ranges, and a scheduled line for the task.",
		Fix:      "15 3 * * * /usr/local/bin/mytask",
	},
	{
		ID: "cron-reboot", Concept: "@reboot", Kind: Systemd, Section: "timers",
		Why:      "@reboot runs a job once when cron starts at boot, as a child of cron, with cron's minimal environment.",
		Observed: "cron is started as at boot (its \"@reboot done\" note removed); cron's child logs CMD for the task in the journal, and the task's output file gains a line.",
		Fix:      "@reboot /usr/local/bin/mytask in root's crontab (crontab -e as root).",
	},
	{
		ID: "hardening", Concept: "service hardening", Kind: Systemd, Section: "hardening",
		Why:      "systemd can confine a service (User=, ProtectSystem=, NoNewPrivileges=...) without changing its code.",
		Observed: "`systemd-analyze security UNIT` exposure score against the lab's threshold.",
		Fix:      "add sandboxing directives one at a time and re-check the service still works.",
	},
	{
		ID: "sysv-script", Concept: "SysV init script", Kind: Systemd, Section: "sysv-init",
		Why:      "Init scripts are a contract: start, stop, restart, status with LSB exit codes (status answers 3 when stopped).",
		Observed: "each LSB action and its exit code; the rcN.d S/K links.",
		Fix:      "follow the LSB template: start-stop-daemon, a pid file, exit codes from the LSB spec.",
	},
	{
		ID: "timer", Concept: "timer units", Kind: Systemd, Section: "timers",
		Why:      "A .timer unit replaces a crontab line with something systemctl and journalctl can see.",
		Observed: "after systemctl enable and start: UnitFileState, timers.target's Wants, ActiveState, OnCalendar= normalised by `systemd-analyze calendar`, Persistent= and the next elapse, from PID 1.",
		Fix:      "OnCalendar= or OnUnitActiveSec= in a .timer next to a oneshot .service.",
	},
}

var byID = func() map[string]Entry {
	m := make(map[string]Entry, len(entries))
	for _, e := range entries {
		m[e.ID] = e
	}
	return m
}()

// Lookup finds an entry by id.
func Lookup(id string) (Entry, bool) {
	e, ok := byID[strings.ToLower(strings.TrimSpace(id))]
	return e, ok
}

// All returns every entry in catalogue order.
func All() []Entry { return append([]Entry(nil), entries...) }

// IDs returns every id, sorted.
func IDs() []string {
	ids := make([]string, 0, len(entries))
	for _, e := range entries {
		ids = append(ids, e.ID)
	}
	sort.Strings(ids)
	return ids
}
