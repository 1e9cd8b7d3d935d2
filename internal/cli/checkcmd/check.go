// Package checkcmd implements `daemonlab check`: judge a running process
// (attach mode) or launch a program under controlled conditions and judge
// the daemon it leaves behind (launch mode).
package checkcmd

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/daemonlab/daemonlab/checker"
	"github.com/daemonlab/daemonlab/checker/catalogue"
	"github.com/daemonlab/daemonlab/checker/launch"
	"github.com/daemonlab/daemonlab/checker/probe"
	"github.com/daemonlab/daemonlab/checker/procfs"
	"github.com/daemonlab/daemonlab/internal/cmdutil"
	"github.com/daemonlab/daemonlab/internal/iostreams"
	"github.com/daemonlab/daemonlab/labs"
	"github.com/daemonlab/daemonlab/report"
	"github.com/spf13/cobra"
)

// Options are the inputs of one `daemonlab check` run.
type Options struct {
	IO       *iostreams.IOStreams
	ProcRoot string

	Name    string // a running program's name, or a path to launch
	Args    []string
	PID     int
	PIDFile string

	Format  string
	Output  string
	Reports []string // --report FORMAT[:FILE]
	Lab     string
	// labChecks are the check ids the lab grades (nil without --lab).
	labChecks []string

	// Profile overrides.
	Cwd            string
	Umask          []string
	Session        string
	Lock           string
	User           string
	Optional       []string
	RequirePIDFile bool

	// Launch mode and probes.
	Probes        []string
	NoProbes      bool
	LaunchTimeout time.Duration
	TermTimeout   time.Duration
	ReloadTouch   string // FILE=TEXT written before SIGHUP
	ReloadExpect  string // FILE=TEXT expected after SIGHUP
	ReloadCmd     string
	SIGHUP        string
}

