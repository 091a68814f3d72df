#!/usr/bin/env python3
"""Benchmark: the same tshark on the same large captures, with and without
the TU Me plugin, in one run; prints median time ratios, peak-RSS ratios,
a scaling run, and each line against the budget of issue 9.

    python3 tests/benchmark.py --plugin build/plugins/4.0/epan/tume.so \\
        --ws-version 4.0 --captures captures [--packets 200000] [--runs 5] \\
        [--no-tls-extra FILE ...] [--skip-scaling] [--modes -r,-V,...]
    python3 tests/benchmark.py --instructions --plugin ... --ws-version 4.0 \\
        --captures captures [--packets 10000] [--sets mixed,other,no-tls]

Three captures are built here (in a temporary folder, not committed), each
of at least --packets packets, from time-shifted copies of a unit
(mergecap -a; copy k is shifted past the end of copy k-1, so connections
follow each other like a long phone trace, and its IPv4 addresses carry
the bits of k, so that every copy is a connection of its own; key logs
embedded once):

  mixed   every bundled capture: TU Me signalling and provisioning (TLS 1.2,
          1.3, RSA), other HTTPS, other SIP over TLS, plain HTTP, non-TLS
          bytes on 443; keys embedded
  other   the bundled captures with no TU Me in them: other HTTPS and SIP
          over TLS (keys embedded), lookalike API, plain HTTP
  no-tls  plain HTTP and non-TLS bytes on 443, plus any --no-tls-extra
          captures (e.g. Wireshark's own test/captures netperfmeter,
          logistics_multicast); each extra is checked to hold no TLS

Modes (the same arguments with and without the plugin, except -Y tume):

  -r          tshark -n -r F                      (no tree: the common batch case)
  -Y tls      tshark -n -r F -Y tls
  -Y tume     tshark -n -r F -Y tume, against stock's -Y tls
  -V          tshark -n -r F -V > /dev/null
  -T fields   tshark -n -r F -T fields -e frame.number -e ip.src -e tcp.stream
              -e tls.handshake.extensions_server_name -e sip.Method -e http.request.method
  -2          tshark -n -r F -2

With --instructions the same captures are measured in instructions
instead of seconds (valgrind --tool=callgrind, total Ir; they do not move
with the load of a shared machine): each set-up runs once on the whole
capture and once on its first packet alone, and the per-packet work is the
difference, which leaves out start-up (loading Wireshark and the plugin).
Its budget (issue 21), per packet, plugin / stock:

  no-tls  -r                      1.01x
  other   -r                      1.02x
  other   -Y tls -T fields        1.02x
  mixed   -r                      1.15x   (at least 30% of its packets TU Me)
  mixed   -Y tls -T fields        1.15x
  start-up (the one-packet run)   at most 3 million instructions more
  peak RSS, mixed, -r             1.03x   (plain runs, not under valgrind)

Each mode runs --runs times per side, alternating (stock first on odd
rounds, plugin first on even ones); the medians of wall time, CPU time
(user + system of the tshark process, from wait4) and peak RSS are
compared.  The scaling run reads the mixed capture at 1x and 4x with -r and
compares how time and peak RSS grow with and without the plugin.  Runs
tshark the way the tests do (as nobody when started as root, private HOME,
private plugin folder).  Budget (issue 9): -r at most 1.05x; -Y, -V,
-T fields at most 1.03x; peak RSS at most 1.05x; growth linear (the
plugin's 4x/1x ratio within 5% of stock's).
"""
import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tshark.common import ALL_CAPTURES, NEGATIVE_CAPTURES, Env, Failure, remap_ipv4  # noqa: E402

NO_TUME = ["other-https-json", "other-sip-tls", "lookalike-api", "plain-http-443", "non-tls-443"]
NO_TLS = ["plain-http-443", "non-tls-443"]
assert set(NEGATIVE_CAPTURES) <= set(NO_TUME)

