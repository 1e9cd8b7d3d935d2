package unitfile

import (
	"slices"
	"strings"
)

type linter struct {
	diagnostics
	u    *Unit
	kind string
}

// Lint checks a parsed unit as a unit of the given kind ("service",
// "socket", "timer", ... as returned by Kind; "" checks only what all units
// share). It returns diagnostics sorted by line; syntax problems are Parse's.
func Lint(u *Unit, kind string) []Diagnostic {
	if u == nil {
		return nil
	}
	l := &linter{diagnostics: diagnostics{path: u.Path}, u: u, kind: kind}
	l.sections()
	l.values()
	switch kind {
	case "service":
		l.service()
	case "socket":
		l.socket()
	case "timer":
		l.timer()
	}
	switch kind {
	case "service", "socket", "timer":
		l.install()
	}
	SortDiagnostics(l.list)
	return l.list
}

// sectionValid reports whether a known section is read for this kind of unit.
func (l *linter) sectionValid(name string) bool {
	if name == "Unit" || name == "Install" {
		return true
	}
	own, known := kindSection[l.kind]
	if !known {
		return true // unknown or empty kind: accept every known section
	}
	return name == own
}

// sections checks section names and the keys of the sections Lint knows.
func (l *linter) sections() {
	for _, s := range l.u.Sections {
		switch {
		case strings.HasPrefix(s.Name, "X-"):
			continue
		case !slices.Contains(knownSections, s.Name):
			if alt, ok := suggest(s.Name, knownSections); ok {
				l.report(s.Line, Warning, CodeTypo, "unknown section [%s], did you mean [%s]?", s.Name, alt)
			} else {
				l.report(s.Line, Warning, CodeUnknownSection, "unknown section [%s]; systemd ignores it", s.Name)
			}
			continue
		case !l.sectionValid(s.Name):
			l.report(s.Line, Warning, CodeWrongSection, "section [%s] is ignored in a .%s unit", s.Name, l.kind)
			continue
		}
		known, checked := sectionKeySet[s.Name]
		if !checked {
			continue
		}
		for _, e := range s.Entries {
			if known[e.Key] || strings.HasPrefix(e.Key, "X-") {
				continue
			}
			l.unknownKey(s.Name, e)
		}
	}
}

func (l *linter) unknownKey(section string, e Entry) {
	for _, other := range checkedSections {
		if other == section || !sectionKeySet[other][e.Key] {
			continue
		}
		where := "[" + other + "]"
		if !l.sectionValid(other) {
			where += " of a ." + strings.ToLower(other) + " unit"
		}
		l.report(e.Line, Warning, CodeMisplacedKey, "key %s belongs in %s, not [%s]; systemd ignores it here", e.Key, where, section)
		return
	}
	if alt, ok := suggest(e.Key, sectionKeys[section]); ok {
		l.report(e.Line, Warning, CodeTypo, "unknown key %s, did you mean %s?", e.Key, alt)
		return
	}
	l.report(e.Line, Warning, CodeUnknownKey, "unknown key %s in section [%s]; systemd ignores it", e.Key, section)
}

// values checks the syntax of values in the sections Lint knows: booleans,
// time spans, command paths, Type=, Restart=, PIDFile=, StandardOutput=.
func (l *linter) values() {
	for _, s := range l.u.Sections {
		if _, checked := sectionKeySet[s.Name]; !checked || !l.sectionValid(s.Name) {
			continue
		}
		for _, e := range s.Entries {
			if e.Value == "" {
				continue // an empty assignment resets the setting
			}
			l.value(s.Name, e)
		}
	}
}

func (l *linter) value(section string, e Entry) {
	if extra, ok := boolKeys[e.Key]; ok {
		if _, ok := ParseBool(e.Value); !ok && !slices.Contains(extra, e.Value) {
			want := "a boolean (yes/no, true/false, on/off, 1/0)"
			if len(extra) > 0 {
				want += " or " + strings.Join(extra, ", ")
			}
			l.report(e.Line, Error, CodeBadBool, "%s=%s: expected %s", e.Key, e.Value, want)
		}
		return
	}
	if timespanKeys[e.Key] {
		if !ValidTimespan(e.Value) {
			l.report(e.Line, Error, CodeBadTimespan,
				"%s=%s is not a time span; write e.g. 5, 5s, 100ms, 1min 30s or infinity (see systemd.time(7))", e.Key, e.Value)
		}
		return
	}
	if execCommandKeys[e.Key] {
		l.execPath(e)
		return
	}
	if section != "Service" {
		return
	}
	switch e.Key {
	case "Type":
		if !slices.Contains(serviceTypes, e.Value) {
			l.report(e.Line, Error, CodeBadType, "Type=%s is not a service type; use one of %s", e.Value, strings.Join(serviceTypes, ", "))
		}
	case "Restart":
		if !slices.Contains(restartValues, e.Value) {
			l.report(e.Line, Error, CodeBadRestart, "Restart=%s is not valid; use one of %s", e.Value, strings.Join(restartValues, ", "))
		}
	case "PIDFile":
		if !strings.HasPrefix(e.Value, "/") {
			l.report(e.Line, Error, CodeRelativePIDFile, "PIDFile=%s is not an absolute path (systemd would read it below /run/); write it in full, e.g. /run/%s", e.Value, strings.TrimLeft(e.Value, "./"))
		}
	case "StandardOutput", "StandardError":
		if e.Value == "syslog" || e.Value == "syslog+console" {
			l.report(e.Line, Warning, CodeDeprecatedSyslog,
				"%s=%s is deprecated (systemd 246 and later treat it as journal); write %s=%s",
				e.Key, e.Value, e.Key, strings.Replace(e.Value, "syslog", "journal", 1))
		}
	}
}

