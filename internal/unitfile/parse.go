package unitfile

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// blanks is systemd's WHITESPACE set, used to trim keys, values and lines.
const blanks = " \t\n\r"

// maxLine is systemd's LONG_LINE_MAX: longer (continued) lines are refused.
const maxLine = 1 << 20

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// Unit is a parsed unit file: its sections in file order. A section name that
// appears twice gives two Sections; the lookup methods see them as one, as
// systemd does.
type Unit struct {
	Path     string
	Sections []*Section
}

// Section is one "[Name]" block. Line is the line of its header.
type Section struct {
	Name    string
	Line    int
	Entries []Entry
}

// Entry is one "Key=Value" assignment. Line is the physical line where it
// starts. An empty assignment ("Key=") has an empty Value.
type Entry struct {
	Key   string
	Value string
	Line  int
}

// Section returns the first section called name, or nil.
func (u *Unit) Section(name string) *Section {
	if u == nil {
		return nil
	}
	for _, s := range u.Sections {
		if s.Name == name {
			return s
		}
	}
	return nil
}

// All returns every assignment of key in the sections called section, in file
// order, including empty assignments.
func (u *Unit) All(section, key string) []Entry {
	if u == nil {
		return nil
	}
	var out []Entry
	for _, s := range u.Sections {
		if s.Name != section {
			continue
		}
		for _, e := range s.Entries {
			if e.Key == key {
				out = append(out, e)
			}
		}
	}
	return out
}

// Get returns the last assignment of key in section: for single-valued
// settings the last assignment wins.
func (u *Unit) Get(section, key string) (Entry, bool) {
	all := u.All(section, key)
	if len(all) == 0 {
		return Entry{}, false
	}
	return all[len(all)-1], true
}

// Effective returns the assignments of a list-valued key that are in force:
// those after the last empty assignment (which resets the list), without
// empty ones.
func (u *Unit) Effective(section, key string) []Entry {
	var out []Entry
	for _, e := range u.All(section, key) {
		if e.Value == "" {
			out = out[:0]
			continue
		}
		out = append(out, e)
	}
	return out
}

// ParseFile reads and parses the unit file at path. The error is only for a
// file that cannot be opened; problems in its content are diagnostics.
func ParseFile(path string) (*Unit, []Diagnostic, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	u, ds := Parse(path, f)
	return u, ds, nil
}

// Kind returns the unit type of a unit file name: the suffix after the last
// dot ("service" for "web@.service"), or "" when there is none.
func Kind(path string) string {
	ext := filepath.Ext(path)
	if ext == "" {
		return ""
	}
	return ext[1:]
}

// CheckFile parses the unit file at path and lints it as the unit type given
// by its suffix, returning all diagnostics sorted by line.
func CheckFile(path string) ([]Diagnostic, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return Check(path, data), nil
}

// Check parses and lints the unit file content data, named name (its
// suffix gives the unit type), returning all diagnostics sorted by line.
// The grader lints the bytes it read safely, never a path.
func Check(name string, data []byte) []Diagnostic {
	u, ds := Parse(name, bytes.NewReader(data))
	ds = append(ds, Lint(u, Kind(name))...)
	SortDiagnostics(ds)
	return ds
}

// physLine is one line of the file without its line ending.
type physLine struct {
	text string
	num  int
}

// splitLines splits data at "\n", "\r\n" and lone "\r", like systemd's
// read_line(). It returns the line number of the first CR line ending (0 if
// none).
func splitLines(data []byte) (lines []physLine, firstCR int) {
	num := 0
	for len(data) > 0 {
		num++
		i := bytes.IndexAny(data, "\r\n")
		if i < 0 {
			lines = append(lines, physLine{string(data), num})
			break
		}
		lines = append(lines, physLine{string(data[:i]), num})
		n := 1
		if data[i] == '\r' {
			if firstCR == 0 {
				firstCR = num
			}
			if i+1 < len(data) && data[i+1] == '\n' {
				n = 2
			}
		}
		data = data[i+n:]
	}
	return lines, firstCR
}

type parser struct {
	diagnostics
	unit     *Unit
	cur      *Section
	skipping bool // after a malformed header: drop entries until the next good one
}

