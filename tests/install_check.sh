#!/usr/bin/env bash
# Checks what README.md ("Two commands") says about where scripts/demo.sh
# puts the plugin and the "TU Me" profile, for root and for a normal user.
#
#   tests/install_check.sh [--root-demo-ran]
#
# --root-demo-ran (CI runs the README's first command as root before the
# test command, as a newcomer does): the plugin is in the system plugin
# folder, the same file as the demo's build (build/), and root's tshark
# loads it from there; the profile is among Wireshark's global profiles and
# the message table is Wireshark's global copy.
#
# Always: scripts/demo.sh run as a normal user (as root: the user "nobody",
# through setpriv) with a private HOME on a private copy of this checkout
# puts the plugin in ~/.local/lib/wireshark/plugins/<major.minor>/epan and
# the profile in ~/.config/wireshark/profiles/TU Me, and that user's tshark
# loads the plugin and opens the profile; when a system-wide copy exists too,
# the demo says so.
#
# Closes with "N passed, M failed".
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
root_demo=0
[ "${1:-}" = "--root-demo-ran" ] && root_demo=1

passed=0 failed=0
ok()   { echo "PASS $*"; passed=$((passed + 1)); }
fail() { echo "FAIL $*"; failed=$((failed + 1)); }
expect() {   # expect DESCRIPTION COMMAND...
    local what=$1; shift
    if "$@" >/dev/null 2>&1; then ok "$what"; else fail "$what"; fi
}

ver=$(pkg-config --modversion wireshark 2>/dev/null | sed -E 's/^([0-9]+\.[0-9]+).*/\1/')
sysplugins=$(pkg-config --variable=plugindir wireshark 2>/dev/null)
[ -n "$ver" ] && [ -n "$sysplugins" ] || { echo "install_check: wireshark.pc not found" >&2; echo "0 passed, 1 failed"; exit 1; }
datadir=$(env -i PATH="$PATH" tshark -G folders 2>/dev/null | sed -n 's/^Global configuration:[[:space:]]*//p')
profile_files="preferences recent colorfilters dfilter_buttons dfilters tume_api_messages"

# ---------------------------------------------------------------- root
if [ "$root_demo" -eq 1 ]; then
    if [ "$(id -u)" -ne 0 ]; then
        fail "root demo: --root-demo-ran given, but this is not root"
    else
        so="$sysplugins/epan/tume.so"
        expect "root demo: the plugin is in the system plugin folder ($so)" test -f "$so"
        expect "root demo: it is the demo's build" cmp "$so" "$top/build/plugins/$ver/epan/tume.so"
        line=$(tshark -G plugins 2>/dev/null | grep -E '^tume\.so' || true)
        case "$line" in
            *"$so"*) ok "root demo: root's tshark loads it from there" ;;
            *) fail "root demo: root's tshark loads it from there (tshark -G plugins: '$line')" ;;
        esac
        for f in $profile_files; do
            expect "root demo: global profile has $f ($datadir/profiles/TU Me)" test -f "$datadir/profiles/TU Me/$f"
        done
        expect "root demo: the TU Me rules are in the global profile's colorfilters" \
            grep -q '^@TU Me flow (other packets)@' "$datadir/profiles/TU Me/colorfilters"
        expect "root demo: the message table is Wireshark's global copy" \
            cmp "$datadir/tume_api_messages" "$top/profile/TU Me/tume_api_messages"
        out=$(tshark -C "TU Me" -n -r "$top/captures/tume-api-keepalive.pcapng" -Y tume.msg_type 2>/dev/null | head -1)
        case "$out" in
            *register*) ok "root demo: root's tshark opens the TU Me profile (-C \"TU Me\")" ;;
            *) fail "root demo: root's tshark opens the TU Me profile (-C \"TU Me\"): '$out'" ;;
        esac
    fi
fi

# ---------------------------------------------------------------- normal user
work=$(mktemp -d /tmp/tume-install-XXXXXX)
trap 'rm -rf "$work"' EXIT
chmod 755 "$work"
mkdir -p "$work/home" "$work/src"
# a private copy of the checkout, without build trees
tar -C "$top" --exclude='./build*' --exclude='./.git' -cf - . | tar -C "$work/src" -xf -
as_user=()
user=$(id -un)
if [ "$(id -u)" -eq 0 ]; then
    user=nobody
    chown -R nobody:nogroup "$work/home" "$work/src"
    as_user=(setpriv --reuid=nobody --regid=nogroup --clear-groups)
fi
run_user() {   # a normal user's shell: their HOME, nothing inherited from root or sudo
    "${as_user[@]}" env -i PATH=/usr/local/bin:/usr/bin:/bin HOME="$work/home" LANG=C.UTF-8 "$@"
}
echo "== scripts/demo.sh as $user (HOME=$work/home)"
if (cd "$work/src" && run_user bash scripts/demo.sh) >"$work/demo.log" 2>&1; then
    ok "user demo: scripts/demo.sh as $user exits 0"
else
    fail "user demo: scripts/demo.sh as $user exits 0"
    tail -30 "$work/demo.log" | sed 's/^/  /'
fi
so="$work/home/.local/lib/wireshark/plugins/$ver/epan/tume.so"
expect "user demo: the plugin is in ~/.local/lib/wireshark/plugins/$ver/epan" test -f "$so"
expect "user demo: it is the demo's build" cmp "$so" "$work/src/build/plugins/$ver/epan/tume.so"
for f in $profile_files; do
    expect "user demo: ~/.config/wireshark/profiles/TU Me has $f" test -f "$work/home/.config/wireshark/profiles/TU Me/$f"
done
line=$(cd "$work" && run_user tshark -G plugins 2>/dev/null | grep -E '^tume\.so' || true)
if [ -f "$sysplugins/epan/tume.so" ]; then
    # both copies: Wireshark loads the system-wide one and warns; the demo says so
    expect "user demo: with a system-wide copy too, the demo says so" grep -q "also exists" "$work/demo.log"
    case "$line" in
        *"$sysplugins/epan/tume.so"*) ok "user demo: the user's tshark loads tume.so (the system-wide copy, as the README says)" ;;
        *) fail "user demo: the user's tshark loads tume.so (tshark -G plugins: '$line')" ;;
    esac
else
    case "$line" in
        *"$so"*) ok "user demo: the user's tshark loads the personal copy" ;;
        *) fail "user demo: the user's tshark loads the personal copy (tshark -G plugins: '$line')" ;;
    esac
fi
cols=$(cd "$work" && run_user tshark -C "TU Me" -n -r "$work/src/captures/tume-api-keepalive.pcapng" \
       -Y tume.msg_type -T psml 2>/dev/null | grep -c '<section>TU Me type</section>' || true)
if [ "$cols" = 1 ]; then ok "user demo: the user's tshark opens the TU Me profile (its TU Me type column)"
else fail "user demo: the user's tshark opens the TU Me profile (its TU Me type column)"; fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
