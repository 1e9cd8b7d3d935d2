// Package autogradercmd implements `daemonlab autograder gradescope`: the
// autograder zip Gradescope runs for a launch-mode lab (01–03). Gradescope
// runs autograders in plain containers (no systemd as PID 1, no Docker),
// so the zip grades in place: run_autograder calls `daemonlab grade
// --in-place` on /autograder/submission and writes Gradescope's
// /autograder/results/results.json — always, even when daemonlab itself
// could not run.
package autogradercmd

import (
	"archive/zip"
	"bytes"
	"debug/elf"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"slices"
	"strings"
	"text/template"
	"time"

	"github.com/daemonlab/daemonlab/internal/cmdutil"
	"github.com/daemonlab/daemonlab/internal/inplace"
	"github.com/daemonlab/daemonlab/internal/iostreams"
	"github.com/daemonlab/daemonlab/labs"
	"github.com/daemonlab/daemonlab/report"
	"github.com/spf13/cobra"
)

// Options are the inputs of `daemonlab autograder gradescope`.
type Options struct {
	IO               *iostreams.IOStreams
	Lab              string
	Output           string
	Binary           string
	HiddenVisibility string
}

// NewCmdAutograder builds `daemonlab autograder` and its gradescope command.
func NewCmdAutograder(ios *iostreams.IOStreams) *cobra.Command {
	cmd := &cobra.Command{Use: "autograder", Short: "Build autograders for course platforms (Gradescope)"}
	opts := &Options{IO: ios}
	gs := &cobra.Command{
		Use:   "gradescope --lab ID -o autograder.zip",
		Short: "Build a Gradescope autograder zip for a launch-mode lab (01–03)",
		Long: `Build the zip to upload as a Gradescope programming assignment's
autograder: setup.sh (installs a C compiler, make and python3 when the
image lacks them), run_autograder, this static daemonlab binary and the
lab's spec (lab/lab.yaml, with your points and hidden checks).

Gradescope's containers cannot boot systemd and have no Docker, so
run_autograder grades with daemonlab grade --in-place: the submission is
built (as nobody) and run in the autograder container itself, which
Gradescope throws away after each run. Only launch-mode labs can be graded
there; labs that need systemd (04–09) are refused. A Go submission needs a
Go toolchain in the image (Gradescope's images have none): without one the
result says it could not be built there.

run_autograder always writes /autograder/results/results.json: the
graded result, or a complete "not graded" result when daemonlab could not
finish.`,
		Example: `  daemonlab autograder gradescope --lab 01 -o autograder.zip
  daemonlab autograder gradescope --labs-dir ./my-labs --lab 02 -o lab02.zip --hidden-visibility after_published`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error { return Build(opts) },
	}
	f := gs.Flags()
	f.StringVar(&opts.Lab, "lab", "", "lab id (01, 02, 03) or a lab folder")
	f.StringVarP(&opts.Output, "output", "o", "autograder.zip", "the zip to write")
	f.StringVar(&opts.Binary, "binary", "", "the static daemonlab binary to ship (default: this one)")
	f.StringVar(&opts.HiddenVisibility, "hidden-visibility", "hidden", "Gradescope visibility of the lab's hidden checks: hidden, after_due_date or after_published")
	cmd.AddCommand(gs)
	return cmd
}

// Build writes the autograder zip.
func Build(o *Options) error {
	if o.Lab == "" {
		return cmdutil.BadInput("--lab is required (see daemonlab labs)")
	}
	if !slices.Contains(report.GradescopeVisibilities[:3], o.HiddenVisibility) {
		return cmdutil.BadInput("--hidden-visibility %q: want hidden, after_due_date or after_published", o.HiddenVisibility)
	}
	lab, err := labs.Load(o.Lab)
	if err != nil {
		return cmdutil.BadInput("%v", err)
	}
	if err := inplace.Supported(lab); err != nil {
		return cmdutil.BadInput("lab %s needs systemd, which Gradescope's containers cannot boot: grade it with daemonlab grade --lab %s (a container), or in CI (see autograding/)", lab.ID, lab.ID)
	}
	spec, err := labFiles(lab)
	if err != nil {
		return cmdutil.BadInput("lab %s: %v", lab.ID, err)
	}
	bin := o.Binary
	if bin == "" {
		if bin, err = os.Executable(); err != nil {
			return err
		}
	}
	binary, err := os.ReadFile(bin)
	if err != nil {
		return cmdutil.BadInput("--binary: %v", err)
	}
	if err := static(binary); err != nil {
		return cmdutil.BadInput("%s: %v (build it with make build, CGO_ENABLED=0)", bin, err)
	}
	var setup, run bytes.Buffer
	data := struct{ Lab, Version, Visibility string }{lab.ID, cmdutil.Version, o.HiddenVisibility}
	if err := setupTmpl.Execute(&setup, data); err != nil {
		return err
	}
	if err := runTmpl.Execute(&run, data); err != nil {
		return err
	}
	files := []zipFile{
		{"setup.sh", 0o755, setup.Bytes()},
		{"run_autograder", 0o755, run.Bytes()},
		{"daemonlab", 0o755, binary},
	}
	for name, content := range spec {
		files = append(files, zipFile{"lab/" + name, 0o644, content})
	}
	return cmdutil.WriteFileAtomic(o.Output, func(w io.Writer) error { return writeZip(w, files) })
}

