"""Sockets, TLS and capture plumbing on the loopback interface.

Every TCP connection goes from a 127.0.0.x client to a 127.0.0.y server on
port 443 (listen/accept/connect).  TLS is Python's ``ssl`` module (OpenSSL):
server_context() loads a pki/ chain, client_context() verifies against a
pki/ CA and writes an NSS key log (``keylog_filename``); tls_connection()
runs one whole TLS connection, server side in a ServerThread, and closes it
cleanly (close_notify both ways, then FIN).  exchange_plain() and
recv_exact() are for the scenarios without TLS.  start_dumpcap() and
stop_dumpcap() run ``dumpcap -i lo -f CAPTURE_FILTER`` around a scenario.

"small_segments" (TCP_MAXSEG and TCP_WINDOW_CLAMP, below) makes the Linux
stack put at most one small MSS in each captured frame, so that records and
messages span several TCP segments.
"""

import os
import signal
import socket
import ssl
import subprocess
import threading
import time

from .pki import pki_path

PORT = 443
SOCK_TIMEOUT = 20.0

# TCP_MAXSEG used for the TU Me signalling scenarios (A and B).
SIGNALLING_MSS = 536
# The loopback device does GSO/TSO, so a single send() larger than the MSS is
# handed to the capture as ONE big "super packet" even with TCP_MAXSEG=536.
# Clamping the advertised receive window to < 4*MSS makes the Linux sender's
# size goal (bounded to half the peer's max window) a single MSS, so every
# skb -- and therefore every captured frame -- carries at most one MSS.
SIGNALLING_WINDOW_CLAMP = 2090


def tcp_opts(s, small_segments):
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    if small_segments:
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_MAXSEG, SIGNALLING_MSS)
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_WINDOW_CLAMP, SIGNALLING_WINDOW_CLAMP)


def listen(ip, small_segments=False):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    tcp_opts(s, small_segments)          # before listen(): inherited by accept()
    s.bind((ip, PORT))
    s.listen(1)
    s.settimeout(SOCK_TIMEOUT)
    return s


def accept(lsock):
    conn, _ = lsock.accept()
    conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    conn.settimeout(SOCK_TIMEOUT)
    return conn


def connect(client_ip, server_ip, small_segments=False):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    tcp_opts(s, small_segments)          # before connect(): affects the SYN's MSS
    s.bind((client_ip, 0))
    s.settimeout(SOCK_TIMEOUT)
    s.connect((server_ip, PORT))
    return s


def tls_versions(ctx, version, ciphers=None):
    """Pins the version; TLS 1.2 suites: ciphers (an OpenSSL cipher list),
    by default ECDHE-RSA-AES128-GCM-SHA256.  (Python cannot choose TLS 1.3
    suites: see OPENSSL_CONF in scenarios/signalling.py.)"""
    ctx.minimum_version = version
    ctx.maximum_version = version
    if version == ssl.TLSVersion.TLSv1_2:
        ctx.set_ciphers(ciphers or "ECDHE-RSA-AES128-GCM-SHA256")


def server_context(leaf, version, tickets=False, ciphers=None):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls_versions(ctx, version, ciphers)
    ctx.load_cert_chain(pki_path(leaf, "chain.pem"), pki_path(leaf, "key"))
    if not tickets:
        # No session tickets: keeps the record sequence minimal and the
        # ordering deterministic (TLS 1.3 tickets would race the first request).
        ctx.options |= ssl.OP_NO_TICKET
        ctx.num_tickets = 0
    return ctx


def client_context(ca, version, keylog, ciphers=None):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    tls_versions(ctx, version, ciphers)
    ctx.load_verify_locations(pki_path(ca, "crt"))
    ctx.keylog_filename = keylog
    return ctx


def tls_client_close(tls):
    """Send close_notify, wait for the peer's close_notify, then FIN."""
    raw = tls.unwrap()
    raw.close()


