package containers

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/daemonlab/daemonlab/internal/capture"
	"github.com/moby/moby/api/pkg/stdcopy"
	"github.com/moby/moby/client"
)

const (
	// DefaultMaxOutput caps the captured output of one Exec.
	DefaultMaxOutput = 64 << 10
	// DefaultExecTimeout applies when neither ctx nor WithTimeout set a deadline.
	DefaultExecTimeout = 60 * time.Second
	// killAfter is the grace between SIGTERM and SIGKILL of a timed-out command.
	killAfter = 1 * time.Second
)

// ErrExecTimeout is wrapped by the error Exec returns when the deadline passed.
var ErrExecTimeout = errors.New("timed out")

// ExecResult is the outcome of one command.
type ExecResult struct {
	ExitCode int
	// Output is stdout and stderr interleaved as they arrived, capped (see
	// WithMaxOutput); a cut is marked "[... truncated N bytes]".
	Output string
	// Truncated is the number of bytes dropped by the cap.
	Truncated int64
	Duration  time.Duration
}

type execConfig struct {
	maxOutput int
	timeout   time.Duration
	user      string
	workdir   string
	env       []string
	stdin     io.Reader
	stdout    io.Writer
	wrapper   string // the timeout(1) the command runs under
}

// SafePath is the PATH of every command the grader runs in a container:
// image directories only, which the read-only root file system keeps as
// the image built them. /usr/local/bin, where a submission is installed
// and may drop programs of its own, is deliberately absent.
const SafePath = "PATH=/usr/sbin:/usr/bin:/sbin:/bin"

const (
	// timeoutBin is coreutils timeout, called by absolute path.
	timeoutBin = "/usr/bin/timeout"
	// sealedTimeoutBin is the image's setgid copy of it (image/customize.sh).
	sealedTimeoutBin = "/usr/lib/daemonlab/timeout"
)

// ExecOption tunes one Exec.
type ExecOption func(*execConfig)

// WithMaxOutput caps the captured output at n bytes (default 64 KiB).
func WithMaxOutput(n int) ExecOption { return func(c *execConfig) { c.maxOutput = n } }

// WithTimeout sets a deadline of d from now (the earlier of it and ctx's wins).
func WithTimeout(d time.Duration) ExecOption { return func(c *execConfig) { c.timeout = d } }

// WithUser runs the command as user (name or uid[:gid]).
func WithUser(user string) ExecOption { return func(c *execConfig) { c.user = user } }

// WithWorkingDir runs the command in dir.
func WithWorkingDir(dir string) ExecOption { return func(c *execConfig) { c.workdir = dir } }

// WithStdin streams r to the command's standard input (then closes it).
func WithStdin(r io.Reader) ExecOption { return func(c *execConfig) { c.stdin = r } }

// WithStdout streams the command's standard output to w instead of
// capturing it; Output then holds standard error only.
func WithStdout(w io.Writer) ExecOption { return func(c *execConfig) { c.stdout = w } }

// WithNonDumpable runs the command under the image's setgid copy of
// timeout: an exec that leaves the effective gid unlike the real one is
// non-dumpable from its first instruction, so neither timeout nor the
// command can have its descriptors or memory opened by any process of the
// container, root included (no CAP_SYS_PTRACE), while they run. For the
// grader's own readers only: the command starts with the effective group
// systemd-journal and in secure mode (AT_SECURE); the checker and the
// probe drop that group first. Nothing changes for a command run as a
// user whose group is systemd-journal.
func WithNonDumpable() ExecOption { return func(c *execConfig) { c.wrapper = sealedTimeoutBin } }

// WithEnv adds KEY=VALUE entries to the command's environment.
func WithEnv(env ...string) ExecOption {
	return func(c *execConfig) { c.env = append(c.env, env...) }
}