// Parse parses a unit file read from r; path is only used in diagnostics.
// It never fails: the returned Unit holds everything that could be parsed.
func Parse(path string, r io.Reader) (*Unit, []Diagnostic) {
	p := &parser{diagnostics: diagnostics{path: path}, unit: &Unit{Path: path}}
	data, err := io.ReadAll(r)
	if err != nil {
		p.report(0, Error, CodeRead, "cannot read unit file: %v", err)
	}
	data = bytes.TrimPrefix(data, utf8BOM)
	lines, firstCR := splitLines(data)
	if firstCR > 0 {
		p.report(firstCR, Warning, CodeCRLF,
			"file has Windows (CR LF) or CR line endings; systemd accepts them but other tools do not, convert it with dos2unix")
	}

	var (
		cont      []byte // the continued line so far
		inCont    bool
		contStart int
		tooLong   bool
	)
	for _, ln := range lines {
		// Comment lines are skipped first, even inside a continuation.
		if isComment(ln.text) {
			continue
		}
		start := ln.num
		if inCont {
			start = contStart
		}
		if !tooLong && len(cont)+len(ln.text) > maxLine {
			p.report(start, Error, CodeSyntax, "line too long (systemd refuses lines over 1 MiB)")
			tooLong = true
		}
		if !tooLong {
			cont = append(cont, ln.text...)
		}
		if endsInEscape(ln.text) {
			if !inCont {
				contStart = ln.num
				inCont = true
			}
			if !tooLong {
				// Replace the final backslash with a space.
				cont[len(cont)-1] = ' '
			}
			continue
		}
		if t := strings.TrimRight(ln.text, blanks); t != ln.text && endsInEscape(t) {
			p.report(ln.num, Warning, CodeTrailingBackslash,
				"backslash followed by blanks does not continue the line; remove the blanks after it")
		}
		if !tooLong {
			p.logicalLine(string(cont), start)
		}
		inCont, tooLong = false, false
		cont = cont[:0]
	}
	if inCont && !tooLong {
		p.logicalLine(string(cont), contStart)
	}
	return p.unit, p.list
}

func isComment(s string) bool {
	t := strings.TrimLeft(s, blanks)
	return t != "" && (t[0] == '#' || t[0] == ';')
}

// endsInEscape reports whether s ends in an odd number of backslashes.
func endsInEscape(s string) bool {
	n := 0
	for i := len(s) - 1; i >= 0 && s[i] == '\\'; i-- {
		n++
	}
	return n%2 == 1
}

// quote shortens s for a message.
func quote(s string) string {
	const max = 60
	if len(s) > max {
		return fmt.Sprintf("%q...", s[:max])
	}
	return fmt.Sprintf("%q", s)
}

func (p *parser) logicalLine(text string, line int) {
	l := strings.Trim(text, blanks)
	if l == "" || l[0] == '#' || l[0] == ';' {
		return
	}
	if l[0] == '[' {
		if len(l) < 2 || l[len(l)-1] != ']' {
			p.report(line, Error, CodeSyntax, "malformed section header %s: expected [Name] alone on the line", quote(l))
			p.cur, p.skipping = nil, true
			return
		}
		name := l[1 : len(l)-1]
		if strings.Trim(name, blanks) == "" {
			p.report(line, Error, CodeSyntax, "empty section name %s", quote(l))
			p.cur, p.skipping = nil, true
			return
		}
		p.cur = &Section{Name: name, Line: line}
		p.skipping = false
		p.unit.Sections = append(p.unit.Sections, p.cur)
		return
	}
	eq := strings.IndexByte(l, '=')
	if eq < 0 {
		p.report(line, Error, CodeSyntax, "expected Key=Value, found %s", quote(l))
		return
	}
	key := strings.Trim(l[:eq], blanks)
	value := strings.Trim(l[eq+1:], blanks)
	if key == "" {
		p.report(line, Error, CodeSyntax, "missing key before '=' in %s", quote(l))
		return
	}
	if p.cur == nil {
		if !p.skipping {
			p.report(line, Error, CodeNoSection, "%s= appears before any section header; put it under [Unit], [Service] or [Install]", key)
		}
		return
	}
	p.cur.Entries = append(p.cur.Entries, Entry{Key: key, Value: value, Line: line})
}
