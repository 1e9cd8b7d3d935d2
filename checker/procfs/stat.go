package procfs

import (
	"bytes"
	"fmt"
	"strconv"
)

// Stat holds the fields of /proc/PID/stat that daemonlab judges.
type Stat struct {
	PID        int
	Comm       string
	State      byte
	PPID       int
	PGRP       int
	Session    int
	TTYNr      int // encoded dev_t of the controlling terminal, 0 when none
	TPGID      int // foreground process group of that terminal, -1 when none
	Flags      uint64
	NumThreads int
	StartTicks uint64 // clock ticks after boot; with PID it identifies a process
}

// pfKthread is PF_KTHREAD from include/linux/sched.h.
const pfKthread = 0x00200000

// IsKernelThread reports whether the kernel flagged the task as a kthread.
func (s Stat) IsKernelThread() bool { return s.Flags&pfKthread != 0 }

// IsZombie reports whether the process has exited and waits to be reaped.
func (s Stat) IsZombie() bool { return s.State == 'Z' || s.State == 'X' }

// TTYMajor and TTYMinor decode tty_nr as the kernel encodes it
// (new_encode_dev: minor bits 0-7 and 20-31, major bits 8-19).
func (s Stat) TTYMajor() uint32 { return uint32(s.TTYNr>>8) & 0xfff }

// TTYMinor: see TTYMajor.
func (s Stat) TTYMinor() uint32 {
	return uint32(s.TTYNr&0xff) | uint32(s.TTYNr>>12)&0xfff00
}

// ParseStat parses /proc/PID/stat. The command name may contain spaces and
// parentheses, so it is everything between the first '(' and the LAST ')'.
func ParseStat(data []byte) (Stat, error) {
	var s Stat
	open := bytes.IndexByte(data, '(')
	closing := bytes.LastIndexByte(data, ')')
	if open < 0 || closing < open {
		return s, fmt.Errorf("stat: no command name in %q", truncate(data))
	}
	pid, err := strconv.Atoi(string(bytes.TrimSpace(data[:open])))
	if err != nil {
		return s, fmt.Errorf("stat: bad pid: %w", err)
	}
	s.PID = pid
	s.Comm = string(data[open+1 : closing])
	fields := bytes.Fields(data[closing+1:])
	// fields[0] is field 3 (state) of proc(5); starttime is field 22.
	if len(fields) < 20 {
		return s, fmt.Errorf("stat: %d fields after the command name, want at least 20", len(fields))
	}
	if len(fields[0]) != 1 {
		return s, fmt.Errorf("stat: bad state %q", fields[0])
	}
	s.State = fields[0][0]
	ints := []*int{&s.PPID, &s.PGRP, &s.Session, &s.TTYNr, &s.TPGID}
	for i, dst := range ints {
		if *dst, err = strconv.Atoi(string(fields[1+i])); err != nil {
			return s, fmt.Errorf("stat: field %d: %w", 4+i, err)
		}
	}
	if s.Flags, err = strconv.ParseUint(string(fields[6]), 10, 64); err != nil {
		return s, fmt.Errorf("stat: flags: %w", err)
	}
	if s.NumThreads, err = strconv.Atoi(string(fields[17])); err != nil {
		return s, fmt.Errorf("stat: num_threads: %w", err)
	}
	if s.StartTicks, err = strconv.ParseUint(string(fields[19]), 10, 64); err != nil {
		return s, fmt.Errorf("stat: starttime: %w", err)
	}
	return s, nil
}

// Stat reads and parses /proc/PID/stat.
func (p FS) Stat(pid int) (Stat, error) {
	data, err := p.ReadFile(pid, "stat")
	if err != nil {
		return Stat{}, err
	}
	return ParseStat(data)
}

func truncate(b []byte) []byte {
	if len(b) > 80 {
		return b[:80]
	}
	return b
}
