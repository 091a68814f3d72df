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
           "-DDEFAULT_COLORFILTERS=/usr/share/wireshark/colorfilters"]
    if keep_existing:
        cmd.append("-DKEEP_EXISTING=ON")
    out = subprocess.run(cmd + ["-P", INSTALL], check=True, stdout=subprocess.PIPE, universal_newlines=True).stdout
    if env.drop:
        st = os.stat(env.home)
        for dirpath, dirnames, filenames in os.walk(os.path.join(env.home, ".config")):
            for n in [dirpath] + [os.path.join(dirpath, f) for f in filenames]:
                os.chown(n, st.st_uid, st.st_gid)
    return dest, out


def color_rules():
    """(filter, background, foreground) of the profile's TU Me rules, in order."""
    rules = []
    with open(os.path.join(PROFILE_SRC, "colorfilters.tume")) as f:
        for line in f:
            m = re.match(r"^@([^@]*)@([^@]*)@\[(\d+),(\d+),(\d+)\]\[(\d+),(\d+),(\d+)\]", line)
            if m:
                c = [int(x) >> 8 for x in m.groups()[2:]]
                rules.append((m.group(2), "#%02x%02x%02x" % tuple(c[:3]), "#%02x%02x%02x" % tuple(c[3:])))
    return rules


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
    for f in ("preferences", "colorfilters", "dfilter_buttons", "dfilters", "tume_api_messages"):
        check(os.path.exists(os.path.join(dest, f)), "the profile has %s" % f)
    cap, keys = build_mixed(env, ["other-https-json", "tume-signalling-tls12", "tume-api-keepalive",
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
    # colours: the first TU Me rule that matches, else the default profile's colour
    rules = color_rules()
    check(len(rules) >= 4, "colorfilters.tume has the TU Me rules")
    matching = []
    for flt, _, _ in rules:
        matching.append({int(r[0]) for r in env.fields(cap, ["frame.number"], filt=flt,
                                                       opts=["tls.keylog_file:" + keys])})
    _, default_rows = psml(env, cap, keys, profile=False)
    coloured = set()
    for n, (_, bg, fg) in rows.items():
        want = next(((b, f) for (flt, b, f), hit in zip(rules, matching) if n in hit), None)
        if want is None:
            want = (default_rows[n][1], default_rows[n][2])
        else:
            coloured.add(n)
        check_eq((bg, fg), want, "frame %d: colours under the profile" % n)
    check(coloured and coloured == set().union(*matching), "TU Me rules coloured the TU Me frames")
    check(len(coloured) < len(rows), "frames that are not TU Me keep the default colours")
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
