"""The capture driver: runs the scenarios, writes the files, prints a summary.

For each scenario row (name, function, output mode) of the modules in
FAMILIES (scenarios/), generate() captures lo with dumpcap while the
function runs, then writes into captures/:

  TLS_KEYS  <name>.pcapng with the key log embedded as a Decryption Secrets
            Block (``editcap --inject-secrets tls,<name>.keys``),
            <name>-nokeys.pcapng (the raw capture) and <name>.keys (the NSS
            key log lines);
  TLS_RSA   <name>.pcapng only: static RSA key exchange, no key log may be
            written (it is decrypted with the server's RSA private key);
  NO_TLS    <name>.pcapng only.

A module's DERIVED ({name: (source, display filter)}) names captures cut
from a source capture's files with ``tshark -Y filter`` (the packets one
host sees of a scenario, say); they keep the source's secrets.

summary() prints frame counts and what tshark decrypts and reassembles.
main() is the command line of captures/generate.py (must run as root:
dumpcap on lo, binding port 443).
"""

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

from .net import start_dumpcap, stop_dumpcap
from .pki import PKI_DIR, ensure_pki, pki_path
from .scenarios import TLS_KEYS, TLS_RSA
from .scenarios import hostile, negatives, provisioning, proxy, signalling
from .util import CAPTURES_DIR as HERE
from .util import log, run

# the scenario modules, in the order their captures are made
FAMILIES = [signalling, negatives, provisioning, hostile, proxy]

SCENARIOS = [row for m in FAMILIES for row in m.SCENARIOS]
# RSA private key used to check (and to decrypt) TLS_RSA captures
RSA_KEYS = {k: v for m in FAMILIES for k, v in getattr(m, "RSA_KEYS", {}).items()}
# captures whose summary also counts HTTP requests/responses and TCP streams
HTTP_SUMMARY = set().union(*(getattr(m, "HTTP_SUMMARY", set()) for m in FAMILIES))
# captures made from another capture's files: name -> (source name, display
# filter); written with the same output mode as the source
DERIVED = {k: v for m in FAMILIES for k, v in getattr(m, "DERIVED", {}).items()}

_names = [s[0] for s in SCENARIOS]
assert len(set(_names)) == len(_names), "a capture name is used twice"
assert all(RSA_KEYS.get(n) for n, _, tls in SCENARIOS if tls == TLS_RSA), "TLS_RSA capture without RSA_KEYS"


def generate(name, fn, tls):
    tmp = tempfile.mkdtemp(prefix="tume-cap-")
    try:
        raw = os.path.join(tmp, name + ".pcapng")
        keylog = os.path.join(tmp, name + ".keylog")
        p = start_dumpcap(raw)
        try:
            fn(keylog)
            time.sleep(1.0)
        finally:
            stop_dumpcap(p)
        out = os.path.join(HERE, name + ".pcapng")
        if tls == TLS_RSA:
            if os.path.exists(keylog):
                raise RuntimeError("TLS secrets were logged for an RSA-only capture")
            shutil.copyfile(raw, out)
        elif tls:
            with open(keylog) as f:
                lines = [l for l in f.read().splitlines() if l.strip() and not l.startswith("#")]
            if not lines:
                raise RuntimeError("no TLS secrets were logged")
            keys = os.path.join(HERE, name + ".keys")
            with open(keys, "w") as f:
                f.write("\n".join(lines) + "\n")
            run(["editcap", "--inject-secrets", "tls," + keys, raw, out])
            shutil.copyfile(raw, os.path.join(HERE, name + "-nokeys.pcapng"))
        else:
            shutil.copyfile(raw, out)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def derive(name, source, filt, tls):
    """name's files: the packets of source's files that filt keeps."""
    outs = [("", "")] + ([("-nokeys", "-nokeys")] if tls is TLS_KEYS else [])
    for suffix_in, suffix_out in outs:
        src = os.path.join(HERE, source + suffix_in + ".pcapng")
        dst = os.path.join(HERE, name + suffix_out + ".pcapng")
        run(["tshark", "-n", "-r", src, "-Y", filt, "-w", dst])
    if tls is TLS_KEYS:
        shutil.copyfile(os.path.join(HERE, source + ".keys"), os.path.join(HERE, name + ".keys"))


