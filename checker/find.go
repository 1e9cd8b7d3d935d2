package checker

import (
	"path/filepath"
	"strings"

	"github.com/daemonlab/daemonlab/checker/procfs"
)

// Candidate is a process matching a name.
type Candidate struct {
	PID     int
	PPID    int
	Comm    string
	Cmdline string
	// Kernel is true for a kernel thread of that name: not a program.
	Kernel bool
}

// interpreters run scripts: the process is called python3, the daemon is
// the script it runs.
var interpreters = []string{"python", "python2", "python3", "perl", "sh", "bash", "dash", "ruby", "node", "php"}

// scriptName is the basename of the script an interpreter runs (its first
// argument that is not an option), or "".
func scriptName(args []string) string {
	if len(args) < 2 {
		return ""
	}
	interp := filepath.Base(args[0])
	known := false
	for _, i := range interpreters {
		if interp == i || strings.HasPrefix(interp, i) && strings.Trim(interp[len(i):], "0123456789.") == "" {
			known = true
		}
	}
	if !known {
		return ""
	}
	for _, a := range args[1:] {
		if a == "-u" || a == "-O" || a == "-OO" || a == "-E" || a == "-s" || a == "-B" {
			continue
		}
		if strings.HasPrefix(a, "-") {
			return "" // -c, -m: no script file
		}
		return filepath.Base(a)
	}
	return ""
}

// Master picks, among several processes of one name, the one whose parent
// is not one of them — apache2's parent over its workers — when there is
// exactly one such process.
func Master(cands []Candidate) (Candidate, bool) {
	in := map[int]bool{}
	for _, c := range cands {
		in[c.PID] = true
	}
	var roots []Candidate
	for _, c := range cands {
		if !in[c.PPID] {
			roots = append(roots, c)
		}
	}
	if len(roots) == 1 {
		return roots[0], true
	}
	return Candidate{}, false
}

// commLen is TASK_COMM_LEN-1: the kernel truncates comm to 15 bytes.
const commLen = 15

// FindByName lists live processes (not threads or zombies) whose comm or
// executable basename is name, or that run a script of that name (with or
// without its extension) under an interpreter; kernel threads of that name
// are listed with Kernel set. exclude (the caller) is
// skipped. Unreadable processes are skipped quietly.
func FindByName(fs procfs.FS, name string, exclude int) ([]Candidate, error) {
	pids, err := fs.PIDs()
	if err != nil {
		return nil, err
	}
	short := name
	if len(short) > commLen {
		short = short[:commLen]
	}
	var out []Candidate
	for _, pid := range pids {
		if pid == exclude {
			continue
		}
		st, err := fs.Stat(pid)
		if err != nil || st.IsZombie() {
			continue
		}
		if st.IsKernelThread() {
			if st.Comm == name || st.Comm == short {
				out = append(out, Candidate{PID: pid, PPID: st.PPID, Comm: st.Comm, Kernel: true})
			}
			continue
		}
		args := readCmdline(fs, pid)
		match := st.Comm == name || (len(name) > commLen && st.Comm == short && strings.HasPrefix(exeBase(fs, pid, args), name))
		if !match {
			match = exeBase(fs, pid, args) == name
		}
		if !match {
			if script := scriptName(args); script != "" {
				match = script == name || strings.TrimSuffix(script, filepath.Ext(script)) == name
			}
		}
		if match {
			out = append(out, Candidate{PID: pid, PPID: st.PPID, Comm: st.Comm, Cmdline: strings.Join(args, " ")})
		}
	}
	return out, nil
}

func readCmdline(fs procfs.FS, pid int) []string {
	data, err := fs.ReadFile(pid, "cmdline")
	if err != nil || len(data) == 0 {
		return nil
	}
	return strings.Split(strings.TrimRight(string(data), "\x00"), "\x00")
}

// exeBase is the basename of the executable, from the exe link when
// readable and from argv[0] otherwise.
func exeBase(fs procfs.FS, pid int, args []string) string {
	if exe, err := fs.Readlink(pid, "exe"); err == nil {
		return filepath.Base(strings.TrimSuffix(exe, " (deleted)"))
	}
	if len(args) > 0 {
		return filepath.Base(args[0])
	}
	return ""
}
