"""Statistics: the stats tree (-z tume,tree), the flow tables (-z tume,flows
and the GUI's table, -z tume,flowtable) and the "TU Me" conversation and
endpoint tables (-z conv,tume, -z endpoints,tume), checked against what
-T fields says of the same capture in the same pass mode."""
import collections
import decimal
import re
import subprocess

from .common import Failure, build_mixed, check, check_eq, split

# Mixed: signalling (TLS 1.2 and 1.3), provisioning, certificate anomalies
# without keys, other HTTPS with JSON, other SIP over TLS, plain HTTP on 443.
MIXED_SOURCES = ["other-https-json", "tume-signalling-tls12", "tume-api-keepalive", "other-sip-tls",
                 "tume-cert-anomalies", "tume-signalling-tls13", "tume-api-multi", "tume-proxy-phone"]
KEYLESS_SOURCES = ["plain-http-443"]


def parse_stats_tree(text):
    """{(node, child, ...): count} of a -z <tree>,tree printout."""
    lines = text.splitlines()
    start = next((i for i, l in enumerate(lines) if l.startswith("Topic / Item")), None)
    check(start is not None, "stats tree printout has a header:\n%s" % text)
    col = lines[start].index("Count")
    nodes, path = {}, []
    for l in lines[start + 2:]:
        if l.startswith("---") or not l.strip():
            break
        depth = len(l) - len(l.lstrip(" "))
        name = l[:col].strip()
        count = int(l[col:].split()[0])
        path = path[:depth] + [name]
        nodes[tuple(path)] = count
    return nodes


FIELDS = ["tume.proxy.connect", "tume.proxy.address", "tume.proxy.bypass_connect_in",
          "frame.number", "tcp.stream", "frame.len", "tume.flow", "tume.evidence", "tume.cert.issuer",
          "tume.cert.subject", "tume.decrypted", "tume.sni", "tume.msg_type", "tume.keepalives_more",
          "ip.src", "tcp.srcport", "ip.dst", "tcp.dstport", "tume.enc.guess", "frame.time_epoch"]
SIZED = "Records not decrypted, read by size"
PING_INTERVAL = "Keep-alive ping interval read by size (ms)"


def expected_from_fields(env, cap, keys, two_pass):
    """What the statistics must say, from -T fields of every TU Me packet."""
    rows = env.fields(cap, FIELDS, filt="tume", two_pass=two_pass, opts=["tls.keylog_file:" + keys])
    # the server: who received the ClientHello (TU Me or not at that point)
    servers = {}
    for stream, ip, port in env.fields(cap, ["tcp.stream", "ip.dst", "tcp.dstport"], filt="tls.handshake.type == 1",
                                       opts=["tls.keylog_file:" + keys], plugin=False):
        servers.setdefault(stream, (ip, port))
    flows = collections.OrderedDict()
    for r in rows:
        f = dict(zip(FIELDS, r))
        st = flows.setdefault(f["tcp.stream"], {"frames": [], "bytes": 0, "msgs": [],
                                                "server": servers.get(f["tcp.stream"])})
        st["frames"].append(int(f["frame.number"]))
        st["bytes"] += int(f["frame.len"])
        st["last"] = f
        st.setdefault("first", f)
        st["msgs"].append(f)
    return flows


def direction(st, f):
    if st["server"] is None:
        return "direction unknown"
    return "to server" if (f["ip.dst"], f["tcp.dstport"]) == st["server"] else "to client"


