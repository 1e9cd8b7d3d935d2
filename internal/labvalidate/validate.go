// Package labvalidate proves a lab before it is given out: it grades the
// lab's reference solutions, which must score full marks, and each broken
// variant, which must lose exactly the checks its expect.yaml declares,
// each in a fresh container, several at once.
//
// A lab folder holds, beside lab.yaml, README.md and starter/:
//
//	reference/             a full-marks submission
//	references/NAME/       more full-marks submissions (optional)
//	broken/NAME/           a broken variant: its files are laid over
//	                       reference/ (so it holds only what it breaks)
//	broken/NAME/expect.yaml  lose: [CHECK, ...]  the checks it must lose
package labvalidate

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/daemonlab/daemonlab/internal/grade"
	"github.com/daemonlab/daemonlab/internal/parallel"
	"github.com/daemonlab/daemonlab/labs"
	"github.com/daemonlab/daemonlab/report"
	"go.yaml.in/yaml/v3"
)

// ExpectFile declares what a broken variant must lose.
const ExpectFile = "expect.yaml"

// Expect is a broken variant's expect.yaml.
type Expect struct {
	// Lose lists the checks the variant must lose (earn less than their
	// points); every other check must keep its full points.
	Lose []string `yaml:"lose"`
	// Why says what the variant breaks (shown in the matrix).
	Why string `yaml:"why"`
}

// Variant is one submission of the matrix.
type Variant struct {
	Name string   // "reference", "references/NAME", "broken/NAME"
	Dir  string   // the assembled submission
	Lose []string // sorted
	Why  string
}

// Row is the graded result of a variant.
type Row struct {
	Variant
	Lost []string
	// Said is what the grader observed for each lost check.
	Said     map[string]string
	Score    *float64
	MaxScore *float64
	Outcome  grade.Outcome
	Err      error
}

// OK is true when the variant lost exactly what it declares.
func (r Row) OK() bool {
	return r.Err == nil && r.Outcome == grade.Graded && slices.Equal(r.Lost, r.Lose)
}

// Mismatch says, per check, how the row differs from its declaration.
func (r Row) Mismatch() string {
	if r.Err != nil {
		return r.Err.Error()
	}
	if r.Outcome != grade.Graded {
		return "not graded (build failed, timeout or no engine)"
	}
	var out []string
	for _, c := range r.Lost {
		if !slices.Contains(r.Lose, c) {
			msg := fmt.Sprintf("check %s lost but not expected", c)
			if said := r.Said[c]; said != "" {
				msg += " (" + said + ")"
			}
			out = append(out, msg)
		}
	}
	for _, c := range r.Lose {
		if !slices.Contains(r.Lost, c) {
			out = append(out, fmt.Sprintf("check %s expected lost but kept", c))
		}
	}
	return strings.Join(out, "; ")
}

// GradeFunc grades one submission directory.
type GradeFunc func(ctx context.Context, lab *labs.Spec, dir string) (*report.Report, grade.Outcome, error)

// Options are the inputs of Validate.
type Options struct {
	Lab   *labs.Spec
	Dir   string // the lab folder
	Jobs  int
	Grade GradeFunc
	// Progress receives one line per finished variant.
	Progress io.Writer
}

