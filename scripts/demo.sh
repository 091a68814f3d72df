#!/usr/bin/env bash
# The main job on a fresh Debian 12: install what is missing, build, install
# the plugin for the invoking user, and show the TU Me analysis of a bundled
# capture.  Run as root or with sudo (needed only if packages are missing):
#     sudo bash scripts/demo.sh
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
. scripts/deps.sh

tume_install_deps

# Build and install as the user who asked (not root when run through sudo).
user=${SUDO_USER:-$(id -un)}
as_user() {
    if [ "$(id -un)" != "$user" ]; then sudo -u "$user" -H "$@"; else "$@"; fi
}

echo "== building"
as_user cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
as_user cmake --build build -j"$(nproc)"

ver=$(tume_ws_version)
if [ "$user" = root ]; then
    # tshark run as root ignores ~/.local/lib/wireshark/plugins and
    # WIRESHARK_PLUGIN_DIR: only the system plugin folder works for root.
    echo "== installing system-wide (the invoking user is root)"
    cmake --install build
else
    echo "== installing for $user"
    as_user cmake --build build --target install-user
    sysdir=$(pkg-config --variable=plugindir wireshark 2>/dev/null || true)
    if [ -n "$sysdir" ] && [ -e "$sysdir/epan/tume.so" ]; then
        echo "note: $sysdir/epan/tume.so also exists; Wireshark loads that system-wide copy" \
             "first and warns about the duplicate. Remove one of them." >&2
    fi
fi

cap=captures/tume-signalling-tls12.pcapng
echo
echo "== tshark -G plugins"
as_user tshark -G plugins 2>/dev/null | grep -E '^tume\.so' || { echo "error: tshark does not load tume.so (Wireshark $ver)" >&2; exit 1; }
echo
echo "== TU Me messages in $cap (keys embedded in the capture)"
as_user tshark -n -r "$cap" -2 -Y 'tume.msg_type' -o 'gui.column.format:"No.","%m","Source","%s","Destination","%d","Protocol","%p","Info","%i"' 2>/dev/null
echo
echo "== per packet: flow, evidence, message type, Call-ID"
as_user tshark -n -r "$cap" -2 -Y tume -T fields -E header=y \
    -e frame.number -e tcp.stream -e tume.flow -e tume.evidence -e tume.msg_type -e tume.sip.call_id 2>/dev/null
