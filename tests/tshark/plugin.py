"""The plugin as a whole: registration (-G plugins/fields/heuristic-decodes,
no dissector-table entries), preferences and the heuristic switches,
valgrind (memcheck), and every capture merged into one file."""
import os
import re
import shutil
import subprocess

from .common import (ALL_CAPTURES, rewrite_tcp_port, SIG_FIELDS, TUME_EDGE, TUME_SIGNALLING, check, check_eq, msg_list,
                     per_stream, split, strip_tume)

# Every name of ../shared/protocol/FIELDS.md, plus the plugin's additions.
FIELDS_IMPLEMENTED = [
    "tume", "tume.flow", "tume.evidence", "tume.cert.subject", "tume.cert.issuer", "tume.cert.san",
    "tume.cert.not_after", "tume.cert.self_signed", "tume.sni", "tume.decrypted",
    "tume.msg_type", "tume.sip.call_id", "tume.api.msisdn", "tume.api.user_id", "tume.api.screen_name",
    "tume.api.locale", "tume.api.contacts", "tume.api.sip_proxy", "tume.api.keys",
    "tume.cert.info", "tume.msg.info", "tume.sensitive", "tume.not_decrypted", "tume.malformed",
    "tume.cert.expired", "tume.cert.not_yet_valid", "tume.cert.is_self_signed",
    "tume.cert.sni_mismatch", "tume.cert.unparsable",
]


def case_plugin_registration(env):
    plugins = env.run(["-G", "plugins"])
    check(re.search(r"^tume\.so\s+0\.1\.0\s+dissector\s", plugins, re.M) is not None,
          "tshark -G plugins does not list tume.so 0.1.0:\n" + plugins)
    fields = {l.split("\t")[2] for l in env.run(["-G", "fields"]).splitlines()
              if l.count("\t") >= 2}
    for f in FIELDS_IMPLEMENTED:
        check(f in fields, "tshark -G fields lacks %s" % f)
    heur = env.run(["-G", "heuristic-decodes"])
    # 4.0: "tls<TAB>tume<TAB>T"; 4.2+ adds the enabled-by-default flag, the
    # short name and the display name
    check(re.search(r"^tls\ttume\tT(\t|$)", heur, re.M) is not None, "heuristic not on the tls list")
    # nothing of the plugin sits in front of another dissector (ports, ...)
    # except Wireshark's JSON in media_type: the API reader's handle stands
    # there and calls JSON unchanged (its own table "tume.json" lists JSON);
    # Wireshark 4.0 lists it by protocol (json), 4.6 by handle (tume_json)
    decodes = env.run(["-G", "decodes"])
    for l in decodes.splitlines():
        if "tume" in l.lower():
            check(l.split("\t")[0] in ("media_type", "tume.json"), "tume registered in a dissector table: %r" % l)
    # and the stock run really has no plugin (so comparisons mean something)
    check("tume" not in env.run(["-G", "plugins"], plugin=False), "stock run loaded the plugin")


def valgrind_blocks(log):
    """Error and leak records of a valgrind log, one text block each."""
    blocks, cur = [], []
    for line in log.splitlines():
        body = line.split("== ", 1)[1] if "== " in line else ""
        if body.strip() == "":
            if cur:
                blocks.append("\n".join(cur))
            cur = []
        else:
            cur.append(body)
    if cur:
        blocks.append("\n".join(cur))
    return blocks


def case_isolation(env):
    """Every run reads a private global data folder (Wireshark's, less what
    the plugin installs there) and private plugin folders: a system-wide
    tume.so, global table or global profile cannot change what the tests see."""
    env.isolation_check()