// Exec runs cmd in the container and returns its exit code and capped output.
//
// The deadline is ctx's (or WithTimeout's, or DefaultExecTimeout). The command
// runs under coreutils `timeout --kill-after=1 SECONDS` inside the container,
// so at the deadline it (and its process group) get SIGTERM, one second later
// SIGKILL: a timed-out command does not keep running. Exec then returns the
// partial result and an error wrapping ErrExecTimeout. Processes that left the
// process group (setsid daemons) are reclaimed by Terminate.
//
// Cancelling ctx (as opposed to its deadline passing) returns at once with
// ctx's error.
func (c *Container) Exec(ctx context.Context, cmd []string, opts ...ExecOption) (ExecResult, error) {
	cfg := execConfig{maxOutput: DefaultMaxOutput, wrapper: timeoutBin}
	for _, o := range opts {
		o(&cfg)
	}
	if len(cmd) == 0 {
		return ExecResult{}, errors.New("exec: empty command")
	}
	start := time.Now()
	deadline, ok := ctx.Deadline()
	if !ok {
		deadline = start.Add(DefaultExecTimeout)
	}
	if cfg.timeout > 0 && start.Add(cfg.timeout).Before(deadline) {
		deadline = start.Add(cfg.timeout)
	}
	remaining := time.Until(deadline)
	if remaining <= 0 {
		return ExecResult{ExitCode: -1}, fmt.Errorf("exec %q: %w before it started", cmd, ErrExecTimeout)
	}
	select {
	case <-c.termDone:
		return ExecResult{ExitCode: -1}, fmt.Errorf("exec %q: container %.12s is terminated", cmd, c.id)
	default:
	}

	wrapped := append([]string{
		cfg.wrapper, "--kill-after=" + strconv.Itoa(int(killAfter/time.Second)),
		strconv.FormatFloat(remaining.Seconds(), 'f', 3, 64),
	}, cmd...)

	// The API calls get the in-container kill grace on top of the deadline, so
	// that `timeout` reports; a plain cancellation of ctx still stops them.
	opCtx, cancel := context.WithDeadline(context.WithoutCancel(ctx), deadline.Add(killAfter+1500*time.Millisecond))
	defer cancel()
	stop := context.AfterFunc(ctx, func() {
		if errors.Is(ctx.Err(), context.Canceled) {
			cancel()
		}
	})
	defer stop()

	cli, err := dockerClient()
	if err != nil {
		return ExecResult{ExitCode: -1}, err
	}
	created, err := cli.ExecCreate(opCtx, c.id, client.ExecCreateOptions{
		Cmd: wrapped, AttachStdout: true, AttachStderr: true, AttachStdin: cfg.stdin != nil,
		User: cfg.user, WorkingDir: cfg.workdir, Env: append([]string{SafePath}, cfg.env...),
	})
	if err != nil {
		return ExecResult{ExitCode: -1}, c.execErr(ctx, cmd, "create", err)
	}
	att, err := cli.ExecAttach(opCtx, created.ID, client.ExecAttachOptions{})
	if err != nil {
		return ExecResult{ExitCode: -1}, c.execErr(ctx, cmd, "attach", err)
	}
	out := capture.New(cfg.maxOutput)
	var stdout io.Writer = out
	if cfg.stdout != nil {
		stdout = cfg.stdout
	}
	if cfg.stdin != nil {
		go func() {
			_, _ = io.Copy(att.Conn, cfg.stdin)
			_ = att.CloseWrite()
		}()
	}
	copied := make(chan error, 1)
	go func() {
		_, err := stdcopy.StdCopy(stdout, out, att.Reader)
		copied <- err
	}()
	var streamErr error
	select {
	case streamErr = <-copied:
	case <-opCtx.Done():
		streamErr = opCtx.Err()
	}
	att.Close()

	res := ExecResult{ExitCode: -1}
	// The engine marks the exec finished slightly after closing the stream.
	for streamErr == nil {
		ins, err := cli.ExecInspect(opCtx, created.ID, client.ExecInspectOptions{})
		if err != nil {
			streamErr = err
			break
		}
		if !ins.Running {
			res.ExitCode = ins.ExitCode
			break
		}
		select {
		case <-opCtx.Done():
			streamErr = opCtx.Err()
		case <-time.After(10 * time.Millisecond):
		}
	}
	res.Output, res.Truncated = out.Noted()
	res.Duration = time.Since(start)

	timedOut := !time.Now().Before(deadline) && (streamErr != nil || res.ExitCode == 124 || res.ExitCode == 137)
	switch {
	case timedOut:
		return res, fmt.Errorf("exec %q: %w after %s (deadline %s)", cmd, ErrExecTimeout,
			res.Duration.Round(time.Millisecond), remaining.Round(time.Millisecond))
	case streamErr != nil:
		return res, c.execErr(ctx, cmd, "stream", streamErr)
	}
	return res, nil
}

func (c *Container) execErr(ctx context.Context, cmd []string, step string, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("exec %q: %s: %w", cmd, step, ctx.Err())
	}
	return fmt.Errorf("exec %q in %.12s: %s: %w", cmd, c.id, step, err)
}
