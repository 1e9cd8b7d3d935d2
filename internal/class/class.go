// Package class grades a whole class: one submission per subdirectory,
// each graded alone with its own deadline by a grade function (the
// container grader in production, a fake in tests), several at once. It
// writes RESULTS/<student>.json and the requested formats as each one
// finishes, keeps RESULTS/grades.csv consistent with what finished,
// resumes, shards a class by name and merges shards.
package class

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/daemonlab/daemonlab/labs"
	"github.com/daemonlab/daemonlab/report"
)

// GradeFunc grades one submission directory. It returns a complete report
// (with Outcome set) or an error for bad input. It must honour ctx.
type GradeFunc func(ctx context.Context, dir string) (*report.Report, error)

// Options are the inputs of one class run.
type Options struct {
	Lab *labs.Spec
	// Dir holds one submission per subdirectory, named after the student.
	Dir string
	// Out is the results directory (created).
	Out  string
	Jobs int
	// Resume skips students whose result in Out was graded with the same
	// lab and Version (not-gradable results are graded again).
	Resume bool
	Shard  Shard
	// Version identifies the grader (binary version and image); it is
	// recorded in every result and compared by Resume.
	Version string
	// Formats are extra per-student reports, written as <student>.<ext>.
	Formats []string
	// WriterOptions tune the extra formats (hidden checks, visibility).
	WriterOptions report.Options
	Grade         GradeFunc
	// Timeout bounds one submission (default: the lab's total deadline
	// plus two minutes for the container's start and tear-down). A grade
	// function that has not returned by then plus Grace is abandoned and
	// the submission recorded as ungradable.
	Timeout time.Duration
	Grace   time.Duration
	// Progress receives progress; TTY makes it one live line.
	Progress io.Writer
	TTY      bool
}

// Shard selects a stable part of a class: Index in 1..Count.
type Shard struct{ Index, Count int }

// ParseShard reads "I/N".
func ParseShard(s string) (Shard, error) {
	i, n, ok := strings.Cut(s, "/")
	a, err1 := strconv.Atoi(i)
	b, err2 := strconv.Atoi(n)
	if !ok || err1 != nil || err2 != nil || b < 1 || a < 1 || a > b {
		return Shard{}, fmt.Errorf("--shard %q: want I/N with 1 ≤ I ≤ N", s)
	}
	return Shard{a, b}, nil
}

// Includes reports whether a student belongs to the shard: a hash of the
// name, so the partition does not depend on who else is in the class.
func (s Shard) Includes(student string) bool {
	if s.Count <= 1 {
		return true
	}
	h := fnv.New32a()
	h.Write([]byte(student))
	return int(h.Sum32()%uint32(s.Count)) == s.Index-1
}

// ErrInterrupted ends a run cancelled before every submission finished;
// what finished is recorded.
var ErrInterrupted = errors.New("interrupted: the results directory holds the submissions that finished")

// Students lists the submission directories of a class, sorted. Hidden
// entries, files and symbolic links are not submissions.
func Students(dir string) ([]string, error) {
	return visible(dir, os.DirEntry.IsDir)
}

// visible lists, sorted, the names of the entries of dir that are not
// hidden (no leading dot) and that keep accepts.
func visible(dir string, keep func(os.DirEntry) bool) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range entries {
		if !strings.HasPrefix(e.Name(), ".") && keep(e) {
			out = append(out, e.Name())
		}
	}
	return out, nil
}

// Outcome of a class run.
type Outcome struct {
	Graded      []string // graded in this run
	Resumed     []string // skipped: already graded
	NotGradable []string // infrastructure failures (grade them again)
	Rows        []Row    // every result in Out, for the summary
}

