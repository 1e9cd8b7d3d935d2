package grade

import (
	"archive/tar"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"strings"
	"time"

	"github.com/daemonlab/daemonlab/checker/catalogue"
	"github.com/daemonlab/daemonlab/containers"
	"github.com/daemonlab/daemonlab/internal/capture"
	"github.com/daemonlab/daemonlab/internal/compare"
	"github.com/daemonlab/daemonlab/report"
)

// Lab 00 (plan background): the lab's own ticker, built from the lab
// folder, is copied into labDir next to the hand-in start.sh; `daemonlab
// compare` observes every way of starting the ticker first, before
// anything of the submission runs, so its rows are the truth the
// predictions are held against; then the hidden `daemonlab hangup` types
// `./start.sh` into a login bash on a fresh terminal, hangs it up and
// watches the ticker and its log.
const (
	labDir      = "/lab"
	startScript = "start.sh"
	predictFile = "predict.json"
	tickerLog   = "ticker.log"
	// maxPredict caps predict.json.
	maxPredict = 64 << 10
)

// labProgram is the build of the lab's own program: its C source, read
// from the lab folder, as a tar stream, and the compiler's command line.
func (g *grader) labProgram() (string, func(io.Writer) error, error) {
	if g.lab.FS == nil {
		return "", nil, fmt.Errorf("lab %s: program_source %s: the lab has no folder", g.lab.ID, g.lab.ProgramSource)
	}
	data, err := fs.ReadFile(g.lab.FS, path.Join(g.lab.Dir, g.lab.ProgramSource))
	if err != nil {
		return "", nil, fmt.Errorf("lab %s: program_source: %w", g.lab.ID, err)
	}
	name := path.Base(g.lab.ProgramSource)
	cmd := fmt.Sprintf("cc -O2 -Wall -o %s %s", g.lab.Binary, name)
	return cmd, func(w io.Writer) error {
		tw := tar.NewWriter(w)
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: name, Size: int64(len(data)), Mode: 0o644, ModTime: time.Now()}); err != nil {
			return err
		}
		if _, err := tw.Write(data); err != nil {
			return err
		}
		return tw.Close()
	}, nil
}

func (g *grader) lab00(ctx context.Context) {
	t := time.Now()
	defer g.timing("background", t)
	program := "/usr/local/bin/" + g.lab.Binary
	ticker := labDir + "/" + g.lab.Binary
	res, err := g.exec(ctx, 10*time.Second, "/bin/cp", program, ticker)
	if err == nil && res.ExitCode != 0 {
		err = errors.New(capture.Compact(res.Output))
	}
	if err != nil {
		g.errors = append(g.errors, "copying the ticker: "+err.Error())
		g.failAll("not judged: the lab's ticker could not be put next to start.sh")
		return
	}
	// The truth first, while nothing of the submission has run.
	g.predictions(ctx, program)
	g.startScript(ctx, ticker)
}

