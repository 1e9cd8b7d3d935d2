// Package coursetext reads course.md the way its tests need it: the fenced
// examples (unit files, xinetd files, shell commands), the anchors a link
// can point at, and every `daemonlab ...` command line, so that each
// example can be checked against the real tool that would run it.
//
// The convention course.md follows (also stated in a comment at its top):
//
//   - Every fenced block names its language: ini, xinetd, inetd, sh,
//     console, c, python or text. A fence without one is an error.
//   - ```ini unit=NAME.TYPE is a complete unit file. The tests install it as
//     /etc/systemd/system/NAME.TYPE in the systemd image and run
//     `systemd-analyze verify`, which must report nothing. Add the word
//     "broken" (```ini unit=NAME.TYPE broken) to a unit the text shows as a
//     bad example: verify must then report at least one problem, so the
//     lesson stays true.
//     A user unit (~/.config/systemd/user) adds scope=user and is verified
//     with systemd-analyze --user.
//   - ```xinetd file=NAME is one /etc/xinetd.d file; xinetd parses it and
//     must report no Bad/ERROR/WARNING line.
//   - ```inetd holds /etc/inetd.conf lines.
//   - ```sh holds shell commands or a script (checked with `sh -n`);
//     ```console is a session: lines starting with "$ " are commands, the
//     rest is output.
//   - Every `daemonlab ...` command, in an sh or console block or in an
//     inline code span, must parse against the real command tree. Words in
//     capitals (DIR, ID, ARGS) are placeholders.
package coursetext

import (
	"bufio"
	"bytes"
	"fmt"
	"regexp"
	"strings"
)

// Languages are the fence languages course.md may use.
var Languages = map[string]bool{
	"ini": true, "xinetd": true, "inetd": true, "sh": true, "console": true,
	"c": true, "python": true, "text": true,
}

// Block is one fenced code block.
type Block struct {
	Lang  string
	Attrs map[string]string // key=value words of the info string
	Flags map[string]bool   // bare words of the info string after the language
	Text  string
	Line  int // line of the opening fence, 1-based
}

// Has reports whether the info string carries the bare word flag.
func (b Block) Has(flag string) bool { return b.Flags[flag] }

// Blocks returns every fenced block (``` or ~~~ fences) in document order.
func Blocks(md []byte) []Block {
	var out []Block
	var cur *Block
	var body strings.Builder
	fence := ""
	sc := bufio.NewScanner(bytes.NewReader(md))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		trimmed := strings.TrimLeft(line, " ")
		if cur == nil {
			if f := fenceOf(trimmed); f != "" {
				fence = f
				cur = &Block{Line: n, Attrs: map[string]string{}, Flags: map[string]bool{}}
				words := strings.Fields(strings.TrimPrefix(trimmed, f))
				for i, w := range words {
					switch {
					case i == 0:
						cur.Lang = w
					case strings.Contains(w, "="):
						k, v, _ := strings.Cut(w, "=")
						cur.Attrs[k] = v
					default:
						cur.Flags[w] = true
					}
				}
				body.Reset()
			}
			continue
		}
		if strings.HasPrefix(trimmed, fence) && strings.TrimSpace(strings.TrimLeft(trimmed, fence[:1])) == "" {
			cur.Text = body.String()
			out = append(out, *cur)
			cur = nil
			continue
		}
		body.WriteString(line)
		body.WriteByte('\n')
	}
	return out
}

func fenceOf(s string) string {
	for _, c := range []string{"`", "~"} {
		if strings.HasPrefix(s, strings.Repeat(c, 3)) {
			n := len(s) - len(strings.TrimLeft(s, c))
			return strings.Repeat(c, n)
		}
	}
	return ""
}

// Prose returns md with every fenced block blanked out (lines kept, so
// line numbers stay right).
func Prose(md []byte) []string {
	lines := strings.Split(string(md), "\n")
	in := ""
	for i, l := range lines {
		t := strings.TrimLeft(l, " ")
		if in == "" {
			if f := fenceOf(t); f != "" {
				in = f
				lines[i] = ""
			}
			continue
		}
		if strings.HasPrefix(t, in) && strings.TrimSpace(strings.TrimLeft(t, in[:1])) == "" {
			in = ""
		}
		lines[i] = ""
	}
	return lines
}

var (
	explicitAnchor = regexp.MustCompile(`<a id="([^"]+)"></a>`)
	heading        = regexp.MustCompile(`^#{1,6}\s+(.+?)\s*#*\s*$`)
	slugDrop       = regexp.MustCompile(`[^\p{L}\p{N} _-]`)
)

