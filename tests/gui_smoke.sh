#!/usr/bin/env bash
# The real Wireshark GUI (Qt) with the plugin and the "TU Me" profile, under
# Xvfb, on a capture merged from the bundled ones, as a new analyst would
# open it:
#
#   tests/gui_smoke.sh PLUGIN WS_VERSION CAPTURES_DIR [SCREENSHOT.png]
#
# Passes when Wireshark, started with -C "TU Me", -Y tume.msg_type,
# -z tume,flows (an option only the plugin registers: Wireshark refuses it
# and exits when the plugin is not loaded) and -z tume,flowtable (opens
# Statistics > TU Me Flows), is still running after the file loaded, shows
# the TU Me Flows window, and wrote nothing about the plugin, a dissector
# bug or a crash to stderr.  The same start without the plugin must fail, so the check can
# fail.  With SCREENSHOT, the screen is saved (xwd + netpbm) before quitting.
# As root, Wireshark runs as "nobody" (root ignores personal plugin folders).
set -euo pipefail
plugin=$1 ver=$2 caps=$3 shot=${4:-}
top=$(cd "$(dirname "$0")/.." && pwd)
for t in Xvfb wireshark mergecap cmake; do
    command -v "$t" >/dev/null || { echo "gui_smoke: $t not found" >&2; exit 2; }
done

root=$(mktemp -d /tmp/tume-gui-XXXXXX)
xpid="" wpid=""
cleanup() {
    [ -n "$wpid" ] && kill "$wpid" 2>/dev/null || true
    [ -n "$xpid" ] && kill "$xpid" 2>/dev/null || true
    rm -rf "$root"
}
trap cleanup EXIT
chmod 755 "$root"
mkdir -p "$root/plugins/$ver/epan" "$root/empty/$ver/epan" "$root/home/.config/wireshark" "$root/run"
cp "$plugin" "$root/plugins/$ver/epan/tume.so"
# Wireshark's data folder without what the plugin installs there: a
# system-wide install (global profile and table) does not reach the test
python3 "$top/tests/make_data_dir.py" "$root/data" >/dev/null
cmake "-DSRC=$top/profile/TU Me" "-DDEST=$root/home/.config/wireshark/profiles/TU Me" \
      "-DDEFAULT_COLORFILTERS=$root/data/colorfilters" -P "$top/cmake/install-profile.cmake" >/dev/null
# a big main window, so that the columns show
cat > "$root/home/.config/wireshark/recent_common" <<'EOF'
gui.geometry_main_x: 0
gui.geometry_main_y: 0
gui.geometry_main_width: 1600
gui.geometry_main_height: 1000
gui.geometry_main_maximized: FALSE
EOF
# signalling and provisioning in one file, one key log
cat "$caps/tume-signalling-tls12.keys" "$caps/tume-api-keepalive.keys" > "$root/mixed.keys"
mergecap -a -w "$root/mixed.pcapng" "$caps/tume-api-keepalive-nokeys.pcapng" "$caps/tume-signalling-tls12-nokeys.pcapng"
chmod -R a+rX "$root"

as_user=()
if [ "$(id -u)" -eq 0 ]; then
    as_user=(setpriv --reuid=nobody --regid=nogroup --clear-groups)
    chown -R nobody:nogroup "$root/home" "$root/run"
fi
chmod 700 "$root/run"

# Xvfb picks a free display and writes its number to fd 3
Xvfb -displayfd 3 -screen 0 1600x1000x24 -nolisten tcp 3>"$root/display" 2>"$root/xvfb.log" &
xpid=$!
for _ in $(seq 50); do [ -s "$root/display" ] && break; sleep 0.1; done
[ -s "$root/display" ] || { echo "gui_smoke: Xvfb did not start" >&2; cat "$root/xvfb.log" >&2; exit 1; }
display=":$(head -1 "$root/display")"

run_wireshark() {   # run_wireshark PLUGIN_DIR OUT ERR
    "${as_user[@]}" env -i PATH="$PATH" HOME="$root/home" DISPLAY="$display" LANG=C.UTF-8 \
        XDG_RUNTIME_DIR="$root/run" WIRESHARK_PLUGIN_DIR="$1" WIRESHARK_DATA_DIR="$root/data" \
        wireshark -C "TU Me" -r "$root/mixed.pcapng" -o "tls.keylog_file:$root/mixed.keys" \
        -Y tume.msg_type -z tume,flows -z tume,flowtable >"$2" 2>"$3" &
    wpid=$!
}

# without the plugin: Wireshark refuses -z tume,flows and exits
run_wireshark "$root/empty" "$root/stock.out" "$root/stock.err"
for _ in $(seq 150); do kill -0 "$wpid" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$wpid" 2>/dev/null; then
    echo "gui_smoke: FAIL: without the plugin Wireshark accepted -z tume,flows; the check proves nothing" >&2
    exit 1
fi
wait "$wpid" || true
wpid=""

# with the plugin
run_wireshark "$root/plugins" "$root/gui.out" "$root/gui.err"
sleep "${TUME_GUI_WAIT:-12}"
if ! kill -0 "$wpid" 2>/dev/null; then
    rc=0; wait "$wpid" || rc=$?; wpid=""
    echo "gui_smoke: FAIL: Wireshark exited (status $rc) with the plugin loaded" >&2
    cat "$root/gui.err" >&2
    exit 1
fi
# -z tume,flowtable opened Statistics > TU Me Flows over the main window
# (its rows are checked by tshark.stats_flowtable; the screenshot shows them)
xwininfo -root -tree -display "$display" > "$root/windows" 2>&1 || true
echo "gui_smoke: windows:"; grep -o '"[^"]*"' "$root/windows" | sort -u | sed 's/^/  /'
if ! grep -q '"Wireshark · TU Me Flows · mixed.pcapng"' "$root/windows"; then
    echo "gui_smoke: FAIL: no window \"Wireshark · TU Me Flows · mixed.pcapng\" (Statistics > TU Me Flows)" >&2
    exit 1
fi
if [ -n "$shot" ]; then
    xwd -root -display "$display" -silent | xwdtopnm 2>/dev/null | pnmtopng > "$shot"
    echo "gui_smoke: screenshot $shot"
fi
kill -TERM "$wpid" 2>/dev/null || true
for _ in $(seq 100); do kill -0 "$wpid" 2>/dev/null || break; sleep 0.1; done
kill -KILL "$wpid" 2>/dev/null || true
wait "$wpid" 2>/dev/null || true
wpid=""

# stderr: nothing about the plugin, a dissector bug or a crash (Qt's and
# the sandbox's own notes are left out)
bad=$(grep -iE 'tume|plugin|dissector bug|critical|segmentation|assert|abort' "$root/gui.err" || true)
echo "gui_smoke: Wireshark's stderr:"
sed 's/^/  /' "$root/gui.err"
if [ -n "$bad" ]; then
    echo "gui_smoke: FAIL: stderr mentions the plugin or an error:" >&2
    echo "$bad" >&2
    exit 1
fi
echo "gui_smoke: PASS (Wireshark $ver, display $display, profile TU Me, plugin loaded: -z tume,flows accepted)"
