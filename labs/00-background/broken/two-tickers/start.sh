#!/bin/sh
setsid -f ./ticker </dev/null >>ticker.log 2>&1
setsid -f ./ticker </dev/null >>ticker.log 2>&1
