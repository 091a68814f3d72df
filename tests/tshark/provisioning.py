"""The TU Me provisioning API (JSON over HTTPS): the flow found by
certificate and SNI, message types in order (one pass and -2), the
tume.api.* fields, tume.sensitive, HTTP/JSON dissection unchanged, and the
user message table (UAT).  (The look-alike API on another host is in
negatives.py.)"""
from .common import (F_ISS, F_SAN, F_SELF, F_SNI, F_SUBJ, SIG_FIELDS, assert_flow_fields, build_mixed, check, check_eq, info_column,
                     expert_frames, split, strip_tume)

# The reference-model API flow of scenarios L and M (captures/README.md), in order.
API_FLOW = ["register", "register_reply", "push_register", "push_register_reply", "validate", "config",
            "profile", "profile_reply", "contacts", "contacts_reply", "authorize", "token",
            "history", "history_reply", "unknown", "error", "account_delete", "account_delete_reply"]
API_FIELDS = {  # type: {field: value}
    "register": {"tume.api.msisdn": "+34600123456", "tume.api.locale": "es_ES"},
    "validate": {"tume.api.msisdn": "+34600123456"},
    "config": {"tume.api.user_id": "u-5f1c2a9e", "tume.api.sip_proxy": "sip.tume.jajah.com"},
    "profile": {"tume.api.msisdn": "+34600123456", "tume.api.user_id": "u-5f1c2a9e",
                "tume.api.screen_name": "Ana"},
    "contacts": {"tume.api.contacts": "200"},
    "contacts_reply": {"tume.api.contacts": "200"},
}
API_KEYS = {
    "register": "msisdn,locale", "register_reply": "status,pinLength", "push_register": "pushToken,pushService",
    "push_register_reply": "status", "validate": "msisdn,pin", "config": "userId,sip,auth,features",
    "profile": "msisdn,userId,screenName", "profile_reply": "status", "contacts": "contacts",
    "contacts_reply": "contacts", "authorize": "", "token": "accessToken,expiresIn", "history": "",
    "history_reply": "history", "unknown": "", "error": "error", "account_delete": "",
    "account_delete_reply": "",
}
API_SENSITIVE = {
    "validate": ["SMS PIN"], "config": ["SIP password"], "contacts": ["address book"],
    "contacts_reply": ["address book"], "authorize": ["Basic authorization"], "token": ["access token"],
    "account_delete": ["access token"],
}
API_EVIDENCE = ["cert-subject", "cert-san", "sni", "http-host", "api-signature"]


TU_API_CERT = {
    F_SNI: "api.tu.com",
    F_SUBJ: "CN=api.tu.com,O=Telefonica Digital,C=ES",
    F_ISS: "CN=TU Test Issuing CA,O=Telefonica Test PKI,C=ES",
    F_SAN: "api.tu.com",
    F_SELF: "0",
}


def case_provisioning_flow(env):
    """The provisioning API host (api.tu.com, its own CA) is TU Me by
    certificate and SNI, role provisioning, with or without keys; Wireshark's
    HTTP and JSON dissection of it does not change."""
    name = "tume-provisioning-tls12"
    for suffix, dec, evidence in (
            (".pcapng", "1", ["cert-subject", "cert-san", "sni", "http-host", "api-signature"]),
            ("-nokeys.pcapng", "0", ["cert-subject", "cert-san", "sni"])):
        cap = env.cap(name, suffix)
        rows = env.fields(cap, SIG_FIELDS, filt="tcp", two_pass=True)
        assert_flow_fields(name + suffix, rows, TU_API_CERT, evidence, dec, flow="provisioning")
        check_eq(len(expert_frames(env, cap, "tume.not_decrypted")), 0 if dec == "1" else 1,
                 "%s: tume.not_decrypted" % (name + suffix))
    cap = env.cap(name)
    check(len(env.fields(cap, ["frame.number"], filt="json")) == 2, "%s: two JSON bodies" % name)
    for extra in ([], ["-2"]):
        args = ["-n", "-r", cap, "-V"] + extra
        check_eq(strip_tume(env.run(args)), env.run(args, plugin=False),
                 "%s %s: all but the TU Me block as stock" % (name, extra))


