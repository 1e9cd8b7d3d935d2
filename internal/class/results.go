package class

import (
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/daemonlab/daemonlab/report"
)

// Row is one student's result as the CSV and the summary see it.
type Row struct {
	Student  string
	Report   *report.Report
	Path     string
	Score    *float64
	Max      float64
	Gradable bool
}

// ReadResults reads every <student>.json grade result in dir, sorted by
// student. Files that are not grade results (other formats) are ignored.
func ReadResults(dir string) ([]Row, error) {
	names, err := visible(dir, func(e os.DirEntry) bool { return !e.IsDir() && strings.HasSuffix(e.Name(), ".json") })
	if err != nil {
		return nil, err
	}
	var rows []Row
	for _, name := range names {
		path := filepath.Join(dir, name)
		r, err := readReport(path)
		if err != nil {
			continue
		}
		row := Row{Student: strings.TrimSuffix(name, ".json"), Report: r, Path: path, Score: r.Score}
		if r.MaxScore != nil {
			row.Max = *r.MaxScore
		}
		row.Gradable = r.Gradable == nil || *r.Gradable
		if !row.Gradable {
			row.Score = nil
		}
		rows = append(rows, row)
	}
	sort.Slice(rows, func(i, j int) bool { return rows[i].Student < rows[j].Student })
	return rows, nil
}

// Columns are the check ids of the results, in the lab's order (the order
// of the checks in the results), then any id seen only in some.
func Columns(rows []Row) []string {
	var cols []string
	seen := map[string]bool{}
	longest := 0
	for i, r := range rows {
		if len(r.Report.Checks) > len(rows[longest].Report.Checks) {
			longest = i
		}
	}
	add := func(r Row) {
		for _, c := range r.Report.Checks {
			if !seen[c.ID] {
				seen[c.ID] = true
				cols = append(cols, c.ID)
			}
		}
	}
	if len(rows) > 0 {
		add(rows[longest])
	}
	for _, r := range rows {
		add(r)
	}
	return cols
}

// WriteCSV rewrites dir/grades.csv from the results in dir: student,
// score, max, gradable, then the points of each check. A score is empty
// when the run was not gradable (that is not a zero).
func WriteCSV(dir string) error {
	rows, err := ReadResults(dir)
	if err != nil {
		return err
	}
	return writeAtomic(filepath.Join(dir, "grades.csv"), func(w io.Writer) error { return EncodeCSV(w, rows) })
}

// EncodeCSV writes the grades table.
func EncodeCSV(w io.Writer, rows []Row) error {
	cols := Columns(rows)
	cw := csv.NewWriter(w)
	if err := cw.Write(append([]string{"student", "score", "max", "gradable"}, cols...)); err != nil {
		return err
	}
	for _, r := range rows {
		rec := []string{csvSafe(r.Student), num(r.Score), strconv.FormatFloat(r.Max, 'f', -1, 64), strconv.FormatBool(r.Gradable)}
		for _, id := range cols {
			cell := ""
			if c, ok := r.Report.Find(id); ok && c.Points != nil && r.Gradable {
				cell = num(c.Points)
			}
			rec = append(rec, cell)
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

func num(p *float64) string {
	if p == nil {
		return ""
	}
	return strconv.FormatFloat(*p, 'f', -1, 64)
}

// csvSafe keeps a name from being read as a formula by a spreadsheet.
func csvSafe(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// WriteSummary prints what a teacher wants after a class run: how many
// were graded, the distribution of scores and the checks most often lost.
func WriteSummary(w io.Writer, rows []Row) {
	var scores []float64
	var notGradable []string
	lost := map[string]int{}
	max := 0.0
	for _, r := range rows {
		if !r.Gradable || r.Score == nil {
			notGradable = append(notGradable, r.Student)
			continue
		}
		scores = append(scores, *r.Score)
		max = math.Max(max, r.Max)
		for _, c := range r.Report.Checks {
			if c.Points != nil && c.MaxPoints != nil && *c.Points < *c.MaxPoints {
				lost[c.ID]++
			}
		}
	}
	fmt.Fprintf(w, "%d submission(s) graded", len(scores))
	if len(notGradable) > 0 {
		fmt.Fprintf(w, ", %d not gradable (grade again): %s", len(notGradable), strings.Join(notGradable, ", "))
	}
	fmt.Fprintln(w)
	if len(scores) == 0 {
		return
	}
	sort.Float64s(scores)
	sum, full := 0.0, 0
	for _, s := range scores {
		sum += s
		if s == max {
			full++
		}
	}
	median := scores[len(scores)/2]
	if len(scores)%2 == 0 {
		median = (scores[len(scores)/2-1] + scores[len(scores)/2]) / 2
	}
	fmt.Fprintf(w, "score out of %g: mean %.1f, median %g, min %g, max %g; full marks %d\n",
		max, sum/float64(len(scores)), median, scores[0], scores[len(scores)-1], full)
	if max > 0 {
		buckets := make([]int, 10)
		for _, s := range scores {
			b := int(s / max * 10)
			buckets[min(b, 9)]++
		}
		width := 0
		for _, n := range buckets {
			width = maxInt(width, n)
		}
		for i := 9; i >= 0; i-- {
			lo := float64(i) * 10
			label := fmt.Sprintf("%3.0f–%3.0f%%", lo, lo+10)
			bar := strings.Repeat("█", scale(buckets[i], width, 40))
			fmt.Fprintf(w, "  %s %-40s %d\n", label, bar, buckets[i])
		}
	}
	type kv struct {
		id string
		n  int
	}
	var order []kv
	for id, n := range lost {
		order = append(order, kv{id, n})
	}
	sort.Slice(order, func(i, j int) bool {
		if order[i].n != order[j].n {
			return order[i].n > order[j].n
		}
		return order[i].id < order[j].id
	})
	if len(order) > 0 {
		fmt.Fprintln(w, "checks most often failed:")
		for i, e := range order {
			if i == 5 {
				break
			}
			fmt.Fprintf(w, "  %-16s %d of %d\n", e.id, e.n, len(scores))
		}
	}
}

func maxInt(a, b int) int {
	if a > b {
		return a
	}
	return b
}

func scale(n, of, width int) int {
	if of == 0 {
		return 0
	}
	return (n*width + of - 1) / of
}
