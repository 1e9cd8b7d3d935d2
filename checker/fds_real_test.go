package checker

import (
	"strings"
	"testing"

	"github.com/daemonlab/daemonlab/checker/launch"
	"github.com/daemonlab/daemonlab/report"
	"github.com/stretchr/testify/assert"
)

// reserveDevNull is postfix's master on fds 3 and 5-8: everything above 2
// closed, then /dev/null dup()ed onto fixed numbers, close-on-exec or not
// (argv[1]: "cloexec" or "inheritable", the C open() without O_CLOEXEC
// that a spare left after dup2() is).
const reserveDevNull = `
import os, signal, sys
os.closerange(3, 1024)
for n in (3, 5, 6, 7, 8):
    os.dup2(0, n, inheritable=sys.argv[1] != "cloexec")
`

// TestReservedDevNullOnRealProcess: a /dev/null descriptor above 2 with
// O_CLOEXEC cannot have come through the exec and reaches no child: a
// warning, never explained as inherited. Without O_CLOEXEC it stays a
// failure, in both modes.
func TestReservedDevNullOnRealProcess(t *testing.T) {
	planted := &launch.Planted{Umask: 0o077, LauncherPID: -1, Subreaper: -1}
	tests := []struct {
		name    string
		flags   string
		planted *launch.Planted
		want    report.Status
		says    string
		never   []string
	}{
		{name: "close-on-exec, attach", flags: "cloexec", want: report.Warn, says: "/dev/null beyond 2, close-on-exec: reserved on purpose", never: []string{"inherited", "left over"}},
		{name: "close-on-exec, launch", flags: "cloexec", planted: planted, want: report.Warn, says: "/dev/null beyond 2, close-on-exec: reserved on purpose", never: []string{"inherited", "left over"}},
		{name: "inheritable, attach", flags: "inheritable", want: report.Fail, says: "/dev/null beyond 2: left over after dup2(), or inherited"},
		{name: "inheritable, launch", flags: "inheritable", planted: planted, want: report.Fail, says: "/dev/null beyond 2: the spare descriptor left over after dup2()"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pid := startPython(t, reserveDevNull, tt.flags)
			got := findCheck(t, Judge(takeReal(t, pid, Options{}), DefaultProfile(), tt.planted), "fds")
			assert.Equal(t, tt.want, got.Status, "observed: %s", got.Observed)
			assert.Contains(t, got.Observed, tt.says)
			details := strings.Join(got.Details, "\n")
			assert.Contains(t, details, "fd 8 → /dev/null ("+tt.says)
			for _, no := range tt.never {
				assert.NotContains(t, details, no)
			}
		})
	}
}