// predictions holds predict.json against what `daemonlab compare` observes
// of the ticker, each way, in this container.
func (g *grader) predictions(ctx context.Context, program string) {
	out := capture.New(maxCheckerOutput)
	res, err := g.c.Exec(ctx, []string{checkerPath, "compare", "--format", "json", "--jobs", fmt.Sprint(len(catalogue.BackgroundWays)), program},
		containers.WithTimeout(60*time.Second), containers.WithStdout(out), containers.WithNonDumpable())
	var observed struct{ Ways []compare.Row }
	switch {
	case errors.Is(err, containers.ErrExecTimeout):
		g.failPredictions("not judged: daemonlab compare did not finish within 60 s")
		return
	case err != nil:
		g.errors = append(g.errors, err.Error())
		g.failPredictions("not judged: daemonlab compare could not run in the container")
		return
	case res.ExitCode != 0 || json.Unmarshal(out.Bytes(), &observed) != nil || out.Dropped() > 0:
		g.errors = append(g.errors, "compare: "+capture.Compact(res.Output))
		g.failPredictions("not judged: daemonlab compare failed in the container: " + capture.Compact(res.Output))
		return
	}
	rows := map[string]compare.Row{}
	for _, r := range observed.Ways {
		rows[r.Way] = r
	}
	pred, problem := g.readPredictions()
	for _, w := range catalogue.BackgroundWays {
		row, ok := rows[w.ID]
		for _, f := range catalogue.PredictionFields {
			id := catalogue.PredictionID(w.ID, f.Short)
			if _, graded := g.lab.Check(id); !graded {
				continue
			}
			switch {
			case !ok:
				g.set(id, report.Error, "not judged: daemonlab compare has no row for "+w.ID, "")
				continue
			case row.Missing != "":
				// not held against the student: the point is given
				g.set(id, report.Warn, fmt.Sprintf("not observed here (%s): not held against you", row.Missing), "")
				continue
			case row.Error != "":
				g.set(id, report.Error, "not judged: daemonlab compare could not observe "+w.ID+": "+capture.Compact(row.Error), "")
				continue
			}
			truth := rowField(row, f.Key)
			evidence := rowEvidence(row, f.Key)
			if problem != "" {
				g.set(id, report.Fail, problem, "predict.json must be a JSON object keyed by way, each way an object of five booleans (see the assignment).", evidence)
				continue
			}
			guess, err := pred.get(w.ID, f.Key)
			switch {
			case err != nil:
				g.set(id, report.Fail, err.Error(), fmt.Sprintf("give %s.%s as true or false.", w.ID, f.Key), evidence)
			case guess == truth:
				g.set(id, report.Pass, fmt.Sprintf("predicted %s.%s = %v, observed %v", w.ID, f.Key, guess, truth), "", evidence)
			default:
				g.set(id, report.Fail, fmt.Sprintf("predicted %s.%s = %v, observed %v", w.ID, f.Key, guess, truth),
					fmt.Sprintf("run `daemonlab compare ./ticker` and read the %s row.", w.ID), evidence)
			}
		}
	}
}

// failPredictions marks every prediction as not judged.
func (g *grader) failPredictions(reason string) {
	for _, c := range g.lab.Checks {
		if strings.HasPrefix(c.ID, "predict-") {
			g.set(c.ID, report.Error, reason, "")
		}
	}
}

// predictions are the student's predict.json, read leniently: a way or a
// field that is missing or not a boolean costs that prediction only.
type predictions map[string]json.RawMessage

func (p predictions) get(way, key string) (bool, error) {
	raw, ok := p[way]
	if !ok {
		return false, fmt.Errorf("predict.json has no %q", way)
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil || fields == nil {
		return false, fmt.Errorf("predict.json: %q is not an object of booleans", way)
	}
	v, ok := fields[key]
	if !ok {
		return false, fmt.Errorf("predict.json has no %s.%s", way, key)
	}
	switch strings.TrimSpace(string(v)) {
	case "true":
		return true, nil
	case "false":
		return false, nil
	}
	return false, fmt.Errorf("predict.json: %s.%s is %s, not true or false", way, key, capText(string(v), 40))
}

// readPredictions reads predict.json from the submission (never from the
// container); problem says why none of it can be read.
func (g *grader) readPredictions() (predictions, string) {
	if !g.sub.Has(predictFile) {
		return nil, "the submission has no predict.json"
	}
	data, err := g.sub.ReadFile(predictFile, maxPredict+1)
	if err != nil {
		return nil, "predict.json could not be read: " + capture.Compact(err.Error())
	}
	if len(data) > maxPredict {
		return nil, fmt.Sprintf("predict.json is larger than %d KB", maxPredict>>10)
	}
	var p predictions
	if err := json.Unmarshal(data, &p); err != nil {
		return nil, "predict.json is not valid JSON: " + jsonProblem(data, err)
	}
	if p == nil {
		return nil, "predict.json is not a JSON object keyed by way"
	}
	return p, ""
}

// jsonProblem says where a JSON document went wrong (line:column).
func jsonProblem(data []byte, err error) string {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		line, col := 1, 1
		for _, c := range data[:min(int(se.Offset), len(data))] {
			if c == '\n' {
				line, col = line+1, 1
			} else {
				col++
			}
		}
		return fmt.Sprintf("line %d, column %d: %s", line, col, se.Error())
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return "it is not an object keyed by way (" + te.Value + " found)"
	}
	return capture.Compact(err.Error())
}