FIELDS = ["-T", "fields", "-e", "frame.number", "-e", "ip.src", "-e", "tcp.stream",
          "-e", "tls.handshake.extensions_server_name", "-e", "sip.Method", "-e", "http.request.method"]
# name: (stock arguments, plugin arguments, time budget)
MODES = {
    "-r": (["-n"], ["-n"], 1.05),
    "-Y tls": (["-n", "-Y", "tls"], ["-n", "-Y", "tls"], 1.03),
    "-Y tume": (["-n", "-Y", "tls"], ["-n", "-Y", "tume"], 1.03),
    "-V": (["-n", "-V"], ["-n", "-V"], 1.03),
    "-T fields": (["-n"] + FIELDS, ["-n"] + FIELDS, 1.03),
    "-2": (["-n", "-2"], ["-n", "-2"], 1.05),
}
RSS_BUDGET = 1.05
GROWTH_SLACK = 1.05

# --instructions: (set, mode): (tshark arguments, same for both sides; budget per packet)
INSTR_MODES = {
    ("no-tls", "-r"): (["-n"], 1.01),
    ("other", "-r"): (["-n"], 1.02),
    ("other", "-Y tls -T fields"): (["-n", "-Y", "tls"] + FIELDS, 1.02),
    ("mixed", "-r"): (["-n"], 1.15),
    ("mixed", "-Y tls -T fields"): (["-n", "-Y", "tls"] + FIELDS, 1.15),
}
INSTR_STARTUP_BUDGET = 3000000
INSTR_RSS_BUDGET = 1.03
MIXED_TUME_SHARE = 0.30


def sh(args):
    return subprocess.run(args, check=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          universal_newlines=True).stdout


def span_of(path):
    """Seconds from the first to the last packet (capinfos -a -e -S)."""
    out = sh(["capinfos", "-a", "-e", "-S", "-T", "-r", path]).split("\t")
    first, last = float(out[-2]), float(out[-1])
    return max(0.0, last - first)


def frames_of(path):
    return int(sh(["capinfos", "-c", "-M", "-T", "-r", path]).split("\t")[-1])


def build(workdir, tag, sources, keys, packets, scale=1):
    """A capture of >= packets * scale packets: the sources concatenated into
    a unit, then doubled (each copy shifted past the end of the one
    before) until it is big enough; keys injected at the end."""
    unit = os.path.join(workdir, "%s-unit.pcapng" % tag)
    sh(["mergecap", "-a", "-F", "pcapng", "-w", unit] + sources)
    cur, n = unit, frames_of(unit)
    step = 0
    while n < packets * scale:
        shift = span_of(cur) + 60.0
        shifted = os.path.join(workdir, "%s-shift%d.pcapng" % (tag, step))
        moved = os.path.join(workdir, "%s-moved%d.pcapng" % (tag, step))
        # other hosts as well as a later time: copy k of the unit has the
        # bits of k in its addresses, so that no two copies share a TCP
        # connection (same addresses, ports and sequence numbers would be
        # read as retransmissions, and never reach TLS)
        remap_ipv4(cur, moved, 1 << step)
        sh(["editcap", "-t", "%.6f" % shift, moved, shifted])
        os.unlink(moved)
        nxt = os.path.join(workdir, "%s-x%d.pcapng" % (tag, step))
        sh(["mergecap", "-a", "-F", "pcapng", "-w", nxt, cur, shifted])
        os.unlink(shifted)
        if cur != unit:
            os.unlink(cur)
        cur, n, step = nxt, n * 2, step + 1
    out = os.path.join(workdir, "%s-%dx.pcapng" % (tag, scale))
    if keys:
        allkeys = os.path.join(workdir, "%s.keys" % tag)
        with open(allkeys, "w") as o:
            for k in keys:
                with open(k) as f:
                    o.write(f.read())
        sh(["editcap", "--inject-secrets", "tls," + allkeys, cur, out])
        os.unlink(cur)
    else:
        os.rename(cur, out)
    if os.path.exists(unit):
        os.unlink(unit)
    os.chmod(out, 0o644)
    return out


