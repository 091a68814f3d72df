"""Shared by every area: the tshark environment, checks, field helpers, and
the expectations several areas use.

tshark ignores WIRESHARK_PLUGIN_DIR and the personal plugin folder when it
runs as root, so when the tests run as root Env runs tshark as the user
"nobody" (setpriv) with a private HOME.  The plugin is copied into a private
<dir>/<major.minor>/epan/ layout and the captures into a private folder, so
neither the checkout's permissions nor a system-wide install of the plugin
can change what is tested.  "Stock" runs (plugin=False) point
WIRESHARK_PLUGIN_DIR at an empty layout: same tshark, no plugin.

Nothing installed on the machine reaches a test either: WIRESHARK_PLUGIN_DIR
replaces the system plugin folder (a system-wide tume.so is not loaded), and
WIRESHARK_DATA_DIR points at a private copy of Wireshark's global data folder
without the files the plugin installs there (the global tume_api_messages
table, profiles/TU Me), so every run starts from Wireshark's own defaults.
Env checks both with `tshark -G folders` and `-G plugins`.

Env.fields() returns one row per packet, one column per field; repeated
values of a field are joined with AGG (split() undoes it).  Env.cpu()
measures the CPU time of tshark itself (os.wait4 on the child).
"""
import os
import pwd
import re
import shutil
import subprocess
import tempfile
import threading

# ---------------------------------------------------------------- expectations

# The dialogue of scenarios A and B (captures/gen/scenarios/signalling.py), in stream order.
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
# Scenario G: start line split by the first record, a ping and a MESSAGE in one
# record, then a message that cannot be framed (no type, tume.malformed).
TUME_EDGE = [
    ("OPTIONS", "edge-opt-0001@tume-iphone"),
    ("200 OK", "edge-opt-0001@tume-iphone"),
    ("keepalive-ping", ""),
    ("MESSAGE", "edge-msg-0001@tume-iphone"),
    ("keepalive-pong", ""),
    ("202 Accepted", "edge-msg-0001@tume-iphone"),
    # "Content-Length: 12abc": Wireshark's SIP reads it (length 0, as without
    # the plugin on 5061), so it is typed, and tume.malformed says why
    ("MESSAGE", "broken-0001@tume-iphone"),
]
TUME_CAPTURES = {
    "tume-signalling-tls12": TUME_SIGNALLING,
    "tume-signalling-tls13": TUME_SIGNALLING,
    "tume-signalling-edge": TUME_EDGE,
}


NEGATIVE_CAPTURES = ["other-https-json", "plain-http-443", "non-tls-443"]
# TU Me flows identified by certificate/SNI (and, keyed, by their payload)
CERT_CAPTURES = ["tume-provisioning-tls12", "tume-signalling-rsa", "tume-cert-anomalies",
                 "tume-api-keepalive", "tume-api-multi", "lookalike-api", "tume-api-edge"]
ALL_CAPTURES = sorted(TUME_CAPTURES) + CERT_CAPTURES + ["other-sip-tls"] + NEGATIVE_CAPTURES


# Boolean fields: Wireshark 4.0 prints them as 1/0 in -T fields, 4.2 and
# later as True/False; the tests compare the 4.0 form.
BOOLEAN_FIELDS = {"tume.decrypted", "tume.cert.self_signed", "tume.proxy.bypass"}

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

# What `cmake --install`, the demo run as root and the .deb put into
# Wireshark's global data folder.
INSTALLED_DATA = ("tume_api_messages", os.path.join("profiles", "TU Me"))


def system_data_dir(tshark):
    """Wireshark's global data folder as this tshark reports it."""
    out = subprocess.run([tshark, "-G", "folders"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                         universal_newlines=True, env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"),
                                                       "LANG": "C.UTF-8"}).stdout
    m = re.search(r"^Global configuration:\s*(.+)$", out, re.M)
    if not m:
        raise Failure("tshark -G folders names no global configuration folder:\n" + out)
    return m.group(1).strip()


