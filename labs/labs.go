// Package labs holds the course's lab specs as data — one folder per lab
// with its assignment text, spec and starter code — embedded in the binary,
// plus the loader and validator. A spec names the checks that are graded,
// their points, the expectations the checker judges against and the
// deadlines of each grading step.
package labs

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/daemonlab/daemonlab/checker"
	"github.com/daemonlab/daemonlab/checker/catalogue"
	"go.yaml.in/yaml/v3"
)

//go:embed */lab.yaml */README.md */starter
var files embed.FS

// Tiers: host labs are judged by `daemonlab check`, container labs by
// `daemonlab grade` inside a systemd container.
const (
	TierHost      = "host"
	TierContainer = "container"
)

// Spec is one lab.
type Spec struct {
	ID      string `yaml:"id"`
	Title   string `yaml:"title"`
	Tier    string `yaml:"tier"`
	Summary string `yaml:"summary"`
	// Unit is the unit file a submission must contain (container labs).
	Unit string `yaml:"unit"`
	// Binary is the program the submission builds; it is installed as
	// /usr/local/bin/<Binary>.
	Binary string `yaml:"binary"`
	// Languages the submission may be written in.
	Languages []string        `yaml:"languages"`
	Profile   checker.Profile `yaml:"profile"`
	Deadlines Deadlines       `yaml:"deadlines"`
	// ReloadEvidence is a text the journal must show after a reload.
	ReloadEvidence string      `yaml:"reload_evidence"`
	Checks         []CheckSpec `yaml:"checks"`
	// Plan names the grading steps of a container lab (PlanService, the
	// default, for labs 04 and 05); internal/grade maps each plan to its steps.
	Plan string `yaml:"plan"`
	// Install lists hand-in files, besides the unit and the built program,
	// that the grader puts in place before anything of the submission runs.
	Install []InstallFile `yaml:"install"`
	// Writable adds paths to the lab container's writable (tmpfs) ones; the
	// image fills each from its own copy when it has one.
	Writable []string `yaml:"writable"`
	// Launch says how the launch plan starts the program (labs 01–03).
	Launch LaunchSpec `yaml:"launch"`
	// Provide lists files the grader itself puts in the lab container,
	// read-only (the lab's own configuration, such as /etc/mydaemon.conf).
	Provide []ProvidedFile `yaml:"provide"`
	// ProgramSource is the lab's own program (lab 00's ticker): a C file of
	// the lab folder that the grader builds as Binary instead of anything
	// of the submission.
	ProgramSource string `yaml:"program_source"`

	// SelfCheck is the quick self-check `daemonlab labs get` suggests
	// (default: daemonlab check for a host lab, systemd-analyze verify of
	// the unit for a container lab).
	SelfCheck string `yaml:"self_check"`
	// MaxScoreStated is the optional max_score: when present, the points
	// of the checks must sum to it.
	MaxScoreStated *float64 `yaml:"max_score"`

	// Dir is the lab's folder inside FS ("" for a file lab).
	Dir string `yaml:"-"`
	// FS holds the lab's folder: the embedded tree for a bundled lab, the
	// teacher's directory otherwise (nil for a file lab).
	FS fs.FS `yaml:"-"`
	// Origin is "bundled" or the teacher's labs directory it came from.
	Origin string `yaml:"-"`
	// Overrides is set when a teacher's lab replaces the bundled one.
	Overrides bool `yaml:"-"`
}

// OriginBundled marks the labs embedded in the binary.
const OriginBundled = "bundled"

