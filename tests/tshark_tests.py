#!/usr/bin/env python3
"""tshark-driven tests of the TU Me plugin on the bundled captures.

Each test case is one ctest test (tests/CMakeLists.txt registers them):

    tshark_tests.py --plugin FILE --ws-version 4.0 --captures DIR CASE

tshark ignores WIRESHARK_PLUGIN_DIR and the personal plugin folder when it
runs as root, so when this script runs as root it runs tshark as the user
"nobody" (setpriv) with a private HOME.  The plugin is copied into a private
<dir>/<major.minor>/epan/ layout and the captures into a private folder, so
neither the checkout's permissions nor a system-wide install of the plugin
can change what is tested.  "Stock" runs point WIRESHARK_PLUGIN_DIR at an
empty layout: same tshark, no plugin.
"""
import argparse
import os
import pwd
import re
import shutil
import subprocess
import sys
import tempfile

# ---------------------------------------------------------------- expectations

# The dialogue of captures/generate.py scenarios A and B, in stream order.
TUME_SIGNALLING = [
    ("keepalive-ping", ""),
    ("keepalive-pong", ""),
    ("REGISTER", "reg-0001@tume-iphone"),
    ("401 Unauthorized", "reg-0001@tume-iphone"),
    ("REGISTER", "reg-0001@tume-iphone"),
    ("200 OK", "reg-0001@tume-iphone"),
    ("OPTIONS", "opt-0001@tume-iphone"),
    ("200 OK", "opt-0001@tume-iphone"),
    ("MESSAGE", "msg-0001@tume-iphone"),
    ("202 Accepted", "msg-0001@tume-iphone"),
    ("INVITE", "call-0001@tume-iphone"),
    ("100 Trying", "call-0001@tume-iphone"),
    ("180 Ringing", "call-0001@tume-iphone"),
    ("200 OK", "call-0001@tume-iphone"),
    ("ACK", "call-0001@tume-iphone"),
    ("MESSAGE", "msg-0002@tume-iphone"),
    ("200 OK", "msg-0002@tume-iphone"),
    ("BYE", "call-0001@tume-iphone"),
    ("200 OK", "call-0001@tume-iphone"),
    ("keepalive-ping", ""),
    ("keepalive-pong", ""),
]
# What Wireshark's own SIP dissector sees in the same stream (method or code).
TUME_SIGNALLING_SIP = [t.split(" ")[0] for t, _ in TUME_SIGNALLING if not t.startswith("keepalive")]
OTHER_SIP = ["REGISTER", "200", "MESSAGE", "200", "OPTIONS", "200"]
# Scenario G: start line split by the first record, a ping and a MESSAGE in one
# record, then a message that cannot be framed (no type, tume.malformed).
TUME_EDGE = [
    ("OPTIONS", "edge-opt-0001@tume-iphone"),
    ("200 OK", "edge-opt-0001@tume-iphone"),
    ("keepalive-ping", ""),
    ("MESSAGE", "edge-msg-0001@tume-iphone"),
    ("keepalive-pong", ""),
    ("202 Accepted", "edge-msg-0001@tume-iphone"),
]
TUME_CAPTURES = {
    "tume-signalling-tls12": TUME_SIGNALLING,
    "tume-signalling-tls13": TUME_SIGNALLING,
    "tume-signalling-edge": TUME_EDGE,
}

# The reference-model API flow of scenarios L and M (captures/README.md), in order.
API_FLOW = ["register", "register_reply", "push_register", "push_register_reply", "validate", "config",
            "profile", "profile_reply", "contacts", "contacts_reply", "authorize", "token",
            "history", "history_reply", "unknown", "error", "account_delete", "account_delete_reply"]
API_FIELDS = {  # type: {field: value}
    "register": {"tume.api.msisdn": "+34600123456", "tume.api.locale": "es_ES"},
    "validate": {"tume.api.msisdn": "+34600123456"},
    "config": {"tume.api.user_id": "u-5f1c2a9e", "tume.api.sip_proxy": "sip.tume.jajah.com"},
    "profile": {"tume.api.msisdn": "+34600123456", "tume.api.user_id": "u-5f1c2a9e",
                "tume.api.screen_name": "Ana"},
    "contacts": {"tume.api.contacts": "200"},
    "contacts_reply": {"tume.api.contacts": "200"},
}
API_KEYS = {
    "register": "msisdn,locale", "register_reply": "status,pinLength", "push_register": "pushToken,pushService",
    "push_register_reply": "status", "validate": "msisdn,pin", "config": "userId,sip,auth,features",
    "profile": "msisdn,userId,screenName", "profile_reply": "status", "contacts": "contacts",
    "contacts_reply": "contacts", "authorize": "", "token": "accessToken,expiresIn", "history": "",
    "history_reply": "history", "unknown": "", "error": "error", "account_delete": "",
    "account_delete_reply": "",
}
API_SENSITIVE = {
    "validate": ["SMS PIN"], "config": ["SIP password"], "contacts": ["address book"],
    "contacts_reply": ["address book"], "authorize": ["Basic authorization"], "token": ["access token"],
    "account_delete": ["access token"],
}
API_EVIDENCE = ["cert-subject", "cert-san", "sni", "http-host", "api-signature"]

NEGATIVE_CAPTURES = ["other-https-json", "plain-http-443", "non-tls-443"]
# TU Me flows identified by certificate/SNI (and, keyed, by their payload)
CERT_CAPTURES = ["tume-provisioning-tls12", "tume-signalling-rsa", "tume-cert-anomalies",
                 "tume-api-keepalive", "tume-api-multi", "lookalike-api", "tume-api-edge"]
ALL_CAPTURES = sorted(TUME_CAPTURES) + CERT_CAPTURES + ["other-sip-tls"] + NEGATIVE_CAPTURES


# Every name of ../shared/protocol/FIELDS.md, plus the plugin's additions.
FIELDS_IMPLEMENTED = [
    "tume", "tume.flow", "tume.evidence", "tume.cert.subject", "tume.cert.issuer", "tume.cert.san",
    "tume.cert.not_after", "tume.cert.self_signed", "tume.sni", "tume.decrypted",
    "tume.msg_type", "tume.sip.call_id", "tume.api.msisdn", "tume.api.user_id", "tume.api.screen_name",
    "tume.api.locale", "tume.api.contacts", "tume.api.sip_proxy", "tume.api.keys",
    "tume.cert.info", "tume.msg.info", "tume.sensitive", "tume.not_decrypted", "tume.malformed",
    "tume.cert.warn.expired", "tume.cert.warn.not_yet_valid", "tume.cert.warn.self_signed",
    "tume.cert.warn.sni_mismatch", "tume.cert.unparsable",
]

