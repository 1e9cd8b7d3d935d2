// Package sandboxcmd implements `daemonlab sandbox [--lab ID] [DIR]`: a fresh
// systemd container from the grader's image and limits, with a lab's
// starter (or DIR) in /lab, the checker available, and an interactive root
// shell on the user's terminal. The container is removed when the shell
// exits, on Ctrl-C or SIGTERM before the shell runs, and when the terminal
// is lost (SIGHUP, or end of input).
package sandboxcmd

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"os/signal"
	"path/filepath"
	"sort"
	"syscall"
	"time"

	"github.com/daemonlab/daemonlab/containers"
	"github.com/daemonlab/daemonlab/internal/cli/companioncmd"
	"github.com/daemonlab/daemonlab/internal/cmdutil"
	"github.com/daemonlab/daemonlab/internal/iostreams"
	"github.com/daemonlab/daemonlab/internal/submission"
	"github.com/daemonlab/daemonlab/labs"
	"github.com/spf13/cobra"
	"golang.org/x/sys/unix"
)

// checkerDir holds the read-only checker in the sandbox, as in a lab container.
const checkerDir = "/opt/daemonlab"

// Lifetime bounds one sandbox: the watchdog removes it after this long.
const Lifetime = 4 * time.Hour

// Options are the inputs of `daemonlab sandbox`.
type Options struct {
	IO    *iostreams.IOStreams
	Lab   string
	Dir   string
	Image string
	Shell []string
}