def case_stats_tree(env):
    """-z tume,tree: flows by role, evidence, decryption, issuer and subject;
    messages by role, type and direction; frame bytes by role; sensitive
    items by kind. Each count equals what -T fields and -z expert say of the
    same mixed capture, one pass and two."""
    cap, keys = build_mixed(env, MIXED_SOURCES + KEYLESS_SOURCES, "mixed-stats")
    for two in (False, True):
        flows = expected_from_fields(env, cap, keys, two)
        check(len(flows) >= 8, "the mixed capture has TU Me flows of both roles (%d)" % len(flows))
        want = collections.Counter()
        for st in flows.values():
            last = st["last"]
            want[("Flows by role",)] += 1
            want[("Flows by role", last["tume.flow"])] += 1
            want[("Flows by evidence",)] += 1
            for e in split(last["tume.evidence"]):
                want[("Flows by evidence", e)] += 1
            want[("Flows by HTTP proxy use",)] += 1
            want[("Flows by HTTP proxy use", proxy_node(st))] += 1
            want[("Flows by decryption",)] += 1
            want[("Flows by decryption", "decrypted" if last["tume.decrypted"] == "1" else "not decrypted")] += 1
            if last["tume.cert.issuer"]:
                want[("Flows by certificate issuer",)] += 1
                want[("Flows by certificate issuer", last["tume.cert.issuer"])] += 1
                want[("Flows by certificate subject",)] += 1
                want[("Flows by certificate subject", last["tume.cert.subject"])] += 1
            for f in st["msgs"]:
                role = f["tume.flow"]
                want[("Frame bytes by flow role",)] += int(f["frame.len"])
                want[("Frame bytes by flow role", role)] += int(f["frame.len"])
                types = split(f["tume.msg_type"])
                counts = [1] * len(types)
                more = [int(x) for x in split(f["tume.keepalives_more"])]
                if more:
                    # "N more keep-alives" is counted by kind in the tree;
                    # -T fields has the total: compare the totals below
                    want[("Messages by type and direction",)] += sum(more)
                for t, n in zip(types, counts):
                    mrole = "signalling" if re.match(r"^([A-Z]+|\d{3} .*|keepalive-p[io]ng)$", t) else "provisioning"
                    want[("Messages by type and direction",)] += n
                    want[("Messages by type and direction", mrole)] += n
                    want[("Messages by type and direction", mrole, t)] += n
                    want[("Messages by type and direction", mrole, t, direction(st, f))] += n
                for g in split(f["tume.enc.guess"]):
                    want[(SIZED,)] += 1
                    want[(SIZED, role)] += 1
                    want[(SIZED, role, g)] += 1
                    want[(SIZED, role, g, direction(st, f))] += 1
            pings = sum(split(f["tume.enc.guess"]).count("keepalive-ping") for f in st["msgs"])
            want[(PING_INTERVAL,)] += max(0, pings - 1)
            if pings > 1:
                want[(PING_INTERVAL, "%s -> %s" % flow_endpoints(st))] += pings - 1
        out = env.run(["-n", "-q", "-r", cap, "-o", "tls.keylog_file:" + keys, "-z", "tume,tree"]
                      + (["-2"] if two else []))
        got = parse_stats_tree(out)
        mode = "-2" if two else "one pass"
        # nodes the fields cannot check to the unit: keep-alive counts per kind
        for path, n in sorted(want.items()):
            if len(path) >= 3 and path[2].startswith("keepalive-") and any(
                    split(st["last"]["tume.keepalives_more"]) for st in flows.values()):
                continue
            check_eq(got.get(path, 0), n, "%s: -z tume,tree %s" % (mode, " / ".join(path)))
        for path, n in got.items():
            if n and path not in want and not (len(path) >= 3 and path[2].startswith("keepalive-")) \
                    and path[0] != "Sensitive items by kind":
                raise Failure("%s: -z tume,tree has %s = %d, which -T fields does not show" % (mode, path, n))
        # sensitive items, by kind, against -z expert
        exp = env.run(["-n", "-q", "-r", cap, "-o", "tls.keylog_file:" + keys, "-z", "expert"]
                      + (["-2"] if two else []))
        kinds = collections.Counter()
        for l in exp.splitlines():
            m = re.match(r"\s*(\d+)\s+Security\s+TU Me\s+TU Me \S+ carries the (.+?)\s*$", l)
            if m:
                kinds[m.group(2)] += int(m.group(1))
        check(sum(kinds.values()) > 0, "%s: -z expert lists sensitive items" % mode)
        check_eq(got.get(("Sensitive items by kind",)), sum(kinds.values()), "%s: sensitive items" % mode)
        for k, n in kinds.items():
            check_eq(got.get(("Sensitive items by kind", k)), n, "%s: sensitive items: %s" % (mode, k))
    # traffic that is not TU Me: the tree is empty
    for name in ("other-https-json", "other-sip-tls", "plain-http-443", "non-tls-443"):
        got = parse_stats_tree(env.run(["-n", "-q", "-r", env.cap(name), "-z", "tume,tree"]))
        check_eq({p: n for p, n in got.items() if n}, {}, "%s: -z tume,tree counts nothing" % name)