def tshark(*args):
    res = subprocess.run(["tshark"] + list(args), stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL)
    return res.stdout.decode(errors="replace")


def summary(name, tls):
    files = [name + ".pcapng"] + (
        [name + "-nokeys.pcapng", name + ".keys"] if tls is TLS_KEYS else [])
    out = os.path.join(HERE, name + ".pcapng")
    m = re.search(r"Number of packets:\s*(\d+)", run(["capinfos", "-c", out]))
    frames = m.group(1) if m else "?"
    line = "%-24s frames=%-4s" % (name, frames)
    if tls == TLS_RSA:
        key = pki_path(RSA_KEYS[name], "key")
        plain = tshark("-r", out, "-x").count("Decrypted TLS (")
        dec = tshark("-r", out, "-o", 'uat:rsa_keys:"%s",""' % key,
                     "-x").count("Decrypted TLS (")
        line += " decrypted-records: without key=%d, with %s=%d" % (
            plain, os.path.basename(key), dec)
    elif tls:
        # count decrypted TLS records with the embedded secrets (DSB)
        dec = tshark("-r", out, "-x").count("Decrypted TLS (")
        # records reassembled from several TCP segments
        reasm = len([l for l in tshark("-r", out, "-Y", "tcp.reassembled.length",
                                        "-T", "fields", "-e", "frame.number").split()
                     if l])
        line += " decrypted-records=%-3d frames-with-reassembly=%d" % (dec, reasm)
        if name in HTTP_SUMMARY:
            fields = tshark("-r", out, "-Y", "http", "-T", "fields",
                            "-e", "http.request.method", "-e", "http.response.code")
            rows = [l.split("\t") for l in fields.splitlines() if l.strip()]
            streams = set(tshark("-r", out, "-T", "fields", "-e", "tcp.stream").split())
            line += " http-requests=%d http-responses=%d tcp-streams=%d" % (
                len([r for r in rows if r[0]]), len([r for r in rows if r[-1]]),
                len(streams))
    sizes = ", ".join("%s %dB" % (fn, os.path.getsize(os.path.join(HERE, fn))) for fn in files)
    log(line)
    log("    " + sizes)


def main(description):
    ap = argparse.ArgumentParser(description=description)
    ap.add_argument("--new-pki", action="store_true",
                    help="delete captures/pki/ and create new certificates")
    ap.add_argument("--only", action="append", metavar="NAME",
                    help="only (re)generate this capture (repeatable)")
    args = ap.parse_args()
    if os.geteuid() != 0:
        sys.exit("must run as root (dumpcap on lo, bind to port 443)")
    names = [s[0] for s in SCENARIOS]
    for n in args.only or []:
        if n not in names:
            sys.exit("unknown scenario %s (known: %s)" % (n, ", ".join(names)))
    log("PKI in %s" % PKI_DIR)
    ensure_pki(args.new_pki)
    todo = [s for s in SCENARIOS if not args.only or s[0] in args.only]
    for name, fn, tls in todo:
        log("capturing %s ..." % name)
        generate(name, fn, tls)
    modes = {s[0]: s[2] for s in SCENARIOS}
    derived = [(n, src, filt, modes[src]) for n, (src, filt) in DERIVED.items()
               if any(s[0] == src for s in todo)]
    for name, src, filt, tls in derived:
        log("cutting %s from %s (%s) ..." % (name, src, filt))
        derive(name, src, filt, tls)
    log("")
    log("summary:")
    for name, _, tls in todo:
        summary(name, tls)
    for name, _, _, tls in derived:
        summary(name, tls)