// commandPath returns the executable of an Exec*= value: the first word after
// systemd's prefixes "@", "-", ":", "+", "!", "!!" (and "|"), unquoted.
func commandPath(v string) string {
	v = strings.TrimLeft(v, blanks)
	v = strings.TrimLeft(v, "@-:+!|")
	if v == "" {
		return ""
	}
	if q := v[0]; q == '"' || q == '\'' {
		if end := strings.IndexByte(v[1:], q); end >= 0 {
			return v[1 : 1+end]
		}
		return v[1:]
	}
	if end := strings.IndexAny(v, blanks); end >= 0 {
		return v[:end]
	}
	return v
}

func (l *linter) execPath(e Entry) {
	path := commandPath(e.Value)
	switch {
	case path == "":
		l.report(e.Line, Error, CodeRelativeExec, "%s=%s has no command", e.Key, e.Value)
	case strings.HasPrefix(path, "/"):
	case len(path) >= 2 && path[0] == '%' && strings.IndexByte(absSpecifiers, path[1]) >= 0:
	default:
		l.report(e.Line, Error, CodeRelativeExec,
			"%s= command %q is not an absolute path; systemd would search its PATH for it, but a unit should name the program it runs: write the full path, starting with /", e.Key, path)
	}
}

// service checks what a .service unit needs.
func (l *linter) service() {
	sec := l.u.Section("Service")
	if sec == nil {
		l.report(0, Error, CodeMissingSection, "no [Service] section: a .service unit needs one with at least ExecStart=")
		return
	}
	typ := "simple"
	if e, ok := l.u.Get("Service", "Type"); ok && e.Value != "" {
		typ = e.Value
	}
	starts := l.u.Effective("Service", "ExecStart")
	switch {
	case len(starts) == 0:
		l.report(sec.Line, Error, CodeMissingExecStart, "[Service] has no ExecStart=: systemd does not know what to run")
	case len(starts) > 1 && typ != "oneshot":
		l.report(starts[1].Line, Error, CodeMultipleExecStart,
			"more than one ExecStart= (first on line %d); only Type=oneshot services may have several", starts[0].Line)
	}
	if typ == "forking" {
		if e, ok := l.u.Get("Service", "PIDFile"); !ok || e.Value == "" {
			line := sec.Line
			if t, ok := l.u.Get("Service", "Type"); ok {
				line = t.Line
			}
			l.report(line, Warning, CodeForkingWithoutPIDFile,
				"Type=forking without PIDFile=: systemd has to guess the main process; add PIDFile=/run/NAME.pid")
		}
	}
	if typ == "oneshot" {
		if e, ok := l.u.Get("Service", "Restart"); ok && (e.Value == "always" || e.Value == "on-success") {
			l.report(e.Line, Error, CodeBadRestart, "Restart=%s is not allowed with Type=oneshot; use on-failure or no", e.Value)
		}
	}
}

// socket checks what a .socket unit needs.
func (l *linter) socket() {
	l.require("Socket", Error, CodeMissingSection, "no [Socket] section: a .socket unit needs one with a Listen*= setting",
		CodeMissingListen, "[Socket] has no Listen*= setting (ListenStream=, ListenDatagram=, ...): there is nothing to listen on", l.listens)
}

// listens reports whether a [Socket] section has a Listen*= setting.
func (l *linter) listens() bool {
	for _, s := range l.u.Sections {
		if s.Name != "Socket" {
			continue
		}
		for _, e := range s.Entries {
			if strings.HasPrefix(e.Key, "Listen") && e.Value != "" {
				return true
			}
		}
	}
	return false
}

// timer checks what a .timer unit needs.
func (l *linter) timer() {
	l.require("Timer", Error, CodeMissingSection, "no [Timer] section: a .timer unit needs one with an On*= setting",
		CodeMissingTrigger, "[Timer] has no On*= setting (OnCalendar=, OnBootSec=, ...): the timer never elapses", l.triggers)
}

// triggers reports whether [Timer] has a setting that makes it elapse.
func (l *linter) triggers() bool {
	if l.anySet("Timer", words("OnActiveSec OnBootSec OnStartupSec OnUnitActiveSec OnUnitInactiveSec OnCalendar")) {
		return true
	}
	for _, k := range []string{"OnClockChange", "OnTimezoneChange"} {
		if e, ok := l.u.Get("Timer", k); ok {
			if b, _ := ParseBool(e.Value); b {
				return true
			}
		}
	}
	return false
}

// install warns when the unit cannot be enabled.
func (l *linter) install() {
	l.require("Install", Warning, CodeMissingInstall, "no [Install] section: the unit cannot be enabled; add [Install] with WantedBy=multi-user.target",
		CodeMissingInstall, "[Install] has no WantedBy=, RequiredBy=, UpheldBy=, Alias= or Also=: the unit cannot be enabled", l.enables)
}

// enables reports whether [Install] has a setting that enabling acts on.
func (l *linter) enables() bool {
	return l.anySet("Install", slices.DeleteFunc(slices.Clone(installKeys), func(k string) bool { return k == "DefaultInstance" }))
}

// anySet reports whether any of keys has an effective value in section.
func (l *linter) anySet(section string, keys []string) bool {
	return slices.ContainsFunc(keys, func(k string) bool { return len(l.u.Effective(section, k)) > 0 })
}

// require reports, with severity sev, a unit without the section name
// (missingCode and missing, on line 0) or whose section holds nothing that
// has finds (code and empty, on the section's line).
func (l *linter) require(name string, sev Severity, missingCode, missing, code, empty string, has func() bool) {
	sec := l.u.Section(name)
	switch {
	case sec == nil:
		l.report(0, sev, missingCode, "%s", missing)
	case !has():
		l.report(sec.Line, sev, code, "%s", empty)
	}
}