AGG = "\x1f"   # aggregator for repeated fields: a byte no field value contains


class Failure(Exception):
    pass


def check(cond, msg):
    if not cond:
        raise Failure(msg)


def check_eq(got, want, what):
    if got != want:
        raise Failure("%s:\n  expected %r\n  got      %r" % (what, want, got))


# ---------------------------------------------------------------- environment

class Env:
    def __init__(self, plugin, ws_version, captures, tshark):
        self.tshark = tshark
        self.root = tempfile.mkdtemp(prefix="tume-test-")
        os.chmod(self.root, 0o755)
        self.plugin_dir = os.path.join(self.root, "plugins")
        epan = os.path.join(self.plugin_dir, ws_version, "epan")
        os.makedirs(epan)
        shutil.copy(plugin, os.path.join(epan, "tume.so"))
        self.stock_dir = os.path.join(self.root, "stock-plugins")
        os.makedirs(os.path.join(self.stock_dir, ws_version, "epan"))
        self.cap_dir = os.path.join(self.root, "captures")
        shutil.copytree(captures, self.cap_dir)
        self.home = os.path.join(self.root, "home")
        os.makedirs(self.home)
        self.drop = None
        if os.geteuid() == 0:
            nobody = pwd.getpwnam("nobody")
            for dirpath, dirnames, filenames in os.walk(self.root):
                for n in dirnames + filenames:
                    os.chmod(os.path.join(dirpath, n), 0o755 if n in dirnames else 0o644)
            os.chown(self.home, nobody.pw_uid, nobody.pw_gid)
            self.drop = ["setpriv", "--reuid=%d" % nobody.pw_uid, "--regid=%d" % nobody.pw_gid,
                         "--clear-groups"]

    def cleanup(self):
        shutil.rmtree(self.root, ignore_errors=True)

    def cap(self, name, suffix=".pcapng"):
        return os.path.join(self.cap_dir, name + suffix)

    def run(self, args, plugin=True, check_rc=True, wrapper=()):
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": self.home,
            "LANG": "C.UTF-8",
            "WIRESHARK_PLUGIN_DIR": self.plugin_dir if plugin else self.stock_dir,
        }
        cmd = (self.drop or []) + list(wrapper) + [self.tshark] + list(args)
        p = subprocess.run(cmd, env=env, cwd=self.root, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, universal_newlines=True, timeout=600)
        if check_rc and p.returncode != 0:
            raise Failure("tshark failed (%d): %s\n%s" % (p.returncode, " ".join(cmd), p.stderr))
        # tshark warns when run as root; nothing else may appear on stderr
        err = [l for l in p.stderr.splitlines() if l.strip() and "dangerous" not in l]
        if check_rc and err:
            raise Failure("tshark wrote to stderr: %s\n%s" % (" ".join(cmd), "\n".join(err)))
        return p.stdout

    def fields(self, cap_file, fields, filt=None, two_pass=False, opts=(), plugin=True, extra=()):
        args = ["-n", "-r", cap_file, "-T", "fields", "-E", "separator=/t",
                "-E", "occurrence=a", "-E", "aggregator=" + AGG] + list(extra)
        if two_pass:
            args.append("-2")
        if filt:
            args += ["-Y", filt]
        for o in opts:
            args += ["-o", o]
        for f in fields:
            args += ["-e", f]
        out = self.run(args, plugin=plugin)
        rows = []
        for line in out.splitlines():
            cols = line.split("\t")
            cols += [""] * (len(fields) - len(cols))
            rows.append(cols)
        return rows


def split(v):
    return v.split(AGG) if v else []


# ---------------------------------------------------------------- helpers

def per_stream(rows):
    """rows of (frame, stream, tcp.len, tume.flow, msg_type, call_id, ...)"""
    streams = {}
    for r in rows:
        streams.setdefault(int(r[1]), []).append(r)
    return streams


SIG_FIELDS = ["frame.number", "tcp.stream", "tcp.len", "tume.flow", "tume.msg_type",
              "tume.sip.call_id", "tume.evidence", "tume.decrypted", "tume.sni",
              "tume.cert.subject", "tume.cert.issuer", "tume.cert.san", "tume.cert.self_signed"]
F_FLOW, F_TYPE, F_CALLID, F_EV, F_DEC, F_SNI, F_SUBJ, F_ISS, F_SAN, F_SELF = range(3, 13)

TUME_CERT = {
    F_SNI: "sip.tume.jajah.com",
    F_SUBJ: "CN=sip.tume.jajah.com,O=Jajah Inc.,C=US",
    F_ISS: "CN=TU Me Test Root CA,O=Example Test PKI,C=ES",
    F_SAN: AGG.join(["sip.tume.jajah.com", "*.tume.jajah.com"]),
    F_SELF: "0",
}
ALL_SIGNALLING_EVIDENCE = ["cert-subject", "cert-san", "sni", "sip-domain", "sip-user-agent"]

TU_API_CERT = {
    F_SNI: "api.tu.com",
    F_SUBJ: "CN=api.tu.com,O=Telefonica Digital,C=ES",
    F_ISS: "CN=TU Test Issuing CA,O=Telefonica Test PKI,C=ES",
    F_SAN: "api.tu.com",
    F_SELF: "0",
}
RSA_MESSAGES = [
    ("REGISTER", "rsa-reg-0001@tume-iphone"),
    ("200 OK", "rsa-reg-0001@tume-iphone"),
    ("MESSAGE", "rsa-msg-0001@tume-iphone"),
    ("200 OK", "rsa-msg-0001@tume-iphone"),
]


def msg_list(rows):
    out = []
    for r in rows:
        types, ids = split(r[4]), split(r[5])
        it = iter(ids)
        for t in types:
            out.append((t, "" if t.startswith("keepalive") else next(it, "?")))
    return out