def flow_endpoints(st):
    """("client:port", "server:port") of a flow, as the statistics name them."""
    first = st["first"]
    if st["server"] is not None:
        server = "%s:%s" % st["server"]
        client = ("%s:%s" % (first["ip.src"], first["tcp.srcport"])
                  if (first["ip.dst"], first["tcp.dstport"]) == st["server"]
                  else "%s:%s" % (first["ip.dst"], first["tcp.dstport"]))
    else:
        client = "%s:%s" % (first["ip.src"], first["tcp.srcport"])
        server = "%s:%s" % (first["ip.dst"], first["tcp.dstport"])
    return client, server


def flow_proxy(st):
    """The proxy column of a flow, from its latest packet."""
    last = st["last"]
    if last["tume.proxy.connect"]:
        return "via %s (CONNECT %s)" % (last["tume.proxy.address"], last["tume.proxy.connect"])
    if last["tume.proxy.bypass_connect_in"]:
        return "bypass (the client's CONNECT in frame %s)" % last["tume.proxy.bypass_connect_in"]
    return "-"


PROXY_NODE = {"-": "no proxy in use by the client"}


def proxy_node(st):
    p = flow_proxy(st)
    return ("through an HTTP proxy (CONNECT)" if p.startswith("via ") else
            "bypassing the client's HTTP proxy" if p.startswith("bypass") else "no proxy in use by the client")


def flow_pings(st):
    """The time of each keep-alive ping of a flow: decrypted ones
    (tume.msg_type) and ones read by size (tume.enc.guess)."""
    check(all(not split(f["tume.keepalives_more"]) for f in st["msgs"]),
          "the capture has no keep-alive flood (pings beyond the itemised eight are not in -T fields)")
    return [decimal.Decimal(f["frame.time_epoch"]) for f in st["msgs"]
            for v in split(f["tume.msg_type"]) + split(f["tume.enc.guess"]) if v == "keepalive-ping"]


def flow_period(st):
    pings = flow_pings(st)
    return "%.3f" % (float(pings[-1] - pings[0]) / (len(pings) - 1)) if len(pings) > 1 else "-"


def case_stats_flows(env):
    """-z tume,flows: one row per TU Me flow, with its frames, endpoints,
    role, decryption, message count, frame and byte counts, SNI, issuer,
    records read by size and the mean ping period as -T fields shows them; a
    display filter after the name narrows it."""
    cap, keys = build_mixed(env, MIXED_SOURCES + KEYLESS_SOURCES, "mixed-stats")
    for two in (False, True):
        flows = expected_from_fields(env, cap, keys, two)
        want = []
        for st in flows.values():
            last = st["last"]
            client, server = flow_endpoints(st)
            msgs = sum(len(split(f["tume.msg_type"])) + sum(int(x) for x in split(f["tume.keepalives_more"]))
                       for f in st["msgs"])
            sized = collections.Counter(g for f in st["msgs"] for g in split(f["tume.enc.guess"]))
            order = ["unknown", "keepalive-ping", "keepalive-pong", "sip-message", "api-request", "api-response"]
            period = flow_period(st)
            want.append([str(st["frames"][0]), str(st["frames"][-1]), client, server, last["tume.flow"],
                         "yes" if last["tume.decrypted"] == "1" else "no", str(msgs), str(len(st["frames"])),
                         str(st["bytes"]), last["tume.sni"] or "-", last["tume.cert.issuer"] or "-",
                         ",".join("%s=%d" % (g, sized[g]) for g in order if sized[g]) or "-", period,
                         flow_proxy(st)])
        out = env.run(["-n", "-q", "-r", cap, "-o", "tls.keylog_file:" + keys, "-z", "tume,flows"]
                      + (["-2"] if two else []))
        rows = [l.split("\t") for l in out.splitlines() if l.count("\t") == 13]
        mode = "-2" if two else "one pass"
        check(("TU Me flows: %d" % len(want)) in out, "%s: -z tume,flows counts %d flows:\n%s" % (mode, len(want), out))
        check_eq(rows, want, "%s: -z tume,flows rows" % mode)
    out = env.run(["-n", "-q", "-r", cap, "-o", "tls.keylog_file:" + keys, "-z", 'tume,flows,tume.flow == "provisioning"'])
    rows = [l.split("\t") for l in out.splitlines() if l.count("\t") == 13]
    check(rows and all(r[4] == "provisioning" for r in rows), "-z tume,flows,<filter> keeps provisioning rows only")
    check_eq(len(rows), len([w for w in want if w[4] == "provisioning"]), "-z tume,flows,<filter>: row count")
    # a bad filter is an error, not an empty table
    p = subprocess.run((env.drop or []) + [env.tshark, "-n", "-q", "-r", cap, "-z", "tume,flows,tume.nosuchfield"],
                       env=env.environ(True), cwd=env.root, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       universal_newlines=True, timeout=300)
    check(p.returncode != 0 and "tume,flows" in p.stderr, "a bad -z tume,flows filter fails with a message "
          "(rc %d, stderr %r)" % (p.returncode, p.stderr[-300:]))


