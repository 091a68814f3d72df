#!/usr/bin/env bash
# The Wireshark version matrix: builds the plugin and runs the whole ctest
# suite inside Debian chroots, one per Wireshark the users have, runs the
# fuzz harnesses against that version's libwireshark (the plugin's SIP
# framing against its sip.tcp), then builds that version's .deb and checks
# it installs with apt, loads, dissects a bundled capture and purges cleanly.
#
#     sudo bash scripts/matrix.sh [4.0] [4.4] [4.6]      (default: all three)
#
#   4.0  Debian 12 "bookworm" (libwireshark16)
#   4.4  Debian 13 "trixie"   (libwireshark18)
#   4.6  Debian sid           (libwireshark19)
#
# Needs root (debootstrap, chroot, mounts).  The chroots are kept under
# $TUME_MATRIX_CACHE (default /var/cache/tume-matrix), so later runs skip
# debootstrap and only bring the packages up to date.  The .debs are left
# in $TUME_MATRIX_OUT (default ./build-matrix).  The source copied into
# each chroot is the working tree as it is (uncommitted changes included).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cache=${TUME_MATRIX_CACHE:-/var/cache/tume-matrix}
outdir=${TUME_MATRIX_OUT:-$top/build-matrix}
mirror=${TUME_MATRIX_MIRROR:-http://deb.debian.org/debian}
export DEBIAN_FRONTEND=noninteractive

# What the suite needs inside each chroot (the same as scripts/deps.sh,
# plus dpkg-dev and file for the .deb's shared-library dependencies, and
# clang for the fuzz harnesses that check this version's SIP framing, and GNU
# parallel for the batch recipe).
PACKAGES="build-essential cmake pkg-config python3 tshark wireshark-common libwireshark-dev
libglib2.0-dev libjson-glib-dev libgnutls28-dev valgrind dpkg-dev file ca-certificates
clang libclang-rt-dev parallel"

if [ "$(id -u)" -ne 0 ]; then
    echo "matrix: needs root (debootstrap, chroot); run it with sudo" >&2
    exit 2
fi

suite_of() {
    case "$1" in
        4.0) echo bookworm ;;
        4.4) echo trixie ;;
        4.6) echo sid ;;
        *) echo "matrix: unknown Wireshark version $1 (4.0, 4.4 or 4.6)" >&2; return 1 ;;
    esac
}

apt_opts() {
    # sid's Release file in this archive is past its Valid-Until date
    [ "$1" = sid ] && echo "-o Acquire::Check-Valid-Until=false" || true
}

mounted=()
cleanup() {
    local m
    for m in "${mounted[@]}"; do
        umount -l "$m" 2>/dev/null || true
    done
}
trap cleanup EXIT

in_root() {   # in_root DIR COMMAND...: run a shell command in the chroot
    local dir=$1; shift
    chroot "$dir" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 \
        DEBIAN_FRONTEND=noninteractive /bin/sh -c "$*"
}

prepare() {   # prepare SUITE DIR
    local suite=$1 dir=$2 opts stamp want
    opts=$(apt_opts "$suite")
    if [ ! -x "$dir/usr/bin/apt-get" ]; then
        echo "== $suite: debootstrap into $dir"
        rm -rf "$dir"
        mkdir -p "$(dirname "$dir")"
        debootstrap --variant=minbase "$suite" "$dir" "$mirror" > "$dir.debootstrap.log" 2>&1 || {
            tail -20 "$dir.debootstrap.log" >&2; return 1; }
    fi
    mountpoint -q "$dir/proc" || { mount -t proc proc "$dir/proc"; mounted+=("$dir/proc"); }
    cp /etc/resolv.conf "$dir/etc/resolv.conf" 2>/dev/null || true
    # the package list, once per day or when it changed
    want=$(echo "$PACKAGES" | tr -s ' \n' ' ' | sha1sum | cut -c1-12)-$(date +%Y%m%d)
    stamp="$dir/var/lib/tume-matrix.stamp"
    if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
        echo "== $suite: apt-get install"
        # shellcheck disable=SC2086
        in_root "$dir" "apt-get $opts update -q && apt-get $opts install -y -q --no-install-recommends $(echo $PACKAGES)" \
            > "$dir.apt.log" 2>&1 || { tail -20 "$dir.apt.log" >&2; return 1; }
        echo "$want" > "$stamp"
    fi
    if ! in_root "$dir" "id -u nobody" >/dev/null 2>&1; then
        echo "matrix: no user nobody in $dir" >&2; return 1
    fi
}

