// Package cmdutil holds what every daemonlab command shares: the
// documented exit codes and the error type that carries them.
package cmdutil

import (
	"errors"
	"fmt"
)

// Exit codes, documented in the README and stable for CI scripts.
const (
	ExitOK         = 0 // every required check passed
	ExitFailed     = 1 // a required check failed
	ExitBadInput   = 2 // usage error or bad input: unknown pid, unreadable lab file
	ExitUngradable = 3 // the submission could not be graded: build failed, timeout
	ExitInfra      = 4 // infrastructure problem: no Docker engine
)

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

// BadInput wraps a message as exit code 2.
func BadInput(format string, args ...any) error {
	return &ExitError{Code: ExitBadInput, Err: fmt.Errorf(format, args...)}
}

// Infra wraps an infrastructure error as exit code 4.
func Infra(err error) error { return &ExitError{Code: ExitInfra, Err: err} }

// Ungradable wraps a submission error as exit code 3.
func Ungradable(err error) error { return &ExitError{Code: ExitUngradable, Err: err} }

// ErrChecksFailed ends a run whose report was written but failed; it has
// no message of its own.
var ErrChecksFailed = &ExitError{Code: ExitFailed}

// Code extracts the exit code an error stands for.
func Code(err error) int {
	if err == nil {
		return ExitOK
	}
	var e *ExitError
	if errors.As(err, &e) {
		return e.Code
	}
	return ExitFailed
}
