// Package iostreams carries the standard streams of a command so tests can
// swap them, and decides whether output may be coloured.
package iostreams

import (
	"bytes"
	"fmt"
	"io"
	"os"

	"golang.org/x/sys/unix"
)

// IOStreams are the streams a command reads and writes.
type IOStreams struct {
	In     io.Reader
	Out    io.Writer
	ErrOut io.Writer

	stdoutTTY bool
	noColor   bool
	dumbTerm  bool
	colorMode string // auto (""), always or never: --color
}

// System returns the process's real streams.
func System() *IOStreams {
	return &IOStreams{
		In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr,
		stdoutTTY: isTerminal(os.Stdout),
		// NO_COLOR counts only when non-empty (no-color.org); a dumb
		// terminal gets no escape sequences.
		noColor:  os.Getenv("NO_COLOR") != "",
		dumbTerm: os.Getenv("TERM") == "dumb",
	}
}

// Test returns streams backed by buffers: stdin, stdout, stderr.
func Test() (*IOStreams, *bytes.Buffer, *bytes.Buffer, *bytes.Buffer) {
	in, out, errOut := &bytes.Buffer{}, &bytes.Buffer{}, &bytes.Buffer{}
	return &IOStreams{In: in, Out: out, ErrOut: errOut}, in, out, errOut
}

// SetStdoutTTY pretends stdout is (or is not) a terminal.
func (s *IOStreams) SetStdoutTTY(v bool) { s.stdoutTTY = v }

// IsStdoutTTY reports whether stdout is a terminal.
func (s *IOStreams) IsStdoutTTY() bool { return s.stdoutTTY }

// ColorModes are the values of --color.
var ColorModes = []string{"auto", "always", "never"}

// SetColorMode applies --color: always, never, or auto (the default).
func (s *IOStreams) SetColorMode(mode string) error {
	switch mode {
	case "auto", "always", "never":
		s.colorMode = mode
		return nil
	}
	return fmt.Errorf("--color %q: want auto, always or never", mode)
}

// SetEnv sets what System reads from the environment (for tests): NO_COLOR
// and TERM.
func (s *IOStreams) SetEnv(noColor, term string) {
	s.noColor, s.dumbTerm = noColor != "", term == "dumb"
}

// ColorEnabled says whether stdout may be coloured: --color always or
// never decides; auto (the default) colours a terminal unless NO_COLOR is
// set to a non-empty value or TERM is dumb.
func (s *IOStreams) ColorEnabled() bool {
	switch s.colorMode {
	case "always":
		return true
	case "never":
		return false
	}
	return s.stdoutTTY && !s.noColor && !s.dumbTerm
}

func isTerminal(f *os.File) bool {
	_, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	return err == nil
}
