#!/usr/bin/env bash
# make demo: launch the C reference daemon under controlled conditions,
# judge it, probe it (second start, SIGHUP reload, SIGTERM, stale pid file)
# and print the report. Everything it starts is gone when it returns.
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d /tmp/daemonlab-demo.XXXXXX)
trap 'rm -rf "$work"' EXIT
echo "greeting=hello" > "$work/refdaemon.conf"
set +e
bin/daemonlab check reference/c/bin/refdaemon \
  --pidfile "$work/refdaemon.pid" \
  --reload-touch "$work/refdaemon.conf=greeting=reloaded" \
  --reload-expect "$work/refdaemon.state=greeting=reloaded" \
  -- -p "$work/refdaemon.pid" -c "$work/refdaemon.conf" -s "$work/refdaemon.state"
rc=$?
set -e
echo
echo "Now try a broken one, e.g.: bin/daemonlab check reference/c/bin/broken-umask --pidfile /tmp/x.pid -- -p /tmp/x.pid"
exit $rc
