#!/usr/bin/env bash
# make grade-demo: grade the lab 04 reference submission inside a fresh
# systemd container (the image is built from Debian packages the first time)
# and print the report — the container counterpart of make demo.
set -euo pipefail
cd "$(dirname "$0")/.."
export TESTCONTAINERS_RYUK_DISABLED=true
sub=$(mktemp -d /tmp/daemonlab-grade-demo.XXXXXX)
trap 'rm -rf "$sub"' EXIT
cp labs/04-systemd-service/reference/mydaemon.c labs/04-systemd-service/reference/mydaemon.service "$sub/"
bin/daemonlab image build
bin/daemonlab grade --lab 04 "$sub" --json "$sub/result.json"