def tls_server_close(tls):
    """Called after the client's close_notify was read: answer it, wait for FIN."""
    raw = tls.unwrap()
    while raw.recv(4096):
        pass
    raw.close()


class ServerThread(threading.Thread):
    def __init__(self, fn, *args):
        super().__init__(daemon=True)
        self.fn, self.args, self.exc = fn, args, None

    def run(self):
        try:
            self.fn(*self.args)
        except BaseException as e:  # re-raised in the main thread
            self.exc = e

    def finish(self):
        self.join(SOCK_TIMEOUT + 5)
        if self.is_alive():
            raise RuntimeError("server thread did not finish")
        if self.exc:
            raise self.exc


def tls_connection(cip, sip_ip, leaf, server_fn, cctx, sni, client_fn, version,
                   small_segments=False, ciphers=None, tickets=False):
    """One TLS connection cip -> sip_ip:443 with the leaf certificate's server;
    server_fn(tls) and client_fn(tls) speak; returns after both sides closed.
    tickets: the server sends session tickets (OpenSSL's default, two in TLS 1.3)."""
    lsock = listen(sip_ip, small_segments=small_segments)
    sctx = server_context(leaf, version, tickets)
    if ciphers:
        sctx.set_ciphers(ciphers)

    def server():
        try:
            tls = sctx.wrap_socket(accept(lsock), server_side=True)
        finally:
            lsock.close()
        server_fn(tls)
        tls_server_close(tls)

    th = ServerThread(server)
    th.start()
    tls = cctx.wrap_socket(connect(cip, sip_ip, small_segments=small_segments), server_hostname=sni)
    with open(pki_path(leaf, "crt")) as f:
        want = ssl.PEM_cert_to_DER_cert(f.read())
    if tls.getpeercert(binary_form=True) != want:
        raise RuntimeError("server did not present %s" % leaf)
    client_fn(tls)
    tls_client_close(tls)
    th.finish()


def recv_exact(s, n):
    data = b""
    while len(data) < n:
        d = s.recv(n - len(data))
        if not d:
            raise RuntimeError("short read")
        data += d
    return data


def exchange_plain(cip, sip_ip, c2s, s2c):
    lsock = listen(sip_ip)

    def server():
        try:
            conn = accept(lsock)
        finally:
            lsock.close()
        if recv_exact(conn, len(c2s)) != c2s:
            raise RuntimeError("bad client data")
        conn.sendall(s2c)
        if conn.recv(4096):                # wait for the client's FIN
            raise RuntimeError("unexpected extra data")
        conn.close()

    th = ServerThread(server)
    th.start()
    s = connect(cip, sip_ip)
    s.sendall(c2s)
    if recv_exact(s, len(s2c)) != s2c:
        raise RuntimeError("bad server data")
    s.close()
    th.finish()


# TLS/HTTP on 443, and the RTP of the TU Me call (SDP ports 40000/40002)
# 8080: the HTTP proxy of scenarios/proxy.py
CAPTURE_FILTER = "tcp port 443 or tcp port 8080 or (udp and (port 40000 or port 40002))"


def start_dumpcap(path):
    p = subprocess.Popen(["dumpcap", "-q", "-i", "lo", "-f", CAPTURE_FILTER, "-w", path],
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.time() + 15
    while not (os.path.exists(path) and os.path.getsize(path) > 0):
        if p.poll() is not None:
            raise RuntimeError("dumpcap exited: %s" % p.stderr.read().decode(errors="replace"))
        if time.time() > deadline:
            p.kill()
            p.wait()
            raise RuntimeError("dumpcap did not start capturing")
        time.sleep(0.1)
    time.sleep(1.0)
    return p


def stop_dumpcap(p):
    if p.poll() is None:
        p.send_signal(signal.SIGTERM)
    try:
        p.wait(15)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()
        raise RuntimeError("dumpcap did not stop on SIGTERM")
