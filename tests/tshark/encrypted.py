"""Encrypted records read by their sizes (issue 11): every keyed capture is
read twice, without keys (the plugin's tume.enc.* guesses from record sizes)
and with keys (what Wireshark's TLS decrypts), and each guess must agree
with the plaintext it stands for."""
import collections
import decimal
import re

from .common import check, check_eq, split

# Keyed captures with TU Me flows, each with a -nokeys twin.
KEYED_TUME = ["tume-signalling-tls12", "tume-signalling-tls13", "tume-signalling-edge",
              "tume-signalling-chacha20", "tume-signalling-cbc", "tume-signalling-tls13-tickets",
              "tume-cert-anomalies", "tume-provisioning-tls12", "tume-api-keepalive", "tume-api-multi",
              "tume-api-edge", "hostile-sip-after-finished", "hostile-sip-bare-lf", "hostile-sip-chunked",
              "hostile-sip-double-length", "hostile-sip-jpeg-body", "hostile-api-100-continue",
              "hostile-http-leading-crlf"]
# Keyless twins of captures with no TU Me flow: nothing is guessed there.
KEYLESS_OTHER = ["other-sip-tls-nokeys", "other-https-json-nokeys", "lookalike-api-nokeys"]

ENC_FIELDS = ["frame.number", "tcp.dstport", "tume.flow", "tume.enc.plaintext_len",
              "tume.enc.plaintext_len_max", "tume.enc.guess", "tume.enc.ping_in"]

# First byte of a decrypted TLS handshake message or alert (not application data).
CONTROL_FIRST = {0x01, 0x02, 0x04, 0x08, 0x0b, 0x0f, 0x14, 0x18}

SUMMARY = re.compile(r"^\s*(\d+)\s+\d+\.\d+\s")
SECTION = re.compile(r"^Decrypted TLS \((\d+) bytes\):$")
HEXLINE = re.compile(r"^[0-9a-f]{4}  ((?:[0-9a-f]{2} ){1,16})")


def decrypted_records(env, cap):
    """frame -> [plaintext bytes of each decrypted record, in order]."""
    out = env.run(["-n", "-r", cap, "-P", "-x"], plugin=False)
    frames, frame, cur = {}, None, None
    for line in out.splitlines():
        m = SUMMARY.match(line)
        if m:
            frame, cur = int(m.group(1)), None
            continue
        m = SECTION.match(line)
        if m and frame is not None:
            cur = bytearray()
            frames.setdefault(frame, []).append(cur)
            continue
        if line.endswith(" bytes):"):
            cur = None          # another data source (frame, reassembled TCP or TLS)
            continue
        m = HEXLINE.match(line)
        if m and cur is not None:
            cur.extend(bytes.fromhex(m.group(1).replace(" ", "")))
            continue
        if not line.strip():
            cur = None
    return {f: [bytes(b) for b in recs] for f, recs in frames.items()}


def truth(plain, role, to_server):
    if role == "signalling" and plain == b"\r\n\r\n":
        return "keepalive-ping"
    if role == "signalling" and plain == b"\r\n":
        return "keepalive-pong"
    if plain[:1] and plain[0] in CONTROL_FIRST:
        return "alert" if len(plain) == 2 else "handshake"
    if role == "signalling":
        return "sip-message"
    return "api-request" if to_server else "api-response"


