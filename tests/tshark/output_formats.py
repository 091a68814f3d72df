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
