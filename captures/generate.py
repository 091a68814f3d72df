#!/usr/bin/env python3
"""Regenerate the test captures in this directory.

Run as root from the repository top:

    sudo python3 captures/generate.py            # reuse captures/pki/ if present
    sudo python3 captures/generate.py --new-pki  # throw away and recreate the PKI
    sudo python3 captures/generate.py --only tume-signalling-tls12

Everything is done with real stacks on the loopback interface:
  * certificates are made with the ``openssl`` command line tool,
  * TLS is Python's ``ssl`` module (OpenSSL), the client context writes an
    NSS key log (``keylog_filename``),
  * the traffic is captured with ``dumpcap -i lo -f "tcp port 443"``,
  * the key log is embedded with ``editcap --inject-secrets tls,<keys>``
    (except tume-signalling-rsa: static RSA key exchange, no key log at all;
    it is decrypted with the server's RSA private key),
  * tume-api-keepalive, tume-api-multi and lookalike-api use a real HTTP
    client instead: ``curl`` (key log from its ``SSLKEYLOGFILE``) against a
    Python ``http.server`` HTTPS server (HTTP/1.1 keep-alive).

Only the Python standard library is used.  The application-level content
(SIP Call-IDs, tags, branches, bodies, HTTP bodies, the random bytes of the
non-TLS capture) is fixed, so reruns produce the same plaintext; TLS bytes,
TCP ports/sequence numbers and timestamps differ on every run.
"""

import argparse
import gzip
import hashlib
import http.server
import json
import os
import random
import re
import shutil
import signal
import socket
import socketserver
import ssl
import struct
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
PKI_DIR = os.path.join(HERE, "pki")
PORT = 443
SOCK_TIMEOUT = 20.0

# TCP_MAXSEG used for the TU Me signalling scenarios (A and B).
SIGNALLING_MSS = 536
# The loopback device does GSO/TSO, so a single send() larger than the MSS is
# handed to the capture as ONE big "super packet" even with TCP_MAXSEG=536.
# Clamping the advertised receive window to < 4*MSS makes the Linux sender's
# size goal (bounded to half the peer's max window) a single MSS, so every
# skb -- and therefore every captured frame -- carries at most one MSS.
SIGNALLING_WINDOW_CLAMP = 2090


# ---------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------

def log(msg):
    print(msg, flush=True)


def run(cmd, **kw):
    res = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kw)
    if res.returncode != 0:
        sys.stderr.write("command failed: %s\n%s%s" % (
            " ".join(cmd), res.stdout.decode(errors="replace"),
            res.stderr.decode(errors="replace")))
        raise SystemExit(1)
    return res.stdout.decode(errors="replace")


# ---------------------------------------------------------------------------
# PKI (openssl CLI)
# ---------------------------------------------------------------------------

CAS = {
    "tume-ca": {
        "subj": "/C=ES/O=Example Test PKI/CN=TU Me Test Root CA",
        "serial": "0x01",
    },
    "other-ca": {
        "subj": "/C=DE/O=Other PKI/CN=Other Test CA",
        "serial": "0x01",
    },
    "tu-ca": {
        "subj": "/C=ES/O=Telefonica Test PKI/CN=TU Test Issuing CA",
        "serial": "0x01",
    },
}

LEAVES = {
    "sip.tume.jajah.com": {
        "ca": "tume-ca",
        "subj": "/C=US/O=Jajah Inc./CN=sip.tume.jajah.com",
        "san": "DNS:sip.tume.jajah.com, DNS:*.tume.jajah.com",
        "serial": "0x1001",
    },
    "sip.example.org": {
        "ca": "other-ca",
        "subj": "/C=DE/O=Example SIP/CN=sip.example.org",
        "san": "DNS:sip.example.org",
        "serial": "0x2001",
    },
    "api.example.net": {
        "ca": "other-ca",
        "subj": "/C=DE/O=Example API/CN=api.example.net",
        "san": "DNS:api.example.net",
        "serial": "0x2002",
    },
    # scenario H
    "api.tu.com": {
        "ca": "tu-ca",
        "subj": "/C=ES/O=Telefonica Digital/CN=api.tu.com",
        "san": "DNS:api.tu.com",
        "serial": "0x3001",
    },
    # scenario K1: expired (fixed validity in 2011, made with `openssl ca`)
    "old.tume.jajah.com": {
        "ca": "tume-ca",
        "subj": "/C=US/O=Jajah Inc./CN=old.tume.jajah.com",
        "san": "DNS:old.tume.jajah.com",
        "serial": "0x1002",
        "startdate": "20110101000000Z",
        "enddate": "20120101000000Z",
    },
    # scenario K2: self-signed leaf (ca None); the chain file holds only the leaf
    "selfsigned.tume.jajah.com": {
        "ca": None,
        "subj": "/C=US/O=Jajah Inc./CN=selfsigned.tume.jajah.com",
        "san": "DNS:selfsigned.tume.jajah.com",
        "serial": "0x1003",
    },
    # scenario K3: presented for SNI sip.tume.jajah.com, which it does not cover
    "media.jajah.com": {
        "ca": "tume-ca",
        "subj": "/C=US/O=Jajah Inc./CN=media.jajah.com",
        "san": "DNS:media.jajah.com",
        "serial": "0x1004",
    },
}

OPENSSL_CNF = """\
[req]
distinguished_name = req_dn
prompt = no
[req_dn]
CN = placeholder
[v3_ca]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
[v3_leaf]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid, issuer
subjectAltName = %(san)s
[v3_leaf_self]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
subjectAltName = %(san)s
"""

# Minimal `openssl ca` configuration, used only for leaves with fixed
# start/end dates (OpenSSL 3.0's `x509 -req` can only set -days).  All the CA
# state (database, serial, copies of issued certificates) lives in a temp dir.
OPENSSL_CA_CNF = """\
[ca]
default_ca = tmp_ca
[tmp_ca]
dir = %(dir)s
database = $dir/index.txt
serial = $dir/serial
new_certs_dir = $dir
default_md = sha256
policy = policy_any
unique_subject = no
email_in_dn = no
copy_extensions = none
[policy_any]
countryName = optional
organizationName = optional
commonName = supplied
"""


def pki_path(name, ext):
    return os.path.join(PKI_DIR, "%s.%s" % (name, ext))


def ensure_pki(new_pki):
    if new_pki and os.path.isdir(PKI_DIR):
        shutil.rmtree(PKI_DIR)
    os.makedirs(PKI_DIR, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix="tume-pki-")
    created_cas = set()
    try:
        for name, ca in CAS.items():
            key, crt = pki_path(name, "key"), pki_path(name, "crt")
            if os.path.exists(key) and os.path.exists(crt):
                continue
            cnf = os.path.join(tmp, name + ".cnf")
            with open(cnf, "w") as f:
                f.write(OPENSSL_CNF % {"san": "DNS:unused.invalid"})
            run(["openssl", "req", "-x509", "-new", "-newkey", "rsa:2048", "-nodes",
                 "-keyout", key, "-out", crt, "-days", "3650", "-sha256",
                 "-subj", ca["subj"], "-set_serial", ca["serial"],
                 "-config", cnf, "-extensions", "v3_ca"])
            created_cas.add(name)
            log("  pki: created CA %s" % name)
        for name, leaf in LEAVES.items():
            key, crt, chain = (pki_path(name, "key"), pki_path(name, "crt"),
                               pki_path(name, "chain.pem"))
            if (leaf["ca"] not in created_cas and os.path.exists(key)
                    and os.path.exists(crt) and os.path.exists(chain)):
                continue
            cnf = os.path.join(tmp, name + ".cnf")
            with open(cnf, "w") as f:
                f.write(OPENSSL_CNF % {"san": leaf["san"]})
            if leaf["ca"] is None:
                # self-signed leaf: issuer == subject, signed with its own key
                run(["openssl", "req", "-x509", "-new", "-newkey", "rsa:2048", "-nodes",
                     "-keyout", key, "-out", crt, "-days", "3650", "-sha256",
                     "-subj", leaf["subj"], "-set_serial", leaf["serial"],
                     "-config", cnf, "-extensions", "v3_leaf_self"])
            else:
                csr = os.path.join(tmp, name + ".csr")
                run(["openssl", "req", "-new", "-newkey", "rsa:2048", "-nodes",
                     "-keyout", key, "-out", csr, "-subj", leaf["subj"], "-config", cnf])
                if "startdate" in leaf:
                    cadir = os.path.join(tmp, name + ".ca")
                    os.makedirs(cadir)
                    open(os.path.join(cadir, "index.txt"), "w").close()
                    with open(os.path.join(cadir, "serial"), "w") as f:
                        f.write("%X\n" % int(leaf["serial"], 16))
                    cacnf = os.path.join(tmp, name + ".ca.cnf")
                    with open(cacnf, "w") as f:
                        f.write(OPENSSL_CA_CNF % {"dir": cadir})
                    run(["openssl", "ca", "-batch", "-notext", "-preserveDN",
                         "-config", cacnf, "-cert", pki_path(leaf["ca"], "crt"),
                         "-keyfile", pki_path(leaf["ca"], "key"), "-md", "sha256",
                         "-startdate", leaf["startdate"], "-enddate", leaf["enddate"],
                         "-extfile", cnf, "-extensions", "v3_leaf",
                         "-in", csr, "-out", crt])
                else:
                    run(["openssl", "x509", "-req", "-in", csr,
                         "-CA", pki_path(leaf["ca"], "crt"),
                         "-CAkey", pki_path(leaf["ca"], "key"),
                         "-set_serial", leaf["serial"], "-days", "3650", "-sha256",
                         "-extfile", cnf, "-extensions", "v3_leaf", "-out", crt])
            with open(chain, "w") as out:
                parts = [crt] if leaf["ca"] is None else [crt, pki_path(leaf["ca"], "crt")]
                for part in parts:
                    with open(part) as f:
                        out.write(f.read())
            log("  pki: created server certificate %s (issuer %s)"
                % (name, leaf["ca"] or "self"))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


