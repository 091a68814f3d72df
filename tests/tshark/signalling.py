"""TU Me signalling (SIP over TLS): the whole contract of a keyed signalling
capture (message list, tume on every payload packet and only there, one pass
against -2, Wireshark's own SIP, SDP and RTP, -z sip,stat), the edge-case
capture, and what stock tshark makes of it."""
import re

from .common import (ALL_SIGNALLING_EVIDENCE, SIG_FIELDS, TUME_CERT, TUME_EDGE, TUME_SIGNALLING,
                     assert_flow_fields, assert_passes_agree, check, check_eq, msg_list, per_stream, split)

# What Wireshark's own SIP dissector sees in the same stream (method or code).
TUME_SIGNALLING_SIP = [t.split(" ")[0] for t, _ in TUME_SIGNALLING if not t.startswith("keepalive")]


def assert_signalling(env, name, cap_file, opts=()):
    """The whole contract of a TU Me signalling capture with keys."""
    two = per_stream(env.fields(cap_file, SIG_FIELDS, filt="tcp", two_pass=True, opts=opts))
    one = per_stream(env.fields(cap_file, SIG_FIELDS, filt="tcp", opts=opts))
    check_eq(sorted(two), [0], "%s: TCP streams" % name)
    rows2, rows1 = two[0], one[0]

    # every message, in order, typed as FIELDS.md says
    check_eq(msg_list(rows2), TUME_SIGNALLING, "%s: -2 message list" % name)
    # tume on every packet with TCP payload, and only there, with the final flow facts
    assert_flow_fields(name + " -2", rows2, TUME_CERT, ALL_SIGNALLING_EVIDENCE, "1")
    assert_passes_agree(name, rows1, rows2, TUME_SIGNALLING)

    # Wireshark's own SIP dissector sees every message of the stream
    sip = env.fields(cap_file, ["sip.Method", "sip.Status-Code"], filt="sip", opts=opts)
    seen = []
    for r in sip:
        # a frame may hold several messages; in these captures never a mix of
        # requests and responses, so methods or codes come in stream order
        check(not (r[0] and r[1]), "%s: mixed request/response frame not expected" % name)
        seen += split(r[0]) + split(r[1])
    check_eq(seen, TUME_SIGNALLING_SIP, "%s: sip.Method/sip.Status-Code sequence" % name)

    # SDP of the INVITE and of its 200 OK reached the SDP dissector
    sdp = env.fields(cap_file, ["sdp.media.port"], filt="sdp", opts=opts)
    check_eq([r[0] for r in sdp], ["40000", "40002"], "%s: SDP media ports" % name)

    # ... and SDP set up the call's RTP (UDP 40000 <-> 40002, 5 packets each way)
    rtp = env.fields(cap_file, ["frame.number", "rtp.setup-frame", "rtp.setup-method", "tume.flow"],
                     filt="udp", opts=opts)
    sdp_frames = {r[0] for r in env.fields(cap_file, ["frame.number"], filt="sdp", opts=opts)}
    check_eq(len(rtp), 10, "%s: RTP packets" % name)
    for r in rtp:
        check(r[2] == "SDP" and r[1] in sdp_frames, "%s: RTP frame %s not set up by SIP's SDP: %r" % (name, r[0], r))
        check_eq(r[3], "", "%s: tume is on the TLS flow only, not on RTP frame %s" % (name, r[0]))

    # display filters of FIELDS.md
    inv = env.fields(cap_file, ["frame.number"], filt='tume.msg_type == "INVITE"', opts=opts)
    check_eq(len(inv), 1, "%s: frames matching tume.msg_type == \"INVITE\"" % name)
    info = env.fields(cap_file, ["frame.number"], filt="tume.msg.info", two_pass=True, opts=opts)
    check_eq([r[0] for r in info], [r[0] for r in rows2 if r[4]],
             "%s: tume.msg.info expert on every message frame" % name)
    check_eq(env.fields(cap_file, ["frame.number"], filt="tume.malformed", opts=opts), [],
             "%s: no tume.malformed" % name)

    # -z sip,stat counts the TLS/443 messages
    stat = env.run(["-n", "-q", "-r", cap_file, "-z", "sip,stat"] + [a for o in opts for a in ("-o", o)])
    m = re.search(r"Number of SIP messages: (\d+)", stat)
    check(m is not None, "%s: no sip,stat output" % name)
    check_eq(int(m.group(1)), len(TUME_SIGNALLING_SIP), "%s: sip,stat message count" % name)
    return rows2


def case_signalling_tls12(env):
    assert_signalling(env, "tls12", env.cap("tume-signalling-tls12"))


def case_signalling_tls13(env):
    assert_signalling(env, "tls13", env.cap("tume-signalling-tls13"))


