package report

import (
	"fmt"
	"io"
	"os"
	"path"
	"strings"
)

// githubWriter speaks to GitHub Actions: workflow commands on stdout that
// become annotations (on the file and line of a finding when it has one:
// unit-file lint, init scripts), the markdown table appended to the job
// summary ($GITHUB_STEP_SUMMARY) and the score as step outputs
// ($GITHUB_OUTPUT: score, max_score, passed, exit_code).
type githubWriter struct{ opts Options }

func (g githubWriter) getenv(k string) string {
	if g.opts.Getenv != nil {
		return g.opts.Getenv(k)
	}
	return os.Getenv(k)
}

func (g githubWriter) Write(w io.Writer, r *Report) error {
	r = prepare(r, g.opts)
	var b strings.Builder
	for _, c := range r.Checks {
		level := ""
		switch {
		case c.Failed():
			level = "error"
		case c.Status == Warn || c.Status == Fail || c.Status == Error:
			level = "warning"
		}
		locs := c.Locations()
		if level == "" && len(locs) == 0 {
			continue
		}
		title := "daemonlab " + c.ID
		for _, l := range locs {
			lv := level
			if lv == "" || l.Severity != "error" {
				lv = "warning"
			}
			file := l.File
			if g.opts.PathPrefix != "" && g.opts.PathPrefix != "." && !path.IsAbs(file) {
				file = path.Join(g.opts.PathPrefix, file)
			}
			fmt.Fprintf(&b, "::%s file=%s,line=%d,title=%s::%s\n", lv, ghProperty(file), l.Line, ghProperty(title), ghData(l.Message))
		}
		if len(locs) == 0 {
			msg := c.Observed
			if c.Hint != "" {
				msg += "\nfix: " + c.Hint
			}
			fmt.Fprintf(&b, "::%s title=%s::%s\n", level, ghProperty(title), ghData(msg))
		}
	}
	fmt.Fprintf(&b, "::notice title=%s::%s\n", ghProperty(Title(r)), ghData(summary(r)))
	if _, err := io.WriteString(w, b.String()); err != nil {
		return err
	}
	if p := g.getenv("GITHUB_STEP_SUMMARY"); p != "" {
		if err := appendFile(p, Markdown(r)+"\n"); err != nil {
			return fmt.Errorf("job summary: %w", err)
		}
	}
	if p := g.getenv("GITHUB_OUTPUT"); p != "" {
		score, max := "", ""
		if r.Score != nil {
			score = fmt.Sprintf("%g", *r.Score)
		}
		if r.MaxScore != nil {
			max = fmt.Sprintf("%g", *r.MaxScore)
		}
		s := r.Summarize()
		out := fmt.Sprintf("score=%s\nmax_score=%s\npassed=%t\nexit_code=%d\n", score, max, s.OK, s.ExitCode)
		if err := appendFile(p, out); err != nil {
			return fmt.Errorf("step output: %w", err)
		}
	}
	return nil
}

func appendFile(path, text string) error {
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.WriteString(text); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// ghData escapes the message of a workflow command.
func ghData(s string) string {
	return strings.NewReplacer("%", "%25", "\n", "%0A").Replace(printableLines(s))
}

// ghProperty escapes a property value of a workflow command.
func ghProperty(s string) string {
	return strings.NewReplacer("%", "%25", ":", "%3A", ",", "%2C").Replace(printable(s))
}
