package procfs

import (
	"bufio"
	"bytes"
	"fmt"
	"strconv"
	"strings"
)

// Listener is a bound socket a second copy of a daemon could not bind again.
type Listener struct {
	Proto string // tcp, tcp6, udp, udp6, unix
	Port  int
	// Path is a unix socket's name: a file path, or @name in the abstract
	// namespace.
	Path  string
	Inode uint64
}

func (l Listener) String() string {
	if l.Proto == "unix" {
		if strings.HasPrefix(l.Path, "@") {
			if strings.Trim(l.Path, "@") == "" {
				// the kernel prints each NUL of the name as '@': a name
				// of NULs only (irqbalance's) reads as a row of them
				return "abstract unix socket with an all-NUL name"
			}
			return "abstract unix socket " + l.Path
		}
		return "unix socket " + l.Path
	}
	return fmt.Sprintf("%s port %d", l.Proto, l.Port)
}

// Abstract reports a unix socket in the abstract namespace: no file to
// unlink, so a second bind of the name always fails.
func (l Listener) Abstract() bool { return l.Proto == "unix" && strings.HasPrefix(l.Path, "@") }

// Listeners reads the listening TCP and bound UDP sockets of the process's
// network namespace (/proc/PID/net/{tcp,tcp6,udp,udp6}), by socket inode.
func (p FS) Listeners(pid int) (map[uint64]Listener, error) {
	out := map[uint64]Listener{}
	var firstErr error
	for _, proto := range []string{"tcp", "tcp6", "udp", "udp6"} {
		data, err := p.ReadFile(pid, "net", proto)
		if err != nil {
			if firstErr == nil {
				firstErr = err
			}
			continue
		}
		for _, l := range ParseListeners(proto, data) {
			out[l.Inode] = l
		}
	}
	if data, err := p.ReadFile(pid, "net", "unix"); err == nil {
		for _, l := range ParseUnixListeners(data) {
			out[l.Inode] = l
		}
	}
	if len(out) == 0 && firstErr != nil {
		return nil, firstErr
	}
	return out, nil
}

// ParseListeners parses one /proc/net/{tcp,udp}[6] table: TCP sockets in
// state LISTEN (0A), UDP sockets bound to a port and not connected (07).
func ParseListeners(proto string, data []byte) []Listener {
	var out []Listener
	for _, f := range tableRows(data, 10) {
		state := f[3]
		if strings.HasPrefix(proto, "tcp") && state != "0A" || strings.HasPrefix(proto, "udp") && state != "07" {
			continue
		}
		_, portHex, ok := strings.Cut(f[1], ":")
		if !ok {
			continue
		}
		port, err1 := strconv.ParseUint(portHex, 16, 16)
		ino, err2 := strconv.ParseUint(f[9], 10, 64)
		if err1 != nil || err2 != nil || port == 0 || ino == 0 {
			continue
		}
		out = append(out, Listener{Proto: proto, Port: int(port), Inode: ino})
	}
	return out
}

// ParseUnixListeners parses /proc/net/unix: named sockets that are
// listening (stream, seqpacket: the __SO_ACCEPTCON flag) or bound
// datagram sockets, with a path or an abstract (@) name.
func ParseUnixListeners(data []byte) []Listener {
	var out []Listener
	// Num RefCount Protocol Flags Type St Inode Path
	for _, f := range tableRows(data, 8) {
		flags, err1 := strconv.ParseUint(f[3], 16, 32)
		typ, err2 := strconv.ParseUint(f[4], 16, 16)
		ino, err3 := strconv.ParseUint(f[6], 10, 64)
		if err1 != nil || err2 != nil || err3 != nil || ino == 0 {
			continue
		}
		const acceptCon, dgram = 0x10000, 2
		if flags&acceptCon == 0 && typ != dgram {
			continue
		}
		out = append(out, Listener{Proto: "unix", Path: strings.Join(f[7:], " "), Inode: ino})
	}
	return out
}

// UnixStreams reads the connected unix stream sockets of the process's
// network namespace (/proc/PID/net/unix), by inode: what a journal stream
// (systemd's StandardOutput=journal) is, and a TCP listener is not.
func (p FS) UnixStreams(pid int) (map[uint64]bool, error) {
	data, err := p.ReadFile(pid, "net", "unix")
	if err != nil {
		return nil, err
	}
	return ParseUnixStreams(data), nil
}

// ParseUnixStreams parses /proc/net/unix: stream sockets that are not
// listening (no __SO_ACCEPTCON flag), by inode.
func ParseUnixStreams(data []byte) map[uint64]bool {
	out := map[uint64]bool{}
	for _, f := range tableRows(data, 7) {
		flags, err1 := strconv.ParseUint(f[3], 16, 32)
		typ, err2 := strconv.ParseUint(f[4], 16, 16)
		ino, err3 := strconv.ParseUint(f[6], 10, 64)
		const acceptCon, stream = 0x10000, 1
		if err1 == nil && err2 == nil && err3 == nil && ino != 0 && typ == stream && flags&acceptCon == 0 {
			out[ino] = true
		}
	}
	return out
}

// tableRows are the fields of the rows of a /proc/net table that have at
// least minFields fields: rows start with "N:", the heading does not.
func tableRows(data []byte, minFields int) [][]string {
	var rows [][]string
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) >= minFields && strings.HasSuffix(f[0], ":") {
			rows = append(rows, f)
		}
	}
	return rows
}
