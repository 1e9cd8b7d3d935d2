package cmdutil

import (
	"errors"
	"io"
	"strings"

	"github.com/daemonlab/daemonlab/internal/iostreams"
	"github.com/daemonlab/daemonlab/report"
	"github.com/spf13/pflag"
)

// ReportSpec is one report to write: a format and a file ("" or "-" is
// stdout).
type ReportSpec struct {
	Format string
	Path   string
}

// AddReportList adds --report FORMAT[:FILE], repeatable.
func AddReportList(f *pflag.FlagSet, reports *[]string) {
	f.StringArrayVar(reports, "report", nil, "also write a report: FORMAT[:FILE] (stdout without FILE); repeatable, e.g. --report text --report junit:report.xml")
}

// ResolveReports turns --format/--output and the --report values into the
// list of reports to write. --format/--output count when given, or when
// there is no --report (then the default is text on stdout).
func ResolveReports(format, output string, reports []string) ([]ReportSpec, error) {
	var specs []ReportSpec
	if format != "" || output != "" || len(reports) == 0 {
		if format == "" {
			format = "text"
		}
		specs = append(specs, ReportSpec{Format: format, Path: output})
	}
	for _, v := range reports {
		format, path, _ := strings.Cut(v, ":")
		if format == "" {
			return nil, BadInput("--report %q: want FORMAT[:FILE]", v)
		}
		specs = append(specs, ReportSpec{Format: format, Path: path})
	}
	seen := map[string]bool{}
	for i, s := range specs {
		if s.Path == "-" {
			specs[i].Path = ""
		}
		if _, err := report.NewWriter(s.Format, report.Options{}); err != nil {
			return nil, BadInput("%v", err)
		}
		if s.Path != "" && s.Path != "-" {
			if seen[s.Path] {
				return nil, BadInput("two reports would be written to %s", s.Path)
			}
			seen[s.Path] = true
		}
	}
	return specs, nil
}

// WriteReports writes r in every requested format. Files are written whole
// or not at all; text on a terminal is coloured unless NO_COLOR is set.
// Every report is attempted; the first error is returned.
func WriteReports(ios *iostreams.IOStreams, r *report.Report, specs []ReportSpec, opts report.Options) error {
	var errs []error
	for _, s := range specs {
		o := opts
		o.Color = s.Path == "" && ios.ColorEnabled()
		w, err := report.NewWriter(s.Format, o)
		if err != nil {
			errs = append(errs, BadInput("%v", err))
			continue
		}
		write := verdictWriter(w, s.Format, r)
		if s.Path == "" {
			err = write(ios.Out, r)
		} else {
			err = WriteFileAtomic(s.Path, func(out io.Writer) error { return write(out, r) })
		}
		if err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
