package report

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strings"
)

// gradescopeWriter renders Gradescope's autograder results.json: a score,
// the execution time, an output for the whole run and one test per check
// with its score, maximum, status and output. A lab's hidden checks get
// the hidden visibility (or the one the teacher chose) and no details.
type gradescopeWriter struct{ opts Options }

// GradescopeVisibilities are the visibilities Gradescope accepts.
var GradescopeVisibilities = []string{"hidden", "after_due_date", "after_published", "visible"}

// GradescopeResults is the results.json document.
type GradescopeResults struct {
	Score         float64          `json:"score"`
	ExecutionTime int              `json:"execution_time"` // seconds
	Output        string           `json:"output"`
	OutputFormat  string           `json:"output_format"`
	Visibility    string           `json:"visibility"`
	Tests         []GradescopeTest `json:"tests"`
}

// GradescopeTest is one check.
type GradescopeTest struct {
	Name         string  `json:"name"`
	Score        float64 `json:"score"`
	MaxScore     float64 `json:"max_score"`
	Status       string  `json:"status"` // passed or failed
	Output       string  `json:"output"`
	OutputFormat string  `json:"output_format"`
	Visibility   string  `json:"visibility"`
}

func (g gradescopeWriter) Write(w io.Writer, r *Report) error {
	r = prepare(r, g.opts)
	hidden := g.opts.HiddenVisibility
	if hidden == "" {
		hidden = "hidden"
	}
	res := GradescopeResults{
		ExecutionTime: int(math.Round(r.DurationMS / 1000)),
		OutputFormat:  "text", Visibility: "visible", Tests: []GradescopeTest{},
	}
	if r.Score != nil {
		res.Score = *r.Score
	}
	var out []string
	out = append(out, Title(r))
	if r.Gradable != nil && !*r.Gradable {
		out = append(out, "NOT GRADABLE: the grading infrastructure failed; this is not your score. Ask your teacher to re-run the autograder.")
	}
	if r.Outcome == OutcomeUngradable {
		out = append(out, "The submission could not be graded (it did not build or a step timed out).")
	}
	for _, e := range r.Errors {
		out = append(out, "error: "+e)
	}
	if r.Score != nil && r.MaxScore != nil {
		out = append(out, fmt.Sprintf("score %g/%g", *r.Score, *r.MaxScore))
	}
	res.Output = strings.Join(out, "\n")
	for _, c := range r.Checks {
		t := GradescopeTest{Name: c.ID, Status: "passed", OutputFormat: "text", Visibility: "visible"}
		if c.Points != nil {
			t.Score = *c.Points
		}
		if c.MaxPoints != nil {
			t.MaxScore = *c.MaxPoints
		}
		if c.Failed() || (c.Points != nil && c.MaxPoints != nil && *c.Points < *c.MaxPoints) {
			t.Status = "failed"
		}
		t.Output = strings.Join(checkLines(c), "\n")
		if c.Hidden {
			t.Visibility = hidden
		}
		res.Tests = append(res.Tests, t)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(res)
}
