#!/bin/sh
# Lab 00 reference: let the service manager run it. systemd-run starts the
# ticker as a transient service, a child of PID 1 in a session of its own,
# stdin on /dev/null and its output appended to ticker.log; the script
# returns once the unit is started.
dir=$(cd "$(dirname "$0")" && pwd) || exit 1
systemd-run --quiet --collect --unit=ticker \
	-p WorkingDirectory="$dir" -p StandardOutput=append:"$dir/ticker.log" -p StandardError=append:"$dir/ticker.log" \
	"$dir/ticker"
