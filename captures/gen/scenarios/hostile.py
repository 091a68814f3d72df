"""Hostile captures X1-X11: the regression captures of issue 7 (crashes, slow
paths, lost messages the plugin had at commit 2477c73).

Every capture is one TLS 1.2 connection (ECDHE-RSA-AES128-GCM-SHA256, keys
embedded) from its own client address to its own server on port 443:
signalling flows go to sip.tume.jajah.com (TU Me Test Root CA), API flows to
api.tu.com (TU Test Issuing CA).  Both ends follow a Script: a list of Steps,
each one "the client sends these records (one sendall() each, so one TLS
record each), the server reads exactly their bytes and answers with these
records (one each), the client reads exactly those bytes".  So the server
never has to parse what the client sends (bare LF line ends, a chunked SIP
body, two Content-Length headers ...), and both sides check every byte.

  X1  hostile-json-nesting         two gzip JSON bodies nested 80000 deep
                                   behind a comment / a single-quoted string
  X2  hostile-json-repeated-keys   a gzip JSON object repeating a name 100000 times
  X3  hostile-sip-chunked          31 requests, the 5th with Transfer-Encoding:
                                   chunked
  X4  hostile-sip-double-length    Content-Length: 0 then Content-Length: 1000
  X5  hostile-sip-bare-lf          requests with bare LF line ends, three per record
  X6  hostile-sip-trickle          a 16000-byte header block, one byte per record
  X7  hostile-http-leading-crlf    an API flow whose first record is a lone CRLF
  X8  hostile-sip-jpeg-body        a MESSAGE whose image/jpeg body makes
                                   Wireshark's JPEG dissector throw
  X9  hostile-api-100-continue     Expect: 100-continue, 100 Continue, the reply
  X10 hostile-keepalive-flood      200 records of 16 KiB of CRLF keep-alives
  X11 hostile-sip-after-finished   the server's Finished and its first SIP
                                   request in one TCP segment
  X12 hostile-api-gzip-bomb        a 16 KiB gzip API body that inflates to
                                   16 MiB of JSON (issue 20: memory against stock)

captures/README.md describes each one and the defect it is for.
"""

import gzip
import random
import socket
import ssl
import time

from ..net import (ServerThread, accept, client_context, connect, listen, server_context, tls_client_close,
                   tls_connection, tls_server_close)
from ..sip import TUME_DOMAIN, TUME_PEER, TUME_UA, TUME_USER, Msg, build, sip_response
from . import TLS_KEYS

VERSION = ssl.TLSVersion.TLSv1_2
API_UA = "TUMe/1.0 CFNetwork/548.1.4 Darwin/11.0.0"
API_REGISTER = '{"msisdn":"+34600123456","locale":"es_ES"}'
API_REGISTER_REPLY = '{"status":"pending","pinLength":4}'
API_ERROR = '{"error":{"code":400,"message":"bad request"}}'


# ---------------------------------------------------------------------------
# the scripted exchange
# ---------------------------------------------------------------------------

class Step:
    """The client sends `records` (one TLS record each); the server reads all
    their bytes, then sends `answers` (one TLS record each).  cork: the client
    holds its segments (TCP_CORK) while it writes this step's records, so
    that many small records share a TCP segment (keeps captures small).
    pace: seconds to wait after each record (so that dumpcap keeps up with
    a flood on lo and drops nothing)."""

    def __init__(self, records, answers=(), cork=False, pace=0.0):
        self.records, self.answers, self.cork, self.pace = list(records), list(answers), cork, pace


def read_exact(tls, n):
    buf = bytearray()
    while len(buf) < n:
        d = tls.recv(min(n - len(buf), 65536))
        if not d:
            raise RuntimeError("short read: %d of %d bytes" % (len(buf), n))
        buf += d
    return bytes(buf)


def script_client(script, pause=0.0):
    def client(tls):
        for st in script:
            if st.cork:
                tls.setsockopt(socket.IPPROTO_TCP, socket.TCP_CORK, 1)
            for r in st.records:
                tls.sendall(r)
                if st.pace:
                    time.sleep(st.pace)
            if st.cork:
                tls.setsockopt(socket.IPPROTO_TCP, socket.TCP_CORK, 0)
            want = b"".join(st.answers)
            if read_exact(tls, len(want)) != want:
                raise RuntimeError("client: unexpected answer")
            if pause:
                time.sleep(pause)
    return client