// Run grades the class.
func Run(ctx context.Context, o Options) (*Outcome, error) {
	if o.Grade == nil || o.Lab == nil {
		return nil, errors.New("class: no grade function or lab")
	}
	if o.Jobs < 1 {
		o.Jobs = 1
	}
	if o.Timeout == 0 {
		o.Timeout = o.Lab.Deadlines.Total.Duration + 2*time.Minute
	}
	if o.Grace == 0 {
		o.Grace = 30 * time.Second
	}
	if o.Progress == nil {
		o.Progress = io.Discard
	}
	all, err := Students(o.Dir)
	if err != nil {
		return nil, err
	}
	if err := distinctFiles(all, o.Formats); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(o.Out, 0o755); err != nil {
		return nil, err
	}
	res := &Outcome{}
	var todo []string
	for _, s := range all {
		if !o.Shard.Includes(s) {
			continue
		}
		if o.Resume && alreadyGraded(o, s) {
			res.Resumed = append(res.Resumed, s)
			continue
		}
		todo = append(todo, s)
	}
	hidden := []string{}
	for _, c := range o.Lab.Checks {
		if c.Hidden {
			hidden = append(hidden, c.ID)
		}
	}

	prog := newProgress(o.Progress, o.TTY, len(todo), len(res.Resumed))
	defer prog.close()
	var (
		mu      sync.Mutex
		wg      sync.WaitGroup
		sem     = make(chan struct{}, o.Jobs)
		writeMu sync.Mutex // one CSV rewrite at a time
		errs    []error
	)
	// the CSV of what is already there (resumed results), before anything runs
	if err := WriteCSV(o.Out); err != nil {
		return nil, err
	}
loop:
	for _, student := range todo {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			break loop
		}
		if ctx.Err() != nil {
			<-sem
			break
		}
		wg.Add(1)
		prog.start(student)
		go func(student string) {
			defer wg.Done()
			defer func() { <-sem }()
			start := time.Now()
			r, err := gradeOne(ctx, o, student)
			if ctx.Err() != nil {
				// cancelled: an incomplete result is not recorded
				prog.abandon(student)
				return
			}
			if err == nil {
				r.MarkHidden(hidden...)
				r.Version = o.Version
				err = writeResult(o, student, r)
			}
			mu.Lock()
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", student, err))
			} else {
				res.Graded = append(res.Graded, student)
				if r.Outcome == report.OutcomeNotGradable {
					res.NotGradable = append(res.NotGradable, student)
				}
			}
			mu.Unlock()
			writeMu.Lock()
			if cerr := WriteCSV(o.Out); cerr != nil {
				mu.Lock()
				errs = append(errs, cerr)
				mu.Unlock()
			}
			writeMu.Unlock()
			prog.finish(student, r, err, time.Since(start))
		}(student)
	}
	wg.Wait()
	prog.close()
	rows, err := ReadResults(o.Out)
	if err != nil {
		errs = append(errs, err)
	}
	res.Rows = rows
	sort.Strings(res.Graded)
	sort.Strings(res.NotGradable)
	if ctx.Err() != nil {
		errs = append(errs, ErrInterrupted)
	}
	return res, errors.Join(errs...)
}

// gradeOne grades one submission under its own deadline. A grade function
// that ignores its deadline is abandoned after the grace period: one
// hanging submission never holds up the class.
func gradeOne(ctx context.Context, o Options, student string) (*report.Report, error) {
	sctx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()
	type result struct {
		r   *report.Report
		err error
	}
	done := make(chan result, 1)
	started := time.Now()
	go func() {
		defer func() {
			if p := recover(); p != nil {
				done <- result{nil, fmt.Errorf("the grader crashed: %v", p)}
			}
		}()
		r, err := o.Grade(sctx, filepath.Join(o.Dir, student))
		done <- result{r, err}
	}()
	select {
	case res := <-done:
		if res.err == nil && res.r == nil {
			res.err = errors.New("the grader returned no result")
		}
		return res.r, res.err
	case <-sctx.Done():
	}
	select {
	case res := <-done:
		if res.err == nil && res.r == nil {
			res.err = errors.New("the grader returned no result")
		}
		return res.r, res.err
	case <-time.After(o.Grace):
	}
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	return timedOut(o, started), nil
}