def case_enc_agreement(env):
    """Without keys, every encrypted record of a TU Me flow gets a plaintext
    length and a guess; with keys, decryption shows what it was.  They must
    agree for every record: keep-alives exactly, other records by class
    (sip-message, api-request, api-response), for every suite of the
    captures (TLS 1.2 AES-GCM, ChaCha20-Poly1305 and CBC; TLS 1.3 AES-GCM
    and ChaCha20 with session tickets).  'unknown' is allowed only where
    the size cannot tell: a TLS 1.3 record that decrypts as an alert or a
    NewSessionTicket (never called a message), a length between a
    keep-alive's and a SIP message's (5 to 99 bytes), a CBC range that
    covers more than one kind; and a 4-byte record that no pong answered
    may be called a ping (part of a message split into records)."""
    checked = {}
    for name in KEYED_TUME:
        plain = decrypted_records(env, env.cap(name))
        rows = env.fields(env.cap(name + "-nokeys"), ENC_FIELDS, filt="tume.enc.guess", two_pass=True)
        check(rows, "%s: no record read by size without keys" % name)
        answered = set()
        for r in rows:
            answered.update(int(x) for x in split(r[6]) if x)
        n = 0
        for r in rows:
            frame, to_server, role = int(r[0]), r[1] == "443", r[2]
            lens = [int(x) for x in split(r[3])]
            maxes = [int(x) for x in split(r[4])]       # CBC records only
            guesses = split(r[5])
            check_eq(len(lens), len(guesses), "%s frame %d: one length per guess" % (name, frame))
            cbc = bool(maxes)
            if cbc:
                check_eq(len(maxes), len(lens), "%s frame %d: a range for every CBC record" % (name, frame))
            else:
                maxes = lens
            recs = list(plain.get(frame, []))
            for lo, hi, g in zip(lens, maxes, guesses):
                # the decrypted record of this length (CBC: in this range), in order
                at = next((i for i, p in enumerate(recs) if lo <= len(p) <= hi), None)
                check(at is not None, "%s frame %d: a record of %d to %d plaintext bytes without keys, none "
                      "with keys (%r)" % (name, frame, lo, hi, [len(p) for p in recs]))
                p = recs.pop(at)
                t = truth(p, role, to_server)
                n += 1
                if g == t:
                    continue
                # the kinds of size the plaintext length (or range) covers
                kinds = {k for k, a, b in [("pong", 2, 2), ("ping", 4, 4), ("short", 5, 99),
                                           ("long", 100, 1 << 32)] if lo <= b and hi >= a}
                ok = g == "unknown" and (t in ("alert", "handshake") or "short" in kinds or len(kinds) > 1)
                ok = ok or (g == "keepalive-ping" and frame not in answered and t in ("sip-message",))
                check(ok, "%s frame %d: guessed %s for %d to %d bytes that decrypt as %s (%r)"
                      % (name, frame, g, lo, hi, t, p[:40]))
        # every application record decrypted with keys was read by size
        guessed = {}
        for r in rows:
            guessed[int(r[0])] = len(split(r[5]))
        tcp_frames = {int(r[0]): r for r in env.fields(env.cap(name), ["frame.number", "tume.flow"])}
        for frame, recs in plain.items():
            app = [p for p in recs if not (p[:1] and p[0] in CONTROL_FIRST)]
            if not app or not tcp_frames.get(frame, ["", ""])[1]:
                continue
            check(guessed.get(frame, 0) >= len(app),
                  "%s frame %d: %d application records decrypted, %d read by size"
                  % (name, frame, len(app), guessed.get(frame, 0)))
        checked[name] = n
    check(all(checked.values()), "records checked per capture: %r" % checked)
    print("records checked: %r" % checked)


def case_enc_only_undecrypted_tume(env):
    """Nothing is read by size where the data was decrypted, or on flows
    that are not TU Me; one pass and -2 give the same guesses."""
    for name in KEYED_TUME:
        check_eq(env.fields(env.cap(name), ["frame.number"], filt="tume.enc.guess"), [],
                 "%s with keys: no record read by size" % name)
        one = env.fields(env.cap(name + "-nokeys"), ENC_FIELDS, filt="tume")
        two = env.fields(env.cap(name + "-nokeys"), ENC_FIELDS, filt="tume", two_pass=True)
        check_eq(one, two, "%s: one pass and -2 give the same guesses" % name)
    for name in KEYLESS_OTHER:
        check_eq(env.fields(env.cap(name), ["frame.number"], filt="tume.enc.guess or tume"), [],
                 "%s: not TU Me, nothing read by size" % name)


