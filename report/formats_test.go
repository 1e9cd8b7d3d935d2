package report

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/golden")

func f(v float64) *float64 { return &v }
func str(s string) *string { return &s }
func yes(b bool) *bool     { return &b }

// secret is text only a hidden check carries: no student-facing format
// may show it.
const secret = "SECRET-fd-9-leaks-to-/etc/shadow"

// fixtures are the reports every format is tested on.
func fixtures() map[string]*Report {
	started := time.Date(2026, 12, 2, 18, 30, 0, 0, time.UTC)
	return map[string]*Report{
		"attach": {
			Tool: "daemonlab", Version: "1.2.3", Mode: ModeAttach,
			Target: &Target{
				PID: 812, Name: "mydaemon", Exe: "/usr/local/bin/mydaemon", Cmdline: []string{"/usr/local/bin/mydaemon", "-p", "/run/mydaemon.pid"},
				StartTime: started.Add(-time.Hour), StartTicks: 123456,
				PPID: 1, SID: 811, PGID: 811, TTYNr: 0, TPGID: -1, Cwd: str("/"), Umask: str("0022"),
				UID: []uint32{0, 0, 0, 0}, GID: []uint32{0, 0, 0, 0},
				FDs:     []FD{{0, "/dev/null"}, {1, "/dev/null"}, {2, "/dev/pts/3"}, {3, "/run/mydaemon.pid"}},
				Signals: &Signals{Blocked: []string{}, Ignored: []string{"SIGPIPE"}, Caught: []string{"SIGHUP", "SIGTERM"}, Pending: []string{}},
			},
			Tree: []string{"systemd(1) ─ [mydaemon(812)]", "session 811 (leader gone) · group 811 · no tty"},
			Checks: []Check{
				{ID: "parent", Concept: "parent", Status: Pass, Required: true, Observed: "ppid 1 (systemd)", Expected: "init or a subreaper", Course: "course.md#parent", Duration: 120 * time.Microsecond},
				{ID: "stdio", Concept: "standard descriptors", Status: Fail, Required: true, Observed: "2→/dev/pts/3 <b>|x|</b> & \"q\" #1 \x1b[31m\nnext", Expected: "/dev/null", Hint: "dup2 /dev/null onto 0, 1 and 2", Course: "course.md#standard-descriptors", Details: []string{"fd 2 is the terminal"}},
				{ID: "umask", Concept: "umask", Status: Warn, Required: true, Observed: "umask 0022", Expected: "0", Hint: "umask(0)"},
				{ID: "pidfile", Concept: "pid file", Status: Skip, Required: true, Observed: "no pid file given"},
				{ID: "environ", Concept: "environment", Status: Unknown, Required: true, Observed: "permission denied"},
			},
			Score: nil, MaxScore: nil, Started: started, DurationMS: 3.25,
		},
		"grade": {
			Tool: "daemonlab", Version: "1.2.3", Mode: ModeGrade, Lab: "04", Outcome: OutcomeGraded, Gradable: yes(true),
			Checks: []Check{
				{ID: "unit-syntax", Status: Fail, Required: true, Observed: "mydaemon.service:2: error: ExecStart= must be an absolute path", Hint: "fix the unit file", Details: []string{"mydaemon.service:2: error: ExecStart= must be an absolute path", "mydaemon.service:7: warning: StandardOutput=syslog is deprecated, use journal"}, Points: f(0), MaxPoints: f(10)},
				{ID: "unit-enabled", Status: Pass, Required: true, Observed: "enabled", Points: f(10), MaxPoints: f(10)},
				{ID: "restart", Status: Error, Required: true, Observed: "the service is not running", Points: f(0), MaxPoints: f(15)},
				{ID: "fds", Status: Fail, Required: true, Hidden: true, Observed: secret, Expected: "no leaked fd", Hint: "close " + secret, Details: []string{secret}, Points: f(0), MaxPoints: f(4)},
				{ID: "sigmask", Status: Pass, Required: true, Hidden: true, Observed: "nothing blocked " + secret, Points: f(2), MaxPoints: f(2)},
			},
			Score: f(12), MaxScore: f(41), Errors: []string{"tear-down: took 2s"}, Timings: map[string]float64{"install": 812.5},
			Started: started, DurationMS: 3812.5,
		},
		"not-gradable": {
			Tool: "daemonlab", Version: "1.2.3", Mode: ModeGrade, Lab: "04", Outcome: OutcomeNotGradable, Gradable: yes(false),
			Checks: []Check{
				{ID: "unit-syntax", Status: Error, Required: true, Observed: "not gradable: no container engine", Points: f(0), MaxPoints: f(10)},
			},
			Score: nil, MaxScore: f(10), Errors: []string{"Cannot connect to the Docker daemon"}, Started: started, DurationMS: 12,
		},
	}
}

