package checker

import (
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCmdlinePIDFiles(t *testing.T) {
	tests := []struct {
		name string
		argv []string
		want []string
	}{
		{"fail2ban-server -p", []string{"/usr/bin/python3", "/usr/bin/fail2ban-server", "-b", "-s", "/run/f.sock", "-p", "/var/run/fail2ban/fail2ban.pid"}, []string{"/var/run/fail2ban/fail2ban.pid"}},
		{"--pidfile=FILE", []string{"privoxy", "--pidfile=/run/privoxy.pid", "/etc/privoxy/config"}, []string{"/run/privoxy.pid"}},
		{"--pid-file FILE and --pid=FILE", []string{"d", "--pid-file", "a.pid", "--pid=/b.pid"}, []string{"a.pid", "/b.pid"}},
		{"-p PORT and -P FILE: every value is a candidate", []string{"dropbear", "-p", "2222", "-P", "/run/dropbear.pid"}, []string{"2222", "/run/dropbear.pid"}},
		{"-pidfile FILE", []string{"xinetd", "-pidfile", "/run/xinetd.pid"}, []string{"/run/xinetd.pid"}},
		{"a flag without its value", []string{"d", "-p"}, nil},
		{"argv[0] is not an option", []string{"--pidfile=/x.pid"}, nil},
		{"an empty value", []string{"d", "--pidfile=", "-p", ""}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, cmdlinePIDFiles(tt.argv))
		})
	}
}

// writePIDFile writes the pid in argv[2] (its own when "self") to the file
// argv[1], closes it, and sleeps: fail2ban-server -p FILE.
const writePIDFile = `
import os, signal, sys
pid = os.getpid() if sys.argv[2] == "self" else int(sys.argv[2])
with open(sys.argv[1], "w") as f:
    f.write("%d\n" % pid)
`

// TestPIDFileNamedOnTheCommandLine: attach mode finds a pid file that no
// descriptor holds and no /run name guess reaches, from the command line,
// but only when it names this very process.
func TestPIDFileNamedOnTheCommandLine(t *testing.T) {
	tests := []struct {
		name  string
		args  func(path string) []string
		names string // "self" or another pid
		found bool
	}{
		{name: "-p FILE", args: func(p string) []string { return []string{"-b", "-p", p} }, names: "self", found: true},
		{name: "--pidfile=FILE", args: func(p string) []string { return []string{"--pidfile=" + p} }, names: "self", found: true},
		{name: "naming another pid", args: func(p string) []string { return []string{"-p", p} }, names: strconv.Itoa(os.Getpid()), found: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "fail2ban.pid")
			// the pid file's path and what it holds come first, the options
			// under test after them
			pid := startPython(t, writePIDFile, append([]string{path, tt.names}, tt.args(path)...)...)
			s := takeReal(t, pid, Options{})
			if !tt.found {
				assert.NotEqual(t, path, s.PIDFile.Path)
				return
			}
			require.Equal(t, path, s.PIDFile.Path, "how: %s", s.PIDFile.How)
			assert.Equal(t, "named on its command line", s.PIDFile.How)
			assert.Equal(t, pid, s.PIDFile.PID)
			assert.Equal(t, "pass", string(findCheck(t, Judge(s, DefaultProfile(), nil), "pidfile").Status))
		})
	}
}

// TestPIDFileUnderAnotherNameInRun: inetutils-syslogd writes
// /run/syslog.pid, a name no guess from "syslogd" reaches: any /run/*.pid
// naming this very process is its pid file, one naming another is not.
func TestPIDFileUnderAnotherNameInRun(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("writes in /run")
	}
	tests := []struct {
		name  string
		names string // "self" or another pid
		found bool
	}{
		{name: "naming it", names: "self", found: true},
		{name: "naming another pid", names: strconv.Itoa(os.Getpid()), found: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join("/run", "daemonlab-test-"+strconv.Itoa(os.Getpid())+"-"+strconv.FormatBool(tt.found)+".pid")
			t.Cleanup(func() { os.Remove(path) })
			pid := startPython(t, writePIDFile, path, tt.names)
			require.Eventually(t, func() bool { _, err := os.Stat(path); return err == nil }, 10*time.Second, 5*time.Millisecond)
			s := takeReal(t, pid, Options{})
			if !tt.found {
				assert.NotEqual(t, path, s.PIDFile.Path)
				return
			}
			require.Equal(t, path, s.PIDFile.Path, "how: %s", s.PIDFile.How)
			assert.Equal(t, "found at "+path, s.PIDFile.How)
		})
	}
}
