package unitfile

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCheckFiles(t *testing.T) {
	tests := []struct {
		file string
		want []at
	}{
		{"good.service", nil},
		{"good.socket", nil},
		{"good.timer", nil},
		{"comments.service", nil},
		{"continuation.service", nil},
		{"duplicate.service", nil},
		{"seed-testService.service", []at{
			{6, Warning, CodeTypo},
			{10, Warning, CodeDeprecatedSyslog},
			{11, Warning, CodeDeprecatedSyslog},
		}},
		{"relative-exec.service", []at{
			{5, Error, CodeRelativeExec}, // -mkdir
			{6, Error, CodeRelativeExec}, // test_daemon
			{8, Error, CodeRelativeExec}, // @./cleanup
		}},
		{"no-install.service", []at{{0, Warning, CodeMissingInstall}}},
		{"syntax-after-continuation.service", []at{{10, Error, CodeSyntax}}},
		{"key-before-section.service", []at{{2, Error, CodeNoSection}}},
		{"forking.service", []at{{5, Warning, CodeForkingWithoutPIDFile}}},
		{"bad-restart.service", []at{{6, Error, CodeBadRestart}}},
		{"bad-timespan.service", []at{
			{8, Error, CodeBadTimespan},  // 5 minits
			{10, Error, CodeBadTimespan}, // -1
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			ds, err := CheckFile("testdata/" + tt.file)
			require.NoError(t, err)
			want := tt.want
			if want == nil {
				want = []at{}
			}
			assert.Equal(t, want, ats(ds), "diagnostics: %v", ds)
			for _, d := range ds {
				assert.Equal(t, "testdata/"+tt.file, d.Path)
				assert.NotEmpty(t, d.Message)
			}
		})
	}
}

// The course seed has exactly these problems, and the messages are part of
// what the student reads.
func TestSeedMessages(t *testing.T) {
	ds, err := CheckFile("testdata/seed-testService.service")
	require.NoError(t, err)
	require.Len(t, ds, 3)
	assert.Equal(t, "testdata/seed-testService.service:6: warning: unknown key Enviroment, did you mean Environment?", ds[0].String())
	assert.Equal(t, "unknown key Enviroment, did you mean Environment?", ds[0].Message)
	assert.Contains(t, ds[1].Message, "StandardOutput=syslog is deprecated")
	assert.Contains(t, ds[1].Message, "StandardOutput=journal")
	assert.Contains(t, ds[2].Message, "StandardError=syslog is deprecated")
}

func TestRelativeExecMessage(t *testing.T) {
	ds, err := CheckFile("testdata/relative-exec.service")
	require.NoError(t, err)
	require.NotEmpty(t, ds)
	assert.Contains(t, ds[0].Message, `ExecStartPre= command "mkdir" is not an absolute path`)
	assert.Contains(t, ds[1].Message, `ExecStart= command "test_daemon"`)
}