// The grading plans: how a lab is graded (lab.yaml's plan:).
const (
	// PlanService grades a systemd service: unit, enable, start, Type=,
	// restart, reload, journal, stop, and the running daemon.
	PlanService = "service"

	// PlanLaunch grades a hand-made daemon (labs 01–03): launch mode of the
	// checker runs inside the lab container and judges the daemon the program
	// leaves behind, then probes it.
	PlanLaunch = "launch"

	// PlanSuperdaemon grades lab 06: a stdin/stdout program behind xinetd and
	// behind a socket unit with Accept=yes.
	PlanSuperdaemon = "superdaemon"

	// PlanSysv grades lab 07: an LSB init script and its daemon.
	PlanSysv = "sysv"

	// PlanModern grades lab 09: socket activation (fd 3), Type=notify, the
	// watchdog and hardening.
	PlanModern = "modern"

	// PlanBackground grades lab 00: the hand-in start.sh typed into a login
	// shell on a fresh terminal that is then hung up, and the predictions of
	// predict.json against what `daemonlab compare` observes.
	PlanBackground = "background"

	// PlanTimer grades lab 08: a timer and its oneshot service, and root's
	// crontab with @reboot.
	PlanTimer = "timer"
)

// LaunchSpec is how the launch plan starts the program and what it writes
// first: the grader's own files (a configuration), never the submission's.
type LaunchSpec struct {
	// Args are the program's arguments (the lab's interface).
	Args []string `yaml:"args"`
	// Files are written (mode 0644) before the program starts.
	Files []LaunchFile `yaml:"files"`
	// ReloadTouch (FILE=TEXT) is written before SIGHUP; ReloadExpect
	// (FILE=TEXT) must appear after it: the reload evidence.
	ReloadTouch  string `yaml:"reload_touch"`
	ReloadExpect string `yaml:"reload_expect"`
}

// LaunchFile is one file the launch plan writes before the first start.
type LaunchFile struct {
	Path    string `yaml:"path"`
	Content string `yaml:"content"`
}

// InstallFile is one hand-in file and where the grader installs it.
type InstallFile struct {
	File string `yaml:"file"` // in the submission
	To   string `yaml:"to"`   // absolute path in the lab container
	Mode uint32 `yaml:"mode"` // default 0644
}

// ProvidedFile is a file of the lab's own, bound read-only at To.
type ProvidedFile struct {
	To   string `yaml:"to"`
	Text string `yaml:"text"`
}

// CheckSpec is one graded check.
type CheckSpec struct {
	ID     string  `yaml:"id"`
	Points float64 `yaml:"points"`
	// Hidden checks are graded but not listed in the assignment.
	Hidden bool `yaml:"hidden"`
}

// Deadlines bound each grading step.
type Deadlines struct {
	Build Duration `yaml:"build"`
	Start Duration `yaml:"start"`
	// Restart is the longest a crashed service may stay down before systemd
	// starts it again, measured on PID 1's own clock: RestartSec= above it
	// fails the restart check.
	Restart Duration `yaml:"restart"`
	// RestartMargin is the grader's extra wall-clock patience for the restart
	// check, so a loaded machine does not turn a pass into a fail.
	RestartMargin Duration `yaml:"restart_margin"`
	Stop          Duration `yaml:"stop"`
	// Total is the outer watchdog of one submission.
	Total Duration `yaml:"total"`
}

// Duration reads "500ms", "10s", "2m" from specs.
type Duration struct{ time.Duration }

// UnmarshalText parses a Go duration.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return fmt.Errorf("bad duration %q", b)
	}
	d.Duration = v
	return nil
}

// MarshalText writes the duration back.
func (d Duration) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// MaxScore is the sum of the points of every check.
func (s *Spec) MaxScore() float64 {
	total := 0.0
	for _, c := range s.Checks {
		total += c.Points
	}
	return total
}

// Check returns the spec of graded check id; false when the lab does not
// grade it.
func (s *Spec) Check(id string) (CheckSpec, bool) {
	for _, c := range s.Checks {
		if c.ID == id {
			return c, true
		}
	}
	return CheckSpec{}, false
}

// Assignment returns the lab's assignment text.
func (s *Spec) Assignment() string {
	if s.FS == nil {
		return ""
	}
	data, _ := fs.ReadFile(s.FS, path.Join(s.Dir, "README.md"))
	return string(data)
}

