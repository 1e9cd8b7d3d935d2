// Package companioncmd hands the container commands (grade, image) over to
// the daemonlab-grade binary. The container stack (testcontainers-go and
// the Docker client) scans every process in its package initialisation;
// keeping it out of the daemonlab binary keeps `daemonlab check` as fast
// as ps, and keeps the checker copied into containers small.
package companioncmd

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"

	"github.com/daemonlab/daemonlab/internal/cmdutil"
	"github.com/spf13/cobra"
)

// Binary is the companion's file name.
const Binary = "daemonlab-grade"

// Locate finds the companion next to the running executable, then on PATH.
func Locate() (string, error) {
	if self, err := os.Executable(); err == nil {
		p := filepath.Join(filepath.Dir(self), Binary)
		if st, err := os.Stat(p); err == nil && !st.IsDir() {
			return p, nil
		}
	}
	if p, err := exec.LookPath(Binary); err == nil {
		return p, nil
	}
	return "", fmt.Errorf("%s not found next to daemonlab or on PATH (make build installs both)", Binary)
}

// NewCmdStub returns a command that replaces the process with the
// companion running the same command line.
func NewCmdStub(name, short string) *cobra.Command {
	return NewCmdStubArgs(name, short, name)
}

// NewCmdStubArgs is NewCmdStub for a nested command: it runs the companion
// with argv (e.g. "labs", "validate") followed by the arguments.
func NewCmdStubArgs(use, short string, argv ...string) *cobra.Command {
	return &cobra.Command{
		Use:                use,
		Short:              short,
		DisableFlagParsing: true,
		RunE: func(_ *cobra.Command, args []string) error {
			bin, err := Locate()
			if err != nil {
				return cmdutil.Infra(err)
			}
			full := append(append([]string{bin}, argv...), args...)
			err = syscall.Exec(bin, full, os.Environ())
			return cmdutil.Infra(errors.Join(errors.New("running "+bin), err))
		},
	}
}