// labFiles are the lab's spec and assignment, as the teacher has them
// (bundled or from --labs-dir), for the checker to load as a lab folder.
func labFiles(lab *labs.Spec) (map[string][]byte, error) {
	if lab.FS == nil {
		return nil, fmt.Errorf("a lab given as a single spec file cannot be shipped: give its folder or id")
	}
	out := map[string][]byte{}
	for _, name := range []string{"lab.yaml", "README.md"} {
		b, err := fs.ReadFile(lab.FS, path.Join(lab.Dir, name))
		if err != nil {
			if name == "README.md" {
				continue
			}
			return nil, err
		}
		out[name] = b
	}
	return out, nil
}

// static refuses a binary that needs a dynamic loader: Gradescope's image
// may have another libc than the machine that built it.
func static(b []byte) error {
	f, err := elf.NewFile(bytes.NewReader(b))
	if err != nil {
		return fmt.Errorf("not an ELF executable: %v", err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			return fmt.Errorf("not a static binary (it needs a dynamic loader)")
		}
	}
	return nil
}

type zipFile struct {
	name string
	mode os.FileMode
	data []byte
}

// writeZip writes files in order, with their modes (Gradescope unpacks
// with them) and a fixed time, so the same inputs give the same zip.
func writeZip(w io.Writer, files []zipFile) error {
	slices.SortStableFunc(files[3:], func(a, b zipFile) int { return strings.Compare(a.name, b.name) })
	zw := zip.NewWriter(w)
	epoch := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, f := range files {
		h := &zip.FileHeader{Name: f.name, Method: zip.Deflate, Modified: epoch}
		h.SetMode(f.mode)
		fw, err := zw.CreateHeader(h)
		if err != nil {
			return err
		}
		if _, err := fw.Write(f.data); err != nil {
			return err
		}
	}
	return zw.Close()
}

var setupTmpl = template.Must(template.New("setup").Parse(`#!/bin/sh
# Gradescope autograder setup for daemonlab lab {{.Lab}} (daemonlab {{.Version}}).
# Runs once when Gradescope builds the autograder image: installs what a
# submission may need to build (a C compiler, make, python3) when missing.
# Go is not installed: a Go submission is reported as not buildable here.
set -eu
need=""
command -v cc >/dev/null 2>&1 || need="$need gcc libc6-dev"
command -v make >/dev/null 2>&1 || need="$need make"
command -v python3 >/dev/null 2>&1 || need="$need python3"
if [ -n "$need" ]; then
	apt-get update
	DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $need
fi
chmod 0755 /autograder/source/daemonlab /autograder/source/run_autograder
/autograder/source/daemonlab version
`))

var runTmpl = template.Must(template.New("run").Parse(`#!/bin/sh
# Gradescope autograder for daemonlab lab {{.Lab}} (daemonlab {{.Version}}).
# Grades /autograder/submission in place — this container is the sandbox,
# thrown away after the run — and writes /autograder/results/results.json,
# always: a complete "not graded" result when daemonlab could not finish.
set -u
src=/autograder/source
results=/autograder/results
mkdir -p "$results"
rm -f "$results/results.json"
"$src/daemonlab" grade --in-place --lab "$src/lab" \
	--format gradescope --output "$results/results.json" \
	--hidden-visibility {{.Visibility}} --report text \
	/autograder/submission
code=$?
if [ ! -s "$results/results.json" ]; then
	printf '{"score": 0, "output": "NOT GRADED: daemonlab could not run here (exit %d); this is not your score, ask your teacher to re-run the autograder.", "tests": []}\n' "$code" >"$results/results.json"
fi
# 0 (full marks), 1 (points lost) and 3 (could not be built) are grades.
case $code in 0|1|3) exit 0 ;; *) exit "$code" ;; esac
`))