# ---------------------------------------------------------------------------
# sockets / TLS
# ---------------------------------------------------------------------------

def _tcp_opts(s, small_segments):
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    if small_segments:
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_MAXSEG, SIGNALLING_MSS)
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_WINDOW_CLAMP, SIGNALLING_WINDOW_CLAMP)


def listen(ip, small_segments=False):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    _tcp_opts(s, small_segments)          # before listen(): inherited by accept()
    s.bind((ip, PORT))
    s.listen(1)
    s.settimeout(SOCK_TIMEOUT)
    return s


def accept(lsock):
    conn, _ = lsock.accept()
    conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    conn.settimeout(SOCK_TIMEOUT)
    return conn


def connect(client_ip, server_ip, small_segments=False):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    _tcp_opts(s, small_segments)          # before connect(): affects the SYN's MSS
    s.bind((client_ip, 0))
    s.settimeout(SOCK_TIMEOUT)
    s.connect((server_ip, PORT))
    return s


def _versions(ctx, version):
    ctx.minimum_version = version
    ctx.maximum_version = version
    if version == ssl.TLSVersion.TLSv1_2:
        ctx.set_ciphers("ECDHE-RSA-AES128-GCM-SHA256")


def server_context(leaf, version):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    _versions(ctx, version)
    ctx.load_cert_chain(pki_path(leaf, "chain.pem"), pki_path(leaf, "key"))
    # No session tickets: keeps the record sequence minimal and the
    # ordering deterministic (TLS 1.3 tickets would race the first request).
    ctx.options |= ssl.OP_NO_TICKET
    ctx.num_tickets = 0
    return ctx


def client_context(ca, version, keylog):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    _versions(ctx, version)
    ctx.load_verify_locations(pki_path(ca, "crt"))
    ctx.keylog_filename = keylog
    return ctx


def tls_client_close(tls):
    """Send close_notify, wait for the peer's close_notify, then FIN."""
    raw = tls.unwrap()
    raw.close()


def tls_server_close(tls):
    """Called after the client's close_notify was read: answer it, wait for FIN."""
    raw = tls.unwrap()
    while raw.recv(4096):
        pass
    raw.close()


class ServerThread(threading.Thread):
    def __init__(self, fn, *args):
        super().__init__(daemon=True)
        self.fn, self.args, self.exc = fn, args, None

    def run(self):
        try:
            self.fn(*self.args)
        except BaseException as e:  # re-raised in the main thread
            self.exc = e

    def finish(self):
        self.join(SOCK_TIMEOUT + 5)
        if self.is_alive():
            raise RuntimeError("server thread did not finish")
        if self.exc:
            raise self.exc


# ---------------------------------------------------------------------------
# SIP / HTTP message framing
# ---------------------------------------------------------------------------

COMPACT = {"v": "via", "f": "from", "t": "to", "i": "call-id", "c": "content-type",
           "l": "content-length", "m": "contact", "k": "supported", "s": "subject",
           "e": "content-encoding"}


class Msg:
    def __init__(self, start, headers, body, raw):
        self.start, self.headers, self.body, self.raw = start, headers, body, raw

    def get(self, name):
        name = name.lower()
        for k, v in self.headers:
            if COMPACT.get(k.lower(), k.lower()) == name:
                return v
        return None

    def has_compact(self):
        return any(k.lower() in COMPACT for k, _ in self.headers)

    @property
    def method(self):
        return self.start.split(" ", 1)[0]

    @property
    def status(self):
        return self.start.split(" ", 2)[1]

    def __repr__(self):
        return "<%s>" % self.start


class Framer:
    """Stream framing for SIP (with RFC 5626 CRLF keep-alives) and HTTP/1.1."""

    def __init__(self, sock, side):
        self.sock, self.side, self.buf = sock, side, b""

    def _parse(self):
        b = self.buf
        if b.startswith(b"\r\n"):
            if self.side == "client":               # server -> client: CRLF pong
                self.buf = b[2:]
                return "PONG"
            if b.startswith(b"\r\n\r\n"):           # client -> server: CRLFCRLF ping
                self.buf = b[4:]
                return "PING"
            if len(b) < 4:
                return None                         # maybe half a ping, read more
            self.buf = b[2:]                        # stray CRLF, ignore
            return self._parse()
        idx = b.find(b"\r\n\r\n")
        if idx < 0:
            return None
        lines = b[:idx].decode("utf-8").split("\r\n")
        headers = []
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers.append((name.strip(), value.strip()))
        msg = Msg(lines[0], headers, b"", b"")
        cl = msg.get("content-length")
        if cl is None:
            if self.side != "http":   # SIP over a stream transport: mandatory
                raise ValueError("message without Content-Length: %r" % lines[0])
            cl = 0                    # HTTP request without a body
        end = idx + 4 + int(cl)
        if len(b) < end:
            return None
        msg.body, msg.raw = b[idx + 4:end], b[:end]
        self.buf = b[end:]
        return msg

    def next(self):
        """Next message, "PING"/"PONG", or None at end of stream."""
        while True:
            item = self._parse()
            if item is not None:
                return item
            data = self.sock.recv(65536)
            if not data:
                if self.buf:
                    raise ValueError("stream ended inside a message: %r" % self.buf[:60])
                return None
            self.buf += data

    def expect(self, wanted):
        """Read len(wanted) items; each is "PONG" or a status code string."""
        got = []
        for w in wanted:
            item = self.next()
            label = item if isinstance(item, str) else (
                item.status if item is not None else None)
            if label != w:
                raise RuntimeError("expected %s, got %r" % (w, item))
            got.append(item)
        return got


def build(start, headers, body=b"", cl_name="Content-Length"):
    if isinstance(body, str):
        body = body.encode("utf-8")
    lines = [start] + ["%s: %s" % (k, v) for k, v in headers]
    if cl_name:
        lines.append("%s: %d" % (cl_name, len(body)))
    return ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8") + body


def sip_response(req, code, reason, extra=(), body=b"", to_tag=None, server="Jajah SIP"):
    compact = req.has_compact()
    to = req.get("to")
    if to_tag and ";tag=" not in to:
        to += ";tag=" + to_tag
    if compact:
        hdrs = [("v", req.get("via")), ("f", req.get("from")), ("t", to),
                ("i", req.get("call-id")), ("CSeq", req.get("cseq"))]
    else:
        hdrs = [("Via", req.get("via")), ("From", req.get("from")), ("To", to),
                ("Call-ID", req.get("call-id")), ("CSeq", req.get("cseq"))]
    hdrs += list(extra)
    hdrs.append(("Server", server))
    return build("SIP/2.0 %d %s" % (code, reason), hdrs, body,
                 cl_name="l" if compact else "Content-Length")


# ---------------------------------------------------------------------------
# Scenarios A / B: TU Me signalling (SIP over TLS, tume.jajah.com)
# ---------------------------------------------------------------------------

TUME_DOMAIN = "tume.jajah.com"
TUME_USER = "34600123456"
TUME_PEER = "34600999888"
TUME_PASSWORD = "tume-test-password"
TUME_UA = "TU Me/1.0 (iPhone; iOS 5.1)"
TUME_NONCE = "4f7a1c2e000000017d3b9a51c0ffee42"
TUME_CNONCE = "0a4f113b9c2d7e61"
TUME_ALLOW = "INVITE, ACK, CANCEL, BYE, OPTIONS, MESSAGE, REGISTER"


def md5hex(s):
    return hashlib.md5(s.encode("utf-8")).hexdigest()


def digest_response(user, realm, password, method, uri, nonce, nc, cnonce, qop):
    ha1 = md5hex("%s:%s:%s" % (user, realm, password))
    ha2 = md5hex("%s:%s" % (method, uri))
    return md5hex("%s:%s:%s:%s:%s:%s" % (ha1, nonce, nc, cnonce, qop, ha2))


