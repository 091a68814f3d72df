"""Output formats: -T fields, -T json and -T ek say the same of every TU Me
packet; -z expert lists the plugin's notes and warnings."""
from .common import check, check_eq, split

def case_output_formats(env):
    """-T fields, -T json and -T ek, one pass and two, say the same of every
    TU Me packet; -z expert lists the plugin's notes and warnings."""
    import json
    for name in ("tume-signalling-tls12-nokeys", "tume-api-keepalive"):
        cap = env.cap(name)
        for two in (["-2"], []):
            rows = env.fields(cap, ["frame.number", "tume.flow", "tume.cert.issuer", "tume.msg_type"], filt="tume",
                              two_pass=bool(two))
            want = [(r[0], r[1], r[2], split(r[3])) for r in rows]
            doc = json.loads(env.run(["-n", "-r", cap, "-Y", "tume", "-T", "json"] + two))
            got = []
            for d in doc:
                L = d["_source"]["layers"]
                t = L["tume"]
                types = []
                for k, v in t.items():
                    if isinstance(v, dict) and "tume.msg_type" in v:
                        types += v["tume.msg_type"] if isinstance(v["tume.msg_type"], list) else [v["tume.msg_type"]]
                got.append((L["frame"]["frame.number"], t["tume.flow"], t.get("tume.cert.issuer", ""), types))
            check_eq(got, want, "%s %s: -T json agrees with -T fields" % (name, two))
            ek = [json.loads(l) for l in env.run(["-n", "-r", cap, "-Y", "tume", "-T", "ek"] + two).splitlines()]
            got = [(d["layers"]["frame"]["frame_frame_number"], d["layers"]["tume"]["tume_tume_flow"],
                    d["layers"]["tume"].get("tume_tume_cert_issuer", "")) for d in ek if "layers" in d]
            check_eq(got, [w[:3] for w in want], "%s %s: -T ek agrees with -T fields" % (name, two))
    exp = env.run(["-n", "-q", "-r", env.cap("tume-api-keepalive"), "-z", "expert"])
    for line in ("TU Me validate carries the SMS PIN", "TU Me token carries the access token",
                 "TU Me provisioning server certificate issued by CN=TU Test Issuing CA"):
        check(line in exp, "-z expert lists %r" % line)


def case_message_bytes(env):
    """The TU Me items point at the message's own bytes in the decrypted or
    reassembled data (what the GUI highlights when one is clicked): a SIP
    message's subtree at the whole message and its type at the method or
    status; a provisioning message's subtree at the HTTP message, its type
    at the request or status line, its JSON facts at the body. Read from
    PDML's bytes (value), one pass and -2."""
    import re
    import xml.etree.ElementTree as ET
    checked = {"sip": 0, "api": 0, "body": 0}
    for name in ("tume-signalling-tls12", "tume-api-keepalive"):
        for two in ([], ["-2"]):
            root = ET.fromstring(env.run(["-n", "-r", env.cap(name), "-Y", "tume.msg_type", "-T", "pdml"] + two))
            for pkt in root.findall("packet"):
                tume = next(p for p in pkt.findall("proto") if p.get("name") == "tume")
                for sub in tume.findall("field"):
                    show = sub.get("show") or ""
                    m = re.match(r"^(Signalling message|Provisioning (request|reply)): (.+)$", show)
                    if not m:
                        continue
                    data = bytes.fromhex(sub.get("value") or "")
                    typ = next(f for f in sub.findall("field") if f.get("name") == "tume.msg_type")
                    tbytes = bytes.fromhex(typ.get("value") or "")
                    where = "%s%s frame %s %s" % (name, " -2" if two else "",
                                                  pkt.find(".//field[@name='frame.number']").get("show"), show)
                    if m.group(1) == "Signalling message":
                        if m.group(3).startswith("keepalive"):
                            check(data in (b"\r\n", b"\r\n\r\n"), "%s: the keep-alive's bytes (%r)" % (where, data))
                            continue
                        check(re.match(rb"^([A-Z]+ sip:\S+ SIP/2\.0|SIP/2\.0 \d{3} .*)\r\n", data) is not None,
                              "%s: the subtree's bytes are the SIP message (%r)" % (where, data[:60]))
                        check(data.endswith(b"\r\n\r\n") or b"\r\n\r\n" in data,
                              "%s: the whole message, headers to body" % where)
                        check(tbytes.decode() in (m.group(3), m.group(3).split(" ")[0]),
                              "%s: the type points at the method or status (%r)" % (where, tbytes))
                        checked["sip"] += 1
                    else:
                        check(re.match(rb"^([A-Z]+ \S+ HTTP/1\.[01]|HTTP/1\.[01] \d{3}.*)\r\n", data) is not None,
                              "%s: the subtree's bytes are the HTTP message (%r)" % (where, data[:60]))
                        check(re.match(rb"^([A-Z]+ \S+ HTTP/1\.[01]|HTTP/1\.[01] \d{3}[^\r\n]*)$", tbytes) is not None,
                              "%s: the type points at the first line (%r)" % (where, tbytes))
                        checked["api"] += 1
                        for f in sub.findall("field"):
                            if f.get("name") in ("tume.api.msisdn", "tume.api.keys"):
                                body = bytes.fromhex(f.get("value") or "")
                                check(body.startswith(b"{") or body.startswith(b"["),
                                      "%s: %s points at the JSON body (%r)" % (where, f.get("name"), body[:40]))
                                checked["body"] += 1
    check(all(checked.values()), "SIP messages, API messages and JSON facts were all checked: %s" % checked)
    # the tume item itself (README, "In the Wireshark GUI"): the whole frame,
    # except on a packet with a signalling message or keep-alive, where it is
    # the decrypted data from the first message on (the Decrypted TLS or
    # reassembled tab), starting with that message's subtree
    kinds = {"frame": 0, "sip": 0}
    for name in ("tume-signalling-tls12", "tume-api-keepalive", "tume-signalling-tls12-nokeys"):
        root = ET.fromstring(env.run(["-n", "-r", env.cap(name), "-Y", "tume", "-T", "pdml", "-2"]))
        for pkt in root.findall("packet"):
            frame = next(p for p in pkt.findall("proto") if p.get("name") == "frame")
            tume = next(p for p in pkt.findall("proto") if p.get("name") == "tume")
            subs = [f for f in tume.findall("field") if (f.get("show") or "").startswith("Signalling message: ")]
            where = "%s frame %s" % (name, pkt.find(".//field[@name='frame.number']").get("show"))
            if subs:
                check_eq((tume.get("pos"), subs[0].get("pos")), ("0", "0"),
                         "%s: the tume item and the first message start together" % where)
                check(int(subs[0].get("size")) <= int(tume.get("size")),
                      "%s: the tume item covers the decrypted data from the first message on (%s bytes, "
                      "the message %s)" % (where, tume.get("size"), subs[0].get("size")))
                kinds["sip"] += 1
            else:
                check_eq((tume.get("pos"), tume.get("size")), ("0", frame.get("size")),
                         "%s: the tume item covers the frame" % where)
                kinds["frame"] += 1
    check(all(kinds.values()), "both kinds of tume item were checked: %s" % kinds)
