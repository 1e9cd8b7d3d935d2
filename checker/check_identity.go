package checker

import (
	"fmt"
	"os/user"
	"slices"
	"strconv"
	"strings"

	"github.com/daemonlab/daemonlab/report"
)

func (j *judgement) privileges() outcome {
	st := j.s.Status
	req := j.profile.Privileges
	o := outcome{observed: fmt.Sprintf("uid %s, gid %s, groups %s, CapEff %016x%s", ids(st.UID), ids(st.GID), groupList(st.Groups), st.CapEff, nnp(st.NoNewPrivs, st.HasNoNewPrivs))}
	if req.IsZero() {
		// Nothing required, but a half-finished drop is worth saying: an
		// effective id that differs from the real or saved one can be
		// switched back (seteuid(0)).
		if half := halfDropped(st.UID, st.GID); half != "" {
			o.status, o.expected = report.Warn, "uid and gid the same in all four slots (real, effective, saved, filesystem)"
			o.observed = half + " (" + o.observed + ")"
			o.hint = "drop for good with setgroups(), setgid() and setuid() (or setresgid/setresuid), which change every slot, not seteuid()/setegid()."
			return o
		}
		o.status, o.expected = report.Skip, "no requirement in this profile"
		return o
	}
	var want, problems []string
	if req.User != "" {
		u, err := lookupUser(req.User)
		if err != nil {
			return outcome{status: report.Error, observed: o.observed, expected: "user " + req.User, hint: err.Error()}
		}
		uid, _ := strconv.ParseUint(u.Uid, 10, 32)
		gidName := req.Group
		if gidName == "" {
			gidName = u.Gid
		}
		gid, err := lookupGroup(gidName)
		if err != nil {
			return outcome{status: report.Error, observed: o.observed, expected: "group " + gidName, hint: err.Error()}
		}
		want = append(want, fmt.Sprintf("uid %d (%s) and gid %d in all four slots", uid, u.Username, gid))
		if p := idProblem("uid", st.UID, uint32(uid)); p != "" {
			problems = append(problems, p)
		}
		if p := idProblem("gid", st.GID, gid); p != "" {
			problems = append(problems, p)
		}
		if allowed, err := userGroups(u); err == nil {
			want = append(want, "only the user's supplementary groups")
			for _, g := range st.Groups {
				if !slices.Contains(allowed, g) {
					problems = append(problems, fmt.Sprintf("supplementary group %d is not one of %s's: setgroups() before setgid() and setuid()", g, u.Username))
					break
				}
			}
		}
	}
	if req.NoCapabilities {
		want = append(want, "no effective capabilities")
		if st.CapEff != 0 {
			problems = append(problems, fmt.Sprintf("effective capabilities %016x remain", st.CapEff))
		}
	}
	if req.NoNewPrivs {
		want = append(want, "no_new_privs set")
		if st.HasNoNewPrivs && !st.NoNewPrivs {
			problems = append(problems, "no_new_privs is not set: prctl(PR_SET_NO_NEW_PRIVS, 1)")
		}
	}
	o.expected = strings.Join(want, "; ")
	if len(problems) > 0 {
		o.status = report.Fail
		o.observed = strings.Join(problems, "; ") + " (" + o.observed + ")"
		o.hint = "drop privileges in this order: setgroups(), setgid(), setuid(), and check each return value; then the saved ids cannot bring root back."
		return o
	}
	o.status = report.Pass
	return o
}

// halfDropped describes ids that differ between slots, when a privileged
// id remains in the real or saved slot: the process can take it back.
func halfDropped(uid, gid [4]uint32) string {
	var out []string
	for _, x := range []struct {
		name string
		v    [4]uint32
	}{{"uid", uid}, {"gid", gid}} {
		v := x.v
		if v[0] == v[1] && v[1] == v[2] {
			continue
		}
		if v[0] == 0 || v[2] == 0 {
			out = append(out, fmt.Sprintf("%s real %d, effective %d, saved %d: it can switch back to %d", x.name, v[0], v[1], v[2], 0))
		} else {
			out = append(out, fmt.Sprintf("%s real %d, effective %d, saved %d: it can switch between them", x.name, v[0], v[1], v[2]))
		}
	}
	if len(out) == 0 {
		return ""
	}
	return "privileges half dropped: " + strings.Join(out, "; ")
}

func idProblem(name string, got [4]uint32, want uint32) string {
	slots := []string{"real", "effective", "saved", "filesystem"}
	var bad []string
	for i, v := range got {
		if v != want {
			bad = append(bad, fmt.Sprintf("%s %s %d", slots[i], name, v))
		}
	}
	if len(bad) == 0 {
		return ""
	}
	p := strings.Join(bad, ", ") + fmt.Sprintf(" (want %d)", want)
	if got[2] == 0 && want != 0 {
		p += ": the saved id can make it root again"
	}
	return p
}