def parse_digest(value):
    assert value.startswith("Digest ")
    return {k: (v1 if v1 else v2) for k, v1, v2 in
            re.findall(r'(\w+)=(?:"([^"]*)"|([^\s,]+))', value[7:])}


def tume_sdp_offer(ip):
    return ("v=0\r\n"
            "o=tume 1333000000 1333000000 IN IP4 %(ip)s\r\n"
            "s=TU Me call\r\n"
            "c=IN IP4 %(ip)s\r\n"
            "t=0 0\r\n"
            "m=audio 40000 RTP/AVP 0 8 101\r\n"
            "a=rtpmap:0 PCMU/8000\r\n"
            "a=rtpmap:8 PCMA/8000\r\n"
            "a=rtpmap:101 telephone-event/8000\r\n"
            "a=fmtp:101 0-15\r\n"
            "a=ptime:20\r\n"
            "a=sendrecv\r\n" % {"ip": ip}).encode()


def tume_sdp_answer(ip):
    return ("v=0\r\n"
            "o=jajah 2012000000 2012000000 IN IP4 %(ip)s\r\n"
            "s=Jajah\r\n"
            "c=IN IP4 %(ip)s\r\n"
            "t=0 0\r\n"
            "m=audio 40002 RTP/AVP 0 101\r\n"
            "a=rtpmap:0 PCMU/8000\r\n"
            "a=rtpmap:101 telephone-event/8000\r\n"
            "a=fmtp:101 0-15\r\n"
            "a=ptime:20\r\n"
            "a=sendrecv\r\n" % {"ip": ip}).encode()


def tume_client(tls, cip, sip_ip):
    f = Framer(tls, "client")
    me = "<sip:%s@%s>" % (TUME_USER, TUME_DOMAIN)
    peer = "<sip:%s@%s>" % (TUME_PEER, TUME_DOMAIN)
    peer_uri = "sip:%s@%s" % (TUME_PEER, TUME_DOMAIN)
    contact = "<sip:%s@%s:50600;transport=tls>" % (TUME_USER, cip)

    def via(branch):
        return "SIP/2.0/TLS %s:50600;branch=%s" % (cip, branch)

    # 1. CRLF keep-alive ping -> pong (first application data record)
    tls.sendall(b"\r\n\r\n")
    f.expect(["PONG"])

    # 2. REGISTER without credentials -> 401
    reg_uri = "sip:" + TUME_DOMAIN

    def register(cseq, branch, auth=None):
        h = [("Via", via(branch)), ("Max-Forwards", "70"),
             ("From", me + ";tag=tume-a1"), ("To", me),
             ("Call-ID", "reg-0001@tume-iphone"), ("CSeq", "%d REGISTER" % cseq),
             ("Contact", contact)]
        if auth:
            h.append(("Authorization", auth))
        h += [("User-Agent", TUME_UA), ("Expires", "3600")]
        return build("REGISTER %s SIP/2.0" % reg_uri, h)

    tls.sendall(register(1, "z9hG4bK-reg-1"))
    (r401,) = f.expect(["401"])
    chal = parse_digest(r401.get("www-authenticate"))

    # 3. REGISTER with Digest credentials -> 200
    nc = "00000001"
    resp = digest_response(TUME_USER, chal["realm"], TUME_PASSWORD, "REGISTER", reg_uri,
                           chal["nonce"], nc, TUME_CNONCE, "auth")
    auth = ('Digest username="%s", realm="%s", nonce="%s", uri="%s", response="%s", '
            'algorithm=MD5, cnonce="%s", qop=auth, nc=%s'
            % (TUME_USER, chal["realm"], chal["nonce"], reg_uri, resp, TUME_CNONCE, nc))
    tls.sendall(register(2, "z9hG4bK-reg-2", auth))
    f.expect(["200"])

    # 4. OPTIONS -> 200 with Allow
    tls.sendall(build("OPTIONS sip:%s SIP/2.0" % TUME_DOMAIN, [
        ("Via", via("z9hG4bK-opt-1")), ("Max-Forwards", "70"),
        ("From", me + ";tag=tume-o1"), ("To", "<sip:%s>" % TUME_DOMAIN),
        ("Call-ID", "opt-0001@tume-iphone"), ("CSeq", "1 OPTIONS"),
        ("Contact", contact), ("Accept", "application/sdp"),
        ("User-Agent", TUME_UA)]))
    f.expect(["200"])

    # 5. MESSAGE text/plain -> 202
    tls.sendall(build("MESSAGE %s SIP/2.0" % peer_uri, [
        ("Via", via("z9hG4bK-msg-1")), ("Max-Forwards", "70"),
        ("From", me + ";tag=tume-m1"), ("To", peer),
        ("Call-ID", "msg-0001@tume-iphone"), ("CSeq", "1 MESSAGE"),
        ("User-Agent", TUME_UA), ("Content-Type", "text/plain")],
        "Hola, esto es TU Me"))
    f.expect(["202"])

    # 6. INVITE with SDP, sent as two TLS records -> [100+180] , [200+SDP]
    invite = build("INVITE %s SIP/2.0" % peer_uri, [
        ("Via", via("z9hG4bK-inv-1")), ("Max-Forwards", "70"),
        ("From", me + ";tag=tume-c1"), ("To", peer),
        ("Call-ID", "call-0001@tume-iphone"), ("CSeq", "1 INVITE"),
        ("Contact", contact), ("Allow", TUME_ALLOW),
        ("User-Agent", TUME_UA), ("Content-Type", "application/sdp")],
        tume_sdp_offer(cip))
    body_start = invite.index(b"\r\n\r\n") + 4
    split = body_start + (len(invite) - body_start) // 2
    # split in the middle of an SDP line, so that the second record does not
    # start (or the first end) with CRLF -- that would look like a keep-alive
    while invite[split - 1:split + 1].strip(b"\r\n") != invite[split - 1:split + 1]:
        split += 1
    tls.sendall(invite[:split])
    tls.sendall(invite[split:])
    f.expect(["100", "180", "200"])

    # 7. ACK (no reply)
    tls.sendall(build("ACK %s SIP/2.0" % peer_uri, [
        ("Via", via("z9hG4bK-ack-1")), ("Max-Forwards", "70"),
        ("From", me + ";tag=tume-c1"), ("To", peer + ";tag=jajah-c1"),
        ("Call-ID", "call-0001@tume-iphone"), ("CSeq", "1 ACK"),
        ("User-Agent", TUME_UA)]))

    # 7b. the call's media: RTP/UDP between the ports the SDP negotiated
    rtp_exchange(cip, 40000, sip_ip, 40002)

    # 8. MESSAGE with compact headers -> compact 200
    tls.sendall(build("MESSAGE %s SIP/2.0" % peer_uri, [
        ("v", via("z9hG4bK-msg-2")), ("Max-Forwards", "70"),
        ("f", me + ";tag=tume-m2"), ("t", peer),
        ("i", "msg-0002@tume-iphone"), ("CSeq", "1 MESSAGE"),
        ("User-Agent", TUME_UA), ("c", "text/plain")],
        "compact", cl_name="l"))
    f.expect(["200"])

    # 9. BYE -> 200
    tls.sendall(build("BYE %s SIP/2.0" % peer_uri, [
        ("Via", via("z9hG4bK-bye-1")), ("Max-Forwards", "70"),
        ("From", me + ";tag=tume-c1"), ("To", peer + ";tag=jajah-c1"),
        ("Call-ID", "call-0001@tume-iphone"), ("CSeq", "2 BYE"),
        ("User-Agent", TUME_UA)]))
    f.expect(["200"])

    # 10. CRLF keep-alive again
    tls.sendall(b"\r\n\r\n")
    f.expect(["PONG"])


RTP_PACKETS = 5


def rtp_packet(seq, ts, ssrc):
    # RTP v2, PT 0 (PCMU), 20 ms of silence (0xff)
    return struct.pack("!BBHII", 0x80, 0, seq, ts, ssrc) + b"\xff" * 160


def rtp_exchange(cip, cport, sip_ip, sport):
    """RTP_PACKETS packets each way between the SDP offer's and answer's ports."""
    srv = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    srv.bind((sip_ip, sport))
    srv.settimeout(SOCK_TIMEOUT)
    cli = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    cli.bind((cip, cport))
    cli.settimeout(SOCK_TIMEOUT)
    try:
        for i in range(RTP_PACKETS):
            cli.sendto(rtp_packet(1000 + i, 160 * i, 0x7E3E0001), (sip_ip, sport))
            srv.recvfrom(2048)
            srv.sendto(rtp_packet(2000 + i, 160 * i, 0x7E3E0002), (cip, cport))
            cli.recvfrom(2048)
    finally:
        srv.close()
        cli.close()