// NewCmdCheck builds the command; runF replaces the run function in tests.
func NewCmdCheck(ios *iostreams.IOStreams, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{IO: ios}
	cmd := &cobra.Command{
		Use:   "check [NAME | ./PROGRAM [-- ARGS...]]",
		Short: "Judge a daemon against the truth of /proc",
		Long: `Judge one process, concept by concept: parent, controlling terminal,
session, working directory, umask, standard descriptors, leaked descriptors,
signal mask and dispositions, pid file, lock, privileges and environment.

Attach mode judges a running process, chosen by name, --pid or --pidfile;
behavioural probes run there only when asked for with --probe.

Launch mode (a path such as ./mydaemon) starts the program the way a user
would from a terminal, with planted conditions to undo — umask 077, SIGUSR1
blocked, SIGINT ignored, a marker descriptor on fd 9, a canary variable —
judges the daemon it leaves behind, then probes it: readiness, a second
start, a stale pid file, SIGHUP and SIGTERM. Every process of the run is
killed at the end, also on failure and on Ctrl-C.

` + cmdutil.ExitCodeHelp(),
		Example: `  daemonlab check ./mydaemon --pidfile /tmp/mydaemon.pid -- -p /tmp/mydaemon.pid
  daemonlab check cron
  daemonlab check --pid 812
  daemonlab check --pidfile /run/crond.pid --format json`,
		Args: cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if dash := cmd.ArgsLenAtDash(); dash >= 0 {
				opts.Args = args[dash:]
				args = args[:dash]
			}
			if len(args) > 1 {
				return cmdutil.BadInput("check takes one NAME or PROGRAM, got %d: %s", len(args), strings.Join(args, " "))
			}
			if len(args) == 1 {
				opts.Name = args[0]
			}
			if cmd.ArgsLenAtDash() >= 0 && opts.Name != "" && !isPath(opts.Name) {
				// Arguments are for a program to launch; never attach to a
				// running copy and drop them.
				hint := "./" + opts.Name
				if p, err := exec.LookPath(opts.Name); err == nil {
					hint = p
				}
				return cmdutil.BadInput("arguments after -- are for launching a program, and %q is not a path: to launch it, give its path (daemonlab check %s -- %s); to judge the running %s, drop the arguments",
					opts.Name, hint, strings.Join(opts.Args, " "), opts.Name)
			}
			if cmd.ArgsLenAtDash() >= 0 && opts.Name == "" && (opts.PID != 0 || opts.PIDFile != "") {
				// --pid/--pidfile alone is attach mode: nothing is launched
				return cmdutil.Usage("arguments after -- are for launching a program, and --pid/--pidfile judge a running one: give the program's path before -- (daemonlab check ./PROGRAM -- %s), or drop the arguments",
					strings.Join(opts.Args, " "))
			}
			selectors := 0
			for _, set := range []bool{opts.Name != "", opts.PID != 0} {
				if set {
					selectors++
				}
			}
			if selectors > 1 {
				return cmdutil.BadInput("give either a NAME/PROGRAM or --pid, not both")
			}
			if selectors == 0 && opts.PIDFile == "" {
				return cmdutil.BadInput("what should I check? give a NAME, ./PROGRAM, --pid N or --pidfile FILE")
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return run(cmd.Context(), opts)
		},
	}
	f := cmd.Flags()
	f.IntVar(&opts.PID, "pid", 0, "judge the process with this pid")
	f.StringVar(&opts.PIDFile, "pidfile", "", "the daemon's pid file (selects the process when no NAME or --pid is given)")
	cmdutil.AddReportFlags(f, &opts.Format, &opts.Output)
	cmdutil.AddReportList(f, &opts.Reports)
	f.StringVar(&opts.Lab, "lab", "", "judge against a lab's expectations (id or spec file) instead of the default profile")
	f.StringVar(&opts.Cwd, "cwd", "", "expected working directory (default /)")
	f.StringSliceVar(&opts.Umask, "umask", nil, "accepted umask values, octal (default 0)")
	f.StringVar(&opts.Session, "session", "", "required session shape: any, leader (single fork) or non-leader (double fork)")
	f.StringVar(&opts.Lock, "lock", "", "required lock on the pid file: any, posix, flock, ofd or none")
	f.StringVar(&opts.User, "user", "", "user the daemon must run as (privileges check)")
	f.StringSliceVar(&opts.Optional, "optional", nil, "check ids whose failure does not fail the run")
	f.BoolVar(&opts.RequirePIDFile, "require-pidfile", false, "a missing pid file fails instead of warning")
	f.StringSliceVar(&opts.Probes, "probe", nil, "probes to run: "+strings.Join(probe.IDs, ", ")+" (launch mode: all by default; attach mode: only "+strings.Join(probe.AttachIDs, ", ")+", when asked)")
	f.BoolVar(&opts.NoProbes, "no-probes", false, "launch mode: static checks only")
	f.DurationVar(&opts.LaunchTimeout, "launch-timeout", 5*time.Second, "how long the launched program may take to return")
	f.DurationVar(&opts.TermTimeout, "term-timeout", 5*time.Second, "graceful-shutdown deadline after SIGTERM")
	f.StringVar(&opts.SIGHUP, "sighup", "", "what SIGHUP must do: reload, ignore or any")
	f.StringVar(&opts.ReloadTouch, "reload-touch", "", "FILE=TEXT: write TEXT into FILE before sending SIGHUP (a new configuration)")
	f.StringVar(&opts.ReloadExpect, "reload-expect", "", "FILE=TEXT: after SIGHUP, FILE must come to contain TEXT")
	f.StringVar(&opts.ReloadCmd, "reload-cmd", "", "after SIGHUP, this shell command must come to exit 0")
	f.StringVar(&opts.ProcRoot, "proc-root", "", "read this procfs tree instead of /proc (for tests)")
	_ = f.MarkHidden("proc-root")
	return cmd
}