def assert_flow_fields(name, rows, want, evidence, decrypted, flow="signalling"):
    """Every payload packet carries tume with these flow-level values; no
    packet without payload carries it."""
    check(any(int(r[2]) > 0 for r in rows), "%s: no payload packets at all" % name)
    for r in rows:
        if int(r[2]) == 0:
            check_eq(r[F_FLOW], "", "%s: no tume without TCP payload, frame %s" % (name, r[0]))
            continue
        check_eq(r[F_FLOW], flow, "%s: tume.flow on frame %s" % (name, r[0]))
        check_eq(split(r[F_EV]), evidence, "%s: evidence on frame %s" % (name, r[0]))
        check_eq(r[F_DEC], decrypted, "%s: tume.decrypted on frame %s" % (name, r[0]))
        for f, v in want.items():
            check_eq(r[f], v, "%s: %s on frame %s" % (name, SIG_FIELDS[f], r[0]))


def assert_passes_agree(name, rows1, rows2, messages):
    """Single pass against -2: the same messages on the same frames; the flow is
    marked from the ClientHello (SNI) on; flow-level values agree on every frame
    once the last of them is known (the first SIP message adds sip-* evidence)."""
    check_eq([r[0] for r in rows1], [r[0] for r in rows2], "%s: same frames in both passes" % name)
    check_eq(msg_list(rows1), messages, "%s: single-pass message list" % name)
    settled = next(int(r[0]) for r in rows1 if r[F_TYPE] and not r[F_TYPE].startswith("keepalive"))
    for r1, r2 in zip(rows1, rows2):
        check_eq(r1[F_FLOW:F_CALLID + 1], r2[F_FLOW:F_CALLID + 1],
                 "%s: single pass agrees with -2 on messages, frame %s" % (name, r1[0]))
        if int(r1[0]) >= settled:
            check_eq(r1, r2, "%s: single pass agrees with -2 on frame %s" % (name, r1[0]))


def assert_signalling(env, name, cap_file, opts=()):
    """The whole contract of a TU Me signalling capture with keys."""
    two = per_stream(env.fields(cap_file, SIG_FIELDS, filt="tcp", two_pass=True, opts=opts))
    one = per_stream(env.fields(cap_file, SIG_FIELDS, filt="tcp", opts=opts))
    check_eq(sorted(two), [0], "%s: TCP streams" % name)
    rows2, rows1 = two[0], one[0]

    # every message, in order, typed as FIELDS.md says
    check_eq(msg_list(rows2), TUME_SIGNALLING, "%s: -2 message list" % name)
    # tume on every packet with TCP payload, and only there, with the final flow facts
    assert_flow_fields(name + " -2", rows2, TUME_CERT, ALL_SIGNALLING_EVIDENCE, "1")
    assert_passes_agree(name, rows1, rows2, TUME_SIGNALLING)

    # Wireshark's own SIP dissector sees every message of the stream
    sip = env.fields(cap_file, ["sip.Method", "sip.Status-Code"], filt="sip", opts=opts)
    seen = []
    for r in sip:
        # a frame may hold several messages; in these captures never a mix of
        # requests and responses, so methods or codes come in stream order
        check(not (r[0] and r[1]), "%s: mixed request/response frame not expected" % name)
        seen += split(r[0]) + split(r[1])
    check_eq(seen, TUME_SIGNALLING_SIP, "%s: sip.Method/sip.Status-Code sequence" % name)

    # SDP of the INVITE and of its 200 OK reached the SDP dissector
    sdp = env.fields(cap_file, ["sdp.media.port"], filt="sdp", opts=opts)
    check_eq([r[0] for r in sdp], ["40000", "40002"], "%s: SDP media ports" % name)

    # ... and SDP set up the call's RTP (UDP 40000 <-> 40002, 5 packets each way)
    rtp = env.fields(cap_file, ["frame.number", "rtp.setup-frame", "rtp.setup-method", "tume.flow"],
                     filt="udp", opts=opts)
    sdp_frames = {r[0] for r in env.fields(cap_file, ["frame.number"], filt="sdp", opts=opts)}
    check_eq(len(rtp), 10, "%s: RTP packets" % name)
    for r in rtp:
        check(r[2] == "SDP" and r[1] in sdp_frames, "%s: RTP frame %s not set up by SIP's SDP: %r" % (name, r[0], r))
        check_eq(r[3], "", "%s: tume is on the TLS flow only, not on RTP frame %s" % (name, r[0]))

    # display filters of FIELDS.md
    inv = env.fields(cap_file, ["frame.number"], filt='tume.msg_type == "INVITE"', opts=opts)
    check_eq(len(inv), 1, "%s: frames matching tume.msg_type == \"INVITE\"" % name)
    info = env.fields(cap_file, ["frame.number"], filt="tume.msg.info", two_pass=True, opts=opts)
    check_eq([r[0] for r in info], [r[0] for r in rows2 if r[4]],
             "%s: tume.msg.info expert on every message frame" % name)
    check_eq(env.fields(cap_file, ["frame.number"], filt="tume.malformed", opts=opts), [],
             "%s: no tume.malformed" % name)

    # -z sip,stat counts the TLS/443 messages
    stat = env.run(["-n", "-q", "-r", cap_file, "-z", "sip,stat"] + [a for o in opts for a in ("-o", o)])
    m = re.search(r"Number of SIP messages: (\d+)", stat)
    check(m is not None, "%s: no sip,stat output" % name)
    check_eq(int(m.group(1)), len(TUME_SIGNALLING_SIP), "%s: sip,stat message count" % name)
    return rows2


# ---------------------------------------------------------------- cases

def case_plugin_registration(env):
    plugins = env.run(["-G", "plugins"])
    check(re.search(r"^tume\.so\s+0\.1\.0\s+dissector\s", plugins, re.M) is not None,
          "tshark -G plugins does not list tume.so 0.1.0:\n" + plugins)
    fields = {l.split("\t")[2] for l in env.run(["-G", "fields"]).splitlines()
              if l.count("\t") >= 2}
    for f in FIELDS_IMPLEMENTED:
        check(f in fields, "tshark -G fields lacks %s" % f)
    heur = env.run(["-G", "heuristic-decodes"])
    check(re.search(r"^tls\ttume\tT$", heur, re.M) is not None, "heuristic not on the tls list")
    # nothing of the plugin sits in front of another dissector (media_type, ports, ...)
    decodes = env.run(["-G", "decodes"])
    check(not any("tume" in l.lower() for l in decodes.splitlines()), "tume registered in a dissector table")
    # and the stock run really has no plugin (so comparisons mean something)
    check("tume" not in env.run(["-G", "plugins"], plugin=False), "stock run loaded the plugin")