func TestLint(t *testing.T) {
	const install = "\n[Install]\nWantedBy=multi-user.target\n"
	tests := []struct {
		name  string
		kind  string
		input string
		want  []at
		msg   string // substring of the first diagnostic's message
	}{
		{name: "minimal service", kind: "service", input: "[Service]\nExecStart=/bin/true\n" + install},
		{name: "missing [Service]", kind: "service", input: "[Unit]\nDescription=x\n" + install,
			want: []at{{0, Error, CodeMissingSection}}},
		{name: "missing ExecStart", kind: "service", input: "[Unit]\nDescription=x\n[Service]\nUser=nobody\n" + install,
			want: []at{{3, Error, CodeMissingExecStart}}},
		{name: "ExecStart reset to nothing", kind: "service", input: "[Service]\nExecStart=/bin/true\nExecStart=\n" + install,
			want: []at{{1, Error, CodeMissingExecStart}}},
		{name: "two ExecStart in a simple service", kind: "service", input: "[Service]\nExecStart=/bin/a\nExecStart=/bin/b\n" + install,
			want: []at{{3, Error, CodeMultipleExecStart}}},
		{name: "two ExecStart in a oneshot service", kind: "service", input: "[Service]\nType=oneshot\nExecStart=/bin/a\nExecStart=/bin/b\nRemainAfterExit=yes\n" + install},
		{name: "exec prefixes, quotes and specifiers", kind: "service", input: "[Service]\nExecStart=!!@-:+/bin/a a\nExecStartPre=\"/opt/my app/run\" x\nExecStartPost=%h/bin/post\nExecReload=%n\nExecStop=\"stop\"\nExecStopPost=-\n" + install,
			want: []at{{5, Error, CodeRelativeExec}, {6, Error, CodeRelativeExec}, {7, Error, CodeRelativeExec}}, msg: `ExecReload= command "%n"`},
		{name: "bad Type", kind: "service", input: "[Service]\nType=daemon\nExecStart=/bin/a\n" + install,
			want: []at{{2, Error, CodeBadType}}, msg: "Type=daemon is not a service type"},
		{name: "forking with PIDFile", kind: "service", input: "[Service]\nType=forking\nPIDFile=/run/a.pid\nExecStart=/bin/a\n" + install},
		{name: "relative PIDFile", kind: "service", input: "[Service]\nType=forking\nPIDFile=a.pid\nExecStart=/bin/a\n" + install,
			want: []at{{3, Error, CodeRelativePIDFile}}},
		{name: "every Restart value", kind: "service", input: "[Service]\nExecStart=/bin/a\nRestart=no\nRestart=on-success\nRestart=on-failure\nRestart=on-abnormal\nRestart=on-watchdog\nRestart=on-abort\nRestart=always\n" + install},
		{name: "Restart=always with oneshot", kind: "service", input: "[Service]\nType=oneshot\nExecStart=/bin/a\nRestart=always\n" + install,
			want: []at{{4, Error, CodeBadRestart}}},
		{name: "booleans", kind: "service", input: "[Service]\nExecStart=/bin/a\nRemainAfterExit=maybe\nNoNewPrivileges=YES\nPrivateTmp=1\nProtectSystem=strict\nProtectHome=read-only\nProtectSystem=everything\nDynamicUser=off\n" + install,
			want: []at{{3, Error, CodeBadBool}, {8, Error, CodeBadBool}}, msg: "RemainAfterExit=maybe: expected a boolean"},
		{name: "time spans", kind: "service", input: "[Service]\nExecStart=/bin/a\nRestartSec=5\nRestartSec=5s\nTimeoutStopSec=1min 30s\nTimeoutSec=100ms\nWatchdogSec=infinity\nTimeoutStartSec=1h30min\nRestartSec=0.5\nRestartSec=five\nRestartSec=5 parsecs\n" + install,
			want: []at{{10, Error, CodeBadTimespan}, {11, Error, CodeBadTimespan}}},
		{name: "syslog+console is deprecated too", kind: "service", input: "[Service]\nExecStart=/bin/a\nStandardError=syslog+console\nStandardOutput=journal\n" + install,
			want: []at{{3, Warning, CodeDeprecatedSyslog}}, msg: "write StandardError=journal+console"},
		{name: "unknown key far from every known one", kind: "service", input: "[Service]\nExecStart=/bin/a\nFrobnicate=yes\n" + install,
			want: []at{{3, Warning, CodeUnknownKey}}, msg: "unknown key Frobnicate in section [Service]"},
		{name: "typos in every checked section, case included", kind: "service", input: "[Unit]\nDescriptoin=x\n[Service]\nexecstart=/bin/a\nExecStart=/bin/a\nRestrat=always\n[Install]\nWantdBy=multi-user.target\nWantedBy=multi-user.target\n",
			want: []at{{2, Warning, CodeTypo}, {4, Warning, CodeTypo}, {6, Warning, CodeTypo}, {8, Warning, CodeTypo}}, msg: "unknown key Descriptoin, did you mean Description?"},
		{name: "X- keys and sections are accepted", kind: "service", input: "[Service]\nExecStart=/bin/a\nX-Lab=04\n[X-Course]\nAnything=goes\n" + install},
		{name: "misplaced keys", kind: "service", input: "[Unit]\nDescription=x\nWantedBy=multi-user.target\n[Service]\nExecStart=/bin/a\nAfter=network.target\nListenStream=80\n" + install,
			want: []at{{3, Warning, CodeMisplacedKey}, {6, Warning, CodeMisplacedKey}, {7, Warning, CodeMisplacedKey}}, msg: "key WantedBy belongs in [Install], not [Unit]"},
		{name: "unknown and misspelt sections", kind: "service", input: "[Service]\nExecStart=/bin/a\n[Servcie]\nUser=x\n[Whatever]\nA=b\n" + install,
			want: []at{{3, Warning, CodeTypo}, {5, Warning, CodeUnknownSection}}, msg: "unknown section [Servcie], did you mean [Service]?"},
		{name: "section of another unit type", kind: "timer", input: "[Timer]\nOnBootSec=5min\n[Service]\nExecStart=bin\n\n[Install]\nWantedBy=timers.target\n",
			want: []at{{3, Warning, CodeWrongSection}}, msg: "section [Service] is ignored in a .timer unit"},
		{name: "[Install] without WantedBy", kind: "service", input: "[Service]\nExecStart=/bin/a\n[Install]\nDefaultInstance=x\n",
			want: []at{{3, Warning, CodeMissingInstall}}},
		{name: "[Install] with Alias only", kind: "service", input: "[Service]\nExecStart=/bin/a\n[Install]\nAlias=b.service\n"},
		{name: "socket without Listen", kind: "socket", input: "[Socket]\nAccept=yes\n[Install]\nWantedBy=sockets.target\n",
			want: []at{{1, Error, CodeMissingListen}}},
		{name: "socket without [Socket]", kind: "socket", input: "[Unit]\nDescription=x\n[Install]\nWantedBy=sockets.target\n",
			want: []at{{0, Error, CodeMissingSection}}},
		{name: "socket with a bad boolean and a relative ExecStartPre", kind: "socket", input: "[Socket]\nListenStream=/run/a.sock\nAccept=sometimes\nExecStartPre=mkdir /run/a\n[Install]\nWantedBy=sockets.target\n",
			want: []at{{3, Error, CodeBadBool}, {4, Error, CodeRelativeExec}}},
		{name: "timer without On*", kind: "timer", input: "[Timer]\nPersistent=true\nOnClockChange=no\n[Install]\nWantedBy=timers.target\n",
			want: []at{{1, Error, CodeMissingTrigger}}},
		{name: "timer on clock change only", kind: "timer", input: "[Timer]\nOnClockChange=yes\n[Install]\nWantedBy=timers.target\n"},
		{name: "timer without [Timer] nor [Install]", kind: "timer", input: "[Unit]\nDescription=x\n",
			want: []at{{0, Error, CodeMissingSection}, {0, Warning, CodeMissingInstall}}},
		{name: "timer with a bad span", kind: "timer", input: "[Timer]\nOnBootSec=5 mins\nOnUnitActiveSec=1d\n[Install]\nWantedBy=timers.target\n",
			want: []at{{2, Error, CodeBadTimespan}}},
		{name: "target: no type section, no install needed", kind: "target", input: "[Unit]\nDescription=x\n"},
		{name: "empty kind checks only common things", kind: "", input: "[Unit]\nDescripton=x\n[Mount]\nWhat=/dev/sda1\n",
			want: []at{{2, Warning, CodeTypo}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u, pds := Parse("x."+tt.kind, strings.NewReader(tt.input))
			require.Empty(t, pds, "the inputs are syntactically valid")
			ds := Lint(u, tt.kind)
			want := tt.want
			if want == nil {
				want = []at{}
			}
			assert.Equal(t, want, ats(ds), "diagnostics: %v", ds)
			if tt.msg != "" && assert.NotEmpty(t, ds) {
				assert.Contains(t, ds[0].Message, tt.msg)
			}
		})
	}
}

