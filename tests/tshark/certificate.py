"""The TLS side: flows found by certificate and SNI with and without keys
(tume.cert.*, tume.not_decrypted), keys given as a key log file or as the
server's RSA key, and certificate anomalies (expired, not yet valid,
self-signed, SNI not covered)."""
import os
import subprocess

from .common import (ALL_SIGNALLING_EVIDENCE, F_ISS, F_SAN, F_SELF, F_SNI, F_SUBJ, SIG_FIELDS, TUME_CAPTURES,
                     TUME_CERT, assert_flow_fields, assert_passes_agree, check, check_eq, expert_frames,
                     msg_list, per_stream)

RSA_MESSAGES = [
    ("REGISTER", "rsa-reg-0001@tume-iphone"),
    ("200 OK", "rsa-reg-0001@tume-iphone"),
    ("MESSAGE", "rsa-msg-0001@tume-iphone"),
    ("200 OK", "rsa-msg-0001@tume-iphone"),
]


def case_unkeyed_flows(env):
    """Without keys the flows are still found: TLS 1.2 by certificate and SNI
    (issuer and subject exact), TLS 1.3 by SNI alone (its certificate is
    encrypted). tume.not_decrypted exactly once per unkeyed flow."""
    for name, want, evidence in (
            ("tume-signalling-tls12", TUME_CERT, ["cert-subject", "cert-san", "sni"]),
            ("tume-signalling-tls13", {F_SNI: TUME_CERT[F_SNI], F_SUBJ: "", F_ISS: "", F_SAN: "", F_SELF: ""},
             ["sni"])):
        cap = env.cap(name, "-nokeys.pcapng")
        rows2 = env.fields(cap, SIG_FIELDS, filt="tcp", two_pass=True)
        rows1 = env.fields(cap, SIG_FIELDS, filt="tcp")
        assert_flow_fields(name + " unkeyed -2", rows2, want, evidence, "0")
        check_eq(msg_list(rows2), [], "%s unkeyed: no messages can be read" % name)
        # single pass: marked from the ClientHello; all known from the certificate on
        first = [r for r in rows2 if int(r[2]) > 0][0][0]
        cert = expert_frames(env, cap, "tume.cert.info", two_pass=False)
        settled = cert[0] if cert else int(first)
        for r1, r2 in zip(rows1, rows2):
            if int(r1[0]) >= settled:
                check_eq(r1, r2, "%s unkeyed: single pass agrees with -2 on frame %s" % (name, r1[0]))
        nd = expert_frames(env, cap, "tume.not_decrypted")
        check_eq(len(nd), 1, "%s unkeyed: tume.not_decrypted once" % name)
        appdata = [int(r[0]) for r in env.fields(cap, ["frame.number"], filt="tls.app_data")]
        check_eq(nd[0], appdata[0], "%s unkeyed: tume.not_decrypted on the first application data" % name)
        check_eq(expert_frames(env, env.cap(name), "tume.not_decrypted"), [],
                 "%s with keys: never tume.not_decrypted" % name)
    # the certificate note is on the packet that carried the certificate
    cap = env.cap("tume-signalling-tls12", "-nokeys.pcapng")
    cert_pkts = [int(r[0]) for r in env.fields(cap, ["frame.number"], filt="tls.handshake.certificate")]
    check_eq(expert_frames(env, cap, "tume.cert.info"), cert_pkts, "tume.cert.info on the Certificate packet")
    expert = env.run(["-n", "-q", "-r", cap, "-z", "expert,note"])
    check("TU Me signalling server certificate issued by CN=TU Me Test Root CA,O=Example Test PKI,C=ES"
          " to CN=sip.tume.jajah.com,O=Jajah Inc.,C=US" in expert, "-z expert lists the certificate note")
    check("TU Me signalling flow not decrypted" in expert, "-z expert lists the not-decrypted note")
    # the issuer on every TU Me packet of the flow (-2; a single pass knows it from the certificate on)
    issuers = env.fields(cap, ["tume.cert.issuer"], filt="tume", two_pass=True)
    check(len(issuers) > 10 and all(r == [TUME_CERT[F_ISS]] for r in issuers), "issuer on every tume packet")
    # TLS 1.3 keyed: the certificate is read from the decrypted handshake
    rows = env.fields(env.cap("tume-signalling-tls13"), ["tume.cert.issuer"], filt="tume", two_pass=True)
    check(len(rows) > 10 and all(r == [TUME_CERT[F_ISS]] for r in rows), "TLS 1.3 with keys: issuer")


