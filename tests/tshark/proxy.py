"""TU Me through an intercepting HTTP proxy (mitmdump), as its first
analysts captured it: tume-proxy-phone (the phone's packets only: the
CONNECT tunnel to the proxy and the direct SIP) and tume-proxy-host (both
legs), each keyed (DSB) and keyless."""
from .common import check, check_eq, split

PROXY = "127.0.0.50:8080"
API_FLOW = ["register", "register_reply", "push_register", "push_register_reply", "validate", "config",
            "profile", "profile_reply", "contacts", "contacts_reply", "authorize", "token", "history",
            "history_reply", "unknown", "error", "account_delete", "account_delete_reply"]
MITM_ISSUER = "O=mitmproxy,CN=mitmproxy"


def streams(env, cap):
    """{CONNECT authority: tcp.stream} of the capture, and {tcp.stream:
    [frames with TCP payload]}, from stock tshark."""
    tunnels = {uri: stream for stream, uri in env.fields(cap, ["tcp.stream", "http.request.uri"],
                                                         filt='http.request.method == "CONNECT"', plugin=False)}
    payload = {}
    for frame, stream in env.fields(cap, ["frame.number", "tcp.stream"], filt="tcp.len > 0", plugin=False):
        payload.setdefault(stream, []).append(int(frame))
    return tunnels, payload


TUME_FIELDS = ["frame.number", "tcp.stream", "tume.flow", "tume.evidence", "tume.sni", "tume.cert.issuer",
               "tume.proxy.connect", "tume.proxy.address", "tume.decrypted", "tume.msg_type", "ip.src"]


def tume_rows(env, cap, two):
    rows = [dict(zip(TUME_FIELDS, r)) for r in env.fields(cap, TUME_FIELDS, filt="tume", two_pass=two)]
    by_stream = {}
    for r in rows:
        by_stream.setdefault(r["tcp.stream"], []).append(r)
    return by_stream


def case_proxy_tunnel(env):
    """With keys, the phone's tunnel through mitmproxy (CONNECT
    api.tu.com:443, then TLS with the certificate mitmproxy forged) is a
    TU Me provisioning flow: every packet with payload from the CONNECT on
    is marked, with the CONNECT authority, the proxy, the SNI, the forged
    certificate's issuer and connect-host evidence, and its messages are
    exactly the forwarded leg's (proxy host capture), in one pass and in
    two."""
    for name in ("tume-proxy-phone", "tume-proxy-host"):
        cap = env.cap(name)
        tunnels, payload = streams(env, cap)
        check("api.tu.com:443" in tunnels, "%s: a CONNECT api.tu.com:443 (got %r)" % (name, tunnels))
        tunnel = tunnels["api.tu.com:443"]
        for two in (False, True):
            mode = "%s %s" % (name, "-2" if two else "one pass")
            rows = tume_rows(env, cap, two)
            got = rows.get(tunnel, [])
            check_eq([int(r["frame.number"]) for r in got], payload[tunnel],
                     "%s: every tunnel packet with payload is marked, from the CONNECT on" % mode)
            check_eq([t for r in got for t in split(r["tume.msg_type"])], API_FLOW,
                     "%s: the tunnel's message types" % mode)
            for r in got:
                check_eq((r["tume.flow"], r["tume.proxy.connect"], r["tume.proxy.address"]),
                         ("provisioning", "api.tu.com:443", PROXY), "%s: frame %s: flow and proxy" % (mode, r["frame.number"]))
                check("connect-host" in split(r["tume.evidence"]),
                      "%s: frame %s: connect-host evidence from the CONNECT on" % (mode, r["frame.number"]))
            last = got[-1]
            check_eq((last["tume.sni"], last["tume.cert.issuer"], last["tume.decrypted"]),
                     ("api.tu.com", MITM_ISSUER, "1"), "%s: the tunnel's SNI, issuer, decryption" % mode)
            check_eq(set(split(last["tume.evidence"])),
                     {"connect-host", "sni", "cert-subject", "cert-san", "http-host", "api-signature"},
                     "%s: the tunnel's evidence" % mode)
            if name == "tume-proxy-host":
                # the forwarded leg (proxy -> server) is a direct TU Me flow
                legs = [s for s, rs in rows.items() if s != tunnel and rs[0]["tume.flow"] == "provisioning"]
                check_eq(len(legs), 1, "%s: one forwarded provisioning leg" % mode)
                leg = rows[legs[0]]
                check_eq([t for r in leg for t in split(r["tume.msg_type"])], API_FLOW,
                         "%s: the forwarded leg's message types" % mode)
                check_eq((leg[-1]["tume.proxy.connect"], leg[-1]["tume.cert.issuer"]),
                         ("", "CN=TU Test Issuing CA,O=Telefonica Test PKI,C=ES"),
                         "%s: the forwarded leg is direct, with the server's own certificate" % mode)