def case_signalling_edge(env):
    """A start line cut by the first record, a ping and a message sharing a
    record, and a message that cannot be framed."""
    cap = env.cap("tume-signalling-edge")
    two = per_stream(env.fields(cap, SIG_FIELDS, filt="tcp", two_pass=True))
    one = per_stream(env.fields(cap, SIG_FIELDS, filt="tcp"))
    check_eq(msg_list(two[0]), TUME_EDGE, "edge: -2 message list")
    assert_flow_fields("edge -2", two[0], TUME_CERT, ALL_SIGNALLING_EVIDENCE, "1")
    assert_passes_agree("edge", one[0], two[0], TUME_EDGE)
    # the record holding only "OPTI" is reassembled with the next one, not HTTP
    check_eq(env.fields(cap, ["frame.number"], filt="http"), [], "edge: nothing went to HTTP")
    bad = env.fields(cap, ["frame.number", "tume.msg_type", "_ws.expert.message"], filt="tume.malformed",
                     two_pass=True)
    check_eq(len(bad), 1, "edge: exactly one frame with tume.malformed")
    check_eq(bad[0][1], "MESSAGE", "edge: the badly framed message is still SIP's, and typed")
    check("Content-Length that is not plain digits" in bad[0][2] and "left to Wireshark's SIP" in bad[0][2],
          "edge: tume.malformed says why: %r" % bad[0][2])
    # the broken message is the client's last data record
    last = max(int(r[0]) for r in two[0] if r[4])
    check_eq(int(bad[0][0]), last, "edge: tume.malformed on the last typed message")


def case_stock_reads_broken_http(env):
    """The problem the plugin solves: stock tshark reads the SIP as HTTP."""
    cap = env.cap("tume-signalling-tls12")
    check_eq(env.fields(cap, ["frame.number"], filt="sip", plugin=False), [],
             "stock tshark should not find SIP")
    check(len(env.fields(cap, ["frame.number"], filt="http", plugin=False)) > 0,
          "stock tshark should (mis)read the stream as HTTP")
    check_eq(env.fields(cap, ["frame.number"], filt="http"), [], "with the plugin: no HTTP")


def case_info_column(env):
    """The Info column of TU Me packets: "TU Me: " once, then each message's
    text (SIP's own, or the keep-alive's name), with no stray "|" at the end
    (SIP ends every message with " | "; the plugin trims the last one). One
    pass and -2; stock's Info of other traffic is untouched."""
    from .common import info_column
    for name in ("tume-signalling-tls12", "tume-signalling-edge", "hostile-keepalive-flood"):
        cap = env.cap(name)
        for two in (False, True):
            info = info_column(env, cap, filt="tume.msg_type", two_pass=two)
            check(len(info) > 0, "%s: TU Me messages" % name)
            for f, text in info.items():
                check(text.startswith("TU Me: ") and text.count("TU Me:") == 1,
                      "%s frame %d: Info says 'TU Me: ' once, first: %r" % (name, f, text))
                check(not text.rstrip().endswith("|"), "%s frame %d: no stray '|' at the end: %r" % (name, f, text))
            pings = [t for t in info.values() if t == "TU Me: keepalive-ping"]
            if name == "tume-signalling-tls12":
                check(pings, "%s: a keep-alive's Info is its name alone" % name)
    # other SIP over TLS (not TU Me) keeps SIP's own text, separators and all
    cap = env.cap("other-sip-tls")
    mine = info_column(env, cap)
    check(any(t.rstrip().endswith("|") for t in mine.values()),
          "other-sip-tls: SIP's own ' | ' is left on traffic that is not TU Me")


def case_single_pass_filters(env):
    """What the README says of filters given when a file is opened (one
    pass) against filters applied after it loaded (-2): on
    tume-signalling-tls12, tume, tume.sni, tume.flow and tume.msg_type
    match the same packets; tume.cert.issuer misses the 4 packets before
    the certificate is complete (30 against 34)."""
    cap = env.cap("tume-signalling-tls12")
    for flt in ("tume", "tume.sni", 'tume.flow == "signalling"', "tume.msg_type"):
        one = env.fields(cap, ["frame.number"], filt=flt)
        two = env.fields(cap, ["frame.number"], filt=flt, two_pass=True)
        check(len(one) > 0, "%s matches" % flt)
        check_eq(one, two, "%s: one pass and -2 match the same packets" % flt)
    one = env.fields(cap, ["frame.number"], filt="tume.cert.issuer")
    two = env.fields(cap, ["frame.number"], filt="tume.cert.issuer", two_pass=True)
    check_eq((len(one), len(two)), (30, 34), "tume.cert.issuer: one pass against -2 (the README's numbers)")
