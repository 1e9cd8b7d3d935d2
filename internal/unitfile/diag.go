package unitfile

import (
	"fmt"
	"sort"
	"strconv"
)

// Severity says whether a Diagnostic makes the unit wrong or only suspicious.
type Severity string

// The two severities.
const (
	Error   Severity = "error"
	Warning Severity = "warning"
)

// Diagnostic codes. They are stable: lab specs and reports refer to them.
const (
	CodeRead                  = "read"                    // the input could not be read
	CodeSyntax                = "syntax"                  // not a header, comment or Key=Value; malformed header; over-long line
	CodeNoSection             = "no-section"              // assignment before the first [Section]
	CodeCRLF                  = "crlf"                    // Windows (CR LF) or old Mac (CR) line endings
	CodeTrailingBackslash     = "trailing-backslash"      // backslash followed by blanks: does not continue the line
	CodeUnknownSection        = "unknown-section"         // section systemd does not know
	CodeWrongSection          = "wrong-section"           // known section, but ignored in this unit type
	CodeUnknownKey            = "unknown-key"             // key systemd does not know in this section
	CodeTypo                  = "typo"                    // unknown key or section close to a known one
	CodeMisplacedKey          = "misplaced-key"           // key that belongs to another section
	CodeMissingSection        = "missing-section"         // the unit type's own section ([Service], ...) is absent
	CodeMissingExecStart      = "missing-execstart"       // [Service] without ExecStart=
	CodeMultipleExecStart     = "multiple-execstart"      // more than one ExecStart= outside Type=oneshot
	CodeRelativeExec          = "relative-exec"           // Exec*= command without an absolute path
	CodeBadType               = "bad-type"                // Type= value unknown
	CodeBadRestart            = "bad-restart"             // Restart= value unknown or not allowed with Type=oneshot
	CodeForkingWithoutPIDFile = "forking-without-pidfile" // Type=forking without PIDFile=
	CodeRelativePIDFile       = "relative-pidfile"        // PIDFile= not absolute
	CodeBadBool               = "bad-bool"                // boolean setting that is not a systemd boolean
	CodeBadTimespan           = "bad-timespan"            // time span that systemd.time(7) does not accept
	CodeDeprecatedSyslog      = "deprecated-syslog"       // StandardOutput/StandardError=syslog
	CodeMissingInstall        = "missing-install"         // the unit cannot be enabled
	CodeMissingListen         = "missing-listen"          // .socket without Listen*=
	CodeMissingTrigger        = "missing-trigger"         // .timer without On*=
)

// Diagnostic is one problem found in a unit file. Line is the 1-based
// physical line, or 0 for a problem of the whole unit.
type Diagnostic struct {
	Path     string
	Line     int
	Severity Severity
	Code     string
	Message  string
}

// String renders the diagnostic GCC style: "path:line: severity: message",
// without ":line" when Line is 0 and without "path:" when Path is empty.
func (d Diagnostic) String() string {
	loc := d.Path
	if d.Line > 0 {
		if loc != "" {
			loc += ":"
		}
		loc += strconv.Itoa(d.Line)
	}
	if loc != "" {
		loc += ": "
	}
	return fmt.Sprintf("%s%s: %s", loc, d.Severity, d.Message)
}

// HasErrors reports whether any diagnostic has severity Error.
func HasErrors(ds []Diagnostic) bool {
	for _, d := range ds {
		if d.Severity == Error {
			return true
		}
	}
	return false
}

// SortDiagnostics orders diagnostics by line (unit-wide ones, line 0, first),
// keeping the original order within a line.
func SortDiagnostics(ds []Diagnostic) {
	sort.SliceStable(ds, func(i, j int) bool { return ds[i].Line < ds[j].Line })
}

// diagnostics collects the diagnostics of one unit file, for the parser
// and the linter alike.
type diagnostics struct {
	path string
	list []Diagnostic
}

func (d *diagnostics) report(line int, sev Severity, code, format string, args ...any) {
	d.list = append(d.list, Diagnostic{
		Path:     d.path,
		Line:     line,
		Severity: sev,
		Code:     code,
		Message:  fmt.Sprintf(format, args...),
	})
}
