"""Negative captures: traffic on port 443 that is not TU Me.

C other-sip-tls: SIP over TLS to sip.example.org (another CA, Linphone).
D other-https-json: an HTTPS JSON API (api.example.net), keep-alive.
E plain-http-443: clear HTTP on port 443, no TLS.
F non-tls-443: random bytes, then a clear "SIP/2.0 200 OK", on port 443.
"""

import random
import ssl
import time

from ..net import (ServerThread, accept, client_context, connect, exchange_plain, listen,
                   tls_connection)
from ..sip import Framer, build, sip_response
from . import NO_TLS, TLS_KEYS

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

def scenario_non_tls(_keylog):
    rng = random.Random(443)
    c2s = rng.randbytes(300)
    s2c = rng.randbytes(100)
    exchange_plain("127.0.0.6", "127.0.0.50", c2s, s2c)
    time.sleep(0.2)
    exchange_plain("127.0.0.6", "127.0.0.51", b"SIP/2.0 200 OK\r\n\r\n", b"OK\r\n")


# ---------------------------------------------------------------------------
# rows for the driver
# ---------------------------------------------------------------------------

SCENARIOS = [
    # name, function, output mode
    ("other-sip-tls", scenario_other_sip, TLS_KEYS),
    ("other-https-json", scenario_https_json, TLS_KEYS),
    ("plain-http-443", scenario_plain_http, NO_TLS),
    ("non-tls-443", scenario_non_tls, NO_TLS),
]
