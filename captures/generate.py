#!/usr/bin/env python3
"""Regenerate the test captures in this directory.

Run as root from the repository top:

    sudo python3 captures/generate.py            # reuse captures/pki/ if present
    sudo python3 captures/generate.py --new-pki  # throw away and recreate the PKI
    sudo python3 captures/generate.py --only tume-signalling-tls12

This file is only the entry point.  The generator is the package gen/ next
to it (Python standard library only); the outputs are written here, in
captures/:

    gen/driver.py       the capture driver: dumpcap around each scenario, the
                        files written per output mode, the summary, main()
    gen/pki.py          the throwaway PKI in pki/ (openssl CLI)
    gen/net.py          sockets on 127.0.0.x:443, TLS contexts and
                        connections, plain TCP exchanges, dumpcap
    gen/sip.py          SIP (and HTTP/1.1) framing and building, Digest, SDP,
                        RTP, generic TU Me SIP client/server pieces
    gen/api.py          the provisioning API flow: curl against http.server
    gen/scenarios/      the captures, one module per family:
      signalling.py       A, B, G, J, K   TU Me SIP over TLS
      negatives.py        C, D, E, F      traffic that is not TU Me
      provisioning.py     H, L, M, N, O   the TU Me provisioning API
      hostile.py          X1-X11          issue 7's regression captures (hostile input)

Adding a capture: one scenario function and one (name, function, output
mode) row in the SCENARIOS list of its family's module in gen/scenarios/.
README.md (here) describes every capture.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from gen.driver import main  # noqa: E402

if __name__ == "__main__":
    main(__doc__.split("\n")[0])
