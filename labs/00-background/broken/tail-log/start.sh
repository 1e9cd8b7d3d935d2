#!/bin/sh
setsid -f ./ticker </dev/null >>ticker.log 2>&1
exec tail -f ticker.log
