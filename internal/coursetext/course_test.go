package coursetext

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/daemonlab/daemonlab/internal/testutil"

	"github.com/daemonlab/daemonlab/internal/cli/graderootcmd"
	"github.com/daemonlab/daemonlab/internal/cli/rootcmd"
	"github.com/daemonlab/daemonlab/internal/iostreams"
	"github.com/daemonlab/daemonlab/labs"
	"github.com/spf13/cobra"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var repoRoot = testutil.RepoRoot()

func course(t *testing.T) []byte {
	t.Helper()
	md, err := os.ReadFile(filepath.Join(repoRoot, "course.md"))
	require.NoError(t, err)
	return md
}

// cliTree is the command line a student types: daemonlab's own tree, with
// the grade and image stubs (which hand their arguments to daemonlab-grade
// unparsed) replaced by daemonlab-grade's real commands.
func cliTree() *cobra.Command {
	ios, _, _, _ := iostreams.Test()
	r := rootcmd.NewCmdRoot(ios)
	g := graderootcmd.NewCmdRoot(ios)
	for _, stub := range r.Commands() {
		if !stub.DisableFlagParsing {
			continue
		}
		for _, real := range g.Commands() {
			if real.Name() == stub.Name() {
				r.RemoveCommand(stub)
				g.RemoveCommand(real)
				r.AddCommand(real)
			}
		}
	}
	return r
}

func TestEveryStubHasItsRealCommand(t *testing.T) {
	for _, c := range cliTree().Commands() {
		assert.False(t, c.DisableFlagParsing, "%s is a stub without a daemonlab-grade command", c.Name())
	}
}

// The convention of the package doc: every fence names a known language,
// every ini block names its unit, every xinetd block its file.
func TestFencesFollowTheConvention(t *testing.T) {
	blocks := Blocks(course(t))
	require.NotEmpty(t, blocks)
	units := map[string]int{}
	for _, b := range blocks {
		assert.True(t, Languages[b.Lang], "course.md:%d: fence language %q is not one of the convention's", b.Line, b.Lang)
		switch b.Lang {
		case "ini":
			name := b.Attrs["unit"]
			assert.Regexp(t, `^[A-Za-z0-9_.@:-]+\.(service|socket|timer|target|path|mount|automount)$`, name, "course.md:%d: ini block without unit=NAME.TYPE", b.Line)
			if sc, ok := b.Attrs["scope"]; ok {
				assert.Equal(t, "user", sc, "course.md:%d: scope= is user or absent", b.Line)
			}
			if prev, dup := units[name]; dup {
				t.Errorf("course.md:%d: unit %s already shown at line %d; give each example its own name", b.Line, name, prev)
			}
			units[name] = b.Line
		case "xinetd":
			assert.NotEmpty(t, b.Attrs["file"], "course.md:%d: xinetd block without file=NAME", b.Line)
		}
	}
}

func TestBlocksAndAttributes(t *testing.T) {
	md := []byte("x\n```ini unit=a.timer broken\n[Timer]\nOnCalendar=daily\n```\n~~~~sh\necho ```\n~~~~\n```\nbare\n```\n")
	bs := Blocks(md)
	require.Len(t, bs, 3)
	assert.Equal(t, "ini", bs[0].Lang)
	assert.Equal(t, "a.timer", bs[0].Attrs["unit"])
	assert.True(t, bs[0].Has("broken"))
	assert.Equal(t, 2, bs[0].Line)
	assert.Equal(t, "[Timer]\nOnCalendar=daily\n", bs[0].Text)
	assert.Equal(t, "echo ```\n", bs[1].Text)
	assert.Equal(t, "", bs[2].Lang, "a bare fence is found, so the convention test can reject it")
}

