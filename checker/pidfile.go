package checker

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/daemonlab/daemonlab/checker/procfs"
	"golang.org/x/sys/unix"
)

// PIDFile is the pid file as read during the snapshot.
type PIDFile struct {
	Path string
	// How says how the path was chosen: "given", or how it was discovered.
	How    string
	Exists bool
	Err    error // reading failed for another reason than not existing
	Raw    []byte
	PID    int // 0 when Raw does not parse
	Mode   os.FileMode
	UID    uint32
	GID    uint32
	Dev    uint64
	Ino    uint64
}

// ParsePID reads a pid file's content leniently: surrounding white space
// and NUL bytes are ignored and only the first word counts.
func ParsePID(raw []byte) (int, error) {
	text := strings.TrimSpace(strings.ReplaceAll(string(raw), "\x00", " "))
	if text == "" {
		return 0, errors.New("the pid file is empty")
	}
	first := strings.Fields(text)[0]
	pid, err := strconv.Atoi(first)
	if err != nil || pid <= 0 {
		return 0, fmt.Errorf("the pid file holds %q, not a pid", truncateString(first, 32))
	}
	return pid, nil
}

func truncateString(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

// readPIDFile reads the given pid file or discovers one: an open descriptor
// of the process named *.pid, then the usual places under /run.
func readPIDFile(fs procfs.FS, given string, s *Snapshot) PIDFile {
	if given != "" {
		return statPIDFile(given, "given")
	}
	for _, fd := range s.FDs {
		if fd.IsRegular() && strings.HasSuffix(fd.Target, ".pid") {
			return statPIDFile(fd.Target, fmt.Sprintf("held open on fd %d", fd.Num))
		}
	}
	for _, cand := range cmdlinePIDFiles(s.Cmdline) {
		if !filepath.IsAbs(cand) {
			if s.CwdErr != nil || s.Cwd == "" {
				continue
			}
			cand = filepath.Join(s.Cwd, cand)
		}
		// taken only when it names this very process: "-p" is a port,
		// a profile or anything else to many programs
		if pf := statPIDFile(cand, "named on its command line"); pf.Exists && pf.PID == s.PID {
			return pf
		}
	}
	names := []string{s.Stat.Comm}
	if s.Exe != "" {
		if base := filepath.Base(strings.TrimSuffix(s.Exe, " (deleted)")); base != s.Stat.Comm {
			names = append(names, base)
		}
	}
	// A candidate naming another live process belongs to someone else (a
	// master process, a namesake); one naming a dead pid is this daemon's
	// stale or wrong pid file and is worth reporting.
	var stale PIDFile
	for _, dir := range []string{"/run", "/var/run"} {
		for _, name := range names {
			for _, cand := range []string{
				filepath.Join(dir, name+".pid"),
				filepath.Join(dir, name, name+".pid"),
				filepath.Join(dir, name, "pid"),
			} {
				pf := statPIDFile(cand, "found at "+cand)
				switch {
				case !pf.Exists:
				case pf.PID == s.PID:
					return pf
				case stale.Path == "" && (pf.PID == 0 || !Running(fs, pf.PID)):
					stale = pf
				}
			}
		}
	}
	if stale.Path != "" {
		return stale
	}
	return findUnderRun(names, s.PID)
}

// pidFileFlags are the options that name a pid file on command lines
// (fail2ban-server -p, --pidfile, dropbear -P, xinetd -pidfile).
var pidFileFlags = []string{"-p", "-P", "--pid", "--pidfile", "-pidfile", "--pid-file"}

// cmdlinePIDFiles lists the values of pid-file options in a command line
// ("-p FILE", "--pidfile=FILE"), argv[0] left out.
func cmdlinePIDFiles(argv []string) []string {
	var out []string
	for i := 1; i < len(argv); i++ {
		for _, flag := range pidFileFlags {
			if argv[i] == flag && i+1 < len(argv) && argv[i+1] != "" {
				out = append(out, argv[i+1])
			} else if v, ok := strings.CutPrefix(argv[i], flag+"="); ok && v != "" {
				out = append(out, v)
			}
		}
	}
	return out
}

// findUnderRun looks for NAME.pid or pid in the directories of /run (a
// daemon's own: /run/redis/redis-server.pid, /run/chrony/chronyd.pid,
// /run/dbus/pid) and for any /run/*.pid under another name
// (inetutils-syslogd's /run/syslog.pid), and takes one only when it names
// this very process: a file there naming another pid may be anybody's.
// One directory listing, and only when the usual places found nothing.
func findUnderRun(names []string, pid int) PIDFile {
	entries, err := os.ReadDir("/run")
	if err != nil {
		return PIDFile{}
	}
	for _, e := range entries {
		if e.Type().IsRegular() && strings.HasSuffix(e.Name(), ".pid") {
			cand := filepath.Join("/run", e.Name())
			if pf := statPIDFile(cand, "found at "+cand); pf.Exists && pf.PID == pid {
				return pf
			}
		}
		if !e.IsDir() {
			continue
		}
		for _, base := range append(names[:len(names):len(names)], "pid") {
			cand := filepath.Join("/run", e.Name(), base)
			if base != "pid" {
				cand += ".pid"
			}
			if pf := statPIDFile(cand, "found at "+cand); pf.Exists && pf.PID == pid {
				return pf
			}
		}
	}
	return PIDFile{}
}

func statPIDFile(path, how string) PIDFile {
	pf := PIDFile{Path: path, How: how}
	raw, err := os.ReadFile(path)
	if err != nil {
		if !errors.Is(err, os.ErrNotExist) {
			pf.Exists, pf.Err = true, err
			// an unreadable file can still be stat'ed: its inode finds
			// its lock in /proc/locks
			var st unix.Stat_t
			if unix.Stat(path, &st) == nil {
				pf.Mode, pf.UID, pf.GID, pf.Dev, pf.Ino = os.FileMode(st.Mode&0777), st.Uid, st.Gid, st.Dev, st.Ino
			}
		}
		return pf
	}
	pf.Exists, pf.Raw = true, raw
	pf.PID, _ = ParsePID(raw)
	var st unix.Stat_t
	if unix.Stat(path, &st) == nil {
		pf.Mode = os.FileMode(st.Mode & 0777)
		if st.Mode&unix.S_IFMT != unix.S_IFREG {
			pf.Mode |= os.ModeIrregular
		}
		pf.UID, pf.GID, pf.Dev, pf.Ino = st.Uid, st.Gid, st.Dev, st.Ino
	}
	return pf
}
