package unitfile

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// at is the part of a diagnostic the tables compare.
type at struct {
	Line     int
	Severity Severity
	Code     string
}

func ats(ds []Diagnostic) []at {
	out := []at{}
	for _, d := range ds {
		out = append(out, at{d.Line, d.Severity, d.Code})
	}
	return out
}

// service is a parse of one [Service] section, on line 1, holding entries.
func service(entries ...Entry) []*Section {
	return []*Section{{Name: "Service", Line: 1, Entries: entries}}
}

func TestParse(t *testing.T) {
	tests := []struct {
		name    string
		input   string
		want    []*Section
		wantAts []at
	}{
		{
			name:  "sections and entries",
			input: "[Unit]\nDescription=x\n\n[Service]\nExecStart=/bin/true\n",
			want: []*Section{
				{Name: "Unit", Line: 1, Entries: []Entry{{"Description", "x", 2}}},
				{Name: "Service", Line: 4, Entries: []Entry{{"ExecStart", "/bin/true", 5}}},
			},
		},
		{name: "blanks around = and key is before the first =", input: "[Service]\n  Environment =  A=1 B=2  \n\tUser\t=\troot\n",
			want: service(Entry{"Environment", "A=1 B=2", 2}, Entry{"User", "root", 3})},
		{name: "comments with # and ; and no inline comments", input: "# top\n; top\n[Service]\n   # indented\n\t; tab\nExecStart=/bin/x # y ; z\n",
			want: []*Section{{Name: "Service", Line: 3, Entries: []Entry{{"ExecStart", "/bin/x # y ; z", 6}}}}},
		{name: "continuation replaces the backslash with a space and skips comments", input: "[Service]\nExecStart=/bin/x \\\n# comment\n; comment\n  --a\\\n--b\nUser=u\n",
			want: service(Entry{"ExecStart", "/bin/x    --a --b", 2}, Entry{"User", "u", 7})},
		{name: "an even number of backslashes does not continue", input: "[Service]\nEnvironment=A=\\\\\nUser=u\n",
			want: service(Entry{"Environment", `A=\\`, 2}, Entry{"User", "u", 3})},
		{name: "an empty line ends a continuation", input: "[Service]\nExecStart=/bin/x \\\n\nUser=u\n",
			want: service(Entry{"ExecStart", "/bin/x", 2}, Entry{"User", "u", 4})},
		{name: "continuation at end of file", input: "[Service]\nExecStart=/bin/x \\",
			want: service(Entry{"ExecStart", "/bin/x", 2})},
		{name: "backslash followed by blanks", input: "[Service]\nExecStart=/bin/x \\  \n--a=1\n",
			want: service(Entry{"ExecStart", `/bin/x \`, 2}, Entry{"--a", "1", 3}), wantAts: []at{{2, Warning, CodeTrailingBackslash}}},
		{name: "empty assignment and repeated keys are kept in order", input: "[Service]\nEnvironment=A=1\nEnvironment=\nEnvironment=B=2\n",
			want: service(Entry{"Environment", "A=1", 2}, Entry{"Environment", "", 3}, Entry{"Environment", "B=2", 4})},
		{name: "key before any section", input: "Description=x\n[Unit]\nDescription=y\n",
			want: []*Section{{Name: "Unit", Line: 2, Entries: []Entry{{"Description", "y", 3}}}}, wantAts: []at{{1, Error, CodeNoSection}}},
		{name: "line without =", input: "[Service]\nExecStart=/bin/x\nRestart always\n",
			want: service(Entry{"ExecStart", "/bin/x", 2}), wantAts: []at{{3, Error, CodeSyntax}}},
		{name: "line number of a syntax error after continuation lines", input: "[Service]\nExecStart=/bin/x \\\n  --a \\\n  --b\n\nRestart always\n",
			want: service(Entry{"ExecStart", "/bin/x    --a    --b", 2}), wantAts: []at{{6, Error, CodeSyntax}}},
		{name: "missing key", input: "[Service]\n=value\n", want: service(), wantAts: []at{{2, Error, CodeSyntax}}},
		{
			name:    "malformed headers drop the entries under them",
			input:   "[Service\nUser=a\n[]\nUser=b\n[Service] # x\nUser=c\n[Install]\nWantedBy=x\n",
			want:    []*Section{{Name: "Install", Line: 7, Entries: []Entry{{"WantedBy", "x", 8}}}},
			wantAts: []at{{1, Error, CodeSyntax}, {3, Error, CodeSyntax}, {5, Error, CodeSyntax}},
		},
		{
			name:  "repeated section headers",
			input: "[Service]\nUser=a\n[Unit]\n[Service]\nGroup=b\n",
			want: []*Section{
				{Name: "Service", Line: 1, Entries: []Entry{{"User", "a", 2}}},
				{Name: "Unit", Line: 3},
				{Name: "Service", Line: 4, Entries: []Entry{{"Group", "b", 5}}},
			},
		},
		{name: "CRLF line endings", input: "[Service]\r\nExecStart=/bin/x \\\r\n  --a\r\nUser=u\r\n",
			want: service(Entry{"ExecStart", "/bin/x    --a", 2}, Entry{"User", "u", 4}), wantAts: []at{{1, Warning, CodeCRLF}}},
		{name: "lone CR ends a line", input: "[Service]\nUser=u\rGroup=g\n",
			want: service(Entry{"User", "u", 2}, Entry{"Group", "g", 3}), wantAts: []at{{2, Warning, CodeCRLF}}},
		{name: "UTF-8 byte order mark", input: "\uFEFF[Unit]\nDescription=été\n",
			want: []*Section{{Name: "Unit", Line: 1, Entries: []Entry{{"Description", "été", 2}}}}},
		{name: "no trailing newline", input: "[Unit]\nDescription=x",
			want: []*Section{{Name: "Unit", Line: 1, Entries: []Entry{{"Description", "x", 2}}}}},
		{name: "empty input", input: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u, ds := Parse("x.service", strings.NewReader(tt.input))
			require.NotNil(t, u)
			assert.Equal(t, "x.service", u.Path)
			assert.Equal(t, tt.want, u.Sections)
			want := tt.wantAts
			if want == nil {
				want = []at{}
			}
			assert.Equal(t, want, ats(ds), "diagnostics: %v", ds)
		})
	}
}

func TestParseMessages(t *testing.T) {
	_, ds := Parse("a.service", strings.NewReader("[Service]\nRestart always\n"))
	require.Len(t, ds, 1)
	assert.Equal(t, `a.service:2: error: expected Key=Value, found "Restart always"`, ds[0].String())

	_, ds = Parse("a.service", strings.NewReader("[Service\n"))
	require.Len(t, ds, 1)
	assert.Contains(t, ds[0].Message, "malformed section header")
}

func TestParseLongLine(t *testing.T) {
	long := "[Service]\nEnvironment=" + strings.Repeat("x", maxLine) + "\nUser=u\n"
	u, ds := Parse("a.service", strings.NewReader(long))
	assert.Equal(t, []at{{2, Error, CodeSyntax}}, ats(ds))
	assert.Equal(t, []Entry{{"User", "u", 3}}, u.Sections[0].Entries)
}

type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, assert.AnError }

func TestParseReadError(t *testing.T) {
	u, ds := Parse("a.service", failingReader{})
	require.NotNil(t, u)
	assert.Equal(t, []at{{0, Error, CodeRead}}, ats(ds))
}

func TestParseFile(t *testing.T) {
	u, ds, err := ParseFile("testdata/duplicate.service")
	require.NoError(t, err)
	assert.Empty(t, ds)
	assert.Equal(t, "testdata/duplicate.service", u.Path)

	_, _, err = ParseFile("testdata/does-not-exist.service")
	assert.Error(t, err)
	_, err = CheckFile("testdata/does-not-exist.service")
	assert.Error(t, err)
}

func TestLookups(t *testing.T) {
	u, _, err := ParseFile("testdata/duplicate.service")
	require.NoError(t, err)

	e, ok := u.Get("Unit", "Description")
	require.True(t, ok)
	assert.Equal(t, Entry{"Description", "Second", 3}, e, "the last assignment wins")

	assert.Equal(t, []Entry{{"Description", "First", 2}, {"Description", "Second", 3}}, u.All("Unit", "Description"))

	assert.Equal(t, []Entry{{"Environment", "A=1", 8}, {"Environment", "", 9}, {"Environment", "B=2", 10}, {"Environment", "C=3", 11}},
		u.All("Service", "Environment"))
	assert.Equal(t, []Entry{{"Environment", "B=2", 10}, {"Environment", "C=3", 11}}, u.Effective("Service", "Environment"),
		"an empty assignment resets the list")
	assert.Equal(t, []Entry{{"ExecStart", "/usr/sbin/test_daemon", 7}}, u.Effective("Service", "ExecStart"))

	_, ok = u.Get("Service", "User")
	assert.False(t, ok)
	_, ok = u.Get("Socket", "ListenStream")
	assert.False(t, ok)
	assert.Nil(t, u.Section("Socket"))
	require.NotNil(t, u.Section("Install"))
	assert.Equal(t, 13, u.Section("Install").Line)

	var nilUnit *Unit
	assert.Nil(t, nilUnit.Section("Unit"))
	assert.Nil(t, nilUnit.All("Unit", "Description"))
	assert.Nil(t, Lint(nilUnit, "service"))
}

func TestLookupAcrossRepeatedSections(t *testing.T) {
	u, _ := Parse("a.service", strings.NewReader("[Service]\nUser=a\n[Unit]\n[Service]\nUser=b\n"))
	e, ok := u.Get("Service", "User")
	require.True(t, ok)
	assert.Equal(t, "b", e.Value)
	assert.Len(t, u.All("Service", "User"), 2)
	assert.Equal(t, 1, u.Section("Service").Line, "Section returns the first one")
}

func TestKind(t *testing.T) {
	assert.Equal(t, "service", Kind("/etc/systemd/system/web@.service"))
	assert.Equal(t, "timer", Kind("backup.timer"))
	assert.Equal(t, "", Kind("Makefile"))
}

func TestDiagnosticString(t *testing.T) {
	d := Diagnostic{Path: "a.service", Line: 6, Severity: Warning, Code: CodeTypo, Message: "m"}
	assert.Equal(t, "a.service:6: warning: m", d.String())
	d.Line = 0
	assert.Equal(t, "a.service: warning: m", d.String())
	d.Path = ""
	assert.Equal(t, "warning: m", d.String())
	d.Line = 3
	assert.Equal(t, "3: warning: m", d.String())

	assert.False(t, HasErrors([]Diagnostic{d}))
	assert.True(t, HasErrors([]Diagnostic{d, {Severity: Error}}))
}