func TestSplit(t *testing.T) {
	for in, want := range map[string][]string{
		`daemonlab check --pid 4242   # by pid`:          {"daemonlab", "check", "--pid", "4242"},
		`daemonlab check ./d -- -c "/etc/my d.conf"`:     {"daemonlab", "check", "./d", "--", "-c", "/etc/my d.conf"},
		`daemonlab check --reload-expect 'F=a#b'`:        {"daemonlab", "check", "--reload-expect", "F=a#b"},
		`daemonlab check x#y`:                            {"daemonlab", "check", "x#y"},
		`$ sudo daemonlab labs`:                          {"$", "sudo", "daemonlab", "labs"},
		`daemonlab explain lock \# not a comment`:        {"daemonlab", "explain", "lock", "#", "not", "a", "comment"},
		`daemonlab grade --lab 04 ./sub --json out.json`: {"daemonlab", "grade", "--lab", "04", "./sub", "--json", "out.json"},
	} {
		got, err := Split(in)
		require.NoError(t, err, in)
		assert.Equal(t, want, got, in)
	}
	_, err := Split(`daemonlab check "x`)
	assert.Error(t, err)
}

// ParseCommand must be able to fail: each of these is a mistake course.md
// made or could make.
func TestParseCommandRejects(t *testing.T) {
	parse := func(line string) error {
		argv, err := Split(line)
		require.NoError(t, err)
		return ParseCommand(cliTree, argv[1:])
	}
	for _, line := range []string{
		"daemonlab compare --bogus ./mydaemon",
		"daemonlab sandbox --lab 04 DIR OTHER",
		"daemonlab grade --lab 42 ./submission",
		"daemonlab check --lab 99 --pid 1",
		"daemonlab check --pid nan",
		"daemonlab check --bogus",
		"daemonlab check --format xml --pid 1",
		"daemonlab check --probe sighup,frobnicate --pid 1",
		"daemonlab explain timers",
		"daemonlab explain lock sigterm",
		"daemonlab labs 42",
		"daemonlab image",
		"daemonlab image build now",
		"daemonlab check --help --bogus",
	} {
		assert.Error(t, parse(line), line)
	}
	assert.NoError(t, CheckName(cliTree, []string{"image", "build"}))
	assert.NoError(t, CheckName(cliTree, []string{"grade"}))
	assert.NoError(t, CheckName(cliTree, []string{"sandbox"}))
	assert.Error(t, CheckName(cliTree, []string{"explain", "lock"}), "an argument is not a command name")
	for _, line := range []string{
		"daemonlab check --help",
		"daemonlab check ./mydaemon -- -p /tmp/x.pid --frob",
		"daemonlab check --pid 4242 --probe sighup,sigterm",
		"daemonlab explain ID",
		"daemonlab labs 4",
		"daemonlab grade --lab 04 DIR --json result.json",
		"daemonlab image build",
		"daemonlab check --lab 05 --pid 4242",
		"daemonlab sandbox --lab 07",
		"daemonlab sandbox DIR",
	} {
		assert.NoError(t, parse(line), line)
	}
}

// Every daemonlab command line in course.md parses against the real CLI.
func TestCourseCommandsParse(t *testing.T) {
	cmds, err := DaemonlabCommands(course(t))
	require.NoError(t, err)
	require.NotEmpty(t, cmds)
	seen := map[string]bool{}
	for _, c := range cmds {
		if len(c.Args) > 0 {
			seen[c.Args[0]] = true
		}
		if c.Inline && CheckName(cliTree, c.Args) == nil {
			continue // "`daemonlab grade` runs ..." names the command
		}
		assert.NoError(t, ParseCommand(cliTree, c.Args), "course.md:%d: %s", c.Line, c.Text)
	}
	t.Logf("%d daemonlab command lines parsed", len(cmds))
	for _, sub := range []string{"check", "explain", "labs", "grade", "image"} {
		assert.True(t, seen[sub], "course.md shows no `daemonlab %s` example", sub)
	}
}

