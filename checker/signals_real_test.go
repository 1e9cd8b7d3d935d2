package checker

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/daemonlab/daemonlab/checker/launch"
	"github.com/daemonlab/daemonlab/checker/procfs"
	"github.com/daemonlab/daemonlab/internal/testutil"
	"github.com/daemonlab/daemonlab/report"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// ignoredSignalfd is uuidd: SIGINT left ignored, but (argv[1] "signalfd")
// blocked and read by a signalfd, which ends the program on SIGINT; with
// "ignored" it is only ignored.
const ignoredSignalfd = `
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	sigset_t set;
	struct signalfd_siginfo si;
	int fd;

	signal(SIGINT, SIG_IGN);
	if (argc < 2 || strcmp(argv[1], "signalfd") != 0) {
		printf("ready\n");
		fflush(stdout);
		for (;;)
			pause();
	}
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0 || (fd = signalfd(-1, &set, SFD_CLOEXEC)) < 0) {
		perror("signalfd");
		return 2;
	}
	printf("ready\n");
	fflush(stdout);
	while (read(fd, &si, sizeof si) == sizeof si)
		if (si.ssi_signo == SIGINT)
			return 0;
	return 1;
}
`

// buildC compiles a C fixture into the test's temporary directory.
func buildC(t *testing.T, name, source string) string {
	t.Helper()
	dir := t.TempDir()
	src := filepath.Join(dir, name+".c")
	require.NoError(t, os.WriteFile(src, []byte(source), 0o644))
	return testutil.CompileC(t, src, filepath.Join(dir, name))
}

// TestIgnoredButReadBySignalfd: an ignored signal that is blocked and in a
// signalfd's mask is delivered to the signalfd (the kernel never discards
// a blocked signal as ignored): sigdisp credits it as sigmask credits a
// signalfd, in both modes. Only ignored, it stays a failure (launch) or
// advice (attach).
func TestIgnoredButReadBySignalfd(t *testing.T) {
	testutil.SkipShort(t, "real processes")
	bin := buildC(t, "ignored-signalfd", ignoredSignalfd)
	planted := &launch.Planted{Umask: 0o077, Ignored: []syscall.Signal{syscall.SIGINT}, LauncherPID: -1, Subreaper: -1}
	tests := []struct {
		name    string
		variant string
		planted *launch.Planted
		want    report.Status
		says    string
	}{
		{name: "signalfd, launch", variant: "signalfd", planted: planted, want: report.Pass, says: "SIGINT ignored, but blocked and consumed by a signalfd"},
		{name: "signalfd, attach", variant: "signalfd", want: report.Pass, says: "SIGINT ignored, but blocked and consumed by a signalfd"},
		{name: "only ignored, launch", variant: "ignored", planted: planted, want: report.Fail, says: "SIGINT is still ignored, as the launcher left it"},
		{name: "only ignored, attach", variant: "ignored", want: report.Warn, says: "SIGINT ignored, as a shell's & leaves them"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pid := startReal(t, bin, tt.variant)
			s := takeReal(t, pid, Options{})
			got := findCheck(t, Judge(s, DefaultProfile(), tt.planted), "sigdisp")
			assert.Equal(t, tt.want, got.Status, "observed: %s", got.Observed)
			assert.Contains(t, got.Observed, tt.says)
			if tt.variant != "signalfd" {
				return
			}
			// What the verdict rests on: SIGINT reaches the signalfd, and
			// the fixture returns.
			require.True(t, s.Status.SigIgn.Has(syscall.SIGINT))
			require.NoError(t, syscall.Kill(pid, syscall.SIGINT))
			assert.Eventually(t, func() bool {
				st, err := procfs.New("").Stat(pid)
				return err == nil && st.IsZombie()
			}, 5*time.Second, 5*time.Millisecond, "SIGINT did not end it through its signalfd")
		})
	}
}