// Starter returns the lab's starter files, by name.
func (s *Spec) Starter() (map[string][]byte, error) {
	out := map[string][]byte{}
	if s.FS == nil {
		return out, nil
	}
	root := path.Join(s.Dir, "starter")
	err := fs.WalkDir(s.FS, root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := fs.ReadFile(s.FS, p)
		out[strings.TrimPrefix(p, root+"/")] = data
		return err
	})
	return out, err
}

// Parse reads and validates a spec. The profile starts from the default
// profile: a spec states only what it changes.
func Parse(data []byte) (*Spec, error) { return ParseFile("lab.yaml", data) }

// ParseFile is Parse for a named file: a problem is reported as
// FILE:LINE: message.
func ParseFile(name string, data []byte) (*Spec, error) {
	s := &Spec{Profile: checker.DefaultProfile()}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(s); err != nil {
		return nil, yamlError(name, data, err)
	}
	s.applyDefaults()
	if err := s.Validate(); err != nil {
		var se *SpecError
		if errors.As(err, &se) {
			var root yaml.Node
			if yaml.Unmarshal(data, &root) == nil {
				if line := lineOf(&root, se.Path); line > 0 {
					return nil, fmt.Errorf("%s:%d: %s", name, line, se.Msg)
				}
			}
			return nil, fmt.Errorf("%s: %s", name, se.Msg)
		}
		return nil, err
	}
	return s, nil
}

var yamlLine = regexp.MustCompile(`^(?:yaml: )?line (\d+): (.*)$`)

// yamlError turns the YAML library's "line N: msg" into "FILE:N: msg" (the
// first problem only: one line).
func yamlError(name string, data []byte, err error) error {
	msgs := []string{err.Error()}
	var te *yaml.TypeError
	if errors.As(err, &te) && len(te.Errors) > 0 {
		msgs = te.Errors
	}
	m := strings.TrimSpace(msgs[0])
	if sub := yamlLine.FindStringSubmatch(m); sub != nil {
		return fmt.Errorf("%s:%s: %s", name, sub[1], sub[2])
	}
	// a value's own parser (a duration, a umask) knows no line: find the
	// value it quotes
	if q := quoted.FindStringSubmatch(m); q != nil {
		var root yaml.Node
		if yaml.Unmarshal(data, &root) == nil {
			if line := scalarLine(&root, q[1]); line > 0 {
				return fmt.Errorf("%s:%d: %s", name, line, m)
			}
		}
	}
	return fmt.Errorf("%s: lab spec: %s", name, m)
}

var quoted = regexp.MustCompile(`"([^"]*)"`)

// scalarLine is the line of the first scalar whose value is v.
func scalarLine(n *yaml.Node, v string) int {
	if n.Kind == yaml.ScalarNode && n.Value == v {
		return n.Line
	}
	for _, c := range n.Content {
		if line := scalarLine(c, v); line > 0 {
			return line
		}
	}
	return 0
}

// SpecError is a problem of a spec at a path of keys and indexes
// ("checks.3.points"), which ParseFile turns into a line.
type SpecError struct {
	Path string
	Msg  string
}

func (e *SpecError) Error() string { return e.Msg }

// lineOf finds the line of a dotted path in a YAML document (the deepest
// node found: a bad element of a list points at that element).
func lineOf(n *yaml.Node, p string) int {
	if n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		n = n.Content[0]
	}
	line := n.Line
	if p == "" {
		return line
	}
	for _, key := range strings.Split(p, ".") {
		switch n.Kind {
		case yaml.MappingNode:
			found := false
			for i := 0; i+1 < len(n.Content); i += 2 {
				if n.Content[i].Value == key {
					line, n, found = n.Content[i].Line, n.Content[i+1], true
					break
				}
			}
			if !found {
				return line
			}
		case yaml.SequenceNode:
			i, err := strconv.Atoi(key)
			if err != nil || i < 0 || i >= len(n.Content) {
				return line
			}
			n = n.Content[i]
			line = n.Line
		default:
			return line
		}
	}
	return line
}

