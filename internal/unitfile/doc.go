// Package unitfile is daemonlab's own parser and linter for systemd unit
// files. It reports every problem as a Diagnostic with the file name and the
// physical line number, so a student sees "mydaemon.service:6: warning: ..."
// before the unit ever reaches systemd-analyze verify.
//
// # What the parser follows
//
// The syntax is the one of systemd.syntax(7) and of systemd's own
// config_parse():
//
//   - a section starts with a "[Name]" line;
//   - an assignment is "Key=Value": the key is everything before the first
//     "=", the value everything after it, both trimmed of blanks (space, tab,
//     CR, LF, exactly systemd's WHITESPACE set);
//   - a line whose first non-blank character is "#" or ";" is a comment.
//     There are no inline comments: in "ExecStart=/bin/x # y" the value is
//     "/bin/x # y" and systemd passes "#" and "y" as arguments;
//   - a line ending in an odd number of backslashes continues on the next
//     line; the final backslash is replaced by a space. Comment lines inside a
//     continuation are skipped, an empty line ends it;
//   - repeated keys are kept in order. An empty assignment "Key=" is kept as
//     an Entry with an empty Value (for list settings it resets the list; see
//     Unit.Effective);
//   - a UTF-8 byte order mark at the start of the file is dropped;
//   - "\n", "\r\n" and a lone "\r" all end a line, as in systemd's
//     read_line(). Windows line endings are accepted but reported once as a
//     warning (code "crlf"), because other tools in the course (shell scripts,
//     EnvironmentFile=) do not tolerate them;
//   - a line longer than 1 MiB (systemd's LONG_LINE_MAX) is an error.
//
// # Deliberate deviations from systemd
//
// The package is a teaching linter, so it is stricter or more precise than
// systemd in a few places:
//
//   - an assignment before the first section header is an error ("no-section");
//     systemd only warns and ignores it;
//   - a malformed header ("[Service", "[Service] # x") and an empty one ("[]")
//     are errors; systemd refuses the first kind and silently accepts "[]".
//     Assignments following a malformed header are dropped (systemd refuses
//     to load the unit at all);
//   - an assignment with nothing before "=" is a syntax error;
//   - the line of an Entry and of its diagnostics is the first physical line
//     of a continued line (where the key is), not the last one as systemd
//     reports;
//   - a NUL byte does not end a line (systemd treats it as a line end);
//   - Exec*= commands must use an absolute path (systemd >= 239 also accepts a
//     bare name looked up in a fixed PATH); a leading specifier that expands
//     to an absolute path (%h, %t, %S, ...) is accepted;
//   - PIDFile= must be absolute (newer systemd prefixes a relative path with
//     /run);
//   - a unit that cannot be enabled (no [Install] with WantedBy=, RequiredBy=,
//     UpheldBy=, Alias= or Also=) gets a warning; systemd is silent until
//     "systemctl enable".
//
// Unknown keys are warnings, as in systemd; when a key is within edit distance
// 2 of a known one (case-insensitively) the diagnostic has code "typo" and
// suggests it, and a key that belongs to another section gets
// "misplaced-key". Keys starting with "X-" and sections starting with "X-" are
// always accepted.
//
// Lint knows the [Unit] and [Install] keys of systemd.unit(5), the [Service]
// keys of systemd.service(5), the common keys of systemd.exec(5),
// systemd.kill(5) and systemd.resource-control(5), and the [Socket] and
// [Timer] keys. Other sections ([Mount], [Path], ...) are recognised but their
// keys are not checked.
package unitfile