def make_data_dir(dest, system, extra=None):
    """A private global data folder at dest: links to every entry of the
    system's, less INSTALLED_DATA, plus extra {relative path: source file}."""
    os.makedirs(dest)
    for name in sorted(os.listdir(system)):
        src = os.path.join(system, name)
        if name in INSTALLED_DATA:
            continue
        if name == "profiles" and os.path.isdir(src):
            os.makedirs(os.path.join(dest, name))
            for prof in sorted(os.listdir(src)):
                if os.path.join(name, prof) not in INSTALLED_DATA:
                    os.symlink(os.path.join(src, prof), os.path.join(dest, name, prof))
            continue
        os.symlink(src, os.path.join(dest, name))
    for rel, src in (extra or {}).items():
        target = os.path.join(dest, rel)
        if os.path.isdir(src):
            shutil.copytree(src, target)
        else:
            os.makedirs(os.path.dirname(target), exist_ok=True)
            shutil.copy(src, target)
    return dest


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
        self.system_data_dir = system_data_dir(tshark)
        self.data_dir = make_data_dir(os.path.join(self.root, "data"), self.system_data_dir)
        self.n_data_dirs = 0
        self.drop = None
        if os.geteuid() == 0:
            nobody = pwd.getpwnam("nobody")
            for dirpath, dirnames, filenames in os.walk(self.root):
                for n in dirnames + filenames:
                    q = os.path.join(dirpath, n)
                    if not os.path.islink(q):      # the data folder's links lead to the system's files
                        os.chmod(q, 0o755 if n in dirnames else 0o644)
            os.chown(self.home, nobody.pw_uid, nobody.pw_gid)
            self.drop = ["setpriv", "--reuid=%d" % nobody.pw_uid, "--regid=%d" % nobody.pw_gid,
                         "--clear-groups"]

    def isolation_check(self):
        """The runs see the private data folder and plugin folders, nothing
        installed on the machine."""
        for plugin in (True, False):
            out = self.run(["-G", "folders"], plugin=plugin)
            m = re.search(r"^Global configuration:\s*(.+)$", out, re.M)
            check(m is not None and m.group(1).strip() == self.data_dir,
                  "tshark reads the private data folder %s, not %r" % (self.data_dir, m and m.group(1)))
            m = re.search(r"^Global Plugins:\s*(.+)$", out, re.M)
            want = self.plugin_dir if plugin else self.stock_dir
            check(m is not None and m.group(1).strip().startswith(want),
                  "tshark's global plugin folder is the private %s, not %r" % (want, m and m.group(1)))
            loaded = [l.split()[0] for l in self.run(["-G", "plugins"], plugin=plugin).splitlines() if l.strip()]
            check(("tume.so" in loaded) == plugin, "tume.so loaded only from the private folder: %s" % loaded)

    def data_dir_with(self, extra):
        """Another private global data folder, with extra files as an
        install would put them ({relative path: source})."""
        self.n_data_dirs += 1
        d = make_data_dir(os.path.join(self.root, "data-%d" % self.n_data_dirs), self.system_data_dir, extra)
        if self.drop:
            for dirpath, dirnames, filenames in os.walk(d):
                for n in dirnames + filenames:
                    q = os.path.join(dirpath, n)
                    if not os.path.islink(q):
                        os.chmod(q, 0o755 if n in dirnames else 0o644)
        return d

    def cleanup(self):
        shutil.rmtree(self.root, ignore_errors=True)

    def cap(self, name, suffix=".pcapng"):
        return os.path.join(self.cap_dir, name + suffix)

    def environ(self, plugin=True):
        """The environment of a tshark run, with or without the plugin."""
        return {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": self.home,
            "LANG": "C.UTF-8",
            "WIRESHARK_PLUGIN_DIR": self.plugin_dir if plugin else self.stock_dir,
            "WIRESHARK_DATA_DIR": self.data_dir,
        }

    def run(self, args, plugin=True, check_rc=True, wrapper=(), extra_env=None):
        env = self.environ(plugin)
        env.update(extra_env or {})
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

    def peak_rss(self, args, plugin=True, timeout=600):
        """Peak resident memory (MiB) of one tshark run with args, output
        discarded (os.wait4 on the tshark process, as cpu())."""
        cmd = (self.drop or []) + [self.tshark] + list(args)
        with tempfile.TemporaryFile() as err:
            p = subprocess.Popen(cmd, env=self.environ(plugin), cwd=self.root, stdout=subprocess.DEVNULL,
                                 stderr=err)
            timer = threading.Timer(timeout, p.kill)
            timer.start()
            try:
                _, status, usage = os.wait4(p.pid, 0)
            finally:
                timer.cancel()
            if os.waitstatus_to_exitcode(status) != 0:
                err.seek(0)
                raise Failure("tshark failed under memory measurement: %s\n%s" % (
                    " ".join(cmd), err.read().decode(errors="replace")[-2000:]))
        return usage.ru_maxrss / 1024.0

    def cpu(self, args, plugin=True, runs=2, timeout=600):
        """CPU time (user + system, seconds) of tshark run with args, output
        discarded: the best of `runs` runs.  Measured on the tshark process
        itself with os.wait4 (setpriv execs tshark in the same process)."""
        env = self.environ(plugin)
        cmd = (self.drop or []) + [self.tshark] + list(args)
        best = None
        for _ in range(runs):
            with tempfile.TemporaryFile() as err:
                p = subprocess.Popen(cmd, env=env, cwd=self.root, stdout=subprocess.DEVNULL, stderr=err)
                timer = threading.Timer(timeout, p.kill)
                timer.start()
                try:
                    _, status, usage = os.wait4(p.pid, 0)
                finally:
                    timer.cancel()
                p.returncode = os.waitstatus_to_exitcode(status)
                if p.returncode != 0:
                    err.seek(0)
                    raise Failure("tshark failed (%d) under CPU measurement: %s\n%s" % (
                        p.returncode, " ".join(cmd), err.read().decode(errors="replace")[-2000:]))
            t = usage.ru_utime + usage.ru_stime
            best = t if best is None else min(best, t)
            if best > 5.0:
                break           # start-up noise is nothing at this scale: one run will do
        return best

    def fields(self, cap_file, fields, filt=None, two_pass=False, opts=(), plugin=True, extra=(), extra_env=None):
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
        out = self.run(args, plugin=plugin, extra_env=extra_env)
        rows = []
        bools = [i for i, f in enumerate(fields) if f in BOOLEAN_FIELDS]
        for line in out.splitlines():
            cols = line.split("\t")
            cols += [""] * (len(fields) - len(cols))
            for i in bools:
                cols[i] = {"True": "1", "False": "0"}.get(cols[i], cols[i])
            rows.append(cols)
        return rows