API_COLS = ["frame.number", "tcp.stream", "tcp.len", "tume.flow", "tume.msg_type", "tume.evidence",
            "tume.decrypted", "tume.api.msisdn", "tume.api.user_id", "tume.api.screen_name", "tume.api.locale",
            "tume.api.contacts", "tume.api.sip_proxy", "tume.api.keys"]


def api_messages(rows):
    """(frame, stream, type) of every provisioning message, in order."""
    out = []
    for r in rows:
        for t in split(r[4]):
            out.append((int(r[0]), int(r[1]), t))
    return out


def assert_api_capture(env, name, streams):
    cap = env.cap(name)
    rows2 = env.fields(cap, API_COLS, filt="tcp", two_pass=True)
    rows1 = env.fields(cap, API_COLS, filt="tcp")
    msgs = api_messages(rows2)
    check_eq([t for _, _, t in msgs], API_FLOW, "%s: message types in order" % name)
    check_eq(len({st for _, st, _ in msgs}), streams, "%s: TCP streams" % name)
    check_eq(api_messages(rows1), msgs, "%s: single pass agrees with -2 on every message" % name)
    # api-signature: on flows where a request matched a table row by its JSON keys
    by_content = {"register", "push_register", "validate", "profile", "contacts"}
    signed = {st for _, st, t in msgs if t in by_content}
    info = info_column(env, cap, filt="tume.msg_type", two_pass=True)
    for r in rows2:
        if int(r[2]) == 0:
            check_eq(r[3], "", "%s: no tume without payload, frame %s" % (name, r[0]))
            continue
        evidence = API_EVIDENCE if int(r[1]) in signed else API_EVIDENCE[:-1]
        check_eq((r[3], split(r[5]), r[6]), ("provisioning", evidence, "1"),
                 "%s -2: flow, evidence, decrypted on frame %s" % (name, r[0]))
        types = split(r[4])
        if not types:
            continue
        check_eq(len(types), 1, "%s: one message per frame here" % name)
        t = types[0]
        want = API_FIELDS.get(t, {})
        for i, col in enumerate(API_COLS[7:13], start=7):
            check_eq(r[i], want.get(col, ""), "%s: %s on the %s (frame %s)" % (name, col, t, r[0]))
        check_eq(",".join(split(r[13])), API_KEYS[t], "%s: tume.api.keys of the %s" % (name, t))
        check(info.get(int(r[0]), "").startswith("TU Me %s: " % t),
              "%s: Info column names the type: %r" % (name, info.get(int(r[0]))))
    # sensitive content, per message type
    got = {}
    for r in env.fields(cap, ["tume.msg_type", "_ws.expert.message"], filt="tume.sensitive", two_pass=True):
        t = r[0]
        got[t] = sorted(m.split(" carries the ")[1] for m in split(r[1]) if " carries the " in m)
    check_eq(got, API_SENSITIVE, "%s: tume.sensitive per message" % name)
    # tume.msg.info on every message
    check_eq(len(env.fields(cap, ["frame.number"], filt="tume.msg.info", two_pass=True)), len(API_FLOW),
             "%s: tume.msg.info frames" % name)
    # Wireshark's own HTTP and JSON output is unchanged
    for extra in ([], ["-2"]):
        args = ["-n", "-r", cap, "-V"] + extra
        check_eq(strip_tume(env.run(args)), env.run(args, plugin=False),
                 "%s %s: all but the TU Me block as stock" % (name, extra))
    # without keys: every flow found, nothing typed, one not-decrypted note per flow
    nk = env.cap(name, "-nokeys.pcapng")
    rows = env.fields(nk, API_COLS, filt="tume", two_pass=True)
    check(len(rows) > 0 and all(r[4] == "" and split(r[5]) == ["cert-subject", "cert-san", "sni"] and r[6] == "0"
                                for r in rows), "%s unkeyed: found by certificate/SNI, not typed" % name)
    nd = env.fields(nk, ["tcp.stream"], filt="tume.not_decrypted", two_pass=True)
    check_eq(sorted(int(r[0]) for r in nd), list(range(streams)), "%s unkeyed: one tume.not_decrypted per flow" % name)