var extensions = map[string]string{
	"text": "txt", "json": "json", "junit": "xml", "tap": "tap", "gradescope": "json", "github": "txt", "markdown": "md",
}

func render(t *testing.T, format string, r *Report, o Options) []byte {
	t.Helper()
	if o.Getenv == nil {
		o.Getenv = func(string) string { return "" }
	}
	w, err := NewWriter(format, o)
	require.NoError(t, err)
	var b bytes.Buffer
	require.NoError(t, w.Write(&b, r))
	return b.Bytes()
}

// TestGolden renders every fixture in every format and compares with
// testdata/golden (go test ./report -run TestGolden -update rewrites them).
func TestGolden(t *testing.T) {
	require.ElementsMatch(t, []string{"text", "json", "junit", "tap", "gradescope", "github", "markdown"}, Formats())
	for name, r := range fixtures() {
		for _, format := range Formats() {
			t.Run(name+"/"+format, func(t *testing.T) {
				got := render(t, format, r, Options{})
				path := filepath.Join("testdata", "golden", name+"."+format+"."+extensions[format])
				if *update {
					require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
					require.NoError(t, os.WriteFile(path, got, 0o644))
				}
				want, err := os.ReadFile(path)
				require.NoError(t, err, "run go test ./report -update")
				assert.Equal(t, string(want), string(got))
			})
		}
	}
}

// TestWritersDoNotModifyTheReport: a writer renders, it never fills in.
func TestWritersDoNotModifyTheReport(t *testing.T) {
	for name, r := range fixtures() {
		for _, format := range Formats() {
			pristine := fixtures()[name]
			render(t, format, r, Options{})
			render(t, format, r, Options{ShowHidden: true})
			assert.True(t, reflect.DeepEqual(pristine, r), "%s changed %s", format, name)
		}
	}
}

// TestHiddenChecksStayHidden: no format shows a hidden check's details
// unless ShowHidden is set; the points still add up.
func TestHiddenChecksStayHidden(t *testing.T) {
	r := fixtures()["grade"]
	for _, format := range Formats() {
		out := string(render(t, format, r, Options{}))
		assert.NotContains(t, out, secret, format)
		assert.Contains(t, out, "fds", format)
		shown := string(render(t, format, r, Options{ShowHidden: true}))
		if format != "github" { // github shows failures only, as annotations
			assert.Contains(t, shown, "SECRET", format)
		}
	}
}

func TestJSONSchema(t *testing.T) {
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	sch, err := c.Compile("schema/report.schema.json")
	require.NoError(t, err)
	for name, r := range fixtures() {
		for _, o := range []Options{{}, {ShowHidden: true}} {
			doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(render(t, "json", r, o)))
			require.NoError(t, err)
			assert.NoError(t, sch.Validate(doc), name)
		}
	}
	// and the schema is not a rubber stamp
	bad := map[string]any{"schema_version": "1", "tool": "daemonlab", "mode": "check (launch)"}
	assert.Error(t, sch.Validate(bad))
}

func TestJSONFields(t *testing.T) {
	var got map[string]any
	require.NoError(t, json.Unmarshal(render(t, "json", fixtures()["attach"], Options{}), &got))
	assert.Equal(t, "1", got["schema_version"])
	assert.Equal(t, "attach", got["mode"])
	sum := got["summary"].(map[string]any)
	assert.Equal(t, false, sum["ok"])
	assert.Equal(t, 1.0, sum["exit_code"])
	assert.Equal(t, map[string]any{"pass": 1.0, "fail": 1.0, "warn": 1.0, "skip": 1.0, "unknown": 1.0, "error": 0.0}, sum["counts"])
	tg := got["target"].(map[string]any)
	for k, v := range map[string]any{"ppid": 1.0, "sid": 811.0, "pgid": 811.0, "tty_nr": 0.0, "tpgid": -1.0, "cwd": "/", "umask": "0022"} {
		assert.Equal(t, v, tg[k], k)
	}
	assert.Equal(t, 0.12, got["checks"].([]any)[0].(map[string]any)["duration_ms"])

	require.NoError(t, json.Unmarshal(render(t, "json", fixtures()["grade"], Options{}), &got))
	assert.Equal(t, 12.0, got["score"])
	assert.Equal(t, 41.0, got["max_score"])
	assert.Equal(t, true, got["gradable"])
	require.NoError(t, json.Unmarshal(render(t, "json", fixtures()["not-gradable"], Options{}), &got))
	assert.Nil(t, got["score"], "not gradable is not a zero")
	assert.Equal(t, 4.0, got["summary"].(map[string]any)["exit_code"])

	// the document decodes back into a Report (the grader reads the
	// checker's JSON this way)
	var back Report
	require.NoError(t, json.Unmarshal(render(t, "json", fixtures()["attach"], Options{}), &back))
	assert.Equal(t, 812, back.Target.PID)
	assert.Len(t, back.Checks, 5)
}

