#!/usr/bin/python3
"""Lab 08 reference: one run appends one line to /var/lib/mytask/runs."""
import os
import time

os.makedirs("/var/lib/mytask", exist_ok=True)
with open("/var/lib/mytask/runs", "a") as f:
    f.write("run at %d by pid %d (parent %d)\n" % (time.time(), os.getpid(), os.getppid()))
