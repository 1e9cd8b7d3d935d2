package capture

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestBuffer(t *testing.T) {
	w := New(5)
	w.Write([]byte("abc"))
	w.Write([]byte("defgh"))
	w.Write([]byte("ij"))
	s, n := w.Noted()
	assert.Equal(t, "abcde\n[... truncated 5 bytes]", s)
	assert.EqualValues(t, 5, n)
	assert.Equal(t, "abcde", w.String())
	w = New(10)
	w.Write([]byte("abc"))
	s, n = w.Noted()
	assert.Equal(t, "abc", s)
	assert.Zero(t, n)
}

func TestCompactAndLastLines(t *testing.T) {
	assert.Equal(t, "a b c", Compact(" a\n b\tc \n"))
	long := strings.Repeat("x", 400)
	assert.Equal(t, long[:300]+"…", Compact(long))
	assert.Equal(t, []string{strings.Repeat("y", 200) + "…"}, LastLines(strings.Repeat("y", 250), 3))
	assert.Equal(t, []string{"3", "4"}, LastLines("1\n2\n3\n4\n", 2))
}
