"""TU Me provisioning captures: the JSON-over-HTTPS API.

H tume-provisioning-tls12: one register request to api.tu.com (own CA).
L tume-api-keepalive / M tume-api-multi: the whole reference-model flow made
  by curl (../api.py), over one keep-alive connection (L) or one connection
  per request (M).
N lookalike-api: the same flow to api.example.net, not TU Me (a negative).
O tume-api-edge: pipelined requests in one record, a broken JSON body and
  one nested 200 levels deep (a Python ssl client: curl does not pipeline).
"""

import ssl

from ..api import API_VALIDATE_REPLY, api_scenario
from ..net import client_context, tls_connection
from ..sip import Framer, build
from . import TLS_KEYS

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
# Scenarios L / M / N: the whole TU Me provisioning flow, made by curl
#   (a real HTTP client) against http.server + ssl (TLS 1.2, HTTP/1.1);
#   see ../api.py
# ---------------------------------------------------------------------------

API_LOOKALIKE_UA = "ExampleApp/2.0"
# N: the same reply without any jajah host name
API_LOOKALIKE_VALIDATE_REPLY = API_VALIDATE_REPLY.replace(
    '"domain":"tume.jajah.com","proxy":"sip.tume.jajah.com"',
    '"domain":"sip.example.net","proxy":"example.net"')
assert "jajah" not in API_LOOKALIKE_VALIDATE_REPLY


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
# rows for the driver
# ---------------------------------------------------------------------------

# captures whose summary also counts HTTP requests/responses and TCP streams
HTTP_SUMMARY = {"tume-api-keepalive", "tume-api-multi", "lookalike-api"}

SCENARIOS = [
    # name, function, output mode
    ("tume-provisioning-tls12", scenario_tume_provisioning, TLS_KEYS),
    ("tume-api-keepalive", scenario_tume_api_keepalive, TLS_KEYS),
    ("tume-api-multi", scenario_tume_api_multi, TLS_KEYS),
    ("lookalike-api", scenario_lookalike_api, TLS_KEYS),
    ("tume-api-edge", scenario_tume_api_edge, TLS_KEYS),
]
