package grade

import "testing"

// The attacks of a hostile student on the newer labs (00, 06–09), each
// graded in a real container: the submission scores exactly its honest
// score. What was tried and found to hold is listed in containers/README.md
// ("Trust model") and in each lab's README ("Limits of the grader").

// TestHostileLab00: start.sh runs as root next to the grader's ticker.
func TestHostileLab00(t *testing.T) {
	requireEngine(t)
	ref := handIn{files: map[string]string{"predict.json": "labs/00-background/reference/predict.json"}}
	runMatrix(t, "00", []mutation{
		// The ticker writes to /dev/null; a second program writes lines
		// in the ticker's format, with the real ticker's pid, to ticker.log.
		{"tick lines forged with the ticker's pid", ref.with(nil, map[string]string{"start.sh": `#!/bin/sh
cd "$(dirname "$0")" || exit 1
setsid -f ./ticker </dev/null >/dev/null 2>&1
setsid -f sh -c 'n=0; while :; do
  for p in /proc/[0-9]*; do [ "$(readlink $p/exe)" = /lab/ticker ] && pid=${p#/proc/}; done
  n=$((n+1)); [ -n "$pid" ] && echo "tick $n pid $pid" >> ticker.log; sleep 0.2
done' </dev/null >/dev/null 2>&1
`}), []string{"ticker-log"}},
	})
}