// Anchors returns every anchor a link into md can use: explicit
// <a id="..."></a> tags and the GitHub-style slug of every heading.
func Anchors(md []byte) map[string]bool {
	out := map[string]bool{}
	seen := map[string]int{}
	for _, line := range Prose(md) {
		for _, m := range explicitAnchor.FindAllStringSubmatch(line, -1) {
			out[m[1]] = true
		}
		if m := heading.FindStringSubmatch(line); m != nil {
			s := Slug(m[1])
			if k := seen[s]; k > 0 {
				out[fmt.Sprintf("%s-%d", s, k)] = true
			} else {
				out[s] = true
			}
			seen[s]++
		}
	}
	return out
}

// Slug is GitHub's heading anchor: lower case, markup and punctuation
// dropped (except - and _), spaces turned into hyphens.
func Slug(h string) string {
	h = strings.ToLower(h)
	h = regexp.MustCompile(`<[^>]*>`).ReplaceAllString(h, "")
	h = slugDrop.ReplaceAllString(h, "")
	return strings.ReplaceAll(h, " ", "-")
}

// Command is one `daemonlab ...` command line found in the text.
type Command struct {
	Line int
	Text string   // as written, after the prompt
	Args []string // split like a shell would, without the leading "daemonlab"
	// Inline is set for an inline code span. One that consists of a
	// command path only ("daemonlab grade" in a sentence) names the command
	// rather than running it (see CheckName).
	Inline bool
}

var inlineCode = regexp.MustCompile("`([^`\n]+)`")

// DaemonlabCommands returns every daemonlab command line: in sh and console
// blocks (console: only "$ " lines) and in inline code spans of the prose.
func DaemonlabCommands(md []byte) ([]Command, error) {
	var out []Command
	add := func(line int, s string, inline bool) error {
		argv, err := Split(s)
		if err != nil {
			return fmt.Errorf("course.md:%d: %q: %w", line, s, err)
		}
		for len(argv) > 0 && (argv[0] == "sudo" || argv[0] == "$") {
			argv = argv[1:]
		}
		if len(argv) == 0 || (argv[0] != "daemonlab" && !strings.HasSuffix(argv[0], "/daemonlab")) {
			return nil
		}
		out = append(out, Command{Line: line, Text: s, Args: argv[1:], Inline: inline})
		return nil
	}
	for _, b := range Blocks(md) {
		for i, l := range strings.Split(b.Text, "\n") {
			switch b.Lang {
			case "sh":
			case "console":
				var ok bool
				if l, ok = strings.CutPrefix(l, "$ "); !ok {
					continue
				}
			default:
				continue
			}
			if err := add(b.Line+1+i, l, false); err != nil {
				return nil, err
			}
		}
	}
	for i, l := range Prose(md) {
		for _, m := range inlineCode.FindAllStringSubmatch(l, -1) {
			if strings.HasPrefix(m[1], "daemonlab ") {
				if err := add(i+1, m[1], true); err != nil {
					return nil, err
				}
			}
		}
	}
	return out, nil
}

// Split splits a command line into words the way sh would for the simple
// lines course.md shows: single and double quotes, backslash escapes, and
// a comment from an unquoted "#" at the start of a word to the end.
// Pipes, redirections and substitutions are not interpreted.
func Split(s string) ([]string, error) {
	var out []string
	var w strings.Builder
	inWord := false
	quote := byte(0)
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quote == '\'':
			if c == '\'' {
				quote = 0
			} else {
				w.WriteByte(c)
			}
		case quote == '"':
			switch {
			case c == '"':
				quote = 0
			case c == '\\' && i+1 < len(s):
				i++
				w.WriteByte(s[i])
			default:
				w.WriteByte(c)
			}
		case c == '\'' || c == '"':
			quote, inWord = c, true
		case c == '\\' && i+1 < len(s):
			i++
			w.WriteByte(s[i])
			inWord = true
		case c == ' ' || c == '\t':
			if inWord {
				out = append(out, w.String())
				w.Reset()
				inWord = false
			}
		case c == '#' && !inWord:
			i = len(s)
		default:
			w.WriteByte(c)
			inWord = true
		}
	}
	if quote != 0 {
		return nil, fmt.Errorf("unterminated quote")
	}
	if inWord {
		out = append(out, w.String())
	}
	return out, nil
}
