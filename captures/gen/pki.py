"""The throwaway PKI of the captures (captures/pki/), made with the openssl CLI.

CAS and LEAVES are the certificate specifications (subject, SAN, serial,
issuer; fixed validity dates where given); captures/README.md has the table.
ensure_pki() creates the missing files and keeps the existing ones (all of
them are thrown away first with --new-pki); a server certificate is remade
when its CA was.  Each server gets <name>.key, <name>.crt and
<name>.chain.pem (leaf then CA: what the server sends; only the leaf for a
self-signed one).  pki_path(name, ext) names a file of it.
"""

import os
import shutil
import tempfile

from .util import CAPTURES_DIR, log, run

PKI_DIR = os.path.join(CAPTURES_DIR, "pki")


CAS = {
    "tume-ca": {
        "subj": "/C=ES/O=Example Test PKI/CN=TU Me Test Root CA",
        "serial": "0x01",
    },
    "other-ca": {
        "subj": "/C=DE/O=Other PKI/CN=Other Test CA",
        "serial": "0x01",
    },
    "tu-ca": {
        "subj": "/C=ES/O=Telefonica Test PKI/CN=TU Test Issuing CA",
        "serial": "0x01",
    },
}

LEAVES = {
    "sip.tume.jajah.com": {
        "ca": "tume-ca",
        "subj": "/C=US/O=Jajah Inc./CN=sip.tume.jajah.com",
        "san": "DNS:sip.tume.jajah.com, DNS:*.tume.jajah.com",
        "serial": "0x1001",
    },
    "sip.example.org": {
        "ca": "other-ca",
        "subj": "/C=DE/O=Example SIP/CN=sip.example.org",
        "san": "DNS:sip.example.org",
        "serial": "0x2001",
    },
    "api.example.net": {
        "ca": "other-ca",
        "subj": "/C=DE/O=Example API/CN=api.example.net",
        "san": "DNS:api.example.net",
        "serial": "0x2002",
    },
    # scenario H
    "api.tu.com": {
        "ca": "tu-ca",
        "subj": "/C=ES/O=Telefonica Digital/CN=api.tu.com",
        "san": "DNS:api.tu.com",
        "serial": "0x3001",
    },
    # scenario K1: expired (fixed validity in 2011, made with `openssl ca`)
    "old.tume.jajah.com": {
        "ca": "tume-ca",
        "subj": "/C=US/O=Jajah Inc./CN=old.tume.jajah.com",
        "san": "DNS:old.tume.jajah.com",
        "serial": "0x1002",
        "startdate": "20110101000000Z",
        "enddate": "20120101000000Z",
    },
    # scenario K2: self-signed leaf (ca None); the chain file holds only the leaf
    "selfsigned.tume.jajah.com": {
        "ca": None,
        "subj": "/C=US/O=Jajah Inc./CN=selfsigned.tume.jajah.com",
        "san": "DNS:selfsigned.tume.jajah.com",
        "serial": "0x1003",
    },
    # scenario K3: presented for SNI sip.tume.jajah.com, which it does not cover
    "media.jajah.com": {
        "ca": "tume-ca",
        "subj": "/C=US/O=Jajah Inc./CN=media.jajah.com",
        "san": "DNS:media.jajah.com",
        "serial": "0x1004",
    },
}

OPENSSL_CNF = """\
[req]
distinguished_name = req_dn
prompt = no
[req_dn]
CN = placeholder
[v3_ca]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
[v3_leaf]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid, issuer
subjectAltName = %(san)s
[v3_leaf_self]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
subjectAltName = %(san)s
"""

# Minimal `openssl ca` configuration, used only for leaves with fixed
# start/end dates (OpenSSL 3.0's `x509 -req` can only set -days).  All the CA
# state (database, serial, copies of issued certificates) lives in a temp dir.
OPENSSL_CA_CNF = """\
[ca]
default_ca = tmp_ca
[tmp_ca]
dir = %(dir)s
database = $dir/index.txt
serial = $dir/serial
new_certs_dir = $dir
default_md = sha256
policy = policy_any
unique_subject = no
email_in_dn = no
copy_extensions = none
[policy_any]
countryName = optional
organizationName = optional
commonName = supplied
"""