def case_signalling_tls12(env):
    assert_signalling(env, "tls12", env.cap("tume-signalling-tls12"))


def case_signalling_tls13(env):
    assert_signalling(env, "tls13", env.cap("tume-signalling-tls13"))


def case_signalling_edge(env):
    """A start line cut by the first record, a ping and a message sharing a
    record, and a message that cannot be framed."""
    cap = env.cap("tume-signalling-edge")
    two = per_stream(env.fields(cap, SIG_FIELDS, filt="tcp", two_pass=True))
    one = per_stream(env.fields(cap, SIG_FIELDS, filt="tcp"))
    check_eq(msg_list(two[0]), TUME_EDGE, "edge: -2 message list")
    assert_flow_fields("edge -2", two[0], TUME_CERT, ALL_SIGNALLING_EVIDENCE, "1")
    assert_passes_agree("edge", one[0], two[0], TUME_EDGE)
    # the record holding only "OPTI" is reassembled with the next one, not HTTP
    check_eq(env.fields(cap, ["frame.number"], filt="http"), [], "edge: nothing went to HTTP")
    bad = env.fields(cap, ["frame.number", "tume.msg_type"], filt="tume.malformed", two_pass=True)
    check_eq(len(bad), 1, "edge: exactly one frame with tume.malformed")
    check_eq(bad[0][1], "", "edge: the unframeable message has no type")
    # the broken message is the client's last data record
    last = max(int(r[0]) for r in two[0] if r[4])
    check(int(bad[0][0]) > last, "edge: tume.malformed after the last typed message")


def expert_frames(env, cap_file, name, two_pass=True, opts=()):
    return [int(r[0]) for r in env.fields(cap_file, ["frame.number"], filt=name, two_pass=two_pass, opts=opts)]


def case_unkeyed_flows(env):
    """Without keys the flows are still found: TLS 1.2 by certificate and SNI
    (issuer and subject exact), TLS 1.3 by SNI alone (its certificate is
    encrypted). tume.not_decrypted exactly once per unkeyed flow."""
    for name, want, evidence in (
            ("tume-signalling-tls12", TUME_CERT, ["cert-subject", "cert-san", "sni"]),
            ("tume-signalling-tls13", {F_SNI: TUME_CERT[F_SNI], F_SUBJ: "", F_ISS: "", F_SAN: "", F_SELF: ""},
             ["sni"])):
        cap = env.cap(name, "-nokeys.pcapng")
        rows2 = env.fields(cap, SIG_FIELDS, filt="tcp", two_pass=True)
        rows1 = env.fields(cap, SIG_FIELDS, filt="tcp")
        assert_flow_fields(name + " unkeyed -2", rows2, want, evidence, "0")
        check_eq(msg_list(rows2), [], "%s unkeyed: no messages can be read" % name)
        # single pass: marked from the ClientHello; all known from the certificate on
        first = [r for r in rows2 if int(r[2]) > 0][0][0]
        cert = expert_frames(env, cap, "tume.cert.info", two_pass=False)
        settled = cert[0] if cert else int(first)
        for r1, r2 in zip(rows1, rows2):
            if int(r1[0]) >= settled:
                check_eq(r1, r2, "%s unkeyed: single pass agrees with -2 on frame %s" % (name, r1[0]))
        nd = expert_frames(env, cap, "tume.not_decrypted")
        check_eq(len(nd), 1, "%s unkeyed: tume.not_decrypted once" % name)
        appdata = [int(r[0]) for r in env.fields(cap, ["frame.number"], filt="tls.app_data")]
        check_eq(nd[0], appdata[0], "%s unkeyed: tume.not_decrypted on the first application data" % name)
        check_eq(expert_frames(env, env.cap(name), "tume.not_decrypted"), [],
                 "%s with keys: never tume.not_decrypted" % name)
    # the certificate note is on the packet that carried the certificate
    cap = env.cap("tume-signalling-tls12", "-nokeys.pcapng")
    cert_pkts = [int(r[0]) for r in env.fields(cap, ["frame.number"], filt="tls.handshake.certificate")]
    check_eq(expert_frames(env, cap, "tume.cert.info"), cert_pkts, "tume.cert.info on the Certificate packet")
    expert = env.run(["-n", "-q", "-r", cap, "-z", "expert,note"])
    check("TU Me signalling server certificate issued by CN=TU Me Test Root CA,O=Example Test PKI,C=ES"
          " to CN=sip.tume.jajah.com,O=Jajah Inc.,C=US" in expert, "-z expert lists the certificate note")
    check("TU Me signalling flow not decrypted" in expert, "-z expert lists the not-decrypted note")
    # the issuer on every TU Me packet of the flow (-2; a single pass knows it from the certificate on)
    issuers = env.fields(cap, ["tume.cert.issuer"], filt="tume", two_pass=True)
    check(len(issuers) > 10 and all(r == [TUME_CERT[F_ISS]] for r in issuers), "issuer on every tume packet")
    # TLS 1.3 keyed: the certificate is read from the decrypted handshake
    rows = env.fields(env.cap("tume-signalling-tls13"), ["tume.cert.issuer"], filt="tume", two_pass=True)
    check(len(rows) > 10 and all(r == [TUME_CERT[F_ISS]] for r in rows), "TLS 1.3 with keys: issuer")


def valgrind_blocks(log):
    """Error and leak records of a valgrind log, one text block each."""
    blocks, cur = [], []
    for line in log.splitlines():
        body = line.split("== ", 1)[1] if "== " in line else ""
        if body.strip() == "":
            if cur:
                blocks.append("\n".join(cur))
            cur = []
        else:
            cur.append(body)
    if cur:
        blocks.append("\n".join(cur))
    return blocks


