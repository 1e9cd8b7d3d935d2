package labvalidate

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/daemonlab/daemonlab/containers"
	"github.com/daemonlab/daemonlab/internal/grade"
	"github.com/daemonlab/daemonlab/internal/testutil"
	"github.com/daemonlab/daemonlab/labs"
	"github.com/daemonlab/daemonlab/report"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var repoRoot = testutil.RepoRoot()

const labelKey = "org.daemonlab.validate-test"

// bundledLabDirs are the bundled labs' folders that have a reference/.
func bundledLabDirs(t *testing.T) map[string]string {
	t.Helper()
	out := map[string]string{}
	all, err := labs.List()
	require.NoError(t, err)
	for _, l := range all {
		if l.Origin != labs.OriginBundled {
			continue
		}
		dir := filepath.Join(repoRoot, "labs", l.Dir)
		if _, err := os.Stat(filepath.Join(dir, "reference")); err == nil {
			out[l.ID] = dir
		}
	}
	return out
}

func TestVariantsAssemble(t *testing.T) {
	dirs := bundledLabDirs(t)
	require.Contains(t, dirs, "04")
	lab, err := labs.LoadDir(dirs["04"])
	require.NoError(t, err)
	vs, err := Variants(lab, dirs["04"], t.TempDir())
	require.NoError(t, err)
	byName := map[string]Variant{}
	for _, v := range vs {
		byName[v.Name] = v
	}
	require.Contains(t, byName, "reference")
	assert.Empty(t, byName["reference"].Lose)
	v := byName["broken/restart-no"]
	assert.Equal(t, []string{"restart"}, v.Lose)
	ref, _ := os.ReadFile(filepath.Join(dirs["04"], "reference", "mydaemon.c"))
	got, err := os.ReadFile(filepath.Join(v.Dir, "mydaemon.c"))
	require.NoError(t, err)
	assert.Equal(t, ref, got, "a variant is laid over reference/")
	unit, _ := os.ReadFile(filepath.Join(v.Dir, "mydaemon.service"))
	assert.Contains(t, string(unit), "Restart=no")
	assert.NoFileExists(t, filepath.Join(v.Dir, ExpectFile))
	// every bundled lab's variants read
	for id, dir := range dirs {
		lab, err := labs.LoadDir(dir)
		require.NoError(t, err, id)
		_, err = Variants(lab, dir, t.TempDir())
		require.NoError(t, err, id)
	}
}

func TestBadExpect(t *testing.T) {
	lab, err := labs.Load("04")
	require.NoError(t, err)
	for name, tt := range map[string]struct{ expect, err string }{
		"unknown check": {"lose: [nope]\n", `check "nope" is not graded`},
		"nothing lost":  {"lose: []\n", "lists no check"},
		"unknown field": {"loose: [restart]\n", "field loose not found"},
	} {
		t.Run(name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), ExpectFile)
			require.NoError(t, os.WriteFile(p, []byte(tt.expect), 0o644))
			_, err := readExpect(lab, p)
			assert.ErrorContains(t, err, tt.err)
		})
	}
}

func TestMismatchNamesVariantAndCheck(t *testing.T) {
	r := Row{Variant: Variant{Name: "broken/x", Lose: []string{"unit-syntax"}}, Lost: []string{"restart"}}
	assert.False(t, r.OK())
	assert.Equal(t, "check restart lost but not expected; check unit-syntax expected lost but kept", r.Mismatch())
	r.Said = map[string]string{"restart": "fail: not restarted"}
	assert.Equal(t, "check restart lost but not expected (fail: not restarted); check unit-syntax expected lost but kept", r.Mismatch())
	var b bytes.Buffer
	Matrix(&b, &labs.Spec{ID: "04", Title: "t"}, []Row{r})
	assert.Contains(t, b.String(), "broken/x")
	assert.Contains(t, b.String(), "MISMATCH")
}

