package labs

import (
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing"

	"github.com/daemonlab/daemonlab/checker"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestEmbeddedLabsLoadAndValidate(t *testing.T) {
	all, err := List()
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(all), 2)
	for _, s := range all {
		assert.NotEmpty(t, s.Assignment(), s.ID)
		starter, err := s.Starter()
		require.NoError(t, err)
		assert.NotEmpty(t, starter, s.ID)
		assert.Positive(t, s.MaxScore(), s.ID)
		if s.ProgramSource != "" {
			_, err := fs.ReadFile(s.FS, path.Join(s.Dir, s.ProgramSource))
			assert.NoError(t, err, "lab %s: program_source", s.ID)
		}
	}
	ids := []string{}
	for _, s := range all {
		ids = append(ids, s.ID)
	}
	assert.Subset(t, ids, []string{"00", "01", "02", "03", "04", "05", "06", "07", "08", "09"})
	bg, err := Load("0")
	require.NoError(t, err)
	assert.Equal(t, PlanBackground, bg.Plan)
	assert.Equal(t, 35, countPrefix(bg, "predict-"), "one point per prediction: 7 ways x 5 booleans")
	lab, err := Load("4")
	require.NoError(t, err)
	assert.Equal(t, "04", lab.ID)
	assert.Equal(t, []checker.Mode{0, 0o22}, lab.Profile.Umask)
	assert.Equal(t, checker.DefaultProfile().SIGHUP, "any")
	assert.Equal(t, "reload", lab.Profile.SIGHUP)
	assert.Equal(t, checker.SevWarn, lab.Profile.FDUnexpected, "unset profile fields keep the default")
	assert.Equal(t, 100.0, lab.MaxScore())
}

func TestBadSpecs(t *testing.T) {
	const (
		lab        = "id: x\ntitle: t\n"
		host       = lab + "tier: host\n"
		background = lab + "tier: container\nplan: background\nbinary: t\n"
	)
	for name, tt := range map[string]struct{ spec, err string }{
		"unknown key":       {host + "checks: [{id: cwd, points: 1}]\nbogus: 1\n", "bogus"},
		"unknown check":     {host + "checks: [{id: nope, points: 1}]\n", "unknown check"},
		"no checks":         {host, "no checks"},
		"bad tier":          {lab + "tier: cloud\nchecks: [{id: cwd}]\n", "tier"},
		"container no unit": {lab + "tier: container\nbinary: d\nchecks: [{id: cwd}]\n", "unit"},
		"bad duration":      {host + "deadlines: {build: soon}\nchecks: [{id: cwd}]\n", "duration"},
		"bad umask":         {host + "profile: {umask: [\"999\"]}\nchecks: [{id: cwd}]\n", "umask"},
		"bad session":       {host + "profile: {session: sometimes}\nchecks: [{id: cwd}]\n", "session"},
		"not yaml":          {"{{{", "lab.yaml:1:"},
		"twice":             {host + "checks: [{id: cwd}, {id: cwd}]\n", "twice"},
		"program outside":   {background + "program_source: ../t.c\nchecks: [{id: cwd}]\n", "lab.yaml:6: lab x: program_source"},
		"program not C":     {background + "program_source: t.go\nchecks: [{id: cwd}]\n", "must be a C file"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := Parse([]byte(tt.spec))
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.err)
		})
	}
}

func TestLoadFileAndUnknownLab(t *testing.T) {
	p := filepath.Join(t.TempDir(), "mine.yaml")
	require.NoError(t, os.WriteFile(p, []byte("id: \"99\"\ntitle: mine\ntier: host\nchecks: [{id: cwd, points: 3}]\n"), 0o644))
	s, err := Load(p)
	require.NoError(t, err)
	assert.Equal(t, 3.0, s.MaxScore())
	_, err = Load("42")
	assert.ErrorContains(t, err, "no lab")
	_, err = Load(filepath.Join(t.TempDir(), "missing.yaml"))
	assert.ErrorContains(t, err, "reading lab file")
}

// TestErrorsHaveFileAndLine: a lab whose points do not sum to its stated
// maximum, that names an unknown check or has an unknown field is refused
// with FILE:LINE.
func TestErrorsHaveFileAndLine(t *testing.T) {
	head := "id: \"90\"\ntitle: t\ntier: host\n"
	for name, tt := range map[string]struct{ spec, want string }{
		"max_score":     {head + "max_score: 10\nchecks:\n  - {id: cwd, points: 3}\n  - {id: umask, points: 3}\n", "lab.yaml:4: lab 90: the points of the checks sum to 6, not max_score 10"},
		"unknown check": {head + "checks:\n  - {id: cwd, points: 3}\n  - {id: nope, points: 3}\n", "lab.yaml:6: lab 90: unknown check \"nope\""},
		"unknown field": {head + "checks:\n  - {id: cwd, points: 3, hiden: true}\n", "lab.yaml:5: field hiden not found"},
		"top field":     {head + "bogus: 1\nchecks: [{id: cwd}]\n", "lab.yaml:4: field bogus not found"},
		"duration":      {head + "deadlines:\n  build: soon\nchecks: [{id: cwd}]\n", "lab.yaml:5: bad duration \"soon\""},
		"profile":       {head + "profile:\n  umask: [\"0\"]\n  session: sometimes\nchecks: [{id: cwd}]\n", "lab.yaml:6: lab 90: profile session: \"sometimes\""},
		"negative":      {head + "checks:\n  - id: cwd\n    points: -1\n", "lab.yaml:6: lab 90: check \"cwd\" has negative points"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := ParseFile("lab.yaml", []byte(tt.spec))
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
			assert.NotContains(t, err.Error(), "\n", "one line")
		})
	}
	s, err := Parse([]byte(head + "max_score: 6\nchecks: [{id: cwd, points: 3}, {id: umask, points: 3}]\n"))
	require.NoError(t, err)
	assert.Equal(t, 6.0, s.MaxScore())
}

