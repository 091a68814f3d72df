#!/usr/bin/env python3
"""Benchmark: the same tshark on the same large capture, with and without the
TU Me plugin, in one run; prints the times and the ratio.

    python3 tests/benchmark.py --plugin build/plugins/4.0/epan/tume.so \\
        --ws-version 4.0 --captures captures [--copies 300] [--runs 3]

Two large captures are built here (not committed): every bundled capture,
and the non-TU Me ones only, each repeated --copies times back to back
(mergecap -a), each copy shifted in time so that connections follow each
other like a long phone trace.  Each mode runs
--runs times, alternating with and without the plugin; the best (lowest) wall
time of each is compared.  Runs tshark the way the tests do (as nobody when
started as root, private HOME, private plugin folder).
"""
import argparse
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tshark.common import ALL_CAPTURES, NEGATIVE_CAPTURES, Env  # noqa: E402

# Traffic that is not TU Me at all: what most of a phone's capture is.
NON_TUME = NEGATIVE_CAPTURES + ["other-sip-tls", "lookalike-api"]

MODES = {
    # name: tshark arguments after -r FILE
    "summary (tshark -r)": ["-n"],
    "filter (-Y sip)": ["-n", "-Y", "sip"],
    "two-pass fields (-2 -T fields)": ["-n", "-2", "-T", "fields", "-e", "frame.number", "-e", "sip.Method"],
}


def build_capture(env, copies, names, tag):
    # editcap cannot rewrite a pcapng holding a secrets block: shift the
    # -nokeys copies, concatenate, then embed every key log once.
    parts, keys = [], []
    for name in names:
        if os.path.exists(env.cap(name, ".keys")):
            keys.append(env.cap(name, ".keys"))
    for i in range(copies):
        for name in names:
            src = env.cap(name, "-nokeys.pcapng")
            if not os.path.exists(src):
                src = env.cap(name)
            out = os.path.join(env.root, "part-%04d-%s.pcapng" % (i, name))
            # shift copy i by i minutes so the copies follow each other
            subprocess.run(["editcap", "-t", str(60 * i), src, out], check=True)
            parts.append(out)
    raw = os.path.join(env.root, "big-%s-nokeys.pcapng" % tag)
    subprocess.run(["mergecap", "-a", "-w", raw] + parts, check=True)
    for p in parts:
        os.unlink(p)
    allkeys = os.path.join(env.root, "all-%s.keys" % tag)
    with open(allkeys, "w") as out:
        for k in keys:
            with open(k) as f:
                out.write(f.read())
    big = os.path.join(env.root, "big-%s.pcapng" % tag)
    subprocess.run(["editcap", "--inject-secrets", "tls," + allkeys, raw, big], check=True)
    os.unlink(raw)
    os.chmod(big, 0o644)
    return big


def timed(env, args, plugin):
    t0 = time.perf_counter()
    env.run(args, plugin=plugin)
    return time.perf_counter() - t0


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--plugin", required=True)
    ap.add_argument("--ws-version", required=True)
    ap.add_argument("--captures", required=True)
    ap.add_argument("--tshark", default="tshark")
    ap.add_argument("--copies", type=int, default=300)
    ap.add_argument("--runs", type=int, default=3)
    a = ap.parse_args()
    env = Env(a.plugin, a.ws_version, a.captures, a.tshark)
    try:
        for tag, names in (("all bundled captures", ALL_CAPTURES), ("non-TU Me captures only", NON_TUME)):
            big = build_capture(env, a.copies, names, tag.split()[0])
            frames = env.run(["-n", "-r", big, "-T", "fields", "-e", "frame.number"], plugin=False).count("\n")
            tume = env.run(["-n", "-r", big, "-Y", "tume", "-T", "fields", "-e", "frame.number"]).count("\n")
            print("%s: %d frames, %d with tume, %.1f MB (%d copies of %d captures)"
                  % (tag, frames, tume, os.path.getsize(big) / 1e6, a.copies, len(names)))
            for mode, extra in MODES.items():
                args = ["-r", big] + extra
                best = {True: float("inf"), False: float("inf")}
                for _ in range(a.runs):
                    for plugin in (False, True):
                        best[plugin] = min(best[plugin], timed(env, args, plugin))
                print("  %-32s without %.2f s   with %.2f s   ratio %.2fx"
                      % (mode, best[False], best[True], best[True] / best[False]))
            os.unlink(big)
    finally:
        env.cleanup()


if __name__ == "__main__":
    main()
