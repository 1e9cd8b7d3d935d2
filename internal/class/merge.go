package class

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// Merge gathers the results of several runs (shards, machines) into out:
// every student's files are copied, grades.csv is written for the whole
// class. The runs must grade the same lab. A student graded in several
// runs keeps the most recent result; the duplicates are reported in warn.
func Merge(out string, dirs []string, warn io.Writer) ([]Row, error) {
	if len(dirs) == 0 {
		return nil, fmt.Errorf("nothing to merge: give the results directories")
	}
	chosen := map[string]Row{}
	lab := ""
	for _, d := range dirs {
		rows, err := ReadResults(d)
		if err != nil {
			return nil, err
		}
		for _, r := range rows {
			if lab == "" {
				lab = r.Report.Lab
			}
			if r.Report.Lab != lab {
				return nil, fmt.Errorf("%s grades lab %s, not lab %s: merge one lab at a time", r.Path, r.Report.Lab, lab)
			}
			if prev, ok := chosen[r.Student]; ok {
				keep := prev
				if r.Report.Started.After(prev.Report.Started) {
					keep = r
				}
				fmt.Fprintf(warn, "%s was graded twice (%s, %s): keeping %s\n", r.Student, prev.Path, r.Path, keep.Path)
				chosen[r.Student] = keep
				continue
			}
			chosen[r.Student] = r
		}
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return nil, err
	}
	for student, r := range chosen {
		if err := copyStudentFiles(filepath.Dir(r.Path), out, student); err != nil {
			return nil, err
		}
	}
	if err := WriteCSV(out); err != nil {
		return nil, err
	}
	return ReadResults(out)
}

// copyStudentFiles copies <student>.json and the student's other formats
// (<student>.<ext> for the known extensions).
func copyStudentFiles(from, to, student string) error {
	if same(from, to) {
		return nil
	}
	for _, ext := range extensions {
		src := filepath.Join(from, student+ext)
		data, err := os.ReadFile(src)
		if os.IsNotExist(err) {
			continue
		}
		if err != nil {
			return err
		}
		if err := writeAtomic(filepath.Join(to, student+ext), func(w io.Writer) error {
			_, err := w.Write(data)
			return err
		}); err != nil {
			return err
		}
	}
	return nil
}

func same(a, b string) bool {
	sa, err1 := os.Stat(a)
	sb, err2 := os.Stat(b)
	return err1 == nil && err2 == nil && os.SameFile(sa, sb)
}
