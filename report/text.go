package report

import (
	"fmt"
	"io"
	"strings"
)

type textWriter struct{ opts Options }

var symbols = map[Status]string{
	Pass: "✓", Fail: "✗", Warn: "!", Skip: "-", Unknown: "?", Error: "E",
}

var colors = map[Status]string{
	Pass: "\x1b[32m", Fail: "\x1b[31m", Warn: "\x1b[33m", Skip: "\x1b[90m", Unknown: "\x1b[36m", Error: "\x1b[35m",
}

func (t textWriter) paint(s Status, text string) string {
	if !t.opts.Color {
		return text
	}
	return colors[s] + text + "\x1b[0m"
}

// Title names the run for people: "daemonlab check (launch) — lab 04".
func Title(r *Report) string {
	title := "daemonlab " + modeTitle(r.Mode)
	if r.Lab != "" {
		title += " — lab " + r.Lab
	}
	return title
}

func modeTitle(mode string) string {
	switch mode {
	case ModeAttach:
		return "check"
	case ModeLaunch:
		return "check (launch)"
	}
	return mode
}

func (t textWriter) Write(w io.Writer, r *Report) error {
	r = prepare(r, t.opts)
	var b strings.Builder
	title := "daemonlab " + modeTitle(r.Mode)
	if r.Lab != "" {
		title += " — lab " + r.Lab
	}
	if r.Target != nil {
		title += fmt.Sprintf(" — %s (pid %d)", printable(r.Target.Name), r.Target.PID)
		if !r.Target.StartTime.IsZero() {
			title += ", started " + r.Target.StartTime.Format("2006-01-02 15:04:05")
		}
	}
	fmt.Fprintln(&b, title)
	for i, line := range r.Tree {
		label := "      "
		if i == 0 {
			label = "tree: "
		}
		fmt.Fprintf(&b, "  %s%s\n", label, printable(line))
	}
	for _, e := range r.Errors {
		fmt.Fprintf(&b, "  %s %s\n", t.paint(Error, "error:"), printable(e))
	}
	fmt.Fprintln(&b)
	width := 0
	for _, c := range r.Checks {
		width = max(width, len(c.ID))
	}
	for _, c := range r.Checks {
		points := ""
		if c.Points != nil && c.MaxPoints != nil {
			points = fmt.Sprintf("[%g/%g] ", *c.Points, *c.MaxPoints)
		}
		fmt.Fprintf(&b, "  %s %-*s  %s%s\n", t.paint(c.Status, symbols[c.Status]), width, c.ID, points, printable(c.Observed))
		if c.Status == Pass || c.Status == Skip {
			continue
		}
		indent := strings.Repeat(" ", width+6)
		for _, d := range c.Details {
			if c.Status == Fail || c.Status == Error {
				fmt.Fprintf(&b, "%s· %s\n", indent, printable(d))
			}
		}
		if c.Expected != "" && c.Status != Unknown {
			fmt.Fprintf(&b, "%sexpected: %s\n", indent, printable(c.Expected))
		}
		if c.Hint != "" {
			fmt.Fprintf(&b, "%sfix: %s\n", indent, printable(c.Hint))
		}
		if c.Course != "" {
			fmt.Fprintf(&b, "%ssee: %s (daemonlab explain %s)\n", indent, c.Course, c.ID)
		}
	}
	fmt.Fprintln(&b)
	fmt.Fprintln(&b, summary(r))
	_, err := io.WriteString(w, b.String())
	return err
}

// summary is the closing line: counts, the score when graded, the verdict.
func summary(r *Report) string {
	n := r.Counts()
	parts := []string{fmt.Sprintf("%d passed", n[Pass]), fmt.Sprintf("%d failed", n[Fail]+n[Error])}
	for _, s := range []struct {
		st   Status
		name string
	}{{Warn, "warning(s)"}, {Unknown, "unknown"}, {Skip, "skipped"}} {
		if n[s.st] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n[s.st], s.name))
		}
	}
	line := "checks: " + strings.Join(parts, ", ")
	if r.Score != nil && r.MaxScore != nil {
		line += fmt.Sprintf(" — score %g/%g", *r.Score, *r.MaxScore)
	}
	if r.Gradable != nil && !*r.Gradable {
		return line + " — NOT GRADABLE"
	}
	if r.Passed() {
		return line + " — OK"
	}
	return line + " — FAILED"
}

// printableLines is printable line by line, for formats that keep line
// breaks (workflow commands, TAP's YAML).
func printableLines(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = printable(l)
	}
	return strings.Join(lines, "\n")
}

// printable keeps text that came from a process or a submission from
// breaking the layout or acting on the terminal that shows it: a line
// break shows as ⏎, ESC as ␛ and any other control character (a
// backspace, BEL) as its control picture; a carriage return goes; DEL, the
// C1 controls (U+009B is CSI to a UTF-8 terminal) and the bidirectional
// overrides, which reorder what is shown, become U+FFFD.
func printable(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\n':
			return '⏎'
		case r == '\r':
			return -1
		case r == '\t':
			return r
		case r < 0x20:
			return 0x2400 + r // ␀ … ␟, ␛ for ESC
		case r == 0x7f:
			return '␡'
		case r >= 0x80 && r < 0xa0, r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069:
			return '\ufffd'
		}
		return r
	}, s)
}