func TestMatrixShortensLongLists(t *testing.T) {
	lost := []string{"a", "b", "c", "d", "e", "f"}
	score, max := 94.0, 100.0
	r := Row{Variant: Variant{Name: "broken/many", Lose: lost}, Lost: lost, Outcome: grade.Graded, Score: &score, MaxScore: &max}
	var b bytes.Buffer
	Matrix(&b, &labs.Spec{ID: "00", Title: "t"}, []Row{r})
	assert.Contains(t, b.String(), "a,b,c +3 more")
	assert.Contains(t, b.String(), "ok, as declared")
	assert.NotContains(t, b.String(), "d,e,f")
}

// realSetup builds the checker and finds the image, or skips.
func realSetup(t *testing.T) (checker, image string) {
	t.Helper()
	testutil.RequireContainers(t, containers.EngineAvailable)
	checker = testutil.Build(t, "daemonlab")
	image, _, err := containers.EnsureImage(context.Background(), os.Stderr)
	require.NoError(t, err)
	return checker, image
}

// TestBundledLabsValidate is the mutation matrix of every bundled lab:
// references score full marks, each broken variant loses exactly the
// checks of its expect.yaml.
func TestBundledLabsValidate(t *testing.T) {
	checker, image := realSetup(t)
	label := strconv.FormatInt(time.Now().UnixNano(), 36)
	t.Cleanup(func() {
		ids, err := containers.ListLabelled(context.Background(), map[string]string{labelKey: label})
		assert.NoError(t, err)
		assert.Empty(t, ids, "containers left behind")
	})
	for id, dir := range bundledLabDirs(t) {
		t.Run(id, func(t *testing.T) {
			lab, err := labs.LoadDir(dir)
			require.NoError(t, err)
			rows, err := Validate(context.Background(), Options{
				Lab: lab, Dir: dir, Jobs: 2,
				Grade: func(ctx context.Context, lab *labs.Spec, dir string) (*report.Report, grade.Outcome, error) {
					return grade.Grade(ctx, grade.Options{Lab: lab, Submission: dir, Checker: checker, Image: image,
						Container: containers.Options{Labels: map[string]string{labelKey: label}}})
				},
			})
			require.NoError(t, err)
			var b bytes.Buffer
			Matrix(&b, lab, rows)
			t.Log("\n" + b.String())
			for _, r := range rows {
				assert.True(t, r.OK(), "%s: %s", r.Name, r.Mismatch())
			}
		})
	}
}

func TestVariantsLayout(t *testing.T) {
	lab, err := labs.Load("04")
	require.NoError(t, err)
	dir := t.TempDir()
	write := func(p, content string) {
		require.NoError(t, os.MkdirAll(filepath.Dir(filepath.Join(dir, p)), 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(dir, p), []byte(content), 0o644))
	}
	_, err = Variants(lab, dir, t.TempDir())
	assert.ErrorContains(t, err, "no reference/")
	write("reference/mydaemon.c", "c")
	write("reference/mydaemon.service", "unit")
	write("references/python/mydaemon.py", "py")
	write("references/python/mydaemon.service", "unit")
	write("broken/a/mydaemon.service", "broken unit")
	write("broken/a/expect.yaml", "lose: [unit-syntax, restart]\nwhy: two\n")
	vs, err := Variants(lab, dir, t.TempDir())
	require.NoError(t, err)
	require.Len(t, vs, 3)
	assert.Equal(t, "reference", vs[0].Name)
	assert.Equal(t, "references/python", vs[1].Name)
	assert.NoFileExists(t, filepath.Join(vs[1].Dir, "mydaemon.c"), "another reference is whole, not laid over reference/")
	assert.Equal(t, "broken/a", vs[2].Name)
	assert.Equal(t, []string{"restart", "unit-syntax"}, vs[2].Lose)
	assert.FileExists(t, filepath.Join(vs[2].Dir, "mydaemon.c"))

	write("broken/b/mydaemon.service", "x")
	_, err = Variants(lab, dir, t.TempDir())
	assert.ErrorContains(t, err, "broken variant")
}