// TestTeacherLabsDir: a teacher's labs directory adds labs and overrides
// a bundled lab of the same id; a broken teacher's lab is refused with its
// file and line.
func TestTeacherLabsDir(t *testing.T) {
	dir := t.TempDir()
	mk := func(folder, spec string) {
		require.NoError(t, os.MkdirAll(filepath.Join(dir, folder, "starter"), 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(dir, folder, "lab.yaml"), []byte(spec), 0o644))
		require.NoError(t, os.WriteFile(filepath.Join(dir, folder, "README.md"), []byte("# "+folder+"\n"), 0o644))
		require.NoError(t, os.WriteFile(filepath.Join(dir, folder, "starter", "mydaemon.c"), []byte("int main(void){return 0;}\n"), 0o644))
	}
	bundled, err := Load("04")
	require.NoError(t, err)
	data, err := os.ReadFile(filepath.Join("04-systemd-service", "lab.yaml"))
	require.NoError(t, err)
	mk("04-mine", strings.Replace(string(data), "{id: restart, points: 15}", "{id: restart, points: 40}", 1))
	mk("42-extra", "id: \"42\"\ntitle: extra\ntier: host\nchecks: [{id: cwd, points: 3}]\n")
	t.Setenv(EnvLabsDir, dir)
	all, err := List()
	require.NoError(t, err)
	byID := map[string]*Spec{}
	for _, s := range all {
		byID[s.ID] = s
	}
	require.Contains(t, byID, "42")
	assert.Equal(t, dir, byID["42"].Origin)
	assert.False(t, byID["42"].Overrides)
	mine := byID["04"]
	assert.True(t, mine.Overrides)
	assert.Equal(t, bundled.MaxScore()+25, mine.MaxScore())
	assert.Equal(t, "# 04-mine\n", mine.Assignment())
	starter, err := mine.Starter()
	require.NoError(t, err)
	assert.Contains(t, starter, "mydaemon.c")
	assert.Equal(t, OriginBundled, byID["05"].Origin)

	// check picks up a host lab's marker, not a container lab's
	folder := t.TempDir()
	_, err = byID["42"].Get(folder)
	require.NoError(t, err)
	assert.Equal(t, "42", HostLabHere(folder))
	assert.Equal(t, "daemonlab check ./PROGRAM", byID["42"].QuickCheck())
	folder = t.TempDir()
	_, err = mine.Get(folder)
	require.NoError(t, err)
	assert.Equal(t, "", HostLabHere(folder))
	assert.Equal(t, "systemd-analyze verify ./mydaemon.service", mine.QuickCheck())

	mk("43-bad", "id: \"43\"\ntitle: bad\ntier: host\nchecks:\n  - {id: cwd, points: 3}\n  - {id: nope}\n")
	_, err = List()
	assert.ErrorContains(t, err, filepath.Join(dir, "43-bad", "lab.yaml")+":6: lab 43: unknown check \"nope\"")
}

func TestGetWritesStarterAndMarker(t *testing.T) {
	lab, err := Load("04")
	require.NoError(t, err)
	dir := filepath.Join(t.TempDir(), "lab-04")
	names, err := lab.Get(dir)
	require.NoError(t, err)
	assert.Equal(t, []string{MarkerFile, "README.md", "mydaemon.c", "mydaemon.service"}, names)
	id, ok, err := ReadMarker(dir)
	require.NoError(t, err)
	assert.True(t, ok)
	assert.Equal(t, "04", id)
	before, _ := os.ReadFile(filepath.Join(dir, "mydaemon.c"))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "mydaemon.c"), []byte("mine"), 0o644))
	_, err = lab.Get(dir)
	assert.ErrorIs(t, err, ErrExists)
	after, _ := os.ReadFile(filepath.Join(dir, "mydaemon.c"))
	assert.Equal(t, "mine", string(after), "nothing overwritten")
	assert.NotEqual(t, before, after)
	_, ok, err = ReadMarker(t.TempDir())
	assert.NoError(t, err)
	assert.False(t, ok)
}

func countPrefix(s *Spec, prefix string) int {
	n := 0
	for _, c := range s.Checks {
		if strings.HasPrefix(c.ID, prefix) && c.Points == 1 {
			n++
		}
	}
	return n
}
