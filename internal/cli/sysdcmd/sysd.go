// Package sysdcmd implements the hidden `daemonlab systemd` command: the
// grader's own systemctl inside a lab container. It speaks to PID 1 only
// (peer credentials checked on every connection) and prints what the
// grader parses: KEY=VALUE lines for show, result=JOBRESULT for jobs.
package sysdcmd

import (
	"context"
	"fmt"
	"syscall"

	"github.com/daemonlab/daemonlab/internal/cmdutil"
	"github.com/daemonlab/daemonlab/internal/iostreams"
	"github.com/daemonlab/daemonlab/internal/sysd"
	"github.com/spf13/cobra"
)

// Options are the inputs of `daemonlab systemd`.
type Options struct {
	IO     *iostreams.IOStreams
	Verb   string
	Unit   string
	Props  []string
	Signal int
	All    bool
	Socket string
}

var verbs = map[string]bool{
	"show": true, "start": true, "stop": true, "reload": true, "enable": true,
	"daemon-reload": false, "reset-failed": true, "kill": true,
}

// NewCmdSystemd builds the command; runF replaces the run function in tests.
func NewCmdSystemd(ios *iostreams.IOStreams, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{IO: ios}
	cmd := &cobra.Command{
		Use:    "systemd VERB [UNIT]",
		Short:  "Talk to PID 1 (grader internal): show, start, stop, reload, enable, daemon-reload, reset-failed, kill",
		Hidden: true,
		Args:   cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Verb = args[0]
			needsUnit, ok := verbs[opts.Verb]
			if !ok {
				return cmdutil.BadInput("unknown verb %q", opts.Verb)
			}
			if needsUnit != (len(args) == 2) {
				return cmdutil.BadInput("%s takes %s", opts.Verb, map[bool]string{true: "one unit", false: "no unit"}[needsUnit])
			}
			if len(args) == 2 {
				opts.Unit = args[1]
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return run(cmd.Context(), opts)
		},
	}
	f := cmd.Flags()
	f.StringSliceVarP(&opts.Props, "property", "p", nil, "properties to show (default: all)")
	f.IntVar(&opts.Signal, "signal", int(syscall.SIGTERM), "signal number for kill")
	f.BoolVar(&opts.All, "all", false, "kill every process of the unit, not only the main one")
	f.StringVar(&opts.Socket, "socket", sysd.PrivateSocket, "systemd's private socket")
	return cmd
}

func run(ctx context.Context, o *Options) error {
	ctx, cancel := context.WithTimeout(ctx, sysd.Timeout)
	defer cancel()
	c, err := sysd.Dial(ctx, o.Socket)
	if err != nil {
		return err
	}
	defer c.Close()
	out := o.IO.Out
	switch o.Verb {
	case "show":
		props, err := c.Show(ctx, o.Unit, o.Props...)
		if err != nil {
			return err
		}
		fmt.Fprint(out, sysd.WriteProps(props))
	case "start", "reload":
		job := c.Start
		if o.Verb == "reload" {
			job = c.Reload
		}
		result, err := job(ctx, o.Unit)
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "result=%s\n", result)
		if result != "done" {
			return cmdutil.ErrChecksFailed
		}
	case "stop":
		return c.StopNoBlock(ctx, o.Unit)
	case "enable":
		return c.Enable(ctx, o.Unit)
	case "daemon-reload":
		return c.DaemonReload(ctx)
	case "reset-failed":
		return c.ResetFailed(ctx, o.Unit)
	case "kill":
		if o.All {
			return c.KillAll(ctx, o.Unit, syscall.Signal(o.Signal))
		}
		return c.KillMain(ctx, o.Unit, syscall.Signal(o.Signal))
	}
	return nil
}