def case_proxy_tunnel_keyless(env):
    """Without keys, the tunnel is identified from the CONNECT authority
    (from the CONNECT on) and the SNI and certificate, and its records are
    read by size, in one pass and in two."""
    for name in ("tume-proxy-phone-nokeys", "tume-proxy-host-nokeys"):
        cap = env.cap(name)
        tunnels, payload = streams(env, cap)
        tunnel = tunnels["api.tu.com:443"]
        for two in (False, True):
            mode = "%s %s" % (name, "-2" if two else "one pass")
            got = tume_rows(env, cap, two).get(tunnel, [])
            check_eq([int(r["frame.number"]) for r in got], payload[tunnel],
                     "%s: every tunnel packet with payload is marked" % mode)
            check(all(r["tume.decrypted"] == "0" and not r["tume.msg_type"] for r in got),
                  "%s: nothing decrypted, no message typed" % mode)
            check_eq(set(split(got[-1]["tume.evidence"])), {"connect-host", "sni", "cert-subject", "cert-san"},
                     "%s: the tunnel's evidence" % mode)
            check_eq(got[-1]["tume.cert.issuer"], MITM_ISSUER, "%s: the forged certificate's issuer" % mode)
            guesses = [g for r in env.fields(cap, ["tcp.stream", "tume.enc.guess"], filt="tume.enc.guess",
                                             two_pass=two) if r[0] == tunnel for g in split(r[1])]
            check(guesses.count("api-request") == len([t for t in API_FLOW if not t.endswith("_reply")
                                                       and t not in ("config", "token", "error")]),
                  "%s: one api-request record per request, read by size (got %r)" % (mode, guesses))


def case_proxy_not_tume(env):
    """The request through the same proxy that is not TU Me (CONNECT
    api.example.net:443, and on the proxy host its forwarded leg) gets no
    tume, and every TCP connection without TU Me dissects as stock, byte
    for byte (-V), in one pass and in two."""
    for name in ("tume-proxy-phone", "tume-proxy-phone-nokeys", "tume-proxy-host", "tume-proxy-host-nokeys"):
        cap = env.cap(name)
        tunnels, _ = streams(env, cap)
        check("api.example.net:443" in tunnels, "%s: a CONNECT api.example.net:443" % name)
        other = tunnels["api.example.net:443"]
        for two in (False, True):
            extra = ["-2"] if two else []
            check_eq(env.fields(cap, ["frame.number"], filt="tume && tcp.stream == %s" % other, two_pass=two), [],
                     "%s %s: the api.example.net tunnel is not TU Me" % (name, extra))
            # every frame of the TCP connections with no TU Me packet (RTP
            # is left out: the SDP that sets it up is in TU Me's SIP, which
            # stock misreads)
            rows = env.fields(cap, ["frame.number", "tcp.stream", "tume.flow"], filt="tcp", two_pass=two)
            tume_streams = {st for _, st, t in rows if t}
            others = [f for f, st, _ in rows if st not in tume_streams]
            check(len(others) >= 10 and other not in tume_streams,
                  "%s %s: connections that are not TU Me, the api.example.net tunnel among them" % (name, extra))
            args = ["-n", "-r", cap, "-V", "-Y", "frame.number in {%s}" % ",".join(others)] + extra
            # the only addition: the bypass items on a direct flow of the
            # phone (it uses the proxy), at the top of the tree
            ours = [l for l in env.run(args).splitlines()
                    if not l.startswith(("[Bypasses the HTTP proxy: True]", "[Client's first CONNECT in: "))]
            check_eq(ours, env.run(args, plugin=False).splitlines(),
                     "%s %s: packets that are not TU Me dissect as without the plugin" % (name, extra))