def case_api_keepalive(env):
    """The whole model flow over one keep-alive connection: chunked and gzip
    replies, a 200-entry address book over 12 TCP segments, a 404."""
    assert_api_capture(env, "tume-api-keepalive", 1)


def case_api_multi(env):
    """The same flow, one connection per request."""
    assert_api_capture(env, "tume-api-multi", 9)


def case_api_edge(env):
    """Pipelined requests (two in one record, answered by two replies in one
    record) pair by order; a broken JSON body and one nested 200 levels deep
    are reported as tume.malformed (the deep one never reaches json-glib)."""
    cap = env.cap("tume-api-edge")
    for two in (True, False):
        rows = env.fields(cap, ["frame.number", "tume.msg_type"], filt="tume.msg_type", two_pass=two)
        check_eq([split(r[1]) for r in rows],
                 [["register", "validate"], ["register_reply", "config"], ["unknown"], ["error"],
                  ["unknown"], ["error"]], "api edge: types (two-pass %s)" % two)
    bad = env.fields(cap, ["tume.msg_type", "_ws.expert.message"], filt="tume.malformed", two_pass=True)
    msgs = [m for r in bad for m in split(r[1]) if m.startswith("TU Me provisioning unknown: ")]
    check_eq(len(msgs), 2, "api edge: two malformed bodies: %r" % msgs)
    check(msgs[0].startswith("TU Me provisioning unknown: broken JSON: "), "broken JSON named: %r" % msgs[0])
    check_eq(msgs[1], "TU Me provisioning unknown: JSON nested deeper than 64 levels", "depth named")
    sens = env.fields(cap, ["_ws.expert.message"], filt="tume.sensitive", two_pass=True)
    check_eq(sorted(m for r in sens for m in split(r[0]) if " carries the " in m),
             ["TU Me config carries the SIP password", "TU Me validate carries the SMS PIN"], "api edge: sensitive")


def case_api_message_table(env):
    """User rows (the UAT) come before the built-in ones."""
    cap = env.cap("tume-api-keepalive")
    # a path-only row types the unknown GET, and its 404 reply stays "error"
    rows = env.fields(cap, ["tume.msg_type"], filt="tume.msg_type", two_pass=True,
                      opts=['uat:tume_api_messages:"GET","*/history/*","","history_item","request"'])
    types = [t for r in rows for t in split(r[0])]
    check_eq(types[14:16], ["history_item", "error"], "user row for GET */history/*")
    check_eq(types[:14] + types[16:], API_FLOW[:14] + API_FLOW[16:], "other messages unchanged")
    # the same keys and path as a built-in row: the user's row wins; its reply is "<type>_reply"
    rows = env.fields(cap, ["tume.msg_type"], filt="tume.msg_type", two_pass=True,
                      opts=['uat:tume_api_messages:"POST","*/register","msisdn,locale","signup","request"'])
    types = [t for r in rows for t in split(r[0])]
    check_eq(types[:2], ["signup", "signup_reply"], "user row before the built-in register row")
    # a request-only match by content on another path is still the model's type
    check_eq(types[2:], API_FLOW[2:], "the rest of the flow")