def tume_server(tls, sip_ip):
    f = Framer(tls, "server")
    while True:
        req = f.next()
        if req is None:
            return
        if req == "PING":
            tls.sendall(b"\r\n")
            continue
        m = req.method
        if m == "REGISTER":
            auth = req.get("authorization")
            if auth is None:
                tls.sendall(sip_response(req, 401, "Unauthorized", [
                    ("WWW-Authenticate",
                     'Digest realm="%s", nonce="%s", algorithm=MD5, qop="auth"'
                     % (TUME_DOMAIN, TUME_NONCE))], to_tag="jajah-r1"))
                continue
            d = parse_digest(auth)
            want = digest_response(d["username"], d["realm"], TUME_PASSWORD, "REGISTER",
                                   d["uri"], d["nonce"], d["nc"], d["cnonce"], d["qop"])
            if d["response"] != want or d["nonce"] != TUME_NONCE:
                raise RuntimeError("digest check failed")
            tls.sendall(sip_response(req, 200, "OK", [
                ("Contact", req.get("contact") + ";expires=3600"),
                ("Expires", "3600")], to_tag="jajah-r1"))
        elif m == "OPTIONS":
            tls.sendall(sip_response(req, 200, "OK", [
                ("Allow", TUME_ALLOW), ("Accept", "application/sdp, text/plain"),
                ("Supported", "path, outbound")], to_tag="jajah-o1"))
        elif m == "MESSAGE":
            if req.has_compact():
                tls.sendall(sip_response(req, 200, "OK", to_tag="jajah-m2"))
            else:
                tls.sendall(sip_response(req, 202, "Accepted", to_tag="jajah-m1"))
        elif m == "INVITE":
            if req.get("content-type") != "application/sdp" or b"m=audio 40000" not in req.body:
                raise RuntimeError("bad INVITE body")
            contact = "<sip:%s@%s:443;transport=tls>" % (TUME_PEER, sip_ip)
            tls.sendall(sip_response(req, 100, "Trying") +
                        sip_response(req, 180, "Ringing", [("Contact", contact)],
                                     to_tag="jajah-c1"))
            tls.sendall(sip_response(req, 200, "OK", [
                ("Contact", contact), ("Allow", TUME_ALLOW),
                ("Content-Type", "application/sdp")],
                tume_sdp_answer(sip_ip), to_tag="jajah-c1"))
        elif m == "ACK":
            pass
        elif m == "BYE":
            tls.sendall(sip_response(req, 200, "OK"))
        else:
            raise RuntimeError("unexpected request %r" % req)


def tls_connection(cip, sip_ip, leaf, server_fn, cctx, sni, client_fn, version,
                   small_segments=False, ciphers=None):
    """One TLS connection cip -> sip_ip:443 with the leaf certificate's server;
    server_fn(tls) and client_fn(tls) speak; returns after both sides closed."""
    lsock = listen(sip_ip, small_segments=small_segments)
    sctx = server_context(leaf, version)
    if ciphers:
        sctx.set_ciphers(ciphers)

    def server():
        try:
            tls = sctx.wrap_socket(accept(lsock), server_side=True)
        finally:
            lsock.close()
        server_fn(tls)
        tls_server_close(tls)

    th = ServerThread(server)
    th.start()
    tls = cctx.wrap_socket(connect(cip, sip_ip, small_segments=small_segments), server_hostname=sni)
    with open(pki_path(leaf, "crt")) as f:
        want = ssl.PEM_cert_to_DER_cert(f.read())
    if tls.getpeercert(binary_form=True) != want:
        raise RuntimeError("server did not present %s" % leaf)
    client_fn(tls)
    tls_client_close(tls)
    th.finish()


def scenario_tume(version, cip, sip_ip):
    def go(keylog):
        tls_connection(cip, sip_ip, "sip.tume.jajah.com", lambda tls: tume_server(tls, sip_ip),
                       client_context("tume-ca", version, keylog), "sip.tume.jajah.com",
                       lambda tls: tume_client(tls, cip, sip_ip), version, small_segments=True)
    return go


# ---------------------------------------------------------------------------
# Scenario G: TU Me signalling edge cases (TLS 1.2, 127.0.0.7 -> 127.0.0.12)
#   1. the first application-data record is a partial start line ("OPTI"),
#      the rest of the OPTIONS follows in a second record -> 200 OK
#   2. one record holding a CRLFCRLF ping followed by a MESSAGE -> pong, 202
#   3. a MESSAGE whose Content-Length is not a number (cannot be framed)
# ---------------------------------------------------------------------------

EDGE_BROKEN = ("MESSAGE sip:%s@%s SIP/2.0\r\n"
               "Call-ID: broken-0001@tume-iphone\r\n"
               "Content-Length: 12abc\r\n\r\nbroken body!" % (TUME_PEER, TUME_DOMAIN)).encode()


def tume_edge_client(tls, cip):
    f = Framer(tls, "client")
    me = "<sip:%s@%s>" % (TUME_USER, TUME_DOMAIN)
    via = "SIP/2.0/TLS %s:50600;branch=" % cip
    options = build("OPTIONS sip:%s SIP/2.0" % TUME_DOMAIN, [
        ("Via", via + "z9hG4bK-edge-1"), ("Max-Forwards", "70"),
        ("From", me + ";tag=edge-o1"), ("To", "<sip:%s>" % TUME_DOMAIN),
        ("Call-ID", "edge-opt-0001@tume-iphone"), ("CSeq", "1 OPTIONS"),
        ("User-Agent", TUME_UA)])
    tls.sendall(options[:4])
    time.sleep(0.05)
    tls.sendall(options[4:])
    f.expect(["200"])
    message = build("MESSAGE sip:%s@%s SIP/2.0" % (TUME_PEER, TUME_DOMAIN), [
        ("Via", via + "z9hG4bK-edge-2"), ("Max-Forwards", "70"),
        ("From", me + ";tag=edge-m1"), ("To", "<sip:%s@%s>" % (TUME_PEER, TUME_DOMAIN)),
        ("Call-ID", "edge-msg-0001@tume-iphone"), ("CSeq", "1 MESSAGE"),
        ("User-Agent", TUME_UA), ("Content-Type", "text/plain")], "ping first")
    tls.sendall(b"\r\n\r\n" + message)
    f.expect(["PONG", "202"])
    tls.sendall(EDGE_BROKEN)
    time.sleep(0.05)


def tume_edge_server(tls):
    f = Framer(tls, "server")
    req = f.next()
    if getattr(req, "method", None) != "OPTIONS":
        raise RuntimeError("edge: expected OPTIONS, got %r" % req)
    tls.sendall(sip_response(req, 200, "OK", [("Allow", TUME_ALLOW)], to_tag="jajah-e1"))
    if f.next() != "PING":
        raise RuntimeError("edge: expected a ping")
    tls.sendall(b"\r\n")
    req = f.next()
    if getattr(req, "method", None) != "MESSAGE":
        raise RuntimeError("edge: expected MESSAGE, got %r" % req)
    tls.sendall(sip_response(req, 202, "Accepted", to_tag="jajah-e2"))
    # the broken message: read raw bytes until the client's close_notify
    got = f.buf
    while len(got) < len(EDGE_BROKEN):
        data = tls.recv(4096)
        if not data:
            break
        got += data
    if got != EDGE_BROKEN:
        raise RuntimeError("edge: broken message not received whole")


def scenario_tume_edge(keylog):
    version, cip, sip_ip = ssl.TLSVersion.TLSv1_2, "127.0.0.7", "127.0.0.12"
    tls_connection(cip, sip_ip, "sip.tume.jajah.com", tume_edge_server,
                   client_context("tume-ca", version, keylog), "sip.tume.jajah.com",
                   lambda tls: tume_edge_client(tls, cip), version)


# ---------------------------------------------------------------------------
# Scenario C: SIP over TLS to a non-TU Me server (negative)
# ---------------------------------------------------------------------------

OTHER_UA = "Linphone/3.5.2 (belle-sip)"
OTHER_SERVER = "Example SIP Server 1.0"


def other_sip_client(tls, cip):
    f = Framer(tls, "client")
    me = "<sip:alice@example.org>"
    contact = "<sip:alice@%s:5061;transport=tls>" % cip

    def via(branch):
        return "SIP/2.0/TLS %s:5061;branch=%s" % (cip, branch)

    tls.sendall(build("REGISTER sip:example.org SIP/2.0", [
        ("Via", via("z9hG4bK-lp-reg-1")), ("Max-Forwards", "70"),
        ("From", me + ";tag=lp-r1"), ("To", me),
        ("Call-ID", "other-reg-1@linphone"), ("CSeq", "1 REGISTER"),
        ("Contact", contact), ("User-Agent", OTHER_UA), ("Expires", "600")]))
    f.expect(["200"])
    tls.sendall(build("MESSAGE sip:bob@example.org SIP/2.0", [
        ("Via", via("z9hG4bK-lp-msg-1")), ("Max-Forwards", "70"),
        ("From", me + ";tag=lp-m1"), ("To", "<sip:bob@example.org>"),
        ("Call-ID", "other-msg-1@linphone"), ("CSeq", "1 MESSAGE"),
        ("User-Agent", OTHER_UA), ("Content-Type", "text/plain")], "hello"))
    f.expect(["200"])
    tls.sendall(build("OPTIONS sip:example.org SIP/2.0", [
        ("Via", via("z9hG4bK-lp-opt-1")), ("Max-Forwards", "70"),
        ("From", me + ";tag=lp-o1"), ("To", "<sip:example.org>"),
        ("Call-ID", "other-opt-1@linphone"), ("CSeq", "1 OPTIONS"),
        ("Contact", contact), ("Accept", "application/sdp"),
        ("User-Agent", OTHER_UA)]))
    f.expect(["200"])


