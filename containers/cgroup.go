package containers

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// cgroupParent is the parent of every lab container's cgroup (the cgroupfs
// driver's default, set explicitly so the path is known before start).
const cgroupParent = "/docker"

// ownCgroup gives a systemd container on a cgroup-v1 host write access to
// its own name=systemd cgroup and nothing else. systemd as PID 1 needs that
// hierarchy writable; the engine mounts it read-only, and binding the host's
// whole hierarchy (the usual recipe) lets root inside write anywhere in it.
// The container's own directory is only known after create, so the bind
// source is a symlink made between create and start (prepare): the engine
// resolves it when it mounts. runc removes the directory with the container;
// remove makes sure, depth first.
type ownCgroup struct {
	root   string // host mount point of name=systemd
	parent string // cgroup parent of the container
	link   string // bind source: a symlink to dir, made by prepare
	dir    string // the container's own cgroup directory on the host
}

func newOwnCgroup(ctx context.Context) (*ownCgroup, error) {
	_, driver, err := cgroupInfo(ctx)
	if err != nil {
		return nil, err
	}
	if driver != "cgroupfs" {
		return nil, fmt.Errorf("the engine uses the %q cgroup driver on a cgroup-v1 host: daemonlab needs cgroupfs there (dockerd --exec-opt native.cgroupdriver=cgroupfs)", driver)
	}
	root, err := namedSystemdMount("/proc/self/mountinfo")
	if err != nil {
		return nil, err
	}
	dir := cgroupLinkDir()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	token := make([]byte, 8)
	_, _ = rand.Read(token)
	return &ownCgroup{root: root, parent: cgroupParent, link: filepath.Join(dir, hex.EncodeToString(token))}, nil
}

// prepare creates the container's cgroup directory and points the bind
// source at it (idempotent: a reboot prepares again). The grader must run as root on the engine's host.
func (cg *ownCgroup) prepare(id string) error {
	cg.dir = filepath.Join(cg.root, cg.parent, id)
	if err := os.MkdirAll(cg.dir, 0o755); err != nil {
		return fmt.Errorf("prepare the container's systemd cgroup (the grader must run as root on the engine's host): %w", err)
	}
	// Again on a reboot: the engine removed the directory at the stop.
	if t, err := os.Readlink(cg.link); err == nil && t == cg.dir {
		return nil
	}
	return os.Symlink(cg.dir, cg.link)
}

// remove deletes the link and whatever is left of the container's cgroup
// (subdirectories first: cgroup directories go with rmdir only).
func (cg *ownCgroup) remove() error {
	if cg == nil {
		return nil
	}
	_ = os.Remove(cg.link)
	if cg.dir == "" {
		return nil
	}
	var dirs []string
	_ = filepath.WalkDir(cg.dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.IsDir() {
			dirs = append(dirs, p)
		}
		return nil
	})
	var errs []error
	for i := len(dirs) - 1; i >= 0; i-- {
		if err := os.Remove(dirs[i]); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("remove the container's cgroup %s: %w", cg.dir, errors.Join(errs...))
	}
	return nil
}

// namedSystemdMount finds the host's name=systemd cgroup-v1 mount point.
func namedSystemdMount(mountinfo string) (string, error) {
	f, err := os.Open(mountinfo)
	if err != nil {
		return "", err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		// ... mountpoint ... - cgroup cgroup rw,...,name=systemd
		pre, post, ok := strings.Cut(sc.Text(), " - ")
		if !ok {
			continue
		}
		fields, after := strings.Fields(pre), strings.Fields(post)
		if len(fields) > 4 && len(after) > 2 && after[0] == "cgroup" && strings.Contains(","+after[2]+",", ",name=systemd,") {
			return fields[4], nil
		}
	}
	return "", errors.New("no name=systemd cgroup hierarchy is mounted on this host (cgroup v1 needs one for systemd in a container)")
}

// cgroupLinkDir holds the bind sources of the containers' cgroups.
func cgroupLinkDir() string { return filepath.Join(os.TempDir(), "daemonlab-cgroup") }

// removeDanglingLinks removes the bind-source links in dir whose cgroup is
// gone (the container was removed while its grader could not clean up)
// and that are older than expiredGrace; it returns how many.
func removeDanglingLinks(dir string, now time.Time) int {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return 0
	}
	n := 0
	for _, e := range entries {
		p := filepath.Join(dir, e.Name())
		fi, err := os.Lstat(p)
		if err != nil || fi.Mode()&fs.ModeSymlink == 0 || now.Sub(fi.ModTime()) < expiredGrace {
			continue
		}
		if _, err := os.Stat(p); errors.Is(err, fs.ErrNotExist) && os.Remove(p) == nil {
			n++
		}
	}
	return n
}
