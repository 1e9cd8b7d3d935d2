package checker

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// The environ contents below are as /proc showed them for real daemons.
func TestParseEnviron(t *testing.T) {
	tests := []struct {
		name, raw string
		vars      []string
		rewritten string
	}{
		{"empty", "", nil, ""},
		{"clean", "HOME=/\x00PATH=/bin\x00", []string{"HOME=/", "PATH=/bin"}, ""},
		{"value with blanks and =", "A=b c=d\x00", []string{"A=b c=d"}, ""},
		{"nginx's title over it", "ocess /usr/sbin/nginx\x00\x00\x00\x00", nil, `"ocess /usr/sbin/nginx", the end of its title`},
		{"sshd's title, blanks after", "a.pid [listener] 0 of 10-100 startups    \x00\x00", nil, `"a.pid [listener] 0 of 10-100 startups", the end of its title`},
		{"redis: NUL bytes only", "\x00\x00\x00\x00\x00\x00", nil, "only NUL bytes and blanks"},
		// A title with an = reads as a variable; the NUL padding after it
		// still tells.
		{"title with an = in it", "ile=/x.pid [listener]\x00\x00\x00", []string{"ile=/x.pid [listener]"}, "only NUL bytes and blanks"},
		{"the title ran over the first variables only", "ocess x\x00\x00HOME=/\x00", []string{"HOME=/"}, `"ocess x", the end of its title`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			vars, rewritten := ParseEnviron([]byte(tt.raw))
			assert.Equal(t, tt.vars, vars)
			assert.Equal(t, tt.rewritten, rewritten)
		})
	}
}
