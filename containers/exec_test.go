package containers

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// reach is what a root process of the container does to a reader it has
// found (timeout and the command under it, by the marker that ends their
// command lines): write into its output and open its memory, as root and
// as the reader's own user. It prints one line for each that worked.
const reach = `m="$1"
for p in $(/usr/bin/pgrep -f "sleep $m\$"); do
  for as in "" "/usr/bin/setpriv --reuid 65534 --regid 65534 --clear-groups"; do
    $as /bin/sh -c "echo FORGED >> /proc/$p/fd/1" 2>/dev/null && echo "wrote into $p ${as:+as nobody}"
    $as /bin/sh -c ": < /proc/$p/mem" 2>/dev/null && echo "opened the memory of $p ${as:+as nobody}"
  done
done
true`

// TestNonDumpableExecIsOutOfReach: a root process that watches the
// container for the grader's readers can write into the output, and open
// the memory, of a plain exec (timeout and the command under it, as root
// or as nobody); under WithNonDumpable it reaches neither, and the reader
// still works (journalctl reads the journal as nobody).
func TestNonDumpableExecIsOutOfReach(t *testing.T) {
	c := start(t, Options{})
	tests := []struct {
		name    string
		user    string
		sealed  bool
		reached bool
	}{
		{name: "root, plain", reached: true},
		{name: "root, non-dumpable", sealed: true},
		{name: "nobody, plain", user: "65534:65534", reached: true},
		{name: "nobody, non-dumpable", user: "65534:65534", sealed: true},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			marker := fmt.Sprint(3600 + i)
			opts := []ExecOption{WithTimeout(60 * time.Second), WithUser(tt.user)}
			if tt.sealed {
				opts = append(opts, WithNonDumpable())
			}
			done := make(chan ExecResult, 1)
			go func() {
				res, _ := c.Exec(context.Background(), []string{"/usr/bin/sleep", marker}, opts...)
				done <- res
			}()
			find := []string{"/bin/sh", "-c", `/usr/bin/pgrep -f "sleep $1\$" | /usr/bin/wc -l`, "sh", marker}
			require.True(t, pollUntil(20*time.Second, func() bool {
				return strings.TrimSpace(run(t, c, 10*time.Second, find...).Output) == "2"
			}), "timeout and sleep are running")

			attack := run(t, c, 20*time.Second, "/bin/sh", "-c", reach, "sh", marker)
			run(t, c, 10*time.Second, "/bin/sh", "-c", `/usr/bin/kill $(/usr/bin/pgrep -f "sleep $1\$")`, "sh", marker)
			res := <-done
			if tt.reached {
				assert.Contains(t, attack.Output, "wrote into", "the control: a plain exec is within reach")
				assert.Contains(t, attack.Output, "opened the memory of")
				assert.Contains(t, res.Output, "FORGED")
				return
			}
			assert.Empty(t, strings.TrimSpace(attack.Output), "nothing of a non-dumpable exec is within reach")
			assert.NotContains(t, res.Output, "FORGED")
		})
	}

	// The grader's journal reader: journalctl, non-dumpable, still reads
	// the journal.
	res, err := c.Exec(context.Background(), []string{"/usr/bin/journalctl", "--no-pager", "-o", "json", "-n", "1", "--output-fields=__CURSOR"},
		WithNonDumpable(), WithTimeout(20*time.Second))
	require.NoError(t, err)
	require.Equal(t, 0, res.ExitCode, res.Output)
	var e struct {
		Cursor string `json:"__CURSOR"`
	}
	require.NoError(t, json.Unmarshal([]byte(strings.TrimSpace(res.Output)), &e), res.Output)
	assert.NotEmpty(t, e.Cursor)
}