def other_sip_server(tls):
    f = Framer(tls, "server")
    while True:
        req = f.next()
        if req is None:
            return
        if req == "PING":
            tls.sendall(b"\r\n")
            continue
        m = req.method
        if m == "REGISTER":
            tls.sendall(sip_response(req, 200, "OK", [
                ("Contact", req.get("contact") + ";expires=600"), ("Expires", "600")],
                to_tag="srv-r1", server=OTHER_SERVER))
        elif m == "MESSAGE":
            tls.sendall(sip_response(req, 200, "OK", to_tag="srv-m1", server=OTHER_SERVER))
        elif m == "OPTIONS":
            tls.sendall(sip_response(req, 200, "OK", [
                ("Allow", "INVITE, ACK, CANCEL, BYE, OPTIONS, MESSAGE, REGISTER")],
                to_tag="srv-o1", server=OTHER_SERVER))
        else:
            raise RuntimeError("unexpected request %r" % req)


def scenario_other_sip(keylog):
    cip, sip_ip = "127.0.0.3", "127.0.0.20"
    version = ssl.TLSVersion.TLSv1_2
    tls_connection(cip, sip_ip, "sip.example.org", other_sip_server,
                   client_context("other-ca", version, keylog), "sip.example.org",
                   lambda tls: other_sip_client(tls, cip), version)


# ---------------------------------------------------------------------------
# Scenario D: HTTPS JSON API (negative)
# ---------------------------------------------------------------------------

def https_json_server(tls):
    f = Framer(tls, "http")
    while True:
        req = f.next()
        if req is None:
            break
        if req.start == "POST /v1/items HTTP/1.1":
            if req.body != b'{"name":"widget","count":3}':
                raise RuntimeError("bad POST body")
            body = '{"id":42,"status":"created"}'
        elif req.start == "GET /v1/items/42 HTTP/1.1":
            body = '{"id":42,"name":"widget"}'
        else:
            raise RuntimeError("unexpected request %r" % req)
        tls.sendall(build("HTTP/1.1 200 OK", [
            ("Server", "example-api/1.0"), ("Content-Type", "application/json"),
            ("Connection", "keep-alive")], body))


def https_json_client(tls):
    f = Framer(tls, "http")
    tls.sendall(build("POST /v1/items HTTP/1.1", [
        ("Host", "api.example.net"), ("User-Agent", "example-client/1.0"),
        ("Accept", "application/json"), ("Content-Type", "application/json")],
        '{"name":"widget","count":3}'))
    f.expect(["200"])
    tls.sendall(build("GET /v1/items/42 HTTP/1.1", [
        ("Host", "api.example.net"), ("User-Agent", "example-client/1.0"),
        ("Accept", "application/json")], cl_name=None))
    f.expect(["200"])


def scenario_https_json(keylog):
    version = ssl.TLSVersion.TLSv1_2
    tls_connection("127.0.0.4", "127.0.0.30", "api.example.net", https_json_server,
                   client_context("other-ca", version, keylog), "api.example.net",
                   https_json_client, version)


# ---------------------------------------------------------------------------
# Scenario O: TU Me provisioning API edge cases (TLS 1.2, 127.0.0.24 -> .34)
#   1. two pipelined requests (register + validate) in ONE record, answered
#      by two responses in ONE record
#   2. a profile request whose JSON body is broken -> 400
#   3. a contacts request nested 200 levels deep -> 400
# ---------------------------------------------------------------------------

API_EDGE_UA = "TUMe/1.0 CFNetwork/548.1.4 Darwin/11.0.0"
API_EDGE_BROKEN = '{"msisdn":"+34600123456","screenName":'
API_EDGE_DEEP = '{"contacts":' + "[" * 200 + "]" * 200 + "}"
API_EDGE_ERROR = '{"error":{"code":400,"message":"bad request"}}'


def api_edge_request(method, path, body):
    return build("%s %s HTTP/1.1" % (method, path), [
        ("Host", "api.tu.com"), ("User-Agent", API_EDGE_UA), ("Accept", "application/json"),
        ("Content-Type", "application/json")], body)


def api_edge_response(code, reason, body):
    return build("HTTP/1.1 %d %s" % (code, reason), [("Content-Type", "application/json")], body)


API_EDGE_REGISTER = '{"msisdn":"+34600123456","locale":"es_ES"}'
API_EDGE_VALIDATE = '{"msisdn":"+34600123456","pin":"4821"}'
API_EDGE_CONFIG = ('{"userId":"u-5f1c2a9e","sip":{"domain":"tume.jajah.com","proxy":"sip.tume.jajah.com",'
                   '"port":443,"transport":"tls","username":"34600123456","password":"k7Qx-2mZ"}}')


def tume_api_edge_server(tls):
    f = Framer(tls, "http")
    a, b = f.next(), f.next()
    if (a.start, a.body, b.start, b.body) != ("POST /tume/v1/register HTTP/1.1", API_EDGE_REGISTER.encode(),
                                              "POST /tume/v1/validate HTTP/1.1", API_EDGE_VALIDATE.encode()):
        raise RuntimeError("api edge: unexpected pipelined requests %r %r" % (a, b))
    tls.sendall(api_edge_response(200, "OK", '{"status":"pending","pinLength":4}') +
                api_edge_response(200, "OK", API_EDGE_CONFIG))
    for want in (("PUT /tume/v1/profile HTTP/1.1", API_EDGE_BROKEN),
                 ("POST /tume/v1/contacts HTTP/1.1", API_EDGE_DEEP)):
        req = f.next()
        if req is None or (req.start, req.body) != (want[0], want[1].encode()):
            raise RuntimeError("api edge: expected %s, got %r" % (want[0], req))
        tls.sendall(api_edge_response(400, "Bad Request", API_EDGE_ERROR))
    if f.next() is not None:
        raise RuntimeError("api edge: unexpected extra request")


def tume_api_edge_client(tls):
    f = Framer(tls, "http")
    tls.sendall(api_edge_request("POST", "/tume/v1/register", API_EDGE_REGISTER) +
                api_edge_request("POST", "/tume/v1/validate", API_EDGE_VALIDATE))
    f.expect(["200", "200"])
    tls.sendall(api_edge_request("PUT", "/tume/v1/profile", API_EDGE_BROKEN))
    f.expect(["400"])
    tls.sendall(api_edge_request("POST", "/tume/v1/contacts", API_EDGE_DEEP))
    f.expect(["400"])


def scenario_tume_api_edge(keylog):
    version = ssl.TLSVersion.TLSv1_2
    tls_connection("127.0.0.24", "127.0.0.34", "api.tu.com", tume_api_edge_server,
                   client_context("tu-ca", version, keylog), "api.tu.com", tume_api_edge_client, version)


# ---------------------------------------------------------------------------
# Scenario E: plain HTTP on 443 (negative, no TLS)
# ---------------------------------------------------------------------------

def scenario_plain_http(_keylog):
    cip, sip_ip = "127.0.0.5", "127.0.0.40"
    lsock = listen(sip_ip)

    def server():
        try:
            conn = accept(lsock)
        finally:
            lsock.close()
        f = Framer(conn, "http")
        req = f.next()
        if req.start != "GET /index.html HTTP/1.1":
            raise RuntimeError("unexpected request %r" % req)
        conn.sendall(build("HTTP/1.1 200 OK", [
            ("Server", "example-httpd/1.0"), ("Content-Type", "text/html"),
            ("Connection", "close")], "<html>hi</html>"))
        conn.close()                       # server closes (Connection: close)

    th = ServerThread(server)
    th.start()
    s = connect(cip, sip_ip)
    s.sendall(b"GET /index.html HTTP/1.1\r\nHost: www.example.com\r\n"
              b"User-Agent: example-client/1.0\r\nAccept: text/html\r\n"
              b"Connection: close\r\n\r\n")
    data = b""
    while True:
        d = s.recv(65536)
        if not d:
            break
        data += d
    if not data.startswith(b"HTTP/1.1 200 OK") or not data.endswith(b"<html>hi</html>"):
        raise RuntimeError("bad HTTP response")
    s.close()
    th.finish()