def case_memcheck(env):
    """valgrind on tshark with the plugin: no invalid access, no leak, in any
    record whose stack passes through tume.so (GnuTLS certificates included).
    Wireshark's own leaks at exit are not ours and are ignored."""
    vg = shutil.which("valgrind")
    check(vg is not None, "valgrind is not installed (scripts/deps.sh installs it)")
    runs = [("tume-signalling-tls12", "-nokeys.pcapng", ["-2", "-V"]),
            ("tume-signalling-tls13", ".pcapng", ["-2", "-V"]),
            ("tume-signalling-edge", ".pcapng", ["-V"]),
            ("tume-cert-anomalies", "-nokeys.pcapng", ["-2", "-V"]),
            ("tume-api-keepalive", ".pcapng", ["-2", "-V"]),
            ("tume-api-edge", ".pcapng", ["-V"])]
    for name, suffix, extra in runs:
        log = os.path.join(env.home, "vg-%s.log" % name)   # writable by the tshark user
        out = env.run(["-n", "-r", env.cap(name, suffix)] + extra,
                      wrapper=[vg, "--keep-debuginfo=yes", "--leak-check=full", "--num-callers=40",
                               "--log-file=" + log])
        # the plugin did its work under valgrind (else the check says nothing)
        check("TU Me" in out, "%s: no TU Me output under valgrind" % name)
        with open(log) as f:
            text = f.read()
        check("ERROR SUMMARY" in text, "%s: valgrind did not finish" % name)
        ours = [b for b in valgrind_blocks(text) if "tume.so" in b]
        check_eq(ours, [], "%s: valgrind records involving the plugin" % name)


def strip_tume(text):
    """-V output without the TU Me protocol block (top level, up to the next)."""
    out, skipping = [], False
    for line in text.splitlines():
        if not line.startswith(" "):
            skipping = line.startswith("TU Me (")
        if not skipping:
            out.append(line)
    return "\n".join(out) + ("\n" if text.endswith("\n") else "")


def case_provisioning_flow(env):
    """The provisioning API host (api.tu.com, its own CA) is TU Me by
    certificate and SNI, role provisioning, with or without keys; Wireshark's
    HTTP and JSON dissection of it does not change."""
    name = "tume-provisioning-tls12"
    for suffix, dec, evidence in (
            (".pcapng", "1", ["cert-subject", "cert-san", "sni", "http-host", "api-signature"]),
            ("-nokeys.pcapng", "0", ["cert-subject", "cert-san", "sni"])):
        cap = env.cap(name, suffix)
        rows = env.fields(cap, SIG_FIELDS, filt="tcp", two_pass=True)
        assert_flow_fields(name + suffix, rows, TU_API_CERT, evidence, dec, flow="provisioning")
        check_eq(len(expert_frames(env, cap, "tume.not_decrypted")), 0 if dec == "1" else 1,
                 "%s: tume.not_decrypted" % (name + suffix))
    cap = env.cap(name)
    check(len(env.fields(cap, ["frame.number"], filt="json")) == 2, "%s: two JSON bodies" % name)
    for extra in ([], ["-2"]):
        args = ["-n", "-r", cap, "-V"] + extra
        check_eq(strip_tume(env.run(args)), env.run(args, plugin=False),
                 "%s %s: all but the TU Me block as stock" % (name, extra))


def case_rsa_key(env):
    """A static-RSA TLS 1.2 TU Me flow: found by its certificate without keys
    (the note names the RSA key), read with the server's RSA private key."""
    cap = env.cap("tume-signalling-rsa")
    rows = env.fields(cap, SIG_FIELDS, filt="tcp", two_pass=True)
    assert_flow_fields("rsa unkeyed", rows, TUME_CERT, ["cert-subject", "cert-san", "sni"], "0")
    nd = env.fields(cap, ["frame.number", "_ws.expert.message"], filt="tume.not_decrypted", two_pass=True)
    check_eq(len(nd), 1, "rsa unkeyed: tume.not_decrypted once")
    check("the server's RSA private key (uat:rsa_keys)" in nd[0][1], "rsa: the note names the RSA key: %r" % nd)
    key = os.path.join(env.cap_dir, "pki", "sip.tume.jajah.com.key")
    opts = ['uat:rsa_keys:"%s",""' % key]
    rows2 = env.fields(cap, SIG_FIELDS, filt="tcp", two_pass=True, opts=opts)
    rows1 = env.fields(cap, SIG_FIELDS, filt="tcp", opts=opts)
    check_eq(msg_list(rows2), RSA_MESSAGES, "rsa with the key: messages")
    assert_flow_fields("rsa keyed -2", rows2, TUME_CERT, ALL_SIGNALLING_EVIDENCE, "1")
    assert_passes_agree("rsa keyed", rows1, rows2, RSA_MESSAGES)
    check_eq(expert_frames(env, cap, "tume.not_decrypted", opts=opts), [], "rsa with the key: decrypted")


ANOMALY_WARNINGS = ["tume.cert.warn.expired", "tume.cert.warn.not_yet_valid",
                    "tume.cert.warn.self_signed", "tume.cert.warn.sni_mismatch"]


def case_cert_anomalies(env):
    """Expired, self-signed and SNI-mismatched certificates are pointed out,
    each on its own flow's Certificate packet; sound certificates never are."""
    cap = env.cap("tume-cert-anomalies")
    want = {  # stream: (subject, self-signed, the one warning)
        0: ("CN=old.tume.jajah.com,O=Jajah Inc.,C=US", "0", "tume.cert.warn.expired"),
        1: ("CN=selfsigned.tume.jajah.com,O=Jajah Inc.,C=US", "1", "tume.cert.warn.self_signed"),
        2: ("CN=media.jajah.com,O=Jajah Inc.,C=US", "0", "tume.cert.warn.sni_mismatch"),
    }
    streams = per_stream(env.fields(cap, SIG_FIELDS, filt="tcp", two_pass=True))
    check_eq(sorted(streams), sorted(want), "anomalies: streams")
    cert_frames = {}
    for r in env.fields(cap, ["frame.number", "tcp.stream"], filt="tume.cert.info", two_pass=True):
        cert_frames[int(r[1])] = int(r[0])
    for st, (subject, self_signed, warning) in want.items():
        for r in streams[st]:
            if int(r[2]) > 0:
                check_eq((r[F_SUBJ], r[F_SELF]), (subject, self_signed), "anomalies stream %d frame %s" % (st, r[0]))
        for w in ANOMALY_WARNINGS:
            got = [int(r[1]) for r in env.fields(cap, ["tcp.stream", "frame.number"], filt=w, two_pass=True)
                   if int(r[0]) == st]
            check_eq(got, [cert_frames[st]] if w == warning else [], "anomalies stream %d: %s" % (st, w))
    expired = env.fields(cap, ["_ws.expert.message"], filt="tume.cert.warn.expired")
    check("expired on 2012-01-01 00:00:00 UTC" in expired[0][0], "expiry date in the warning: %r" % expired)
    # validity is judged at capture time: the sound signalling capture moved
    # 20 years back (before notBefore) and 20 years on (after notAfter)
    year = 365 * 86400
    for shift, warning in ((-20 * year, "tume.cert.warn.not_yet_valid"), (20 * year, "tume.cert.warn.expired")):
        moved = os.path.join(env.root, "shifted.pcapng")
        subprocess.run(["editcap", "-t", str(shift), env.cap("tume-signalling-tls12", "-nokeys.pcapng"), moved],
                       check=True)
        os.chmod(moved, 0o644)
        for w in ANOMALY_WARNINGS:
            check_eq(len(expert_frames(env, moved, w)), 1 if w == warning else 0,
                     "capture shifted by %d s: %s" % (shift, w))
    for name in list(TUME_CAPTURES) + ["tume-provisioning-tls12", "tume-signalling-rsa"]:
        for w in ANOMALY_WARNINGS:
            check_eq(expert_frames(env, env.cap(name), w), [], "%s: no %s" % (name, w))