def case_expert_protocol(env):
    """Every TU Me expert info is filed under the protocol "TU Me" (-z expert,
    and the GUI's Expert Information): the signalling items are added while
    TLS calls the plugin's SIP stream, which used to file them under "TLS"."""
    import re
    seen = 0
    for name in ALL_CAPTURES + ["tume-signalling-tls12-nokeys", "tume-api-keepalive-nokeys",
                                "tume-signalling-cbc", "tume-signalling-chacha20"]:
        out = env.run(["-n", "-r", env.cap(name), "-q", "-z", "expert"])
        for line in out.splitlines():
            m = re.match(r"^\s*(\d+)\s+(\S+)\s+(.{1,30}?)\s{2}(\S.*)$", line)
            if not m or not m.group(4).startswith("TU Me"):
                continue
            seen += 1
            check_eq(m.group(3).strip(), "TU Me", "%s: protocol of the expert info %r" % (name, m.group(4)))
    check(seen > 50, "TU Me expert infos were found (%d)" % seen)


def case_protocol_names(env):
    """The plugin's name-only protocols (its SIP stream and its HTTP reader)
    are listed in Analyze > Enabled Protocols by their short names: none may
    be the short name of a protocol Wireshark has (SIP, HTTP), so that nobody
    switches off the wrong one."""
    def protocols(plugin):
        rows = [l.split("\t") for l in env.run(["-G", "protocols"], plugin=plugin).splitlines()]
        return {r[2]: (r[0], r[1]) for r in rows if len(r) >= 3}
    stock, mine = protocols(False), protocols(True)
    ours = {f: v for f, v in mine.items() if f not in stock}
    check({"tume", "tume_sip", "tume_http"} <= set(ours), "the plugin's protocols are listed: %s" % sorted(ours))
    stock_short = {v[1].lower() for v in stock.values()}
    stock_long = {v[0].lower() for v in stock.values()}
    for f, (long_name, short) in sorted(ours.items()):
        check(short.lower() not in stock_short, "%s: short name %r is also a Wireshark protocol's" % (f, short))
        check(long_name.lower() not in stock_long, "%s: name %r is also a Wireshark protocol's" % (f, long_name))
        check("TU Me" in short, "%s: short name %r says it is TU Me's" % (f, short))


def case_memcheck(env):
    """valgrind on tshark with the plugin: no invalid access, no leak, in any
    record whose stack passes through tume.so (GnuTLS certificates included).
    Wireshark's own leaks at exit are not ours and are ignored."""
    vg = shutil.which("valgrind")
    check(vg is not None, "valgrind is not installed (scripts/deps.sh installs it)")
    runs = [("tume-signalling-tls12", "-nokeys.pcapng", ["-2", "-V"]),
            ("tume-signalling-tls13", ".pcapng", ["-2", "-V"]),
            ("tume-signalling-edge", ".pcapng", ["-V"]),
            ("tume-cert-anomalies", "-nokeys.pcapng", ["-2", "-V"]),
            ("tume-api-keepalive", ".pcapng", ["-2", "-V"]),
            ("tume-api-edge", ".pcapng", ["-V"])]
    for name, suffix, extra in runs:
        log = os.path.join(env.home, "vg-%s.log" % name)   # writable by the tshark user
        out = env.run(["-n", "-r", env.cap(name, suffix)] + extra,
                      wrapper=[vg, "--keep-debuginfo=yes", "--leak-check=full", "--num-callers=40",
                               "--log-file=" + log])
        # the plugin did its work under valgrind (else the check says nothing)
        check("TU Me" in out, "%s: no TU Me output under valgrind" % name)
        with open(log) as f:
            text = f.read()
        check("ERROR SUMMARY" in text, "%s: valgrind did not finish" % name)
        ours = [b for b in valgrind_blocks(text) if "tume.so" in b]
        check_eq(ours, [], "%s: valgrind records involving the plugin" % name)