def case_proxy_intercepted(env):
    """The tunnel's certificate was forged by mitmproxy: shown as
    intercepted (tume.cert.intercepted_by, an expert info in the security
    group at the certificate), the issuer item says it is the proxy's CA;
    on the proxy host the same name's two issuers are linked both ways
    (-2).  The direct SIP flow is not intercepted.  The preference's list
    decides: another pattern matches another issuer, an empty list none."""
    for name in ("tume-proxy-phone", "tume-proxy-phone-nokeys", "tume-proxy-host", "tume-proxy-host-nokeys"):
        cap = env.cap(name)
        tunnels, _ = streams(env, cap)
        tunnel = tunnels["api.tu.com:443"]
        for two in (False, True):
            mode = "%s %s" % (name, "-2" if two else "one pass")
            rows = env.fields(cap, ["frame.number", "tcp.stream", "tume.cert.issuer", "tume.cert.intercepted_by",
                                    "tume.cert.other_issuer", "tume.cert.other_issuer_in", "tume.sni"],
                              filt="tume.cert.issuer", two_pass=two)
            for f, st, issuer, by, other, other_in, sni in rows:
                want = "mitmproxy" if issuer == MITM_ISSUER else ""
                check_eq(by, want, "%s: frame %s (issuer %s): intercepted_by" % (mode, f, issuer))
                check(st != tunnel or issuer == MITM_ISSUER, "%s: the tunnel's issuer is mitmproxy's" % mode)
            check(any(r[1] == tunnel for r in rows), "%s: the tunnel has its certificate" % mode)
            warned = env.fields(cap, ["frame.number", "tcp.stream"], filt="tume.cert.intercepted", two_pass=two)
            check_eq([st for _, st in warned], [tunnel], "%s: one interception warning, on the tunnel" % mode)
            if name.startswith("tume-proxy-host") and two:
                api = [r for r in rows if r[6] == "api.tu.com"]
                others = {(r[2], r[4]) for r in api}
                check_eq(others, {(MITM_ISSUER, "CN=TU Test Issuing CA,O=Telefonica Test PKI,C=ES"),
                                  ("CN=TU Test Issuing CA,O=Telefonica Test PKI,C=ES", MITM_ISSUER)},
                         "%s: api.tu.com's two issuers name each other on every frame" % mode)
                differs = env.fields(cap, ["tcp.stream"], filt="tume.cert.issuer_differs", two_pass=True)
                check_eq(len(differs), 2, "%s: an issuer_differs warning at each api.tu.com certificate" % mode)
            if name.startswith("tume-proxy-phone"):
                check(all(not r[4] for r in rows), "%s: on the phone, one issuer per name" % mode)
    # the issuer item says whose CA it is
    tree = env.run(["-n", "-r", env.cap("tume-proxy-phone"), "-V", "-Y", "tume.cert.intercepted_by", "-c", "200"])
    check("Certificate issuer: O=mitmproxy,CN=mitmproxy (the CA of an interception proxy: mitmproxy)" in tree,
          "the issuer item names the interception proxy")
    # the preference decides
    cap = env.cap("tume-proxy-phone")
    got = env.fields(cap, ["tume.cert.issuer", "tume.cert.intercepted_by"], filt="tume.cert.issuer", two_pass=True,
                     opts=["tume.interception_issuers:Test CA=example test pki"])
    check_eq({tuple(r) for r in got}, {(MITM_ISSUER, ""), ("CN=TU Me Test Root CA,O=Example Test PKI,C=ES", "Test CA")},
             "tume.interception_issuers: another pattern, another match")
    got = env.fields(cap, ["tume.cert.intercepted_by"], filt="tume.cert.intercepted_by", two_pass=True,
                     opts=["tume.interception_issuers:"])
    check_eq(got, [], "tume.interception_issuers empty: nothing intercepted")


