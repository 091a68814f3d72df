"""The tshark test cases of the TU Me plugin, by area.

tests/tshark_tests.py is the runner: it imports every module of this
package except common, and each function named case_<name>(env) there is
the test case <name> (the ctest test tshark.<name>).  Case names are unique
across modules.

    common.py          Env (runs tshark with or without the plugin), Failure,
                       check/check_eq, field helpers, assert_* helpers, and
                       the expectations several areas share
    signalling.py      TU Me SIP over TLS: message lists, tume on every
                       payload packet, one pass vs -2, Wireshark's SIP/SDP/RTP
    certificate.py     certificate and SNI evidence, flows without keys,
                       key log file and RSA key, certificate anomalies
    provisioning.py    the provisioning API (HTTPS JSON): types, fields,
                       sensitive content, the message table (UAT)
    negatives.py       what is not TU Me stays as stock tshark dissects it
    output_formats.py  -T fields / json / ek and -z expert agree
    plugin.py          registration, preferences, heuristic switches,
                       valgrind, all captures merged into one
    hostile.py         hostile input: the regression captures of issue 7
                       (captures X1-X11), CPU time against stock, SIP
                       messages against stock as on port 5061

Adding a case: write case_<name>(env) in the module of its area (a new
module is picked up by itself); the next `cmake --build` re-lists the
cases for ctest.
"""