def parse_flowtable(out):
    """The rows of a -z tume,flowtable printout (Wireshark's text form of a
    statistics table: "value |" per column), as lists of strings."""
    lines = out.splitlines()
    head = next((i for i, l in enumerate(lines) if l.startswith("# |Client |")), None)
    check(head is not None, "-z tume,flowtable has its header:\n%s" % out)
    cols = [c.strip() for c in lines[head].split("|")[:-1]]
    check_eq(cols, ["#", "Client", "Server", "Role", "Evidence", "Certificate issuer", "SNI", "Decrypted",
                    "HTTP proxy", "Messages", "Keep-alive pings", "Keep-alive period (s)", "Frames", "Bytes", "First frame",
                    "Last frame", "Display filter"], "-z tume,flowtable columns")
    check_eq(lines[head + 1], "TU Me flows", "-z tume,flowtable: the table's title")
    rows = []
    for l in lines[head + 2:]:
        if l.startswith("====="):
            break
        rows.append([c.strip() for c in l.split(" |")[:-1]])
    return cols, rows


def case_stats_flowtable(env):
    """Statistics > TU Me Flows (tshark -z tume,flowtable prints the same
    table): one row per flow, numbered in the order the flows started, with
    endpoints, role, evidence, issuer, SNI, decryption, messages, keep-alive
    pings and their mean period, frames, bytes, and a display filter that
    selects exactly that flow's TU Me packets; checked against -T fields in
    one pass and with -2, and with a filter after the name."""
    cap, keys = build_mixed(env, MIXED_SOURCES + KEYLESS_SOURCES, "mixed-flowtable")
    for two in (False, True):
        mode = "-2" if two else "one pass"
        flows = expected_from_fields(env, cap, keys, two)
        want = []
        for n, st in enumerate(flows.values(), 1):
            last = st["last"]
            client, server = flow_endpoints(st)
            msgs = sum(len(split(f["tume.msg_type"])) + sum(int(x) for x in split(f["tume.keepalives_more"]))
                       for f in st["msgs"])
            evidence = []
            for f in st["msgs"]:
                for e in split(f["tume.evidence"]):
                    if e not in evidence:
                        evidence.append(e)
            order = ["cert-subject", "cert-san", "sni", "http-host", "sip-domain", "sip-user-agent", "api-signature",
                     "connect-host"]
            want.append([str(n), client, server, last["tume.flow"],
                         ",".join(e for e in order if e in split(last["tume.evidence"])) or "-",
                         last["tume.cert.issuer"] or "-", last["tume.sni"] or "-",
                         "yes" if last["tume.decrypted"] == "1" else "no", flow_proxy(st), str(msgs), str(len(flow_pings(st))),
                         flow_period(st), str(len(st["frames"])), str(st["bytes"]), str(st["frames"][0]),
                         str(st["frames"][-1])])
        check(any(w[10] != "0" for w in want) and any(w[11] != "-" for w in want)
              and {w[8].split()[0] for w in want} == {"-", "via", "bypass"},
              "%s: the capture has a flow with keep-alive pings and a period, and flows through, around "
              "and without a proxy, so the columns are tested" % mode)
        out = env.run(["-n", "-q", "-r", cap, "-o", "tls.keylog_file:" + keys, "-z", "tume,flowtable"]
                      + (["-2"] if two else []))
        _, rows = parse_flowtable(out)
        check_eq([r[:-1] for r in rows], want, "%s: -z tume,flowtable rows" % mode)
        # each row's display filter selects its flow's TCP connection: with
        # "&& tume", exactly the frames the row counts
        for r, st in zip(rows, flows.values()):
            got = [int(x[0]) for x in env.fields(cap, ["frame.number"], filt="(%s) && tume" % r[-1], two_pass=two,
                                                  opts=["tls.keylog_file:" + keys])]
            check_eq(got, st["frames"], "%s: flow %s: the row's filter %r selects its TU Me frames" % (mode, r[0], r[-1]))
    out = env.run(["-n", "-q", "-r", cap, "-o", "tls.keylog_file:" + keys, "-z",
                   'tume,flowtable,tume.flow == "signalling"'])
    _, rows = parse_flowtable(out)
    check(rows and all(r[3] == "signalling" for r in rows), "-z tume,flowtable,<filter> keeps signalling rows only")
    check_eq([r[0] for r in rows], [str(i) for i in range(1, len(rows) + 1)],
             "-z tume,flowtable,<filter>: rows numbered from 1")
    check_eq(len(rows), len([st for st in flows.values() if st["last"]["tume.flow"] == "signalling"]),
             "-z tume,flowtable,<filter>: row count")