def script_server(script):
    def server(tls):
        for i, st in enumerate(script):
            want = b"".join(st.records)
            if read_exact(tls, len(want)) != want:
                raise RuntimeError("server: step %d: the client sent something else" % i)
            for a in st.answers:
                tls.sendall(a)
        if tls.recv(1):            # then only the client's close_notify
            raise RuntimeError("server: unexpected extra data")
    return server


def run_script(cip, sip_ip, role, script, keylog, pause=0.0):
    """One TLS 1.2 connection cip -> sip_ip:443 playing script; role
    "signalling" (sip.tume.jajah.com) or "api" (api.tu.com) picks the SNI,
    the certificate and the CA; pause: seconds the client waits after each
    step."""
    leaf, ca = {"signalling": ("sip.tume.jajah.com", "tume-ca"),
                "api": ("api.tu.com", "tu-ca")}[role]
    tls_connection(cip, sip_ip, leaf, script_server(script),
                   client_context(ca, VERSION, keylog), leaf, script_client(script, pause), VERSION)


# ---------------------------------------------------------------------------
# SIP and HTTP messages
# ---------------------------------------------------------------------------

def sip_request(cip, method, call_id, cseq=1, body=b"", ctype=None, extra=(), lengths=None, lf=False):
    """A TU Me request.  lengths: the Content-Length header lines to write
    (default: one, the body's length); lf: bare LF line ends."""
    me = "<sip:%s@%s>" % (TUME_USER, TUME_DOMAIN)
    if method == "MESSAGE":
        uri, to = "sip:%s@%s" % (TUME_PEER, TUME_DOMAIN), "<sip:%s@%s>" % (TUME_PEER, TUME_DOMAIN)
    else:
        uri, to = "sip:" + TUME_DOMAIN, "<sip:%s>" % TUME_DOMAIN
    tag = call_id.split("@")[0]
    hdrs = [("Via", "SIP/2.0/TLS %s:50600;branch=z9hG4bK-%s" % (cip, tag)), ("Max-Forwards", "70"),
            ("From", "%s;tag=%s" % (me, tag)), ("To", to), ("Call-ID", call_id),
            ("CSeq", "%d %s" % (cseq, method)), ("User-Agent", TUME_UA)]
    if method == "REGISTER":
        hdrs[3] = ("To", me)
        hdrs += [("Contact", "<sip:%s@%s:50600;transport=tls>" % (TUME_USER, cip)), ("Expires", "3600")]
    hdrs += list(extra)
    if ctype:
        hdrs.append(("Content-Type", ctype))
    if isinstance(body, str):
        body = body.encode()
    if lengths is not None:
        hdrs += [("Content-Length", str(n)) for n in lengths]
    raw = build("%s %s SIP/2.0" % (method, uri), hdrs, body, cl_name=None if lengths is not None else "Content-Length")
    if lf:
        head, _, rest = raw.partition(b"\r\n\r\n")
        raw = head.replace(b"\r\n", b"\n") + b"\n\n" + rest
    return raw


def parse_request(raw):
    """Msg of a request we built (CRLF or bare LF line ends)."""
    head = raw.replace(b"\r\n", b"\n").split(b"\n\n", 1)[0].decode()
    lines = head.split("\n")
    headers = [(k.strip(), v.strip()) for k, _, v in (l.partition(":") for l in lines[1:])]
    return Msg(lines[0], headers, b"", raw)


def sip_ok(raw, tag="jajah-h"):
    """200 OK (CRLF, Content-Length) answering the request raw."""
    return sip_response(parse_request(raw), 200, "OK", to_tag=tag)


def http_request(method, path, body=b"", extra=(), content_type="application/json"):
    hdrs = [("Host", "api.tu.com"), ("User-Agent", API_UA), ("Accept", "application/json")]
    if content_type:
        hdrs.append(("Content-Type", content_type))
    hdrs += list(extra)
    return build("%s %s HTTP/1.1" % (method, path), hdrs, body)


def http_response(code, reason, body):
    return build("HTTP/1.1 %d %s" % (code, reason), [("Content-Type", "application/json")], body)


