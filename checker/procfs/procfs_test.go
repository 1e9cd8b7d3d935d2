package procfs

import (
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var fake = New("testdata/proc")

func TestParseStat(t *testing.T) {
	tests := []struct {
		name    string
		line    string
		want    Stat
		wantErr string
	}{
		{
			name: "plain",
			line: "812 (cron) S 1 812 812 0 -1 1077936192 50 0 0 0 1 2 0 0 20 0 1 0 4242 5000000",
			want: Stat{PID: 812, Comm: "cron", State: 'S', PPID: 1, PGRP: 812, Session: 812, TTYNr: 0, TPGID: -1, Flags: 1077936192, NumThreads: 1, StartTicks: 4242},
		},
		{
			name: "comm with spaces and parentheses splits on the last paren",
			line: "77 (my (weird) d) aemon) R 5 6 7 34817 77 0 0 0 0 0 0 0 0 0 20 0 3 0 99 0",
			want: Stat{PID: 77, Comm: "my (weird) d) aemon", State: 'R', PPID: 5, PGRP: 6, Session: 7, TTYNr: 34817, TPGID: 77, NumThreads: 3, StartTicks: 99},
		},
		{name: "no command", line: "12 cron S 1", wantErr: "no command name"},
		{name: "truncated", line: "12 (cron) S 1 2 3", wantErr: "fields after the command name"},
		{name: "bad ppid", line: "12 (cron) S x 812 812 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 1 0", wantErr: "field 4"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseStat([]byte(tt.line))
			if tt.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestTTYNumbers(t *testing.T) {
	// pts/1 is 136:1, encoded as 34817; pts/300 has a minor above 255.
	s := Stat{TTYNr: 34817}
	assert.Equal(t, uint32(136), s.TTYMajor())
	assert.Equal(t, uint32(1), s.TTYMinor())
	s = Stat{TTYNr: int(137<<8 | 44)}
	assert.Equal(t, uint32(137), s.TTYMajor())
	assert.Equal(t, uint32(44), s.TTYMinor())
}

func TestFakeTreeStat(t *testing.T) {
	st, err := fake.Stat(813)
	require.NoError(t, err)
	assert.Equal(t, "a b) c) (x", st.Comm)
	assert.True(t, st.IsZombie())
	assert.Equal(t, 812, st.PPID)

	st, err = fake.Stat(900)
	require.NoError(t, err)
	assert.True(t, st.IsKernelThread())

	_, err = fake.Stat(4242)
	assert.True(t, IsGone(err))
}

func TestParseStatus(t *testing.T) {
	st, err := fake.Status(812)
	require.NoError(t, err)
	assert.True(t, st.HasUmask)
	assert.Equal(t, uint32(0o22), st.Umask)
	assert.Equal(t, []int{812}, st.NSpid)
	assert.Equal(t, [4]uint32{0, 0, 0, 0}, st.UID)
	assert.True(t, st.SigCgt.Has(syscall.SIGHUP))
	assert.True(t, st.SigCgt.Has(syscall.SIGCHLD))
	assert.False(t, st.SigCgt.Has(syscall.SIGTERM))
	assert.Equal(t, uint64(0x1ffffffffff), st.CapEff)
	assert.True(t, st.HasNoNewPrivs)

	// An old kernel without the Umask line: not an error, just absent.
	st, err = fake.Status(813)
	require.NoError(t, err)
	assert.False(t, st.HasUmask)
	assert.Equal(t, []uint32{0, 4, 27}, st.Groups)
	assert.False(t, st.HasNoNewPrivs)

	_, err = ParseStatus([]byte("Umask:\t0022\n"))
	assert.ErrorContains(t, err, "no Name line")
	_, err = ParseStatus([]byte("Name:\tx\nSigBlk:\tzz\n"))
	assert.ErrorContains(t, err, "SigBlk")
}

func TestTasksArePerThread(t *testing.T) {
	tids, err := fake.Tasks(813)
	require.NoError(t, err)
	assert.Equal(t, []int{813, 814}, tids)
	main, err := fake.TaskStatus(813, 813)
	require.NoError(t, err)
	other, err := fake.TaskStatus(813, 814)
	require.NoError(t, err)
	assert.Equal(t, SigSet(0), main.SigBlk)
	assert.True(t, other.SigBlk.Has(syscall.SIGUSR1), "SigBlk is per thread: %s", other.SigBlk)
}

func TestSigSet(t *testing.T) {
	s := SigSetOf(syscall.SIGHUP, syscall.SIGTERM, syscall.Signal(36))
	assert.Equal(t, "SIGHUP,SIGTERM,SIGRTMIN+2", s.String())
	assert.Equal(t, "none", SigSet(0).String())
	assert.Equal(t, "SIGHUP,… (3 signals)", s.Brief(1))
	for _, name := range []string{"SIGUSR1", "usr1", "10"} {
		sig, ok := ParseSignal(name)
		assert.True(t, ok, name)
		assert.Equal(t, syscall.SIGUSR1, sig, name)
	}
	sig, ok := ParseSignal("SIGRTMIN+3")
	assert.True(t, ok)
	assert.Equal(t, syscall.Signal(37), sig)
	_, ok = ParseSignal("SIGNOPE")
	assert.False(t, ok)
}

func TestParseLocks(t *testing.T) {
	locks, err := fake.Locks()
	require.NoError(t, err)
	require.Len(t, locks, 6, "the bogus line is skipped, the others kept")

	assert.Equal(t, Lock{ID: 1, Class: ClassPOSIX, Kind: "ADVISORY", Access: "WRITE", PID: 4321, DevMajor: 0xfe, DevMinor: 1, Inode: 5678, Start: "0", End: "EOF"}, locks[0])
	assert.Equal(t, ClassFlock, locks[1].Class)
	assert.Equal(t, 811, locks[1].PID)
	assert.Equal(t, uint32(0x1a), locks[1].DevMinor)
	assert.Equal(t, ClassOFD, locks[2].Class)
	assert.Equal(t, -1, locks[2].PID, "OFD locks have no pid")
	assert.True(t, locks[3].Blocked, "'->' marks a waiter")
	assert.Equal(t, 4400, locks[3].PID)
	assert.Equal(t, uint32(0x103), locks[4].DevMajor, "the device is hexadecimal")
	assert.Equal(t, "200", locks[4].End)
	assert.Equal(t, "LEASE", locks[5].Class)

	_, err = ParseLockLine("1: POSIX ADVISORY WRITE 1 nodev 0 EOF")
	assert.Error(t, err)
}

func TestFDs(t *testing.T) {
	fds, err := fake.FDs(812)
	require.NoError(t, err)
	require.Len(t, fds, 3)
	assert.Equal(t, "/dev/null", fds[0].Target)

	pidfile := fds[1]
	assert.Equal(t, 3, pidfile.Num)
	assert.Equal(t, "/run/crond.pid", pidfile.Target)
	require.True(t, pidfile.HasInfo)
	assert.Equal(t, "rw", pidfile.Info.AccessMode())
	assert.True(t, pidfile.Info.CloseOnExec())
	assert.Equal(t, uint64(1234), pidfile.Info.Ino)
	require.Len(t, pidfile.Info.Locks, 1)
	assert.Equal(t, 811, pidfile.Info.Locks[0].PID, "a flock taken by a parent that has exited")

	sfd := fds[2]
	assert.Equal(t, "signalfd", sfd.AnonKind())
	require.True(t, sfd.Info.HasSigMask)
	assert.Equal(t, "SIGHUP,SIGTERM", sfd.Info.SigMask.String())
}

func TestParseFDInfoLockKinds(t *testing.T) {
	for _, tt := range []struct{ line, class string }{
		{"lock:\t1: FLOCK  ADVISORY  WRITE 2716 fe:00:9978005 0 EOF", ClassFlock},
		{"lock:\t1: POSIX  ADVISORY  WRITE 2716 fe:00:9978006 0 EOF", ClassPOSIX},
		{"lock:\t1: OFDLCK ADVISORY  WRITE -1 fe:00:9978007 0 EOF", ClassOFD},
	} {
		fi, err := ParseFDInfo([]byte("pos:\t0\nflags:\t02100002\nmnt_id:\t27\nino:\t9978007\n" + tt.line + "\n"))
		require.NoError(t, err)
		require.Len(t, fi.Locks, 1)
		assert.Equal(t, tt.class, fi.Locks[0].Class)
	}
}

func TestParseUnixListeners(t *testing.T) {
	data := []byte(`Num       RefCount Protocol Flags    Type St Inode Path
0000000000000000: 00000002 00000000 00010000 0001 01 1001 @haveged
0000000000000000: 00000002 00000000 00010000 0001 01 1002 /run/app.sock
0000000000000000: 00000002 00000000 00000000 0001 03 1003 /run/app.sock
0000000000000000: 00000002 00000000 00000000 0002 01 1004 /run/dgram.sock
0000000000000000: 00000002 00000000 00000000 0001 03 1005
`)
	got := ParseUnixListeners(data)
	assert.Equal(t, []Listener{
		{Proto: "unix", Path: "@haveged", Inode: 1001},
		{Proto: "unix", Path: "/run/app.sock", Inode: 1002},
		{Proto: "unix", Path: "/run/dgram.sock", Inode: 1004},
	}, got, "listening stream and bound datagram sockets, not connections")
	assert.True(t, got[0].Abstract())
	assert.Equal(t, "abstract unix socket @haveged", got[0].String())
}

func TestParseUnixStreams(t *testing.T) {
	data := []byte(`Num       RefCount Protocol Flags    Type St Inode Path
0000000000000000: 00000002 00000000 00010000 0001 01 1001 /run/systemd/journal/stdout
0000000000000000: 00000003 00000000 00000000 0001 03 1002 /run/systemd/journal/stdout
0000000000000000: 00000003 00000000 00000000 0001 03 1003
0000000000000000: 00000002 00000000 00000000 0002 01 1004 /run/dgram.sock
0000000000000000: 00000002 00000000 00000000 0005 03 1005
`)
	assert.Equal(t, map[uint64]bool{1002: true, 1003: true}, ParseUnixStreams(data), "connected stream sockets: not the listener, not datagram or seqpacket")
}

func TestParseListeners(t *testing.T) {
	tcp := []byte(`  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 462180 1 0000000000000000 100 0 0 10 0
   1: 0100007F:A1B2 0100007F:0016 01 00000000:00000000 00:00000000 00000000     0        0 462999 1 0000000000000000 100 0 0 10 0
`)
	got := ParseListeners("tcp", tcp)
	require.Len(t, got, 1, "an established connection is not a listener")
	assert.Equal(t, Listener{Proto: "tcp", Port: 22, Inode: 462180}, got[0])
	udp := []byte(`  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops
  1: 00000000:0035 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 777 2 0000000000000000 0
`)
	assert.Equal(t, []Listener{{Proto: "udp", Port: 53, Inode: 777}}, ParseListeners("udp", udp))
}

func TestListenerNames(t *testing.T) {
	tests := []struct {
		name string
		l    Listener
		want string
	}{
		{"abstract", Listener{Proto: "unix", Path: "@haveged"}, "abstract unix socket @haveged"},
		{"abstract, all NUL (irqbalance)", Listener{Proto: "unix", Path: strings.Repeat("@", 108)}, "abstract unix socket with an all-NUL name"},
		{"abstract, NULs inside a name", Listener{Proto: "unix", Path: "@a@b"}, "abstract unix socket @a@b"},
		{"path", Listener{Proto: "unix", Path: "/run/app.sock"}, "unix socket /run/app.sock"},
		{"tcp", Listener{Proto: "tcp6", Port: 22}, "tcp6 port 22"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, tt.l.String())
		})
	}
}
