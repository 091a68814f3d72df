#!/usr/bin/env bash
# scripts/ws_tools.sh DIR - puts the Wireshark source package that matches
# the installed libwireshark-dev in DIR/wireshark (its tools/ holds the
# checkers tests/wireshark_checks.py runs), unless it is there already.
#
# Debian's archive serves the source; apt-get source reads its Sources
# index from a private list and state folder under DIR, so the machine's
# own apt configuration (which usually has no deb-src line) is not changed.
# Needs dpkg-dev (dpkg-source) and network access to the archive.
set -euo pipefail
dir=${1:?usage: ws_tools.sh DIR}
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)

version=$(dpkg-query -W -f='${source:Version}' libwireshark-dev 2>/dev/null || true)
if [ -z "$version" ]; then
    echo "ws_tools.sh: libwireshark-dev is not installed" >&2
    exit 2
fi
if [ -f "$dir/wireshark/tools/checkAPIs.pl" ] && [ "$(cat "$dir/wireshark/.tume-version" 2>/dev/null)" = "$version" ]; then
    echo "== Wireshark $version source: already in $dir/wireshark"
    exit 0
fi

# the deb lines of the machine's sources, as deb-src lines
mkdir -p "$dir/apt/lists/partial" "$dir/apt/parts"
list="$dir/apt/sources.list"
: > "$list"
if [ -f /etc/apt/sources.list ]; then
    sed -nE 's/^[[:space:]]*deb[[:space:]]+/deb-src /p' /etc/apt/sources.list >> "$list"
fi
for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    sed -E 's/^Types:.*/Types: deb-src/' "$f" > "$dir/apt/parts/$(basename "$f")"
done
for f in /etc/apt/sources.list.d/*.list; do
    [ -f "$f" ] || continue
    sed -nE 's/^[[:space:]]*deb[[:space:]]+/deb-src /p' "$f" >> "$list"
done
opts=(-o "Dir::Etc::SourceList=$list" -o "Dir::Etc::SourceParts=$dir/apt/parts"
      -o "Dir::State::Lists=$dir/apt/lists" -o "Dir::Cache=$dir/apt/cache"
      -o Debug::NoLocking=1 -o APT::Sandbox::User=root)
mkdir -p "$dir/apt/cache/archives/partial"
echo "== Wireshark $version source: apt-get source (private Sources index in $dir/apt)"
apt-get "${opts[@]}" update -q >/dev/null
rm -rf "$dir/src" && mkdir -p "$dir/src"
(cd "$dir/src" && apt-get "${opts[@]}" source -q "wireshark=$version" >/dev/null)
src=$(find "$dir/src" -mindepth 1 -maxdepth 1 -type d -name 'wireshark-*' | head -1)
if [ -z "$src" ] || [ ! -f "$src/tools/checkAPIs.pl" ]; then
    echo "ws_tools.sh: no tools/checkAPIs.pl in the source of wireshark $version" >&2
    exit 1
fi
rm -rf "$dir/wireshark"
mv "$src" "$dir/wireshark"
rm -rf "$dir/src"
echo "$version" > "$dir/wireshark/.tume-version"
echo "== Wireshark $version source: $dir/wireshark"
