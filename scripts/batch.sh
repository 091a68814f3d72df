#!/usr/bin/env bash
# TU Me analysis of many captures at once, with GNU parallel:
#
#   scripts/batch.sh [-j N] [--sshlogin LOGIN]... [--keylog FILE] [--tshark PATH] OUTDIR CAPTURE...
#
# For each CAPTURE (two passes, so every packet has its flow's final facts):
#   OUTDIR/<name>.tsv        -T fields, one row per TU Me packet (header row first)
#   OUTDIR/<name>.ek.ndjson  -T ek: Elasticsearch/OpenSearch bulk lines (frame + tume layers)
#   OUTDIR/<name>.err        tshark's stderr
# and once:
#   OUTDIR/mapping.json      the index mapping: `tshark -G elastic-mapping
#                            --elastic-mapping-filter tume`, with the tume string
#                            fields added as "keyword" (tshark maps only numbers,
#                            booleans and dates, and its mapping is not dynamic)
#   OUTDIR/joblog.tsv        GNU parallel's job log (exit status per capture)
#   OUTDIR/failed.txt        the captures whose tshark failed, one per line
#
# -j N            jobs at a time per machine (default: one per core)
# --sshlogin L    also run on other machines (GNU parallel's --sshlogin, may
#                 repeat; ":" is this machine, "4/user@host" four jobs there).
#                 Captures are copied there and the outputs back; each machine
#                 needs tshark and the plugin installed (scripts/demo.sh).
# --keylog FILE   a TLS key log for every capture (at the same path on every
#                 machine); captures with embedded secrets need none
# --tshark PATH   the tshark to run (default: tshark)
#
# One bad capture does not stop the batch: every capture is tried, the
# failures are listed at the end and in failed.txt, and the exit status is
# 0 only if every capture was read.
set -euo pipefail

jobs="" keylog="" tshark=tshark
ssh=()
while [ $# -gt 0 ]; do
    case "$1" in
        -j) jobs=$2; shift 2 ;;
        --sshlogin) ssh+=(--sshlogin "$2"); shift 2 ;;
        --keylog) keylog=$2; shift 2 ;;
        --tshark) tshark=$2; shift 2 ;;
        -h|--help) sed -n '2,31p' "$0"; exit 0 ;;
        --) shift; break ;;
        -*) echo "batch.sh: unknown option $1" >&2; exit 2 ;;
        *) break ;;
    esac
done
[ $# -ge 2 ] || { sed -n '2,4p' "$0" >&2; exit 2; }
command -v parallel >/dev/null || { echo "batch.sh: GNU parallel is not installed (apt-get install parallel)" >&2; exit 2; }
out=$1; shift
mkdir -p "$out"
out=$(cd "$out" && pwd)

# the mapping, with keyword types for the plugin's string fields
"$tshark" -G elastic-mapping --elastic-mapping-filter tume > "$out/mapping.json.tmp"
"$tshark" -G fields | awk -F'\t' '$1 == "F" && $3 ~ /^tume\./ && $4 == "FT_STRING" { print $3 }' \
    > "$out/string-fields.tmp"
python3 - "$out/mapping.json.tmp" "$out/string-fields.tmp" > "$out/mapping.json" <<'EOF'
import json, sys
m = json.load(open(sys.argv[1]))
props = m["mappings"]["properties"]["layers"].setdefault("properties", {}) \
    .setdefault("tume", {}).setdefault("properties", {})
for f in open(sys.argv[2]).read().split():
    props.setdefault("tume_" + f.replace(".", "_"), {"type": "keyword"})
json.dump(m, sys.stdout, indent=2, sort_keys=True)
print()
EOF
rm -f "$out/mapping.json.tmp" "$out/string-fields.tmp"

# absolute paths, so that jobs can run from OUTDIR
caps=()
for c in "$@"; do
    case "$c" in /*) caps+=("$c") ;; *) caps+=("$PWD/$c") ;; esac
done

ko=""
[ -z "$keylog" ] || ko="-o tls.keylog_file:$(printf %q "$keylog")"
fields="-e frame.number -e frame.time_epoch -e ip.src -e tcp.srcport -e ip.dst -e tcp.dstport -e tcp.stream"
fields="$fields -e tume.flow -e tume.evidence -e tume.msg_type -e tume.sip.call_id -e tume.sni"
fields="$fields -e tume.cert.issuer -e tume.decrypted -e tume.api.msisdn"
ts=$(printf %q "$tshark")
# one job: both outputs of one capture, named after it, in the job's folder
job="$ts -n -2 -r {} $ko -Y tume -T fields -E header=y -E separator=/t -E occurrence=a -E aggregator=, $fields"
job="$job > {/.}.tsv 2> {/.}.err && $ts -n -2 -r {} $ko -Y tume -T ek -J 'frame tume' > {/.}.ek.ndjson 2>> {/.}.err"

popts=(--will-cite --halt never --joblog "$out/joblog.tsv" --wd "$out")
[ -z "$jobs" ] || popts+=(-j "$jobs")
if [ ${#ssh[@]} -gt 0 ]; then
    popts+=("${ssh[@]}" --transferfile {} --return {/.}.tsv --return {/.}.ek.ndjson --return {/.}.err --cleanup)
fi
rc=0
parallel "${popts[@]}" "$job" ::: "${caps[@]}" || rc=$?

# the job log: column 1 is the job's number (its capture's place in the
# list), 7 the exit status, 8 the signal
: > "$out/failed.txt"
total=0 failed=0
while IFS=$'\t' read -r seq _ _ _ _ _ exitval signal _; do
    total=$((total + 1))
    if [ "$exitval" != 0 ] || [ "$signal" != 0 ]; then
        failed=$((failed + 1))
        cap=${caps[$((seq - 1))]}
        printf '%s\n' "$cap" >> "$out/failed.txt"
        echo "batch.sh: failed (exit $exitval, signal $signal): $cap: $(head -c 300 "$out/$(basename "${cap%.*}").err" 2>/dev/null | tr '\n' ' ')" >&2
    fi
done < <(tail -n +2 "$out/joblog.tsv")
echo "batch.sh: $total captures, $((total - failed)) read, $failed failed; outputs in $out"
[ "$failed" -eq 0 ] && [ "$rc" -eq 0 ]
