"""The shipped "TU Me" configuration profile (profile/TU Me): installed the
way `install-user` installs it, its columns, colouring rules and filters as
tshark applies them (-C "TU Me"; --color with PSML output carries each
packet's colours without a terminal)."""
import os
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET

from .common import build_mixed, check, check_eq, split

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
PROFILE_SRC = os.path.join(TOP, "profile", "TU Me")
INSTALL = os.path.join(TOP, "cmake", "install-profile.cmake")


def install_profile(env, keep_existing=True):
    dest = os.path.join(env.home, ".config", "wireshark", "profiles", "TU Me")
    cmd = [shutil.which("cmake") or "cmake", "-DSRC=" + PROFILE_SRC, "-DDEST=" + dest,
           "-DDEFAULT_COLORFILTERS=" + os.path.join(env.system_data_dir, "colorfilters")]
    if keep_existing:
        cmd.append("-DKEEP_EXISTING=ON")
    out = subprocess.run(cmd + ["-P", INSTALL], check=True, stdout=subprocess.PIPE, universal_newlines=True).stdout
    if env.drop:
        st = os.stat(env.home)
        for dirpath, dirnames, filenames in os.walk(os.path.join(env.home, ".config")):
            for n in [dirpath] + [os.path.join(dirpath, f) for f in filenames]:
                os.chown(n, st.st_uid, st.st_gid)
    return dest, out


def color_rules(path):
    """(name, filter, background, foreground) of every enabled rule of a
    colorfilters file, in order."""
    rules = []
    with open(path) as f:
        for line in f:
            m = re.match(r"^@([^@]*)@([^@]*)@\[(\d+),(\d+),(\d+)\]\[(\d+),(\d+),(\d+)\]", line)
            if m:
                c = [int(x) >> 8 for x in m.groups()[2:]]
                rules.append((m.group(1), m.group(2), "#%02x%02x%02x" % tuple(c[:3]), "#%02x%02x%02x" % tuple(c[3:])))
    return rules


