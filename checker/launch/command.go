package launch

import (
	"context"
	"errors"
	"os"
	"os/exec"
)

// Command runs argv to completion and returns how it ended. Once launch
// mode has made this process a subreaper, its reaper collects every child,
// so os/exec could not wait for its own; Command then waits through the
// reaper instead.
func Command(ctx context.Context, argv ...string) (Exit, error) {
	r := theReaper
	if r == nil {
		err := exec.CommandContext(ctx, argv[0], argv[1:]...).Run()
		var ee *exec.ExitError
		switch {
		case err == nil:
			return Exit{}, nil
		case errors.As(err, &ee):
			return Exit{Code: ee.ExitCode()}, nil
		}
		return Exit{}, err
	}
	path, err := exec.LookPath(argv[0])
	if err != nil {
		return Exit{}, err
	}
	devnull, err := os.Open(os.DevNull)
	if err != nil {
		return Exit{}, err
	}
	defer devnull.Close()
	p, err := os.StartProcess(path, argv, &os.ProcAttr{Files: []*os.File{devnull, devnull, devnull}})
	if err != nil {
		return Exit{}, err
	}
	for {
		e, ok, changed := r.exit(p.Pid)
		if ok {
			return e, nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			_ = p.Kill()
			return Exit{}, ctx.Err()
		}
	}
}
