#!/usr/bin/env python3
"""Hostile-input campaign for the TU Me plugin: mutate the decrypted payload of
the bundled keyed TLS captures and compare the plugin (ideally built with
-DTUME_SANITIZE=ON) against stock tshark, the same binary without the plugin.

    mutate_captures.py --plugin build-san/plugins/4.0/epan/tume.so \\
        [--timing-plugin build/plugins/4.0/epan/tume.so] \\
        [--count 200] [--seed 1] [--jobs N] [--timeout 60] [--out DIR] [--keep-all]
    mutate_captures.py --plugin P --seed S --index I          # redo one capture
    mutate_captures.py --plugin P --recheck FILE...           # rules 1-4 on given files
    mutate_captures.py --plugin P --no-mutate --captures-dir DIR [--no-tume]

Mutations.  Only the ciphertext of TLS application-data records is touched
(never record headers, handshake records, TCP/IP).  With AES-GCM, AES-CCM and
ChaCha20-Poly1305 a byte XORed into the ciphertext XORs the same plaintext
byte (TLS 1.2 GCM/CCM: after the 8-byte explicit nonce; TLS 1.3 and ChaCha20:
at the same offset; the tag at the end is never touched), so the plaintext of
every record is read first (stock tshark, "-z follow,tls,raw") and mutations
are targeted: set a byte to one of  CR LF : space 0-9 [ ] { } " ' / * \\ NUL
0xff  or a letter, flip bits, change Content-Length values and header names,
overwrite a header line with another line, turn CRLF into LF+space and the
like, break start lines, fill JSON bodies with nesting; rarely, flip a bit of
a TLS 1.2 explicit nonce so that the whole record decrypts to garbage.  Each
capture gets 1-8 mutations in 1-3 records.  Records whose ciphertext spans TCP
segments are handled: their bytes are found through the frames listed in
tcp.segment.  The pcapng is rewritten in place (same length), so its blocks,
Decryption Secrets Block included, are unchanged; TCP checksums are left
(Wireshark does not check them by default).  Every tshark run (plugin and
stock) gets -o tls.ignore_ssl_mac_failed:TRUE so that mutated records decrypt.

Rules, per capture, the plugin against stock:
 1. no crash, abort, sanitizer report ("ERROR: AddressSanitizer",
    "runtime error:", "Dissector bug") or hang (--timeout) in any plugin run;
    the exit status equals stock's; no stderr line that stock does not print.
 2. with --timing-plugin (a build without sanitizers): user+sys CPU of
    "tshark -r FILE" and of "tshark -V -r FILE" (output to /dev/null) with the
    plugin is at most --time-factor (1.5) x stock + --time-slack (0.3 s);
    a failing pair is measured again once before it is a finding.  Without
    --timing-plugin this check is skipped (the sanitized build is not timed).
 3. per TCP stream, every SIP message (method or status code, with Call-ID)
    of stock tshark decoding TLS port 443 as SIP (-d tls.port==443,sip: the
    sip.tcp handle SIP registers for TLS port 5061; tshark 4.0 refuses the
    name "sip.tcp" in -d) appears, in order, among the plugin's
    (plugin run without -d); every HTTP request (method, URI) and response
    (code) of stock (443 -> HTTP) appears, in order, among the plugin's.  A
    stock HTTP "request" whose version is SIP/... (HTTP misreading a SIP
    request line such as "OPTIONS sip:x SIP/2.0"), or any other version not
    starting with HTTP/, is not counted as an HTTP message.
    With --sip-exact the SIP lists must be equal.
 4. one pass against -2, for the plugin: per frame the same list of
    tume.msg_type (and tume.sip.call_id) values; per frame the same presence
    of tume, from the first frame of its TCP stream that has tume in the
    one-pass run on (before it the single pass cannot know yet).
The comparisons read `-T pdml -J "frame tcp sip http tume"` output: tshark
builds the whole tree for it (as for -V, so the plugin's tree code runs), and
every SIP or HTTP message is one proto element, so a method or status code
stays paired with its Call-ID even with several messages in a frame.  The
unmutated inputs are checked the same way first ("baseline").

Finding kinds: crash, sanitizer, dissector-bug, hang, exit-status, stderr
(rule 1); slow (2); lost-sip (messages missing in a stream the plugin does
take as SIP), lost-sip-stream (the plugin shows no SIP at all on a TU Me
stream where stock-as-5061 shows SIP), first-record-not-sip (the same on a
stream that is not TU Me: a documented limit, tolerated unless
--strict-limits), glued-garbage (stock's sip.tcp glued the bytes of a
garbled record that can no longer start a line onto the next message, whose
method then starts with them; the plugin shows those bytes apart and the
message itself, same frame and Call-ID: reported, always tolerated),
sip-differs (--sip-exact), lost-http (3);
pass-disagree (4); tume-present (--no-tume); stock-crash, stock-hang,
stock-error (stock tshark itself failed; the comparisons are void).  Each
finding keeps <out>/<n>-<input>.pcapng and a .json with the mutations, the
reasons, stderr, and commands that reproduce it (they use copies of the
plugin layouts under <out>).  --seed S --index N regenerates capture N of a
campaign from the same inputs.

Runs as root: tshark ignores WIRESHARK_PLUGIN_DIR for root, so every tshark
runs as "nobody" (setpriv) with a private HOME and a private
<dir>/<major.minor>/epan/tume.so layout; stock runs use an empty layout.  A
plugin that links libasan gets the ASan/UBSan runtimes preloaded
(--sanitizers auto; "none" never preloads).

Exit status 0 iff no finding (kinds given to --tolerate are reported, kept
and not counted).  The last line is "N passed, M failed" (N
captures that passed all checks, baselines included).
"""
import argparse
import collections
import concurrent.futures
import difflib
import gzip
import html
import json
import os
import pwd
import random
import re
import shlex
import shutil
import signal
import string
import struct
import subprocess
import sys
import tempfile
import threading
import time

TLS_OPTS = ["-o", "tls.ignore_ssl_mac_failed:TRUE"]
SIP_AS_5061 = ["-d", "tls.port==443,sip"]   # the handle SIP registers for 5061 (sip.tcp)
PDML_PROTOS = "frame tcp sip http tume"
SAN_ENV = {
    "ASAN_OPTIONS": "detect_leaks=0:abort_on_error=1:halt_on_error=1",
    "UBSAN_OPTIONS": "halt_on_error=1:print_stacktrace=1",
}
SANITIZER_MARKS = [("ERROR: AddressSanitizer", "sanitizer"), ("AddressSanitizer:", "sanitizer"),
                   ("runtime error:", "sanitizer"), ("UndefinedBehaviorSanitizer", "sanitizer"),
                   ("Dissector bug", "dissector-bug"),
                   # what DISSECTOR_ASSERT prints with WIRESHARK_ABORT_ON_DISSECTOR_BUG set
                   ("failed assertion", "dissector-bug")]
CAPTURE_MAGICS = (b"\x0a\x0d\x0d\x0a", b"\xa1\xb2\xc3\xd4", b"\xd4\xc3\xb2\xa1",
                  b"\xa1\xb2\x3c\x4d", b"\x4d\x3c\xb2\xa1")

ATTR_RE = re.compile(r'([A-Za-z_][\w.\-]*)="([^"]*)"')


def log(*a):
    print(*a, flush=True)


# ---------------------------------------------------------------- pcapng

def pcapng_layout(data):
    """(list of (file offset, captured length) of each packet, in file order =
    tshark's frame numbers; whether a Decryption Secrets Block is present)."""
    off, endian, pkts, dsb = 0, None, [], False
    while off + 12 <= len(data):
        if data[off:off + 4] == b"\x0a\x0d\x0d\x0a":
            magic = data[off + 8:off + 12]
            if magic == b"\x4d\x3c\x2b\x1a":
                endian = "<"
            elif magic == b"\x1a\x2b\x3c\x4d":
                endian = ">"
            else:
                raise ValueError("bad section header byte-order magic at %d" % off)
        if endian is None:
            raise ValueError("not a pcapng file")
        btype, blen = struct.unpack_from(endian + "II", data, off)
        if blen < 12 or blen % 4 or off + blen > len(data):
            raise ValueError("bad block length %d at %d" % (blen, off))
        if btype in (2, 6):        # Packet Block (obsolete), Enhanced Packet Block
            caplen = struct.unpack_from(endian + "I", data, off + 20)[0]
            pkts.append((off + 28, caplen))
        elif btype == 3:           # Simple Packet Block
            origlen = struct.unpack_from(endian + "I", data, off + 8)[0]
            pkts.append((off + 12, min(origlen, blen - 16)))
        elif btype == 0x0A:        # Decryption Secrets Block
            dsb = True
        off += blen
    return pkts, dsb