// Variants assembles the lab's reference and broken submissions into
// temporary directories under tmp.
func Variants(lab *labs.Spec, dir, tmp string) ([]Variant, error) {
	ref := filepath.Join(dir, "reference")
	if st, err := os.Stat(ref); err != nil || !st.IsDir() {
		return nil, fmt.Errorf("%s: no reference/ folder (a full-marks submission)", dir)
	}
	var out []Variant
	add := func(name string, layers []string, exp Expect) error {
		d := filepath.Join(tmp, strings.ReplaceAll(name, "/", "_"))
		for _, l := range layers {
			if err := copyTree(l, d); err != nil {
				return err
			}
		}
		lose := append([]string{}, exp.Lose...)
		sort.Strings(lose)
		out = append(out, Variant{Name: name, Dir: d, Lose: lose, Why: exp.Why})
		return nil
	}
	if err := add("reference", []string{ref}, Expect{}); err != nil {
		return nil, err
	}
	for _, group := range []string{"references", "broken"} {
		entries, err := os.ReadDir(filepath.Join(dir, group))
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		for _, e := range entries {
			if !e.IsDir() {
				continue
			}
			vdir := filepath.Join(dir, group, e.Name())
			if group == "references" {
				if err := add(group+"/"+e.Name(), []string{vdir}, Expect{}); err != nil {
					return nil, err
				}
				continue
			}
			exp, err := readExpect(lab, filepath.Join(vdir, ExpectFile))
			if err != nil {
				return nil, err
			}
			if err := add(group+"/"+e.Name(), []string{ref, vdir}, exp); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}

func readExpect(lab *labs.Spec, name string) (Expect, error) {
	var e Expect
	data, err := os.ReadFile(name)
	if err != nil {
		return e, fmt.Errorf("broken variant: %w", err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&e); err != nil {
		return e, fmt.Errorf("%s: %v", name, err)
	}
	if len(e.Lose) == 0 {
		return e, fmt.Errorf("%s: lose: lists no check (a broken variant must lose one)", name)
	}
	for _, c := range e.Lose {
		if _, ok := lab.Check(c); !ok {
			return e, fmt.Errorf("%s: check %q is not graded by lab %s", name, c, lab.ID)
		}
	}
	return e, nil
}

// copyTree copies the regular files of from into to, except expect.yaml.
func copyTree(from, to string) error {
	return filepath.WalkDir(from, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(from, p)
		dst := filepath.Join(to, rel)
		switch {
		case d.IsDir():
			return os.MkdirAll(dst, 0o755)
		case rel == ExpectFile:
			return nil
		case !d.Type().IsRegular():
			return fmt.Errorf("%s: not a regular file", p)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		_ = os.Remove(dst)
		return os.WriteFile(dst, data, info.Mode().Perm())
	})
}

// Validate grades every variant, Jobs at a time, and returns the rows in
// the order of Variants.
func Validate(ctx context.Context, o Options) ([]Row, error) {
	tmp, err := os.MkdirTemp("", "daemonlab-validate-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	vs, err := Variants(o.Lab, o.Dir, tmp)
	if err != nil {
		return nil, err
	}
	if o.Progress == nil {
		o.Progress = io.Discard
	}
	rows := make([]Row, len(vs))
	var mu sync.Mutex
	parallel.Each(len(vs), o.Jobs, func(i int) {
		v := vs[i]
		row := Row{Variant: v, Lost: []string{}}
		r, outcome, err := o.Grade(ctx, o.Lab, v.Dir)
		row.Outcome, row.Err = outcome, err
		if r != nil {
			row.Score, row.MaxScore = r.Score, r.MaxScore
			for _, c := range r.Checks {
				if c.Points == nil || c.MaxPoints == nil || *c.Points < *c.MaxPoints {
					row.Lost = append(row.Lost, c.ID)
					if row.Said == nil {
						row.Said = map[string]string{}
					}
					row.Said[c.ID] = string(c.Status) + ": " + c.Observed
				}
			}
			sort.Strings(row.Lost)
		}
		rows[i] = row
		mu.Lock()
		fmt.Fprintf(o.Progress, "validate %s: %s graded\n", o.Lab.ID, v.Name)
		mu.Unlock()
	})
	return rows, nil
}

// Matrix writes one line per variant: score, the checks it lost, what it
// should have lost, and ok or MISMATCH.
func Matrix(w io.Writer, lab *labs.Spec, rows []Row) {
	width := len("variant")
	for _, r := range rows {
		width = max(width, len(r.Name))
	}
	fmt.Fprintf(w, "lab %s (%s): %d variants\n", lab.ID, lab.Title, len(rows))
	fmt.Fprintf(w, "%-*s  %-9s  %-40s  %s\n", width, "variant", "score", "lost", "result")
	for _, r := range rows {
		score := "-"
		if r.Score != nil && r.MaxScore != nil {
			score = fmt.Sprintf("%g/%g", *r.Score, *r.MaxScore)
		}
		result := "ok, as declared"
		if !r.OK() {
			result = "MISMATCH: " + r.Mismatch()
		}
		fmt.Fprintf(w, "%-*s  %-9s  %-40s  %s\n", width, r.Name, score, list(r.Lost), result)
	}
}

// list names the lost checks, the first three of a long list and how
// many more (a mismatch names every one).
func list(ids []string) string {
	switch {
	case len(ids) == 0:
		return "-"
	case len(ids) > 4:
		return fmt.Sprintf("%s +%d more", strings.Join(ids[:3], ","), len(ids)-3)
	}
	return strings.Join(ids, ",")
}
