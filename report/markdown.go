package report

import (
	"fmt"
	"io"
	"strings"
)

// markdownWriter renders a table a teacher can paste into an issue, a
// course page or a GitHub job summary.
type markdownWriter struct{ opts Options }

var markdownSymbols = map[Status]string{
	Pass: "✅ pass", Fail: "❌ fail", Warn: "⚠️ warn", Skip: "➖ skip", Unknown: "❔ unknown", Error: "🛑 error",
}

func (m markdownWriter) Write(w io.Writer, r *Report) error {
	_, err := io.WriteString(w, Markdown(prepare(r, m.opts)))
	return err
}

// Markdown renders r as a heading, a verdict line and a table of checks,
// then the fixes of the checks that did not pass.
func Markdown(r *Report) string {
	var b strings.Builder
	title := Title(r)
	if r.Target != nil {
		title += fmt.Sprintf(" — %s (pid %d)", r.Target.Name, r.Target.PID)
	}
	fmt.Fprintf(&b, "### %s\n\n", mdText(title))
	fmt.Fprintf(&b, "**%s**\n\n", mdText(summary(r)))
	for _, e := range r.Errors {
		fmt.Fprintf(&b, "> error: %s\n", mdText(e))
	}
	if len(r.Errors) > 0 {
		b.WriteString("\n")
	}
	points := false
	for _, c := range r.Checks {
		points = points || c.MaxPoints != nil
	}
	if points {
		b.WriteString("| check | status | points | observed |\n|---|---|--:|---|\n")
	} else {
		b.WriteString("| check | status | observed |\n|---|---|---|\n")
	}
	for _, c := range r.Checks {
		id := "`" + strings.ReplaceAll(c.ID, "`", "'") + "`"
		if points {
			pts := ""
			if c.Points != nil && c.MaxPoints != nil {
				pts = fmt.Sprintf("%g/%g", *c.Points, *c.MaxPoints)
			}
			fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", id, markdownSymbols[c.Status], pts, mdCell(c.Observed))
		} else {
			fmt.Fprintf(&b, "| %s | %s | %s |\n", id, markdownSymbols[c.Status], mdCell(c.Observed))
		}
	}
	var fixes []string
	for _, c := range r.Checks {
		if c.Status == Pass || c.Status == Skip || c.Hidden && c.Hint == "" {
			continue
		}
		var parts []string
		if c.Expected != "" && c.Status != Unknown {
			parts = append(parts, "expected "+mdText(c.Expected))
		}
		if c.Hint != "" {
			parts = append(parts, mdText(c.Hint))
		}
		if c.Course != "" {
			parts = append(parts, fmt.Sprintf("see [%s](%s)", mdText(c.Course), c.Course))
		}
		if len(parts) > 0 {
			fixes = append(fixes, fmt.Sprintf("- **%s**: %s", mdText(c.ID), strings.Join(parts, "; ")))
		}
	}
	if len(fixes) > 0 {
		b.WriteString("\n**How to fix**\n\n" + strings.Join(fixes, "\n") + "\n")
	}
	return b.String()
}

// mdText neutralises markdown and HTML in text that came from a process
// or a submission: it must not become a link, an image, a heading or HTML.
func mdText(s string) string {
	s = printable(s)
	return strings.NewReplacer(
		"\\", "\\\\", "`", "\\`", "*", "\\*", "_", "\\_", "[", "\\[", "]", "\\]",
		"&", "&amp;", "<", "&lt;", ">", "&gt;", "|", "\\|", "#", "\\#", "!", "\\!",
	).Replace(s)
}

// mdCell is text for a table cell, capped.
func mdCell(s string) string {
	return mdText(capRunes(s, 200))
}

// capRunes cuts s after n runes.
func capRunes(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}