def case_heuristic_switches(env):
    """With the SIP heuristic off (either switch) the stream is what stock
    tshark makes of it, and the flow is still TU Me by its certificate and SNI;
    with the protocol off, everything is stock."""
    cap = env.cap("tume-signalling-tls12")
    stock_http = env.fields(cap, ["frame.number"], filt="http", plugin=False)
    check(len(stock_http) > 0, "stock reads the stream as HTTP")
    # the heuristic has one switch, Wireshark's own: the tume.sip_heuristic
    # preference that duplicated it is obsolete (ignored in a preferences
    # file; tshark -o says so)
    import subprocess
    p = subprocess.run((env.drop or []) + [env.tshark, "-n", "-r", cap, "-o", "tume.sip_heuristic:FALSE"],
                       env=env.environ(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True)
    check(p.returncode != 0 and "obsolete preference" in p.stderr,
          "-o tume.sip_heuristic:FALSE: tshark names it obsolete: %r" % p.stderr[-300:])
    prefs = os.path.join(env.root, "obsolete-prefs")
    os.makedirs(os.path.join(prefs, "wireshark"), exist_ok=True)
    with open(os.path.join(prefs, "wireshark", "preferences"), "w") as f:
        f.write("tume.sip_heuristic: FALSE\n")
    os.chmod(prefs, 0o755)
    os.chmod(os.path.join(prefs, "wireshark"), 0o755)
    os.chmod(os.path.join(prefs, "wireshark", "preferences"), 0o644)
    rows = env.fields(cap, ["frame.number"], filt="sip", extra_env={"XDG_CONFIG_HOME": prefs})
    check(rows, "tume.sip_heuristic: FALSE in a preferences file: read without a word, SIP still found")
    for how in (["--disable-heuristic", "tume_sip_tls"],):
        check_eq(env.fields(cap, ["frame.number"], filt="http", extra=how), stock_http,
                 "%s: the same frames are HTTP as in stock" % how)
        rows = env.fields(cap, ["tume.evidence", "tume.msg_type", "sip.Method", "tume.flow"], filt="tume or sip",
                          two_pass=True, extra=how)
        # no SIP; what HTTP makes of the stream (an OPTIONS "request" of
        # version SIP/2.0) is no API message (issue 7, defect 8), and the
        # flow keeps the role its certificate and SNI give it
        check(all(r[1] == "" and r[2] == "" for r in rows), "%s: no SIP, no message type: %r" % (how, rows[:3]))
        check(all(r[3] == "signalling" for r in rows), "%s: still a signalling flow: %r" % (how, rows[:3]))
        check(len(rows) > 0 and all(split(r[0]) == ["cert-subject", "cert-san", "sni"] for r in rows),
              "%s: still TU Me by certificate/SNI: %r" % (how, rows[:2]))
    stock = env.run(["-n", "-r", cap, "-V"], plugin=False)
    check_eq(env.run(["-n", "-r", cap, "-V", "--disable-protocol", "tume"]), stock,
             "--disable-protocol tume")


def case_preferences(env):
    nowhere = "nothing.invalid"
    # the domain lists decide: example.org makes the other SIP server TU Me
    rows = env.fields(env.cap("other-sip-tls"), ["tume.flow", "tume.evidence"], filt="tume",
                      two_pass=True, opts=["tume.signalling_domains:example.org"])
    check(len(rows) > 0, "signalling_domains:example.org should make other-sip-tls TU Me")
    check(all(r[0] == "signalling" and split(r[1]) == ["cert-subject", "cert-san", "sni", "sip-domain"]
              for r in rows),
          "example.org evidence: %r" % rows[:3])
    # a provisioning domain makes it TU Me too, and names the role until the payload says SIP
    rows = env.fields(env.cap("other-sip-tls-nokeys"), ["tume.flow"], filt="tume", two_pass=True,
                      opts=["tume.provisioning_domains:example.org"])
    check(len(rows) > 0 and all(r == ["provisioning"] for r in rows), "role from provisioning list: %r" % rows[:3])
    # without any domain, the User-Agent alone still proves TU Me
    rows = env.fields(env.cap("tume-signalling-tls12"), ["tume.evidence"], filt="tume", two_pass=True,
                      opts=["tume.signalling_domains:" + nowhere, "tume.provisioning_domains:" + nowhere])
    check(len(rows) > 0 and all(r == ["sip-user-agent"] for r in rows), "UA-only evidence: %r" % rows[:3])
    # with no evidence at all, the SIP stays SIP and nothing is TU Me
    cap = env.cap("tume-signalling-tls12")
    opts = ["tume.signalling_domains:" + nowhere, "tume.provisioning_domains:" + nowhere,
            "tume.user_agents:NoSuchApp"]
    check_eq(env.fields(cap, ["frame.number"], filt="tume", two_pass=True, opts=opts), [], "no evidence, no tume")
    check_eq(len(env.fields(cap, ["frame.number"], filt="sip", opts=opts)), 16,
             "SIP frames still dissected (17 messages; 100 Trying and 180 Ringing share a frame)")


def case_merged_capture(env):
    """All captures in one file (a phone's many TLS/443 flows): exactly the
    flows to TU Me servers are TU Me, the signalling ones with the same
    message lists as alone."""
    merged = os.path.join(env.root, "merged.pcapng")
    files = [env.cap(n) for n in ALL_CAPTURES]
    subprocess.run(["mergecap", "-w", merged] + files, check=True)
    os.chmod(merged, 0o644)
    rows = env.fields(merged, SIG_FIELDS + ["ip.dst"], filt="tcp", two_pass=True)
    streams = per_stream(rows)
    tume_streams = sorted(s for s, rs in streams.items() if any(r[3] for r in rs))
    # server address: message list (None: TU Me by certificate, messages not checked here)
    by_server = {"127.0.0.10": TUME_SIGNALLING, "127.0.0.11": TUME_SIGNALLING, "127.0.0.12": TUME_EDGE,
                 "127.0.0.13": None, "127.0.0.14": [], "127.0.0.15": None, "127.0.0.16": None,
                 "127.0.0.17": None, "127.0.0.31": None, "127.0.0.32": None, "127.0.0.34": None}
    check_eq(len(tume_streams), len(by_server) + 8, "TU Me streams in the merged capture (9 to .32)")
    seen = set()
    for s in tume_streams:
        server = streams[s][0][-1]
        check(server in by_server, "TU Me stream %d goes to a TU Me server, not %s" % (s, server))
        seen.add(server)
        if by_server[server] is not None:
            check_eq(msg_list(streams[s]), by_server[server], "merged stream %d messages" % s)
    check_eq(sorted(seen), sorted(by_server), "every TU Me server found once")


def case_tls_app_handle(env):
    """The TLS session's application-handle hand-off (a struct tlsinfo in
    newer Wireshark, the handle's address in 4.0): once the heuristic has
    claimed a SIP session, TLS names the plugin's stream handle as the
    application data protocol of every later record (the first record is
    labelled before the heuristic runs), in both passes; an HTTPS session
    keeps HTTP."""
    ours = "SIP stream (framed by the TU Me plugin)"
    for name in ("tume-signalling-tls12", "tume-signalling-tls13", "other-sip-tls"):
        cap = env.cap(name)
        one = env.fields(cap, ["frame.number", "tls.app_data_proto"], filt="tls.app_data")
        two = env.fields(cap, ["frame.number", "tls.app_data_proto"], filt="tls.app_data", two_pass=True)
        check(len(one) > 5, "%s: application data records" % name)
        check(all(r[1] == ours for r in one[1:]), "%s: one pass, records after the first: %r" % (name, one[:4]))
        check(all(r[1] == ours for r in two), "%s: -2, every record: %r" % (name, two[:4]))
    rows = env.fields(env.cap("other-https-json"), ["tls.app_data_proto"], filt="tls.app_data", two_pass=True)
    check(rows and all(r[0] == "Hypertext Transfer Protocol" for r in rows), "HTTPS keeps HTTP: %r" % rows[:3])


def case_tls_front(env):
    """The TLS handshake facts come from a front the plugin sets on a TLS
    conversation's first packet (no protocol tree needed).  It steps aside
    when the user decides what the port decodes as, or asks TCP to try
    heuristics first: the dissection is then exactly stock's.  A flow whose
    capture starts with a bare ACK or its ClientHello still has its SNI (read
    from that packet's own TCP payload); one that starts after its
    ClientHello has none, but its certificate still makes it TU Me."""
    for name in ("other-https-json", "tume-signalling-tls12"):
        cap = env.cap(name)
        for opts in (["-d", "tcp.port==443,http"], ["-o", "tcp.try_heuristic_first:TRUE"]):
            if name.startswith("tume") and opts[0] == "-o":
                continue        # SIP is still found (and changes the output): checked below
            plugin = strip_tume(env.run(["-n", "-r", cap, "-V"] + opts))
            stock = env.run(["-n", "-r", cap, "-V"] + opts, plugin=False)
            check_eq(plugin, stock, "%s %s: -V as stock" % (name, " ".join(opts)))
    # heuristics first: no front, so no SNI or certificate; SIP still proves the flow
    rows = env.fields(env.cap("tume-signalling-tls12"), ["tume.evidence", "tume.sni", "tume.msg_type"],
                      filt="tume", two_pass=True, extra=["-o", "tcp.try_heuristic_first:TRUE"])
    check(rows and all(split(r[0]) == ["sip-domain", "sip-user-agent"] and r[1] == "" for r in rows),
          "heuristics first: evidence from SIP only: %r" % rows[:2])
    # the first ping and pong come before any evidence (no SNI here): they
    # are the port's, as without the plugin; every message after is typed
    check_eq(sum(len(split(r[2])) for r in rows), len(TUME_SIGNALLING) - 2,
             "heuristics first: every message after the first keep-alives typed")
    # the capture starts at the handshake's last ACK (frames 3-), or at the
    # ClientHello (4-): TCP gives the ClientHello to TLS before any front is
    # set, so the post-dissector reads that packet's complete records itself
    src = env.cap("tume-signalling-tls12-nokeys")
    keys = ["tls.keylog_file:" + env.cap("tume-signalling-tls12", ".keys")]
    for first, what in (("3", "bare ACK first"), ("4", "ClientHello first")):
        cut = os.path.join(env.root, "from-%s.pcapng" % first)
        subprocess.run(["editcap", "-r", src, cut, first + "-1000000"], check=True, stdout=subprocess.DEVNULL)
        os.chmod(cut, 0o644)
        for two in (False, True):
            rows = env.fields(cut, ["tume.sni", "tume.cert.subject", "tume.msg_type"], filt="tume",
                              two_pass=two, opts=keys)
            check(rows and all(r[0] == "sip.tume.jajah.com" for r in rows),
                  "%s (-2 %s): SNI on every tume packet: %r" % (what, two, rows[:2]))
            check(any(r[1].startswith("CN=sip.tume.jajah.com") for r in rows),
                  "%s: the certificate: %r" % (what, rows[:4]))
            check_eq(sum(len(split(r[2])) for r in rows), len(TUME_SIGNALLING),
                     "%s: every message typed" % what)
        stock = env.run(["-n", "-r", cut, "-V"] + ["-o", keys[0]], plugin=False)
        plugin = env.run(["-n", "-r", cut, "-V"] + ["-o", keys[0]])
        check_eq(strip_tume(plugin).count("Server Name Indication extension"),
                 stock.count("Server Name Indication extension"), "%s: TLS's own view unchanged" % what)


def case_offport_flows(env):
    """TLS on a port TCP does not give to TLS (the bundled captures moved to
    port 8443, read with Decode As TLS): the TLS front is set there as on
    443 (Decode As TLS makes the port TLS's), so the flow has its SNI and
    certificate evidence and every packet with payload is marked, in one
    pass and with -2, keyed or not, and the messages are those of 443.
    The post-dissector's skip of packets with no TLS on ports that are not
    TLS's must not lose the TCP segments of reassembled records.  Decode As
    to something else leaves the port alone (no front, nothing read)."""
    da = ["-d", "tcp.port==8443,tls"]
    for name in ("tume-signalling-tls12", "tume-api-keepalive", "tume-signalling-tls12-nokeys"):
        moved = os.path.join(env.root, name + "-8443.pcapng")
        rewrite_tcp_port(env.cap(name), moved, 443, 8443)
        want = env.fields(moved, ["frame.number"], filt="tcp.len > 0", plugin=False)
        check(len(want) > 20, "%s: payload frames" % name)
        for two in (False, True):
            got = env.fields(moved, ["frame.number", "tume.evidence"], filt="tume", two_pass=two, extra=da)
            check_eq([g[:1] for g in got], want, "%s on 8443%s: every payload frame marked" % (name, " -2" if two else ""))
            check("sni" in split(got[-1][1]), "%s on 8443%s: SNI evidence (the front reads it)" % (name, " -2" if two else ""))
        types = lambda cap, extra: [t for r in env.fields(cap, ["tume.msg_type"], filt="tume.msg_type",
                                                            two_pass=True, extra=extra) for t in split(r[0])]
        check_eq(types(moved, da), types(env.cap(name), []), "%s on 8443: the messages of 443" % name)
        # Decode As to another protocol: the user decides, the plugin stays out
        other = env.fields(moved, ["frame.number"], filt="tume", two_pass=True, extra=["-d", "tcp.port==8443,http"])
        check_eq(other, [], "%s on 8443 decoded as HTTP: nothing of TU Me" % name)


def case_tls_heuristic_flows(env):
    """TLS on a port no table gives to TLS, found by TLS's own heuristic on
    TCP (no Decode As): the TLS front stands in for the conversation
    dissector TLS set, so the flow has its SNI and certificate evidence and,
    without keys, its record sizes; every packet with payload is marked, in
    one pass and with -2, and the messages are those of 443.  Other TLS
    found the same way dissects exactly as without the plugin."""
    for name in ("tume-signalling-tls12", "tume-signalling-tls12-nokeys", "tume-api-keepalive"):
        moved = os.path.join(env.root, name + "-heur-8443.pcapng")
        rewrite_tcp_port(env.cap(name), moved, 443, 8443)
        want = env.fields(moved, ["frame.number"], filt="tcp.len > 0", plugin=False)
        check(len(env.fields(moved, ["frame.number"], filt="tls.handshake.type == 1", plugin=False)) == 1,
              "%s on 8443: stock finds the TLS (its heuristic)" % name)
        for two in (False, True):
            mode = "%s on 8443%s" % (name, " -2" if two else "")
            got = env.fields(moved, ["frame.number", "tume.evidence", "tume.sni"], filt="tume", two_pass=two)
            check_eq([g[:1] for g in got], want, "%s: every payload frame marked" % mode)
            check({"sni", "cert-subject"} <= set(split(got[-1][1])), "%s: SNI and certificate evidence" % mode)
        types = lambda cap: [t for r in env.fields(cap, ["tume.msg_type"], filt="tume.msg_type", two_pass=True)
                             for t in split(r[0])]
        check_eq(types(moved), types(env.cap(name)), "%s on 8443: the messages of 443" % name)
        if name.endswith("-nokeys"):
            sized = lambda cap: [g for r in env.fields(cap, ["tume.enc.guess"], filt="tume.enc.guess", two_pass=True)
                                 for g in split(r[0])]
            check_eq(sized(moved), sized(env.cap(name)), "%s on 8443: the records read by size of 443" % name)
    for name in ("other-https-json", "other-https-json-nokeys"):
        moved = os.path.join(env.root, name + "-heur-8443.pcapng")
        rewrite_tcp_port(env.cap(name), moved, 443, 8443)
        for extra in ([], ["-2"]):
            args = ["-n", "-r", moved, "-V"] + extra
            check_eq(env.run(args), env.run(args, plugin=False), "%s on 8443 %s: -V as stock" % (name, extra))
