"""TU Me signalling captures: SIP over TLS to sip.tume.jajah.com:443.

A tume-signalling-tls12 / B tume-signalling-tls13: the whole dialogue (ping,
  REGISTER with Digest, OPTIONS, MESSAGE, INVITE with SDP in two records,
  ACK, the call's RTP, a compact MESSAGE, BYE, ping), small TCP segments.
G tume-signalling-edge: a split first start line, a ping and a MESSAGE in
  one record, a message that cannot be framed.
J tume-signalling-rsa: static RSA key exchange, no key log (decrypted with
  the server's RSA key).
K tume-cert-anomalies: three connections to servers with an expired, a
  self-signed and an SNI-mismatched certificate.
P tume-signalling-chacha20 / R tume-signalling-cbc: the dialogue of A with
  ECDHE-RSA-CHACHA20-POLY1305 / ECDHE-RSA-AES128-SHA256 (CBC).
Q tume-signalling-tls13-tickets: the dialogue of A over TLS 1.3 with
  TLS_CHACHA20_POLY1305_SHA256 and the server's session tickets.
"""

import os
import ssl
import subprocess
import sys
import tempfile
import time

from ..net import client_context, tls_connection, tls_versions
from ..sip import (TUME_ALLOW, TUME_DOMAIN, TUME_PEER, TUME_UA, TUME_USER, Framer, build,
                   digest_response, parse_digest, rtp_exchange, sip_response, tume_options,
                   tume_sdp_answer, tume_sdp_offer, tume_simple_server)
from . import TLS_KEYS, TLS_RSA

# ---------------------------------------------------------------------------
# Scenarios A / B: TU Me signalling (SIP over TLS, tume.jajah.com)
# ---------------------------------------------------------------------------

TUME_PASSWORD = "tume-test-password"
TUME_NONCE = "4f7a1c2e000000017d3b9a51c0ffee42"
TUME_CNONCE = "0a4f113b9c2d7e61"


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


def scenario_tume(version, cip, sip_ip, ciphers=None, tickets=False):
    def go(keylog):
        tls_connection(cip, sip_ip, "sip.tume.jajah.com", lambda tls: tume_server(tls, sip_ip),
                       client_context("tume-ca", version, keylog, ciphers), "sip.tume.jajah.com",
                       lambda tls: tume_client(tls, cip, sip_ip), version, small_segments=True,
                       ciphers=ciphers, tickets=tickets)
    return go


# ---------------------------------------------------------------------------
# Scenario Q: the dialogue of A over TLS 1.3 with TLS_CHACHA20_POLY1305_SHA256
# and the server's two session tickets (127.0.0.27 -> 127.0.0.37).  Python's
# ssl cannot choose TLS 1.3 suites, OpenSSL's configuration can: the
# scenario runs in a child Python whose OPENSSL_CONF allows only ChaCha20.
# ---------------------------------------------------------------------------

CHACHA13_CONF = """openssl_conf = openssl_init
[openssl_init]
ssl_conf = ssl_sect
[ssl_sect]
system_default = system_default_sect
[system_default_sect]
Ciphersuites = TLS_CHACHA20_POLY1305_SHA256
"""


def scenario_tume_tls13_chacha_tickets(keylog):
    top = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    with tempfile.TemporaryDirectory(prefix="tume-chacha-") as d:
        conf = os.path.join(d, "openssl.cnf")
        with open(conf, "w") as f:
            f.write(CHACHA13_CONF)
        code = ("import ssl, sys\n"
                "sys.path.insert(0, sys.argv[1])\n"
                "from gen.scenarios.signalling import scenario_tume\n"
                "assert [c['name'] for c in ssl.create_default_context().get_ciphers()\n"
                "        if c['protocol'] == 'TLSv1.3'] == ['TLS_CHACHA20_POLY1305_SHA256']\n"
                "scenario_tume(ssl.TLSVersion.TLSv1_3, '127.0.0.27', '127.0.0.37', tickets=True)(sys.argv[2])\n")
        env = dict(os.environ, OPENSSL_CONF=conf)
        subprocess.run([sys.executable, "-c", code, top, keylog], env=env, check=True)


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
# Scenarios J / K: short TU Me SIP dialogues
# ---------------------------------------------------------------------------

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
    tls_versions(cctx, version)
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
# rows for the driver
# ---------------------------------------------------------------------------

# RSA private key used to check (and to decrypt) TLS_RSA captures
RSA_KEYS = {"tume-signalling-rsa": "sip.tume.jajah.com"}

SCENARIOS = [
    # name, function, output mode
    ("tume-signalling-tls12",
     scenario_tume(ssl.TLSVersion.TLSv1_2, "127.0.0.1", "127.0.0.10"), TLS_KEYS),
    ("tume-signalling-tls13",
     scenario_tume(ssl.TLSVersion.TLSv1_3, "127.0.0.2", "127.0.0.11"), TLS_KEYS),
    ("tume-signalling-edge", scenario_tume_edge, TLS_KEYS),
    ("tume-signalling-chacha20",
     scenario_tume(ssl.TLSVersion.TLSv1_2, "127.0.0.25", "127.0.0.35", ciphers="ECDHE-RSA-CHACHA20-POLY1305"),
     TLS_KEYS),
    ("tume-signalling-cbc",
     scenario_tume(ssl.TLSVersion.TLSv1_2, "127.0.0.26", "127.0.0.36", ciphers="ECDHE-RSA-AES128-SHA256"),
     TLS_KEYS),
    ("tume-signalling-tls13-tickets", scenario_tume_tls13_chacha_tickets, TLS_KEYS),
    ("tume-signalling-rsa", scenario_tume_rsa, TLS_RSA),
    ("tume-cert-anomalies", scenario_tume_anomalies, TLS_KEYS),
]
