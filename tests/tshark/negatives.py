"""What is not TU Me: other HTTPS, plain HTTP and non-TLS bytes on 443 and
the look-alike API dissect exactly as stock; SIP to a non-TU Me server
changes only from broken HTTP to SIP."""
from .common import NEGATIVE_CAPTURES, check, check_eq, split

OTHER_SIP = ["REGISTER", "200", "MESSAGE", "200", "OPTIONS", "200"]


def case_api_lookalike(env):
    """The same JSON API on another host and certificate is not TU Me, and
    its dissection is exactly stock."""
    for suffix in (".pcapng", "-nokeys.pcapng"):
        cap = env.cap("lookalike-api", suffix)
        check_eq(env.fields(cap, ["frame.number"], filt="tume", two_pass=True), [], "look-alike%s: no tume" % suffix)
        for extra in ([], ["-2"]):
            args = ["-n", "-r", cap, "-V"] + extra
            check_eq(env.run(args), env.run(args, plugin=False), "look-alike%s %s: -V as stock" % (suffix, extra))
    check_eq(len(env.fields(env.cap("lookalike-api"), ["frame.number"], filt="json")), 13,
             "look-alike: the JSON was decrypted (so the comparison means something)")


def case_other_sip_not_tume(env):
    cap = env.cap("other-sip-tls")
    rows = env.fields(cap, ["frame.number", "tume.flow", "sip.Method", "sip.Status-Code", "frame.protocols"],
                      two_pass=True)
    check_eq([r for r in rows if r[1]], [], "SIP to a non-TU Me server must not be TU Me")
    check(all(":tume" not in r[4] for r in rows), "frame.protocols must not name tume on plain SIP")
    check_eq([x for r in rows for x in split(r[2]) + split(r[3])], OTHER_SIP,
             "other SIP over TLS/443 is still SIP")
    # only the application layer changes from broken HTTP to SIP
    base = ["frame.number", "tcp.stream", "tcp.len", "tls.record.content_type", "tls.handshake.type"]
    check_eq(env.fields(cap, base), env.fields(cap, base, plugin=False), "TCP/TLS layers unchanged")
    check(len(env.fields(cap, ["frame.number"], filt="http", plugin=False)) > 0, "stock reads it as HTTP")


def case_negatives_unchanged(env):
    """Other HTTPS, plain HTTP on 443 and non-TLS bytes on 443: byte-for-byte
    the stock dissection, in one pass and in two."""
    for name in NEGATIVE_CAPTURES:
        cap = env.cap(name)
        for extra in ([], ["-2"]):
            args = ["-n", "-r", cap, "-V"] + extra
            check_eq(env.run(args), env.run(args, plugin=False), "%s %s: -V output changed" % (name, extra))
        check_eq(env.fields(cap, ["frame.number"], filt="tume", two_pass=True), [], "%s: no tume" % name)
    # the HTTPS negative really was decrypted (else the comparison is empty)
    check(len(env.fields(env.cap("other-https-json"), ["frame.number"], filt="json")) >= 2,
          "other-https-json: JSON bodies expected")