func rowField(r compare.Row, key string) bool {
	switch key {
	case "parent_is_init":
		return r.ParentIsInit
	case "own_session":
		return r.OwnSession
	case "has_ctty":
		return r.HasCTTY
	case "stdio_on_tty":
		return r.StdioOnTTY
	case "survives_hangup":
		return r.SurvivesHangup
	}
	return false
}

// rowEvidence is the observation behind one field of a compare row.
func rowEvidence(r compare.Row, key string) string {
	switch key {
	case "parent_is_init":
		return fmt.Sprintf("observed: parent %d (%s)", r.PPID, r.Parent)
	case "own_session":
		return fmt.Sprintf("observed: session %d, process group %d", r.SID, r.PGID)
	case "has_ctty":
		return fmt.Sprintf("observed: controlling terminal %v", r.HasCTTY)
	case "stdio_on_tty":
		return "observed: descriptors 0 1 2 on " + strings.Join(r.Stdio[:], " ")
	case "survives_hangup":
		return fmt.Sprintf("observed: survived the hang-up %v, SIGHUP %s, output after it: %s", r.SurvivesHangup, r.SIGHUP, r.Output)
	}
	return ""
}

// startChecks are the checks of start.sh's run.
var startChecks = []string{"start-returns", "ticker-survives", "ticker-log", "one-ticker", "ticker-no-tty"}

// startScript runs `./start.sh` through the hidden hangup command and
// judges what it left.
func (g *grader) startScript(ctx context.Context, ticker string) {
	failStart := func(status report.Status, reason string) {
		for _, id := range startChecks {
			g.set(id, status, reason, "")
		}
	}
	if !g.sub.Has(startScript) {
		failStart(report.Fail, "the submission has no start.sh")
		return
	}
	ret := g.lab.Deadlines.Start.Duration
	out := capture.New(maxCheckerOutput)
	res, err := g.c.Exec(ctx, []string{checkerPath, "hangup", "./" + startScript, "--dir", labDir, "--program", ticker,
		"--log", tickerLog, "--return", ret.String()}, containers.WithTimeout(ret+30*time.Second), containers.WithStdout(out), containers.WithNonDumpable())
	var r compare.ScriptResult
	switch {
	case errors.Is(err, containers.ErrExecTimeout):
		failStart(report.Error, "not judged: the hang-up run did not finish")
		return
	case err != nil:
		g.errors = append(g.errors, err.Error())
		failStart(report.Error, "not judged: the hang-up run could not start in the container")
		return
	case res.ExitCode != 0 || json.Unmarshal(out.Bytes(), &r) != nil || out.Dropped() > 0:
		g.errors = append(g.errors, "hangup: "+capture.Compact(res.Output))
		failStart(report.Error, "not judged: the hang-up run failed in the container: "+capture.Compact(res.Output))
		return
	}
	terminal := make([]string, 0, len(r.Terminal))
	for _, l := range r.Terminal {
		if l = stripEscapes(l); l != "" {
			terminal = append(terminal, "terminal: "+l)
		}
	}

	if r.Returned {
		g.set("start-returns", report.Pass, fmt.Sprintf("./start.sh gave the prompt back after %.0f ms", r.ReturnMS), "")
	} else {
		g.set("start-returns", report.Fail, fmt.Sprintf("./start.sh had not given the prompt back after %s", ret),
			"start the ticker in the background and let the script end: no foreground program, no tail -f, no wait.", terminal...)
	}

	var before, survivors, onTTY []string
	for _, p := range r.Programs {
		desc := fmt.Sprintf("pid %d (0 1 2: %s)", p.PID, strings.Join(p.Stdio[:], " "))
		if p.BeforeHangup {
			before = append(before, desc)
		}
		if p.Survived {
			survivors = append(survivors, fmt.Sprintf("pid %d", p.PID))
		}
		for _, fd := range p.TTYFDs {
			onTTY = append(onTTY, fmt.Sprintf("pid %d: %s", p.PID, fd))
		}
	}
	if len(r.Programs) == 0 {
		reason := "no ticker was running: start.sh did not start ./ticker"
		for _, id := range startChecks[1:] {
			g.set(id, report.Fail, reason, "start ./ticker, the one next to start.sh.", terminal...)
		}
		return
	}
	details := append([]string{"the shell at the hang-up: " + r.ShellExit}, before...)
	if len(survivors) > 0 {
		g.set("ticker-survives", report.Pass, fmt.Sprintf("%s still running %.1f s after the hang-up", strings.Join(survivors, ", "), r.WatchMS/1000), "", details...)
	} else {
		g.set("ticker-survives", report.Fail, fmt.Sprintf("no ticker was running %.1f s after the hang-up", r.WatchMS/1000),
			"the hang-up reaches a program through its terminal: SIGHUP to the shell's jobs, EIO on writes to the dead terminal. Leave the terminal (setsid, no descriptor on it) or use systemd-run.", details...)
	}

	switch {
	case r.Log.Grew() && !tickersLine(r):
		g.set("ticker-log", report.Fail, fmt.Sprintf("%s grew after the hang-up, but its last line is not the ticker's: %q (the ticker's standard output: %s)", tickerLog, r.Log.LastLine, tickerStdout(r)),
			"the ticker's own output must go to ticker.log.", before...)
	case r.Log.Grew():
		g.set("ticker-log", report.Pass, fmt.Sprintf("%s grew from %d to %d bytes after the hang-up; last line %q", tickerLog, r.Log.AtHangup, r.Log.After, r.Log.LastLine), "")
	case r.Log.Problem != "":
		g.set("ticker-log", report.Fail, r.Log.Problem+" in the directory start.sh ran in", "redirect the ticker's standard output to ticker.log.", before...)
	default:
		g.set("ticker-log", report.Fail, fmt.Sprintf("%s did not grow after the hang-up (%d bytes)", tickerLog, r.Log.AtHangup),
			"the ticker's standard output must go to ticker.log, and the ticker must survive the hang-up.", before...)
	}

	if n := len(r.Programs); n == 1 {
		g.set("one-ticker", report.Pass, "one ticker: "+before0(before, r.Programs[0].PID), "")
	} else {
		var all []string
		for _, p := range r.Programs {
			all = append(all, fmt.Sprintf("pid %d", p.PID))
		}
		g.set("one-ticker", report.Fail, fmt.Sprintf("%d tickers: %s", n, strings.Join(all, ", ")), "start the ticker once.", before...)
	}

	if len(onTTY) == 0 {
		g.set("ticker-no-tty", report.Pass, "no descriptor on a terminal", "", before...)
	} else {
		g.set("ticker-no-tty", report.Fail, "a descriptor on the terminal: "+strings.Join(onTTY, "; "),
			"redirect all three: </dev/null >ticker.log 2>&1 (`&` in a script redirects only stdin).", before...)
	}
}