def case_enc_keepalives(env):
    """Keyless signalling: every keep-alive of the dialogue is named exactly,
    each pong points at its ping, and the close_notify alerts of TLS 1.3
    (a pong's size) are not called pongs."""
    for name in ["tume-signalling-tls12", "tume-signalling-tls13"]:
        rows = env.fields(env.cap(name + "-nokeys"), ENC_FIELDS, filt="tume.enc.guess", two_pass=True)
        seq = [(int(r[0]), g) for r in rows for g in split(r[5])]
        pings = [f for f, g in seq if g == "keepalive-ping"]
        pongs = [(int(r[0]), int(r[6])) for r in rows if "keepalive-pong" in split(r[5])]
        check_eq(len(pings), 2, "%s: pings" % name)
        check_eq([p for _, p in pongs], pings, "%s: each pong answers the ping before it" % name)
        check_eq(sum(1 for _, g in seq if g == "sip-message"), 17, "%s: records of SIP messages" % name)
        # TLS 1.2 sends its close_notify alerts as alert records (not read by
        # size); TLS 1.3 as application data of a pong's size
        tail = [g for _, g in seq[-2:]]
        want = ["unknown", "unknown"] if "tls13" in name else ["keepalive-ping", "keepalive-pong"]
        check_eq(tail, want, "%s: the last records read by size" % name)


def case_enc_stats(env):
    """The statistics of keyless signalling: -z tume,flows lists the records
    read by size per guess and the mean ping period; -z tume,tree counts
    them by role, guess and direction and averages the ping intervals; all
    as -T fields shows the same records."""
    from .statistics import parse_stats_tree
    for name in ["tume-signalling-tls12", "tume-signalling-tls13"]:
        cap = env.cap(name + "-nokeys")
        rows = env.fields(cap, ["frame.time_epoch", "tcp.dstport", "tume.enc.guess"], filt="tume.enc.guess")
        guesses = collections.Counter(g for r in rows for g in split(r[2]))
        pings = [decimal.Decimal(r[0]) for r in rows for g in split(r[2]) if g == "keepalive-ping"]
        check(len(pings) >= 2, "%s: two pings or more" % name)
        out = env.run(["-n", "-q", "-r", cap, "-z", "tume,flows", "-z", "tume,tree"])
        flows = [l.split("\t") for l in out.splitlines() if l.count("\t") == 13]
        check_eq(len(flows), 1, "%s: one flow row" % name)
        order = ["unknown", "keepalive-ping", "keepalive-pong", "sip-message", "api-request", "api-response"]
        check_eq(flows[0][11], ",".join("%s=%d" % (g, guesses[g]) for g in order if guesses[g]),
                 "%s: records read by size, per guess" % name)
        check_eq(flows[0][12], "%.3f" % (float(pings[-1] - pings[0]) / (len(pings) - 1)),
                 "%s: mean ping period" % name)
        tree = parse_stats_tree(out)
        sized = "Records not decrypted, read by size"
        check_eq(tree.get((sized,)), sum(guesses.values()), "%s: tree total" % name)
        for g, n in guesses.items():
            check_eq(tree.get((sized, "signalling", g)), n, "%s: tree %s" % (name, g))
            by_dir = collections.Counter("to server" if r[1] == "443" else "to client"
                                         for r in rows for x in split(r[2]) if x == g)
            for d, k in by_dir.items():
                check_eq(tree.get((sized, "signalling", g, d)), k, "%s: tree %s %s" % (name, g, d))
        check_eq(tree.get(("Keep-alive ping interval read by size (ms)",)), len(pings) - 1,
                 "%s: ping intervals" % name)
        per_flow = [(p, n) for p, n in tree.items() if len(p) == 2 and p[0].startswith("Keep-alive ping interval")]
        check_eq([n for _, n in per_flow], [len(pings) - 1], "%s: ping intervals of the one flow" % name)
        check_eq(per_flow[0][0][1], "%s:%s -> %s:%s" % tuple(flows[0][2].split(":") + flows[0][3].split(":")),
                 "%s: the flow's node names client -> server" % name)
        m = re.search(r"^Keep-alive ping interval read by size \(ms\)\s+\d+\s+([\d.]+)", out, re.M)
        check(m is not None, "%s: the interval node has an average" % name)
        mean_ms = float(sum(round((b - a) * 1000) for a, b in zip(pings, pings[1:]))) / (len(pings) - 1)
        check_eq(float(m.group(1)), round(mean_ms, 2), "%s: mean ping interval (ms)" % name)