func lookupUser(name string) (*user.User, error) {
	if _, err := strconv.Atoi(name); err == nil {
		if u, err := user.LookupId(name); err == nil {
			return u, nil
		}
		return &user.User{Uid: name, Gid: name, Username: name}, nil
	}
	u, err := user.Lookup(name)
	if err != nil {
		return nil, fmt.Errorf("unknown user %q", name)
	}
	return u, nil
}

func lookupGroup(name string) (uint32, error) {
	if n, err := strconv.ParseUint(name, 10, 32); err == nil {
		return uint32(n), nil
	}
	g, err := user.LookupGroup(name)
	if err != nil {
		return 0, fmt.Errorf("unknown group %q", name)
	}
	n, _ := strconv.ParseUint(g.Gid, 10, 32)
	return uint32(n), nil
}

func userGroups(u *user.User) ([]uint32, error) {
	gids, err := u.GroupIds()
	if err != nil {
		return nil, err
	}
	out := make([]uint32, 0, len(gids))
	for _, g := range gids {
		if n, err := strconv.ParseUint(g, 10, 32); err == nil {
			out = append(out, uint32(n))
		}
	}
	return out, nil
}

func ids(v [4]uint32) string {
	if v[0] == v[1] && v[1] == v[2] && v[2] == v[3] {
		return strconv.FormatUint(uint64(v[0]), 10)
	}
	return fmt.Sprintf("%d/%d/%d/%d", v[0], v[1], v[2], v[3])
}

func groupList(g []uint32) string {
	if len(g) == 0 {
		return "none"
	}
	parts := make([]string, len(g))
	for i, v := range g {
		parts[i] = strconv.FormatUint(uint64(v), 10)
	}
	return strings.Join(parts, ",")
}

func nnp(v, has bool) string {
	if has && v {
		return ", no_new_privs"
	}
	return ""
}

// sessionVariables betray an environment inherited from a login session.
var sessionVariables = []string{
	"SSH_TTY", "SSH_CONNECTION", "SSH_CLIENT", "SSH_AUTH_SOCK", "DISPLAY",
	"WAYLAND_DISPLAY", "TMUX", "STY", "WINDOWID", "XDG_SESSION_ID", "OLDPWD",
}

func (j *judgement) env() outcome {
	s := j.s
	o := outcome{expected: "no variable from the launcher's environment at exec time"}
	if s.EnvErr != nil {
		return unreadable("/proc/PID/environ", s.EnvErr, o.expected)
	}
	names := make([]string, 0, len(s.Environ))
	for _, kv := range s.Environ {
		name, _, _ := strings.Cut(kv, "=")
		names = append(names, name)
	}
	o.hint = "re-exec with a minimal environment (execve with your own envp) or let systemd start you. /proc/PID/environ shows the environment at exec time: clearenv() inside the process cannot be seen, a limitation of the check."
	if pl := j.planted; pl != nil && pl.Canary != "" {
		o.expected = fmt.Sprintf("the canary %s set at launch is absent", pl.Canary)
		if slices.Contains(names, pl.Canary) {
			o.status = severityStatus(j.profile.Env)
			o.observed = fmt.Sprintf("%s is still in the exec-time environment (%d variables)", pl.Canary, len(names))
			if o.status != report.Fail {
				o.observed += ": an environment cleared in process (clearenv) cannot be seen here, so this is advice"
			}
			return o
		}
		if s.EnvRewritten != "" {
			return rewrittenEnv(o, s.EnvRewritten, pl.Canary+" is not there")
		}
		o.status, o.observed = report.Pass, fmt.Sprintf("canary absent; %d variables at exec time", len(names))
		return o
	}
	var found []string
	for _, v := range sessionVariables {
		if slices.Contains(names, v) {
			found = append(found, v)
		}
	}
	if len(found) > 0 {
		o.status = report.Warn
		o.observed = fmt.Sprintf("carries login-session variables: %s", strings.Join(found, ", "))
		return o
	}
	if s.EnvRewritten != "" {
		return rewrittenEnv(o, s.EnvRewritten, "no login-session variable is there")
	}
	o.status, o.observed = report.Pass, fmt.Sprintf("%d variables at exec time, none from a login session", len(names))
	return o
}

// rewrittenEnv is the verdict when the process wrote over the memory
// /proc/PID/environ shows (its process title): what is absent from it
// proves nothing, so the check cannot be judged.
func rewrittenEnv(o outcome, rewritten, absent string) outcome {
	o.status = report.Unknown
	o.observed = fmt.Sprintf("%s in /proc/PID/environ, but the process wrote over that memory, as programs that set their process title do (it holds %s): the exec-time environment can no longer be read", absent, rewritten)
	return o
}

// KnownUser reports an error when name is neither a user of this system
// nor a numeric uid: a --user flag naming nobody is a usage error.
func KnownUser(name string) error {
	_, err := lookupUser(name)
	return err
}