def is_capture_file(path):
    try:
        with open(path, "rb") as f:
            head = f.read(4)
            if head[:2] == b"\x1f\x8b":
                f.seek(0)
                with gzip.GzipFile(fileobj=f) as g:
                    head = g.read(4)
    except (OSError, EOFError):
        return False
    return head in CAPTURE_MAGICS


# ---------------------------------------------------------------- PDML

def pdml_lines(path):
    with open(path, "r", encoding="utf-8", errors="replace") as f:
        for line in f:
            yield line


def attrs(line):
    return {k: html.unescape(v) for k, v in ATTR_RE.findall(line)}


class Packet:
    __slots__ = ("frame", "stream", "sip", "http", "tume", "msg_types", "call_ids", "bug")

    def __init__(self):
        self.frame, self.stream, self.bug = None, None, False
        self.sip, self.http = [], []
        self.tume = False
        self.msg_types, self.call_ids = [], []


def parse_check_pdml(path):
    """Packets of a `-T pdml -J PDML_PROTOS` run: SIP and HTTP messages (one per
    top-level sip/http proto, in order), tume presence and message types."""
    packets, pkt, top, msg = [], None, None, None
    for line in pdml_lines(path):
        s = line.lstrip(" ")
        if s.startswith("<packet>"):
            pkt = Packet()
            packets.append(pkt)
            top = msg = None
            continue
        if pkt is None:
            continue
        indent = len(line) - len(s)
        if "Dissector bug" in s:
            pkt.bug = True
        if s.startswith("<proto "):
            a = attrs(s)
            name = a.get("name")
            if name == "tume":
                pkt.tume = True
            if indent == 2:
                top = name
                msg = None
                if name == "sip":
                    msg = {"method": "", "code": "", "call_id": None}
                    pkt.sip.append(msg)
                elif name == "http":
                    msg = {"method": "", "uri": "", "version": "", "code": ""}
                    pkt.http.append(msg)
            continue
        if not s.startswith("<field "):
            continue
        m = re.match(r'<field name="([^"]*)"', s)
        if not m:
            continue
        name = m.group(1)
        if name == "num" and top == "geninfo" and pkt.frame is None:
            pkt.frame = int(attrs(s).get("show", "0"))
        elif name == "tcp.stream" and top == "tcp" and pkt.stream is None:
            pkt.stream = int(attrs(s).get("show", "-1"))
        elif name == "tume.msg_type":
            pkt.msg_types.append(attrs(s).get("show", ""))
        elif name == "tume.sip.call_id":
            pkt.call_ids.append(attrs(s).get("show", ""))
        elif top == "sip" and msg is not None:
            if name == "sip.Method" and not msg["method"]:
                msg["method"] = attrs(s).get("show", "")
            elif name == "sip.Status-Code" and not msg["code"]:
                msg["code"] = attrs(s).get("show", "")
            elif name == "sip.Call-ID" and msg["call_id"] is None:
                msg["call_id"] = attrs(s).get("show", "")
        elif top == "http" and msg is not None:
            key = {"http.request.method": "method", "http.request.uri": "uri",
                   "http.request.version": "version", "http.response.code": "code"}.get(name)
            if key and not msg[key]:
                msg[key] = attrs(s).get("show", "")
    return packets


def sip_by_stream(packets):
    out = collections.defaultdict(list)
    for p in packets:
        for m in p.sip:
            what = m["method"] or m["code"]
            if what:
                out[p.stream].append((what, m["call_id"] or "", p.frame))
    return out


def http_by_stream(packets):
    out = collections.defaultdict(list)
    for p in packets:
        for m in p.http:
            if m["method"]:
                if not m["version"].upper().startswith("HTTP/"):
                    continue    # not HTTP: e.g. HTTP misreading "OPTIONS sip:x SIP/2.0"
                out[p.stream].append(("request", m["method"], m["uri"], p.frame))
            elif m["code"]:
                out[p.stream].append(("response", m["code"], "", p.frame))
    return out