def info_column(env, cap_file, filt=None, two_pass=False, opts=(), plugin=True, extra=()):
    """{frame number: Info column} as tshark prints the summary line.  Read
    from the summary, not from the _ws.col.Info field: since 4.2 that field
    does not show what post-dissectors write into the column."""
    args = ["-n", "-r", cap_file, "-o", 'gui.column.format:"No.","%m","Info","%i"'] + list(extra)
    if two_pass:
        args.append("-2")
    if filt:
        args += ["-Y", filt]
    for o in opts:
        args += ["-o", o]
    out = {}
    for line in env.run(args, plugin=plugin).splitlines():
        num, _, info = line.strip().partition(" ")
        if num.isdigit():
            out[int(num)] = info.strip()
    return out


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


def expert_frames(env, cap_file, name, two_pass=True, opts=()):
    return [int(r[0]) for r in env.fields(cap_file, ["frame.number"], filt=name, two_pass=two_pass, opts=opts)]


def strip_tume(text):
    """-V output without the TU Me protocol block (top level, up to the next)."""
    out, skipping = [], False
    for line in text.splitlines():
        if not line.startswith(" "):
            skipping = line.startswith("TU Me (")
        if not skipping:
            out.append(line)
    return "\n".join(out) + ("\n" if text.endswith("\n") else "")


# ---------------------------------------------------------------- stock "as on port 5061"

# Stock tshark hands decrypted TLS/443 data to HTTP.  On port 5061 it hands it
# to SIP (the handle SIP registers for TLS 5061 is sip.tcp), so "what stock
# shows of SIP over TLS" is stock tshark with TLS port 443 decoded as SIP.
SIP_AS_5061 = ["-d", "tls.port==443,sip"]


