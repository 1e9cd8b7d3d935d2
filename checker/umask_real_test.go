package checker

import (
	"testing"

	"github.com/daemonlab/daemonlab/checker/launch"
	"github.com/daemonlab/daemonlab/report"
	"github.com/stretchr/testify/assert"
)

// setUmask is postfix's master: it calls umask(077) itself.
const setUmask = `
import os, signal, sys
os.umask(int(sys.argv[1], 8))
`

// TestUmaskEqualToThePlantedOne: a daemon that sets the very mask launch
// mode planted cannot be told from one that never called umask(): the
// verdict is the rule's, the message does not claim either.
func TestUmaskEqualToThePlantedOne(t *testing.T) {
	planted := &launch.Planted{Umask: 0o077, LauncherPID: -1, Subreaper: -1}
	tests := []struct {
		name, mask string
		want       report.Status
		says       string
		never      string
	}{
		{name: "sets the planted 077 itself", mask: "077", want: report.Fail, says: "umask 0077, the same as the mask planted at launch: cannot tell whether the daemon set it", never: "the daemon never called umask()"},
		{name: "sets 027", mask: "027", want: report.Warn, says: "set by the daemon"},
		{name: "sets 0", mask: "0", want: report.Pass, says: "umask 0000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pid := startPython(t, setUmask, tt.mask)
			got := findCheck(t, Judge(takeReal(t, pid, Options{}), DefaultProfile(), planted), "umask")
			assert.Equal(t, tt.want, got.Status, "observed: %s", got.Observed)
			assert.Contains(t, got.Observed, tt.says)
			if tt.never != "" {
				assert.NotContains(t, got.Observed, tt.never)
			}
		})
	}
}