def make_retransmission(env):
    """tume-signalling-tls12 with one TU Me data segment sent again at the
    end (a retransmission on a TU Me flow: Wireshark's "Bad TCP"), as
    captures/retrans-signalling{-nokeys.pcapng,.keys} so build_mixed finds it."""
    out = env.cap("retrans-signalling-nokeys")
    if os.path.exists(out):
        return
    src = env.cap("tume-signalling-tls12-nokeys")
    rows = env.fields(src, ["frame.number"], filt="tume && tcp.len > 100 && tcp.dstport == 443",
                      opts=["tls.keylog_file:" + env.cap("tume-signalling-tls12", ".keys")])
    check(len(rows) >= 3, "tume-signalling-tls12 has client data segments")
    one = os.path.join(env.root, "retrans-one.pcapng")
    subprocess.run(["editcap", "-r", src, one, rows[len(rows) // 2][0]], check=True, stdout=subprocess.DEVNULL)
    subprocess.run(["mergecap", "-a", "-w", out, src, one], check=True, stdout=subprocess.DEVNULL)
    shutil.copy(env.cap("tume-signalling-tls12", ".keys"), env.cap("retrans-signalling", ".keys"))
    for f in (out, env.cap("retrans-signalling", ".keys")):
        os.chmod(f, 0o644)


def psml(env, cap, keys, profile):
    args = ["-n", "-r", cap, "-o", "tls.keylog_file:" + keys, "--color", "-T", "psml"]
    if profile:
        args = ["-C", "TU Me"] + args
    root = ET.fromstring(env.run(args))
    heads = [s.text for s in root.find("structure")]
    rows = {}
    for p in root.findall("packet"):
        cols = dict(zip(heads, [s.text or "" for s in p.findall("section")]))
        rows[int(cols["No."])] = (cols, p.get("background"), p.get("foreground"))
    return heads, rows


def case_profile(env):
    """The profile installs into ~/.config/wireshark/profiles/TU Me (an
    existing one is kept); under -C "TU Me" the columns TU Me type, TU Me
    flow and Certificate issuer show what -T fields shows; each TU Me packet
    gets the colour of the first TU Me rule that matches it, every other
    packet the colour Wireshark's default rules give it; every display
    filter button and saved filter compiles."""
    dest, out = install_profile(env)
    for f in ("preferences", "recent", "colorfilters", "dfilter_buttons", "dfilters", "tume_api_messages"):
        check(os.path.exists(os.path.join(dest, f)), "the profile has %s" % f)
    make_retransmission(env)
    cap, keys = build_mixed(env, ["other-https-json", "retrans-signalling", "tume-api-keepalive",
                                  "other-sip-tls", "plain-http-443"], "profile-mixed")
    heads, rows = psml(env, cap, keys, profile=True)
    for h in ("TU Me type", "TU Me flow", "Certificate issuer"):
        check(h in heads, "column %r under -C 'TU Me' (%s)" % (h, heads))
    fields = {int(r[0]): r for r in env.fields(cap, ["frame.number", "tume.msg_type", "tume.flow", "tume.cert.issuer"],
                                                opts=["tls.keylog_file:" + keys])}
    check_eq(sorted(rows), sorted(fields), "PSML and -T fields list the same frames")
    for n, (cols, _, _) in rows.items():
        _, types, flow, issuer = fields[n]
        check_eq((cols["TU Me type"], cols["TU Me flow"], cols["Certificate issuer"]),
                 (",".join(split(types)), flow, issuer), "frame %d: the TU Me columns" % n)
    check(any(c["TU Me type"] for c, _, _ in rows.values()), "some frames have a TU Me type")
    # column widths (recent): one for every column of the profile, wide
    # enough for the longest TU Me type and the issuer at ~8 pixels a character
    with open(os.path.join(dest, "preferences")) as f:
        prefs = f.read()
    fmts = re.findall(r'^\s*"[^"]*",\s*"([^"]+)"', prefs.split("gui.column.format:")[1], re.M)
    with open(os.path.join(dest, "recent")) as f:
        recent = f.read()
    widths = dict((k.strip('"'), int(v)) for k, v in re.findall(r'^\s*("[^"]+"|%\w+),\s*(\d+)', recent, re.M))
    colkeys = [f if not f.startswith("%Cus:") else "%Cus:" + f.split(":")[1] for f in fmts]
    check_eq(sorted(widths), sorted(colkeys), "recent has a width for each column of the profile")
    longest = max(len(t) for t in ("account_delete_reply", "push_register_reply", "keepalive-ping"))
    check(widths["%Cus:tume.msg_type"] >= 8 * longest, "the TU Me type column fits %d characters" % longest)
    check(widths["%Cus:tume.cert.issuer"] >= 8 * len("CN=TU Test Issuing CA,O=Telefonica Test PKI,C=ES"),
          "the issuer column fits the bundled issuers")
    # colours: every packet gets the colours of the first rule of the
    # profile's colorfilters that matches it (Wireshark's defaults and the TU
    # Me rules alike); problems keep Wireshark's colours
    rules = color_rules(os.path.join(dest, "colorfilters"))
    names = [r[0] for r in rules]
    tume_at = [i for i, n in enumerate(names) if n.startswith("TU Me ")]
    check(len(tume_at) >= 6, "the installed colorfilters has the TU Me rules: %s" % names)
    for problem in ("Bad TCP", "TCP RST", "Checksum Errors"):
        check(problem in names and names.index(problem) < tume_at[0],
              "Wireshark's %r rule comes before the TU Me rules: %s" % (problem, names))
    for proto in ("HTTP", "TCP"):
        check(proto in names and names.index(proto) > tume_at[-1],
              "the TU Me rules come before Wireshark's %r rule: %s" % (proto, names))
    with open(os.path.join(env.system_data_dir, "colorfilters")) as f:
        defaults = [l.rstrip("\n") for l in f if l.startswith("@")]
    with open(os.path.join(dest, "colorfilters")) as f:
        installed = [l.rstrip("\n") for l in f if l.startswith("@") and not l.startswith("@TU Me ")]
    check_eq(installed, defaults, "the installed profile keeps this Wireshark's default rules, in order")
    tume_colours = {(r[2], r[3]) for r in rules if r[0].startswith("TU Me ")}
    tcp_colour = next((r[2], r[3]) for r in rules if r[0] == "TCP")
    check(tcp_colour not in tume_colours, "no TU Me rule has Wireshark's TCP colours")
    matching = []
    for _, flt, _, _ in rules:
        matching.append({int(r[0]) for r in env.fields(cap, ["frame.number"], filt=flt,
                                                       opts=["tls.keylog_file:" + keys])})
    _, default_rows = psml(env, cap, keys, profile=False)
    coloured = {}
    for n, (_, bg, fg) in rows.items():
        rule = next((r for r, hit in zip(rules, matching) if n in hit), None)
        want = (default_rows[n][1], default_rows[n][2]) if rule is None else (rule[2], rule[3])
        coloured[n] = rule[0] if rule else None
        check_eq((bg, fg), want, "frame %d: colours under the profile (rule %r)" % (n, coloured[n]))
    tume_frames = matching[names.index("TU Me flow (other packets)")]
    bad_tcp = matching[names.index("Bad TCP")]
    check(tume_frames & bad_tcp, "the capture has a TCP problem on a TU Me flow (the retransmission)")
    for n in tume_frames & bad_tcp:
        check_eq(coloured[n], "Bad TCP", "frame %d, a retransmission on a TU Me flow: coloured" % n)
    check({n for n in tume_frames if coloured[n] and coloured[n].startswith("TU Me ")},
          "TU Me rules coloured TU Me frames")
    check(any(coloured[n] is None or not coloured[n].startswith("TU Me ") for n in rows if n not in tume_frames),
          "frames that are not TU Me keep the default colours")
    cert = set(matching[names.index("TU Me certificate warning")])
    check_eq(cert, set(), "no certificate warning in this capture")
    anomalies, akeys = build_mixed(env, ["tume-cert-anomalies"], "profile-cert")
    warned = {int(r[0]) for r in env.fields(anomalies, ["frame.number"], filt="tume.cert.expired || "
                                            "tume.cert.not_yet_valid || tume.cert.is_self_signed || "
                                            "tume.cert.sni_mismatch", opts=["tls.keylog_file:" + akeys])}
    check(warned, "tume-cert-anomalies has certificate warnings")
    _, arows = psml(env, anomalies, akeys, profile=True)
    rule = next(r for r in rules if r[0] == "TU Me certificate warning")
    for n in warned:
        check_eq(arows[n][1:], (rule[2], rule[3]), "frame %d, a certificate warning: its colour" % n)
    # the filters of the buttons and the saved filters compile
    exprs = []
    with open(os.path.join(dest, "dfilter_buttons")) as f:
        for line in f:
            m = re.match(r'^"TRUE","[^"]*","([^"]*)"', line)
            if m:
                exprs.append(m.group(1).replace("\\x22", '"'))
    with open(os.path.join(dest, "dfilters")) as f:
        for line in f:
            m = re.match(r'^"[^"]*"\s+(.+)$', line.strip())
            if m:
                exprs.append(m.group(1))
    check(len(exprs) >= 8, "the profile's buttons and saved filters were read (%d)" % len(exprs))
    for e in exprs:
        env.run(["-n", "-r", env.cap("tume-api-keepalive"), "-Y", e, "-c", "1"])
    # the message table in the profile (the built-in rows, visible in the
    # GUI) is what the plugin reads under -C "TU Me": an edited row wins
    table = os.path.join(dest, "tume_api_messages")
    with open(table) as f:
        original = f.read()
    check('"POST","*/register","msisdn,locale","register","request"' in original,
          "the profile's message table shows the built-in register row")
    with open(table, "w") as f:
        f.write(original.replace('"register","request"', '"register_edited","request"'))
    got = env.fields(env.cap("tume-api-keepalive"), ["tume.msg_type"], filt="tume.msg_type",
                     extra=["-C", "TU Me"])
    with open(table, "w") as f:
        f.write(original)
    check_eq(got[0][0], "register_edited", "an edited row of the profile's table types the message")
    check_eq(env.fields(env.cap("tume-api-keepalive"), ["tume.msg_type"], filt="tume.msg_type",
                        extra=["-C", "TU Me"]),
             env.fields(env.cap("tume-api-keepalive"), ["tume.msg_type"], filt="tume.msg_type"),
             "the shipped table types every message as the built-in rows do")
    # a user's own changes are kept by a second install
    with open(os.path.join(dest, "preferences"), "a") as f:
        f.write("\n# mine\n")
    _, out = install_profile(env)
    check("kept" in out, "a second per-user install keeps the existing profile: %r" % out)
    with open(os.path.join(dest, "preferences")) as f:
        check(f.read().endswith("# mine\n"), "the user's change is still there")


def profile_filters(path_buttons, path_saved):
    """{label: expression} of the profile's display-filter buttons and saved filters."""
    exprs = {}
    with open(path_buttons) as f:
        for line in f:
            m = re.match(r'^"TRUE","([^"]*)","([^"]*)"', line)
            if m:
                exprs["button " + m.group(1)] = m.group(2).replace("\\x22", '"')
    with open(path_saved) as f:
        for line in f:
            m = re.match(r'^"([^"]*)"\s+(.+)$', line.strip())
            if m:
                exprs["saved " + m.group(1)] = m.group(2)
    return exprs


def case_profile_filters(env):
    """What each display-filter button and saved filter of the profile
    matches (tshark -2, the GUI's view after loading), on captures where it
    must match and where it must not: the expected frames come from other
    fields than the filter's own (the stream's payload packets, SIP and HTTP
    messages, the keyless copy of a capture).  Every button and saved filter
    is covered, so a new one needs its expectation here."""
    dest, _ = install_profile(env)
    exprs = profile_filters(os.path.join(dest, "dfilter_buttons"), os.path.join(dest, "dfilters"))
    K = (env.cap("tume-signalling-tls12"), ())
    N = (env.cap("tume-signalling-tls12-nokeys"), ())
    A = (env.cap("tume-api-keepalive"), ())
    C = (env.cap("tume-cert-anomalies"), ())
    O = (env.cap("other-https-json"), ())
    P = (env.cap("tume-proxy-phone"), ())
    stream_of = lambda c, filt: env.fields(c[0], ["tcp.stream"], filt=filt, plugin=False)[0][0]
    tunnel_stream = lambda c: stream_of(c, 'http.request.method == "CONNECT" && http.request.uri == "api.tu.com:443"')
    sip_stream = lambda c: stream_of(c, 'tls.handshake.extensions_server_name == "sip.tume.jajah.com"')
    other_stream = lambda c: stream_of(c, 'tls.handshake.extensions_server_name == "api.example.net" '
                                          '&& tcp.dstport == 443')
    payload_of = lambda c, st: frames(c, "tcp.stream == %s && tcp.len > 0" % st)
    merged, mkeys = build_mixed(env, ["tume-api-keepalive", "tume-signalling-tls12"], "filters-links", concatenate=True)
    M = (merged, ("tls.keylog_file:" + mkeys,))

    def frames(c, filt):
        return {int(r[0]) for r in env.fields(c[0], ["frame.number"], filt=filt, two_pass=True, opts=c[1])}

    payload = lambda c: frames(c, "tcp.port == 443 && tcp.len > 0")       # every TU Me capture: one flow on 443
    sip = lambda c: frames(c, "sip")
    keepalive_frames = lambda c: {int(r[0]) for r in env.fields(c[0], ["frame.number", "tume.msg_type"], two_pass=True)
                                  if "keepalive" in r[1]}
    http = lambda c: frames(c, "http.request || http.response")
    none = lambda c: set()
    some = object()       # any non-empty set (no independent count to compare with)
    expect = {
        "tume": [(K, payload), (N, payload), (A, payload), (O, none)],
        'tume.flow == "signalling" && tume.msg_type':
            [(K, lambda c: sip(c) | keepalive_frames(c)), (A, none), (N, none), (O, none)],
        'tume.flow == "provisioning" && tume.msg_type': [(A, http), (K, none), (O, none)],
        "tume.sensitive": [(A, some), (K, none), (O, none)],
        "tume.decrypted == 0": [(N, payload), (K, none), (A, none), (O, none)],
        "tume.cert.expired || tume.cert.not_yet_valid || tume.cert.is_self_signed || "
        "tume.cert.sni_mismatch || tume.cert.unparsable || tume.cert.intercepted || "
        "tume.cert.issuer_differs": [(C, some), (P, some), (K, none), (A, none)],
        "tume.proxy.connect": [(P, lambda c: payload_of(c, tunnel_stream(c))), (K, none), (A, none)],
        # -2: the certificate is known on every packet of the flow
        "tume.cert.intercepted_by": [(P, lambda c: payload_of(c, tunnel_stream(c))), (K, none)],
        "tume.proxy.bypass": [(P, lambda c: payload_of(c, sip_stream(c)) | payload_of(c, other_stream(c))),
                              (K, none), (A, none)],
        "tume.sip.config_in || tume.api.register_in": [(M, some), (K, none), (A, none)],
        "tume.enc.guess": [(N, some), (K, none)],
        'tume.msg_type contains "keepalive" || tume.enc.guess contains "keepalive"':
            [(K, keepalive_frames), (N, some), (A, none)],
    }
    for label, e in sorted(exprs.items()):
        check(e in expect, "%s (%s) has an expectation in case_profile_filters" % (label, e))
        for c, want in expect[e]:
            got = frames(c, e)
            where = "%s (%s) on %s" % (label, e, os.path.basename(c[0]))
            if want is some:
                check(got, "%s matches packets" % where)
            else:
                w = want(c)
                check_eq(sorted(got), sorted(w), where)
    # both buttons of the issue, by name
    check_eq(exprs.get("button Not decrypted"), "tume.decrypted == 0", "the Not decrypted button")
