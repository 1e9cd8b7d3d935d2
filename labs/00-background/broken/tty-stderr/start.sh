#!/bin/sh
# Lab 00: start ./ticker so that it keeps running, and keeps writing to
# ticker.log, after the terminal that ran this script is closed; and
# return at once. This first try is not enough: `daemonlab grade` says why.
./ticker > ticker.log &
