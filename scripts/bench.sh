#!/usr/bin/env bash
# Whole-process timings, median of repeated runs:
#  1. daemonlab check --pid N (static checks) vs ps -o pid,ppid,sid,pgid,tty,comm -p N
#  2. launch-mode check of the C reference with every probe
#  3. grading the lab 04, 01, 00 and 06-09 references in a systemd container (when an engine answers)
set -euo pipefail
cd "$(dirname "$0")/.."
export TESTCONTAINERS_RYUK_DISABLED=true
work=$(mktemp -d /tmp/daemonlab-bench.XXXXXX)
pid=""
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
echo "greeting=hello" > "$work/conf"
reference/c/bin/refdaemon -p "$work/ref.pid" -c "$work/conf" -s "$work/state"
pid=$(cat "$work/ref.pid")

python3 - "$pid" "$work" <<'PY'
import os, statistics, subprocess, sys, time
pid, work = sys.argv[1], sys.argv[2]
def median_ms(cmd, n, check=False):
    xs = []
    for _ in range(n):
        t = time.perf_counter()
        r = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        xs.append((time.perf_counter() - t) * 1000)
        if check and r.returncode != 0:
            sys.exit(f"{cmd[:3]} exited {r.returncode}")
    return statistics.median(xs)
ps = median_ms(["ps", "-o", "pid,ppid,sid,pgid,tty,comm", "-p", pid], 300)
dl = median_ms(["bin/daemonlab", "check", "--pid", pid, "--pidfile", f"{work}/ref.pid", "--format", "json"], 300, check=True)
print(f"check --pid (13 static checks): median {dl:.2f} ms; ps: median {ps:.2f} ms; ratio {dl/ps:.2f} (target <= 1.5)")
os.kill(int(pid), 15)
p = f"{work}/launch.pid"
launch = median_ms(["bin/daemonlab", "check", "reference/c/bin/refdaemon", "--pidfile", p,
                    "--reload-touch", f"{work}/conf=greeting=again", "--reload-expect", f"{work}/state=greeting=again",
                    "--", "-p", p, "-c", f"{work}/conf", "-s", f"{work}/state"], 30, check=True)
print(f"launch mode, all probes (ready, single-instance, sighup, sigterm, stale-pidfile): median {launch:.0f} ms (target < 1000)")
PY
pid=""

if docker info >/dev/null 2>&1; then
  bin/daemonlab image build >/dev/null
  # labs 04 and 01: 5 runs each, wall time and tear-down
  mkdir -p "$work/sub04" "$work/sub01"
  cp labs/04-systemd-service/reference/mydaemon.c labs/04-systemd-service/reference/mydaemon.service "$work/sub04/"
  cp reference/c/daemon.c "$work/sub01/mydaemon.c"
  python3 - "$work" <<'PY'
import json, statistics, subprocess, sys, time
work = sys.argv[1]
for lab, what in (("04", "reference"), ("01", "C reference")):
    sub = f"{work}/sub{lab}"
    walls, downs = [], []
    for _ in range(5):
        t = time.perf_counter()
        subprocess.run(["bin/daemonlab", "grade", "--lab", lab, sub, "--json", f"{sub}.json"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        walls.append(time.perf_counter() - t)
        downs.append(json.load(open(f"{sub}.json"))["timings_ms"]["teardown"])
    print(f"grade lab {lab} {what} (image cached): median {statistics.median(walls):.2f} s (target < 5 s); tear-down median {statistics.median(downs):.0f} ms (target < 500 ms)")
PY
  # labs 00 and 06-09: the (C) reference of each, full marks expected
  r=reference/labs
  mkdir -p "$work/00" "$work/06" "$work/07" "$work/08" "$work/09"
  cp labs/00-background/reference/start.sh labs/00-background/reference/predict.json "$work/00/"
  cp $r/08/mytask.c $r/08/mytask.service $r/08/mytask.timer $r/08/crontab "$work/08/"
  cp $r/06/myservice.c $r/06/myservice.xinetd $r/06/myservice.socket $r/06/myservice@.service "$work/06/"
  cp reference/c/daemon.c "$work/07/mydaemon.c"; cp $r/07/mydaemon.init "$work/07/"
  printf 'mydaemon: mydaemon.c\n\tcc -O2 -D_GNU_SOURCE -std=c11 -o mydaemon mydaemon.c\n' > "$work/07/Makefile"
  cp $r/09/mydaemon.c $r/09/mydaemon.socket $r/09/mydaemon.service "$work/09/"
  python3 - "$work" <<'PY'
import json, statistics, subprocess, sys, time
work = sys.argv[1]
for lab in ("00", "06", "07", "08", "09"):
    walls = []
    for _ in range(5 if lab == "00" else 3):
        t = time.perf_counter()
        subprocess.run(["bin/daemonlab", "grade", "--lab", lab, f"{work}/{lab}", "--json", f"{work}/{lab}.json"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        walls.append(time.perf_counter() - t)
        r = json.load(open(f"{work}/{lab}.json"))
        assert r["score"] == r["max_score"], (lab, r["score"])
    print(f"grade lab {lab} reference (image cached): median {statistics.median(walls):.2f} s (target < 10 s)")
PY
else
  echo "grade benchmark skipped: no Docker engine"
fi