API_COLS = ["frame.number", "tcp.stream", "tcp.len", "tume.flow", "tume.msg_type", "tume.evidence",
            "tume.decrypted", "tume.api.msisdn", "tume.api.user_id", "tume.api.screen_name", "tume.api.locale",
            "tume.api.contacts", "tume.api.sip_proxy", "tume.api.keys", "_ws.col.Info"]


def api_messages(rows):
    """(frame, stream, type) of every provisioning message, in order."""
    out = []
    for r in rows:
        for t in split(r[4]):
            out.append((int(r[0]), int(r[1]), t))
    return out


def assert_api_capture(env, name, streams):
    cap = env.cap(name)
    rows2 = env.fields(cap, API_COLS, filt="tcp", two_pass=True)
    rows1 = env.fields(cap, API_COLS, filt="tcp")
    msgs = api_messages(rows2)
    check_eq([t for _, _, t in msgs], API_FLOW, "%s: message types in order" % name)
    check_eq(len({st for _, st, _ in msgs}), streams, "%s: TCP streams" % name)
    check_eq(api_messages(rows1), msgs, "%s: single pass agrees with -2 on every message" % name)
    # api-signature: on flows where a request matched a table row by its JSON keys
    by_content = {"register", "push_register", "validate", "profile", "contacts"}
    signed = {st for _, st, t in msgs if t in by_content}
    for r in rows2:
        if int(r[2]) == 0:
            check_eq(r[3], "", "%s: no tume without payload, frame %s" % (name, r[0]))
            continue
        evidence = API_EVIDENCE if int(r[1]) in signed else API_EVIDENCE[:-1]
        check_eq((r[3], split(r[5]), r[6]), ("provisioning", evidence, "1"),
                 "%s -2: flow, evidence, decrypted on frame %s" % (name, r[0]))
        types = split(r[4])
        if not types:
            continue
        check_eq(len(types), 1, "%s: one message per frame here" % name)
        t = types[0]
        want = API_FIELDS.get(t, {})
        for i, col in enumerate(API_COLS[7:13], start=7):
            check_eq(r[i], want.get(col, ""), "%s: %s on the %s (frame %s)" % (name, col, t, r[0]))
        check_eq(",".join(split(r[13])), API_KEYS[t], "%s: tume.api.keys of the %s" % (name, t))
        check(r[14].startswith("TU Me %s: " % t), "%s: Info column names the type: %r" % (name, r[14]))
    # sensitive content, per message type
    got = {}
    for r in env.fields(cap, ["tume.msg_type", "_ws.expert.message"], filt="tume.sensitive", two_pass=True):
        t = r[0]
        got[t] = sorted(m.split(" carries the ")[1] for m in split(r[1]) if " carries the " in m)
    check_eq(got, API_SENSITIVE, "%s: tume.sensitive per message" % name)
    # tume.msg.info on every message
    check_eq(len(env.fields(cap, ["frame.number"], filt="tume.msg.info", two_pass=True)), len(API_FLOW),
             "%s: tume.msg.info frames" % name)
    # Wireshark's own HTTP and JSON output is unchanged
    for extra in ([], ["-2"]):
        args = ["-n", "-r", cap, "-V"] + extra
        check_eq(strip_tume(env.run(args)), env.run(args, plugin=False),
                 "%s %s: all but the TU Me block as stock" % (name, extra))
    # without keys: every flow found, nothing typed, one not-decrypted note per flow
    nk = env.cap(name, "-nokeys.pcapng")
    rows = env.fields(nk, API_COLS, filt="tume", two_pass=True)
    check(len(rows) > 0 and all(r[4] == "" and split(r[5]) == ["cert-subject", "cert-san", "sni"] and r[6] == "0"
                                for r in rows), "%s unkeyed: found by certificate/SNI, not typed" % name)
    nd = env.fields(nk, ["tcp.stream"], filt="tume.not_decrypted", two_pass=True)
    check_eq(sorted(int(r[0]) for r in nd), list(range(streams)), "%s unkeyed: one tume.not_decrypted per flow" % name)


def case_api_keepalive(env):
    """The whole model flow over one keep-alive connection: chunked and gzip
    replies, a 200-entry address book over 12 TCP segments, a 404."""
    assert_api_capture(env, "tume-api-keepalive", 1)


def case_api_multi(env):
    """The same flow, one connection per request."""
    assert_api_capture(env, "tume-api-multi", 9)


def case_api_lookalike(env):
    """The same JSON API on another host and certificate is not TU Me, and
    its dissection is exactly stock."""
    for suffix in (".pcapng", "-nokeys.pcapng"):
        cap = env.cap("lookalike-api", suffix)
        check_eq(env.fields(cap, ["frame.number"], filt="tume", two_pass=True), [], "look-alike%s: no tume" % suffix)
        for extra in ([], ["-2"]):
            args = ["-n", "-r", cap, "-V"] + extra
            check_eq(env.run(args), env.run(args, plugin=False), "look-alike%s %s: -V as stock" % (suffix, extra))
    check_eq(len(env.fields(env.cap("lookalike-api"), ["frame.number"], filt="json")), 13,
             "look-alike: the JSON was decrypted (so the comparison means something)")


