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
}

// commLen is TASK_COMM_LEN-1: the kernel truncates comm to 15 bytes.
const commLen = 15

// FindByName lists live processes (not threads, zombies or kernel threads)
// whose comm or executable basename is name. exclude (the caller) is
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
		if err != nil || st.IsZombie() || st.IsKernelThread() {
			continue
		}
		args := readCmdline(fs, pid)
		match := st.Comm == name || (len(name) > commLen && st.Comm == short && strings.HasPrefix(exeBase(fs, pid, args), name))
		if !match {
			match = exeBase(fs, pid, args) == name
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
