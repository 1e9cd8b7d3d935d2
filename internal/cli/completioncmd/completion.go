// Package completioncmd makes shell completion complete values, not only
// command and flag names: check ids (--optional, explain), lab ids (--lab,
// labs, labs get), report formats (--format, --report), probes (--probe),
// process names (check), and the fixed values of other flags. Register
// attaches the completion functions to a finished command tree by flag and
// command name, so the commands themselves stay as they are.
package completioncmd

import (
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/daemonlab/daemonlab/checker/catalogue"
	"github.com/daemonlab/daemonlab/checker/probe"
	"github.com/daemonlab/daemonlab/labs"
	"github.com/daemonlab/daemonlab/report"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// Func completes one value.
type Func = func(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective)

// flagValues completes a flag's value, by flag name.
var flagValues = map[string]Func{
	"lab":               LabIDs,
	"format":            fixed(report.Formats()),
	"report":            Reports,
	"optional":          list(catalogue.IDs),
	"probe":             list(func() []string { return probe.IDs }),
	"hidden-visibility": fixed([]string{"hidden", "after_due_date", "after_published"}),
	"session":           fixed([]string{"leader", "non-leader"}),
	"lock":              fixed([]string{"posix", "flock", "ofd", "none"}),
	"sighup":            fixed([]string{"reload", "ignore"}),
	"labs-dir":          dirs,
	"out":               dirs,
	"class":             dirs,
}

// argValues completes a command's arguments, by command path.
var argValues = map[string]Func{
	"explain":  first(CheckIDs),
	"labs":     first(LabIDs),
	"labs get": first(LabIDs),
	"check":    first(ProcessNames),
}

// Register attaches the value completions to every command of root.
func Register(root *cobra.Command) {
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		c.LocalFlags().VisitAll(func(f *pflag.Flag) {
			if fn, ok := flagValues[f.Name]; ok {
				if _, exists := c.GetFlagCompletionFunc(f.Name); !exists {
					_ = c.RegisterFlagCompletionFunc(f.Name, fn)
				}
			}
		})
		path := strings.TrimPrefix(c.CommandPath(), root.Name()+" ")
		if fn, ok := argValues[path]; ok && c.ValidArgsFunction == nil && !c.DisableFlagParsing {
			c.ValidArgsFunction = fn
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
}

// first completes only the first argument.
func first(fn Func) Func {
	return func(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		if len(args) > 0 {
			return nil, cobra.ShellCompDirectiveDefault
		}
		return fn(cmd, args, toComplete)
	}
}

func fixed(values []string) Func {
	return func(*cobra.Command, []string, string) ([]cobra.Completion, cobra.ShellCompDirective) {
		return values, cobra.ShellCompDirectiveNoFileComp
	}
}

func dirs(*cobra.Command, []string, string) ([]cobra.Completion, cobra.ShellCompDirective) {
	return nil, cobra.ShellCompDirectiveFilterDirs
}

// list completes a comma-separated list: the values not yet given, after
// what is already typed.
func list(values func() []string) Func {
	return func(_ *cobra.Command, _ []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		done, given := "", map[string]bool{}
		if i := strings.LastIndex(toComplete, ","); i >= 0 {
			done = toComplete[:i+1]
			for _, v := range strings.Split(toComplete[:i], ",") {
				given[v] = true
			}
		}
		var out []string
		for _, v := range values() {
			if !given[v] {
				out = append(out, done+v)
			}
		}
		return out, cobra.ShellCompDirectiveNoFileComp | cobra.ShellCompDirectiveNoSpace
	}
}

// CheckIDs completes the catalogue's check ids, each with its concept.
func CheckIDs(*cobra.Command, []string, string) ([]cobra.Completion, cobra.ShellCompDirective) {
	var out []string
	for _, e := range catalogue.All() {
		out = append(out, cobra.CompletionWithDesc(e.ID, e.Concept))
	}
	return out, cobra.ShellCompDirectiveNoFileComp
}

// LabIDs completes the lab ids (bundled and the teacher's), each with its
// title.
func LabIDs(*cobra.Command, []string, string) ([]cobra.Completion, cobra.ShellCompDirective) {
	all, err := labs.List()
	if err != nil {
		return nil, cobra.ShellCompDirectiveError
	}
	var out []string
	for _, s := range all {
		out = append(out, cobra.CompletionWithDesc(s.ID, s.Title))
	}
	return out, cobra.ShellCompDirectiveNoFileComp
}

// Reports completes --report FORMAT[:FILE]: the formats, then a file.
func Reports(_ *cobra.Command, _ []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
	if strings.Contains(toComplete, ":") {
		return nil, cobra.ShellCompDirectiveDefault
	}
	return report.Formats(), cobra.ShellCompDirectiveNoFileComp
}

// ProcessNames completes the names of running processes (attach mode);
// a path (./prog, /usr/bin/prog) completes as a file (launch mode).
func ProcessNames(_ *cobra.Command, _ []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
	if strings.ContainsRune(toComplete, '/') || strings.HasPrefix(toComplete, ".") {
		return nil, cobra.ShellCompDirectiveDefault
	}
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil, cobra.ShellCompDirectiveDefault
	}
	seen := map[string]bool{}
	for _, e := range entries {
		if e.Name()[0] < '0' || e.Name()[0] > '9' {
			continue
		}
		comm, err := os.ReadFile(filepath.Join("/proc", e.Name(), "comm"))
		if err != nil {
			continue
		}
		if name := strings.TrimSpace(string(comm)); name != "" && strings.HasPrefix(name, toComplete) {
			seen[name] = true
		}
	}
	out := make([]string, 0, len(seen))
	for n := range seen {
		out = append(out, n)
	}
	sort.Strings(out)
	return out, cobra.ShellCompDirectiveNoFileComp
}
