"""SIP building blocks of the TU Me and other SIP actors.

- Msg and Framer: stream framing of SIP over TLS (Content-Length, compact
  header names, RFC 5626 CRLF keep-alive pings and pongs); with side="http"
  the same framer reads HTTP/1.1 messages;
- build() writes a message, sip_response() the response to a request
  (compact headers when the request used them);
- the TU Me test identity (TUME_DOMAIN, TUME_USER, TUME_PEER, TUME_UA,
  TUME_ALLOW);
- MD5 Digest authentication (digest_response, parse_digest);
- the SDP offer and answer of the TU Me call, and its RTP over UDP between
  the negotiated ports (rtp_exchange);
- generic TU Me pieces: tume_simple_server() answers every request with
  200 OK, tume_options() sends one OPTIONS.
"""

import hashlib
import re
import socket
import struct

from .net import SOCK_TIMEOUT

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


# the TU Me test identity
TUME_DOMAIN = "tume.jajah.com"
TUME_USER = "34600123456"
TUME_PEER = "34600999888"
TUME_UA = "TU Me/1.0 (iPhone; iOS 5.1)"
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