def case_enc_corrupted(env):
    """Keyless TU Me captures with random byte errors (editcap -E, fixed
    seeds): records that lie about their length, handshakes that break off,
    garbage where records should be.  tshark must finish cleanly (no
    dissector bug: WIRESHARK_ABORT_ON_DISSECTOR_BUG), and one pass and -2
    must give the same guesses."""
    import os
    import subprocess
    sources = ["tume-signalling-tls12", "tume-signalling-tls13-tickets", "tume-signalling-cbc",
               "tume-api-keepalive", "tume-signalling-edge"]
    guessed = 0
    for name in sources:
        for seed in (1, 2, 3, 4):
            out = os.path.join(env.root, "%s-E%d.pcapng" % (name, seed))
            subprocess.run(["editcap", "-E", "0.02", "--seed", str(seed), env.cap(name + "-nokeys"), out],
                           check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            os.chmod(out, 0o644)
            fields = ["frame.number", "tume.enc.plaintext_len", "tume.enc.guess", "tume.enc.ping_in"]
            e = dict(WIRESHARK_ABORT_ON_DISSECTOR_BUG="1")
            one = env.fields(out, fields, filt="tume", extra_env=e)
            two = env.fields(out, fields, filt="tume", two_pass=True, extra_env=e)
            check_eq(one, two, "%s with byte errors (seed %d): one pass and -2 agree" % (name, seed))
            env.run(["-n", "-r", out, "-V", "-z", "tume,tree", "-z", "tume,flows"], extra_env=e)
            guessed += sum(1 for r in one if r[2])
    check(guessed > 0, "some records were still read by size")


def case_enc_lost_record(env):
    """A record header destroyed in the middle of a keyless flow (its
    content type zeroed): Wireshark's TLS shows it as an ignored record and
    reads on; so does the plugin: that record is not read by size, every
    other one is, as in the intact capture, one pass and -2 alike."""
    import os
    from mutate_captures import pcapng_layout
    src = env.cap("tume-signalling-tls12-nokeys")
    data = bytearray(open(src, "rb").read())
    pkts, _ = pcapng_layout(data)
    intact = env.fields(src, ["frame.number", "tume.enc.guess"], filt="tume.enc.guess")
    check(len(intact) > 10, "records read by size in the intact capture")
    # a frame in the middle of the dialogue that holds a record header
    victim, at = None, -1
    for r in intact[len(intact) // 2:]:
        off, caplen = pkts[int(r[0]) - 1]
        at = bytes(data[off:off + caplen]).find(b"\x17\x03\x03")
        if at > 0:
            victim = int(r[0])
            break
    check(victim is not None, "a frame in the middle holds a record header")
    data[off + at] = 0
    broken = os.path.join(env.root, "lost-record.pcapng")
    with open(broken, "wb") as f:
        f.write(data)
    os.chmod(broken, 0o644)
    want = [r for r in intact if int(r[0]) != victim]
    for two in (False, True):
        got = env.fields(broken, ["frame.number", "tume.enc.guess"], filt="tume.enc.guess", two_pass=two)
        check_eq(got, want, "record of frame %d destroyed%s: the others read as before" % (victim, " (-2)" if two else ""))
