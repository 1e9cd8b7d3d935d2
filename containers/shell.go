package containers

import (
	"context"
	"errors"
	"io"
	"time"

	"github.com/moby/moby/client"
)

// TermSize is a terminal's size in characters.
type TermSize struct{ Height, Width uint }

// Shell runs cmd in the container on a pseudo-terminal of its own (an
// interactive `docker exec -it`), with in and out attached, until cmd
// exits or ctx ends, and returns its exit code. Every value received on
// resize is passed on as the terminal's new size. Unlike Exec it has no
// deadline and no output cap: the user is at the other end.
func (c *Container) Shell(ctx context.Context, cmd []string, env []string, dir string, in io.Reader, out io.Writer, size TermSize, resize <-chan TermSize) (int, error) {
	cli, err := dockerClient()
	if err != nil {
		return -1, err
	}
	cs := client.ConsoleSize{Height: size.Height, Width: size.Width}
	created, err := cli.ExecCreate(ctx, c.id, client.ExecCreateOptions{
		Cmd: cmd, TTY: true, AttachStdin: true, AttachStdout: true, AttachStderr: true,
		Env: append([]string{SafePath}, env...), WorkingDir: dir, ConsoleSize: cs,
	})
	if err != nil {
		return -1, err
	}
	att, err := cli.ExecAttach(ctx, created.ID, client.ExecAttachOptions{TTY: true, ConsoleSize: cs})
	if err != nil {
		return -1, err
	}
	defer att.Close()
	go func() {
		_, _ = io.Copy(att.Conn, in)
		_ = att.CloseWrite() // the terminal is gone: the shell reads end-of-file
	}()
	go func() {
		for s := range resize {
			_, _ = cli.ExecResize(ctx, created.ID, client.ExecResizeOptions{Height: s.Height, Width: s.Width})
		}
	}()
	done := make(chan error, 1)
	go func() {
		_, err := io.Copy(out, att.Reader)
		done <- err
	}()
	select {
	case err = <-done:
	case <-ctx.Done():
		return -1, ctx.Err()
	case <-c.termDone:
		return -1, errors.New("the container was terminated")
	}
	for i := 0; i < 100; i++ {
		ins, ierr := cli.ExecInspect(context.WithoutCancel(ctx), created.ID, client.ExecInspectOptions{})
		if ierr != nil {
			return -1, ierr
		}
		if !ins.Running {
			return ins.ExitCode, err
		}
		time.Sleep(10 * time.Millisecond)
	}
	return -1, err
}