def case_api_message_table_installed(env):
    """The shipped table holds the built-in rows.  However the plugin was
    installed, a user's row still comes before them: with the table as
    Wireshark's global copy (cmake --install, the demo as root, the .deb),
    as the profile's table (install-user, the demo as a normal user; the
    profile's own copy), and with a row added below the shipped ones in the
    personal table (what the GUI's table editor writes).  Without a user row
    the shipped table types exactly as no table does."""
    import os
    shipped = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "profile", "TU Me",
                           "tume_api_messages")
    cap = env.cap("tume-api-keepalive")
    user_row = '"POST","*/register","msisdn,locale","signup","request"'
    none = [t for r in env.fields(cap, ["tume.msg_type"], filt="tume.msg_type", two_pass=True)
            for t in split(r[0])]
    check_eq(none, API_FLOW, "no table at all")

    def home_with(name, files):
        home = os.path.join(env.root, name)
        for rel, text in files.items():
            path = os.path.join(home, ".config", "wireshark", rel)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "w") as f:
                f.write(text)
        if env.drop:
            st = os.stat(env.home)
            for dirpath, dirnames, filenames in os.walk(home):
                for n in [dirpath] + [os.path.join(dirpath, f) for f in filenames]:
                    os.chown(n, st.st_uid, st.st_gid)
        return home

    with open(shipped) as f:
        table = f.read()
    global_dir = env.data_dir_with({"tume_api_messages": shipped})
    modes = [
        ("global table", {"WIRESHARK_DATA_DIR": global_dir}, [], ['uat:tume_api_messages:' + user_row]),
        ("profile table", {"HOME": home_with("home-profile", {"profiles/TU Me/tume_api_messages": table})},
         ["-C", "TU Me"], ['uat:tume_api_messages:' + user_row]),
        ("personal table, row added at the bottom",
         {"HOME": home_with("home-appended", {"tume_api_messages": table + user_row + "\n"})}, [], []),
        ("global and personal tables", {"WIRESHARK_DATA_DIR": global_dir,
                                        "HOME": home_with("home-both", {"tume_api_messages": table})},
         [], ['uat:tume_api_messages:' + user_row]),
    ]
    for what, extra_env, extra, opts in modes:
        plain = [t for r in env.fields(cap, ["tume.msg_type"], filt="tume.msg_type", two_pass=True,
                                       extra=extra, extra_env=extra_env) for t in split(r[0])]
        if opts:
            check_eq(plain, API_FLOW, "%s, no user row: the built-in types" % what)
        types = [t for r in env.fields(cap, ["tume.msg_type"], filt="tume.msg_type", two_pass=True,
                                       extra=extra, extra_env=extra_env, opts=opts) for t in split(r[0])]
        check_eq(types[:2], ["signup", "signup_reply"], "%s: the user's row before the built-in register row" % what)
        check_eq(types[2:], API_FLOW[2:], "%s: the rest of the flow" % what)


def case_http_tls_bubbling(env):
    """Other HTTPS first, TU Me's provisioning API after it: Wireshark then
    tries http_tls before the plugin's heuristic (it moves the heuristic
    that matched last to the head of the list). The API must still be read:
    the same messages as in the TU Me capture alone, one pass and two."""
    alone = env.fields(env.cap("tume-api-multi"), ["tume.msg_type"], filt="tume.msg_type")
    want = [r[0] for r in alone]
    check(len(want) >= 10, "tume-api-multi has provisioning messages")
    for order in (["other-https-json", "tume-api-multi"], ["plain-http-443", "other-https-json", "tume-api-multi"]):
        cap, keys = build_mixed(env, order, "bubbling-%d" % len(order))
        for two in (False, True):
            rows = env.fields(cap, ["tume.msg_type"], filt="tume.msg_type", two_pass=two,
                              opts=["tls.keylog_file:" + keys])
            check_eq([r[0] for r in rows], want, "%s then TU Me's API (%s): message types" % (
                " and ".join(order[:-1]), "-2" if two else "one pass"))
        # other HTTPS is still read by stock HTTP, as without the plugin
        stock = env.fields(cap, ["frame.number", "http.request.uri", "http.response.code"], filt="http",
                           opts=["tls.keylog_file:" + keys], plugin=False)
        mine = env.fields(cap, ["frame.number", "http.request.uri", "http.response.code"], filt="http",
                          opts=["tls.keylog_file:" + keys])
        check_eq(mine, stock, "%s: HTTP fields with the plugin equal stock's" % " + ".join(order))


