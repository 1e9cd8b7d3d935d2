package labs

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"
)

// MarkerFile is the small file `daemonlab labs get` writes into a lab
// folder: it names the lab, so `daemonlab grade` and `daemonlab check` run
// there need no --lab.
const MarkerFile = ".daemonlab-lab"

type marker struct {
	Lab string `yaml:"lab"`
}

// ReadMarker returns the lab id named by the marker file in dir; ok is
// false when there is none.
func ReadMarker(dir string) (id string, ok bool, err error) {
	data, err := os.ReadFile(filepath.Join(dir, MarkerFile))
	if errors.Is(err, fs.ErrNotExist) {
		return "", false, nil
	}
	if err != nil {
		return "", false, err
	}
	var m marker
	if err := yaml.Unmarshal(data, &m); err != nil || m.Lab == "" {
		return "", false, fmt.Errorf("%s: not a lab marker (want \"lab: ID\")", filepath.Join(dir, MarkerFile))
	}
	return m.Lab, true, nil
}

// ErrExists is returned by Get when it would overwrite a file.
var ErrExists = errors.New("would overwrite")

// Get writes the lab's starter files, its README.md and the marker file
// into dir (created if missing). It writes nothing when any of them exists
// already. It returns the names written, in order.
func (s *Spec) Get(dir string) ([]string, error) {
	files, err := s.Starter()
	if err != nil {
		return nil, err
	}
	if a := s.Assignment(); a != "" {
		files["README.md"] = []byte(a)
	}
	files[MarkerFile] = []byte(fmt.Sprintf("# written by daemonlab labs get: daemonlab grade and check run here use this lab\nlab: %q\n", s.ID))
	names := make([]string, 0, len(files))
	for name := range files {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if _, err := os.Lstat(filepath.Join(dir, filepath.FromSlash(name))); err == nil {
			return nil, fmt.Errorf("%w %s: get the lab into an empty folder", ErrExists, filepath.Join(dir, name))
		}
	}
	for _, name := range names {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return nil, err
		}
		mode := os.FileMode(0o644)
		if strings.HasPrefix(string(files[name]), "#!") {
			mode = 0o755
		}
		f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
		if err != nil {
			return nil, err
		}
		_, err = f.Write(files[name])
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return nil, err
		}
	}
	return names, nil
}

// QuickCheck is the quick self-check to run in a lab folder.
func (s *Spec) QuickCheck() string {
	switch {
	case s.SelfCheck != "":
		return s.SelfCheck
	case s.Tier == TierHost:
		return "daemonlab check ./PROGRAM"
	default:
		return "systemd-analyze verify ./" + s.Unit
	}
}

// HostLabHere returns the id of the host lab named by the marker in dir,
// or "": `daemonlab check` run in a host lab's folder judges against it.
// A container lab's expectations (systemd's umask, /run pid files) do not
// apply to a daemon launched from a shell, so they are not picked up.
func HostLabHere(dir string) string {
	id, ok, err := ReadMarker(dir)
	if err != nil || !ok {
		return ""
	}
	s, err := Load(id)
	if err != nil || s.Tier != TierHost {
		return ""
	}
	return s.ID
}