func TestParseBool(t *testing.T) {
	for _, s := range []string{"1", "yes", "y", "true", "t", "on", "YES", "True", "On"} {
		v, ok := ParseBool(s)
		assert.True(t, ok, s)
		assert.True(t, v, s)
	}
	for _, s := range []string{"0", "no", "n", "false", "f", "off", "OFF"} {
		v, ok := ParseBool(s)
		assert.True(t, ok, s)
		assert.False(t, v, s)
	}
	for _, s := range []string{"", "2", "yess", "enabled", "o"} {
		_, ok := ParseBool(s)
		assert.False(t, ok, s)
	}
}

func TestValidTimespan(t *testing.T) {
	for _, s := range []string{"0", "5", "5s", "5 s", "1min 30s", "1min30s", "100ms", "1.5h", ".5s",
		"infinity", "2 weeks", "3d 4h", "10usec", "10µs", "1y", "1M", "2 months", " 7 ",
		"5s5", // a trailing number without a unit is seconds, as in systemd
	} {
		assert.True(t, ValidTimespan(s), s)
	}
	for _, s := range []string{"", "-1", "five", "5 parsecs", "5mins", "s", "1min 30 sekunden", "infinite", "1e3", "5,5s"} {
		assert.False(t, ValidTimespan(s), s)
	}
}

