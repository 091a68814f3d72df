#!/bin/sh
# The plugin must export exactly Wireshark's plugin entry points.
set -eu
so=$1
got=$(nm -D --defined-only "$so" | awk '{print $3}' | sort | tr '\n' ' ')
want_40="plugin_register plugin_version plugin_want_major plugin_want_minor "
want_42="plugin_describe plugin_register plugin_version plugin_want_major plugin_want_minor "
if [ "$got" = "$want_40" ] || [ "$got" = "$want_42" ]; then
    echo "exports: $got"
    exit 0
fi
echo "unexpected exported symbols: $got" >&2
exit 1