class Runner:
    """tshark runs measured on the tshark process itself (os.wait4: setpriv
    execs tshark in the same process)."""

    def __init__(self, env):
        self.env = env

    def once(self, args, plugin):
        env = self.env.environ(plugin)
        cmd = (self.env.drop or []) + [self.env.tshark] + list(args)
        with tempfile.TemporaryFile() as err:
            t0 = time.perf_counter()
            p = subprocess.Popen(cmd, env=env, cwd=self.env.root, stdout=subprocess.DEVNULL, stderr=err)
            _, status, usage = os.wait4(p.pid, 0)
            wall = time.perf_counter() - t0
            rc = os.waitstatus_to_exitcode(status)
            if rc != 0:
                err.seek(0)
                raise Failure("tshark failed (%d): %s\n%s" % (rc, " ".join(cmd),
                                                           err.read().decode(errors="replace")[-2000:]))
        return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024.0

    def compare(self, stock_args, plugin_args, runs):
        res = {False: [], True: []}
        for i in range(runs):
            order = (False, True) if i % 2 == 0 else (True, False)
            for plugin in order:
                res[plugin].append(self.once(plugin_args if plugin else stock_args, plugin))

        def med(side, k):
            return statistics.median(r[k] for r in res[side])
        return {side: tuple(med(side, k) for k in range(3)) for side in (False, True)}


def callgrind_ir(env, args, plugin):
    """Total instructions (Ir) of one tshark run under callgrind."""
    cmd = (env.drop or []) + ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null",
                              env.tshark] + list(args)
    p = subprocess.run(cmd, env=env.environ(plugin), cwd=env.root, stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE, universal_newlines=True, timeout=7200)
    m = re.search(r"Collected : (\d+)", p.stderr)
    if p.returncode != 0 or m is None:
        raise Failure("callgrind run failed (%d): %s\n%s" % (p.returncode, " ".join(cmd), p.stderr[-2000:]))
    return int(m.group(1))


def instructions(env, run, work, sets, packets, tags):
    """The --instructions mode; returns the lines over budget."""
    over = []
    print("tshark under valgrind --tool=callgrind, one run per set-up (instruction counts do not vary); "
          "per packet = whole capture minus its first packet alone")
    for tag in tags:
        sources, k = sets[tag]
        big = build(work, tag, sources, k, packets)
        one = os.path.join(work, "%s-one.pcapng" % tag)
        sh([env.tshark, "-r", big, "-c", "1", "-w", one])
        os.chmod(one, 0o644)
        frames = frames_of(big)
        tume = env.run(["-n", "-r", big, "-Y", "tume", "-T", "fields", "-e", "frame.number"]).count("\n")
        print("\n%s: %d frames, %d with tume (%.0f%%)" % (tag, frames, tume, 100.0 * tume / max(frames, 1)))
        if tag == "mixed" and tume < MIXED_TUME_SHARE * frames:
            over.append("mixed: only %d of %d packets are TU Me (at least %.0f%% wanted)"
                        % (tume, frames, 100 * MIXED_TUME_SHARE))
        print("  %-18s %15s %15s %13s %13s %8s  %s" % ("mode", "stock Ir/packet", "plugin Ir/packet",
                                                     "stock start", "plugin start", "ratio", "budget"))
        for (t, mode), (args, budget) in INSTR_MODES.items():
            if t != tag:
                continue
            r = {}
            for plugin in (False, True):
                whole = callgrind_ir(env, ["-r", big] + args, plugin)
                first = callgrind_ir(env, ["-r", one] + args, plugin)
                r[plugin] = ((whole - first) / max(frames - 1, 1), first)
            ratio = r[True][0] / r[False][0]
            v = "%.2fx %s" % (budget, verdict(ratio, budget))
            if ratio > budget:
                over.append("%s %s: %.4fx per packet (budget %.2fx)" % (tag, mode, ratio, budget))
            print("  %-18s %15.0f %15.0f %13d %13d %7.4fx  %s"
                  % (mode, r[False][0], r[True][0], r[False][1], r[True][1], ratio, v))
            if mode == "-r":
                extra = r[True][1] - r[False][1]
                ok = extra <= INSTR_STARTUP_BUDGET
                if not ok:
                    over.append("%s start-up: %+d instructions (budget +%d)" % (tag, extra, INSTR_STARTUP_BUDGET))
                print("  %-18s %+d instructions  (budget +%d) %s"
                      % ("start-up", extra, INSTR_STARTUP_BUDGET, "ok" if ok else "OVER"))
        if tag == "mixed":
            m = run.compare(["-r", big, "-n"], ["-r", big, "-n"], 3)
            rr = m[True][2] / m[False][2]
            if rr > INSTR_RSS_BUDGET:
                over.append("mixed peak RSS: %.3fx (budget %.2fx)" % (rr, INSTR_RSS_BUDGET))
            print("  %-18s stock %.1f MB, plugin %.1f MB: %.3fx  (budget %.2fx) %s"
                  % ("peak RSS (-r)", m[False][2], m[True][2], rr, INSTR_RSS_BUDGET,
                     verdict(rr, INSTR_RSS_BUDGET)))
        os.unlink(big)
        os.unlink(one)
    return over


