package report

import (
	"encoding/xml"
	"fmt"
	"io"
	"strings"
)

// junitWriter renders the Ant/Jenkins JUnit XML that GitLab's test report
// and Jenkins read: one testsuite for the run, one testcase per check. A
// failed check is a <failure> (an <error> when it could not run) whose
// message is the observed value and whose text adds the expectation, the
// hint and the course link.
type junitWriter struct{ opts Options }

type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Time     string       `xml:"time,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name       string         `xml:"name,attr"`
	Tests      int            `xml:"tests,attr"`
	Failures   int            `xml:"failures,attr"`
	Errors     int            `xml:"errors,attr"`
	Skipped    int            `xml:"skipped,attr"`
	Time       string         `xml:"time,attr"`
	Timestamp  string         `xml:"timestamp,attr,omitempty"`
	Properties *junitPropList `xml:"properties,omitempty"`
	Cases      []junitCase    `xml:"testcase"`
	SystemErr  *junitCharData `xml:"system-err,omitempty"`
}

type junitPropList struct {
	Props []junitProp `xml:"property"`
}

type junitProp struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type junitCase struct {
	Name      string         `xml:"name,attr"`
	Classname string         `xml:"classname,attr"`
	Time      string         `xml:"time,attr"`
	Failure   *junitResult   `xml:"failure,omitempty"`
	Error     *junitResult   `xml:"error,omitempty"`
	Skipped   *junitResult   `xml:"skipped,omitempty"`
	SystemOut *junitCharData `xml:"system-out,omitempty"`
}

type junitResult struct {
	Message string `xml:"message,attr,omitempty"`
	Type    string `xml:"type,attr,omitempty"`
	Text    string `xml:",chardata"`
}

type junitCharData struct {
	Text string `xml:",chardata"`
}

func seconds(ms float64) string { return fmt.Sprintf("%.3f", ms/1000) }

func (j junitWriter) Write(w io.Writer, r *Report) error {
	r = prepare(r, j.opts)
	suite := junitSuite{
		Name: Title(r), Tests: len(r.Checks), Time: seconds(r.DurationMS),
	}
	if !r.Started.IsZero() {
		suite.Timestamp = r.Started.UTC().Format("2006-01-02T15:04:05")
	}
	var props []junitProp
	if r.Score != nil {
		props = append(props, junitProp{"score", fmt.Sprintf("%g", *r.Score)})
	}
	if r.MaxScore != nil {
		props = append(props, junitProp{"max_score", fmt.Sprintf("%g", *r.MaxScore)})
	}
	if r.Outcome != "" {
		props = append(props, junitProp{"outcome", r.Outcome})
	}
	if r.Target != nil {
		props = append(props, junitProp{"pid", fmt.Sprint(r.Target.PID)}, junitProp{"process", clean(r.Target.Name)})
	}
	if len(props) > 0 {
		suite.Properties = &junitPropList{props}
	}
	if len(r.Errors) > 0 {
		suite.SystemErr = &junitCharData{clean(strings.Join(r.Errors, "\n"))}
	}
	class := "daemonlab." + r.Mode
	if r.Lab != "" {
		class = "daemonlab.lab" + r.Lab
	}
	for _, c := range r.Checks {
		tc := junitCase{Name: c.ID, Classname: class, Time: seconds(c.DurationMS)}
		if c.Duration != 0 {
			tc.Time = seconds(float64(c.Duration.Microseconds()) / 1000)
		}
		body := clean(strings.Join(checkLines(c), "\n"))
		res := &junitResult{Message: clean(c.Observed), Type: string(c.Status), Text: body}
		switch {
		case c.Status == Error && c.Required:
			tc.Error = res
			suite.Errors++
		case c.Status == Fail && c.Required:
			tc.Failure = res
			suite.Failures++
		case c.Status == Skip:
			tc.Skipped = &junitResult{Message: clean(c.Observed)}
			suite.Skipped++
		default:
			if body != "" {
				tc.SystemOut = &junitCharData{body}
			}
		}
		suite.Cases = append(suite.Cases, tc)
	}
	doc := junitSuites{
		Name: suite.Name, Tests: suite.Tests, Failures: suite.Failures, Errors: suite.Errors,
		Time: suite.Time, Suites: []junitSuite{suite},
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}

// checkLines are the explanation of a check, one fact a line: observed,
// points, details, expected, hint and course link.
func checkLines(c Check) []string {
	var out []string
	add := func(label, v string) {
		if v != "" {
			out = append(out, label+v)
		}
	}
	add("status: ", string(c.Status))
	add("observed: ", c.Observed)
	if c.Points != nil && c.MaxPoints != nil {
		out = append(out, fmt.Sprintf("points: %g/%g", *c.Points, *c.MaxPoints))
	}
	for _, d := range c.Details {
		add("  · ", d)
	}
	if c.Status != Unknown {
		add("expected: ", c.Expected)
	}
	add("fix: ", c.Hint)
	add("see: ", c.Course)
	return out
}

// clean drops what XML 1.0 cannot carry (control characters from the
// student's output) and keeps newlines and tabs.
func clean(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\n' || r == '\t':
			return r
		case r < 0x20 || r == 0x7f || r == 0xfffe || r == 0xffff:
			return -1
		case r >= 0xd800 && r <= 0xdfff:
			return -1
		}
		return r
	}, s)
}
