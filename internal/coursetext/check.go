package coursetext

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/daemonlab/daemonlab/checker/catalogue"
	"github.com/daemonlab/daemonlab/labs"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// tolerated are `systemd-analyze verify` lines that say nothing about the
// unit: the image has no man(1), so every Documentation=man: link makes
// verify print that it could not look the page up (and exit 1).
var tolerated = []*regexp.Regexp{
	regexp.MustCompile(`^(\S+: )?Command 'man [^']*' failed with code \d+$`),
}

// VerifyProblems returns the lines of `systemd-analyze verify` output that
// report a problem. verify's exit status cannot be trusted for this: it is
// 0 when a setting is ignored ("Failed to parse boolean value, ignoring")
// and 1 for a man: link when man is not installed. So every line counts as
// a problem unless it is one of the known harmless ones.
func VerifyProblems(output string) []string {
	var out []string
	for _, l := range strings.Split(output, "\n") {
		l = strings.TrimSpace(l)
		if l == "" || slices.ContainsFunc(tolerated, func(r *regexp.Regexp) bool { return r.MatchString(l) }) {
			continue
		}
		out = append(out, l)
	}
	return out
}

var xinetdBad = regexp.MustCompile(`\b(Bad|ERROR|WARNING)\b`)

// XinetdProblems returns the lines of `xinetd -d` output that report a
// configuration problem ("Bad service type: #", "ERROR: ... DISABLING").
func XinetdProblems(output string) []string {
	var out []string
	for _, l := range strings.Split(output, "\n") {
		if xinetdBad.MatchString(l) {
			out = append(out, strings.TrimSpace(l))
		}
	}
	return out
}

var placeholder = regexp.MustCompile(`^(\[.*|[A-Z][A-Z0-9_]*\]?)$`)

// IsPlaceholder reports whether a word stands for something the reader
// fills in: DIR, ID, [ARGS...].
func IsPlaceholder(w string) bool { return placeholder.MatchString(w) }

// enumFlags are flags whose value must be one of the words their usage
// text lists ("output format: json, text").
var enumFlags = map[string]bool{"format": true, "sighup": true, "session": true, "lock": true, "probe": true}

// CheckName checks a mention of a command by name ("daemonlab grade" in
// running text): the command must exist, its arguments are not looked at.
func CheckName(newRoot func() *cobra.Command, args []string) error {
	root := newRoot()
	cmd, _, err := root.Find(args)
	if err != nil {
		return err
	}
	if cmd.CommandPath() != strings.Join(append([]string{root.Name()}, args...), " ") {
		return fmt.Errorf("no command %q", strings.Join(args, " "))
	}
	return nil
}

// ParseCommand checks one daemonlab command line (without the leading
// "daemonlab") against the command tree built by newRoot, without running
// anything: the command must exist and be runnable, every flag must exist
// and take its value, the positional arguments must satisfy the command's
// Args rule, and the values course.md can get wrong are looked up: check
// ids for explain, lab ids for labs and --lab, and enumerated flag values.
// newRoot is called for every line, so flags parsed before do not leak.
func ParseCommand(newRoot func() *cobra.Command, args []string) error {
	root := newRoot()
	cmd, rest, err := root.Find(args)
	if err != nil {
		return err
	}
	if !cmd.Runnable() {
		return fmt.Errorf("%q is not a command that runs (subcommands: %v)", cmd.CommandPath(), names(cmd.Commands()))
	}
	if cmd.DisableFlagParsing {
		return fmt.Errorf("%q does not parse its flags here (a hand-over stub?)", cmd.CommandPath())
	}
	cmd.InitDefaultHelpFlag() // as Execute would: --help is a flag like the others
	if err := cmd.ParseFlags(rest); err != nil {
		return fmt.Errorf("%s: %w", cmd.CommandPath(), err)
	}
	if help, _ := cmd.Flags().GetBool("help"); help {
		return nil // cobra prints the help and ignores the arguments
	}
	pos := cmd.Flags().Args()
	if err := cmd.ValidateArgs(pos); err != nil {
		return fmt.Errorf("%s: %w", cmd.CommandPath(), err)
	}
	if dash := cmd.ArgsLenAtDash(); dash >= 0 {
		pos = pos[:dash]
	}
	var errs []string
	cmd.Flags().Visit(func(f *pflag.Flag) {
		vals := []string{f.Value.String()}
		if sv, ok := f.Value.(pflag.SliceValue); ok {
			vals = sv.GetSlice()
		}
		for _, v := range vals {
			switch {
			case IsPlaceholder(v):
			case f.Name == "lab":
				if _, err := labs.Load(v); err != nil {
					errs = append(errs, fmt.Sprintf("--lab %s: %v", v, err))
				}
			case enumFlags[f.Name] && !hasWord(f.Usage, v):
				errs = append(errs, fmt.Sprintf("--%s %s: not one of %q", f.Name, v, f.Usage))
			}
		}
	})
	for _, a := range pos {
		if IsPlaceholder(a) {
			continue
		}
		switch cmd.Name() {
		case "explain":
			if _, ok := catalogue.Lookup(a); !ok {
				errs = append(errs, fmt.Sprintf("explain %s: no such check", a))
			}
		case "labs":
			if _, err := labs.Load(a); err != nil {
				errs = append(errs, fmt.Sprintf("labs %s: %v", a, err))
			}
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("%s", strings.Join(errs, "; "))
	}
	return nil
}

func hasWord(text, w string) bool {
	return slices.Contains(strings.FieldsFunc(text, func(r rune) bool {
		return r == ' ' || r == ',' || r == ':' || r == '(' || r == ')'
	}), w)
}

func names(cs []*cobra.Command) []string {
	var out []string
	for _, c := range cs {
		out = append(out, c.Name())
	}
	return out
}

var internalLink = regexp.MustCompile(`\]\(#([^)\s]+)\)`)

// InetdLine checks one /etc/inetd.conf line against the fields inetd(8)
// reads: service, socket type, protocol, wait/nowait, user, server path
// and the server's argv (starting with argv[0]), or "internal".
func InetdLine(l string) error {
	f := strings.Fields(l)
	if len(f) < 6 {
		return fmt.Errorf("%d fields, inetd needs at least 6: %q", len(f), l)
	}
	for _, w := range f {
		if strings.HasPrefix(w, "#") {
			return fmt.Errorf("%q: inetd has no trailing comments; %q would be a server argument", l, w)
		}
	}
	if !slices.Contains([]string{"stream", "dgram", "raw", "rdm", "seqpacket"}, f[1]) {
		return fmt.Errorf("socket type %q", f[1])
	}
	proto := strings.TrimSuffix(strings.TrimSuffix(f[2], "6"), "4")
	if !slices.Contains([]string{"tcp", "udp"}, proto) {
		return fmt.Errorf("protocol %q", f[2])
	}
	if (f[1] == "stream") != (proto == "tcp") {
		return fmt.Errorf("socket type %s with protocol %s", f[1], f[2])
	}
	if w, _, _ := strings.Cut(f[3], "."); w != "wait" && w != "nowait" {
		return fmt.Errorf("wait/nowait field %q", f[3])
	}
	switch {
	case f[5] == "internal":
	case !strings.HasPrefix(f[5], "/"):
		return fmt.Errorf("server %q is neither an absolute path nor internal", f[5])
	case len(f) < 7:
		return fmt.Errorf("server %s without argv[0]", f[5])
	}
	return nil
}
