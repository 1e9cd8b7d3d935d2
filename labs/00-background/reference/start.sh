#!/bin/sh
# Lab 00 reference: a session of its own (setsid -f forks, so the script
# returns at once, and the ticker has no controlling terminal), and no
# descriptor left on the terminal: stdin from /dev/null, stdout and stderr
# appended to ticker.log. cd first: the script may be run from elsewhere.
cd "$(dirname "$0")" || exit 1
setsid -f ./ticker </dev/null >>ticker.log 2>&1