func TestJUnitAgainstXSD(t *testing.T) {
	xsdFile, err := os.Open("testdata/junit.xsd")
	require.NoError(t, err)
	defer xsdFile.Close()
	schema, err := parseXSD(xsdFile)
	require.NoError(t, err)
	xmllint, _ := exec.LookPath("xmllint")
	for name, r := range fixtures() {
		out := render(t, "junit", r, Options{})
		assert.Empty(t, schema.validate(out), name)
		if xmllint != "" {
			file := filepath.Join(t.TempDir(), name+".xml")
			require.NoError(t, os.WriteFile(file, out, 0o644))
			res, err := exec.Command(xmllint, "--noout", "--schema", "testdata/junit.xsd", file).CombinedOutput()
			assert.NoError(t, err, "xmllint: %s", res)
		}
	}
	if xmllint == "" {
		t.Log("xmllint not installed: validated with the built-in XSD subset validator only")
	}
	// the validator does reject what Jenkins would reject
	assert.NotEmpty(t, schema.validate([]byte(`<testsuite name="x" tests="1" failures="0"><testcase/><bogus/></testsuite>`)))

	var doc junitSuites
	require.NoError(t, xml.Unmarshal(render(t, "junit", fixtures()["grade"], Options{}), &doc))
	s := doc.Suites[0]
	assert.Len(t, s.Cases, 5, "one testcase per check")
	assert.Equal(t, 2, s.Failures)
	assert.Equal(t, 1, s.Errors)
	assert.Contains(t, s.Cases[0].Failure.Message, "ExecStart=")
	assert.Contains(t, s.Cases[0].Failure.Text, "fix: fix the unit file")
}

// tapLine is the TAP 14 grammar of the lines daemonlab writes.
var (
	tapVersion = regexp.MustCompile(`^TAP version 14$`)
	tapPlan    = regexp.MustCompile(`^1\.\.([0-9]+)$`)
	tapPoint   = regexp.MustCompile(`^(ok|not ok) ([0-9]+)(?: - ((?:[^#\\]|\\.)*[^#\\ ]))?(?: # (SKIP|TODO)\b.*)?$`)
	tapComment = regexp.MustCompile(`^#`)
)

// parseTAP checks a TAP 14 document and returns the test points.
func parseTAP(t *testing.T, doc string) (plan int, points []string) {
	t.Helper()
	lines := strings.Split(strings.TrimSuffix(doc, "\n"), "\n")
	require.Regexp(t, tapVersion, lines[0], "first line")
	m := tapPlan.FindStringSubmatch(lines[1])
	require.NotNil(t, m, "plan after the version: %q", lines[1])
	plan, _ = strconv.Atoi(m[1])
	for i := 2; i < len(lines); i++ {
		l := lines[i]
		switch {
		case tapPoint.MatchString(l):
			m := tapPoint.FindStringSubmatch(l)
			n, _ := strconv.Atoi(m[2])
			assert.Equal(t, len(points)+1, n, "test points are numbered in order: %q", l)
			points = append(points, l)
		case l == "  ---":
			require.NotEmpty(t, points, "a YAML block follows a test point")
			var block []string
			for i++; i < len(lines) && lines[i] != "  ..."; i++ {
				require.True(t, strings.HasPrefix(lines[i], "  "), "YAML block lines are indented: %q", lines[i])
				block = append(block, lines[i][2:])
			}
			require.Less(t, i, len(lines), "YAML block is closed")
			var v map[string]any
			assert.NoError(t, yaml.Unmarshal([]byte(strings.Join(block, "\n")), &v), "YAML block parses")
		case tapComment.MatchString(l):
		default:
			t.Errorf("not a TAP 14 line: %q", l)
		}
	}
	return plan, points
}

func TestTAPGrammar(t *testing.T) {
	for name, r := range fixtures() {
		plan, points := parseTAP(t, string(render(t, "tap", r, Options{})))
		assert.Equal(t, len(r.Checks), plan, name)
		assert.Len(t, points, plan, name)
	}
	_, points := parseTAP(t, string(render(t, "tap", fixtures()["attach"], Options{})))
	assert.True(t, strings.HasPrefix(points[1], "not ok 2 - stdio"))
	assert.Contains(t, points[3], "# SKIP")
	assert.True(t, strings.HasPrefix(points[4], "ok 5 - environ"), "unknown is never a failure")
}

