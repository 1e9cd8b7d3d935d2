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
	Proto string // tcp, tcp6, udp, udp6
	Port  int
	Inode uint64
}

func (l Listener) String() string { return fmt.Sprintf("%s port %d", l.Proto, l.Port) }

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
	if len(out) == 0 && firstErr != nil {
		return nil, firstErr
	}
	return out, nil
}

// ParseListeners parses one /proc/net/{tcp,udp}[6] table: TCP sockets in
// state LISTEN (0A), UDP sockets bound to a port and not connected (07).
func ParseListeners(proto string, data []byte) []Listener {
	var out []Listener
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 10 || !strings.HasSuffix(f[0], ":") {
			continue
		}
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
