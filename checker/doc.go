// Package checker inspects one process and judges it as a daemon.
//
// Take reads everything the static checks need once — gopsutil where it
// has the field, the package procfs for what it lacks — into a Snapshot,
// a value that holds its read errors instead of failing: a permission
// problem is judged "unknown", never "fail". Judge then runs the static
// checks as pure functions of the snapshot, a Profile (the expectations:
// the seeds' textbook daemon by default, or a lab's) and, in launch mode,
// what the launch planted (see package launch). It reads nothing more.
//
// The behavioural probes (a second start, SIGHUP, SIGTERM, a stale pid
// file) act on the daemon and live in package probe; Check builds the
// report entries of both.
package checker
