package procfs

import (
	"fmt"
	"strconv"
	"strings"
)

// Status holds the fields of /proc/PID/status (or task/TID/status) that
// daemonlab judges. Optional fields that older kernels lack have a Has flag.
type Status struct {
	Name     string
	Umask    uint32
	HasUmask bool // Umask appeared in Linux 4.7
	State    byte
	Tgid     int
	PID      int
	PPID     int
	NSpid    []int // pid in each nested namespace, outermost first
	UID      [4]uint32
	GID      [4]uint32
	Groups   []uint32
	SigPnd   SigSet
	ShdPnd   SigSet
	SigBlk   SigSet
	SigIgn   SigSet
	SigCgt   SigSet
	CapEff   uint64
	CapPrm   uint64
	CapBnd   uint64
	// NoNewPrivs is meaningful only when HasNoNewPrivs.
	NoNewPrivs    bool
	HasNoNewPrivs bool
}

// ParseStatus parses the "Key:\tvalue" lines of a status file. Unknown keys
// are ignored; a malformed value of a known key is an error.
func ParseStatus(data []byte) (Status, error) {
	var s Status
	seenName := false
	err := parseKeyValues(data, "status", func(key, value string) (err error) {
		switch key {
		case "Name":
			s.Name, seenName = value, true
		case "Umask":
			var u uint64
			u, err = strconv.ParseUint(value, 8, 32)
			s.Umask, s.HasUmask = uint32(u), err == nil
		case "State":
			if value != "" {
				s.State = value[0]
			}
		case "Tgid":
			s.Tgid, err = strconv.Atoi(value)
		case "Pid":
			s.PID, err = strconv.Atoi(value)
		case "PPid":
			s.PPID, err = strconv.Atoi(value)
		case "NSpid":
			s.NSpid, err = parseInts(value)
		case "Uid":
			err = parseIDs(value, &s.UID)
		case "Gid":
			err = parseIDs(value, &s.GID)
		case "Groups":
			for _, f := range strings.Fields(value) {
				g, gerr := strconv.ParseUint(f, 10, 32)
				if gerr != nil {
					err = gerr
					break
				}
				s.Groups = append(s.Groups, uint32(g))
			}
		case "SigPnd":
			s.SigPnd, err = ParseSigSet(value)
		case "ShdPnd":
			s.ShdPnd, err = ParseSigSet(value)
		case "SigBlk":
			s.SigBlk, err = ParseSigSet(value)
		case "SigIgn":
			s.SigIgn, err = ParseSigSet(value)
		case "SigCgt":
			s.SigCgt, err = ParseSigSet(value)
		case "CapEff":
			s.CapEff, err = strconv.ParseUint(value, 16, 64)
		case "CapPrm":
			s.CapPrm, err = strconv.ParseUint(value, 16, 64)
		case "CapBnd":
			s.CapBnd, err = strconv.ParseUint(value, 16, 64)
		case "NoNewPrivs":
			s.NoNewPrivs, s.HasNoNewPrivs = value == "1", true
		}
		return err
	})
	if err != nil {
		return s, err
	}
	if !seenName {
		return s, fmt.Errorf("status: no Name line")
	}
	return s, nil
}

func parseInts(value string) ([]int, error) {
	var out []int
	for _, f := range strings.Fields(value) {
		n, err := strconv.Atoi(f)
		if err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, nil
}

func parseIDs(value string, dst *[4]uint32) error {
	f := strings.Fields(value)
	if len(f) != 4 {
		return fmt.Errorf("want 4 ids, got %d", len(f))
	}
	for i := range f {
		n, err := strconv.ParseUint(f[i], 10, 32)
		if err != nil {
			return err
		}
		dst[i] = uint32(n)
	}
	return nil
}

// Status reads and parses /proc/PID/status.
func (p FS) Status(pid int) (Status, error) {
	data, err := p.ReadFile(pid, "status")
	if err != nil {
		return Status{}, err
	}
	return ParseStatus(data)
}

// Tasks lists the thread ids of a process (task/ entries).
func (p FS) Tasks(pid int) ([]int, error) {
	return readPIDDir(p.Path(pid, "task"))
}

// TaskStatus reads the status of one thread; SigBlk is per thread.
func (p FS) TaskStatus(pid, tid int) (Status, error) {
	data, err := p.ReadFile(pid, "task", strconv.Itoa(tid), "status")
	if err != nil {
		return Status{}, err
	}
	return ParseStatus(data)
}

// TaskWchan reads the kernel function a thread sleeps in ("0" or "" when
// running or hidden). A thread in do_sigtimedwait is waiting for signals.
func (p FS) TaskWchan(pid, tid int) (string, error) {
	data, err := p.ReadFile(pid, "task", strconv.Itoa(tid), "wchan")
	return strings.TrimSpace(string(data)), err
}

// Children lists the children of the threads tids of process pid
// (task/TID/children), in order, each once.
func (p FS) Children(pid int, tids []int) []int {
	var out []int
	seen := map[int]bool{}
	for _, tid := range tids {
		data, err := p.ReadFile(pid, "task", strconv.Itoa(tid), "children")
		if err != nil {
			continue
		}
		for _, f := range strings.Fields(string(data)) {
			if c, err := strconv.Atoi(f); err == nil && !seen[c] {
				seen[c] = true
				out = append(out, c)
			}
		}
	}
	return out
}