def gz(text):
    return gzip.compress(text.encode(), compresslevel=9, mtime=0)


# ---------------------------------------------------------------------------
# 1. hostile-json-nesting (127.0.0.61 -> 127.0.0.81, api.tu.com)
#    Two gzip bodies nested 80000 deep, hidden from a pre-check that only
#    knows double-quoted strings: behind a comment holding a quote, and
#    behind a single-quoted string holding one.  Each is answered 400.
# ---------------------------------------------------------------------------

JSON_DEPTH = 80000
JSON_NESTING_BODIES = [
    '/* " */' + "[" * JSON_DEPTH + "]" * JSON_DEPTH,
    "['\"', " + "[" * JSON_DEPTH + "]" * JSON_DEPTH,
]


def scenario_json_nesting(keylog):
    script = [Step([http_request("POST", "/tume/v1/contacts", gz(b), [("Content-Encoding", "gzip")])],
                   [http_response(400, "Bad Request", API_ERROR)]) for b in JSON_NESTING_BODIES]
    run_script("127.0.0.61", "127.0.0.81", "api", script, keylog)


# ---------------------------------------------------------------------------
# 2. hostile-json-repeated-keys (127.0.0.62 -> 127.0.0.82, api.tu.com)
#    One gzip body: {"k0":0,...,"k19999":0, then "k19999":1 100000 times,
#    "end":0} (1308899 bytes, 48943 gzipped).  json-glib 1.6 looks a
#    repeated name up in the object's member list from its head, once per
#    repeat: O(N*M).  The repeated name is the LAST distinct one: a repeated
#    "k0" is found at the head of the list at once and costs nothing.
#    (Measured on the plugin of 2477c73: about 19 s of CPU, stock 0.6 s.)
# ---------------------------------------------------------------------------

REPEAT_DISTINCT = 20000       # N
REPEAT_TIMES = 100000         # M
JSON_REPEATED_BODY = ("{" + "".join('"k%d":0,' % i for i in range(REPEAT_DISTINCT))
                      + ('"k%d":1,' % (REPEAT_DISTINCT - 1)) * REPEAT_TIMES + '"end":0}')


def scenario_json_repeated_keys(keylog):
    script = [Step([http_request("POST", "/tume/v1/contacts", gz(JSON_REPEATED_BODY),
                                 [("Content-Encoding", "gzip")])],
                   [http_response(400, "Bad Request", API_ERROR)])]
    run_script("127.0.0.62", "127.0.0.82", "api", script, keylog)


# ---------------------------------------------------------------------------
# 3. hostile-sip-chunked (127.0.0.63 -> 127.0.0.83)
#    31 requests, one record each, each answered 200 OK; the 5th has
#    Transfer-Encoding: chunked and a chunked body, no Content-Length.
# ---------------------------------------------------------------------------

CHUNKED_REQUESTS = 31
CHUNKED_INDEX = 4             # the 5th request
CHUNKED_BODY = b"d\r\nchunked body!\r\n0\r\n\r\n"


def chunked_requests(cip):
    out = []
    for i in range(CHUNKED_REQUESTS):
        cid = "chunked-%02d@tume-iphone" % (i + 1)
        if i == CHUNKED_INDEX:
            out.append(sip_request(cip, "MESSAGE", cid, body=CHUNKED_BODY, ctype="text/plain",
                                   extra=[("Transfer-Encoding", "chunked")], lengths=[]))
        elif i % 2:
            out.append(sip_request(cip, "MESSAGE", cid, body="message %d" % (i + 1), ctype="text/plain"))
        else:
            out.append(sip_request(cip, "OPTIONS", cid, extra=[("Accept", "application/sdp")]))
    return out


def scenario_sip_chunked(keylog):
    cip = "127.0.0.63"
    script = [Step([r], [sip_ok(r)]) for r in chunked_requests(cip)]
    run_script(cip, "127.0.0.83", "signalling", script, keylog)


# ---------------------------------------------------------------------------
# 4. hostile-sip-double-length (127.0.0.64 -> 127.0.0.84)
#    An OPTIONS; a MESSAGE with "Content-Length: 0" and, later in the same
#    header block, "Content-Length: 1000" (its real body is empty); then 12
#    requests, two per record.  Every request is answered (one record each).
#    Wireshark's SIP takes the last Content-Length: the 1000 bytes after the
#    MESSAGE's header block are its body, which covers the first four of the
#    12 requests (the fourth in part).
# ---------------------------------------------------------------------------