func TestSuggest(t *testing.T) {
	keys := sectionKeys["Service"]
	for in, want := range map[string]string{
		"Enviroment":       "Environment",
		"EnviromentFile":   "EnvironmentFile",
		"ExecStrat":        "ExecStart",
		"execstart":        "ExecStart",
		"WorkingDirectoy":  "WorkingDirectory",
		"RestartSecs":      "RestartSec",
		"Usr":              "User",
		"SysLogIdentifier": "SyslogIdentifier",
	} {
		got, ok := suggest(in, keys)
		assert.True(t, ok, in)
		assert.Equal(t, want, got, in)
	}
	for _, in := range []string{"Frobnicate", "Us", "X", "ExecSomething"} {
		got, ok := suggest(in, keys)
		assert.False(t, ok, "%s suggested %s", in, got)
	}
	assert.Equal(t, 1, editDistance("Enviroment", "Environment"))
	assert.Equal(t, 0, editDistance("USER", "user"))
	assert.Equal(t, 3, editDistance("", "abc"))
}

// Every key in the tables appears once per section and looks like a systemd
// key, so a typo in the tables themselves is caught.
func TestKeyTables(t *testing.T) {
	for section, keys := range map[string][]string{
		"Unit": unitKeys, "Install": installKeys, "Service": serviceOwnKeys,
		"exec": execKeys, "kill": killKeys, "cgroup": cgroupKeys,
		"Socket": socketOwnKeys, "Timer": timerKeys,
	} {
		seen := map[string]bool{}
		for _, k := range keys {
			assert.False(t, seen[k], "%s: %s twice", section, k)
			seen[k] = true
			assert.Regexp(t, `^[A-Z][A-Za-z0-9]+$`, k)
		}
	}
	assert.Greater(t, len(sectionKeys["Service"]), 250)
	for k := range boolKeys {
		assert.True(t, inAnySection(k), "boolean %s is not a known key", k)
	}
	for k := range timespanKeys {
		assert.True(t, inAnySection(k), "time span %s is not a known key", k)
	}
}

func inAnySection(k string) bool {
	for _, s := range sectionKeySet {
		if s[k] {
			return true
		}
	}
	return false
}