# ---------------------------------------------------------------------------
# Scenario F: non-TLS binary / clear-text on 443 (negative, no TLS)
# ---------------------------------------------------------------------------

def recv_exact(s, n):
    data = b""
    while len(data) < n:
        d = s.recv(n - len(data))
        if not d:
            raise RuntimeError("short read")
        data += d
    return data


def exchange_plain(cip, sip_ip, c2s, s2c):
    lsock = listen(sip_ip)

    def server():
        try:
            conn = accept(lsock)
        finally:
            lsock.close()
        if recv_exact(conn, len(c2s)) != c2s:
            raise RuntimeError("bad client data")
        conn.sendall(s2c)
        if conn.recv(4096):                # wait for the client's FIN
            raise RuntimeError("unexpected extra data")
        conn.close()

    th = ServerThread(server)
    th.start()
    s = connect(cip, sip_ip)
    s.sendall(c2s)
    if recv_exact(s, len(s2c)) != s2c:
        raise RuntimeError("bad server data")
    s.close()
    th.finish()


def scenario_non_tls(_keylog):
    rng = random.Random(443)
    c2s = rng.randbytes(300)
    s2c = rng.randbytes(100)
    exchange_plain("127.0.0.6", "127.0.0.50", c2s, s2c)
    time.sleep(0.2)
    exchange_plain("127.0.0.6", "127.0.0.51", b"SIP/2.0 200 OK\r\n\r\n", b"OK\r\n")


# ---------------------------------------------------------------------------
# Scenario H: TU Me provisioning, HTTPS JSON to api.tu.com (TLS 1.2)
# ---------------------------------------------------------------------------

TUME_PROV_UA = "TUMe/1.0 CFNetwork/548.1.4 Darwin/11.0.0"
TUME_PROV_REQ = '{"msisdn":"+34600123456","locale":"es_ES"}'
TUME_PROV_RESP = '{"status":"pending","pinLength":4}'


def tume_provisioning_server(tls):
    f = Framer(tls, "http")
    req = f.next()
    if getattr(req, "start", None) != "POST /tume/v1/register HTTP/1.1":
        raise RuntimeError("unexpected request %r" % req)
    if req.body != TUME_PROV_REQ.encode():
        raise RuntimeError("bad POST body")
    tls.sendall(build("HTTP/1.1 200 OK", [("Content-Type", "application/json")], TUME_PROV_RESP))
    if f.next() is not None:          # keep-alive: wait for close_notify
        raise RuntimeError("unexpected second request")


def tume_provisioning_client(tls):
    f = Framer(tls, "http")
    tls.sendall(build("POST /tume/v1/register HTTP/1.1", [
        ("Host", "api.tu.com"), ("User-Agent", TUME_PROV_UA),
        ("Content-Type", "application/json")], TUME_PROV_REQ))
    (resp,) = f.expect(["200"])
    if resp.body != TUME_PROV_RESP.encode():
        raise RuntimeError("bad response body")


def scenario_tume_provisioning(keylog):
    version = ssl.TLSVersion.TLSv1_2
    tls_connection("127.0.0.8", "127.0.0.13", "api.tu.com", tume_provisioning_server,
                   client_context("tu-ca", version, keylog), "api.tu.com", tume_provisioning_client,
                   version)


# ---------------------------------------------------------------------------
# Scenarios J / K: short TU Me SIP dialogues
# ---------------------------------------------------------------------------

def tume_simple_server(tls, tag):
    """Answers every TU Me request with 200 OK (no authentication)."""
    f = Framer(tls, "server")
    while True:
        req = f.next()
        if req is None:
            return
        if req == "PING":
            tls.sendall(b"\r\n")
            continue
        m = req.method
        if m == "REGISTER":
            tls.sendall(sip_response(req, 200, "OK", [
                ("Contact", req.get("contact") + ";expires=3600"),
                ("Expires", "3600")], to_tag=tag + "-r"))
        elif m == "MESSAGE":
            tls.sendall(sip_response(req, 200, "OK", to_tag=tag + "-m"))
        elif m == "OPTIONS":
            tls.sendall(sip_response(req, 200, "OK", [
                ("Allow", TUME_ALLOW), ("Accept", "application/sdp, text/plain")],
                to_tag=tag + "-o"))
        else:
            raise RuntimeError("unexpected request %r" % req)


def tume_options(tls, cip, call_id, branch, tag):
    f = Framer(tls, "client")
    tls.sendall(build("OPTIONS sip:%s SIP/2.0" % TUME_DOMAIN, [
        ("Via", "SIP/2.0/TLS %s:50600;branch=%s" % (cip, branch)),
        ("Max-Forwards", "70"),
        ("From", "<sip:%s@%s>;tag=%s" % (TUME_USER, TUME_DOMAIN, tag)),
        ("To", "<sip:%s>" % TUME_DOMAIN),
        ("Call-ID", call_id), ("CSeq", "1 OPTIONS"),
        ("Contact", "<sip:%s@%s:50600;transport=tls>" % (TUME_USER, cip)),
        ("Accept", "application/sdp"), ("User-Agent", TUME_UA)]))
    f.expect(["200"])


# J: TLS 1.2 with static RSA key exchange; the capture carries no secrets and
# is decrypted with pki/sip.tume.jajah.com.key.
TUME_RSA_CIPHER = "AES128-GCM-SHA256"      # TLS_RSA_WITH_AES_128_GCM_SHA256


def tume_rsa_client(tls, cip):
    if tls.cipher()[0] != TUME_RSA_CIPHER:
        raise RuntimeError("negotiated %r, not static RSA" % (tls.cipher(),))
    f = Framer(tls, "client")
    me = "<sip:%s@%s>" % (TUME_USER, TUME_DOMAIN)

    def via(branch):
        return "SIP/2.0/TLS %s:50600;branch=%s" % (cip, branch)

    tls.sendall(build("REGISTER sip:%s SIP/2.0" % TUME_DOMAIN, [
        ("Via", via("z9hG4bK-rsa-reg-1")), ("Max-Forwards", "70"),
        ("From", me + ";tag=rsa-r1"), ("To", me),
        ("Call-ID", "rsa-reg-0001@tume-iphone"), ("CSeq", "1 REGISTER"),
        ("Contact", "<sip:%s@%s:50600;transport=tls>" % (TUME_USER, cip)),
        ("User-Agent", TUME_UA), ("Expires", "3600")]))
    f.expect(["200"])
    tls.sendall(build("MESSAGE sip:%s@%s SIP/2.0" % (TUME_PEER, TUME_DOMAIN), [
        ("Via", via("z9hG4bK-rsa-msg-1")), ("Max-Forwards", "70"),
        ("From", me + ";tag=rsa-m1"), ("To", "<sip:%s@%s>" % (TUME_PEER, TUME_DOMAIN)),
        ("Call-ID", "rsa-msg-0001@tume-iphone"), ("CSeq", "1 MESSAGE"),
        ("User-Agent", TUME_UA), ("Content-Type", "text/plain")], "via RSA"))
    f.expect(["200"])


def scenario_tume_rsa(_keylog):
    cip, version = "127.0.0.9", ssl.TLSVersion.TLSv1_2
    cctx = client_context("tume-ca", version, None)    # no key log at all
    cctx.set_ciphers(TUME_RSA_CIPHER)
    tls_connection(cip, "127.0.0.14", "sip.tume.jajah.com", lambda tls: tume_simple_server(tls, "jajah-rsa"),
                   cctx, "sip.tume.jajah.com", lambda tls: tume_rsa_client(tls, cip), version,
                   ciphers=TUME_RSA_CIPHER)


# K: three connections, each to a server with a bad certificate; the client
# does not verify anything.
ANOMALIES = [
    # server address, SNI sent by the client, certificate the server presents
    ("127.0.0.15", "old.tume.jajah.com", "old.tume.jajah.com"),                # expired
    ("127.0.0.16", "selfsigned.tume.jajah.com", "selfsigned.tume.jajah.com"),  # self-signed
    ("127.0.0.17", "sip.tume.jajah.com", "media.jajah.com"),                   # SNI not covered
]


def scenario_tume_anomalies(keylog):
    cip = "127.0.0.19"
    version = ssl.TLSVersion.TLSv1_2
    cctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    _versions(cctx, version)
    cctx.check_hostname = False
    cctx.verify_mode = ssl.CERT_NONE
    cctx.keylog_filename = keylog
    for i, (sip_ip, sni, leaf) in enumerate(ANOMALIES, 1):
        tls_connection(
            cip, sip_ip, leaf, lambda tls, i=i: tume_simple_server(tls, "jajah-a%d" % i),
            cctx, sni,
            lambda tls, i=i: tume_options(tls, cip, "anomaly-%d@tume-iphone" % i,
                                          "z9hG4bK-anomaly-%d" % i, "anomaly-o%d" % i),
            version)
        time.sleep(0.2)