// profile applies the flags to the default profile.
func (o *Options) profile() (checker.Profile, error) {
	p := checker.DefaultProfile()
	if o.Lab == "" {
		o.Lab = labs.HostLabHere(".") // a folder written by `daemonlab labs get`
	}
	if o.Lab != "" {
		lab, err := labs.Load(o.Lab)
		if err != nil {
			return p, err
		}
		p = lab.Profile
		o.labChecks = make([]string, 0, len(lab.Checks))
		for _, c := range lab.Checks {
			o.labChecks = append(o.labChecks, c.ID)
		}
		// what the lab does not grade is shown, but fails nothing: the
		// self-check then agrees with `daemonlab grade` on the verdict
		for _, id := range catalogue.IDs() {
			if !slices.Contains(o.labChecks, id) && !slices.Contains(o.Optional, id) {
				p.Optional = append(p.Optional, id)
			}
		}
	}
	if o.Cwd != "" {
		p.Cwd = o.Cwd
	}
	if len(o.Umask) > 0 {
		p.Umask = nil
		for _, s := range o.Umask {
			m, err := checker.ParseMode(s)
			if err != nil {
				return p, err
			}
			p.Umask = append(p.Umask, m)
		}
	}
	if o.Session != "" {
		p.Session = o.Session
	}
	if o.Lock != "" {
		p.Lock = o.Lock
	}
	if o.PIDFile != "" {
		p.PIDFile = o.PIDFile
	}
	p.RequirePIDFile = o.RequirePIDFile || p.RequirePIDFile
	if o.User != "" {
		if err := checker.KnownUser(o.User); err != nil {
			return p, fmt.Errorf("--user: %w", err)
		}
	}
	p.Privileges.User = o.User
	for _, id := range o.Optional {
		if _, ok := catalogue.Lookup(id); !ok {
			return p, fmt.Errorf("--optional: unknown check %q (daemonlab explain lists them)", id)
		}
	}
	if o.SIGHUP != "" {
		p.SIGHUP = o.SIGHUP
	}
	p.Optional = append(p.Optional, o.Optional...)
	return p, p.Validate()
}

func run(ctx context.Context, o *Options) error {
	if ctx == nil {
		ctx = context.Background()
	}
	if _, err := cmdutil.ResolveReports(o.Format, o.Output, o.Reports); err != nil {
		return err
	}
	prof, err := o.profile()
	if err != nil {
		return cmdutil.BadInput("%v", err)
	}
	popts, err := o.probeOptions()
	if err != nil {
		return err
	}
	fs := procfs.New(o.ProcRoot)
	if isPath(o.Name) {
		return launchMode(ctx, o, fs, prof, popts)
	}
	// the whole list, before any probe signals the process
	if err := probe.CheckAttach(popts.Probes); err != nil {
		return cmdutil.Usage("%v", err)
	}
	pid, err := o.resolve(fs)
	if err != nil {
		return err
	}
	return attach(ctx, o, fs, pid, prof, popts)
}

// probeOptions turns the probe flags into probe.Options.
func (o *Options) probeOptions() (probe.Options, error) {
	p := probe.DefaultOptions()
	p.LaunchTimeout, p.TermTimeout = o.LaunchTimeout, o.TermTimeout
	if p.LaunchTimeout <= 0 || p.TermTimeout <= 0 {
		return p, cmdutil.BadInput("timeouts must be positive")
	}
	for _, id := range o.Probes {
		if !slices.Contains(probe.IDs, id) {
			return p, cmdutil.BadInput("unknown probe %q (want %s)", id, strings.Join(probe.IDs, ", "))
		}
	}
	p.Probes = o.Probes
	if len(o.Probes) == 0 && o.labChecks != nil {
		// a lab's own probes only: lab 01 does not send SIGHUP
		p.Probes = []string{}
		for _, id := range probe.IDs {
			if slices.Contains(o.labChecks, id) {
				p.Probes = append(p.Probes, id)
			}
		}
	}
	if o.NoProbes {
		p.Probes = []string{}
	}
	var err error
	if p.Reload.TouchFile, p.Reload.TouchText, err = splitFileText("--reload-touch", o.ReloadTouch); err != nil {
		return p, err
	}
	if p.Reload.ExpectFile, p.Reload.ExpectText, err = splitFileText("--reload-expect", o.ReloadExpect); err != nil {
		return p, err
	}
	p.Reload.Cmd = o.ReloadCmd
	return p, nil
}