def verdict(ratio, budget):
    return "ok" if ratio <= budget else "OVER"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--plugin", required=True)
    ap.add_argument("--ws-version", required=True)
    ap.add_argument("--captures", required=True)
    ap.add_argument("--tshark", default="tshark")
    ap.add_argument("--packets", type=int, default=None,
                    help="at least this many packets per capture (default 200000; 10000 with --instructions)")
    ap.add_argument("--runs", type=int, default=5, help="runs per side and mode (medians)")
    ap.add_argument("--no-tls-extra", nargs="*", default=[], metavar="FILE",
                    help="more captures for the no-TLS set (checked to hold no TLS)")
    ap.add_argument("--modes", default=",".join(MODES), help="comma-separated subset of: " + ", ".join(MODES))
    ap.add_argument("--sets", default="mixed,other,no-tls")
    ap.add_argument("--skip-scaling", action="store_true")
    ap.add_argument("--instructions", action="store_true",
                    help="count instructions under callgrind (deterministic) instead of timing")
    a = ap.parse_args()
    if a.packets is None:
        a.packets = 10000 if a.instructions else 200000
    modes = [m.strip() for m in a.modes.split(",") if m.strip()]
    for m in modes:
        if m not in MODES:
            ap.error("unknown mode %r" % m)

    env = Env(a.plugin, a.ws_version, a.captures, a.tshark)
    run = Runner(env)
    work = tempfile.mkdtemp(prefix="tume-bench-", dir=env.root)
    os.chmod(work, 0o755)
    over = []

    def nokeys(name):
        p = env.cap(name, "-nokeys.pcapng")
        return p if os.path.exists(p) else env.cap(name)

    def keys(names):
        return [env.cap(n, ".keys") for n in names if os.path.exists(env.cap(n, ".keys"))]

    extras = []
    for x in a.no_tls_extra:
        # a copy tshark can read when run as nobody
        extras.append(os.path.join(work, "extra-%d-%s" % (len(extras), os.path.basename(x))))
        shutil.copy(x, extras[-1])
        os.chmod(extras[-1], 0o644)
        x = extras[-1]
        n_tls = env.run(["-n", "-r", x, "-Y", "tls || ssl || quic || dtls", "-T", "fields", "-e", "frame.number"],
                        plugin=False).count("\n")
        if n_tls:
            sys.exit("benchmark: %s has %d TLS/QUIC/DTLS frames; not a no-TLS capture" % (x, n_tls))
    sets = {
        "mixed": ([nokeys(n) for n in ALL_CAPTURES], keys(ALL_CAPTURES)),
        "other": ([nokeys(n) for n in NO_TUME], keys(NO_TUME)),
        "no-tls": ([nokeys(n) for n in NO_TLS] + extras, []),
    }
    if a.instructions:
        if shutil.which("valgrind") is None:
            sys.exit("benchmark: --instructions needs valgrind")
        try:
            print("tshark %s, plugin %s" % (a.ws_version, a.plugin))
            over = instructions(env, run, work, sets, a.packets,
                                [s_.strip() for s_ in a.sets.split(",") if s_.strip()])
            print("\nbudget: %s" % ("every line within it" if not over else "%d line(s) over:\n  %s"
                                    % (len(over), "\n  ".join(over))))
        finally:
            env.cleanup()
        return 1 if over else 0
    try:
        print("tshark %s, plugin %s; medians of %d runs per side; budget: -r %.2fx, -Y/-V/-T fields %.2fx, "
              "peak RSS %.2fx" % (a.ws_version, a.plugin, a.runs, MODES["-r"][2], MODES["-V"][2], RSS_BUDGET))
        for tag in [s.strip() for s in a.sets.split(",") if s.strip()]:
            sources, k = sets[tag]
            t0 = time.perf_counter()
            big = build(work, tag, sources, k, a.packets)
            frames = frames_of(big)
            tume = env.run(["-n", "-r", big, "-Y", "tume", "-T", "fields", "-e", "frame.number"]).count("\n")
            print("\n%s: %d frames, %d with tume, %.1f MB, %d source captures (built in %.0f s)"
                  % (tag, frames, tume, os.path.getsize(big) / 1e6, len(sources), time.perf_counter() - t0))
            print("  %-10s %9s %9s %7s %7s %9s %9s %7s  %s"
                  % ("mode", "stock s", "plugin s", "time", "cpu", "stock MB", "plugin MB", "rss", "budget"))
            for m in modes:
                sa, pa, budget = MODES[m]
                r = run.compare(["-r", big] + sa, ["-r", big] + pa, a.runs)
                tr, cr, mr = r[True][0] / r[False][0], r[True][1] / r[False][1], r[True][2] / r[False][2]
                v = "time %s, rss %s" % (verdict(tr, budget), verdict(mr, RSS_BUDGET))
                if "OVER" in v:
                    over.append("%s %s: %s (time %.3fx, rss %.3fx)" % (tag, m, v, tr, mr))
                print("  %-10s %9.2f %9.2f %6.3fx %6.3fx %9.1f %9.1f %6.3fx  %s"
                      % (m, r[False][0], r[True][0], tr, cr, r[False][2], r[True][2], mr, v))
            if tag == "mixed" and not a.skip_scaling:
                big4 = build(work, "mixed4", sources, k, a.packets, scale=4)
                f4 = frames_of(big4)
                r1 = run.compare(["-r", big, "-n"], ["-r", big, "-n"], a.runs)
                r4 = run.compare(["-r", big4, "-n"], ["-r", big4, "-n"], a.runs)
                print("  scaling (-r): 1x %d frames, 4x %d frames" % (frames, f4))
                for k_, name in ((0, "time"), (2, "peak RSS")):
                    gs = r4[False][k_] / r1[False][k_]
                    gp = r4[True][k_] / r1[True][k_]
                    ok = gp <= gs * GROWTH_SLACK
                    if not ok:
                        over.append("mixed scaling %s: plugin grows %.2fx, stock %.2fx" % (name, gp, gs))
                    print("    %-9s 4x/1x stock %.2fx, plugin %.2fx; plugin/stock at 1x %.3fx, at 4x %.3fx  %s"
                          % (name, gs, gp, r1[True][k_] / r1[False][k_], r4[True][k_] / r4[False][k_],
                             "ok" if ok else "OVER"))
                os.unlink(big4)
            os.unlink(big)
        print("\nbudget: %s" % ("every line within it" if not over else "%d line(s) over:\n  %s"
                                % (len(over), "\n  ".join(over))))
    finally:
        env.cleanup()
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main())