func TestGradescopeFields(t *testing.T) {
	var doc map[string]any
	require.NoError(t, json.Unmarshal(render(t, "gradescope", fixtures()["grade"], Options{HiddenVisibility: "after_published"}), &doc))
	for _, k := range []string{"score", "execution_time", "output", "tests"} {
		assert.Contains(t, doc, k)
	}
	assert.Equal(t, 12.0, doc["score"])
	assert.Equal(t, 4.0, doc["execution_time"])
	tests := doc["tests"].([]any)
	require.Len(t, tests, 5)
	total := 0.0
	for _, raw := range tests {
		tc := raw.(map[string]any)
		for _, k := range []string{"name", "score", "max_score", "status", "output", "visibility"} {
			assert.Contains(t, tc, k)
		}
		assert.Contains(t, []any{"passed", "failed"}, tc["status"])
		assert.Contains(t, GradescopeVisibilities, tc["visibility"])
		total += tc["score"].(float64)
		if tc["name"] == "fds" || tc["name"] == "sigmask" {
			assert.Equal(t, "after_published", tc["visibility"])
		} else {
			assert.Equal(t, "visible", tc["visibility"])
		}
	}
	assert.Equal(t, doc["score"], total, "the tests add up to the score")
}

func TestGitHub(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{"GITHUB_STEP_SUMMARY": filepath.Join(dir, "summary.md"), "GITHUB_OUTPUT": filepath.Join(dir, "output")}
	out := string(render(t, "github", fixtures()["grade"], Options{PathPrefix: "lab04", Getenv: func(k string) string { return env[k] }}))
	assert.Contains(t, out, "::error file=lab04/mydaemon.service,line=2,title=daemonlab unit-syntax::ExecStart= must be an absolute path\n")
	assert.Contains(t, out, "::warning file=lab04/mydaemon.service,line=7,title=daemonlab unit-syntax::StandardOutput=syslog is deprecated, use journal\n")
	assert.Contains(t, out, "::error title=daemonlab restart::the service is not running\n")
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		assert.Regexp(t, `^::(error|warning|notice) [^:]*::`, l, "every line is one workflow command")
	}
	summary, err := os.ReadFile(env["GITHUB_STEP_SUMMARY"])
	require.NoError(t, err)
	assert.Contains(t, string(summary), "| `unit-syntax` | ❌ fail | 0/10 |")
	output, err := os.ReadFile(env["GITHUB_OUTPUT"])
	require.NoError(t, err)
	assert.Equal(t, "score=12\nmax_score=41\npassed=false\nexit_code=1\n", string(output))

	// a student's text cannot inject a workflow command
	r := fixtures()["attach"]
	r.Checks[1].Observed = "x\n::add-mask::y"
	out = string(render(t, "github", r, Options{}))
	assert.NotContains(t, out, "\n::add-mask::")
}

func TestLocations(t *testing.T) {
	c := fixtures()["grade"].Checks[0]
	assert.Equal(t, []Location{
		{File: "mydaemon.service", Line: 2, Severity: "error", Message: "ExecStart= must be an absolute path"},
		{File: "mydaemon.service", Line: 7, Severity: "warning", Message: "StandardOutput=syslog is deprecated, use journal"},
	}, c.Locations())
	assert.Empty(t, Check{Observed: "ppid 1 (systemd)"}.Locations())
}

// TestControlCharactersAreShownNotObeyed: text from a submission (a
// process name, an init script's output) that carries backspaces, BEL,
// DEL, a C1 CSI or a bidirectional override cannot act on the terminal or
// the page that shows a report: every human format shows it, none passes
// it on.
func TestControlCharactersAreShownNotObeyed(t *testing.T) {
	hostile := "exit 1" + strings.Repeat("\b", 8) + "\a\x7f\u009b2J\u202e\x1b[1A ✓ passed"
	r := &Report{Tool: "daemonlab", Mode: ModeGrade, Target: &Target{PID: 7, Name: "d\b\bok"},
		Tree: []string{"1 systemd\b"}, Errors: []string{"err\a"},
		Checks: []Check{{ID: "sysv-start", Status: Fail, Observed: hostile, Hint: hostile, Details: []string{hostile}}}}
	for _, format := range []string{"text", "markdown", "tap", "github"} {
		t.Run(format, func(t *testing.T) {
			w, err := NewWriter(format, Options{Getenv: func(string) string { return "" }})
			require.NoError(t, err)
			var b strings.Builder
			require.NoError(t, w.Write(&b, r))
			for _, c := range []string{"\b", "\a", "\x7f", "\u009b", "\u202e", "\x1b"} {
				assert.NotContains(t, b.String(), c, "%q passed on", c)
			}
			assert.Contains(t, b.String(), "␈␈", "a backspace is shown")
		})
	}
}
