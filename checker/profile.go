package checker

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Severity says what a deviation costs.
type Severity string

// Severities of a deviation that a profile can tune.
const (
	SevFail Severity = "fail"
	SevWarn Severity = "warn"
	SevOff  Severity = "off"
)

// Profile holds the expectations a target is judged against. The default is
// the seeds' textbook daemon; flags and lab specs override fields.
type Profile struct {
	Name string `json:"name" yaml:"name"`
	// Cwd is the directory the daemon must run in. Empty is the textbook:
	// / is right, a user's or temporary directory is wrong, another system
	// directory (a spool) is worth a warning.
	Cwd string `json:"cwd" yaml:"cwd"`
	// Umask lists the accepted masks; another explicit value costs UmaskOther.
	Umask      []Mode   `json:"umask" yaml:"umask"`
	UmaskOther Severity `json:"umask_other" yaml:"umask_other"`
	// Session is any, leader (single fork) or non-leader (double fork).
	Session string `json:"session" yaml:"session"`
	// Stdio lists what fds 0-2 may point at: devnull, logfile, journal
	// (a socket, accepted only when systemd runs the process).
	Stdio []string `json:"stdio" yaml:"stdio"`
	// FDAllow lists path globs allowed beyond 0-2 besides the pid file and
	// runtime descriptors; FDUnexpected is what any other descriptor costs.
	FDAllow      []string `json:"fd_allow" yaml:"fd_allow"`
	FDUnexpected Severity `json:"fd_unexpected" yaml:"fd_unexpected"`
	// PIDFile is the pid file path; empty means discover it.
	PIDFile string `json:"pidfile" yaml:"pidfile"`
	// RequirePIDFile makes a missing pid file a failure instead of a warning.
	RequirePIDFile bool `json:"require_pidfile" yaml:"require_pidfile"`
	// Lock is any, posix, flock, ofd, or none (no lock required).
	Lock string `json:"lock" yaml:"lock"`
	// SIGHUP is reload, ignore or any.
	SIGHUP     string     `json:"sighup" yaml:"sighup"`
	Privileges Privileges `json:"privileges" yaml:"privileges"`
	// Env is what a planted canary still in the environment costs.
	Env Severity `json:"env" yaml:"env"`
	// Optional lists check ids whose failure does not fail the run.
	Optional []string `json:"optional" yaml:"optional"`
	// Disabled lists check ids not to run at all.
	Disabled []string `json:"disabled" yaml:"disabled"`
}

// Privileges are the identity the daemon must run with. Empty fields are
// not judged.
type Privileges struct {
	User string `json:"user" yaml:"user"`
	// Group defaults to the user's primary group when User is set.
	Group string `json:"group" yaml:"group"`
	// NoCapabilities requires an empty effective capability set.
	NoCapabilities bool `json:"no_capabilities" yaml:"no_capabilities"`
	NoNewPrivs     bool `json:"no_new_privs" yaml:"no_new_privs"`
}

// IsZero reports whether nothing is required.
func (p Privileges) IsZero() bool { return p == Privileges{} }

// Mode is a file mode mask written in octal ("0022").
type Mode uint32

func (m Mode) String() string { return fmt.Sprintf("%04o", uint32(m)) }

// ParseMode parses an octal mask such as 0, 022 or 0027.
func ParseMode(s string) (Mode, error) {
	v, err := strconv.ParseUint(strings.TrimSpace(s), 8, 32)
	if err != nil || v > 0777 {
		return 0, fmt.Errorf("bad umask %q: want octal 0 to 0777", s)
	}
	return Mode(v), nil
}

// UnmarshalText lets specs write umask values as octal strings.
func (m *Mode) UnmarshalText(b []byte) error {
	v, err := ParseMode(string(b))
	*m = v
	return err
}

// MarshalText writes the mask in octal.
func (m Mode) MarshalText() ([]byte, error) { return []byte(m.String()), nil }

// DefaultProfile is the seeds' textbook daemon: cwd /, umask 0 (another
// explicit value is a warning), stdin on /dev/null, stdout and stderr on
// /dev/null, the journal under systemd or a log file opened for append,
// no descriptors beyond the pid file and runtime ones, either session
// shape, SIGHUP either reloads or is ignored.
func DefaultProfile() Profile {
	return Profile{
		Name:         "textbook",
		Umask:        []Mode{0},
		UmaskOther:   SevWarn,
		Session:      "any",
		Stdio:        []string{"devnull", "journal", "logfile"},
		FDUnexpected: SevWarn,
		Lock:         "any",
		SIGHUP:       "any",
		// /proc/PID/environ shows the exec-time environment only: a daemon
		// that clears its environment in process cannot be seen doing it,
		// so a canary still there is advice unless a lab requires an
		// exec-clean environment (env: fail).
		Env: SevWarn,
	}
}

// Validate reports the first nonsensical field.
func (p Profile) Validate() error {
	oneOf := func(field, v string, allowed ...string) error {
		for _, a := range allowed {
			if v == a {
				return nil
			}
		}
		return fmt.Errorf("profile %s: %q is not one of %s", field, v, strings.Join(allowed, ", "))
	}
	sev := []string{string(SevFail), string(SevWarn), string(SevOff)}
	for _, err := range []error{
		oneOf("session", p.Session, "any", "leader", "non-leader"),
		oneOf("lock", p.Lock, "any", "posix", "flock", "ofd", "none"),
		oneOf("sighup", p.SIGHUP, "any", "reload", "ignore"),
		oneOf("umask_other", string(p.UmaskOther), sev...),
		oneOf("fd_unexpected", string(p.FDUnexpected), sev...),
		oneOf("env", string(p.Env), sev...),
	} {
		if err != nil {
			return err
		}
	}
	for _, s := range p.Stdio {
		if err := oneOf("stdio", s, "devnull", "logfile", "journal"); err != nil {
			return err
		}
	}
	if p.Cwd != "" && p.Cwd[0] != '/' {
		return fmt.Errorf("profile cwd: %q is not an absolute path", p.Cwd)
	}
	return nil
}

func (p Profile) allowsStdio(kind string) bool {
	for _, s := range p.Stdio {
		if s == kind {
			return true
		}
	}
	return false
}

// isOptional: the profile's Optional list, and env unless the profile asks
// for an exec-clean environment — as advice it can never fail, so its
// being unreadable (a process title written over /proc/PID/environ) must
// not make a run incomplete either.
func (p Profile) isOptional(id string) bool {
	return slices.Contains(p.Optional, id) || id == "env" && p.Env != SevFail
}
func (p Profile) isDisabled(id string) bool { return slices.Contains(p.Disabled, id) }

// IsDisabled reports whether the profile turns check id off.
func (p Profile) IsDisabled(id string) bool { return p.isDisabled(id) }
