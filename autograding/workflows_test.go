// Package autograding holds the CI files daemonlab ships for courses
// (GitHub Actions, GitLab CI); its test checks that they are well formed
// and that every daemonlab command line in them is one daemonlab accepts.
package autograding

import (
	"context"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/daemonlab/daemonlab/internal/cli/gradecmd"
	"github.com/daemonlab/daemonlab/internal/cli/gradescmd"
	"github.com/daemonlab/daemonlab/internal/iostreams"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"
)

func load(t *testing.T, path string) map[string]any {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	var doc map[string]any
	require.NoError(t, yaml.Unmarshal(data, &doc), path)
	return doc
}

var expr = regexp.MustCompile(`\$\{\{[^}]*\}\}|\$[A-Z_]+`)

// commands finds the daemonlab command lines of a CI file, with
// expressions and variables replaced by plausible values.
func commands(t *testing.T, path string) [][]string {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	text := strings.ReplaceAll(string(data), ">-\n", "\n")
	// join folded continuation lines of a run: >- block
	lines := strings.Split(text, "\n")
	var out [][]string
	for i := 0; i < len(lines); i++ {
		l := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(lines[i]), "- "))
		l = strings.TrimPrefix(l, "run: ")
		if !strings.HasPrefix(l, "daemonlab ") {
			continue
		}
		// a folded (>-) command goes on over the lines indented like it
		indent := len(lines[i]) - len(strings.TrimLeft(lines[i], " "))
		for i+1 < len(lines) && isContinuation(lines[i+1], indent) {
			i++
			l += " " + strings.TrimSpace(lines[i])
		}
		l, _, _ = strings.Cut(l, " |")
		l = expr.ReplaceAllStringFunc(l, func(e string) string {
			switch {
			case strings.Contains(e, "shard"):
				return "1"
			case e == "$SHARDS":
				return "4"
			case strings.Contains(e, "lab"), e == "$LAB":
				return "04"
			}
			return "x"
		})
		out = append(out, strings.Fields(strings.ReplaceAll(l, `"`, "")))
	}
	return out
}

var yamlKey = regexp.MustCompile(`^\s*(- )?[\w-]+:`)

func isContinuation(line string, indent int) bool {
	trimmed := strings.TrimLeft(line, " ")
	return trimmed != "" && len(line)-len(trimmed) == indent && !yamlKey.MatchString(line) && !strings.HasPrefix(trimmed, "- ")
}

// accept parses a daemonlab command line with the real commands, without
// running anything.
func accept(t *testing.T, argv []string) {
	t.Helper()
	ios, _, _, _ := iostreams.Test()
	switch argv[1] {
	case "grade":
		cmd := gradecmd.NewCmdGrade(ios, func(context.Context, *gradecmd.Options) error { return nil })
		cmd.SetArgs(argv[2:])
		cmd.SilenceErrors, cmd.SilenceUsage = true, true
		assert.NoError(t, cmd.Execute(), "%v", argv)
	case "grades":
		cmd := gradescmd.NewCmdGrades(ios)
		sub, rest, err := cmd.Find(argv[2:])
		require.NoError(t, err, "%v", argv)
		assert.NoError(t, sub.ParseFlags(rest), "%v", argv)
		assert.NoError(t, sub.ValidateArgs(sub.Flags().Args()), "%v", argv)
	case "image":
		assert.Equal(t, []string{"daemonlab", "image", "build"}, argv)
	default:
		t.Errorf("unknown command %v", argv)
	}
}

func TestClassWorkflow(t *testing.T) {
	doc := load(t, "github/grade-class.yml")
	jobs := doc["jobs"].(map[string]any)
	g := jobs["grade"].(map[string]any)
	shards := g["strategy"].(map[string]any)["matrix"].(map[string]any)["shard"].([]any)
	assert.Equal(t, len(shards), doc["env"].(map[string]any)["SHARDS"], "SHARDS matches the matrix")
	assert.Equal(t, "grade", jobs["merge"].(map[string]any)["needs"])
	cmds := commands(t, "github/grade-class.yml")
	require.Len(t, cmds, 3) // image build, grade a shard, merge
	for _, c := range cmds {
		accept(t, c)
	}
	assert.Contains(t, strings.Join(cmds[1], " "), "--shard 1/4")
	assert.Equal(t, "merge", cmds[2][2])
}

func TestStudentWorkflow(t *testing.T) {
	doc := load(t, "github/grade-student.yml")
	on := doc["on"].(map[string]any)
	assert.Contains(t, on, "push")
	g := doc["jobs"].(map[string]any)["grade"].(map[string]any)
	assert.Equal(t, "${{ steps.grade.outputs.score }}", g["outputs"].(map[string]any)["score"])
	cmds := commands(t, "github/grade-student.yml")
	require.Len(t, cmds, 2)
	for _, c := range cmds {
		accept(t, c)
	}
	assert.Contains(t, strings.Join(cmds[1], " "), "--format github")
}

func TestGitLabJob(t *testing.T) {
	doc := load(t, "gitlab/.gitlab-ci.yml")
	job := doc["daemonlab"].(map[string]any)
	reports := job["artifacts"].(map[string]any)["reports"].(map[string]any)
	assert.Equal(t, "daemonlab-junit.xml", reports["junit"])
	cmds := commands(t, "gitlab/.gitlab-ci.yml")
	require.Len(t, cmds, 2)
	for _, c := range cmds {
		accept(t, c)
	}
	assert.Contains(t, strings.Join(cmds[1], " "), "--report junit:daemonlab-junit.xml")
}