LINK_FIELDS = ["frame.number", "tume.msg_type", "tume.api.request_in", "tume.api.response_in",
               "tume.api.register_in", "tume.sip.config_in", "tume.api.token_in", "tume.api.token_used_in"]


def case_links(env):
    """Frame links, both ways: a provisioning request and its reply
    (tume.api.response_in / request_in), the config reply and the REGISTERs
    whose From uses its SIP account (tume.api.register_in /
    tume.sip.config_in), the token reply and the requests that carry its
    token (tume.api.token_used_in / token_in). With -2 every link shows
    from both ends; one pass shows the links back to earlier frames (as
    HTTP's request_in), the same ones. A REGISTER before any config reply
    links to nothing."""
    cap, keys = build_mixed(env, ["tume-api-keepalive", "tume-signalling-tls12"], "links", concatenate=True)
    opts = ["tls.keylog_file:" + keys]
    full = {int(r[0]): dict(zip(LINK_FIELDS, r)) for r in env.fields(cap, LINK_FIELDS, filt="tume.msg_type",
                                                                      two_pass=True, opts=opts)}
    types = {f: r["tume.msg_type"] for f, r in full.items()}

    def frames(v):
        return [int(x) for x in split(v)]
    # request <-> reply, every provisioning message
    pairs = 0
    for f, r in full.items():
        for resp in frames(r["tume.api.response_in"]):
            check_eq(frames(full[resp]["tume.api.request_in"]), [f], "frame %d's reply %d links back" % (f, resp))
            pairs += 1
        for req in frames(r["tume.api.request_in"]):
            check_eq(frames(full[req]["tume.api.response_in"]), [f], "frame %d's request %d links on" % (f, req))
    check_eq(pairs, len(API_FLOW) // 2, "request/reply pairs of the API flow")
    by_type = {t: f for f, t in types.items()}
    check_eq(frames(full[by_type["config"]]["tume.api.request_in"]), [by_type["validate"]], "config answers validate")
    check_eq(frames(full[by_type["token"]]["tume.api.request_in"]), [by_type["authorize"]], "token answers authorize")
    # config reply <-> REGISTERs (both REGISTERs of the signalling capture use 34600123456@tume.jajah.com)
    regs = sorted(f for f, t in types.items() if t == "REGISTER")
    check_eq(len(regs), 2, "REGISTERs in the merged capture")
    check_eq(frames(full[by_type["config"]]["tume.api.register_in"]), regs, "config reply -> REGISTERs")
    for f in regs:
        check_eq(frames(full[f]["tume.sip.config_in"]), [by_type["config"]], "REGISTER %d -> config reply" % f)
    # token reply <-> the request that carries it (account_delete: Authorization: Bearer)
    check_eq(frames(full[by_type["token"]]["tume.api.token_used_in"]), [by_type["account_delete"]],
             "token reply -> requests carrying the token")
    check_eq(frames(full[by_type["account_delete"]]["tume.api.token_in"]), [by_type["token"]],
             "account_delete -> token reply")
    linked = [f for f, r in full.items() if r["tume.sip.config_in"] or r["tume.api.register_in"]
              or r["tume.api.token_in"] or r["tume.api.token_used_in"]]
    check_eq(sorted(linked), sorted(regs + [by_type["config"], by_type["token"], by_type["account_delete"]]),
             "frames with account or token links")
    # one pass: the links back, the same as -2's
    one = {int(r[0]): dict(zip(LINK_FIELDS, r)) for r in env.fields(cap, LINK_FIELDS, filt="tume.msg_type",
                                                                     opts=opts)}
    for f, r in full.items():
        for back in ("tume.api.request_in", "tume.sip.config_in", "tume.api.token_in"):
            check_eq(one[f][back], r[back], "one pass, frame %d: %s" % (f, back))
    # the same two captures in time order: the REGISTERs come first and link to nothing
    cap2, keys2 = build_mixed(env, ["tume-api-keepalive", "tume-signalling-tls12"], "links-chrono")
    rows = env.fields(cap2, LINK_FIELDS, filt="tume.msg_type", two_pass=True, opts=["tls.keylog_file:" + keys2])
    check(any(r[1] == "REGISTER" for r in rows), "links-chrono has REGISTERs")
    check_eq([r[0] for r in rows if r[4] or r[5]], [], "REGISTERs before the config reply: no account links")
    # other HTTPS (not TU Me) gets no tume link fields
    check_eq(env.fields(env.cap("other-https-json"), ["frame.number"], filt="tume"), [], "other-https-json: no tume")


def _server_alpn(name):
    """A rerecord_handshakes plan: the server's ServerHello chooses ALPN
    `name` (an extension added; the records keep their sizes otherwise)."""
    def plan(side, msgs):
        out = []
        for m in msgs:
            if side == "server" and m[0] == 2:
                body = m[4:]
                pos = 2 + 32
                pos += 1 + body[pos]
                pos += 3
                exts = body[pos + 2:] if len(body) >= pos + 2 else b""
                proto = bytes([len(name)]) + name
                alpn = (16).to_bytes(2, "big") + (len(proto) + 2).to_bytes(2, "big") + \
                    len(proto).to_bytes(2, "big") + proto
                exts = exts + alpn
                body = body[:pos] + len(exts).to_bytes(2, "big") + exts
                m = b"\x02" + len(body).to_bytes(3, "big") + body
            out.append(m)
        return out, [len(m) for m in out]
    return plan


def case_api_alpn(env):
    """A server that chooses ALPN makes Wireshark's TLS give the session
    straight to that protocol, past every heuristic.  "http/1.1": the plugin
    still reads TU Me's provisioning API (its TLS front hands the session to
    the plugin's HTTP reader through tls_set_appdata_dissector): the same
    message types as without ALPN, HTTP's fields as stock's.  "h2": the
    session stays HTTP/2's, every frame as stock shows it; the flow is still
    TU Me by its SNI and certificate, its messages are not typed."""
    import os
    from .common import rerecord_handshakes
    name = "tume-provisioning-tls12"
    want = env.fields(env.cap(name), ["frame.number", "tume.msg_type"], filt="tume.msg_type", two_pass=True)
    check(len(want) >= 2, "%s: typed messages" % name)
    http = ["frame.number", "http.request.method", "http.request.uri", "http.response.code"]
    for proto in (b"http/1.1", b"h2"):
        cap = os.path.join(env.root, "alpn-%s.pcapng" % proto.decode().replace("/", ""))
        rerecord_handshakes(env.cap(name), cap, _server_alpn(proto))
        alpn = env.fields(cap, ["tls.handshake.extensions_alpn_str"], filt="tls.handshake.type == 2", plugin=False)
        check_eq([r[0] for r in alpn], [proto.decode()], "stock reads the ServerHello's ALPN")
        stock = env.fields(cap, http + ["frame.protocols"], plugin=False)
        mine = env.fields(cap, http + ["frame.protocols"])
        check_eq(mine, stock, "ALPN %s: HTTP fields and layers as stock's" % proto.decode())
        got = env.fields(cap, ["frame.number", "tume.msg_type"], filt="tume.msg_type", two_pass=True)
        flows = {r[0] for r in env.fields(cap, ["tume.flow"], filt="tume", two_pass=True)}
        check_eq(flows, {"provisioning"}, "ALPN %s: still a TU Me provisioning flow" % proto.decode())
        if proto == b"http/1.1":
            check(any(r[1] for r in stock), "ALPN http/1.1: stock reads HTTP (the case is real)")
            check_eq(got, want, "ALPN http/1.1: the same typed provisioning messages")
        else:
            check(not any(r[1] or r[3] for r in stock), "ALPN h2: stock reads no HTTP/1.1")
            check_eq(got, [], "ALPN h2: no provisioning message typed")