# ---------------------------------------------------------------------------
# Scenarios L / M / N: the whole TU Me provisioning flow, made by curl
#   (a real HTTP client) against http.server + ssl (TLS 1.2, HTTP/1.1)
# ---------------------------------------------------------------------------

API_MSISDN = "+34600123456"
API_USER_ID = "u-5f1c2a9e"
API_PUSH_TOKEN = "a1b2c3d4" * 8
API_BASIC = "Basic MzQ2MDAxMjM0NTY6azdReC0ybVo="      # 34600123456:k7Qx-2mZ
API_TOKEN = "at-9c1e77f0b2"
API_CONTACTS = 200
API_CHUNK = 1024                   # data bytes per chunk of the chunked reply
API_LOOKALIKE_UA = "ExampleApp/2.0"
API_VALIDATE_REPLY = (
    '{"userId":"u-5f1c2a9e","sip":{"domain":"tume.jajah.com",'
    '"proxy":"sip.tume.jajah.com","port":443,"transport":"tls",'
    '"username":"34600123456","password":"k7Qx-2mZ"},'
    '"auth":{"realm":"tume","clientId":"tume-ios"},'
    '"features":{"text":true,"talk":true,"share":true}}')
# N: the same reply without any jajah host name
API_LOOKALIKE_VALIDATE_REPLY = API_VALIDATE_REPLY.replace(
    '"domain":"tume.jajah.com","proxy":"sip.tume.jajah.com"',
    '"domain":"sip.example.net","proxy":"example.net"')
assert "jajah" not in API_LOOKALIKE_VALIDATE_REPLY

# what curl prints after each transfer (its body goes to /dev/null)
API_WRITE_OUT = "%{json}\\n"


def _jdump(obj):
    return json.dumps(obj, separators=(",", ":"))


class ApiStep:
    """One request of the flow: what curl sends, what the server answers."""

    def __init__(self, method, path, curl_args, body=None, headers=(),
                 status=200, reply=None, encoding=None, compressed=False):
        self.method, self.path, self.curl_args = method, path, list(curl_args)
        self.body = None if body is None else body.encode("utf-8")
        self.headers = dict(headers)       # extra request headers (lower-case names)
        self.status = status
        self.reply = None if reply is None else reply.encode("utf-8")
        self.encoding = encoding           # None, "chunked" or "gzip"
        self.compressed = compressed       # curl --compressed: Accept-Encoding

    def wire_reply(self):
        """The response body bytes as sent (gzip-compressed for "gzip")."""
        if self.encoding == "gzip":
            return gzip.compress(self.reply, compresslevel=9, mtime=0)
        return self.reply


def api_flow(validate_reply):
    json_ct = ("content-type", "application/json")
    register = _jdump({"msisdn": API_MSISDN, "locale": "es_ES"})
    push = _jdump({"pushToken": API_PUSH_TOKEN, "pushService": "apns"})
    validate = _jdump({"msisdn": API_MSISDN, "pin": "4821"})
    profile = _jdump({"msisdn": API_MSISDN, "userId": API_USER_ID, "screenName": "Ana"})
    contacts = _jdump({"contacts": [
        {"name": "Contact %03d" % i, "phones": ["+34600000%03d" % i]}
        for i in range(1, API_CONTACTS + 1)]})
    contacts_reply = _jdump({"contacts": [
        {"phone": "+34600000%03d" % i, "tumeUser": i % 7 == 0}
        for i in range(1, API_CONTACTS + 1)]})
    ok = '{"status":"ok"}'

    def post(body, extra=()):
        return ["--data-binary", body, "-H", "Content-Type: application/json"] + list(extra)

    def put(body):
        return ["-X", "PUT"] + post(body)

    return [
        ApiStep("POST", "/tume/v1/register", post(register), register, [json_ct],
                reply='{"status":"pending","pinLength":4}'),
        ApiStep("PUT", "/tume/v1/push", put(push), push, [json_ct], reply=ok),
        ApiStep("POST", "/tume/v1/validate", post(validate), validate, [json_ct],
                reply=validate_reply),
        ApiStep("PUT", "/tume/v1/profile", put(profile), profile, [json_ct], reply=ok),
        # "Expect:" stops curl from ever sending Expect: 100-continue
        ApiStep("POST", "/tume/v1/contacts", post(contacts, ["-H", "Expect:"]),
                contacts, [json_ct], reply=contacts_reply, encoding="chunked"),
        # empty body: Content-Length: 0, curl's default Content-Type removed
        ApiStep("POST", "/tume/v1/auth",
                ["--data-binary", "", "-H", "Content-Type:",
                 "-H", "Authorization: " + API_BASIC, "--compressed"],
                "", [("authorization", API_BASIC)],
                reply='{"accessToken":"%s","expiresIn":3600}' % API_TOKEN,
                encoding="gzip", compressed=True),
        ApiStep("GET", "/tume/v1/history", [], reply='{"history":[]}'),
        ApiStep("GET", "/tume/v1/history/unknown-thing", [], status=404,
                reply='{"error":{"code":404,"message":"not found"}}'),
        ApiStep("DELETE", "/tume/v1/account",
                ["-X", "DELETE", "-H", "Authorization: Bearer " + API_TOKEN],
                headers=[("authorization", "Bearer " + API_TOKEN)], status=204),
    ]


class ApiHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"      # keep-alive
    disable_nagle_algorithm = True
    timeout = SOCK_TIMEOUT

    def log_message(self, *args):      # quiet
        pass

    def _check(self, step):
        srv = self.server
        if (self.command, self.path, self.request_version) != (
                step.method, step.path, "HTTP/1.1"):
            raise RuntimeError("expected %s %s, got %r" % (
                step.method, step.path, self.requestline))
        want = {"host": srv.host, "user-agent": srv.ua, "accept": "application/json"}
        want.update(step.headers)
        if step.body is not None:
            want["content-length"] = str(len(step.body))
        got = {k.lower(): v for k, v in self.headers.items()}
        if len(got) != len(self.headers):
            raise RuntimeError("repeated header in %r" % self.requestline)
        if step.compressed:
            ae = got.pop("accept-encoding", "")
            if "gzip" not in [t.strip() for t in ae.split(",")]:
                raise RuntimeError("no gzip in Accept-Encoding %r" % ae)
        if got != want:
            raise RuntimeError("%s: headers %r, expected %r" % (step.path, got, want))
        n = int(got.get("content-length", "0"))
        body = self.rfile.read(n) if n else b""
        if step.body is not None and body != step.body:
            raise RuntimeError("%s: unexpected request body" % step.path)

    def _handle(self):
        srv = self.server
        try:
            if srv.pos >= len(srv.flow):
                raise RuntimeError("unexpected extra request %r" % self.requestline)
            step = srv.flow[srv.pos]
            self._check(step)
        except Exception as e:
            srv.errors.append(str(e))
            self.close_connection = True
            self.send_response_only(500)
            self.send_header("Content-Length", "0")
            self.send_header("Connection", "close")
            self.end_headers()
            return
        srv.pos += 1
        # no Server / Date headers: the plaintext stays the same on every run
        self.send_response_only(step.status)
        body = step.wire_reply()
        if body is not None:
            self.send_header("Content-Type", "application/json")
        if step.encoding == "chunked":
            self.send_header("Transfer-Encoding", "chunked")
        elif body is not None:
            if step.encoding == "gzip":
                self.send_header("Content-Encoding", "gzip")
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()                 # the header block: one write, one record
        if step.encoding == "chunked":
            for i in range(0, len(body), API_CHUNK):
                part = body[i:i + API_CHUNK]
                self.wfile.write(b"%x\r\n%s\r\n" % (len(part), part))
            self.wfile.write(b"0\r\n\r\n")
        elif body is not None:
            self.wfile.write(body)

    do_GET = do_POST = do_PUT = do_DELETE = _handle


class ApiServer(http.server.HTTPServer):
    """HTTPS server on ip:443 answering the fixed flow, strictly in order."""

    allow_reuse_address = True

    def __init__(self, ip, leaf, host, ua, flow):
        self.host, self.ua, self.flow, self.pos = host, ua, flow, 0
        self.errors, self.closed = [], 0
        self.cond = threading.Condition()
        self.sctx = server_context(leaf, ssl.TLSVersion.TLSv1_2)
        super().__init__((ip, PORT), ApiHandler, bind_and_activate=False)
        # small segments, as in A/B: the 200-entry contacts request then spans
        # many TCP segments (the client's segments follow the server's MSS and
        # window); set on the listening socket, inherited by accept()
        _tcp_opts(self.socket, True)
        self.timeout = SOCK_TIMEOUT
        try:
            self.server_bind()
            self.server_activate()
        except BaseException:
            self.server_close()
            raise

    def server_bind(self):
        socketserver.TCPServer.server_bind(self)   # no getfqdn() lookup
        self.server_name, self.server_port = self.server_address[:2]

    def get_request(self):
        conn, addr = self.socket.accept()
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        conn.settimeout(SOCK_TIMEOUT)
        try:
            return self.sctx.wrap_socket(conn, server_side=True), addr
        except Exception as e:
            self.errors.append("TLS handshake: %s" % e)
            conn.close()
            raise

    def handle_error(self, request, client_address):
        self.errors.append("handler: %s" % sys.exc_info()[1])

    def handle_timeout(self):
        self.errors.append("no connection within %ss" % SOCK_TIMEOUT)

    def shutdown_request(self, request):
        super().shutdown_request(request)  # FIN after the client's close_notify/FIN
        with self.cond:
            self.closed += 1
            self.cond.notify_all()

    def wait_closed(self, n):
        with self.cond:
            if not self.cond.wait_for(lambda: self.closed >= n, SOCK_TIMEOUT):
                raise RuntimeError("server: connection %d not closed" % n)


