package procfs

import (
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// SigSet is a kernel signal mask: bit n-1 stands for signal n.
type SigSet uint64

// ParseSigSet parses the hexadecimal mask of a status line.
func ParseSigSet(hex string) (SigSet, error) {
	v, err := strconv.ParseUint(strings.TrimSpace(hex), 16, 64)
	return SigSet(v), err
}

// SigSetOf builds a mask from signals.
func SigSetOf(sigs ...syscall.Signal) SigSet {
	var s SigSet
	for _, sig := range sigs {
		if sig >= 1 && sig <= 64 {
			s |= 1 << (uint(sig) - 1)
		}
	}
	return s
}

// Has reports whether sig is in the set.
func (s SigSet) Has(sig syscall.Signal) bool {
	return sig >= 1 && sig <= 64 && s&(1<<(uint(sig)-1)) != 0
}

// Signals lists the members in ascending order.
func (s SigSet) Signals() []syscall.Signal {
	var out []syscall.Signal
	for n := 1; n <= 64; n++ {
		if s&(1<<uint(n-1)) != 0 {
			out = append(out, syscall.Signal(n))
		}
	}
	return out
}

// String names the members, e.g. "SIGHUP,SIGUSR1"; "none" when empty.
func (s SigSet) String() string {
	sigs := s.Signals()
	if len(sigs) == 0 {
		return "none"
	}
	names := make([]string, len(sigs))
	for i, sig := range sigs {
		names[i] = SignalName(sig)
	}
	return strings.Join(names, ",")
}

// Brief names at most n members and counts the rest.
func (s SigSet) Brief(n int) string {
	sigs := s.Signals()
	if len(sigs) <= n {
		return s.String()
	}
	names := make([]string, n)
	for i := range names {
		names[i] = SignalName(sigs[i])
	}
	return strings.Join(names, ",") + ",… (" + strconv.Itoa(len(sigs)) + " signals)"
}

// SignalName names a signal the way a C programmer writes it. Real-time
// signals are counted from glibc's SIGRTMIN (34); 32 and 33 are reserved by
// glibc's threading and keep their numbers.
func SignalName(sig syscall.Signal) string {
	if name := unix.SignalName(sig); name != "" {
		return name
	}
	switch {
	case sig == 34:
		return "SIGRTMIN"
	case sig > 34 && sig <= 64:
		return "SIGRTMIN+" + strconv.Itoa(int(sig)-34)
	}
	return "SIG" + strconv.Itoa(int(sig))
}

// ParseSignal accepts "SIGHUP", "HUP", "hup" or "1".
func ParseSignal(name string) (syscall.Signal, bool) {
	name = strings.ToUpper(strings.TrimSpace(name))
	if n, err := strconv.Atoi(name); err == nil {
		return syscall.Signal(n), n >= 1 && n <= 64
	}
	if !strings.HasPrefix(name, "SIG") {
		name = "SIG" + name
	}
	if sig := unix.SignalNum(name); sig != 0 {
		return sig, true
	}
	for n := 32; n <= 64; n++ {
		if SignalName(syscall.Signal(n)) == name {
			return syscall.Signal(n), true
		}
	}
	return 0, false
}