func (s *Spec) applyDefaults() {
	def := func(d *Duration, v time.Duration) {
		if d.Duration == 0 {
			d.Duration = v
		}
	}
	if s.Plan == "" && s.Tier == TierContainer {
		s.Plan = PlanService
	}
	for i := range s.Install {
		if s.Install[i].Mode == 0 {
			s.Install[i].Mode = 0o644
		}
	}
	def(&s.Deadlines.Build, 60*time.Second)
	def(&s.Deadlines.Start, 15*time.Second)
	def(&s.Deadlines.Restart, 5*time.Second)
	def(&s.Deadlines.RestartMargin, 3*time.Second)
	def(&s.Deadlines.Stop, 15*time.Second)
	def(&s.Deadlines.Total, 5*time.Minute)
}

// Validate reports the first problem of a spec.
func (s *Spec) Validate() error {
	errAt := func(p, format string, a ...any) error {
		return &SpecError{Path: p, Msg: fmt.Sprintf("lab %s: %s", s.ID, fmt.Sprintf(format, a...))}
	}
	errf := func(format string, a ...any) error { return errAt("", format, a...) }
	if s.ID == "" || s.Title == "" {
		return &SpecError{Msg: "lab spec: id and title are required"}
	}
	switch s.Tier {
	case TierHost:
	case TierContainer:
		if s.Plan == PlanService && (!strings.HasSuffix(s.Unit, ".service") || strings.Contains(s.Unit, "/")) {
			return errAt("unit", "unit %q must be a NAME.service file name", s.Unit)
		}
		if s.Binary == "" || strings.Contains(s.Binary, "/") {
			return errAt("binary", "binary %q must be a plain file name", s.Binary)
		}
	default:
		return errAt("tier", "tier %q is not host or container", s.Tier)
	}
	if len(s.Checks) == 0 {
		return errf("no checks")
	}
	launchFiles := make([]string, len(s.Launch.Files))
	for i, f := range s.Launch.Files {
		launchFiles[i] = f.Path
	}
	provided := make([]string, len(s.Provide))
	for i, f := range s.Provide {
		provided[i] = f.To
	}
	for _, f := range append(append(append(slicesOf(s.Install), s.Writable...), launchFiles...), provided...) {
		if !path.IsAbs(f) || path.Clean(f) != f {
			return errf("%q must be a clean absolute path", f)
		}
	}
	if p := s.ProgramSource; p != "" && (path.IsAbs(p) || path.Clean(p) != p || strings.HasPrefix(p, "../") || !strings.HasSuffix(p, ".c")) {
		return errAt("program_source", "program_source %q must be a C file of the lab folder (a clean relative path)", p)
	}
	for _, f := range s.Install {
		if f.File == "" || path.IsAbs(f.File) || strings.Contains(f.File, "..") {
			return errf("install file %q must be a plain name in the submission", f.File)
		}
	}
	seen := map[string]bool{}
	for i, c := range s.Checks {
		at := fmt.Sprintf("checks.%d.", i)
		if _, ok := catalogue.Lookup(c.ID); !ok {
			return errAt(at+"id", "unknown check %q (daemonlab explain lists them)", c.ID)
		}
		if seen[c.ID] {
			return errAt(at+"id", "check %q listed twice", c.ID)
		}
		seen[c.ID] = true
		if c.Points < 0 {
			return errAt(at+"points", "check %q has negative points", c.ID)
		}
	}
	if s.MaxScoreStated != nil && math.Abs(*s.MaxScoreStated-s.MaxScore()) > 1e-9 {
		return errAt("max_score", "the points of the checks sum to %g, not max_score %g", s.MaxScore(), *s.MaxScoreStated)
	}
	for _, l := range s.Languages {
		if l != "c" && l != "go" && l != "python" {
			return errAt("languages", "language %q is not c, go or python", l)
		}
	}
	if err := s.Profile.Validate(); err != nil {
		at := "profile"
		if m := profileField.FindStringSubmatch(err.Error()); m != nil {
			at += "." + m[1]
		}
		return errAt(at, "%v", err)
	}
	return nil
}

var profileField = regexp.MustCompile(`^profile (\w+):`)

