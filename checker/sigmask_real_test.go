package checker

import (
	"path/filepath"
	"strconv"
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

// blockedWaiter installs SIGTERM and SIGHUP handlers, blocks both, says
// "ready" and then, by argv[1]:
//
//	pause        sleeps in pause(): both stay blocked for ever (qa2 d12)
//	sigwait      takes both with sigwait() in a loop; returns on SIGTERM
//	sigwait-hup  takes only SIGHUP with sigwait(): SIGTERM stays blocked
//	thread       a second thread takes both with sigwait(); main pause()s
//	sigsuspend   sleeps in sigsuspend() with an empty mask
const blockedWaiter = `
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static void on(int sig) { (void)sig; }

static sigset_t both, hup;

static void *waiter(void *arg)
{
	int sig;

	(void)arg;
	for (;;)
		if (sigwait(&both, &sig) == 0 && sig == SIGTERM)
			_exit(0);
	return NULL;
}

int main(int argc, char **argv)
{
	struct sigaction sa;
	sigset_t empty;
	pthread_t th;
	int sig;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigemptyset(&both);
	sigaddset(&both, SIGTERM);
	sigaddset(&both, SIGHUP);
	sigemptyset(&hup);
	sigaddset(&hup, SIGHUP);
	sigemptyset(&empty);
	sigprocmask(SIG_BLOCK, &both, NULL);
	if (argc < 2)
		return 2;
	if (strcmp(argv[1], "thread") == 0 && pthread_create(&th, NULL, waiter, NULL) != 0)
		return 2;
	printf("ready\n");
	fflush(stdout);
	if (strcmp(argv[1], "sigwait") == 0)
		for (;;)
			if (sigwait(&both, &sig) == 0 && sig == SIGTERM)
				return 0;
	if (strcmp(argv[1], "sigwait-hup") == 0)
		for (;;)
			sigwait(&hup, &sig);
	if (strcmp(argv[1], "sigsuspend") == 0)
		for (;;)
			sigsuspend(&empty);
	for (;;)
		pause();
}
`

// waitAsleep waits until the process has threads threads, all asleep
// (their state read from task/TID/status), so that the snapshot sees the
// wait each one settled in, not the way to it.
func waitAsleep(t *testing.T, pid, threads int) {
	t.Helper()
	fs := procfs.New("")
	require.Eventually(t, func() bool {
		tids, err := fs.Tasks(pid)
		if err != nil || len(tids) != threads {
			return false
		}
		for _, tid := range tids {
			st, err := fs.TaskStatus(pid, tid)
			if err != nil || st.State != 'S' {
				return false
			}
		}
		return true
	}, readyTimeout, 5*time.Millisecond, "pid %d: %d thread(s) never all asleep", pid, threads)
}

// TestBlockedSignalExcusedOnlyByAWaiter is qa2 F2: a handler alone never
// excuses a signal blocked in every thread; a thread asleep in sigwait()
// does (the kernel shows the signals it waits for unblocked), sigsuspend
// does (its temporary mask), in attach and launch mode alike.
func TestBlockedSignalExcusedOnlyByAWaiter(t *testing.T) {
	testutil.SkipShort(t, "real processes")
	bin := buildC(t, "blocked-waiter", blockedWaiter)
	planted := &launch.Planted{Umask: 0o077, Blocked: []syscall.Signal{syscall.SIGUSR1}, LauncherPID: -1, Subreaper: -1}
	tests := []struct {
		name    string
		variant string
		threads int
		planted *launch.Planted
		want    report.Status
		says    []string
		// ends: SIGTERM ends the process; else it stays pending
		ends bool
		// (where a thread sleeps is named only when task/TID/wchan reads,
		// which the verdict does not rest on: it is not asserted)
	}{
		{name: "handler, blocked, pause, attach", variant: "pause", threads: 1, want: report.Fail,
			says: []string{"SIGHUP,SIGTERM blocked in all 1 thread(s) and nothing waits for it", "a handler is installed for SIGHUP,SIGTERM"}},
		{name: "handler, blocked, pause, launch", variant: "pause", threads: 1, planted: planted, want: report.Fail,
			says: []string{"SIGHUP,SIGTERM blocked by the daemon itself in all 1 thread(s)"}},
		{name: "sigwait loop, attach", variant: "sigwait", threads: 1, want: report.Pass, says: []string{"no signal blocked"}, ends: true},
		{name: "sigwait loop, launch", variant: "sigwait", threads: 1, planted: planted, want: report.Pass, says: []string{"no signal blocked"}, ends: true},
		{name: "sigwait for SIGHUP only, attach", variant: "sigwait-hup", threads: 1, want: report.Fail,
			says: []string{"SIGTERM blocked in all 1 thread(s)"}},
		{name: "a thread in sigwait, attach", variant: "thread", threads: 2, want: report.Pass,
			says: []string{"SIGHUP,SIGTERM blocked on purpose in 2 thread(s)"}, ends: true},
		{name: "sigsuspend loop, attach", variant: "sigsuspend", threads: 1, want: report.Pass, says: []string{"no signal blocked"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pid := startReal(t, bin, tt.variant)
			waitAsleep(t, pid, tt.threads)
			s := takeReal(t, pid, Options{})
			got := findCheck(t, Judge(s, DefaultProfile(), tt.planted), "sigmask")
			assert.Equal(t, tt.want, got.Status, "observed: %s", got.Observed)
			for _, says := range tt.says {
				assert.Contains(t, got.Observed, says)
			}
			t.Logf("sigmask %s: %s", got.Status, got.Observed)
			if tt.variant == "sigsuspend" {
				return
			}
			// What the verdict rests on: SIGTERM ends the process, or
			// stays pending, blocked, for ever.
			require.NoError(t, syscall.Kill(pid, syscall.SIGTERM))
			fs := procfs.New("")
			if tt.ends {
				assert.Eventually(t, func() bool {
					st, err := fs.Stat(pid)
					return err == nil && st.IsZombie()
				}, readyTimeout, 5*time.Millisecond, "SIGTERM did not end it")
				return
			}
			assert.Eventually(t, func() bool {
				st, err := fs.Status(pid)
				return err == nil && st.ShdPnd.Has(syscall.SIGTERM)
			}, readyTimeout, 5*time.Millisecond, "SIGTERM not pending")
		})
	}
}

// TestSigmaskWithHiddenWaitChannels: without ptrace access (another
// user's or a non-dumpable process) task/TID/wchan reads "0" and
// task/TID/syscall cannot be read at all; the verdict rests on each
// thread's mask and state, read together from task/TID/status, readable
// by anyone: a thread asleep in sigwait() still shows the signals it
// waits for unblocked, a pause()d one does not.
func TestSigmaskWithHiddenWaitChannels(t *testing.T) {
	const pid = 812
	tests := []struct {
		name   string
		masks  []string // SigBlk of each thread
		states []string
		want   report.Status
		says   string
	}{
		{name: "sigwait thread", masks: []string{"0000000000004001", "0000000000000000"}, states: []string{"S (sleeping)", "S (sleeping)"},
			want: report.Pass, says: "SIGHUP,SIGTERM blocked, but not in all of 2 thread(s)"},
		{name: "paused", masks: []string{"0000000000004001"}, states: []string{"S (sleeping)"},
			want: report.Fail, says: "SIGHUP,SIGTERM blocked in all 1 thread(s) and nothing waits for it"},
		{name: "paused, one thread running", masks: []string{"0000000000004001", "0000000000004001"}, states: []string{"S (sleeping)", "R (running)"},
			want: report.Warn, says: "not asleep"},
		{name: "paused, in disk sleep", masks: []string{"0000000000004001"}, states: []string{"D (disk sleep)"},
			want: report.Fail, says: "never be delivered"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeProc(t)
			f.proc(1, 0, 1, 1, 0, "init", "0000")
			f.proc(pid, 1, 811, 811, 0, "blk", "0000")
			for i, mask := range tt.masks {
				tid := pid + i
				status := "Name:\tblk\nUmask:\t0000\nState:\t" + tt.states[i] + "\nTgid:\t812\nPid:\t" + strconv.Itoa(tid) +
					"\nPPid:\t1\nUid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\nGroups:\t\nShdPnd:\t0000000000000000\nSigBlk:\t" + mask +
					"\nSigIgn:\t0000000000000000\nSigCgt:\t0000000000004001\nCapEff:\t0000000000000000\n"
				f.write(filepath.Join(strconv.Itoa(pid), "task", strconv.Itoa(tid), "status"), status)
				f.write(filepath.Join(strconv.Itoa(pid), "task", strconv.Itoa(tid), "wchan"), "0")
			}
			s := f.take(pid, "")
			require.NoError(t, s.TasksErr)
			require.Len(t, s.Tasks, len(tt.masks))
			got := findCheck(t, Judge(s, DefaultProfile(), nil), "sigmask")
			assert.Equal(t, tt.want, got.Status, "observed: %s", got.Observed)
			assert.Contains(t, got.Observed, tt.says)
			assert.NotContains(t, got.Observed, "asleep in 0")
		})
	}
}