// SeedTopics are the topics issue 12 asks for, each with the anchor a link
// (or this test) finds it by.
var SeedTopics = []string{
	"foreground-switch",     // a --foreground / no-daemonize switch
	"reaping-children",      // SIGCHLD, waitpid
	"configuration-files",   // /etc/NAME.conf and APUE 13.6 conventions
	"syslog-facilities",     // facilities, LOG_PERROR
	"log-reopen",            // SIGHUP's third convention: reopen logs for logrotate
	"levels-of-off",         // stop, disable, mask
	"watchdog",              // WatchdogSec=, WATCHDOG=1, Restart=on-watchdog
	"user-services",         // ~/.config/systemd/user, systemctl --user, enable-linger
	"runlevels-and-targets", // side by side
	"chkconfig-and-update-rc-d",
	"inetd-conf",      // fields and built-in services
	"tcp-wrappers",    // hosts.allow / hosts.deny
	"screen-and-tmux", // detaching
	"job-control",     // jobs, bg, fg
	"survey",          // pstree, ps axj
	"kernel-threads",  // ppid 2
	"windows-services",
}

func TestSeedTopicsHaveAnchors(t *testing.T) {
	anchors := Anchors(course(t))
	for _, a := range SeedTopics {
		assert.True(t, anchors[a], "course.md has no anchor %q", a)
	}
}

// Every internal link #x in course.md points at an anchor that exists.
func TestInternalLinksResolve(t *testing.T) {
	md := course(t)
	anchors := Anchors(md)
	for i, l := range Prose(md) {
		for _, m := range internalLink.FindAllStringSubmatch(l, -1) {
			assert.True(t, anchors[m[1]], "course.md:%d: link to #%s, which does not exist", i+1, m[1])
		}
	}
}

func TestAnchors(t *testing.T) {
	a := Anchors([]byte("# Part 1: making a daemon\n<a id=\"x-y\"></a>\n## `systemctl` and `journalctl`\n## Part 1: making a daemon\n```sh\n# not a heading\n```\n"))
	for _, want := range []string{"part-1-making-a-daemon", "x-y", "systemctl-and-journalctl", "part-1-making-a-daemon-1"} {
		assert.True(t, a[want], want)
	}
	assert.False(t, a["not-a-heading"])
}

// Shell examples parse as POSIX sh (the host's sh -n: syntax only, nothing
// runs). console blocks contribute their "$ " lines.
func TestShellExamplesParse(t *testing.T) {
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh")
	}
	n := 0
	for _, b := range Blocks(course(t)) {
		var script string
		switch b.Lang {
		case "sh":
			script = b.Text
		case "console":
			for _, l := range strings.Split(b.Text, "\n") {
				if c, ok := strings.CutPrefix(l, "$ "); ok {
					script += c + "\n"
				}
			}
			if script == "" {
				t.Errorf("course.md:%d: console block without a \"$ \" command line", b.Line)
			}
		default:
			continue
		}
		n++
		out, err := exec.Command(sh, "-n", "-c", script).CombinedOutput()
		assert.NoError(t, err, "course.md:%d: sh -n: %s\n%s", b.Line, out, script)
	}
	t.Logf("%d shell examples parsed", n)
	assert.NotZero(t, n)
}

// Python examples compile.
func TestPythonExamplesCompile(t *testing.T) {
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("no python3")
	}
	for _, b := range Blocks(course(t)) {
		if b.Lang != "python" {
			continue
		}
		cmd := exec.Command(py, "-c", "import sys; compile(sys.stdin.read(), 'course.md', 'exec')")
		cmd.Stdin = strings.NewReader(b.Text)
		out, err := cmd.CombinedOutput()
		assert.NoError(t, err, "course.md:%d: %s", b.Line, out)
	}
}

// inetd.conf lines have the fields inetd(8) reads.
func TestInetdLines(t *testing.T) {
	n := 0
	for _, b := range Blocks(course(t)) {
		if b.Lang != "inetd" {
			continue
		}
		for i, l := range strings.Split(b.Text, "\n") {
			if strings.TrimSpace(l) == "" || strings.HasPrefix(strings.TrimSpace(l), "#") {
				continue
			}
			n++
			assert.NoError(t, InetdLine(l), "course.md:%d", b.Line+1+i)
		}
	}
	assert.NotZero(t, n)
	for _, bad := range []string{
		"daytime stream tcp nowait nobody", // too few fields
		"daytime stream tcp maybe nobody /bin/x x",
		"daytime stream tcp nowait nobody /bin/x x # a comment", // inetd has no trailing comments
		"daytime dgram tcp nowait nobody /bin/x x",
		"daytime stream tcp nowait nobody bin/x x",
	} {
		assert.Error(t, InetdLine(bad), bad)
	}
	assert.NoError(t, InetdLine("echo stream tcp nowait root internal"))
}

