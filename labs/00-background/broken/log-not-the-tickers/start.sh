#!/bin/sh
setsid -f ./ticker </dev/null >/dev/null 2>&1
setsid -f sh -c 'while :; do echo fake; sleep 0.1; done' </dev/null >ticker.log 2>&1
