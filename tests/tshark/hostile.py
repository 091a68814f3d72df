"""Hostile input: captures and preferences made to break the plugin
(truncated or oversized messages, absurd lengths, deep nesting, bad
certificates, ...).  The plugin must neither crash nor leak, and must say
tume.malformed where a TU Me message cannot be read.

No case yet.  A case is a function case_<name>(env) here; env.run() and
env.fields() run tshark (see common.py), and check()/check_eq() raise
Failure.
"""
