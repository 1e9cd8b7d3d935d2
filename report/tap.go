package report

import (
	"fmt"
	"io"
	"strings"

	"go.yaml.in/yaml/v3"
)

// tapWriter renders TAP version 14: a plan, one test point per check and,
// under a point that is not a plain pass, a YAML diagnostic block.
// Failed and errored required checks are "not ok"; a skipped check is
// "ok # SKIP"; a warning or an unknown is "ok" with its diagnostics.
type tapWriter struct{ opts Options }

func (t tapWriter) Write(w io.Writer, r *Report) error {
	r = prepare(r, t.opts)
	var b strings.Builder
	b.WriteString("TAP version 14\n")
	fmt.Fprintf(&b, "1..%d\n", len(r.Checks))
	fmt.Fprintf(&b, "# %s\n", tapText(Title(r)))
	for _, e := range r.Errors {
		fmt.Fprintf(&b, "# error: %s\n", tapText(e))
	}
	for i, c := range r.Checks {
		ok := "ok"
		if c.Failed() {
			ok = "not ok"
		}
		line := fmt.Sprintf("%s %d - %s", ok, i+1, tapText(c.ID))
		if c.Status == Skip {
			line += " # SKIP " + tapText(c.Observed)
		}
		b.WriteString(strings.TrimRight(line, " ") + "\n")
		if c.Status == Pass || c.Status == Skip {
			continue
		}
		diag := map[string]any{"status": string(c.Status), "message": printableLines(c.Observed)}
		if c.Expected != "" && c.Status != Unknown {
			diag["expected"] = printableLines(c.Expected)
		}
		if c.Hint != "" {
			diag["hint"] = printableLines(c.Hint)
		}
		if c.Course != "" {
			diag["course"] = c.Course
		}
		if len(c.Details) > 0 {
			details := make([]string, len(c.Details))
			for i, d := range c.Details {
				details[i] = printableLines(d)
			}
			diag["details"] = details
		}
		if c.Points != nil && c.MaxPoints != nil {
			diag["points"], diag["max_points"] = *c.Points, *c.MaxPoints
		}
		y, err := yaml.Marshal(diag)
		if err != nil {
			return err
		}
		b.WriteString("  ---\n")
		for _, l := range strings.Split(strings.TrimRight(string(y), "\n"), "\n") {
			b.WriteString("  " + l + "\n")
		}
		b.WriteString("  ...\n")
	}
	if r.Score != nil && r.MaxScore != nil {
		fmt.Fprintf(&b, "# score %g/%g\n", *r.Score, *r.MaxScore)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// tapText keeps a description on one line and escapes what TAP gives a
// meaning to: '#' starts a directive and '\' escapes.
func tapText(s string) string {
	return printable(strings.NewReplacer("\\", "\\\\", "#", "\\#", "\n", " ", "\r", " ").Replace(s))
}