SIP_TOKEN = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.!%*_+`'~")


def glued_garbage(item, got):
    """A stock SIP message (method, Call-ID, frame) whose method is the
    method of a message the plugin shows at the same frame with the same
    Call-ID, after a prefix holding a character no SIP token has: the bytes
    of an earlier record that stock's sip.tcp glued onto this message."""
    what, call_id, frame = item
    for w, c, fr in got:
        if fr == frame and c == call_id and w and what != w and what.endswith(w):
            prefix = what[:-len(w)]
            if prefix and any(ch not in SIP_TOKEN for ch in prefix):
                return True
    return False


def lost_items(want, got):
    """Items of `want` (compared without their last element, the frame) that do
    not appear, in order, in `got`; [] when want is a subsequence of got."""
    w = [x[:-1] for x in want]
    g = [x[:-1] for x in got]
    it = iter(g)
    if all(any(x == y for y in it) for x in w):
        return []
    sm = difflib.SequenceMatcher(None, w, g, autojunk=False)
    matched = set()
    for a, _b, n in sm.get_matching_blocks():
        matched.update(range(a, a + n))
    return [want[i] for i in range(len(want)) if i not in matched]


# ---------------------------------------------------------------- tshark runs

class RunResult:
    def __init__(self, cmd, rc, stderr, cpu, timed_out, out_path):
        self.cmd, self.rc, self.stderr, self.cpu = cmd, rc, stderr, cpu
        self.timed_out, self.out_path = timed_out, out_path

    @property
    def crashed(self):
        """Killed, hung, or stopped by a sanitizer: its output is not to be compared."""
        return (self.timed_out or self.rc < 0 or self.rc >= 128
                or any(mark in self.stderr for mark, _k in SANITIZER_MARKS))


class Env:
    """Private plugin layouts, HOME and (as root) tshark run as nobody."""

    def __init__(self, args):
        self.tshark = args.tshark
        self.timeout = args.timeout
        self.ws_version = args.ws_version or tshark_version(args.tshark)
        self.root = tempfile.mkdtemp(prefix="tume-mutate-")
        os.chmod(self.root, 0o755)
        self.layouts = {"stock": self._layout("stock", None)}
        self.preload = {"stock": []}
        self.layouts["plugin"] = self._layout("plugin", args.plugin)
        self.preload["plugin"] = sanitizer_runtimes(args.plugin) if args.sanitizers == "auto" else []
        if args.timing_plugin:
            self.layouts["timing"] = self._layout("timing", args.timing_plugin)
            self.preload["timing"] = []
            if sanitizer_runtimes(args.timing_plugin):
                log("warning: --timing-plugin %s links a sanitizer runtime; its timing is not representative"
                    % args.timing_plugin)
        self.home = os.path.join(self.root, "home")
        os.makedirs(self.home)
        # Wireshark's data folder less what the plugin installs there (the
        # global message table and profile): what is installed on the
        # machine does not change the runs (tests/tshark/common.py)
        sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
        from tshark.common import make_data_dir, system_data_dir
        self.data_dir = make_data_dir(os.path.join(self.root, "data"), system_data_dir(self.tshark))
        self.work = os.path.join(self.root, "work")
        os.makedirs(self.work)
        self.drop = None
        if os.geteuid() == 0:
            nobody = pwd.getpwnam("nobody")
            os.chown(self.home, nobody.pw_uid, nobody.pw_gid)
            self.drop = ["setpriv", "--reuid=%d" % nobody.pw_uid, "--regid=%d" % nobody.pw_gid,
                         "--clear-groups"]
        self.make_readable(self.root)
        self.counter = 0
        self.lock = threading.Lock()

    def _layout(self, name, plugin):
        d = os.path.join(self.root, "plugins-" + name)
        epan = os.path.join(d, self.ws_version, "epan")
        os.makedirs(epan)
        if plugin:
            shutil.copy(plugin, os.path.join(epan, "tume.so"))
        return d

    @staticmethod
    def make_readable(top):
        if os.geteuid() != 0:
            return
        os.chmod(top, 0o755)
        for dirpath, dirnames, filenames in os.walk(top):
            for n in dirnames:
                if not os.path.islink(os.path.join(dirpath, n)):
                    os.chmod(os.path.join(dirpath, n), 0o755)
            for n in filenames:
                p = os.path.join(dirpath, n)
                if not os.path.islink(p):      # the data folder's links lead to the system's files
                    os.chmod(p, 0o755 if n.endswith(".so") else 0o644)

    def cleanup(self):
        shutil.rmtree(self.root, ignore_errors=True)

    def tmpname(self, suffix):
        with self.lock:
            self.counter += 1
            return os.path.join(self.work, "t%06d%s" % (self.counter, suffix))

    def environment(self, which, layout_dir=None, home=None):
        env = {
            "PATH": "/usr/local/bin:/usr/bin:/bin",
            "HOME": home or self.home,
            "LANG": "C.UTF-8",
            "WIRESHARK_PLUGIN_DIR": layout_dir or self.layouts[which],
            "WIRESHARK_DATA_DIR": self.data_dir,
            "WIRESHARK_ABORT_ON_DISSECTOR_BUG": "1",
        }
        if self.preload.get(which):
            env["LD_PRELOAD"] = " ".join(self.preload[which])
            env.update(SAN_ENV)
        return env

    def command(self, which, args, layout_dir=None, home=None):
        """The command as argv, and as one shell line (for reproduction)."""
        env = self.environment(which, layout_dir, home)
        argv = (self.drop or []) + ["env", "-i"] + ["%s=%s" % kv for kv in env.items()] + [self.tshark] + list(args)
        return argv

    def run(self, which, args, stdout=True):
        """Run tshark; stdout to a temporary file (or /dev/null); returns
        RunResult with the child's user+sys CPU time."""
        argv = self.command(which, args)
        out_path = self.tmpname(".out") if stdout else None
        with open(out_path or os.devnull, "wb") as out, tempfile.TemporaryFile(dir=self.work) as err:
            p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out, stderr=err,
                                 cwd=self.root, start_new_session=True)
            killed = []

            def kill():
                killed.append(1)
                try:
                    os.killpg(p.pid, signal.SIGKILL)
                except OSError:
                    pass
            timer = threading.Timer(self.timeout, kill)
            timer.start()
            try:
                _pid, status, ru = os.wait4(p.pid, 0)
            finally:
                timer.cancel()
            p.returncode = os.waitstatus_to_exitcode(status)
            err.seek(0)
            stderr = err.read().decode("utf-8", "replace")
        return RunResult(argv, p.returncode, stderr, ru.ru_utime + ru.ru_stime, bool(killed), out_path)


def tshark_version(tshark):
    out = subprocess.run([tshark, "--version"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                         universal_newlines=True).stdout
    m = re.search(r"\b(\d+)\.(\d+)\.\d+", out)
    if not m:
        sys.exit("cannot tell the Wireshark version from `%s --version`; give --ws-version" % tshark)
    return "%s.%s" % (m.group(1), m.group(2))


def sanitizer_runtimes(plugin):
    """Absolute paths of the ASan/UBSan runtimes the plugin links, [] if none."""
    try:
        out = subprocess.run(["ldd", plugin], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                             universal_newlines=True).stdout
    except OSError:
        return []
    if "libasan" not in out:
        return []
    libs = []
    for name in ("libasan", "libubsan"):
        m = re.search(r"^\s*(%s\.so[.\d]*)\s*=>\s*(\S+)" % name, out, re.M)
        path = m.group(2) if m and os.path.exists(m.group(2)) else None
        if not path:
            try:
                g = subprocess.run(["gcc", "-print-file-name=%s.so" % name], stdout=subprocess.PIPE,
                                   universal_newlines=True).stdout.strip()
                if os.path.isabs(g) and os.path.exists(g):
                    path = g
            except OSError:
                pass
        if path:
            libs.append(os.path.realpath(path))
    return libs


# ---------------------------------------------------------------- inputs

class Record:
    """One TLS application-data record whose plaintext is known."""
    __slots__ = ("stream", "frame", "ct_len", "nonce", "tag", "pt", "spans", "segmented")

    def __init__(self, stream, frame, ct_len, nonce, tag, pt, spans, segmented):
        self.stream, self.frame, self.ct_len = stream, frame, ct_len
        self.nonce, self.tag, self.pt = nonce, tag, pt
        self.spans = spans            # [(ciphertext start, file offset, length)]
        self.segmented = segmented

    def file_offset(self, ct_index):
        for start, foff, n in self.spans:
            if start <= ct_index < start + n:
                return foff + ct_index - start
        raise IndexError(ct_index)


def suite_params(name, tls13):
    """(explicit nonce length, tag length) of an AEAD suite whose ciphertext is
    a keystream XOR, else None."""
    n = name.upper()
    if "CHACHA20" in n:
        return (0, 16)
    if "_GCM" in n:
        return (0 if tls13 else 8, 16)
    if "_CCM_8" in n:
        return (0 if tls13 else 8, 8)
    if "_CCM" in n:
        return (0 if tls13 else 8, 16)
    return None


class Source:
    """A keyed input capture, its records and their plaintext."""

    def __init__(self, env, path):
        self.path = path
        self.name = os.path.basename(path)[:-len(".pcapng")]
        with open(path, "rb") as f:
            self.data = f.read()
        self.packets, self.has_dsb = pcapng_layout(self.data)
        self.records = []
        self.skipped = collections.Counter()     # reason -> records
        self.total = 0
        self.segmented = 0
        if self.has_dsb:
            self._analyse(env)

    def _analyse(self, env):
        r = env.run("stock", ["-n", "-r", self.path] + TLS_OPTS + ["-T", "pdml"])
        if r.crashed or r.rc != 0:
            raise RuntimeError("stock tshark failed on %s: %s" % (self.path, r.stderr))
        found = []             # (stream, frame, ct bytes, spans or None, segmented)
        suites = {}            # stream -> (suite name, tls13)
        pkt_frame = stream = None
        app = []
        groups = []
        cur_group = None
        hs_type = None
        for line in pdml_lines(r.out_path):
            s = line.lstrip(" ")
            if s.startswith("<packet>"):
                pkt_frame, stream, app, groups, cur_group, hs_type = None, None, [], [], None, None
                continue
            if s.startswith("</packet>"):
                found.extend(self._locate(pkt_frame, stream, app, groups))
                continue
            if not s.startswith("<field "):
                continue
            m = re.match(r'<field name="([^"]*)"', s)
            if not m:
                continue
            name = m.group(1)
            if name == "num" and pkt_frame is None:
                pkt_frame = int(attrs(s)["show"])
            elif name == "tcp.stream" and stream is None:
                stream = int(attrs(s)["show"])
            elif name == "tls.handshake.type":
                hs_type = attrs(s).get("show")
            elif name == "tls.handshake.ciphersuite" and hs_type == "2":
                a = attrs(s)
                sm = re.search(r":\s*(\S+)", a.get("showname", ""))
                suites.setdefault(stream, [None, False])[0] = sm.group(1) if sm else a.get("value", "")
            elif name == "tls.handshake.extensions.supported_version" and hs_type == "2":
                v = attrs(s).get("value", "")
                if v == "0304" or v.startswith("7f"):
                    suites.setdefault(stream, [None, False])[1] = True
            elif name == "tls.app_data":
                a = attrs(s)
                app.append((int(a["pos"]), int(a["size"]), bytes.fromhex(a.get("value", ""))))
            elif name == "tcp.segments":
                cur_group = {"segs": [], "data": None}
                groups.append(cur_group)
            elif name == "tcp.segment" and cur_group is not None:
                a = attrs(s)
                cur_group["segs"].append((int(a["show"]), int(a["pos"]), int(a["size"]),
                                          bytes.fromhex(a.get("value", ""))))
            elif name == "tcp.reassembled.data" and cur_group is not None:
                cur_group["data"] = bytes.fromhex(attrs(s).get("value", ""))
                cur_group = None
        os.unlink(r.out_path)

        streams = sorted({f[0] for f in found})
        plain = self._follow(env, streams) if streams else {}
        by_stream = collections.defaultdict(list)
        for f in found:
            by_stream[f[0]].append(f)
        for st, recs in sorted(by_stream.items()):
            self.total += len(recs)
            suite, tls13 = suites.get(st, (None, False))
            params = suite_params(suite or "", tls13)
            if not params:
                self.skipped["stream %s: cipher suite %s is not AEAD/stream (or unknown)" % (st, suite)] += len(recs)
                continue
            nonce, tag = params
            chunks = plain.get(st, [])
            if len(chunks) != len(recs):
                self.skipped["stream %s: %d decrypted records for %d application-data records"
                             % (st, len(chunks), len(recs))] += len(recs)
                continue
            for (_s, frame, ct, spans, segmented), pt in zip(recs, chunks):
                if spans is None:
                    self.skipped["ciphertext not found in the frame or its reassembled TCP data"] += 1
                    continue
                if not pt:
                    self.skipped["empty record"] += 1
                    continue
                room = len(ct) - nonce - tag      # TLS 1.3: + content type byte and padding
                if (len(pt) != room) if not tls13 else not (len(pt) < room):
                    self.skipped["plaintext length does not fit the ciphertext (%s)" % suite] += 1
                    continue
                if segmented:
                    self.segmented += 1
                self.records.append(Record(st, frame, len(ct), nonce, tag, pt, spans, segmented))

    def _frame_bytes(self, frame):
        off, n = self.packets[frame - 1]
        return off, self.data[off:off + n]

    def _locate(self, frame, stream, app, groups):
        out = []
        if frame is None or frame > len(self.packets):
            return [(stream, frame, ct, None, False) for _p, _n, ct in app]
        base, fbytes = self._frame_bytes(frame)
        for pos, size, ct in app:
            if len(ct) != size or size == 0:
                out.append((stream, frame, ct, None, False))
                continue
            if fbytes[pos:pos + size] == ct:
                out.append((stream, frame, ct, [(0, base + pos, size)], False))
                continue
            spans = None
            for g in groups:
                if g["data"] is None or g["data"][pos:pos + size] != ct:
                    continue
                spans = self._map_segments(g["segs"], pos, size, ct)
                if spans:
                    break
            out.append((stream, frame, ct, spans, True))
        return out

    def _map_segments(self, segs, pos, size, ct):
        spans = []
        for sframe, rpos, rsize, sbytes in segs:
            lo, hi = max(pos, rpos), min(pos + size, rpos + rsize)
            if lo >= hi:
                continue
            if sframe > len(self.packets) or len(sbytes) != rsize:
                return None
            base, fbytes = self._frame_bytes(sframe)
            at = fbytes.find(sbytes)
            if at < 0 or fbytes.find(sbytes, at + 1) >= 0:
                return None
            spans.append((lo - pos, base + at + (lo - rpos), hi - lo))
        covered = sum(n for _s, _f, n in spans)
        if covered != size:
            return None
        for start, foff, n in spans:
            if self.data[foff:foff + n] != ct[start:start + n]:
                return None
        return spans

    def _follow(self, env, streams):
        args = ["-n", "-r", self.path] + TLS_OPTS + ["-q"]
        for st in streams:
            args += ["-z", "follow,tls,raw,%d" % st]
        r = env.run("stock", args)
        out = {}
        cur, collecting = None, False
        with open(r.out_path, encoding="ascii", errors="replace") as f:
            for line in f:
                line = line.rstrip("\n")
                # "tcp.stream" until 4.4, "tls.stream" in 4.6 (the same
                # numbers on the campaign's inputs: every stream is TLS)
                if line.startswith("Filter: tcp.stream eq ") or line.startswith("Filter: tls.stream eq "):
                    cur = int(line.split()[-1])
                    out[cur] = []
                    collecting = False
                elif line.startswith("Node 1:"):
                    collecting = cur is not None
                elif line.startswith("===="):
                    collecting = False
                elif collecting:
                    h = line.strip()
                    if h and re.fullmatch(r"[0-9a-fA-F]*", h) and len(h) % 2 == 0:
                        out[cur].append(bytes.fromhex(h))
        os.unlink(r.out_path)
        return out


# ---------------------------------------------------------------- mutations

SPECIAL = b"\r\n: 0123456789[]{}\"'/*\\\x00\xff"
LETTERS = string.ascii_letters.encode()
STRUCTURAL = set(b"\r\n:; \t0123456789[]{}\",=<>/@")
CL_RE = re.compile(rb"(?im)^(content-length|l)[ \t]*:[ \t]*([^\r\n]*)")
CL_NAMES = [b"l" + b" " * 13, b"content-length", b"CONTENT-LENGTH", b"Content-Lengtx", b"Transfer-Encod",
            b"Content-Type  ", b"Content-Lenght", b" Content-Lengt", b"XXXXXXXXXXXXXX", b"Content-Length"]
START_RE = re.compile(rb"(?m)^(?:[A-Z]{3,10} [^ \r\n]+ (?:SIP|HTTP)/\d\.\d|(?:SIP|HTTP)/\d\.\d \d{3})")
CRLF_VARIANTS = [b"\n ", b"\n\t", b"\n\n", b"\r\r", b"  ", b"\r ", b" \n", b"\x00\n", b"\n\r"]
NEST_PATTERNS = [b"[", b"{", b'{"a":', b'[{"x":', b'"', b"\\", b"1e999999", b"-", b'{"contacts":[']


def lines_of(buf):
    """(start, length) of each line, without its CRLF/LF."""
    out, i = [], 0
    while i < len(buf):
        j = buf.find(b"\n", i)
        if j < 0:
            out.append((i, len(buf) - i))
            break
        end = j - 1 if j > i and buf[j - 1] == 0x0D else j
        out.append((i, end - i))
        i = j + 1
    return out


def write(cur, pos, new):
    new = bytes(new)[:len(cur) - pos]
    old = bytes(cur[pos:pos + len(new)])
    cur[pos:pos + len(new)] = new
    return old, new


def m_bitflip(cur, rng):
    i = rng.randrange(len(cur))
    return i, write(cur, i, [cur[i] ^ (1 << rng.randrange(8))]), ""


def fallback(cur, rng, why):
    pos, change, _ = m_byteset(cur, rng)
    return pos, change, "byte set (%s)" % why


def m_byteset(cur, rng):
    structural = [i for i, b in enumerate(cur) if b in STRUCTURAL]
    i = rng.choice(structural) if structural and rng.random() < 0.5 else rng.randrange(len(cur))
    pool = SPECIAL if rng.random() < 0.7 else LETTERS
    v = rng.choice(pool)
    if v == cur[i]:
        v = rng.choice(pool)
    return i, write(cur, i, [v]), ""


def m_digit(cur, rng):
    digits = [i for i, b in enumerate(cur) if 0x30 <= b <= 0x39]
    if not digits:
        return fallback(cur, rng, "no digit in the record")
    i = rng.choice(digits)
    v = rng.choice(b"0123456789" * 3 + b" -+.x\x00")
    return i, write(cur, i, [v]), ""


def m_content_length(cur, rng):
    hits = list(CL_RE.finditer(bytes(cur)))
    if not hits:
        return fallback(cur, rng, "no Content-Length in the record")
    h = rng.choice(hits)
    name_s, name_e = h.span(1)
    val_s, val_e = h.span(2)
    width = val_e - val_s
    how = rng.choice(["digit", "value", "value", "name", "line", "duplicate"])
    if how == "digit" and width:
        i = val_s + rng.randrange(width)
        v = rng.choice(b"0123456789" * 2 + SPECIAL + b"x")
        return i, write(cur, i, [v]), "Content-Length digit"
    if how in ("value", "digit") and width:
        choices = [b"9" * width, b"0" * width, str(rng.randrange(10 ** width)).zfill(width).encode(),
                   (b"-" + b"1" * width)[:width], (b" " * width + b"0")[-width:],
                   (b"0x" + b"f" * width)[:width], (b"4294967296" * 3)[:width],
                   (b"1" + b" " * width)[:width]]
        return val_s, write(cur, val_s, rng.choice(choices)), "Content-Length value"
    if how == "name":
        n = name_e - name_s
        if n == 14:
            new = rng.choice(CL_NAMES)
        else:       # compact "l"
            new = bytes([rng.choice(b"LxXi k\r\n")])
        return name_s, write(cur, name_s, new), "Content-Length name"
    line_end = h.end()
    length = line_end - h.start()
    if how == "line" and length >= 26:
        new = b"Transfer-Encoding: chunked".ljust(length)
        return h.start(), write(cur, h.start(), new), "Content-Length -> Transfer-Encoding"
    # overwrite another header line of the message with a Content-Length of its length
    lines = [(s, n) for s, n in lines_of(cur) if n >= 18 and s != h.start()]
    if not lines:
        return fallback(cur, rng, "no line to turn into a second Content-Length")
    s, n = rng.choice(lines)
    num = str(rng.choice([0, 1, 5, 100, 65536, 10 ** (n - 16) - 1])).encode()
    new = (b"Content-Length: " + num)[:n].ljust(n)
    return s, write(cur, s, new), "second Content-Length line"


def m_line_copy(cur, rng):
    lines = [ln for ln in lines_of(cur) if ln[1] > 0]
    if len(lines) < 2:
        return fallback(cur, rng, "fewer than two lines in the record")
    t = rng.choice(lines)
    same = [ln for ln in lines if ln[1] == t[1] and cur[ln[0]:ln[0] + ln[1]] != cur[t[0]:t[0] + t[1]]]
    if same:
        s = rng.choice(same)
        src = bytes(cur[s[0]:s[0] + s[1]])
        how = "line copied over a line of the same length"
    else:
        s = rng.choice([ln for ln in lines if ln != t])
        src = bytes(cur[s[0]:s[0] + s[1]])[:t[1]].ljust(t[1])
        how = "line copied over another (cut/padded)"
    return t[0], write(cur, t[0], src), how


def m_crlf(cur, rng):
    hits = [m.start() for m in re.finditer(rb"\r\n", bytes(cur))]
    if not hits:
        return fallback(cur, rng, "no CRLF in the record")
    i = rng.choice(hits)
    return i, write(cur, i, rng.choice(CRLF_VARIANTS)), "CRLF"


def m_startline(cur, rng):
    hits = [m.span() for m in START_RE.finditer(bytes(cur))]
    if not hits:
        return fallback(cur, rng, "no start line in the record")
    s, e = rng.choice(hits)
    if rng.random() < 0.3:
        v = bytes(cur[s:e])
        k = v.find(b"/2.0")
        if k < 0:
            k = v.find(b"/1.")
        if k >= 0:
            new = rng.choice([b"/2.1", b"/20 ", b"/9.9", b"/\x00.0", b"/2.0\r", b"/ 2.", b"/2.0:"])
            return s + k, write(cur, s + k, new), "start line version"
    i = rng.randrange(s, e)
    v = rng.choice(LETTERS + b" /:0123456789\r\n\x00\xff")
    return i, write(cur, i, [v]), "start line"


def m_nest(cur, rng):
    body = bytes(cur).find(b"\r\n\r\n")
    if body >= 0 and body + 4 < len(cur) and rng.random() < 0.8:
        pos = rng.randrange(body + 4, len(cur))
    else:
        pos = rng.randrange(len(cur))
    n = min(len(cur) - pos, rng.choice([2, 16, 65, 66, 130, 300, 1 << 20]))
    pat = rng.choice(NEST_PATTERNS)
    return pos, write(cur, pos, (pat * (n // len(pat) + 1))[:n]), "body filled with %r" % pat.decode()


KINDS = [("bitflip", m_bitflip, 14), ("byteset", m_byteset, 24), ("digit", m_digit, 8),
         ("content-length", m_content_length, 16), ("line-copy", m_line_copy, 10),
         ("crlf", m_crlf, 10), ("start-line", m_startline, 8), ("nest", m_nest, 6)]
GARBLE_WEIGHT = 3


def make_mutant(sources, seed, index):
    """Deterministic in (seed, index): the source, the mutated bytes and a
    description of every mutation."""
    rng = random.Random("%s/%d" % (seed, index))
    usable = [s for s in sources if s.records]
    src = rng.choice(usable)
    k = rng.randint(1, min(3, len(src.records)))
    chosen = rng.sample(range(len(src.records)), k)
    n = rng.randint(k, 8)
    per = {ri: 1 for ri in chosen}
    for _ in range(n - k):
        per[rng.choice(chosen)] += 1
    data = bytearray(src.data)
    muts = []
    for ri in chosen:
        rec = src.records[ri]
        cur = bytearray(rec.pt)
        garble = []
        for _ in range(per[ri]):
            weights = [w for _k, _f, w in KINDS] + [GARBLE_WEIGHT if rec.nonce else 0]
            kind = rng.choices([k_ for k_, _f, _w in KINDS] + ["garble"], weights)[0]
            if kind == "garble":
                j = rng.randrange(rec.nonce)
                bit = 1 << rng.randrange(8)
                garble.append((j, bit))
                muts.append({"kind": "garble", "stream": rec.stream, "frame": rec.frame, "record": ri,
                             "detail": "bit %d of explicit-nonce byte %d flipped: the record decrypts to garbage"
                                       % (bit.bit_length() - 1, j)})
                continue
            fn = dict((k_, f) for k_, f, _w in KINDS)[kind]
            for _try in range(4):
                pos, (old, new), detail = fn(cur, rng)
                if old != new:
                    break
            muts.append({"kind": kind, "stream": rec.stream, "frame": rec.frame, "record": ri,
                         "offset": pos, "old": old.decode("latin-1"), "new": new.decode("latin-1"),
                         "detail": detail})
        for i, (a, b) in enumerate(zip(rec.pt, cur)):
            if a != b:
                data[rec.file_offset(rec.nonce + i)] ^= a ^ b
        for j, bit in garble:
            data[rec.file_offset(j)] ^= bit
    return src, bytes(data), muts, len(chosen)


# ---------------------------------------------------------------- checks

def normalise_stderr(text):
    out = set()
    for l in text.splitlines():
        l = re.sub(r"\((\w+):\d+\)", r"(\1:PID)", l.strip())
        if l and "dangerous" not in l:
            out.add(l)
    return out


def rule1(name, run, ref):
    """Findings of rule 1 for a plugin run against the stock run `ref`."""
    f = []
    if run.timed_out:
        f.append(("hang", "%s: no exit within the timeout" % name))
        return f
    seen = set()
    for mark, kind in SANITIZER_MARKS:
        if mark in run.stderr and kind not in seen:
            seen.add(kind)
            f.append((kind, "%s: %s\n%s" % (name, mark, excerpt(run.stderr, mark))))
    if run.rc < 0 or run.rc >= 128:
        f.append(("crash", "%s: killed by signal %d" % (name, -run.rc if run.rc < 0 else run.rc - 128)))
    if ref is not None and not ref.crashed and run.rc != ref.rc and not f:
        f.append(("exit-status", "%s: exit status %d, stock %d" % (name, run.rc, ref.rc)))
    if ref is not None and not f:
        extra = normalise_stderr(run.stderr) - normalise_stderr(ref.stderr)
        if extra:
            f.append(("stderr", "%s: stderr lines stock does not print:\n%s" % (name, "\n".join(sorted(extra))[:4000])))
    return f


def excerpt(text, mark, before=2, after=40):
    lines = text.splitlines()
    for i, l in enumerate(lines):
        if mark in l:
            return "\n".join(lines[max(0, i - before):i + after])
    return text[:4000]


def stock_trouble(name, run):
    """Stock tshark itself failing: the comparisons with it are void then."""
    if run.timed_out:
        return [("stock-hang", "%s: stock tshark did not exit within the timeout" % name)]
    if run.crashed:
        return [("stock-crash", "%s: stock tshark exit status %d\n%s" % (name, run.rc, run.stderr[-3000:]))]
    if run.rc != 0:
        return [("stock-error", "%s: stock tshark exit status %d\n%s" % (name, run.rc, run.stderr[-3000:]))]
    return []


class Checker:
    def __init__(self, env, args):
        self.env, self.args = env, args

    def _pdml(self, which, path, extra=()):
        return self.env.run(which, ["-n", "-r", path] + TLS_OPTS + list(extra) + ["-T", "pdml", "-J", PDML_PROTOS])

    def check(self, path):
        """All rules on one capture file: (findings, runs by name)."""
        findings, runs = [], {}
        p1 = runs["plugin"] = self._pdml("plugin", path)
        p2 = runs["plugin -2"] = self._pdml("plugin", path, ["-2"])
        s2 = runs["stock"] = self._pdml("stock", path)
        s1 = runs["stock sip"] = self._pdml("stock", path, SIP_AS_5061)
        stock_bad = stock_trouble("stock", s2) + stock_trouble("stock sip", s1)
        findings += stock_bad
        findings += rule1("plugin", p1, s2) + rule1("plugin -2", p2, s2)
        try:
            # rules 3 and 4 only on complete output
            if not p1.crashed and not p2.crashed and (stock_bad or p1.rc == s2.rc == p2.rc):
                pk1, pk2 = parse_check_pdml(p1.out_path), parse_check_pdml(p2.out_path)
                for label, pk in (("plugin", pk1), ("plugin -2", pk2)):
                    bugs = [p.frame for p in pk if p.bug]
                    if bugs:
                        findings.append(("dissector-bug", "%s: \"Dissector bug\" in the dissection of frame(s) %s"
                                         % (label, ", ".join(map(str, bugs[:20])))))
                findings += self.rule4(pk1, pk2)
                if not stock_bad:
                    tume_streams = {p.stream for p in pk2 if p.tume}
                    findings += self.rule3(pk1, parse_check_pdml(s1.out_path), parse_check_pdml(s2.out_path),
                                           tume_streams)
        finally:
            for r in (p1, p2, s1, s2):
                if r.out_path and os.path.exists(r.out_path):
                    os.unlink(r.out_path)
        if "timing" in self.env.layouts:
            findings += self.rule2(path, runs)
        return findings, runs

    def rule3(self, plug, stock_sip, stock_http, tume_streams=()):
        f = []
        ps, ss = sip_by_stream(plug), sip_by_stream(stock_sip)
        for st in sorted(set(ss) | set(ps), key=lambda x: -1 if x is None else x):
            lost = lost_items(ss.get(st, []), ps.get(st, []))
            glued = [x for x in lost if glued_garbage(x, ps.get(st, []))]
            if glued:
                # stock glued the bytes of an earlier garbled record onto this
                # message (sip.tcp asked for more data after them); the plugin
                # shows those bytes apart, as not SIP, and the message itself
                # at the same frame with the same Call-ID (since 59d4878:
                # bytes that can no longer become a start line are not glued)
                f.append(("glued-garbage", "stream %s: stock's method of %d message(s) starts with bytes that no "
                          "method token holds, which the plugin shows apart: %s\n  plugin: %s"
                          % (st, len(glued), fmt(glued), fmt(ps.get(st, [])))))
                lost = [x for x in lost if x not in glued]
            if lost:
                # no SIP at all with the plugin: the stream was never taken as SIP.
                # On a TLS session that is not TU Me, the plugin keeps
                # Wireshark's own decision on the first application data
                # (README: a session that is not TU Me and whose first data
                # is not SIP stays with the port's dissector): a documented
                # limit, reported as its own kind and tolerated by default.
                kind = "lost-sip" if ps.get(st) else (
                    "lost-sip-stream" if st in tume_streams else "first-record-not-sip")
                f.append((kind, "stream %s: %d of %d SIP messages of stock (-d tls.port==443,sip) missing with the "
                          "plugin%s: %s\n  stock:  %s\n  plugin: %s"
                          % (st, len(lost), len(ss.get(st, [])),
                             "" if ps.get(st) else " (no SIP at all on this stream with the plugin)",
                             fmt(lost), fmt(ss.get(st, [])), fmt(ps.get(st, [])))))
            elif self.args.sip_exact and [x[:-1] for x in ss.get(st, [])] != [x[:-1] for x in ps.get(st, [])]:
                f.append(("sip-differs", "stream %s: SIP messages differ\n  stock:  %s\n  plugin: %s"
                          % (st, fmt(ss.get(st, [])), fmt(ps.get(st, [])))))
        ph, sh = http_by_stream(plug), http_by_stream(stock_http)
        for st in sorted(sh, key=lambda x: -1 if x is None else x):
            lost = lost_items(sh[st], ph.get(st, []))
            if lost:
                f.append(("lost-http", "stream %s: HTTP messages of stock missing with the plugin: %s\n"
                          "  stock:  %s\n  plugin: %s" % (st, fmt(lost), fmt(sh[st]), fmt(ph.get(st, [])))))
        return f

    @staticmethod
    def rule4(one, two):
        f = []
        by1 = {p.frame: p for p in one}
        by2 = {p.frame: p for p in two}
        if sorted(by1) != sorted(by2):
            return [("pass-disagree", "one pass shows %d frames, -2 shows %d" % (len(by1), len(by2)))]
        first = {}
        for fr in sorted(by1):
            p = by1[fr]
            if p.tume and p.stream not in first:
                first[p.stream] = fr
        bad = []
        for fr in sorted(by1):
            a, b = by1[fr], by2[fr]
            if a.msg_types != b.msg_types:
                bad.append("frame %d: tume.msg_type one pass %r, -2 %r" % (fr, a.msg_types, b.msg_types))
            if a.call_ids != b.call_ids:
                bad.append("frame %d: tume.sip.call_id one pass %r, -2 %r" % (fr, a.call_ids, b.call_ids))
            if a.stream in first and fr >= first[a.stream] and a.tume != b.tume:
                bad.append("frame %d: tume %s in one pass, %s with -2 (stream %s marked from frame %d)"
                           % (fr, "present" if a.tume else "absent", "present" if b.tume else "absent",
                              a.stream, first[a.stream]))
        if bad:
            f.append(("pass-disagree", "\n".join(bad[:30]) + ("\n..." if len(bad) > 30 else "")))
        return f

    def rule2(self, path, runs):
        f = []
        factor, slack = self.args.time_factor, self.args.time_slack
        for label, extra in (("-r", []), ("-V -r", ["-V"])):
            args = ["-n", "-r", path] + TLS_OPTS + extra
            verdict = None
            for attempt in (1, 2):
                st = self.env.run("stock", args, stdout=False)
                pl = self.env.run("timing", args, stdout=False)
                runs["timing stock %s #%d" % (label, attempt)] = st
                runs["timing plugin %s #%d" % (label, attempt)] = pl
                crash = rule1("timing plugin %s" % label, pl, st)
                if crash:
                    return f + crash
                if stock_trouble("timing stock", st):
                    return f + stock_trouble("timing stock %s" % label, st)
                limit = factor * st.cpu + slack
                verdict = (pl.cpu, st.cpu, limit)
                if pl.cpu <= limit:
                    verdict = None
                    break
            if verdict:
                f.append(("slow", "tshark %s: plugin %.2f s CPU, stock %.2f s, limit %.2f s (%.1fx + %.1f s), "
                          "measured twice" % (label, verdict[0], verdict[1], verdict[2], factor, slack)))
        return f

    def check_plain(self, path):
        """--no-mutate: rule 1 and, with --no-tume, no tume item at all."""
        findings, runs = [], {}
        for label, extra in (("", []), (" -2", ["-2"])):
            p = runs["plugin" + label] = self.env.run(
                "plugin", ["-n", "-r", path] + TLS_OPTS + extra + ["-T", "pdml", "-J", "tume"])
            s = runs["stock" + label] = self.env.run(
                "stock", ["-n", "-r", path] + TLS_OPTS + extra + ["-T", "pdml", "-J", "tume"], stdout=False)
            findings += stock_trouble("stock" + label, s) + rule1("plugin" + label, p, s)
            if self.args.no_tume and not p.crashed:
                n = 0
                for line in pdml_lines(p.out_path):
                    if '<proto name="tume"' in line:
                        n += 1
                if n:
                    findings.append(("tume-present", "plugin%s: %d tume items in a capture without TU Me" % (label, n)))
            os.unlink(p.out_path)
        return findings, runs


def fmt(items):
    return ", ".join("%s(#%s)" % ("/".join(str(v) for v in x[:-1] if v != ""), x[-1]) for x in items) or "-"


# ---------------------------------------------------------------- campaign

class Outcome:
    def __init__(self, label, source, path, findings, runs, muts=None, records=0, data=None, elapsed=0.0):
        self.label, self.source, self.path = label, source, path
        self.findings, self.runs, self.muts = findings, runs, muts or []
        self.records, self.data, self.elapsed = records, data, elapsed
        self.saved = None


class Campaign:
    def __init__(self, args):
        self.args = args
        self.env = Env(args)
        self.checker = Checker(self.env, args)
        self.out = None
        self.out_lock = threading.Lock()

    def out_dir(self):
        with self.out_lock:
            if self.out is None:
                self.out = self.args.out or tempfile.mkdtemp(prefix="tume-mutate-findings-")
                os.makedirs(self.out, exist_ok=True)
                # a self-contained copy of the layouts, for the reproduction commands
                for which, d in self.env.layouts.items():
                    dst = os.path.join(self.out, "plugins-" + which)
                    if not os.path.exists(dst):
                        shutil.copytree(d, dst)
                home = os.path.join(self.out, "home")
                os.makedirs(home, exist_ok=True)
                if os.geteuid() == 0:
                    nobody = pwd.getpwnam("nobody")
                    Env.make_readable(self.out)
                    os.chown(home, nobody.pw_uid, nobody.pw_gid)
            return self.out

    def repro(self, which, args):
        out = self.out_dir()
        argv = self.env.command(which, args, layout_dir=os.path.join(os.path.abspath(out), "plugins-" + which),
                                home=os.path.join(os.path.abspath(out), "home"))
        return " ".join(shlex.quote(a) for a in argv)

    def save(self, o, keep_only=False):
        """Keep the capture and a JSON description in --out."""
        out = self.out_dir()
        ext = ".pcapng" if o.data is not None else capture_ext(o.path)
        base = re.sub(r"[^\w.-]", "_", o.label)
        if base.endswith(ext):
            base = base[:-len(ext)]
        cap = os.path.join(out, base + ext)
        if o.data is not None:
            with open(cap, "wb") as f:
                f.write(o.data)
        elif o.path != cap:
            shutil.copy(o.path, cap)
        cap = os.path.abspath(cap)
        if os.geteuid() == 0:
            os.chmod(cap, 0o644)
        info = {
            "label": o.label, "source": o.source, "capture": cap,
            "findings": [{"kind": k, "detail": d} for k, d in o.findings],
            "mutations": o.muts,
        }
        if o.muts:
            info["seed"], info["index"] = str(self.args.seed), int(o.label.split("-")[0])
            info["regenerate"] = "%s --plugin %s%s --seed %s --index %s" % (
                shlex.quote(os.path.abspath(sys.argv[0])), shlex.quote(os.path.abspath(self.args.plugin)),
                (" --timing-plugin " + shlex.quote(os.path.abspath(self.args.timing_plugin)))
                if self.args.timing_plugin else "",
                shlex.quote(str(self.args.seed)), o.label.split("-")[0])
        info["recheck"] = "%s --plugin %s%s --recheck %s" % (
            shlex.quote(os.path.abspath(sys.argv[0])), shlex.quote(os.path.abspath(self.args.plugin)),
            (" --timing-plugin " + shlex.quote(os.path.abspath(self.args.timing_plugin)))
            if self.args.timing_plugin else "", shlex.quote(cap))
        if o.findings and not keep_only:
            base_args = ["-n", "-r", cap] + TLS_OPTS
            info["commands"] = {
                "plugin": self.repro("plugin", base_args + ["-V"]),
                "plugin -2": self.repro("plugin", base_args + ["-2", "-V"]),
                "plugin fields": self.repro("plugin", base_args + [
                    "-T", "fields", "-e", "frame.number", "-e", "tcp.stream", "-e", "tume.msg_type",
                    "-e", "tume.sip.call_id", "-e", "sip.Method", "-e", "sip.Status-Code", "-e", "sip.Call-ID",
                    "-e", "http.request.method", "-e", "http.response.code", "-E", "occurrence=a"]),
                "stock": self.repro("stock", base_args + ["-V"]),
                "stock sip (as 5061)": self.repro("stock", base_args + SIP_AS_5061 + [
                    "-Y", "sip", "-T", "fields", "-e", "frame.number", "-e", "tcp.stream", "-e", "sip.Method",
                    "-e", "sip.Status-Code", "-e", "sip.Call-ID", "-E", "occurrence=a"]),
            }
            info["stderr"] = {n: r.stderr[-6000:] for n, r in o.runs.items() if r.stderr.strip()}
            info["exit_status"] = {n: r.rc for n, r in o.runs.items()}
        with open(os.path.join(out, base + ".json"), "w") as f:
            json.dump(info, f, indent=2, ensure_ascii=False)
        if os.geteuid() == 0:
            os.chmod(os.path.join(out, base + ".json"), 0o644)
        return cap

    def finish(self, o):
        """Keep what must be kept, then drop the bulky parts (a long campaign
        holds every outcome until it ends)."""
        if o.findings:
            o.saved = self.save(o)
        elif self.args.keep_all and o.data is not None:
            o.saved = self.save(o, keep_only=True)
        o.data = o.runs = None
        return o

    # one unit of work
    def do_mutant(self, sources, index):
        t0 = time.monotonic()
        src, data, muts, nrec = make_mutant(sources, self.args.seed, index)
        path = self.env.tmpname("-%s.pcapng" % src.name)
        with open(path, "wb") as f:
            f.write(data)
        os.chmod(path, 0o644)
        try:
            findings, runs = self.checker.check(path)
        finally:
            os.unlink(path)
        return self.finish(Outcome("%d-%s" % (index, src.name), src.name, path, findings, runs, muts, nrec, data,
                                   time.monotonic() - t0))

    def do_file(self, path, label, plain=False):
        t0 = time.monotonic()
        findings, runs = (self.checker.check_plain if plain else self.checker.check)(path)
        return self.finish(Outcome(label, label, path, findings, runs, elapsed=time.monotonic() - t0))


def find_inputs(captures_dir):
    """<name>.pcapng with a <name>.keys sibling (the Decryption Secrets Block is
    checked when the file is read)."""
    out = []
    for n in sorted(os.listdir(captures_dir)):
        if n.endswith(".pcapng") and os.path.exists(os.path.join(captures_dir, n[:-len(".pcapng")] + ".keys")):
            out.append(os.path.join(captures_dir, n))
    return out


def capture_ext(path):
    m = re.search(r"(\.(?:pcapng|pcap|cap|ntar)(?:\.gz)?)$", path)
    return m.group(1) if m else ".pcap"


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--plugin", required=True, help="tume.so to test (a -DTUME_SANITIZE=ON build is best)")
    ap.add_argument("--timing-plugin", help="a tume.so built without sanitizers, for the CPU-time check "
                    "(without it the timing check is skipped)")
    ap.add_argument("--sanitizers", choices=["auto", "none"], default="auto",
                    help="auto: preload the ASan/UBSan runtimes iff the plugin links libasan")
    ap.add_argument("--tshark", default=shutil.which("tshark") or "tshark")
    ap.add_argument("--ws-version", help="Wireshark major.minor (default: from tshark --version)")
    ap.add_argument("--captures-dir", default=os.path.join(os.path.dirname(here), "captures"),
                    help="keyed captures to mutate (<name>.pcapng with a <name>.keys sibling); "
                    "with --no-mutate: every pcap/pcapng under it")
    ap.add_argument("--skip", action="append", default=[], metavar="NAME",
                    help="leave out the input capture NAME (without .pcapng; repeatable), e.g. one whose "
                    "finding is a known open defect")
    ap.add_argument("--count", type=int, default=200, help="mutated captures (default 200)")
    ap.add_argument("--seed", default="1", help="campaign seed (default 1)")
    ap.add_argument("--index", type=int, action="append",
                    help="only these capture numbers of the campaign (repeatable): redo a finding")
    ap.add_argument("--jobs", type=int, default=len(os.sched_getaffinity(0)))
    ap.add_argument("--timeout", type=float, default=60.0, help="seconds per tshark run (default 60)")
    ap.add_argument("--out", help="where findings (capture + JSON) are kept (default: a new /tmp directory)")
    ap.add_argument("--keep-all", action="store_true", help="keep every mutated capture in --out")
    ap.add_argument("--no-baseline", action="store_true", help="do not check the unmutated inputs first")
    ap.add_argument("--time-factor", type=float, default=1.5)
    ap.add_argument("--time-slack", type=float, default=0.3)
    ap.add_argument("--sip-exact", action="store_true", help="rule 3: the SIP lists must be equal, "
                    "not only stock's contained in the plugin's")
    ap.add_argument("--no-mutate", action="store_true",
                    help="check every pcap/pcapng under --captures-dir as it is (rule 1)")
    ap.add_argument("--no-tume", action="store_true", help="with --no-mutate: no tume item may appear")
    ap.add_argument("--recheck", nargs="+", metavar="FILE", help="check these capture files (rules 1-4)")
    ap.add_argument("--strict-limits", action="store_true",
                    help="count first-record-not-sip (SIP lost on a session that is not TU Me and whose first "
                    "application data is not SIP, a documented limit) as a failure too")
    ap.add_argument("--tolerate", action="append", default=[], metavar="KIND[,KIND]",
                    help="finding kinds that are reported and kept but do not fail the capture "
                    "(e.g. lost-sip-stream while that behaviour is a known limitation)")
    ap.add_argument("-v", "--verbose", action="store_true", help="a line for every capture")
    args = ap.parse_args()
    args.tolerate = {k.strip() for t in args.tolerate for k in t.split(",") if k.strip()}
    args.tolerate.add("glued-garbage")      # reported, never a failure (see rule3)
    # the documented limit on sessions that are not TU Me (rule 3)
    if not args.strict_limits:
        args.tolerate.add("first-record-not-sip")
    if not os.path.exists(args.plugin):
        ap.error("no such plugin: %s" % args.plugin)
    if args.timing_plugin and not os.path.exists(args.timing_plugin):
        ap.error("no such plugin: %s" % args.timing_plugin)

    t_start = time.monotonic()
    camp = Campaign(args)
    env = camp.env
    log("tshark %s (Wireshark %s); plugin %s%s" % (args.tshark, env.ws_version, args.plugin,
        " with %s preloaded" % " ".join(env.preload["plugin"]) if env.preload["plugin"] else " (no sanitizer runtime)"))
    if env.drop:
        log("running tshark as nobody (%s)" % " ".join(env.drop))
    timing = ("timing check with %s (factor %.2f + %.2f s)" % (args.timing_plugin, args.time_factor, args.time_slack)
              if args.timing_plugin else "timing check SKIPPED (no --timing-plugin)")
    log(timing)

    counters = collections.Counter()      # captures, failed, baselines, mutated, files, mutations, records
    kinds = collections.Counter()         # finding kind -> captures
    by_source = collections.Counter()     # mutated captures per input
    mut_kinds = collections.Counter()     # mutation kind -> count

    def report(o, what):
        counters["captures"] += 1
        counters[what] += 1
        counters["mutations"] += len(o.muts)
        counters["records"] += o.records
        if o.muts:
            by_source[o.source] += 1
            mut_kinds.update(m["kind"] for m in o.muts)
        if o.findings:
            fails = {k for k, _d in o.findings} - args.tolerate
            kinds.update({k for k, _d in o.findings})
            if fails:
                counters["failed"] += 1
            log("%s %s: %s -> %s" % ("FAIL" if fails else "TOLERATED", o.label,
                                     ", ".join(sorted({k for k, _ in o.findings})), o.saved))
            for k, d in o.findings:
                lines = d.splitlines()
                more = "\n        ... (%d more lines in the JSON)" % (len(lines) - 12) if len(lines) > 12 else ""
                log("    [%s] %s%s" % (k, "\n        ".join(lines[:12]), more))
        else:
            if args.verbose:
                log("PASS %s (%d mutations in %d records, %.1f s)" % (o.label, len(o.muts), o.records, o.elapsed))

    jobs = max(1, args.jobs)
    pool = concurrent.futures.ThreadPoolExecutor(jobs)
    interrupted = False
    try:
        work = []          # (future, what)
        if args.no_mutate or args.recheck:
            if args.recheck:
                files = [(os.path.abspath(f), os.path.basename(f)) for f in args.recheck]
            else:
                files = []
                for dp, dn, fns in os.walk(args.captures_dir):
                    dn.sort()
                    for n in sorted(fns):
                        p = os.path.join(dp, n)
                        if is_capture_file(p):
                            files.append((p, os.path.relpath(p, args.captures_dir)))
            # private copies, readable by nobody
            cdir = os.path.join(env.root, "files")
            os.makedirs(cdir)
            copies = []
            for i, (f, label) in enumerate(files):
                dst = os.path.join(cdir, "%05d%s" % (i, capture_ext(f)))
                shutil.copy(f, dst)
                copies.append((dst, label))
            Env.make_readable(cdir)
            log("%d capture files from %s" % (len(copies), "the command line" if args.recheck else args.captures_dir))
            work = [(pool.submit(camp.do_file, p, label, not args.recheck), "files") for p, label in copies]
        else:
            inputs = [p for p in find_inputs(args.captures_dir)
                      if os.path.basename(p)[:-len(".pcapng")] not in args.skip]
            idir = os.path.join(env.root, "inputs")
            os.makedirs(idir)
            for p in inputs:
                shutil.copy(p, idir)
            Env.make_readable(idir)
            sources = []
            for p in inputs:
                s = Source(env, os.path.join(idir, os.path.basename(p)))
                sources.append(s)
                if not s.has_dsb:
                    log("  %-28s no Decryption Secrets Block: not used" % s.name)
                    continue
                log("  %-28s %3d application-data records, %3d mutable (%d of them spanning TCP segments)%s"
                    % (s.name, s.total, len(s.records), s.segmented,
                       "".join("\n      skipped %d: %s" % (n, why) for why, n in sorted(s.skipped.items()))))
            if not any(s.records for s in sources):
                sys.exit("no mutable records in %s" % args.captures_dir)
            if not args.no_baseline and not args.index:
                work += [(pool.submit(camp.do_file, s.path, "base-" + s.name), "baselines")
                         for s in sources if s.has_dsb]
            indices = args.index or range(args.count)
            work += [(pool.submit(camp.do_mutant, sources, i), "mutated") for i in indices]
        what = {fu: w for fu, w in work}
        step = max(1, len(work) // 20)
        done = 0
        for fu in concurrent.futures.as_completed(what):
            report(fu.result(), what.pop(fu))
            done += 1
            if not args.verbose and done % step == 0 and done != len(work):
                log("... %d/%d captures checked, %d failed, %.0f s" % (
                    done, len(work), counters["failed"], time.monotonic() - t_start))
    except KeyboardInterrupt:
        interrupted = True
        log("interrupted: finishing the tshark runs under way")
        pool.shutdown(wait=True, cancel_futures=True)
    finally:
        pool.shutdown(wait=True)

    elapsed = time.monotonic() - t_start
    log("")
    log("summary%s:" % (" (interrupted)" if interrupted else ""))
    log("  captures checked: %d (%d mutated, %d unmutated baselines, %d files as given)" % (
        counters["captures"], counters["mutated"], counters["baselines"], counters["files"]))
    if by_source:
        log("  mutated captures by source: %s" % ", ".join("%s %d" % kv for kv in sorted(by_source.items())))
        log("  mutations: %d (%s); records touched: %d" % (
            counters["mutations"], ", ".join("%s %d" % kv for kv in sorted(mut_kinds.items())), counters["records"]))
    log("  %s" % timing)
    log("  findings by kind (captures): %s" % (", ".join(
        "%s %d%s" % (k, n, " (tolerated)" if k in args.tolerate else "") for k, n in sorted(kinds.items())) or "none"))
    if camp.out:
        log("  findings kept in %s" % camp.out)
    log("  total time: %.1f s with %d jobs" % (elapsed, jobs))
    env.cleanup()
    passed = counters["captures"] - counters["failed"]
    log("%d passed, %d failed" % (passed, counters["failed"]))
    if interrupted:
        return 130
    return 1 if counters["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