DOUBLE_AFTER = 12


def double_length_records(cip):
    """[[request, ...] per client record]"""
    recs = [[sip_request(cip, "OPTIONS", "dl-opt@tume-iphone")],
            [sip_request(cip, "MESSAGE", "dl-double@tume-iphone", ctype="text/plain", lengths=[0, 1000])]]
    after = [sip_request(cip, "MESSAGE" if i % 2 else "OPTIONS", "dl-%02d@tume-iphone" % (i + 1),
                         body="after %d" % (i + 1) if i % 2 else b"", ctype="text/plain" if i % 2 else None)
             for i in range(DOUBLE_AFTER)]
    recs += [after[i:i + 2] for i in range(0, DOUBLE_AFTER, 2)]
    return recs


def scenario_sip_double_length(keylog):
    cip = "127.0.0.64"
    script = [Step([b"".join(rec)], [sip_ok(r) for r in rec]) for rec in double_length_records(cip)]
    run_script(cip, "127.0.0.84", "signalling", script, keylog)


# ---------------------------------------------------------------------------
# 5. hostile-sip-bare-lf (127.0.0.65 -> 127.0.0.85)
#    Four records of three requests each (OPTIONS, MESSAGE, OPTIONS), bare LF
#    line ends in the start line, the headers and the empty line; each
#    request answered by a CRLF 200 OK (one record each).
# ---------------------------------------------------------------------------

BARE_LF_RECORDS = 4


def bare_lf_records(cip):
    recs = []
    for r in range(BARE_LF_RECORDS):
        rec = []
        for j, method in enumerate(("OPTIONS", "MESSAGE", "OPTIONS")):
            cid = "lf-%d-%d@tume-iphone" % (r + 1, j + 1)
            if method == "MESSAGE":
                rec.append(sip_request(cip, method, cid, body="bare LF %d" % (r + 1), ctype="text/plain", lf=True))
            else:
                rec.append(sip_request(cip, method, cid, lf=True))
        recs.append(rec)
    return recs


def scenario_sip_bare_lf(keylog):
    cip = "127.0.0.65"
    script = [Step([b"".join(rec)], [sip_ok(r) for r in rec]) for rec in bare_lf_records(cip)]
    run_script(cip, "127.0.0.85", "signalling", script, keylog)


# ---------------------------------------------------------------------------
# 6. hostile-sip-trickle (127.0.0.66 -> 127.0.0.86)
#    An OPTIONS; then a MESSAGE whose 16000-byte header block (a long
#    X-Padding header) and 7-byte body come one byte per TLS record (16007
#    records, packed into a few TCP segments by TCP_CORK); then three
#    normal requests.  Each request is answered.
# ---------------------------------------------------------------------------

TRICKLE_HEADER_BYTES = 16000


def trickle_message(cip):
    def msg(pad):
        return sip_request(cip, "MESSAGE", "trickle@tume-iphone", body="trickle", ctype="text/plain",
                           extra=[("X-Padding", "p" * pad)])
    base = msg(0)
    head = base.index(b"\r\n\r\n") + 4
    m = msg(TRICKLE_HEADER_BYTES - head)
    assert m.index(b"\r\n\r\n") + 4 == TRICKLE_HEADER_BYTES
    return m


def scenario_sip_trickle(keylog):
    cip = "127.0.0.66"
    first = sip_request(cip, "OPTIONS", "trickle-opt@tume-iphone")
    slow = trickle_message(cip)
    after = [sip_request(cip, "OPTIONS", "trickle-after-1@tume-iphone"),
             sip_request(cip, "MESSAGE", "trickle-after-2@tume-iphone", body="after", ctype="text/plain"),
             sip_request(cip, "OPTIONS", "trickle-after-3@tume-iphone")]
    script = ([Step([first], [sip_ok(first)]),
               Step([slow[i:i + 1] for i in range(len(slow))], [sip_ok(slow)], cork=True)]
              + [Step([r], [sip_ok(r)]) for r in after])
    run_script(cip, "127.0.0.86", "signalling", script, keylog)


