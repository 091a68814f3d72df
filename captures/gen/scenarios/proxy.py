"""TU Me through an intercepting HTTP proxy, as its first analysts saw it.

Z1 tume-proxy-host: the phone (127.0.0.41) has its system HTTP proxy set to
  mitmproxy (mitmdump, explicit proxy on 127.0.0.50:8080, connecting
  upstream from 127.0.0.51).  curl, as the app, runs the whole provisioning
  flow (../api.py) through it: CONNECT api.tu.com:443, then TLS inside the
  tunnel with the certificate mitmproxy forged for api.tu.com (issuer
  CN=mitmproxy, O=mitmproxy), which mitmproxy forwards to the real API
  server (127.0.0.61:443, certificate of "TU Test Issuing CA").  A request
  that is not TU Me (api.example.net, 127.0.0.62) goes through the same
  proxy.  The TU Me signalling (SIP over TLS to sip.tume.jajah.com,
  127.0.0.63:443) bypasses the proxy, as in 2012.  Captured on the proxy
  host: both legs.  Before any of it the phone makes one direct HTTPS
  request to api.example.net (not TU Me, before the proxy is in use).
  mitmproxy's key log (MITMPROXY_SSLKEYLOGFILE) and curl's and the SIP
  client's cover every TLS session.
Z2 tume-proxy-phone: the same capture as the phone has it (tcpdump on the
  device): only the packets to and from 127.0.0.41 (the tunnel to the
  proxy and the direct SIP), made from P's files (DERIVED below).
"""

import os
import shutil
import socket
import ssl
import subprocess
import tempfile
import time

from ..api import API_VALIDATE_REPLY, ApiServer, ApiStep, api_flow, run_curl
from ..net import SOCK_TIMEOUT, ServerThread
from ..pki import pki_path
from . import TLS_KEYS
from .provisioning import TUME_PROV_UA
from .signalling import scenario_tume

PHONE = "127.0.0.41"
PROXY, PROXY_PORT, PROXY_OUT = "127.0.0.50", 8080, "127.0.0.51"
API_IP, OTHER_IP, SIP_IP = "127.0.0.61", "127.0.0.62", "127.0.0.63"

# mitmproxy resolves these names itself (no DNS here): an addon gives the
# server address; the upstream SNI stays the name the client asked for
ADDON = '''
ADDR = {"api.tu.com": "%s", "api.example.net": "%s"}

def server_connect(data):
    host, port = data.server.address
    if host in ADDR:
        data.server.address = (ADDR[host], port)
''' % (API_IP, OTHER_IP)

OTHER_UA = "ExampleWeather/3.2 CFNetwork/548.1.4 Darwin/11.0.0"
OTHER_REPLY = '{"city":"Madrid","temp":21,"unit":"C"}'


class Mitmdump:
    """mitmdump as an explicit proxy, its key log written to keylog."""

    def __init__(self, keylog):
        self.dir = tempfile.mkdtemp(prefix="tume-mitm-")
        addon = os.path.join(self.dir, "resolve.py")
        with open(addon, "w") as f:
            f.write(ADDON)
        upstream_ca = os.path.join(self.dir, "upstream-ca.pem")
        with open(upstream_ca, "w") as f:
            for ca in ("tu-ca", "other-ca"):
                with open(pki_path(ca, "crt")) as c:
                    f.write(c.read())
        env = dict(os.environ, MITMPROXY_SSLKEYLOGFILE=keylog, HOME=self.dir)
        self.log = open(os.path.join(self.dir, "mitmdump.log"), "w")
        self.p = subprocess.Popen(
            ["mitmdump", "-q", "--listen-host", PROXY, "--listen-port", str(PROXY_PORT),
             "--set", "confdir=" + os.path.join(self.dir, "conf"),
             "--set", "connect_addr=" + PROXY_OUT,
             "--set", "ssl_verify_upstream_trusted_ca=" + upstream_ca,
             "-s", addon],
            env=env, stdout=self.log, stderr=subprocess.STDOUT)
        self.ca = os.path.join(self.dir, "conf", "mitmproxy-ca-cert.pem")
        deadline = time.time() + SOCK_TIMEOUT
        while True:
            if self.p.poll() is not None:
                raise RuntimeError("mitmdump exited: %s" % self.output())
            try:
                socket.create_connection((PROXY, PROXY_PORT), timeout=1).close()
                if os.path.exists(self.ca):
                    break
            except OSError:
                pass
            if time.time() > deadline:
                raise RuntimeError("mitmdump did not start: %s" % self.output())
            time.sleep(0.2)

    def output(self):
        self.log.flush()
        with open(self.log.name) as f:
            return f.read()[-2000:]

    def stop(self):
        self.p.terminate()
        try:
            self.p.wait(10)
        except subprocess.TimeoutExpired:
            self.p.kill()
            self.p.wait()
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)


