package grade

import (
	"fmt"

	"github.com/daemonlab/daemonlab/report"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// handIn assembles a submission: name in the submission -> file in the
// repository, plus literal files.
type handIn struct {
	files map[string]string
	text  map[string]string
}

func (h handIn) build(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for to, from := range h.files {
		data, err := os.ReadFile(filepath.Join(repoRoot, from))
		require.NoError(t, err)
		require.NoError(t, os.MkdirAll(filepath.Dir(filepath.Join(dir, to)), 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(dir, to), data, 0o644))
	}
	for to, text := range h.text {
		require.NoError(t, os.WriteFile(filepath.Join(dir, to), []byte(text), 0o644))
	}
	return dir
}

// with returns a copy with some files replaced.
func (h handIn) with(files map[string]string, text map[string]string) handIn {
	out := handIn{files: map[string]string{}, text: map[string]string{}}
	for k, v := range h.files {
		out.files[k] = v
	}
	for k, v := range h.text {
		out.text[k] = v
	}
	for k, v := range files {
		out.files[k] = v
		delete(out.text, k)
	}
	for k, v := range text {
		out.text[k] = v
		delete(out.files, k)
	}
	return out
}

// reference hands in the files named from a lab's reference folder dir
// (lab06, ...), each under its own name.
func reference(dir string, names ...string) handIn {
	h := handIn{files: map[string]string{}}
	for _, name := range names {
		h.files[name] = dir + name
	}
	return h
}

// port is h with its C source c replaced by files: the same reference in
// another language.
func (h handIn) port(c string, files map[string]string) handIn {
	out := h.with(files, nil)
	delete(out.files, c)
	return out
}

type mutation struct {
	name string
	sub  handIn
	lost []string
}

// runMatrix grades each case, two at a time (the machine has two cores),
// and checks exactly the listed checks lost points.
func runMatrix(t *testing.T, lab string, cases []mutation) {
	t.Helper()
	sem := make(chan struct{}, 2)
	var wg sync.WaitGroup
	t.Run("group", func(t *testing.T) {
		for _, tt := range cases {
			wg.Add(1)
			t.Run(tt.name, func(t *testing.T) {
				t.Parallel()
				defer wg.Done()
				sem <- struct{}{}
				defer func() { <-sem }()
				r, outcome := grade(t, lab, tt.sub.build(t), nil)
				assert.Equal(t, Graded, outcome)
				want := append([]string{}, tt.lost...)
				sort.Strings(want)
				assert.Equal(t, want, lost(r), explainDetails(r))
			})
		}
	})
}

const lab06 = "reference/labs/06/"

var lab06ref = reference(lab06, "myservice.c", "myservice.xinetd", "myservice.socket", "myservice@.service")

func knob06(flag string) map[string]string {
	return map[string]string{"Makefile": "myservice: myservice.c\n\tcc -O2 " + flag + " -o myservice myservice.c\n"}
}

func TestLab06Matrix(t *testing.T) {
	requireEngine(t)
	runMatrix(t, "06", []mutation{
		{"C reference", lab06ref, nil},
		{"Python reference", lab06ref.port("myservice.c", map[string]string{"myservice.py": lab06 + "myservice.py"}), nil},
		{"Go reference", lab06ref.port("myservice.c", map[string]string{"go.mod": lab06 + "go/go.mod", "main.go": lab06 + "go/main.go"}), nil},
		{"unknown xinetd attribute", lab06ref.with(map[string]string{"myservice.xinetd": lab06 + "broken/bad-attribute.xinetd"}, nil), []string{"xinetd-config"}},
		{"typo in the socket unit", lab06ref.with(map[string]string{"myservice.socket": lab06 + "broken/typo.socket"}, nil), []string{"unit-syntax"}},
		{"server lingers after its connection", lab06ref.with(nil, knob06("-DLINGER")), []string{"socket-activation"}},
		{"reply not upper-cased", lab06ref.with(nil, knob06("-DNO_UPPER")), []string{"inetd-reply"}},
		{"stdout moved away from the socket", lab06ref.with(nil, knob06("-DSTDOUT_NULL")), []string{"inetd-stdio"}},
		{"xinetd instances = 1", lab06ref.with(map[string]string{"myservice.xinetd": lab06 + "broken/one-instance.xinetd"}, nil), []string{"inetd-instances"}},
	})
}

// explainDetails is explain with each check's details.
func explainDetails(r *report.Report) string {
	s := ""
	for _, c := range r.Checks {
		if c.Status != report.Pass {
			s += fmt.Sprintf("\n  %s %s: %s", c.Status, c.ID, c.Observed)
			for _, d := range c.Details {
				s += "\n      " + d
			}
		}
	}
	return s
}
