"""The batch recipe (scripts/batch.sh, GNU parallel): per-capture TSV and
-T ek output, the Elasticsearch/OpenSearch mapping, and exit codes when
some captures are bad."""
import datetime
import json
import os
import shutil
import subprocess

from .common import check, check_eq, split

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BATCH = os.path.join(TOP, "scripts", "batch.sh")
GOOD = ["tume-api-keepalive", "tume-signalling-tls12", "tume-signalling-tls13", "other-https-json"]


def run_batch(env, args):
    e = env.environ(True)
    e["PATH"] = os.environ.get("PATH", "/usr/bin:/bin")
    # a copy the unprivileged user can read (the checkout may not be)
    script = os.path.join(env.root, "batch.sh")
    if not os.path.exists(script):
        shutil.copy(BATCH, script)
        os.chmod(script, 0o755)
    p = subprocess.run((env.drop or []) + ["bash", script] + args, env=e, cwd=env.root, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, universal_newlines=True, timeout=900)
    return p.returncode, p.stdout, p.stderr


def value_has_type(v, t):
    vals = v if isinstance(v, list) else [v]
    for x in vals:
        if t == "long":
            if not (isinstance(x, int) and not isinstance(x, bool)) and not (isinstance(x, str) and x.isdigit()):
                return False
        elif t == "boolean":
            if not isinstance(x, bool):
                return False
        elif t in ("date", "date_nanos"):      # date_nanos: Wireshark 4.6's mapping
            try:
                datetime.datetime.strptime(x[:19], "%Y-%m-%dT%H:%M:%S")
            except (TypeError, ValueError):
                return False
        elif t == "keyword":
            if not isinstance(x, str):
                return False
        else:
            return False
    return True


def case_batch(env):
    """scripts/batch.sh over bundled captures plus a truncated capture and a
    text file, two jobs at a time: every good capture gets its TSV (the rows
    of -T fields -Y tume) and its -T ek lines; every ek document parses, and
    every tume field in it has the type of the mapping (tshark's own, with
    the plugin's string fields as keyword); the bad captures are listed and
    the exit status says so, without stopping the others. Run again through
    --sshlogin ":" (GNU parallel's remote path, to this machine)."""
    check(shutil.which("parallel") is not None, "GNU parallel is installed (scripts/deps.sh installs it)")
    src = os.path.join(env.root, "batch-in")
    os.makedirs(src)
    for name in GOOD:
        shutil.copy(env.cap(name), src)
    with open(env.cap("tume-signalling-tls12"), "rb") as f:
        data = f.read()
    with open(os.path.join(src, "cut-short.pcapng"), "wb") as f:
        f.write(data[:3000])
    with open(os.path.join(src, "not-a-capture.pcapng"), "w") as f:
        f.write("not a capture\n")
    for n in os.listdir(src):
        os.chmod(os.path.join(src, n), 0o644)
    os.chmod(src, 0o755)
    out = os.path.join(env.root, "batch-out")
    os.makedirs(out)
    if env.drop:
        shutil.chown(out, user="nobody")
    caps = sorted(os.path.join(src, n) for n in os.listdir(src))
    rc, so, se = run_batch(env, ["-j", "2", out] + caps)
    check(rc != 0, "bad captures make the exit status non-zero (rc %d)" % rc)
    check("6 captures, 4 read, 2 failed" in so, "the summary counts the captures: %r (stderr %r)" % (so, se[-800:]))
    with open(os.path.join(out, "failed.txt")) as f:
        failed = sorted(l.strip() for l in f if l.strip())
    check_eq(failed, sorted(os.path.join(src, n) for n in ("cut-short.pcapng", "not-a-capture.pcapng")),
             "failed.txt lists the bad captures")
    for n in ("cut-short", "not-a-capture"):
        check(n in se, "stderr names the failed capture %s" % n)
    with open(os.path.join(out, "mapping.json")) as f:
        mapping = json.load(f)
    props = mapping["mappings"]["properties"]["layers"]["properties"]["tume"]["properties"]
    check_eq(props.get("tume_tume_msg_type", {}).get("type"), "keyword", "mapping: tume.msg_type is a keyword")
    check_eq(props.get("tume_tume_decrypted", {}).get("type"), "boolean", "mapping: tume.decrypted is a boolean")
    check_eq(props.get("tume_tume_api_request_in", {}).get("type"), "long", "mapping: a frame link is a long")
    seen_types = set()
    for name in GOOD:
        want = env.fields(env.cap(name), ["frame.number", "tume.msg_type"], filt="tume", two_pass=True)
        with open(os.path.join(out, name + ".tsv")) as f:
            lines = f.read().splitlines()
        head = lines[0].split("\t")
        rows = [dict(zip(head, l.split("\t"))) for l in lines[1:]]
        check_eq([(r["frame.number"], r["tume.msg_type"]) for r in rows],
                 [(w[0], ",".join(split(w[1]))) for w in want], "%s: TSV rows" % name)
        with open(os.path.join(out, name + ".ek.ndjson")) as f:
            docs = [json.loads(l) for l in f if l.strip()]
        bodies = [d for d in docs if "layers" in d]
        check_eq(len(bodies), len(want), "%s: one ek document per TU Me packet" % name)
        check_eq(len(docs), 2 * len(bodies), "%s: each document has its bulk index line" % name)
        for d in bodies:
            for k, v in d["layers"].get("tume", {}).items():
                if not k.startswith("tume_tume_"):
                    continue
                check(k in props, "%s: %s is in the mapping" % (name, k))
                t = props[k]["type"]
                check(value_has_type(v, t), "%s: %s = %r is a %s, as the mapping says" % (name, k, v, t))
                seen_types.add("date" if t == "date_nanos" else t)
    check(seen_types >= {"keyword", "boolean", "long", "date"}, "the ek output exercised every mapped type: %s"
          % sorted(seen_types))
    # the --sshlogin path of GNU parallel (":" is this machine), one good capture
    out2 = os.path.join(env.root, "batch-out-ssh")
    os.makedirs(out2)
    if env.drop:
        shutil.chown(out2, user="nobody")
    rc, so, se = run_batch(env, ["--sshlogin", "1/:", out2, os.path.join(src, GOOD[0] + ".pcapng")])
    check_eq(rc, 0, "batch.sh --sshlogin ':' on a good capture: exit 0 (%s)" % se[-500:])
    with open(os.path.join(out2, GOOD[0] + ".tsv")) as f1, open(os.path.join(out, GOOD[0] + ".tsv")) as f2:
        check_eq(f1.read(), f2.read(), "--sshlogin ':' writes the same TSV")
