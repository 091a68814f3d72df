#!/usr/bin/env python3
"""tshark-driven tests of the TU Me plugin on the bundled captures.

Each test case is one ctest test (tests/CMakeLists.txt registers them):

    tshark_tests.py --plugin FILE --ws-version 4.0 --captures DIR CASE

The cases live in the package tests/tshark/, one module per area
(signalling, certificate, provisioning, negatives, output_formats, plugin,
hostile); each function case_<name>(env) of those modules is the case
<name>.  tests/tshark/common.py has the shared helpers and expectations.

tshark ignores WIRESHARK_PLUGIN_DIR and the personal plugin folder when it
runs as root, so when this script runs as root it runs tshark as the user
"nobody" (setpriv) with a private HOME.  The plugin is copied into a private
<dir>/<major.minor>/epan/ layout and the captures into a private folder, so
neither the checkout's permissions nor a system-wide install of the plugin
can change what is tested.  "Stock" runs point WIRESHARK_PLUGIN_DIR at an
empty layout: same tshark, no plugin.
"""
import argparse
import importlib
import os
import pkgutil
import shutil
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tshark  # noqa: E402  (the package tests/tshark/)
from tshark.common import Env, Failure  # noqa: E402


def discover():
    """{name: function} of every case_<name> of the modules of tests/tshark/,
    sorted by name."""
    cases, where = {}, {}
    for info in sorted(pkgutil.iter_modules(tshark.__path__), key=lambda i: i.name):
        if info.name == "common":
            continue
        mod = importlib.import_module("tshark." + info.name)
        for attr, fn in vars(mod).items():
            if not (attr.startswith("case_") and callable(fn) and fn.__module__ == mod.__name__):
                continue
            name = attr[len("case_"):]
            if name in cases:
                raise SystemExit("case %s is defined in both %s and %s" % (name, where[name], mod.__name__))
            cases[name], where[name] = fn, mod.__name__
    return dict(sorted(cases.items()))


CASES = discover()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--list", action="store_true", help="print the case names and exit")
    ap.add_argument("--plugin", help="built tume.so")
    ap.add_argument("--ws-version", help="Wireshark major.minor, e.g. 4.0")
    ap.add_argument("--captures")
    ap.add_argument("--tshark", default=shutil.which("tshark") or "tshark")
    ap.add_argument("cases", nargs="*", help="cases to run (default: all): " + ", ".join(CASES))
    a = ap.parse_args()
    if a.list:
        print(";".join(CASES))
        return 0
    if not (a.plugin and a.ws_version and a.captures):
        ap.error("--plugin, --ws-version and --captures are required")
    names = a.cases or list(CASES)
    unknown = [n for n in names if n not in CASES]
    if unknown:
        ap.error("unknown case(s): %s" % ", ".join(unknown))
    env = Env(a.plugin, a.ws_version, a.captures, a.tshark)
    failed = 0
    try:
        for n in names:
            try:
                CASES[n](env)
                print("PASS %s" % n)
            except Failure as e:
                failed += 1
                print("FAIL %s: %s" % (n, e))
    finally:
        env.cleanup()
    print("%d passed, %d failed" % (len(names) - failed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
