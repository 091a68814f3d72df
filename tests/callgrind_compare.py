#!/usr/bin/env python3
"""Instructions, not seconds: tshark under callgrind on one capture, stock
and with one or two builds of the plugin, in one run.

    tests/callgrind_compare.py --ws-version 4.0 --capture FILE \\
        --plugin build/plugins/4.0/epan/tume.so [--plugin OTHER/tume.so] \\
        [--runs 2] [-- extra tshark options]

For each set-up (stock = an empty plugin folder, then each --plugin), it
runs `valgrind --tool=callgrind tshark -n -r FILE [options]` on the whole
capture and on its first packet alone (editcap -r FILE 1), --runs times
each, and prints the totals (Ir, the smallest of the runs) and the per
packet work: whole run minus the one-packet run, which leaves out start-up
(loading Wireshark and the plugin).  The last column is that per-packet
work against stock's.

tshark ignores WIRESHARK_PLUGIN_DIR when it runs as root, so as root each
run is made as "nobody" (setpriv) with a private HOME, as the tests do.
Needs valgrind and editcap.
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile


def run_ir(plugin_dir, home, capture, extra, drop):
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": home, "LANG": "C.UTF-8",
           "WIRESHARK_PLUGIN_DIR": plugin_dir}
    cmd = drop + ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null",
                  "tshark", "-n", "-r", capture] + extra
    p = subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                       universal_newlines=True, timeout=3600)
    m = re.search(r"Collected : (\d+)", p.stderr)
    if p.returncode != 0 or not m:
        sys.exit("callgrind_compare: %s failed (%d):\n%s" % (" ".join(cmd), p.returncode, p.stderr[-2000:]))
    return int(m.group(1))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--ws-version", required=True, help="Wireshark major.minor, e.g. 4.0")
    ap.add_argument("--capture", required=True)
    ap.add_argument("--plugin", action="append", required=True, help="a built tume.so (repeatable)")
    ap.add_argument("--runs", type=int, default=2)
    ap.add_argument("extra", nargs="*", help="more tshark options (after --)")
    a = ap.parse_args()
    for tool in ("valgrind", "editcap", "tshark"):
        if shutil.which(tool) is None:
            sys.exit("callgrind_compare: %s not found" % tool)
    root = tempfile.mkdtemp(prefix="tume-cg-")
    os.chmod(root, 0o755)
    drop = []
    if os.geteuid() == 0:
        drop = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"]
    try:
        home = os.path.join(root, "home")
        os.makedirs(home)
        cap = os.path.join(root, "capture" + os.path.splitext(a.capture)[1])
        shutil.copyfile(a.capture, cap)
        one = os.path.join(root, "one.pcapng")
        subprocess.run(["editcap", "-r", cap, one, "1"], check=True, stdout=subprocess.DEVNULL)
        setups = [("stock", os.path.join(root, "stock"))]
        os.makedirs(os.path.join(root, "stock", a.ws_version, "epan"))
        for i, so in enumerate(a.plugin):
            d = os.path.join(root, "plugin%d" % i)
            os.makedirs(os.path.join(d, a.ws_version, "epan"))
            shutil.copyfile(so, os.path.join(d, a.ws_version, "epan", "tume.so"))
            setups.append((so, d))
        for dirpath, dirs, files in os.walk(root):
            for n in dirs + files:
                os.chmod(os.path.join(dirpath, n), 0o777 if n == "home" else 0o755)
        rows = []
        for name, d in setups:
            whole = min(run_ir(d, home, cap, a.extra, drop) for _ in range(a.runs))
            first = min(run_ir(d, home, one, a.extra, drop) for _ in range(a.runs))
            rows.append((name, whole, first, whole - first))
        base = rows[0][3]
        print("capture %s, tshark -n -r %s, %d run(s) each, smallest kept" % (
            a.capture, " ".join(a.extra), a.runs))
        print("%-50s %16s %16s %16s %10s" % ("set-up", "whole run Ir", "one packet Ir", "per packet Ir", "vs stock"))
        for name, whole, first, per in rows:
            print("%-50s %16d %16d %16d %9.4fx" % (name[-50:], whole, first, per, per / base if base else 0))
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