def case_proxy_bypass(env):
    """The phone sends the API through the proxy; its direct TLS flows
    bypass it (the 2012 clue): tume.proxy.bypass on every packet with
    payload of each of them, TU Me or not (the direct request that is not
    TU Me has no tume item), in one pass from the phone's first CONNECT on,
    with -2 on every one; with tume.proxy.bypass_connect_in, that CONNECT.
    Tunnels, the proxy's own connections and captures without a proxy have
    none."""
    for name in ("tume-proxy-phone", "tume-proxy-phone-nokeys", "tume-proxy-host", "tume-proxy-host-nokeys"):
        cap = env.cap(name)
        tunnels, payload = streams(env, cap)
        first_connect = min(int(r[0]) for r in env.fields(cap, ["frame.number"], filt='http.request.method == "CONNECT"',
                                                          plugin=False))
        # the phone's direct TLS flows: to 443 from 127.0.0.41
        direct = {}
        for st, sni in env.fields(cap, ["tcp.stream", "tls.handshake.extensions_server_name"],
                                  filt="tls.handshake.type == 1 && ip.src == 127.0.0.41 && tcp.dstport == 443",
                                  plugin=False):
            direct[st] = sni
        check_eq(sorted(direct.values()), ["api.example.net", "sip.tume.jajah.com"],
                 "%s: the phone's direct flows" % name)
        for two in (False, True):
            mode = "%s %s" % (name, "-2" if two else "one pass")
            rows = env.fields(cap, ["frame.number", "tcp.stream", "tume.proxy.bypass", "tume.proxy.bypass_connect_in",
                                    "tume.flow"], filt="tume.proxy.bypass", two_pass=two)
            marked = {}
            for f, st, b, cin, flow in rows:
                check_eq((b, cin), ("1", str(first_connect)), "%s: frame %s: bypass, the phone's first CONNECT" % (mode, f))
                marked.setdefault(st, []).append((int(f), flow))
            want = {}
            for st, sni in direct.items():
                frames = [f for f in payload[st] if two or f > first_connect]
                if frames:
                    want[st] = frames
            check_eq({st: [f for f, _ in v] for st, v in marked.items()}, want,
                     "%s: every payload packet of the phone's direct flows after its first CONNECT%s" % (
                         mode, " (-2: all)" if two else ""))
            for st, v in marked.items():
                tume = direct[st] == "sip.tume.jajah.com"
                check(all(bool(flow) == tume for _, flow in v),
                      "%s: the bypass mark comes with a tume item on the TU Me flow only" % mode)
            check(not set(marked) & set(tunnels.values()), "%s: tunnels do not bypass" % mode)
        # one pass: the direct request before the first CONNECT is not marked
        other = next(st for st, sni in direct.items() if sni == "api.example.net")
        check(all(f < first_connect for f in payload[other]), "%s: the other direct flow precedes the CONNECT" % name)
    for name in ("tume-signalling-tls12", "tume-api-multi", "other-https-json"):
        check_eq(env.fields(env.cap(name), ["frame.number"], filt="tume.proxy.bypass", two_pass=True), [],
                 "%s: no proxy, no bypass" % name)
