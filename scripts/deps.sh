# scripts/deps.sh - sourced by demo.sh and test.sh: installs what is missing.
# Debian 12 (bookworm) package names; apt-get runs only when something is
# missing, as root directly or through sudo.

TUME_PACKAGES="build-essential cmake pkg-config python3 tshark wireshark-common
libwireshark-dev libglib2.0-dev libjson-glib-dev libgnutls28-dev valgrind"
# What the whole test command needs on top: clang and libFuzzer for the fuzz
# harnesses, debootstrap for the Wireshark version matrix, file and
# dpkg-dev for the .deb, Xvfb and the Qt GUI for the GUI smoke test (with
# x11-apps and netpbm for its screenshot), GNU parallel for the batch recipe,
# cppcheck, clang-tools-14 (clang-check) and licensecheck for Wireshark's
# checkers (dpkg-dev's dpkg-source unpacks Wireshark's source for them).
TUME_TEST_PACKAGES="clang libclang-rt-dev debootstrap dpkg-dev file xvfb wireshark-qt x11-apps netpbm parallel
cppcheck clang-tools-14 licensecheck"

tume_install_deps() {   # tume_install_deps [EXTRA PACKAGES...]
    local missing="" p
    for p in $TUME_PACKAGES "$@"; do
        if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
            missing="$missing $p"
        fi
    done
    if [ -z "$missing" ]; then
        echo "== dependencies: all installed"
        return 0
    fi
    echo "== installing:$missing"
    local SUDO=""
    if [ "$(id -u)" -ne 0 ]; then
        if command -v sudo >/dev/null 2>&1; then
            SUDO="sudo"
        else
            echo "error: missing packages ($missing) and not root; run as root or install sudo" >&2
            return 1
        fi
    fi
    # wireshark-common asks whether non-root users may capture: keep the default (no).
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -q || return 1
    # shellcheck disable=SC2086
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $missing || return 1
}

# Wireshark major.minor the plugin is built for, e.g. 4.0
tume_ws_version() {
    pkg-config --modversion wireshark 2>/dev/null | sed -E 's/^([0-9]+\.[0-9]+).*/\1/'
}
