"""The capture generator behind captures/generate.py.

Everything is done with real stacks on the loopback interface:
  * certificates are made with the ``openssl`` command line tool (pki.py),
  * TLS is Python's ``ssl`` module (OpenSSL), the client context writes an
    NSS key log (``keylog_filename``) (net.py),
  * the traffic is captured with ``dumpcap -i lo -f "tcp port 443 ..."``
    (net.py),
  * the key log is embedded with ``editcap --inject-secrets tls,<keys>``
    (except tume-signalling-rsa: static RSA key exchange, no key log at all;
    it is decrypted with the server's RSA private key) (driver.py),
  * tume-api-keepalive, tume-api-multi and lookalike-api use a real HTTP
    client instead: ``curl`` (key log from its ``SSLKEYLOGFILE``) against a
    Python ``http.server`` HTTPS server (HTTP/1.1 keep-alive) (api.py).

Only the Python standard library is used.  The application-level content
(SIP Call-IDs, tags, branches, bodies, HTTP bodies, the random bytes of the
non-TLS capture) is fixed, so reruns produce the same plaintext; TLS bytes,
TCP ports/sequence numbers and timestamps differ on every run.

Modules, each importing only those above it:

    util.py         CAPTURES_DIR, log(), run()
    pki.py          the throwaway PKI (captures/pki/)
    net.py          sockets, TLS contexts and connections, dumpcap
    sip.py          SIP/HTTP framing, SIP messages, Digest, SDP, RTP
    api.py          the provisioning API flow: curl against http.server
    scenarios/      the captures, one module per family
    driver.py       runs the scenarios, writes the files, the command line
"""