func splitFileText(flag, v string) (string, string, error) {
	if v == "" {
		return "", "", nil
	}
	file, text, ok := strings.Cut(v, "=")
	if !ok || file == "" {
		return "", "", cmdutil.BadInput("%s wants FILE=TEXT, got %q", flag, v)
	}
	return file, text, nil
}

// attach judges a running process; probes run only when asked for.
func attach(ctx context.Context, o *Options, fs procfs.FS, pid int, prof checker.Profile, popts probe.Options) error {
	start := time.Now()
	snap, err := checker.Take(ctx, pid, checker.Options{Proc: fs, PIDFile: prof.PIDFile})
	if err != nil {
		return targetError(pid, err)
	}
	r := &report.Report{
		Tool: "daemonlab", Mode: report.ModeAttach, Target: snap.Target(), Tree: snap.Tree(),
		Checks: checker.Judge(snap, prof, nil), Started: start,
	}
	if len(o.Probes) > 0 {
		checks, err := probe.Attach(ctx, fs, snap, prof, popts)
		if err != nil {
			return cmdutil.BadInput("%v", err)
		}
		r.Checks = append(r.Checks, checks...)
	}
	return finish(o, r, start, ctx.Err() != nil)
}

// launchMode starts the program under controlled conditions and judges the
// daemon it leaves; everything it started is killed before returning.
func launchMode(ctx context.Context, o *Options, fs procfs.FS, prof checker.Profile, popts probe.Options) error {
	start := time.Now()
	cfg := launch.DefaultConfig(o.Name, o.Args)
	cfg.Proc = fs
	sess, err := launch.NewSession(cfg)
	if err != nil {
		return cmdutil.BadInput("%v", err)
	}
	// Closed on every way out, a panic included: nothing of the run
	// outlives the command.
	defer sess.Close()
	// The program starts in the run's directory: a relative path it is
	// given names a file there, and so does the same path given to us.
	prof.PIDFile = inRunDir(sess.Dir, prof.PIDFile)
	popts.Reload.TouchFile = inRunDir(sess.Dir, popts.Reload.TouchFile)
	popts.Reload.ExpectFile = inRunDir(sess.Dir, popts.Reload.ExpectFile)
	// A pid file that did not exist before the run is the run's: removed
	// at the end, so no file names a dead pid afterwards; unless it names
	// a live process once the run is over, one the launcher handed the
	// work to (`apache2ctl start` asks systemd), which owns it.
	created := prof.PIDFile != "" && !exists(prof.PIDFile)
	r := probe.LaunchCheck(ctx, sess, fs, prof, popts)
	if err := sess.Close(); err != nil {
		r.Errors = append(r.Errors, "clean-up: "+err.Error())
	}
	if created && !namesLiveProcess(fs, prof.PIDFile) {
		if err := os.Remove(prof.PIDFile); err != nil && !os.IsNotExist(err) {
			r.Errors = append(r.Errors, "clean-up: "+err.Error())
		}
	}
	return finish(o, r, start, ctx.Err() != nil)
}

// inRunDir resolves a relative path against the run's directory, where
// the launched program starts.
func inRunDir(dir, path string) string {
	if path == "" || filepath.IsAbs(path) {
		return path
	}
	return filepath.Join(dir, path)
}

// namesLiveProcess reports whether the pid file names a process that is
// alive (the run's are all gone when it is asked).
func namesLiveProcess(fs procfs.FS, path string) bool {
	raw, err := os.ReadFile(path)
	if err != nil {
		return false
	}
	pid, err := checker.ParsePID(raw)
	return err == nil && pid > 0 && checker.Running(fs, pid)
}

func exists(path string) bool {
	_, err := os.Lstat(path)
	return err == nil
}