def sip_messages(env, cap_file, plugin=True, two_pass=False):
    """{tcp.stream: [(method or status code, Call-ID), ...]}: the SIP messages
    Wireshark's SIP dissector shows, in stream order.  plugin=True: the plugin
    run (no Decode As); plugin=False: stock tshark as on port 5061."""
    rows = env.fields(cap_file, ["frame.number", "tcp.stream", "sip.Method", "sip.Status-Code", "sip.Call-ID"],
                      filt="sip", two_pass=two_pass, plugin=plugin, extra=[] if plugin else SIP_AS_5061)
    out = {}
    for r in rows:
        methods, codes, ids = split(r[2]), split(r[3]), split(r[4])
        # the order of messages within a frame is only known when they are all
        # requests or all responses (always so in these captures)
        check(not (methods and codes), "frame %s mixes SIP requests and responses: %r" % (r[0], r))
        labels = methods or codes
        check(len(ids) == len(labels), "frame %s: %d SIP messages, %d Call-IDs: %r" % (r[0], len(labels), len(ids), r))
        out.setdefault(int(r[1]), []).extend(zip(labels, ids))
    return out


def assert_cpu_bound(env, name, cap_file, factor=1.5, slack=0.5, args=()):
    """CPU time of "tshark -r" with the plugin is at most factor x stock's +
    slack seconds (best of 2 runs each).  Returns (plugin, stock, bound);
    prints them."""
    stock = env.cpu(["-n", "-r", cap_file] + list(args), plugin=False)
    plugin = env.cpu(["-n", "-r", cap_file] + list(args))
    bound = factor * stock + slack
    print("  %s: CPU plugin %.2f s, stock %.2f s, bound %.2f s" % (name, plugin, stock, bound))
    check(plugin <= bound, "%s: tshark -r with the plugin took %.2f s of CPU, stock %.2f s: over %.1f x stock + "
          "%.1f s = %.2f s" % (name, plugin, stock, factor, slack, bound))
    return plugin, stock, bound


def build_mixed(env, sources, name, concatenate=False):
    """A capture merged (mergecap, chronologically; with concatenate, in
    the order given) from the bundled captures' keyless versions, and one
    key log with all their keys: the way an analyst merges captures
    (mergecap cannot merge several files that each hold decryption
    secrets)."""
    out = os.path.join(env.root, name + ".pcapng")
    keys = os.path.join(env.root, name + ".keys")
    if os.path.exists(out):
        return out, keys
    files = []
    with open(keys, "w") as k:
        for s in sources:
            if os.path.exists(env.cap(s + "-nokeys")):
                files.append(env.cap(s + "-nokeys"))
                with open(env.cap(s, ".keys")) as f:
                    k.write(f.read())
            else:
                files.append(env.cap(s))
    mergecap = shutil.which("mergecap") or "mergecap"
    subprocess.run([mergecap] + (["-a"] if concatenate else []) + ["-w", out] + files, check=True,
                   stdout=subprocess.DEVNULL)
    os.chmod(out, 0o644)
    os.chmod(keys, 0o644)
    return out, keys


def _pcapng_packets(data):
    """(offset of the packet bytes, captured length) of every Enhanced
    Packet Block of the pcapng file in data, in order."""
    import struct
    off, endian = 0, "<"
    while off + 12 <= len(data):
        if data[off:off + 4] == b"\x0a\x0d\x0d\x0a":
            endian = "<" if data[off + 8:off + 12] == b"\x4d\x3c\x2b\x1a" else ">"
        btype, blen = struct.unpack_from(endian + "II", data, off)
        if blen < 12:
            raise ValueError("bad block length at %d" % off)
        if btype == 6:
            yield off + 28, struct.unpack_from(endian + "I", data, off + 20)[0]
        off += blen


def rewrite_tcp_port(src, dst, old, new):
    """Copies the pcapng file src to dst with TCP port old changed to new in
    every Ethernet/IPv4 packet (the bundled captures; TCP checksums are not
    fixed: Wireshark does not check them by default)."""
    import struct
    data = bytearray(open(src, "rb").read())
    for pkt, caplen in _pcapng_packets(data):
        if caplen >= 34 and data[pkt + 12:pkt + 14] == b"\x08\x00" and data[pkt + 23] == 6:
            tcp = pkt + 14 + (data[pkt + 14] & 0x0f) * 4
            for at in (tcp, tcp + 2):
                if at + 2 <= pkt + caplen and struct.unpack_from(">H", data, at)[0] == old:
                    struct.pack_into(">H", data, at, new)
    with open(dst, "wb") as f:
        f.write(data)
    os.chmod(dst, 0o644)