def case_api_edge(env):
    """Pipelined requests (two in one record, answered by two replies in one
    record) pair by order; a broken JSON body and one nested 200 levels deep
    are reported as tume.malformed (the deep one never reaches json-glib)."""
    cap = env.cap("tume-api-edge")
    for two in (True, False):
        rows = env.fields(cap, ["frame.number", "tume.msg_type"], filt="tume.msg_type", two_pass=two)
        check_eq([split(r[1]) for r in rows],
                 [["register", "validate"], ["register_reply", "config"], ["unknown"], ["error"],
                  ["unknown"], ["error"]], "api edge: types (two-pass %s)" % two)
    bad = env.fields(cap, ["tume.msg_type", "_ws.expert.message"], filt="tume.malformed", two_pass=True)
    msgs = [m for r in bad for m in split(r[1]) if m.startswith("TU Me provisioning unknown: ")]
    check_eq(len(msgs), 2, "api edge: two malformed bodies: %r" % msgs)
    check(msgs[0].startswith("TU Me provisioning unknown: broken JSON: "), "broken JSON named: %r" % msgs[0])
    check_eq(msgs[1], "TU Me provisioning unknown: JSON nested deeper than 64 levels", "depth named")
    sens = env.fields(cap, ["_ws.expert.message"], filt="tume.sensitive", two_pass=True)
    check_eq(sorted(m for r in sens for m in split(r[0]) if " carries the " in m),
             ["TU Me config carries the SIP password", "TU Me validate carries the SMS PIN"], "api edge: sensitive")


def case_api_message_table(env):
    """User rows (the UAT) come before the built-in ones."""
    cap = env.cap("tume-api-keepalive")
    # a path-only row types the unknown GET, and its 404 reply stays "error"
    rows = env.fields(cap, ["tume.msg_type"], filt="tume.msg_type", two_pass=True,
                      opts=['uat:tume_api_messages:"GET","*/history/*","","history_item","request"'])
    types = [t for r in rows for t in split(r[0])]
    check_eq(types[14:16], ["history_item", "error"], "user row for GET */history/*")
    check_eq(types[:14] + types[16:], API_FLOW[:14] + API_FLOW[16:], "other messages unchanged")
    # the same keys and path as a built-in row: the user's row wins; its reply is "<type>_reply"
    rows = env.fields(cap, ["tume.msg_type"], filt="tume.msg_type", two_pass=True,
                      opts=['uat:tume_api_messages:"POST","*/register","msisdn,locale","signup","request"'])
    types = [t for r in rows for t in split(r[0])]
    check_eq(types[:2], ["signup", "signup_reply"], "user row before the built-in register row")
    # a request-only match by content on another path is still the model's type
    check_eq(types[2:], API_FLOW[2:], "the rest of the flow")


def case_output_formats(env):
    """-T fields, -T json and -T ek, one pass and two, say the same of every
    TU Me packet; -z expert lists the plugin's notes and warnings."""
    import json
    for name in ("tume-signalling-tls12-nokeys", "tume-api-keepalive"):
        cap = env.cap(name)
        for two in (["-2"], []):
            rows = env.fields(cap, ["frame.number", "tume.flow", "tume.cert.issuer", "tume.msg_type"], filt="tume",
                              two_pass=bool(two))
            want = [(r[0], r[1], r[2], split(r[3])) for r in rows]
            doc = json.loads(env.run(["-n", "-r", cap, "-Y", "tume", "-T", "json"] + two))
            got = []
            for d in doc:
                L = d["_source"]["layers"]
                t = L["tume"]
                types = []
                for k, v in t.items():
                    if isinstance(v, dict) and "tume.msg_type" in v:
                        types += v["tume.msg_type"] if isinstance(v["tume.msg_type"], list) else [v["tume.msg_type"]]
                got.append((L["frame"]["frame.number"], t["tume.flow"], t.get("tume.cert.issuer", ""), types))
            check_eq(got, want, "%s %s: -T json agrees with -T fields" % (name, two))
            ek = [json.loads(l) for l in env.run(["-n", "-r", cap, "-Y", "tume", "-T", "ek"] + two).splitlines()]
            got = [(d["layers"]["frame"]["frame_frame_number"], d["layers"]["tume"]["tume_tume_flow"],
                    d["layers"]["tume"].get("tume_tume_cert_issuer", "")) for d in ek if "layers" in d]
            check_eq(got, [w[:3] for w in want], "%s %s: -T ek agrees with -T fields" % (name, two))
    exp = env.run(["-n", "-q", "-r", env.cap("tume-api-keepalive"), "-z", "expert"])
    for line in ("TU Me validate carries the SMS PIN", "TU Me token carries the access token",
                 "TU Me provisioning server certificate issued by CN=TU Test Issuing CA"):
        check(line in exp, "-z expert lists %r" % line)


def case_keylog_file(env):
    """Keys from tls.keylog_file give exactly what the embedded secrets give."""
    for name in sorted(TUME_CAPTURES):
        embedded = env.fields(env.cap(name), SIG_FIELDS, two_pass=True)
        keylog = env.fields(env.cap(name, "-nokeys.pcapng"), SIG_FIELDS, two_pass=True,
                            opts=["tls.keylog_file:" + env.cap(name, ".keys")])
        check_eq(keylog, embedded, "%s: keylog file vs embedded secrets" % name)
        nokeys = env.fields(env.cap(name, "-nokeys.pcapng"), ["frame.number"], filt="sip or tume.msg_type")
        check_eq(nokeys, [], "%s without keys: no SIP message can be read" % name)


def case_stock_reads_broken_http(env):
    """The problem the plugin solves: stock tshark reads the SIP as HTTP."""
    cap = env.cap("tume-signalling-tls12")
    check_eq(env.fields(cap, ["frame.number"], filt="sip", plugin=False), [],
             "stock tshark should not find SIP")
    check(len(env.fields(cap, ["frame.number"], filt="http", plugin=False)) > 0,
          "stock tshark should (mis)read the stream as HTTP")
    check_eq(env.fields(cap, ["frame.number"], filt="http"), [], "with the plugin: no HTTP")


def case_other_sip_not_tume(env):
    cap = env.cap("other-sip-tls")
    rows = env.fields(cap, ["frame.number", "tume.flow", "sip.Method", "sip.Status-Code", "frame.protocols"],
                      two_pass=True)
    check_eq([r for r in rows if r[1]], [], "SIP to a non-TU Me server must not be TU Me")
    check(all(":tume" not in r[4] for r in rows), "frame.protocols must not name tume on plain SIP")
    check_eq([x for r in rows for x in split(r[2]) + split(r[3])], OTHER_SIP,
             "other SIP over TLS/443 is still SIP")
    # only the application layer changes from broken HTTP to SIP
    base = ["frame.number", "tcp.stream", "tcp.len", "tls.record.content_type", "tls.handshake.type"]
    check_eq(env.fields(cap, base), env.fields(cap, base, plugin=False), "TCP/TLS layers unchanged")
    check(len(env.fields(cap, ["frame.number"], filt="http", plugin=False)) > 0, "stock reads it as HTTP")