// finish writes the report and turns its verdict into the exit code: an
// interrupted run exits 130 whatever it found, an incomplete one 5.
func finish(o *Options, r *report.Report, start time.Time, interrupted bool) error {
	r.DurationMS = float64(time.Since(start).Microseconds()) / 1000
	if interrupted {
		probe.MarkInterrupted(r)
	} else if ids := cmdutil.Unknowns(r); len(ids) > 0 && r.Passed() {
		advice := "run as the daemon's user or as root for a verdict"
		if os.Geteuid() == 0 {
			advice = "even root may not read them here; each check says why"
		}
		r.Errors = append(r.Errors, fmt.Sprintf("incomplete: %d required check(s) could not be read (%s): %s", len(ids), strings.Join(ids, ", "), advice))
	}
	specs, err := cmdutil.ResolveReports(o.Format, o.Output, o.Reports)
	if err != nil {
		return err
	}
	if err := cmdutil.WriteReports(o.IO, r, specs, report.Options{}); err != nil {
		return err
	}
	if interrupted {
		return cmdutil.ErrInterrupted
	}
	return cmdutil.VerdictError(r)
}

// isPath tells a program to launch (it has a slash) from a name to look up.
func isPath(name string) bool { return strings.Contains(name, "/") }

// resolve turns the selectors into one pid, or a bad-input error.
func (o *Options) resolve(fs procfs.FS) (int, error) {
	switch {
	case o.PID != 0:
		if o.PID < 0 {
			return 0, cmdutil.BadInput("--pid %d: a pid is a positive number", o.PID)
		}
		return o.PID, nil
	case o.Name != "":
		cands, err := checker.FindByName(fs, o.Name, os.Getpid())
		if err != nil {
			return 0, cmdutil.BadInput("listing processes: %v", err)
		}
		var kernel []checker.Candidate
		cands = slices.DeleteFunc(cands, func(c checker.Candidate) bool {
			if c.Kernel {
				kernel = append(kernel, c)
			}
			return c.Kernel
		})
		switch {
		case len(cands) == 0 && len(kernel) > 0:
			return 0, cmdutil.BadInput("%s (pid %d) is a kernel thread, not a program: there is nothing to judge", kernel[0].Comm, kernel[0].PID)
		case len(cands) == 0:
			return 0, cmdutil.BadInput("no running process is called %q (to launch a program, give a path such as ./%s)", o.Name, o.Name)
		case len(cands) == 1:
			return cands[0].PID, nil
		}
		if m, ok := checker.Master(cands); ok {
			// the parent of the others: apache2's master over its workers
			return m.PID, nil
		}
		var b strings.Builder
		fmt.Fprintf(&b, "%d processes are called %q; choose one with --pid:", len(cands), o.Name)
		for i, c := range cands {
			if i > 0 {
				b.WriteString(";")
			}
			fmt.Fprintf(&b, " pid %d (ppid %d) %s", c.PID, c.PPID, c.Cmdline)
		}
		return 0, cmdutil.BadInput("%s", b.String())
	default:
		raw, err := os.ReadFile(o.PIDFile)
		if err != nil {
			return 0, cmdutil.BadInput("reading pid file: %v", err)
		}
		pid, err := checker.ParsePID(raw)
		if err != nil {
			return 0, cmdutil.BadInput("%s: %v", o.PIDFile, err)
		}
		if !fs.Exists(pid) {
			return 0, cmdutil.BadInput("%s names pid %d, which is not running (a stale pid file)", o.PIDFile, pid)
		}
		return pid, nil
	}
}

func targetError(pid int, err error) error {
	var bad *checker.BadTargetError
	switch {
	case errors.Is(err, checker.ErrNoProcess):
		return cmdutil.BadInput("no process with pid %d", pid)
	case errors.As(err, &bad):
		return cmdutil.BadInput("%s", bad.Reason)
	}
	return cmdutil.BadInput("pid %s: %v", strconv.Itoa(pid), err)
}