# ---------------------------------------------------------------------------
# 7. hostile-http-leading-crlf (127.0.0.67 -> 127.0.0.87, api.tu.com)
#    The client's first application record is a lone CRLF (HTTP allows an
#    empty line before a request), then the register request; its reply.
# ---------------------------------------------------------------------------

def scenario_http_leading_crlf(keylog):
    script = [Step([b"\r\n"]),
              Step([http_request("POST", "/tume/v1/register", API_REGISTER)],
                   [http_response(200, "OK", API_REGISTER_REPLY)])]
    run_script("127.0.0.67", "127.0.0.87", "api", script, keylog, pause=0.05)


# ---------------------------------------------------------------------------
# 8. hostile-sip-jpeg-body (127.0.0.68 -> 127.0.0.88)
#    A MESSAGE with Content-Type image/jpeg: a JFIF APP0 header and 1000
#    random bytes (random.Random(1)), on which Wireshark 4.0's JPEG
#    dissector throws; then a text MESSAGE.  Each answered 200 OK.
# ---------------------------------------------------------------------------

JFIF_HEADER = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
JPEG_BODY = JFIF_HEADER + random.Random(1).randbytes(1000)


def scenario_sip_jpeg_body(keylog):
    cip = "127.0.0.68"
    reqs = [sip_request(cip, "MESSAGE", "jpeg-1@tume-iphone", body=JPEG_BODY, ctype="image/jpeg"),
            sip_request(cip, "MESSAGE", "jpeg-2@tume-iphone", body="after the picture", ctype="text/plain")]
    run_script(cip, "127.0.0.88", "signalling", [Step([r], [sip_ok(r)]) for r in reqs], keylog)


# ---------------------------------------------------------------------------
# 9. hostile-api-100-continue (127.0.0.69 -> 127.0.0.89, api.tu.com)
#    The register request with Expect: 100-continue: its header block in one
#    record; the server answers "HTTP/1.1 100 Continue" before reading the
#    body; the body in the next record; the final 200 with the JSON reply.
# ---------------------------------------------------------------------------

def scenario_api_100_continue(keylog):
    req = http_request("POST", "/tume/v1/register", API_REGISTER, [("Expect", "100-continue")])
    cut = req.index(b"\r\n\r\n") + 4
    script = [Step([req[:cut]], [b"HTTP/1.1 100 Continue\r\n\r\n"]),
              Step([req[cut:]], [http_response(200, "OK", API_REGISTER_REPLY)])]
    run_script("127.0.0.69", "127.0.0.89", "api", script, keylog)


# ---------------------------------------------------------------------------
# 10. hostile-keepalive-flood (127.0.0.70 -> 127.0.0.90)
#    REGISTER / 200 OK; 200 records of 16384 bytes of CRLF (4096 CRLFCRLF
#    pings each), not answered, 2 ms apart (sent at once, 16 MB on lo made
#    dumpcap drop segments); OPTIONS / 200 OK.
# ---------------------------------------------------------------------------

FLOOD_RECORDS = 200
FLOOD_RECORD = b"\r\n" * 8192


def scenario_keepalive_flood(keylog):
    cip = "127.0.0.70"
    reg = sip_request(cip, "REGISTER", "flood-reg@tume-iphone")
    opt = sip_request(cip, "OPTIONS", "flood-opt@tume-iphone")
    reg_ok = sip_response(parse_request(reg), 200, "OK", [
        ("Contact", "<sip:%s@%s:50600;transport=tls>;expires=3600" % (TUME_USER, cip)), ("Expires", "3600")],
        to_tag="jajah-h")
    script = [Step([reg], [reg_ok]), Step([FLOOD_RECORD] * FLOOD_RECORDS, pace=0.002), Step([opt], [sip_ok(opt)])]
    run_script(cip, "127.0.0.90", "signalling", script, keylog)


# ---------------------------------------------------------------------------
# 11. hostile-sip-after-finished (127.0.0.71 -> 127.0.0.91)
#    The server speaks first: it holds its segments (TCP_CORK) through the
#    handshake, so its ChangeCipherSpec + Finished and its first SIP message,
#    an OPTIONS probe to the client, leave in ONE TCP segment; the client
#    answers 200 OK.  (tls_connection() cannot cork the server before the
#    handshake, hence the connection is set up here.)
# ---------------------------------------------------------------------------