def through_proxy(mitm, keylog, host, ip, leaf, ua, flow):
    """The flow's requests by curl through the proxy (mitm; None: straight
    to ip, no proxy), over one keep-alive connection (one CONNECT),
    answered by an ApiServer on ip:443."""
    server = ApiServer(ip, leaf, host, ua, flow)
    th = ServerThread(lambda: server.handle_request())
    th.start()
    try:
        if mitm is not None:
            via = ["--cacert", mitm.ca, "--proxy", "http://%s:%d" % (PROXY, PROXY_PORT)]
        else:
            via = ["--cacert", pki_path("other-ca", "crt"), "--resolve", "%s:443:%s" % (host, ip)]
        common = ["--http1.1", "--tlsv1.2", "--tls-max", "1.2"] + via + ["--interface", PHONE,
                  "--max-time", "%d" % SOCK_TIMEOUT, "-sS", "-A", ua,
                  "-H", "Accept: application/json", "-w", "%{json}\\n"]
        groups = []
        for step in flow:
            if groups and groups[-1][0] == step.curl_args:
                groups[-1][1].append(step)
            else:
                groups.append((step.curl_args, [step]))
        transfers = run_curl([(common + args, ["https://%s%s" % (host, s.path) for s in steps])
                              for args, steps in groups], keylog)
        if [w.get("http_code") for w in transfers] != [s.status for s in flow]:
            raise RuntimeError("through the proxy: codes %r" % [w.get("http_code") for w in transfers])
        if len(set(w.get("local_port") for w in transfers)) != 1:
            raise RuntimeError("through the proxy: more than one connection")
        # curl closes its tunnel; mitmproxy then closes the upstream connection
        server.wait_closed(1)
        th.finish()
    finally:
        server.server_close()
    if server.errors:
        raise RuntimeError("server %s: %s" % (host, "; ".join(server.errors)))
    if server.pos != len(flow):
        raise RuntimeError("server %s answered %d of %d requests" % (host, server.pos, len(flow)))


def scenario_tume_proxy(keylog):
    # before the phone uses the proxy: a direct HTTPS request that is not
    # TU Me (it bypasses a proxy that is not in use yet)
    through_proxy(None, keylog, "api.example.net", OTHER_IP, "api.example.net", OTHER_UA,
                  [ApiStep("GET", "/v2/weather?city=sevilla", [], reply=OTHER_REPLY)])
    mitm = Mitmdump(keylog)
    try:
        through_proxy(mitm, keylog, "api.tu.com", API_IP, "api.tu.com", TUME_PROV_UA,
                      api_flow(API_VALIDATE_REPLY))
        through_proxy(mitm, keylog, "api.example.net", OTHER_IP, "api.example.net", OTHER_UA,
                      [ApiStep("GET", "/v2/weather?city=madrid", [], reply=OTHER_REPLY)])
    except BaseException:
        print(mitm.output())
        raise
    finally:
        mitm.stop()
    # the signalling goes straight to the server: it bypasses the proxy
    scenario_tume(ssl.TLSVersion.TLSv1_2, PHONE, SIP_IP)(keylog)


SCENARIOS = [
    ("tume-proxy-host", scenario_tume_proxy, TLS_KEYS),
]

# captures made from another one's files: name -> (source, display filter)
DERIVED = {
    "tume-proxy-phone": ("tume-proxy-host", "ip.addr == %s" % PHONE),
}
