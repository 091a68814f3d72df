#!/usr/bin/env python3
"""Seed corpora for the epan-level fuzz harnesses, from the bundled captures.

    python3 tests/fuzz_seeds.py [--captures captures] [--out tests/fuzz_corpus]

Stock tshark decrypts every keyed capture (secrets embedded); each TCP
stream's decrypted TLS records become one fuzz_epan input in its record
format (mode byte, then per record: flags (bit 0: from the server), a
16-bit big-endian length, the bytes): mode 0 (the "tls" heuristics, SIP)
and mode 1 (HTTP and the post-dissector).  Every record that starts with a
SIP start line also becomes a fuzz_sip_diff input.  Written to
<out>/epan/ and <out>/sip_diff/, named by content hash, so reruns add
nothing new.
"""
import argparse
import glob
import hashlib
import os
import re
import struct
import subprocess

SIP_START = re.compile(rb"^([A-Z]+ (sips?|tel):[^ ]+ SIP/2\.0|SIP/2\.0 [1-6][0-9][0-9] )")


def tshark(*args):
    return subprocess.run(["tshark", "-n"] + list(args), stdout=subprocess.PIPE,
                          stderr=subprocess.DEVNULL, check=True).stdout.decode("latin-1")


def decrypted_records(cap):
    """[(frame, [bytes, ...])] from the "Decrypted TLS" hex dumps of -x."""
    frames, cur, block, name = [], None, None, None
    for line in tshark("-r", cap, "-x", "-Y", "tls.app_data").splitlines():
        m = re.match(r"^(.*) \((\d+) bytes\):$", line)
        if m:
            name = m.group(1)
            if name == "Frame":
                cur = []
                frames.append(cur)
            block = bytearray() if name == "Decrypted TLS" else None
            if block is not None:
                cur.append(block)
            continue
        m = re.match(r"^[0-9a-f]{4,}  ((?:[0-9a-f]{2} ){1,16})", line)
        if m and block is not None:
            block.extend(bytes.fromhex(m.group(1).replace(" ", "")))
    meta = [l.split("\t") for l in tshark("-r", cap, "-Y", "tls.app_data", "-T", "fields",
                                          "-e", "tcp.stream", "-e", "ip.src", "-e",
                                          "tcp.srcport").splitlines() if l.strip()]
    if len(meta) != len(frames):
        raise RuntimeError("%s: %d frames of metadata, %d hex dumps" % (cap, len(meta), len(frames)))
    return [(m, [bytes(b) for b in recs]) for m, recs in zip(meta, frames)]


def streams(cap):
    by_stream, clients = {}, {}
    firsts = tshark("-r", cap, "-Y", "tcp.flags.syn == 1 && tcp.flags.ack == 0", "-T", "fields",
                    "-e", "tcp.stream", "-e", "ip.src", "-e", "tcp.srcport")
    for l in firsts.splitlines():
        s, ip, port = l.split("\t")
        clients[s] = (ip, port)
    for (s, ip, port), recs in decrypted_records(cap):
        from_server = clients.get(s) is not None and clients[s] != (ip, port)
        for r in recs:
            by_stream.setdefault(s, []).append((from_server, r))
    return by_stream


def encode(mode, recs):
    out = bytearray([mode])
    for from_server, r in recs[:64]:
        r = r[:65535]
        out += struct.pack(">BH", 1 if from_server else 0, len(r)) + r
    return bytes(out)


def write(d, data):
    os.makedirs(d, exist_ok=True)
    path = os.path.join(d, hashlib.sha1(data).hexdigest()[:16])
    if not os.path.exists(path):
        with open(path, "wb") as f:
            f.write(data)
        return 1
    return 0


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--captures", default=os.path.join(here, "..", "captures"))
    ap.add_argument("--out", default=os.path.join(here, "fuzz_corpus"))
    args = ap.parse_args()
    new = {"epan": 0, "sip_diff": 0}
    for keys in sorted(glob.glob(os.path.join(args.captures, "*.keys"))):
        cap = keys[:-len(".keys")] + ".pcapng"
        for s, recs in sorted(streams(cap).items()):
            is_http = any(r.startswith((b"GET ", b"POST ", b"PUT ", b"DELETE ", b"HTTP/1.")) for _, r in recs)
            new["epan"] += write(os.path.join(args.out, "epan"), encode(1 if is_http else 0, recs))
            for _, r in recs:
                if SIP_START.match(r):
                    new["sip_diff"] += write(os.path.join(args.out, "sip_diff"), b"\x02" + r)
    print("new seeds: %d epan, %d sip_diff" % (new["epan"], new["sip_diff"]))


if __name__ == "__main__":
    main()