// timedOut is the complete result of a submission whose grading never
// returned: every check an error worth 0, ungradable.
func timedOut(o Options, started time.Time) *report.Report {
	reason := fmt.Sprintf("not judged: grading did not finish within %s", o.Timeout)
	r := &report.Report{Tool: "daemonlab", Mode: report.ModeGrade, Lab: o.Lab.ID, Outcome: report.OutcomeUngradable,
		Started: started, Errors: []string{reason}}
	score, max := 0.0, 0.0
	for _, c := range o.Lab.Checks {
		p, m := 0.0, c.Points
		r.Checks = append(r.Checks, report.Check{ID: c.ID, Status: report.Error, Required: true, Observed: reason, Points: &p, MaxPoints: &m})
		max += c.Points
	}
	gradable := true
	r.Gradable, r.Score, r.MaxScore = &gradable, &score, &max
	r.DurationMS = float64(time.Since(started).Microseconds()) / 1000
	return r
}

// ResultPath is where a student's JSON result lives.
func ResultPath(out, student string) string { return filepath.Join(out, student+".json") }

// extensions name the files of the extra formats.
var extensions = map[string]string{
	"text": ".txt", "junit": ".junit.xml", "tap": ".tap", "gradescope": ".gradescope.json",
	"github": ".github.txt", "markdown": ".md", "json": ".json",
}

// ErrNameClash: two students' folder names would give one result file.
var ErrNameClash = errors.New("two students would write the same result file")

// distinctFiles refuses a class in which two students would write the same
// file: "alice.gradescope"'s record is alice's Gradescope file.
func distinctFiles(students, formats []string) error {
	owner := map[string]string{}
	for _, s := range students {
		for _, f := range resultFiles(s, formats) {
			if other, taken := owner[f.name]; taken && other != s {
				return fmt.Errorf("%w: %s (students %s and %s); rename one of the folders", ErrNameClash, f.name, other, s)
			}
			owner[f.name] = s
		}
	}
	return nil
}

// resultFile is a file writeResult writes: the student's record (no
// format) or the student's report in an extra format.
type resultFile struct{ format, name string }

// resultFiles lists the files writeResult writes for the student, the
// record first.
func resultFiles(student string, formats []string) []resultFile {
	files := []resultFile{{name: student + ".json"}}
	for _, f := range formats {
		if f == "json" {
			continue
		}
		ext := extensions[f]
		if ext == "" {
			ext = "." + f
		}
		files = append(files, resultFile{format: f, name: student + ext})
	}
	return files
}

// writeResult writes the student's JSON record (the teacher's: hidden
// checks included) and the extra formats (student-facing: hidden checks
// redacted unless asked otherwise). Each file is written whole.
func writeResult(o Options, student string, r *report.Report) error {
	if err := writeAtomic(ResultPath(o.Out, student), func(w io.Writer) error {
		jw, _ := report.NewWriter("json", report.Options{ShowHidden: true})
		return jw.Write(w, r)
	}); err != nil {
		return err
	}
	for _, f := range resultFiles(student, o.Formats)[1:] {
		opts := o.WriterOptions
		opts.Getenv = func(string) string { return "" } // no job summary per student
		w, err := report.NewWriter(f.format, opts)
		if err != nil {
			return err
		}
		if err := writeAtomic(filepath.Join(o.Out, f.name), func(out io.Writer) error { return w.Write(out, r) }); err != nil {
			return err
		}
	}
	return nil
}

// alreadyGraded reports whether a usable result exists for the student.
func alreadyGraded(o Options, student string) bool {
	r, err := readReport(ResultPath(o.Out, student))
	if err != nil {
		return false
	}
	return r.Lab == o.Lab.ID && r.Version == o.Version && r.Outcome != report.OutcomeNotGradable && r.Gradable != nil && *r.Gradable
}

func readReport(path string) (*report.Report, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var r report.Report
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if r.Tool != "daemonlab" || r.Mode != report.ModeGrade {
		return nil, fmt.Errorf("%s: not a daemonlab grade result", path)
	}
	return &r, nil
}

// writeAtomic writes through a temporary file and a rename, so a result
// or a CSV is there whole or not at all, also after Ctrl-C.
func writeAtomic(path string, fill func(io.Writer) error) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".daemonlab-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := fill(tmp); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
