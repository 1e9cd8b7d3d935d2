// Package cmdutil holds what every daemonlab command shares: the
// documented exit codes and the error type that carries them.
//
// The exit-code policy lives here and only here:
//   - a command's RunE returns nil, an *ExitError (built with one of the
//     constructors below) or a plain error;
//   - a plain error returned by a command's own code is a failure of the
//     run (1); a plain error raised by cobra before the command ran
//     (unknown command or flag, bad flag value, wrong arguments) is a usage
//     error (2) — Execute tells the two apart, Code applies the same rule;
//   - an interrupted run (Ctrl-C, SIGTERM) exits 130;
//   - a panic is an internal error (70), never an infrastructure problem;
//   - the message printed on stderr is always one line.
package cmdutil

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// Exit codes, documented in the README and stable for CI scripts.
const (
	ExitOK          = 0   // every required check passed
	ExitFailed      = 1   // a required check failed
	ExitBadInput    = 2   // usage error or bad input: unknown pid, unreadable lab file
	ExitUngradable  = 3   // the submission could not be graded: build failed, timeout
	ExitInfra       = 4   // infrastructure problem: no Docker engine
	ExitIncomplete  = 5   // no required check failed, but some could not be read (unknown)
	ExitInternal    = 70  // a bug in daemonlab (a panic); EX_SOFTWARE of sysexits.h
	ExitInterrupted = 130 // interrupted by Ctrl-C or SIGTERM (128 + SIGINT)
)

// ExitCodes lists every documented code with its meaning, in order; the
// README table and the command help are checked against it.
var ExitCodes = []struct {
	Code    int
	Meaning string
}{
	{ExitOK, "every required check passed"},
	{ExitFailed, "a required check failed"},
	{ExitBadInput, "usage error or bad input"},
	{ExitUngradable, "the submission could not be graded"},
	{ExitInfra, "infrastructure problem"},
	{ExitIncomplete, "incomplete"},
	{ExitInternal, "internal error"},
	{ExitInterrupted, "interrupted"},
}

// ExitCodeHelp is the exit-code table for a command's help text.
func ExitCodeHelp() string {
	var b strings.Builder
	b.WriteString("Exit codes:\n")
	for _, c := range ExitCodes {
		fmt.Fprintf(&b, "  %3d  %s\n", c.Code, exitHelp[c.Code])
	}
	return strings.TrimRight(b.String(), "\n")
}

var exitHelp = map[int]string{
	ExitOK:          "every required check passed",
	ExitFailed:      "a required check failed, or the run failed",
	ExitBadInput:    "usage error or bad input (unknown flag value, pid, name or pid file)",
	ExitUngradable:  "the submission could not be graded (build failed, timeout)",
	ExitInfra:       "infrastructure problem (no Docker engine)",
	ExitIncomplete:  "incomplete: no required check failed, but some could not be read (unknown)",
	ExitInternal:    "internal error (a bug in daemonlab)",
	ExitInterrupted: "interrupted (Ctrl-C): checks that did not run are marked \"not run\"",
}

// ExitError carries an exit code and, unless silent, a one-line message.
type ExitError struct {
	Code int
	Err  error
}

func (e *ExitError) Error() string {
	if e.Err == nil {
		return fmt.Sprintf("exit status %d", e.Code)
	}
	return e.Err.Error()
}

func (e *ExitError) Unwrap() error { return e.Err }

// BadInput wraps a message as exit code 2 (usage error or bad input).
func BadInput(format string, args ...any) error {
	return &ExitError{Code: ExitBadInput, Err: fmt.Errorf(format, args...)}
}

// Usage is BadInput: a flag value or argument that makes no sense.
func Usage(format string, args ...any) error { return BadInput(format, args...) }

// Infra wraps an infrastructure error as exit code 4.
func Infra(err error) error { return &ExitError{Code: ExitInfra, Err: err} }

// Ungradable wraps a submission error as exit code 3.
func Ungradable(err error) error { return &ExitError{Code: ExitUngradable, Err: err} }

// ErrChecksFailed ends a run whose report was written but failed; it has
// no message of its own.
var ErrChecksFailed = &ExitError{Code: ExitFailed}

// ErrIncomplete ends a run whose report was written, in which no required
// check failed but some could not be read: the verdict is not OK.
var ErrIncomplete = &ExitError{Code: ExitIncomplete}

// ErrInterrupted ends a run stopped by Ctrl-C or SIGTERM whose (partial)
// report was written.
var ErrInterrupted = &ExitError{Code: ExitInterrupted}

// Code extracts the exit code an error stands for: its own code, 130 for
// an interruption, else 1 (the run failed).
func Code(err error) int {
	if err == nil {
		return ExitOK
	}
	var e *ExitError
	if errors.As(err, &e) {
		return e.Code
	}
	if errors.Is(err, context.Canceled) {
		return ExitInterrupted
	}
	return ExitFailed
}

// OneLine flattens a message to one line: multi-line errors (errors.Join,
// listings) become "; "-separated.
func OneLine(msg string) string {
	lines := strings.Split(strings.TrimSpace(msg), "\n")
	out := lines[:0]
	for _, l := range lines {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return strings.Join(out, "; ")
}
