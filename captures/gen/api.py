"""The TU Me provisioning API flow, made by a real HTTP client.

api_flow() is the reference model's flow (captures/README.md, L-N): nine
ApiSteps, each saying what curl sends and what the server answers
(chunked and gzip replies included).  ApiServer/ApiHandler is a Python
``http.server`` HTTPS server (TLS 1.2, HTTP/1.1 keep-alive) that checks every
request against the flow, strictly in order.  run_curl() runs ``curl`` (its
key log comes from SSLKEYLOGFILE) and check_transfer() compares curl's
``-w '%{json}'`` report with the step.  api_scenario() returns a scenario
function: the whole flow over one keep-alive connection, or one connection
per request.
"""

import gzip
import http.server
import json
import os
import socket
import socketserver
import ssl
import subprocess
import sys
import threading
import time

from .net import PORT, SOCK_TIMEOUT, ServerThread, server_context, tcp_opts
from .pki import pki_path

API_MSISDN = "+34600123456"
API_USER_ID = "u-5f1c2a9e"
API_PUSH_TOKEN = "a1b2c3d4" * 8
API_BASIC = "Basic MzQ2MDAxMjM0NTY6azdReC0ybVo="      # 34600123456:k7Qx-2mZ
API_TOKEN = "at-9c1e77f0b2"
API_CONTACTS = 200
API_CHUNK = 1024                   # data bytes per chunk of the chunked reply
API_VALIDATE_REPLY = (
    '{"userId":"u-5f1c2a9e","sip":{"domain":"tume.jajah.com",'
    '"proxy":"sip.tume.jajah.com","port":443,"transport":"tls",'
    '"username":"34600123456","password":"k7Qx-2mZ"},'
    '"auth":{"realm":"tume","clientId":"tume-ios"},'
    '"features":{"text":true,"talk":true,"share":true}}')

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
        tcp_opts(self.socket, True)
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