def case_stats_conversations(env):
    """The "TU Me" tab of Statistics > Conversations and Endpoints (tshark
    -z conv,tume and -z endpoints,tume): one conversation per TU Me flow, with
    its TU Me frames and bytes, and each endpoint's totals."""
    cap, keys = build_mixed(env, MIXED_SOURCES + KEYLESS_SOURCES, "mixed-conv")
    flows = expected_from_fields(env, cap, keys, False)
    out = env.run(["-n", "-q", "-r", cap, "-o", "tls.keylog_file:" + keys, "-z", "conv,tume", "-z", "endpoints,tume"])
    check("TU Me Conversations" in out and "TU Me Endpoints" in out, "both tables are printed:\n%s" % out)
    # tshark prints the ports of TCP, UDP and SCTP conversations only: rows
    # are matched by address pair, as a multiset
    conv = []
    for l in out.split("TU Me Conversations", 1)[1].split("=====")[0].splitlines():
        t = l.split()
        if len(t) >= 12 and t[1] == "<->":
            conv.append((tuple(sorted((t[0], t[2]))), int(t[9])))
    want = []
    for st in flows.values():
        client, server = flow_endpoints(st)
        want.append((tuple(sorted((client.rsplit(":", 1)[0], server.rsplit(":", 1)[0]))), len(st["frames"])))
    check_eq(sorted(conv), sorted(want), "-z conv,tume: one row per TU Me flow with its TU Me frames")
    # a row: the address, then its packets (bytes are "1234" up to 4.4,
    # "12 kB" in 4.6)
    ends = collections.Counter()
    for l in out.split("TU Me Endpoints", 1)[1].split("=====")[0].splitlines():
        t = l.split()
        if len(t) >= 7 and re.match(r"^[0-9a-fA-F.:\[\]]+$", t[0]) and t[1].isdigit():
            ends[t[0]] += int(t[1])
    want_ends = collections.Counter()
    for st in flows.values():
        for e in flow_endpoints(st):
            want_ends[e.rsplit(":", 1)[0]] += len(st["frames"])
    check_eq(dict(ends), dict(want_ends), "-z endpoints,tume: every endpoint with its TU Me frames")
