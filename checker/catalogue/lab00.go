package catalogue

import "fmt"

// Prediction is the kind of lab 00's predict-* checks: a student's
// prediction compared with what `daemonlab compare` observed.
const Prediction Kind = "prediction"

// BackgroundWays are the ways of starting a program that lab 00's
// predict.json covers, by their key there (the ids of `daemonlab compare`),
// with the command line each stands for.
var BackgroundWays = []struct{ ID, Line string }{
	{"amp", "cmd &"},
	{"nohup", "nohup cmd &"},
	{"disown", "cmd & disown"},
	{"setsid", "setsid -f cmd"},
	{"tmux", "tmux new -d cmd"},
	{"screen", "screen -dmS NAME cmd"},
	{"systemd-run", "systemd-run cmd"},
}

// PredictionFields are the booleans of one way in predict.json: the key
// there, the short name in the check id (predict-WAY-SHORT) and what it
// says.
var PredictionFields = []struct{ Key, Short, Meaning string }{
	{"parent_is_init", "init", "its parent is init (PID 1)"},
	{"own_session", "session", "it is in a session of its own, not the terminal's"},
	{"has_ctty", "ctty", "it has a controlling terminal"},
	{"stdio_on_tty", "stdio", "one of its descriptors 0-2 is a terminal"},
	{"survives_hangup", "hangup", "it is still running after the terminal was hung up"},
}

// PredictionID is the check id of one prediction: predict-WAY-SHORT.
func PredictionID(way, short string) string { return "predict-" + way + "-" + short }

func lab00Entries() []Entry {
	out := []Entry{
		{
			ID: "start-returns", Concept: "start.sh gives the prompt back", Kind: Probe, Section: "hang-up",
			Why:      "A start script that waits for the program (a foreground program, a `tail -f` of its log, a `wait`) keeps the terminal busy: the user cannot log out cleanly, and what runs in the foreground dies with the terminal.",
			Observed: "`./start.sh` typed into an interactive login bash on a fresh terminal, then a second command typed ahead: the prompt must come back within the lab's start deadline.",
			Fix:      "start the program in the background (or through a tool that returns: setsid -f, systemd-run) and let the script end.",
		},
		{
			ID: "ticker-survives", Concept: "the program survives the hang-up", Kind: Probe, Section: "hang-up",
			Why:      "When a terminal goes away the kernel sends SIGHUP to its session leader, the shell passes it on to its jobs, and a write to the dead terminal fails with EIO: a program that is still tied to the terminal dies at logout.",
			Observed: "the program's processes found by their executable (/proc/PID/exe), before and after the terminal was hung up as at logout (the master side closed); at least one must still run.",
			Fix:      "leave the terminal: a session of its own (setsid) and no descriptor on the terminal, or run it under a service manager (systemd-run).",
		},
		{
			ID: "ticker-log", Concept: "its output keeps growing in the log", Kind: Probe, Section: "hang-up",
			Why:      "Output written to the terminal is lost at logout, and a program whose writes fail stops. The log is where its output must go, and keep going, after the user left.",
			Observed: "the size of ticker.log in the directory start.sh ran in, at the hang-up and at the end of the watch after it: it must have grown.",
			Fix:      "redirect standard output (and standard error) to ticker.log: `>ticker.log 2>&1` (or `>>` to append), or StandardOutput=file: under systemd-run.",
		},
		{
			ID: "one-ticker", Concept: "exactly one copy started", Kind: Probe, Section: "hang-up",
			Why:      "A start script that starts the program twice (two lines, a loop, a tool that starts it and the script that starts it again) leaves copies that fight over the same log.",
			Observed: "the distinct processes of the program (pid and start time) seen during the run, before and after the hang-up: exactly one.",
			Fix:      "start it once.",
		},
		{
			ID: "ticker-no-tty", Concept: "no terminal on its descriptors", Kind: Probe, Section: "hang-up",
			Why:      "A descriptor left on the terminal ties the program to it: its writes fail with EIO after logout, a read stops it with SIGTTIN, and the terminal device stays referenced. `&` in a script redirects stdin, not stdout and stderr.",
			Observed: "every descriptor of each of the program's processes, read while the terminal was still open: none may be a terminal (a pty slave, /dev/tty, a console), whichever terminal it is.",
			Fix:      "redirect all three: `</dev/null >ticker.log 2>&1`.",
		},
	}
	for _, w := range BackgroundWays {
		for _, f := range PredictionFields {
			out = append(out, Entry{
				ID:       PredictionID(w.ID, f.Short),
				Concept:  fmt.Sprintf("prediction for `%s`: %s", w.Line, f.Meaning),
				Kind:     Prediction,
				Section:  "not-a-daemon",
				Why:      "Predicting what each way of starting a program changes, and then seeing it, is how the difference between a background job and a daemon sticks.",
				Observed: fmt.Sprintf("predict.json's %s.%s, compared with what `daemonlab compare` observed for %s on the lab's ticker in the same container (a way whose tool is missing there is not held against you).", w.ID, f.Key, w.ID),
				Fix:      fmt.Sprintf("run `daemonlab compare ./ticker` and read the %s row: %s.", w.ID, f.Key),
			})
		}
	}
	return out
}

// The lab 00 entries are added to the catalogue here, beside the others.
func init() {
	for _, e := range lab00Entries() {
		entries = append(entries, e)
		byID[e.ID] = e
	}
}
