package report

import (
	"fmt"
	"io"
	"sort"
	"strings"
)

// Writer renders a report in one format.
type Writer interface {
	Write(w io.Writer, r *Report) error
}

// Options tune the writers.
type Options struct {
	Color bool // ANSI colour; only on a terminal and without NO_COLOR
	// ShowHidden shows the details of a lab's hidden checks (a teacher's
	// view). By default every format shows only their id, status and points.
	ShowHidden bool
	// HiddenVisibility is the Gradescope visibility of hidden checks:
	// hidden (default), after_due_date or after_published.
	HiddenVisibility string
	// PathPrefix is prepended to the file of a finding (the submission
	// directory relative to the repository), for GitHub annotations.
	PathPrefix string
	// Getenv reads the environment (GITHUB_STEP_SUMMARY, GITHUB_OUTPUT);
	// nil means os.Getenv.
	Getenv func(string) string
}

// prepare is what every writer renders: the report with hidden checks
// redacted unless asked otherwise. The caller's report is never changed.
func prepare(r *Report, o Options) *Report {
	if o.ShowHidden {
		return r
	}
	return Redact(r)
}

// writers are the formats by name.
var writers = map[string]func(Options) Writer{
	"text":       func(o Options) Writer { return textWriter{o} },
	"json":       func(o Options) Writer { return jsonWriter{o} },
	"junit":      func(o Options) Writer { return junitWriter{o} },
	"gradescope": func(o Options) Writer { return gradescopeWriter{o} },
	"github":     func(o Options) Writer { return githubWriter{o} },
	"markdown":   func(o Options) Writer { return markdownWriter{o} },
	"tap":        func(o Options) Writer { return tapWriter{o} },
}

// Formats lists the known format names.
func Formats() []string {
	names := make([]string, 0, len(writers))
	for n := range writers {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// NewWriter returns the writer for a format name.
func NewWriter(format string, opts Options) (Writer, error) {
	f, ok := writers[format]
	if !ok {
		return nil, fmt.Errorf("unknown format %q (want one of %s)", format, strings.Join(Formats(), ", "))
	}
	return f(opts), nil
}