def remap_ipv4(src, dst, mask):
    """Copies the pcapng file src to dst with the second and third octets
    of every Ethernet/IPv4 address XORed with the 16-bit mask, the IPv4
    header checksum recomputed (TCP checksums are left as they were:
    Wireshark does not check them by default, and the bundled captures,
    made on the loopback interface, carry unfinished ones anyway): the
    same traffic between other hosts, so that
    copies of a capture merged into one file are separate connections
    (a copy that reuses the addresses, ports and sequence numbers of the
    one before is read by TCP as retransmissions of it)."""
    import struct
    data = bytearray(open(src, "rb").read())
    hi, lo = (mask >> 8) & 0xff, mask & 0xff
    for pkt, caplen in _pcapng_packets(data):
        ip = pkt + 14
        if caplen >= 34 and data[pkt + 12:pkt + 14] == b"\x08\x00" and data[ip] >> 4 == 4:
            ihl = (data[ip] & 0x0f) * 4
            for a in (ip + 12, ip + 16):
                data[a + 1] ^= hi
                data[a + 2] ^= lo
            struct.pack_into(">H", data, ip + 10, 0)
            struct.pack_into(">H", data, ip + 10, _ip_checksum(bytes(data[ip:ip + ihl])))
    with open(dst, "wb") as f:
        f.write(data)
    os.chmod(dst, 0o644)


