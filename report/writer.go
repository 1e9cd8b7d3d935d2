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

// Options tune the human formats.
type Options struct {
	Color bool // ANSI colour; only on a terminal and without NO_COLOR
}

var writers = map[string]func(Options) Writer{}

// register adds a format; each format file registers itself.
func register(name string, f func(Options) Writer) { writers[name] = f }

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
