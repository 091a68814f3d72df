"""The capture scenarios, one module per family of captures.

    signalling.py    A, B, G, J, K: TU Me signalling (SIP over TLS)
    negatives.py     C, D, E, F: traffic that is not TU Me
    provisioning.py  H, L, M, N, O: the TU Me provisioning API (HTTPS JSON)
    hostile.py       X1-X11: hostile input, the regression captures of issue 7

(captures/README.md describes every capture by its letter.)

Each module holds the scenario functions of its captures and a list

    SCENARIOS = [(capture name, function, output mode), ...]

function(keylog) makes the traffic while dumpcap captures (the driver starts
and stops it); TLS clients write their NSS key log to the path keylog.  The
output mode says which files the driver writes (below).  A module may also
define RSA_KEYS ({capture name: pki leaf}, for TLS_RSA captures: the key
that decrypts it in the summary) and HTTP_SUMMARY (capture names whose
summary also counts HTTP requests/responses and TCP streams).

Adding a capture: one scenario function and one SCENARIOS row in the module
of its family (a new module also goes into FAMILIES in ../driver.py).
"""

# output modes
TLS_KEYS = True     # <name>.pcapng with DSB, <name>-nokeys.pcapng, <name>.keys
NO_TLS = False      # <name>.pcapng only
TLS_RSA = "rsa"     # <name>.pcapng only, no secrets: decrypt with the server's RSA key