// tickersLine is true when the log's last line is one the lab's ticker
// writes ("tick N pid P") for one of the ticker processes of the run, and
// that process's standard output is the log itself: a line in the ticker's
// format, even with its pid, written by another program while the ticker
// writes elsewhere is not the ticker's.
func tickersLine(r compare.ScriptResult) bool {
	var n, pid int
	if _, err := fmt.Sscanf(r.Log.LastLine, "tick %d pid %d", &n, &pid); err != nil {
		return false
	}
	for _, p := range r.Programs {
		if p.PID == pid {
			return p.Stdio[1] == labDir+"/"+tickerLog
		}
	}
	return false
}

// tickerStdout lists where the tickers' standard output went.
func tickerStdout(r compare.ScriptResult) string {
	var out []string
	for _, p := range r.Programs {
		out = append(out, fmt.Sprintf("pid %d → %s", p.PID, p.Stdio[1]))
	}
	return strings.Join(out, ", ")
}

func before0(before []string, pid int) string {
	if len(before) > 0 {
		return before[0]
	}
	return fmt.Sprintf("pid %d (started after the hang-up)", pid)
}

// stripEscapes removes terminal escape sequences (bracketed paste, colours)
// from a line the terminal showed.
func stripEscapes(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != 0x1b {
			if s[i] >= 0x20 || s[i] == '\t' {
				b.WriteByte(s[i])
			}
			continue
		}
		// ESC [ ... final byte in 0x40-0x7e
		if i+1 < len(s) && s[i+1] == '[' {
			j := i + 2
			for j < len(s) && (s[j] < 0x40 || s[j] > 0x7e) {
				j++
			}
			i = j
			continue
		}
		i++ // ESC and one more byte
	}
	return strings.TrimSpace(b.String())
}

func capText(s string, n int) string {
	s = capture.Compact(s)
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}
