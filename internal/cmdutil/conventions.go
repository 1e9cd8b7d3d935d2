package cmdutil

import (
	"fmt"
	"strings"

	"github.com/daemonlab/daemonlab/internal/iostreams"
	"github.com/spf13/cobra"
)

// colorFlag is --color: it applies its value to the streams when parsed,
// so it needs no pre-run hook (the root's is taken by --labs-dir).
type colorFlag struct {
	ios  *iostreams.IOStreams
	mode string
}

func (c *colorFlag) String() string { return c.mode }
func (c *colorFlag) Type() string   { return "when" }
func (c *colorFlag) Set(v string) error {
	if err := c.ios.SetColorMode(v); err != nil {
		return err
	}
	c.mode = v
	return nil
}

// AddColorFlag adds the global --color auto|always|never.
func AddColorFlag(cmd *cobra.Command, ios *iostreams.IOStreams) {
	cmd.PersistentFlags().Var(&colorFlag{ios: ios, mode: "auto"}, "color",
		"colour the text report: auto (a terminal, unless NO_COLOR is non-empty or TERM=dumb), always or never")
	_ = cmd.RegisterFlagCompletionFunc("color", cobra.FixedCompletions(iostreams.ColorModes, cobra.ShellCompDirectiveNoFileComp))
}

// exitTopic is each exit code's line in `daemonlab help exit-codes`: the
// README's table, word for word (a test holds them equal).
var exitTopic = map[int]string{
	ExitOK:          "every required check passed",
	ExitFailed:      "a required check failed (the report says which), or the run failed",
	ExitBadInput:    "usage error or bad input: unknown flag or value (--user no-such-user, --optional no-such-check), unknown pid, zombie, kernel thread, several processes of that name, unreadable pid file or lab",
	ExitUngradable:  "the submission could not be graded (build failed, timeout)",
	ExitInfra:       "infrastructure problem (no Docker engine); for --class, some submission was not gradable",
	ExitIncomplete:  "incomplete: no required check failed, but some could not be read (unknown, e.g. another user's process): run as that user or root for a verdict",
	ExitInternal:    "internal error: a bug in daemonlab (please report it)",
	ExitInterrupted: "interrupted (Ctrl-C or SIGTERM): the report shows what ran, the rest is marked \"not run\"; for grade --class the results directory holds what finished and --resume carries on",
}

// ExitCodesTopic is the text of `daemonlab help exit-codes`.
func ExitCodesTopic() string {
	var b strings.Builder
	b.WriteString("daemonlab exits with one of these codes, stable for scripts and CI:\n\n")
	for _, c := range ExitCodes {
		fmt.Fprintf(&b, "  %3d  %s\n", c.Code, exitTopic[c.Code])
	}
	b.WriteString("\nFor grade --class, students losing points is not a failure of the run:\nit exits 0 when every submission was graded.\n\nErrors are one line on stderr, prefixed \"daemonlab:\".")
	return b.String()
}

// NewHelpTopicExitCodes is the help topic `daemonlab help exit-codes`.
func NewHelpTopicExitCodes() *cobra.Command {
	return &cobra.Command{
		Use:   "exit-codes",
		Short: "The exit codes of every command",
		Long:  ExitCodesTopic(),
	}
}
