#!/usr/bin/env python3
"""A broken variant of refdaemon.py: the break mode is this file's name,
broken-py-<mode>.py (see ../README.md)."""
import os
import sys

sys.dont_write_bytecode = True  # keep __pycache__ out of the source tree
import refdaemon  # noqa: E402  (found next to this file: sys.path[0])

refdaemon.main(break_mode=os.path.basename(__file__)[len("broken-py-"):-len(".py")])
