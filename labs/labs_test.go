package labs

import (
	"os"
	"path/filepath"
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
	}
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
	for name, tt := range map[string]struct{ spec, err string }{
		"unknown key":       {"id: x\ntitle: t\ntier: host\nchecks: [{id: cwd, points: 1}]\nbogus: 1\n", "bogus"},
		"unknown check":     {"id: x\ntitle: t\ntier: host\nchecks: [{id: nope, points: 1}]\n", "unknown check"},
		"no checks":         {"id: x\ntitle: t\ntier: host\n", "no checks"},
		"bad tier":          {"id: x\ntitle: t\ntier: cloud\nchecks: [{id: cwd}]\n", "tier"},
		"container no unit": {"id: x\ntitle: t\ntier: container\nbinary: d\nchecks: [{id: cwd}]\n", "unit"},
		"bad duration":      {"id: x\ntitle: t\ntier: host\ndeadlines: {build: soon}\nchecks: [{id: cwd}]\n", "duration"},
		"bad umask":         {"id: x\ntitle: t\ntier: host\nprofile: {umask: [\"999\"]}\nchecks: [{id: cwd}]\n", "umask"},
		"bad session":       {"id: x\ntitle: t\ntier: host\nprofile: {session: sometimes}\nchecks: [{id: cwd}]\n", "session"},
		"not yaml":          {"{{{", "lab.yaml:1:"},
		"twice":             {"id: x\ntitle: t\ntier: host\nchecks: [{id: cwd}, {id: cwd}]\n", "twice"},
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