def _ip_checksum(h):
    """The IPv4 header checksum of h (its checksum field zeroed)."""
    import struct
    s = sum(struct.unpack("!%dH" % (len(h) // 2), h))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return (~s) & 0xffff


def _pcapng_epb(endian, iface, ts_hi, ts_lo, frame):
    """A pcapng Enhanced Packet Block holding frame."""
    import struct
    pad = (4 - len(frame) % 4) % 4
    body = struct.pack(endian + "IIIII", iface, ts_hi, ts_lo, len(frame), len(frame)) + frame + b"\0" * pad
    total = 12 + len(body)
    return struct.pack(endian + "II", 6, total) + body + struct.pack(endian + "I", total)


def fragment_ipv4(src, dst, keep_last=12):
    """Copies the pcapng file src to dst with every Ethernet/IPv4 TCP
    segment that carries more than keep_last + 8 bytes of payload sent as two
    IPv4 fragments: the first with the TCP header and all but the last
    keep_last..keep_last+7 bytes (cut on an 8-byte boundary, MF set), the
    second, short, with the rest (fragment offset set).  IP checksums are
    recomputed; other blocks and packets are copied as they are.  Returns
    the number of segments fragmented."""
    import struct

    data = open(src, "rb").read()
    out, off, endian, count = bytearray(), 0, "<", 0
    while off + 12 <= len(data):
        if data[off:off + 4] == b"\x0a\x0d\x0d\x0a":
            endian = "<" if data[off + 8:off + 12] == b"\x4d\x3c\x2b\x1a" else ">"
        btype, blen = struct.unpack_from(endian + "II", data, off)
        block = data[off:off + blen]
        off += blen
        if btype != 6:
            out += block
            continue
        iface, ts_hi, ts_lo, caplen, origlen = struct.unpack_from(endian + "IIIII", block, 8)
        frame = block[28:28 + caplen]
        if not (caplen == origlen and caplen >= 54 and frame[12:14] == b"\x08\x00" and frame[23] == 6
                and frame[14] == 0x45):
            out += block
            continue
        ip = frame[14:]
        total = struct.unpack("!H", ip[2:4])[0]
        payload = ip[20:total]                       # TCP header and data
        tcp_len = (payload[12] >> 4) * 4
        if len(payload) - tcp_len <= keep_last + 8:
            out += block
            continue
        cut = ((len(payload) - keep_last) // 8) * 8
        for part, foff, mf in ((payload[:cut], 0, 1), (payload[cut:], cut // 8, 0)):
            h = bytearray(ip[:20])
            struct.pack_into("!H", h, 2, 20 + len(part))
            struct.pack_into("!H", h, 6, (mf << 13) | foff)
            struct.pack_into("!H", h, 10, 0)
            struct.pack_into("!H", h, 10, _ip_checksum(bytes(h)))
            out += _pcapng_epb(endian, iface, ts_hi, ts_lo, frame[:14] + bytes(h) + part)
        count += 1
    with open(dst, "wb") as f:
        f.write(out)
    os.chmod(dst, 0o644)
    return count


def rerecord_handshakes(src, dst, plan, on_record=None):
    """Copies the pcapng file src to dst with the clear handshake of every
    Ethernet/IPv4 TCP connection sent in other TLS records: a crafted
    capture (TLS allows any split, Wireshark's TLS reassembles it).  In each
    direction's byte stream, each run of handshake records (content type
    22, before that side's ChangeCipherSpec) is joined, cut into its
    messages, and sent again in records whose sizes plan chooses:

        plan(side, messages) -> (messages, sizes)

    side is "client" (the side that sent the SYN) or "server", messages a
    list of whole handshake messages (header included); it returns the
    messages to send (it may change them) and the record body sizes (1 to
    16384), which add up to their length.  The TCP segments keep their
    count and order, each carrying the part of the new stream that its
    original part maps to (a run grows, so none is left empty); sequence and
    acknowledgement numbers follow, a segment over 32000 bytes is sent as
    several (same time).  IP checksums are recomputed, TCP's are not
    (Wireshark does not check them).  Returns the number of runs sent
    again.

    on_record(side, index, content_type, record) -> bytes, if given, is
    called for every other whole record of a side's stream (index counts
    them from 0 per side) and returns what to send in its place (at least
    the record itself, e.g. the record and one more after it)."""
    import struct

    def packets(data):
        """(block, endian, parsed or None) of every block."""
        off, endian = 0, "<"
        while off + 12 <= len(data):
            if data[off:off + 4] == b"\x0a\x0d\x0d\x0a":
                endian = "<" if data[off + 8:off + 12] == b"\x4d\x3c\x2b\x1a" else ">"
            btype, blen = struct.unpack_from(endian + "II", data, off)
            block = data[off:off + blen]
            off += blen
            parsed = None
            if btype == 6:
                iface, ts_hi, ts_lo, caplen, origlen = struct.unpack_from(endian + "IIIII", block, 8)
                frame = block[28:28 + caplen]
                if (caplen == origlen and caplen >= 54 and frame[12:14] == b"\x08\x00" and frame[23] == 6
                        and frame[14] == 0x45 and struct.unpack("!H", frame[20:22])[0] & 0x3fff == 0):
                    total = struct.unpack("!H", frame[16:18])[0]
                    seg = frame[34:14 + total]
                    thl = (seg[12] >> 4) * 4
                    a, b = (frame[26:30], seg[0:2]), (frame[30:34], seg[2:4])
                    parsed = (iface, ts_hi, ts_lo, frame, seg[:thl], seg[thl:], a, b)
            yield block, endian, parsed

    class Side:
        def __init__(self):
            self.isn = None
            self.stream = bytearray()
            self.anchors = [(0, 0)]      # (original offset, new offset), increasing
            self.new = b""

        def f(self, x):
            """New stream offset of original offset x: exact at record
            edges, linear inside a run that was sent again."""
            prev = self.anchors[0]
            for a in self.anchors:
                if a[0] >= x:
                    if a[0] == prev[0]:
                        return a[1] + (x - a[0])
                    return prev[1] + (x - prev[0]) * (a[1] - prev[1]) // (a[0] - prev[0])
                prev = a
            return prev[1] + (x - prev[0])

    def transform(side_name, st):
        s, pos, out, runs, n = bytes(st.stream), 0, bytearray(), 0, 0
        ccs = False
        while pos + 5 <= len(s):
            ct, rlen = s[pos], struct.unpack("!H", s[pos + 3:pos + 5])[0]
            if pos + 5 + rlen > len(s):
                break
            if ct != 22 or ccs:
                if ct == 20:
                    ccs = True
                rec = s[pos:pos + 5 + rlen]
                new = on_record(side_name, n, ct, rec) if on_record else rec
                if len(new) < len(rec):
                    raise ValueError("on_record: a record may only grow")
                out += new
                n += 1
                pos += 5 + rlen
                st.anchors.append((pos, len(out)))
                continue
            start, ver, hs = pos, s[pos + 1:pos + 3], bytearray()
            while pos + 5 <= len(s) and s[pos] == 22 and pos + 5 + struct.unpack("!H", s[pos + 3:pos + 5])[0] <= len(s):
                rlen = struct.unpack("!H", s[pos + 3:pos + 5])[0]
                hs += s[pos + 5:pos + 5 + rlen]
                pos += 5 + rlen
            msgs, p = [], 0
            while p + 4 <= len(hs):
                ml = 4 + int.from_bytes(hs[p + 1:p + 4], "big")
                msgs.append(bytes(hs[p:p + ml]))
                p += ml
            if p != len(hs):
                out += s[start:pos]                      # not whole messages: as it was
            else:
                msgs, sizes = plan(side_name, msgs)
                data = b"".join(msgs)
                if sum(sizes) != len(data) or any(x <= 0 or x > 16384 for x in sizes):
                    raise ValueError("plan: record sizes %r for %d bytes" % (sizes[:8], len(data)))
                q = 0
                for x in sizes:
                    out += b"\x16" + ver + struct.pack("!H", x) + data[q:q + x]
                    q += x
                runs += 1
                if len(out) < pos:
                    raise ValueError("plan: a run may only grow")
            st.anchors.append((pos, len(out)))
        st.new = bytes(out) + s[pos:]
        return runs

    data = open(src, "rb").read()
    conns = {}

    def sides(parsed):
        frame, tcp, a, b = parsed[3], parsed[4], parsed[6], parsed[7]
        key = (min(a, b), max(a, b))
        c = conns.setdefault(key, {})
        if tcp[13] & 0x02 and not tcp[13] & 0x10:
            c["client"] = a
        return c, ("client" if c.get("client", b) == a else "server"), c.setdefault(a, Side()), c.setdefault(b, Side())

    # the streams, in order
    for _, _, parsed in packets(data):
        if parsed is None:
            continue
        tcp, payload = parsed[4], parsed[5]
        c, side_name, st, _ = sides(parsed)
        seq = struct.unpack("!I", tcp[4:8])[0]
        if st.isn is None:
            st.isn = (seq + 1) & 0xffffffff if tcp[13] & 0x02 else seq
        if payload and not tcp[13] & 0x02 and (seq - st.isn) & 0xffffffff == len(st.stream):
            st.stream += payload
    runs = 0
    for c in conns.values():
        for k, st in c.items():
            if k != "client":
                runs += transform("client" if c.get("client") == k else "server", st)
    # the packets again, with the new streams
    out, done = bytearray(), set()
    for block, endian, parsed in packets(data):
        if parsed is None:
            out += block
            continue
        iface, ts_hi, ts_lo, frame, tcp, payload = parsed[:6]
        c, side_name, st, other = sides(parsed)
        tcp = bytearray(tcp)
        flags = tcp[13]
        seq, ack = struct.unpack("!II", tcp[4:8 + 4])
        rel = (seq - st.isn) & 0xffffffff
        new_seq, new_payload = seq, payload
        if not flags & 0x02:
            new_seq = (st.isn + st.f(rel)) & 0xffffffff
            if payload and rel + len(payload) <= len(st.stream) and (id(st), rel) not in done:
                new_payload = st.new[st.f(rel):st.f(rel + len(payload))]
                done.add((id(st), rel))
        if flags & 0x10 and other.isn is not None:
            arel = (ack - other.isn) & 0xffffffff
            struct.pack_into("!I", tcp, 8, (other.isn + other.f(arel)) & 0xffffffff)
        pieces = [new_payload[i:i + 32000] for i in range(0, len(new_payload), 32000)] or [b""]
        for i, piece in enumerate(pieces):
            t = bytearray(tcp)
            struct.pack_into("!I", t, 4, (new_seq + 32000 * i) & 0xffffffff)
            h = bytearray(frame[14:34])
            struct.pack_into("!H", h, 2, 20 + len(t) + len(piece))
            struct.pack_into("!H", h, 10, 0)
            struct.pack_into("!H", h, 10, _ip_checksum(bytes(h)))
            out += _pcapng_epb(endian, iface, ts_hi, ts_lo, frame[:14] + bytes(h) + bytes(t) + piece)
    with open(dst, "wb") as f:
        f.write(out)
    os.chmod(dst, 0o644)
    return runs