# one version: build, ctest, .deb
run_version() {
    local ver=$1 suite dir src log ws deb
    suite=$(suite_of "$ver")
    dir="$cache/$suite"
    prepare "$suite" "$dir"
    ws=$(in_root "$dir" "pkg-config --modversion wireshark")
    case "$ws" in
        "$ver".*) ;;
        *) echo "matrix: $suite has Wireshark $ws, not $ver" >&2; return 1 ;;
    esac
    echo "== $suite: Wireshark $ws"
    src="$dir/root/tume"
    rm -rf "$src" "$dir/root/build" "$dir/root/build-fuzz"
    mkdir -p "$src"
    (cd "$top" && tar -c --exclude=./.git --exclude='./build*' --exclude='__pycache__' .) | tar -x -C "$src"
    log="$outdir/$ver.log"
    mkdir -p "$outdir"
    if ! in_root "$dir" "cd /root/tume && cmake -S . -B /root/build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTUME_WERROR=ON \
            && cmake --build /root/build -j$(nproc)" > "$log" 2>&1; then
        tail -30 "$log" >&2
        echo "matrix: $ver: build failed ($log)" >&2
        return 1
    fi
    local rc=0
    in_root "$dir" "cd /root/build && ctest -j$(nproc) --output-on-failure" >> "$log" 2>&1 || rc=$?
    grep -E "tests passed|tests failed" "$log" | tail -1 | sed "s/^/$ver: /"
    if [ "$rc" -ne 0 ]; then
        sed -n '/The following tests FAILED/,$p' "$log" >&2
        echo "matrix: $ver: ctest failed ($log)" >&2
        return 1
    fi
    # this version's sip.tcp against the plugin's framing, and the plugin
    # inside this version's epan (tests/HOSTILE.md)
    rc=0
    in_root "$dir" "cd /root/tume && bash tests/fuzz_budget.sh --seconds ${TUME_MATRIX_FUZZ_SECONDS:-30} \
        --build /root/build-fuzz fuzz_sip_diff fuzz_epan" >> "$log" 2>&1 || rc=$?
    grep -A3 '^harness' "$log" | tail -3 | sed "s/^/$ver: /"
    if [ "$rc" -ne 0 ]; then
        grep -E 'fuzz_sip_diff:|ERROR|SUMMARY' "$log" | head -5 >&2
        echo "matrix: $ver: the fuzz harnesses found something ($log)" >&2
        return 1
    fi
    # the package: build it, install it with apt, use it, purge it
    if ! in_root "$dir" "cd /root/build && cpack -G DEB" >> "$log" 2>&1; then
        tail -15 "$log" >&2
        echo "matrix: $ver: cpack failed ($log)" >&2
        return 1
    fi
    deb=$(cd "$dir/root/build" && ls wireshark-plugin-tume_*.deb)
    cp "$dir/root/build/$deb" "$outdir/"
    local plugdir
    plugdir=$(in_root "$dir" "pkg-config --variable=plugindir wireshark")/epan
    if ! in_root "$dir" "apt-get $(apt_opts "$suite") install -y -q /root/build/$deb" >> "$log" 2>&1; then
        tail -15 "$log" >&2
        echo "matrix: $ver: apt-get could not install $deb ($log)" >&2
        return 1
    fi
    in_root "$dir" "test -f $plugdir/tume.so" || { echo "matrix: $ver: $deb did not install $plugdir/tume.so" >&2; return 1; }
    in_root "$dir" "tshark -G plugins 2>/dev/null | grep -E '^tume\.so'" >> "$log" || {
        echo "matrix: $ver: tshark -G plugins does not list tume.so after installing $deb" >&2; return 1; }
    local msgs
    msgs=$(in_root "$dir" "tshark -r /root/tume/captures/tume-signalling-tls12.pcapng -Y tume.msg_type -T fields -e tume.msg_type 2>/dev/null | wc -l")
    if [ "$msgs" -lt 10 ]; then
        echo "matrix: $ver: the installed plugin typed only $msgs packets of the bundled capture" >&2; return 1
    fi
    in_root "$dir" "apt-get $(apt_opts "$suite") purge -y -q wireshark-plugin-tume" >> "$log" 2>&1
    if in_root "$dir" "test -e $plugdir/tume.so || dpkg -l wireshark-plugin-tume 2>/dev/null | grep -q '^[a-z]i'"; then
        echo "matrix: $ver: purge left the plugin behind" >&2; return 1
    fi
    echo "$ver: $deb installs into $plugdir, loads, typed $msgs packets of a bundled capture, purges cleanly"
}

versions=("$@")
[ ${#versions[@]} -gt 0 ] || versions=(4.0 4.4 4.6)
passed=0; failed=0
for v in "${versions[@]}"; do
    if run_version "$v"; then
        passed=$((passed + 1))
    else
        failed=$((failed + 1))
    fi
done
echo "matrix: Wireshark ${versions[*]}"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