def case_negatives_unchanged(env):
    """Other HTTPS, plain HTTP on 443 and non-TLS bytes on 443: byte-for-byte
    the stock dissection, in one pass and in two."""
    for name in NEGATIVE_CAPTURES:
        cap = env.cap(name)
        for extra in ([], ["-2"]):
            args = ["-n", "-r", cap, "-V"] + extra
            check_eq(env.run(args), env.run(args, plugin=False), "%s %s: -V output changed" % (name, extra))
        check_eq(env.fields(cap, ["frame.number"], filt="tume", two_pass=True), [], "%s: no tume" % name)
    # the HTTPS negative really was decrypted (else the comparison is empty)
    check(len(env.fields(env.cap("other-https-json"), ["frame.number"], filt="json")) >= 2,
          "other-https-json: JSON bodies expected")


def case_heuristic_switches(env):
    """With the SIP heuristic off (either switch) the stream is what stock
    tshark makes of it, and the flow is still TU Me by its certificate and SNI;
    with the protocol off, everything is stock."""
    cap = env.cap("tume-signalling-tls12")
    stock_http = env.fields(cap, ["frame.number"], filt="http", plugin=False)
    check(len(stock_http) > 0, "stock reads the stream as HTTP")
    for how in (["--disable-heuristic", "tume_sip_tls"], ["-o", "tume.sip_heuristic:FALSE"]):
        check_eq(env.fields(cap, ["frame.number"], filt="http", extra=how), stock_http,
                 "%s: the same frames are HTTP as in stock" % how)
        rows = env.fields(cap, ["tume.evidence", "tume.msg_type", "sip.Method"], filt="tume or sip",
                          two_pass=True, extra=how)
        # no SIP; what HTTP makes of the stream (one OPTIONS "request") is an unknown API message
        check(all(r[1] in ("", "unknown") and r[2] == "" for r in rows), "%s: no SIP, no SIP message type" % how)
        check(len(rows) > 0 and all(split(r[0]) == ["cert-subject", "cert-san", "sni"] for r in rows),
              "%s: still TU Me by certificate/SNI: %r" % (how, rows[:2]))
    stock = env.run(["-n", "-r", cap, "-V"], plugin=False)
    check_eq(env.run(["-n", "-r", cap, "-V", "--disable-protocol", "tume"]), stock,
             "--disable-protocol tume")


def case_preferences(env):
    nowhere = "nothing.invalid"
    # the domain lists decide: example.org makes the other SIP server TU Me
    rows = env.fields(env.cap("other-sip-tls"), ["tume.flow", "tume.evidence"], filt="tume",
                      two_pass=True, opts=["tume.signalling_domains:example.org"])
    check(len(rows) > 0, "signalling_domains:example.org should make other-sip-tls TU Me")
    check(all(r[0] == "signalling" and split(r[1]) == ["cert-subject", "cert-san", "sni", "sip-domain"]
              for r in rows),
          "example.org evidence: %r" % rows[:3])
    # a provisioning domain makes it TU Me too, and names the role until the payload says SIP
    rows = env.fields(env.cap("other-sip-tls-nokeys"), ["tume.flow"], filt="tume", two_pass=True,
                      opts=["tume.provisioning_domains:example.org"])
    check(len(rows) > 0 and all(r == ["provisioning"] for r in rows), "role from provisioning list: %r" % rows[:3])
    # without any domain, the User-Agent alone still proves TU Me
    rows = env.fields(env.cap("tume-signalling-tls12"), ["tume.evidence"], filt="tume", two_pass=True,
                      opts=["tume.signalling_domains:" + nowhere, "tume.provisioning_domains:" + nowhere])
    check(len(rows) > 0 and all(r == ["sip-user-agent"] for r in rows), "UA-only evidence: %r" % rows[:3])
    # with no evidence at all, the SIP stays SIP and nothing is TU Me
    cap = env.cap("tume-signalling-tls12")
    opts = ["tume.signalling_domains:" + nowhere, "tume.provisioning_domains:" + nowhere,
            "tume.user_agents:NoSuchApp"]
    check_eq(env.fields(cap, ["frame.number"], filt="tume", two_pass=True, opts=opts), [], "no evidence, no tume")
    check_eq(len(env.fields(cap, ["frame.number"], filt="sip", opts=opts)), 16,
             "SIP frames still dissected (17 messages; 100 Trying and 180 Ringing share a frame)")


def case_merged_capture(env):
    """All captures in one file (a phone's many TLS/443 flows): exactly the
    flows to TU Me servers are TU Me, the signalling ones with the same
    message lists as alone."""
    merged = os.path.join(env.root, "merged.pcapng")
    files = [env.cap(n) for n in ALL_CAPTURES]
    subprocess.run(["mergecap", "-w", merged] + files, check=True)
    os.chmod(merged, 0o644)
    rows = env.fields(merged, SIG_FIELDS + ["ip.dst"], filt="tcp", two_pass=True)
    streams = per_stream(rows)
    tume_streams = sorted(s for s, rs in streams.items() if any(r[3] for r in rs))
    # server address: message list (None: TU Me by certificate, messages not checked here)
    by_server = {"127.0.0.10": TUME_SIGNALLING, "127.0.0.11": TUME_SIGNALLING, "127.0.0.12": TUME_EDGE,
                 "127.0.0.13": None, "127.0.0.14": [], "127.0.0.15": None, "127.0.0.16": None,
                 "127.0.0.17": None, "127.0.0.31": None, "127.0.0.32": None, "127.0.0.34": None}
    check_eq(len(tume_streams), len(by_server) + 8, "TU Me streams in the merged capture (9 to .32)")
    seen = set()
    for s in tume_streams:
        server = streams[s][0][-1]
        check(server in by_server, "TU Me stream %d goes to a TU Me server, not %s" % (s, server))
        seen.add(server)
        if by_server[server] is not None:
            check_eq(msg_list(streams[s]), by_server[server], "merged stream %d messages" % s)
    check_eq(sorted(seen), sorted(by_server), "every TU Me server found once")


CASES = {n[len("case_"):]: f for n, f in sorted(globals().items()) if n.startswith("case_")}


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
