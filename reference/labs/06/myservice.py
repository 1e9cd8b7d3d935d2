#!/usr/bin/python3
"""Lab 06 reference: stdin and stdout are the client's connection."""
import sys

line = sys.stdin.buffer.readline()
if not line:
    sys.exit(1)
sys.stdout.buffer.write(line.upper())
sys.stdout.buffer.flush()