// labSections finds the course sections a lab's assignment names:
// "course.md#ANCHOR" links and "sections a, b, c" / "Course sections: a, b"
// lists.
var (
	courseLink   = regexp.MustCompile(`course\.md#([A-Za-z0-9_-]+)`)
	sectionsList = regexp.MustCompile(`(?i)sections:?\s+((?:[a-z0-9-]+)(?:,\s*(?:and\s+)?[a-z0-9-]+)*)`)
)

func labSections(text string) []string {
	var out []string
	for _, m := range courseLink.FindAllStringSubmatch(text, -1) {
		out = append(out, m[1])
	}
	for _, m := range sectionsList.FindAllStringSubmatch(text, -1) {
		for _, s := range strings.Split(m[1], ",") {
			out = append(out, strings.TrimPrefix(strings.TrimSpace(s), "and "))
		}
	}
	return out
}

// Every course section a lab's assignment sends students to exists.
func TestLabsPointAtExistingSections(t *testing.T) {
	anchors := Anchors(course(t))
	all, err := labs.List()
	require.NoError(t, err)
	require.NotEmpty(t, all)
	for _, l := range all {
		secs := labSections(l.Assignment())
		assert.NotEmpty(t, secs, "lab %s names no course section", l.ID)
		for _, s := range secs {
			assert.True(t, anchors[s], "lab %s points at course.md#%s, which does not exist", l.ID, s)
		}
	}
}

func TestLabSections(t *testing.T) {
	assert.Equal(t, []string{"x", "unit-files", "service-types", "restart", "journal"},
		labSections("See course.md#x. Read `course.md`, sections\nunit-files, service-types, restart, journal."))
	assert.Equal(t, []string{"service-types", "readiness"}, labSections("Course sections: service-types, readiness."))
}

// Recorded from the image (systemd 252, xinetd 2.3.15): the classifiers
// keep what matters and drop only the harmless man: line, also without an
// engine to run them.
func TestVerifyProblemsOnRecordedOutput(t *testing.T) {
	out := `/x/cleanup.timer:6: Failed to parse boolean value, ignoring: true            # run at boot if the machine was off at 02:30
/x/cleanup.timer:8: Failed to parse sec value, ignoring: 1s             # default 1min
test_daemon.service: Command 'man test_daemon(8)' failed with code 1
testService.service:6: Unknown key 'Enviroment' in section [Service], ignoring.
cleanup.service: Command /usr/local/bin/cleanup is not executable: No such file or directory
`
	p := VerifyProblems(out)
	require.Len(t, p, 4)
	assert.Contains(t, p[0], "Failed to parse boolean value")
	assert.Contains(t, p[1], "Failed to parse sec value")
	assert.Contains(t, p[2], "Unknown key")
	assert.Contains(t, p[3], "not executable")
	assert.Empty(t, VerifyProblems("\n  \ntest_daemon.service: Command 'man test_daemon(8)' failed with code 1\n"))
}

func TestXinetdProblemsOnRecordedOutput(t *testing.T) {
	out := `26/12/2@18:30:22: WARNING: 21 {parse_value_list} Bad service type: # [file=/tmp/x.conf] [line=6]
26/12/2@18:30:22: ERROR: 21 {identify_attribute} Error parsing attribute type - DISABLING SERVICE [file=/tmp/x.conf] [line=6]
Service configuration: mydaytime
	type = UNLISTED
26/12/2@18:30:22: DEBUG: 21 {cnf_start_services} Started service: mydaytime
`
	p := XinetdProblems(out)
	require.Len(t, p, 2)
	assert.Contains(t, p[0], "Bad service type: #")
	assert.Contains(t, p[1], "ERROR")
}