def scenario_sip_after_finished(keylog):
    cip, sip_ip, leaf = "127.0.0.71", "127.0.0.91", "sip.tume.jajah.com"
    probe = build("OPTIONS sip:%s@%s:50600;transport=tls SIP/2.0" % (TUME_USER, cip), [
        ("Via", "SIP/2.0/TLS %s:443;branch=z9hG4bK-srv-probe" % sip_ip), ("Max-Forwards", "70"),
        ("From", "<sip:%s>;tag=jajah-p" % TUME_DOMAIN), ("To", "<sip:%s@%s>" % (TUME_USER, TUME_DOMAIN)),
        ("Call-ID", "probe@jajah"), ("CSeq", "1 OPTIONS")])
    probe_ok = sip_response(parse_request(probe), 200, "OK", to_tag="tume-p", server=TUME_UA)
    lsock = listen(sip_ip)
    sctx = server_context(leaf, VERSION)

    def server():
        try:
            raw = accept(lsock)
        finally:
            lsock.close()
        raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_CORK, 1)
        tls = sctx.wrap_socket(raw, server_side=True)
        tls.sendall(probe)
        tls.setsockopt(socket.IPPROTO_TCP, socket.TCP_CORK, 0)
        if read_exact(tls, len(probe_ok)) != probe_ok:
            raise RuntimeError("server: bad answer to the probe")
        if tls.recv(1):
            raise RuntimeError("server: unexpected extra data")
        tls_server_close(tls)

    th = ServerThread(server)
    th.start()
    tls = client_context("tume-ca", VERSION, keylog).wrap_socket(connect(cip, sip_ip), server_hostname=leaf)
    if read_exact(tls, len(probe)) != probe:
        raise RuntimeError("client: bad probe")
    tls.sendall(probe_ok)
    tls_client_close(tls)
    th.finish()


# ---------------------------------------------------------------------------
# 12. hostile-api-gzip-bomb (127.0.0.72 -> 127.0.0.92, api.tu.com)
#    One request whose gzip body (about 16 KiB) inflates to a 16 MiB JSON
#    object: {"contacts":[],"pad":"aaaa...a"}.  Wireshark's HTTP inflates
#    it, with or without the plugin; the plugin must add no copy of its own
#    (the body is over the plugin's JSON limit and never reaches json-glib).
#    Answered 413.
# ---------------------------------------------------------------------------

GZIP_BOMB_INFLATED = 16 * 1024 * 1024
GZIP_BOMB_BODY = '{"contacts":[],"pad":"' + "a" * (GZIP_BOMB_INFLATED - 26) + '"}'


def scenario_api_gzip_bomb(keylog):
    script = [Step([http_request("POST", "/tume/v1/contacts", gz(GZIP_BOMB_BODY),
                                 [("Content-Encoding", "gzip")])],
                   [http_response(413, "Payload Too Large", API_ERROR)])]
    run_script("127.0.0.72", "127.0.0.92", "api", script, keylog)


# ---------------------------------------------------------------------------
# rows for the driver
# ---------------------------------------------------------------------------

SCENARIOS = [
    # name, function, output mode
    ("hostile-json-nesting", scenario_json_nesting, TLS_KEYS),
    ("hostile-json-repeated-keys", scenario_json_repeated_keys, TLS_KEYS),
    ("hostile-api-gzip-bomb", scenario_api_gzip_bomb, TLS_KEYS),
    ("hostile-sip-chunked", scenario_sip_chunked, TLS_KEYS),
    ("hostile-sip-double-length", scenario_sip_double_length, TLS_KEYS),
    ("hostile-sip-bare-lf", scenario_sip_bare_lf, TLS_KEYS),
    ("hostile-sip-trickle", scenario_sip_trickle, TLS_KEYS),
    ("hostile-http-leading-crlf", scenario_http_leading_crlf, TLS_KEYS),
    ("hostile-sip-jpeg-body", scenario_sip_jpeg_body, TLS_KEYS),
    ("hostile-api-100-continue", scenario_api_100_continue, TLS_KEYS),
    ("hostile-keepalive-flood", scenario_keepalive_flood, TLS_KEYS),
    ("hostile-sip-after-finished", scenario_sip_after_finished, TLS_KEYS),
]