// NewCmdSandbox builds the command; runF replaces the run function in tests.
func NewCmdSandbox(ios *iostreams.IOStreams, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{IO: ios}
	cmd := &cobra.Command{
		Use:   "sandbox [--lab ID] [DIR]",
		Short: "Practise in a fresh systemd container: a root shell, the lab's starter in /lab",
		Long: `Start a fresh systemd container from the grader's image, with the grader's
limits (read-only root file system, small writable tmpfs paths, no network
but loopback, no added capabilities), copy the lab's starter files (or DIR)
to /lab, and open a root shell in it on your terminal. systemctl,
journalctl, service, update-rc.d, xinetd, cron, gcc and python3 are there,
and daemonlab itself (/opt/daemonlab/daemonlab, on PATH). Nothing you do
touches your machine.

The container is removed when the shell exits (exit, Ctrl-D), and when the
terminal goes away. Inside, Ctrl-C interrupts the shell's command, as in
any shell.`,
		Example: `  daemonlab sandbox --lab 07
  daemonlab sandbox ./mywork`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				opts.Dir = args[0]
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return run(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.Lab, "lab", "", "lab id: its starter files go to /lab, its writable paths are writable")
	cmd.Flags().StringVar(&opts.Image, "image", "", "systemd image to use (default: build or reuse daemonlab's)")
	return cmd
}

func run(ctx context.Context, o *Options) error {
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGHUP)
	defer stop()
	var lab *labs.Spec
	if o.Lab != "" {
		var err error
		if lab, err = labs.Load(o.Lab); err != nil {
			return cmdutil.BadInput("%v", err)
		}
	}
	// What goes to /lab, read before anything starts.
	content, err := labContent(lab, o.Dir)
	if err != nil {
		return err
	}
	checker, err := checkerBinary()
	if err != nil {
		return cmdutil.Infra(err)
	}
	if err := containers.EngineAvailable(ctx); err != nil {
		return cmdutil.Infra(err)
	}
	image := o.Image
	if image == "" {
		if image, _, err = containers.EnsureImage(ctx, o.IO.ErrOut); err != nil {
			return cmdutil.Infra(err)
		}
	}
	copts := containers.Options{Image: image, MaxLifetime: Lifetime, Network: true,
		Writable: maps.Clone(containers.SystemdWritable), ReadOnly: map[string]string{checkerDir + "/daemonlab": checker}}
	copts.Writable["/lab"] = "size=64m,mode=0755"
	var tmp string
	if lab != nil {
		for _, p := range lab.Writable {
			copts.Writable[p] = "size=16m,mode=0755"
		}
		if len(lab.Provide) > 0 {
			if tmp, err = os.MkdirTemp("", "daemonlab-sandbox-"); err != nil {
				return cmdutil.Infra(err)
			}
			defer os.RemoveAll(tmp)
			for i, f := range lab.Provide {
				host := filepath.Join(tmp, fmt.Sprint(i))
				if err := os.WriteFile(host, []byte(f.Text), 0o644); err != nil {
					return cmdutil.Infra(err)
				}
				copts.ReadOnly[f.To] = host
			}
		}
	}
	fmt.Fprintln(o.IO.ErrOut, "daemonlab sandbox: starting a systemd container…")
	c, err := containers.Start(ctx, copts)
	if err != nil {
		return cmdutil.Infra(err)
	}
	defer func() {
		_ = c.Terminate(context.WithoutCancel(ctx))
		fmt.Fprintln(o.IO.ErrOut, "daemonlab sandbox: container removed")
	}()
	if err := c.PutTar(ctx, "/lab", bytes.NewReader(content), ""); err != nil {
		return cmdutil.Infra(err)
	}
	// a login shell resets PATH: put the checker where it looks
	if _, err := c.Exec(ctx, []string{"/usr/bin/ln", "-s", checkerDir + "/daemonlab", "/usr/local/bin/daemonlab"}); err != nil {
		return cmdutil.Infra(err)
	}
	where := "an empty /lab"
	switch {
	case o.Dir != "":
		where = o.Dir + " in /lab"
	case lab != nil:
		where = "lab " + lab.ID + "'s starter in /lab"
	}
	fmt.Fprintf(o.IO.ErrOut, "daemonlab sandbox: %s; daemonlab is on PATH. `exit` or Ctrl-D removes the container.\n", where)

	shell := o.Shell
	if shell == nil {
		shell = []string{"/bin/bash", "-l"}
	}
	env := []string{"HOME=/root",
		"TERM=" + orDefault(os.Getenv("TERM"), "xterm")}
	in, out := o.IO.In, o.IO.Out
	size := containers.TermSize{Height: 24, Width: 80}
	resize := make(chan containers.TermSize, 1)
	if f, ok := in.(*os.File); ok {
		if restore, err := rawMode(int(f.Fd())); err == nil {
			defer restore()
			if s, err := termSize(int(f.Fd())); err == nil {
				size = s
			}
			winch := make(chan os.Signal, 1)
			signal.Notify(winch, syscall.SIGWINCH)
			defer signal.Stop(winch)
			go func() {
				for range winch {
					if s, err := termSize(int(f.Fd())); err == nil {
						select {
						case resize <- s:
						default:
						}
					}
				}
			}()
		}
	}
	code, err := c.Shell(ctx, shell, env, "/lab", in, out, size, resize)
	switch {
	case errors.Is(err, context.Canceled):
		return cmdutil.Infra(errors.New("interrupted"))
	case err != nil:
		return cmdutil.Infra(err)
	case code != 0:
		return &cmdutil.ExitError{Code: code}
	}
	return nil
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

// labContent is the tar stream for /lab: DIR (read as a submission is:
// regular files only, without following links, with the same limits), or
// the lab's starter files.
func labContent(lab *labs.Spec, dir string) ([]byte, error) {
	var buf bytes.Buffer
	if dir != "" {
		st, err := os.Stat(dir)
		if err != nil || !st.IsDir() {
			return nil, cmdutil.BadInput("%s is not a directory", dir)
		}
		sub, err := submission.Scan(dir, submission.DefaultLimits)
		if err != nil {
			return nil, cmdutil.BadInput("%v", err)
		}
		defer sub.Close()
		if err := sub.WriteTar(&buf); err != nil {
			return nil, cmdutil.BadInput("%v", err)
		}
		return buf.Bytes(), nil
	}
	tw := tar.NewWriter(&buf)
	if lab != nil {
		files, err := lab.Starter()
		if err != nil {
			return nil, err
		}
		names := make([]string, 0, len(files))
		for n := range files {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			if err := tw.WriteHeader(&tar.Header{Name: n, Mode: 0o644, Size: int64(len(files[n])), Typeflag: tar.TypeReg, ModTime: time.Now()}); err != nil {
				return nil, err
			}
			if _, err := tw.Write(files[n]); err != nil {
				return nil, err
			}
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// checkerBinary is the static daemonlab next to this daemonlab-grade.
func checkerBinary() (string, error) {
	self, err := os.Executable()
	if err != nil {
		return "", err
	}
	p := filepath.Join(filepath.Dir(self), "daemonlab")
	if st, err := os.Stat(p); err != nil || st.IsDir() {
		return "", fmt.Errorf("no daemonlab next to %s (make build installs both)", companioncmd.Binary)
	}
	return p, nil
}

// rawMode puts the terminal in raw mode (the container's terminal does
// the line editing and the signals) and returns the restore function.
func rawMode(fd int) (func(), error) {
	old, err := unix.IoctlGetTermios(fd, unix.TCGETS)
	if err != nil {
		return nil, err
	}
	t := *old
	t.Iflag &^= unix.IGNBRK | unix.BRKINT | unix.PARMRK | unix.ISTRIP | unix.INLCR | unix.IGNCR | unix.ICRNL | unix.IXON
	t.Oflag &^= unix.OPOST
	t.Lflag &^= unix.ECHO | unix.ECHONL | unix.ICANON | unix.ISIG | unix.IEXTEN
	t.Cflag &^= unix.CSIZE | unix.PARENB
	t.Cflag |= unix.CS8
	t.Cc[unix.VMIN], t.Cc[unix.VTIME] = 1, 0
	if err := unix.IoctlSetTermios(fd, unix.TCSETS, &t); err != nil {
		return nil, err
	}
	return func() { _ = unix.IoctlSetTermios(fd, unix.TCSETS, old) }, nil
}

func termSize(fd int) (containers.TermSize, error) {
	ws, err := unix.IoctlGetWinsize(fd, unix.TIOCGWINSZ)
	if err != nil {
		return containers.TermSize{}, err
	}
	return containers.TermSize{Height: uint(ws.Row), Width: uint(ws.Col)}, nil
}