def pki_path(name, ext):
    return os.path.join(PKI_DIR, "%s.%s" % (name, ext))


def ensure_pki(new_pki):
    if new_pki and os.path.isdir(PKI_DIR):
        shutil.rmtree(PKI_DIR)
    os.makedirs(PKI_DIR, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix="tume-pki-")
    created_cas = set()
    try:
        for name, ca in CAS.items():
            key, crt = pki_path(name, "key"), pki_path(name, "crt")
            if os.path.exists(key) and os.path.exists(crt):
                continue
            cnf = os.path.join(tmp, name + ".cnf")
            with open(cnf, "w") as f:
                f.write(OPENSSL_CNF % {"san": "DNS:unused.invalid"})
            run(["openssl", "req", "-x509", "-new", "-newkey", "rsa:2048", "-nodes",
                 "-keyout", key, "-out", crt, "-days", "3650", "-sha256",
                 "-subj", ca["subj"], "-set_serial", ca["serial"],
                 "-config", cnf, "-extensions", "v3_ca"])
            created_cas.add(name)
            log("  pki: created CA %s" % name)
        for name, leaf in LEAVES.items():
            key, crt, chain = (pki_path(name, "key"), pki_path(name, "crt"),
                               pki_path(name, "chain.pem"))
            if (leaf["ca"] not in created_cas and os.path.exists(key)
                    and os.path.exists(crt) and os.path.exists(chain)):
                continue
            cnf = os.path.join(tmp, name + ".cnf")
            with open(cnf, "w") as f:
                f.write(OPENSSL_CNF % {"san": leaf["san"]})
            if leaf["ca"] is None:
                # self-signed leaf: issuer == subject, signed with its own key
                run(["openssl", "req", "-x509", "-new", "-newkey", "rsa:2048", "-nodes",
                     "-keyout", key, "-out", crt, "-days", "3650", "-sha256",
                     "-subj", leaf["subj"], "-set_serial", leaf["serial"],
                     "-config", cnf, "-extensions", "v3_leaf_self"])
            else:
                csr = os.path.join(tmp, name + ".csr")
                run(["openssl", "req", "-new", "-newkey", "rsa:2048", "-nodes",
                     "-keyout", key, "-out", csr, "-subj", leaf["subj"], "-config", cnf])
                if "startdate" in leaf:
                    cadir = os.path.join(tmp, name + ".ca")
                    os.makedirs(cadir)
                    open(os.path.join(cadir, "index.txt"), "w").close()
                    with open(os.path.join(cadir, "serial"), "w") as f:
                        f.write("%X\n" % int(leaf["serial"], 16))
                    cacnf = os.path.join(tmp, name + ".ca.cnf")
                    with open(cacnf, "w") as f:
                        f.write(OPENSSL_CA_CNF % {"dir": cadir})
                    run(["openssl", "ca", "-batch", "-notext", "-preserveDN",
                         "-config", cacnf, "-cert", pki_path(leaf["ca"], "crt"),
                         "-keyfile", pki_path(leaf["ca"], "key"), "-md", "sha256",
                         "-startdate", leaf["startdate"], "-enddate", leaf["enddate"],
                         "-extfile", cnf, "-extensions", "v3_leaf",
                         "-in", csr, "-out", crt])
                else:
                    run(["openssl", "x509", "-req", "-in", csr,
                         "-CA", pki_path(leaf["ca"], "crt"),
                         "-CAkey", pki_path(leaf["ca"], "key"),
                         "-set_serial", leaf["serial"], "-days", "3650", "-sha256",
                         "-extfile", cnf, "-extensions", "v3_leaf", "-out", crt])
            with open(chain, "w") as out:
                parts = [crt] if leaf["ca"] is None else [crt, pki_path(leaf["ca"], "crt")]
                for part in parts:
                    with open(part) as f:
                        out.write(f.read())
            log("  pki: created server certificate %s (issuer %s)"
                % (name, leaf["ca"] or "self"))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