func slicesOf(files []InstallFile) []string {
	out := make([]string, len(files))
	for i, f := range files {
		out[i] = f.To
	}
	return out
}

// EnvLabsDir names the environment variable that adds teachers' labs
// directories (several separated by ':'), like --labs-dir.
const EnvLabsDir = "DAEMONLAB_LABS_DIR"

// Dirs are the teachers' labs directories: those of EnvLabsDir.
func Dirs() []string {
	var out []string
	for _, d := range filepath.SplitList(os.Getenv(EnvLabsDir)) {
		if d != "" {
			out = append(out, d)
		}
	}
	return out
}

// List returns every lab, ordered by id: the bundled ones, then those of
// the teachers' labs directories (Dirs), a teacher's lab replacing the
// bundled lab of the same id.
func List() ([]*Spec, error) {
	entries, err := fs.ReadDir(files, ".")
	if err != nil {
		return nil, err
	}
	byID := map[string]*Spec{}
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		data, err := files.ReadFile(path.Join(e.Name(), "lab.yaml"))
		if err != nil {
			continue
		}
		s, err := ParseFile(path.Join("labs", e.Name(), "lab.yaml"), data)
		if err != nil {
			return nil, err
		}
		s.Dir, s.FS, s.Origin = e.Name(), files, OriginBundled
		byID[s.ID] = s
	}
	for _, dir := range Dirs() {
		teacher, err := ListDir(dir)
		if err != nil {
			return nil, err
		}
		for _, s := range teacher {
			if old, ok := byID[s.ID]; ok && old.Origin == OriginBundled {
				s.Overrides = true
			}
			byID[s.ID] = s
		}
	}
	out := make([]*Spec, 0, len(byID))
	for _, s := range byID {
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

// ListDir reads a teacher's labs directory: one folder per lab, each with
// lab.yaml, README.md and starter/ (the bundled labs' structure), or a
// single lab folder itself.
func ListDir(dir string) ([]*Spec, error) {
	if _, err := os.Stat(filepath.Join(dir, "lab.yaml")); err == nil {
		s, err := LoadDir(dir)
		if err != nil {
			return nil, err
		}
		return []*Spec{s}, nil
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("labs directory: %w", err)
	}
	var out []*Spec
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		if _, err := os.Stat(filepath.Join(dir, e.Name(), "lab.yaml")); err != nil {
			continue
		}
		s, err := LoadDir(filepath.Join(dir, e.Name()))
		if err != nil {
			return nil, err
		}
		s.Origin = dir
		out = append(out, s)
	}
	return out, nil
}

// LoadDir reads the lab folder dir (lab.yaml, README.md, starter/).
func LoadDir(dir string) (*Spec, error) {
	name := filepath.Join(dir, "lab.yaml")
	data, err := os.ReadFile(name)
	if err != nil {
		return nil, fmt.Errorf("reading lab: %w", err)
	}
	s, err := ParseFile(name, data)
	if err != nil {
		return nil, err
	}
	s.Dir, s.FS, s.Origin = ".", os.DirFS(dir), dir
	return s, nil
}

// Load finds a lab by id ("04", "4"), reads a lab folder (a directory
// with lab.yaml) or a spec file when given a path (an instructor's own
// lab).
func Load(ref string) (*Spec, error) {
	if strings.Contains(ref, "/") || strings.HasSuffix(ref, ".yaml") || strings.HasSuffix(ref, ".yml") {
		if st, err := os.Stat(ref); err == nil && st.IsDir() {
			return LoadDir(ref)
		}
		data, err := os.ReadFile(ref)
		if err != nil {
			return nil, fmt.Errorf("reading lab file: %w", err)
		}
		return ParseFile(ref, data)
	}
	all, err := List()
	if err != nil {
		return nil, err
	}
	want := strings.TrimLeft(ref, "0")
	var ids []string
	for _, s := range all {
		if strings.TrimLeft(s.ID, "0") == want {
			return s, nil
		}
		ids = append(ids, s.ID)
	}
	return nil, fmt.Errorf("no lab %q (labs: %s)", ref, strings.Join(ids, ", "))
}
