package unitfile

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// ParseBool parses a systemd boolean (parse_boolean in systemd): 1, yes, y,
// true, t, on and 0, no, n, false, f, off, case-insensitively. ok is false
// for anything else.
func ParseBool(s string) (value, ok bool) {
	switch strings.ToLower(s) {
	case "1", "yes", "y", "true", "t", "on":
		return true, true
	case "0", "no", "n", "false", "f", "off":
		return false, true
	}
	return false, false
}

// timeUnits are the units of systemd.time(7) for time spans.
var timeUnits = map[string]bool{
	"usec": true, "us": true, "μs": true, "µs": true,
	"msec": true, "ms": true,
	"seconds": true, "second": true, "sec": true, "s": true,
	"minutes": true, "minute": true, "min": true, "m": true,
	"hours": true, "hour": true, "hr": true, "h": true,
	"days": true, "day": true, "d": true,
	"weeks": true, "week": true, "w": true,
	"months": true, "month": true, "M": true,
	"years": true, "year": true, "y": true,
}

// ValidTimespan reports whether s is a time span as systemd.time(7) accepts
// it: "infinity", or one or more components "NUMBER[UNIT]" (a number without a
// unit is seconds), with optional blanks between them and between a number
// and its unit: "5", "5s", "1min 30s", "1min30s", "1.5h", "100 ms".
func ValidTimespan(s string) bool {
	s = strings.Trim(s, blanks)
	if s == "infinity" {
		return true
	}
	if s == "" {
		return false
	}
	for s != "" {
		// number: digits with an optional fraction
		i := 0
		digits := 0
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
			digits++
		}
		if i < len(s) && s[i] == '.' {
			i++
			for i < len(s) && s[i] >= '0' && s[i] <= '9' {
				i++
				digits++
			}
		}
		if digits == 0 {
			return false
		}
		s = strings.TrimLeft(s[i:], blanks)
		// optional unit: a run of letters
		j := 0
		for j < len(s) {
			r, n := utf8.DecodeRuneInString(s[j:])
			if !unicode.IsLetter(r) {
				break
			}
			j += n
		}
		if j > 0 && !timeUnits[s[:j]] {
			return false
		}
		s = strings.TrimLeft(s[j:], blanks)
	}
	return true
}

// editDistance is the Levenshtein distance between a and b, compared
// case-insensitively.
func editDistance(a, b string) int {
	ra := []rune(strings.ToLower(a))
	rb := []rune(strings.ToLower(b))
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}

// suggest returns the candidate closest to name: within edit distance 2 (1
// for names of three or four characters, none for shorter ones), ties broken
// by the order of candidates.
func suggest(name string, candidates []string) (string, bool) {
	limit := 2
	switch n := utf8.RuneCountInString(name); {
	case n <= 2:
		limit = 0
	case n <= 4:
		limit = 1
	}
	best, bestDist := "", limit+1
	for _, c := range candidates {
		// Cheap length filter before the quadratic distance.
		if d := len(c) - len(name); d > limit+2 || -d > limit+2 {
			continue
		}
		if d := editDistance(name, c); d < bestDist {
			best, bestDist = c, d
		}
	}
	return best, best != ""
}
