"""Paths and process helpers shared by every module of the generator."""

import os
import subprocess
import sys

# captures/, the parent of this package: the captures, their key logs and
# pki/ are written here
CAPTURES_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def log(msg):
    print(msg, flush=True)


def run(cmd, **kw):
    res = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kw)
    if res.returncode != 0:
        sys.stderr.write("command failed: %s\n%s%s" % (
            " ".join(cmd), res.stdout.decode(errors="replace"),
            res.stderr.decode(errors="replace")))
        raise SystemExit(1)
    return res.stdout.decode(errors="replace")
