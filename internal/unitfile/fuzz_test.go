package unitfile

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// countLines counts physical lines the way systemd's read_line() does: "\n",
// "\r\n" and a lone "\r" each end a line, and a last line without an ending
// still counts.
func countLines(data []byte) int {
	n := 0
	for i := 0; i < len(data); i++ {
		switch data[i] {
		case '\n':
			n++
		case '\r':
			n++
			if i+1 < len(data) && data[i+1] == '\n' {
				i++
			}
		}
	}
	if len(data) > 0 && data[len(data)-1] != '\n' && data[len(data)-1] != '\r' {
		n++
	}
	return n
}

func FuzzParse(f *testing.F) {
	files, err := filepath.Glob("testdata/*.*")
	if err != nil {
		f.Fatal(err)
	}
	for _, name := range files {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	for _, s := range []string{
		"", "\n", "[", "[]", "[Service", "=", "\\", "\\\\\n", "a\\\n# c\nb", "\r", "\r\r\n\n",
		"\uFEFF[Unit]\r\nDescription=x\r\n", "Key=before\n[Unit]\n", "[Service]\nExecStart=\n",
		"[Service]\nType=forking\nExecStart=x \\\n", "[X-A]\nb=c", "[Timer]\nOnClockChange=yes",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		u, ds := Parse("f.service", bytes.NewReader(data))
		if u == nil {
			t.Fatal("Parse returned a nil unit")
		}
		lines := countLines(bytes.TrimPrefix(data, utf8BOM))
		for _, kind := range []string{"service", "socket", "timer", ""} {
			ds = append(ds, Lint(u, kind)...)
		}
		for _, d := range ds {
			if d.Line < 0 || d.Line > lines {
				t.Fatalf("diagnostic line %d outside [0, %d]: %v", d.Line, lines, d)
			}
			if d.Severity != Error && d.Severity != Warning {
				t.Fatalf("bad severity %q", d.Severity)
			}
			if d.Code == "" || d.Message == "" {
				t.Fatalf("diagnostic without code or message: %#v", d)
			}
		}
		for _, s := range u.Sections {
			if s.Name == "" || s.Line < 1 || s.Line > lines {
				t.Fatalf("bad section %+v (lines %d)", s, lines)
			}
			for _, e := range s.Entries {
				if e.Key == "" || strings.Contains(e.Key, "=") || e.Line < s.Line || e.Line > lines {
					t.Fatalf("bad entry %+v in [%s] (lines %d)", e, s.Name, lines)
				}
				if e.Key != strings.Trim(e.Key, blanks) || e.Value != strings.Trim(e.Value, blanks) {
					t.Fatalf("entry not trimmed: %+v", e)
				}
			}
		}
	})
}