def case_rsa_key(env):
    """A static-RSA TLS 1.2 TU Me flow: found by its certificate without keys
    (the note names the RSA key), read with the server's RSA private key."""
    cap = env.cap("tume-signalling-rsa")
    rows = env.fields(cap, SIG_FIELDS, filt="tcp", two_pass=True)
    assert_flow_fields("rsa unkeyed", rows, TUME_CERT, ["cert-subject", "cert-san", "sni"], "0")
    nd = env.fields(cap, ["frame.number", "_ws.expert.message"], filt="tume.not_decrypted", two_pass=True)
    check_eq(len(nd), 1, "rsa unkeyed: tume.not_decrypted once")
    check("the server's RSA private key (uat:rsa_keys)" in nd[0][1], "rsa: the note names the RSA key: %r" % nd)
    key = os.path.join(env.cap_dir, "pki", "sip.tume.jajah.com.key")
    opts = ['uat:rsa_keys:"%s",""' % key]
    rows2 = env.fields(cap, SIG_FIELDS, filt="tcp", two_pass=True, opts=opts)
    rows1 = env.fields(cap, SIG_FIELDS, filt="tcp", opts=opts)
    check_eq(msg_list(rows2), RSA_MESSAGES, "rsa with the key: messages")
    assert_flow_fields("rsa keyed -2", rows2, TUME_CERT, ALL_SIGNALLING_EVIDENCE, "1")
    assert_passes_agree("rsa keyed", rows1, rows2, RSA_MESSAGES)
    check_eq(expert_frames(env, cap, "tume.not_decrypted", opts=opts), [], "rsa with the key: decrypted")


ANOMALY_WARNINGS = ["tume.cert.expired", "tume.cert.not_yet_valid",
                    "tume.cert.is_self_signed", "tume.cert.sni_mismatch"]


def case_cert_anomalies(env):
    """Expired, self-signed and SNI-mismatched certificates are pointed out,
    each on its own flow's Certificate packet; sound certificates never are."""
    cap = env.cap("tume-cert-anomalies")
    want = {  # stream: (subject, self-signed, the one warning)
        0: ("CN=old.tume.jajah.com,O=Jajah Inc.,C=US", "0", "tume.cert.expired"),
        1: ("CN=selfsigned.tume.jajah.com,O=Jajah Inc.,C=US", "1", "tume.cert.is_self_signed"),
        2: ("CN=media.jajah.com,O=Jajah Inc.,C=US", "0", "tume.cert.sni_mismatch"),
    }
    streams = per_stream(env.fields(cap, SIG_FIELDS, filt="tcp", two_pass=True))
    check_eq(sorted(streams), sorted(want), "anomalies: streams")
    cert_frames = {}
    for r in env.fields(cap, ["frame.number", "tcp.stream"], filt="tume.cert.info", two_pass=True):
        cert_frames[int(r[1])] = int(r[0])
    for st, (subject, self_signed, warning) in want.items():
        for r in streams[st]:
            if int(r[2]) > 0:
                check_eq((r[F_SUBJ], r[F_SELF]), (subject, self_signed), "anomalies stream %d frame %s" % (st, r[0]))
        for w in ANOMALY_WARNINGS:
            got = [int(r[1]) for r in env.fields(cap, ["tcp.stream", "frame.number"], filt=w, two_pass=True)
                   if int(r[0]) == st]
            check_eq(got, [cert_frames[st]] if w == warning else [], "anomalies stream %d: %s" % (st, w))
    expired = env.fields(cap, ["_ws.expert.message"], filt="tume.cert.expired")
    check("expired on 2012-01-01 00:00:00 UTC" in expired[0][0], "expiry date in the warning: %r" % expired)
    # validity is judged at capture time: the sound signalling capture moved
    # 20 years back (before notBefore) and 20 years on (after notAfter)
    year = 365 * 86400
    for shift, warning in ((-20 * year, "tume.cert.not_yet_valid"), (20 * year, "tume.cert.expired")):
        moved = os.path.join(env.root, "shifted.pcapng")
        subprocess.run(["editcap", "-t", str(shift), env.cap("tume-signalling-tls12", "-nokeys.pcapng"), moved],
                       check=True)
        os.chmod(moved, 0o644)
        for w in ANOMALY_WARNINGS:
            check_eq(len(expert_frames(env, moved, w)), 1 if w == warning else 0,
                     "capture shifted by %d s: %s" % (shift, w))
    for name in list(TUME_CAPTURES) + ["tume-provisioning-tls12", "tume-signalling-rsa"]:
        for w in ANOMALY_WARNINGS:
            check_eq(expert_frames(env, env.cap(name), w), [], "%s: no %s" % (name, w))


def case_keylog_file(env):
    """Keys from tls.keylog_file give exactly what the embedded secrets give."""
    for name in sorted(TUME_CAPTURES):
        embedded = env.fields(env.cap(name), SIG_FIELDS, two_pass=True)
        keylog = env.fields(env.cap(name, "-nokeys.pcapng"), SIG_FIELDS, two_pass=True,
                            opts=["tls.keylog_file:" + env.cap(name, ".keys")])
        check_eq(keylog, embedded, "%s: keylog file vs embedded secrets" % name)
        nokeys = env.fields(env.cap(name, "-nokeys.pcapng"), ["frame.number"], filt="sip or tume.msg_type")
        check_eq(nokeys, [], "%s without keys: no SIP message can be read" % name)
