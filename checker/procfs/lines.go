package procfs

import (
	"bufio"
	"bytes"
	"fmt"
	"strings"
)

// newScanner scans the lines of a /proc file, lines up to 1 MiB long.
func newScanner(data []byte) *bufio.Scanner {
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	return sc
}

// parseKeyValues calls set with each "key: value" line of a file such as
// status or fdinfo (value trimmed); lines without a colon are skipped. The
// first error of set ends the scan and is returned as "what: key: error".
func parseKeyValues(data []byte, what string, set func(key, value string) error) error {
	sc := newScanner(data)
	for sc.Scan() {
		key, value, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		if err := set(key, strings.TrimSpace(value)); err != nil {
			return fmt.Errorf("%s: %s: %w", what, key, err)
		}
	}
	return sc.Err()
}