def curl_env(keylog):
    env = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")}
    env["SSLKEYLOGFILE"] = keylog        # curl (OpenSSL) writes the NSS key log
    return env


def run_curl(groups, keylog):
    """One curl invocation; groups is a list of (options, [url, ...]) joined
    with --next.  Returns the parsed -w %{json} object of every transfer."""
    # -q: ignore any .curlrc; --fail-early (global): stop at the first
    # transfer error instead of going on with the next URLs
    cmd = ["curl", "-q", "--fail-early"]
    for i, (opts, urls) in enumerate(groups):
        if i:
            cmd.append("--next")
        cmd += opts
        for url in urls:
            cmd += ["-o", "/dev/null", url]
    res = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         env=curl_env(keylog), timeout=4 * SOCK_TIMEOUT)
    if res.returncode != 0:
        raise RuntimeError("curl exited with %d: %s" % (
            res.returncode, res.stderr.decode(errors="replace").strip()))
    return [json.loads(l) for l in res.stdout.decode().splitlines() if l.strip()]


def check_transfer(w, step, url, cip, sip_ip, new_conn):
    want = {
        "exitcode": 0, "http_code": step.status, "http_version": "1.1",
        "method": step.method, "url_effective": url,
        "local_ip": cip, "remote_ip": sip_ip, "remote_port": PORT,
        "ssl_verify_result": 0, "num_connects": 1 if new_conn else 0,
        "content_type": None if step.reply is None else "application/json",
        # bytes of body received: after de-chunking, before gunzip
        "size_download": len(step.wire_reply() or b""),
    }
    got = {k: w.get(k) for k in want}
    if got != want:
        raise RuntimeError("curl %s %s: got %r, expected %r" % (
            step.method, step.path, got, want))


def api_scenario(cip, sip_ip, host, leaf, ca, ua, validate_reply, keepalive):
    base = "https://%s" % host
    common = ["--http1.1", "--tlsv1.2", "--tls-max", "1.2",
              "--cacert", pki_path(ca, "crt"),
              "--resolve", "%s:%d:%s" % (host, PORT, sip_ip),
              "--interface", cip, "--max-time", "%d" % SOCK_TIMEOUT, "-sS", "-A", ua,
              "-H", "Accept: application/json", "-w", API_WRITE_OUT]

    def go(keylog):
        flow = api_flow(validate_reply)
        nconn = 1 if keepalive else len(flow)
        server = ApiServer(sip_ip, leaf, host, ua, flow)

        def serve():
            for _ in range(nconn):
                server.handle_request()

        th = ServerThread(serve)
        th.start()
        try:
            if keepalive:
                # one invocation; consecutive requests with the same options
                # (the two GETs) share a group, --next between the others
                groups = []
                for step in flow:
                    if groups and groups[-1][0] == step.curl_args:
                        groups[-1][1].append(step)
                    else:
                        groups.append((step.curl_args, [step]))
                transfers = run_curl([(common + args, [base + s.path for s in steps])
                                      for args, steps in groups], keylog)
                server.wait_closed(1)
                if len(transfers) != len(flow):
                    raise RuntimeError("curl made %d transfers" % len(transfers))
                ports = set(w.get("local_port") for w in transfers)
                if len(ports) != 1:
                    raise RuntimeError("more than one connection: ports %r" % ports)
                for i, (w, step) in enumerate(zip(transfers, flow)):
                    check_transfer(w, step, base + step.path, cip, sip_ip, i == 0)
            else:
                for i, step in enumerate(flow, 1):
                    (w,) = run_curl([(common + step.curl_args, [base + step.path])],
                                    keylog)
                    check_transfer(w, step, base + step.path, cip, sip_ip, True)
                    server.wait_closed(i)      # fully closed before the next SYN
                    time.sleep(0.2)
            th.finish()
        finally:
            server.server_close()
        if server.errors:
            raise RuntimeError("server: " + "; ".join(server.errors))
        if server.pos != len(flow):
            raise RuntimeError("server answered %d of %d requests" % (server.pos, len(flow)))
    return go


scenario_tume_api_keepalive = api_scenario(
    "127.0.0.21", "127.0.0.31", "api.tu.com", "api.tu.com", "tu-ca",
    TUME_PROV_UA, API_VALIDATE_REPLY, keepalive=True)
scenario_tume_api_multi = api_scenario(
    "127.0.0.22", "127.0.0.32", "api.tu.com", "api.tu.com", "tu-ca",
    TUME_PROV_UA, API_VALIDATE_REPLY, keepalive=False)
scenario_lookalike_api = api_scenario(
    "127.0.0.23", "127.0.0.33", "api.example.net", "api.example.net", "other-ca",
    API_LOOKALIKE_UA, API_LOOKALIKE_VALIDATE_REPLY, keepalive=True)


# ---------------------------------------------------------------------------
# capture driver
# ---------------------------------------------------------------------------

# output modes
TLS_KEYS = True     # <name>.pcapng with DSB, <name>-nokeys.pcapng, <name>.keys
NO_TLS = False      # <name>.pcapng only
TLS_RSA = "rsa"     # <name>.pcapng only, no secrets: decrypt with the server's RSA key

# RSA private key used to check (and to decrypt) TLS_RSA captures
RSA_KEYS = {"tume-signalling-rsa": "sip.tume.jajah.com"}

# captures whose summary also counts HTTP requests/responses and TCP streams
HTTP_SUMMARY = {"tume-api-keepalive", "tume-api-multi", "lookalike-api"}

SCENARIOS = [
    # name, function, output mode
    ("tume-signalling-tls12",
     scenario_tume(ssl.TLSVersion.TLSv1_2, "127.0.0.1", "127.0.0.10"), TLS_KEYS),
    ("tume-signalling-tls13",
     scenario_tume(ssl.TLSVersion.TLSv1_3, "127.0.0.2", "127.0.0.11"), TLS_KEYS),
    ("tume-signalling-edge", scenario_tume_edge, TLS_KEYS),
    ("other-sip-tls", scenario_other_sip, TLS_KEYS),
    ("other-https-json", scenario_https_json, TLS_KEYS),
    ("plain-http-443", scenario_plain_http, NO_TLS),
    ("non-tls-443", scenario_non_tls, NO_TLS),
    ("tume-provisioning-tls12", scenario_tume_provisioning, TLS_KEYS),
    ("tume-signalling-rsa", scenario_tume_rsa, TLS_RSA),
    ("tume-cert-anomalies", scenario_tume_anomalies, TLS_KEYS),
    ("tume-api-keepalive", scenario_tume_api_keepalive, TLS_KEYS),
    ("tume-api-multi", scenario_tume_api_multi, TLS_KEYS),
    ("lookalike-api", scenario_lookalike_api, TLS_KEYS),
    ("tume-api-edge", scenario_tume_api_edge, TLS_KEYS),
]


# TLS/HTTP on 443, and the RTP of the TU Me call (SDP ports 40000/40002)
CAPTURE_FILTER = "tcp port 443 or (udp and (port 40000 or port 40002))"


def start_dumpcap(path):
    p = subprocess.Popen(["dumpcap", "-q", "-i", "lo", "-f", CAPTURE_FILTER, "-w", path],
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.time() + 15
    while not (os.path.exists(path) and os.path.getsize(path) > 0):
        if p.poll() is not None:
            raise RuntimeError("dumpcap exited: %s" % p.stderr.read().decode(errors="replace"))
        if time.time() > deadline:
            p.kill()
            p.wait()
            raise RuntimeError("dumpcap did not start capturing")
        time.sleep(0.1)
    time.sleep(1.0)
    return p


def stop_dumpcap(p):
    if p.poll() is None:
        p.send_signal(signal.SIGTERM)
    try:
        p.wait(15)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()
        raise RuntimeError("dumpcap did not stop on SIGTERM")


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


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
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
    log("")
    log("summary:")
    for name, _, tls in todo:
        summary(name, tls)


if __name__ == "__main__":
    main()
