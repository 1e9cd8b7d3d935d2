package procfs

import (
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// FD is one open descriptor: where it points, what the target is (from
// stat through the magic link) and what fdinfo says about it.
type FD struct {
	Num    int
	Target string // readlink of fd/N: a path, "socket:[ino]", "pipe:[ino]", "anon_inode:[eventfd]"...
	// From stat(2) on fd/N, valid when HasStat.
	HasStat bool
	Mode    uint32 // st_mode, type and permission bits
	Dev     uint64 // st_dev of the file system holding the target
	Ino     uint64
	Rdev    uint64 // device number, for character and block devices
	UID     uint32
	// From fdinfo/N, valid when HasInfo.
	HasInfo bool
	Info    FDInfo
}

// IsCharDevice reports whether the target is a character device.
func (f FD) IsCharDevice() bool { return f.HasStat && f.Mode&unix.S_IFMT == unix.S_IFCHR }

// IsRegular reports whether the target is a regular file.
func (f FD) IsRegular() bool { return f.HasStat && f.Mode&unix.S_IFMT == unix.S_IFREG }

// IsSocket reports whether the target is a socket.
func (f FD) IsSocket() bool {
	return strings.HasPrefix(f.Target, "socket:") || (f.HasStat && f.Mode&unix.S_IFMT == unix.S_IFSOCK)
}

// IsPipe reports whether the target is a pipe or FIFO.
func (f FD) IsPipe() bool {
	return strings.HasPrefix(f.Target, "pipe:") || (f.HasStat && f.Mode&unix.S_IFMT == unix.S_IFIFO)
}

// AnonKind returns "eventpoll", "eventfd", "signalfd", ... for anonymous
// inodes, "" otherwise.
func (f FD) AnonKind() string {
	k, ok := strings.CutPrefix(f.Target, "anon_inode:")
	if !ok {
		return ""
	}
	return strings.Trim(k, "[]")
}

// DevMajor and DevMinor split st_dev the way /proc/locks prints it.
func (f FD) DevMajor() uint32 { return unix.Major(f.Dev) }

// DevMinor: see DevMajor.
func (f FD) DevMinor() uint32 { return unix.Minor(f.Dev) }

// FDInfo is the parsed content of /proc/PID/fdinfo/N.
type FDInfo struct {
	Pos    int64
	Flags  uint32 // open(2) flags, printed in octal by the kernel
	MntID  int
	Ino    uint64 // inode of the open file; absent before Linux 5.13
	HasIno bool
	Locks  []Lock // locks this open file holds ("lock:" lines)
	// SigMask is the set a signalfd consumes ("sigmask:" line), if any.
	SigMask    SigSet
	HasSigMask bool
}

// ParseFDInfo parses an fdinfo file.
func ParseFDInfo(data []byte) (FDInfo, error) {
	var fi FDInfo
	err := parseKeyValues(data, "fdinfo", func(key, value string) (err error) {
		switch key {
		case "pos":
			fi.Pos, err = strconv.ParseInt(value, 10, 64)
		case "flags":
			var f uint64
			f, err = strconv.ParseUint(value, 8, 32)
			fi.Flags = uint32(f)
		case "mnt_id":
			fi.MntID, err = strconv.Atoi(value)
		case "ino":
			fi.Ino, err = strconv.ParseUint(value, 10, 64)
			fi.HasIno = err == nil
		case "lock":
			var l Lock
			if l, err = ParseLockLine(value); err == nil {
				fi.Locks = append(fi.Locks, l)
			}
		case "sigmask":
			fi.SigMask, err = ParseSigSet(value)
			fi.HasSigMask = err == nil
		}
		return err
	})
	return fi, err
}

// AccessMode returns "r", "w" or "rw" from the open flags.
func (fi FDInfo) AccessMode() string {
	switch fi.Flags & unix.O_ACCMODE {
	case unix.O_WRONLY:
		return "w"
	case unix.O_RDWR:
		return "rw"
	}
	return "r"
}

// CloseOnExec reports whether O_CLOEXEC is set on the descriptor.
func (fi FDInfo) CloseOnExec() bool { return fi.Flags&unix.O_CLOEXEC != 0 }

// FDs lists the open descriptors of a process. A descriptor that closes
// while we read is skipped; a refused directory is returned as the error
// (IsPermission tells). Per-descriptor stat and fdinfo failures leave
// HasStat / HasInfo false rather than failing the whole listing.
func (p FS) FDs(pid int) ([]FD, error) {
	nums, err := readPIDDir(p.Path(pid, "fd"))
	if err != nil {
		return nil, err
	}
	out := make([]FD, 0, len(nums))
	for _, n := range nums {
		fd, err := p.fd(pid, n)
		switch {
		case err == nil:
			out = append(out, fd)
		case IsGone(err):
			// closed while we read
		default:
			// The directory is listable but the links are not (another
			// user's process, or one in another user namespace).
			return nil, err
		}
	}
	return out, nil
}

func (p FS) fd(pid, n int) (FD, error) {
	name := strconv.Itoa(n)
	fd := FD{Num: n}
	target, err := p.Readlink(pid, "fd", name)
	if err != nil {
		return fd, err
	}
	fd.Target = target
	var st unix.Stat_t
	if unix.Stat(p.Path(pid, "fd", name), &st) == nil {
		fd.HasStat = true
		fd.Mode, fd.Dev, fd.Ino, fd.Rdev, fd.UID = st.Mode, st.Dev, st.Ino, st.Rdev, st.Uid
	}
	if data, err := p.ReadFile(pid, "fdinfo", name); err == nil {
		if info, err := ParseFDInfo(data); err == nil {
			fd.Info, fd.HasInfo = info, true
		}
	}
	return fd, nil
}

// SocketInodes lists the inodes of the sockets a process holds, from the
// links of fd/ alone (no stat, no fdinfo).
func (p FS) SocketInodes(pid int) ([]uint64, error) {
	nums, err := readPIDDir(p.Path(pid, "fd"))
	if err != nil {
		return nil, err
	}
	var out []uint64
	for _, n := range nums {
		target, err := p.Readlink(pid, "fd", strconv.Itoa(n))
		if rest, ok := strings.CutPrefix(target, "socket:["); err == nil && ok {
			if ino, err := strconv.ParseUint(strings.TrimSuffix(rest, "]"), 10, 64); err == nil {
				out = append(out, ino)
			}
		}
	}
	return out, nil
}
