#!/usr/bin/env bash
# Runs the libFuzzer harnesses for a budget and reports what they did.
#
#   tests/fuzz_budget.sh [--seconds S | --runs N] [--chunk N] [--build DIR] [--out DIR] [HARNESS...]
#
# HARNESS: fuzz_pure, fuzz_epan, fuzz_sip_diff (default: all three).
# --seconds S   each harness runs S seconds (CI: 60)
# --runs N      each harness runs N executions (the long budget: 10000000),
#               in processes of at most --chunk executions (default 2000000):
#               libwireshark's file scope grows with every input, so long
#               runs restart the process; the corpus carries over.
# --build DIR   where the clang build is (configured and built if needed)
# --out DIR     corpora, logs and crash inputs (default DIR/fuzz-out)
#
# Prints one line per harness (executions, seconds, exec/s, coverage,
# features, corpus, peak RSS, findings) and a closing "N passed, M failed"
# line; exits non-zero if any harness found something (a crash, a sanitizer
# report, a framing disagreement, a timeout or an out-of-memory).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)

seconds=""; runs=""; chunk=2000000; build="$top/build-fuzz"; out=""
harnesses=()
while [ $# -gt 0 ]; do
    case "$1" in
        --seconds) seconds=$2; shift 2 ;;
        --runs) runs=$2; shift 2 ;;
        --chunk) chunk=$2; shift 2 ;;
        --build) build=$2; shift 2 ;;
        --out) out=$2; shift 2 ;;
        -h|--help) sed -n '2,19p' "$0"; exit 0 ;;
        *) harnesses+=("$1"); shift ;;
    esac
done
[ -n "$seconds" ] || [ -n "$runs" ] || seconds=60
mkdir -p "$build"
build=$(cd "$build" && pwd)       # the harnesses run from their work folders
[ ${#harnesses[@]} -gt 0 ] || harnesses=(fuzz_pure fuzz_epan fuzz_sip_diff)
out=${out:-$build/fuzz-out}
mkdir -p "$out"
out=$(cd "$out" && pwd)

if [ ! -x "$build/tests/fuzz_epan" ] || [ ! -x "$build/tests/fuzz_pure" ] || [ ! -x "$build/tests/fuzz_sip_diff" ]; then
    cmake -S "$top" -B "$build" -DTUME_FUZZ=ON -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
fi
cmake --build "$build" -j"$(nproc)" --target fuzz_pure fuzz_epan fuzz_sip_diff >/dev/null

seeds_of() {
    case "$1" in
        fuzz_pure) echo "$top/tests/fuzz_corpus/pure" ;;
        fuzz_epan) echo "$top/tests/fuzz_corpus/epan" ;;
        fuzz_sip_diff) echo "$top/tests/fuzz_corpus/sip_diff" ;;
    esac
}

passed=0; failed=0
printf '%-14s %12s %8s %8s %6s %7s %7s %9s %s\n' harness execs seconds exec/s cov ft corpus peak_rss findings
for h in "${harnesses[@]}"; do
    work="$out/$h"
    mkdir -p "$work/corpus" "$work/artifacts"
    log="$work/log"
    : > "$log"
    start=$(date +%s)
    total=0; left=${runs:-0}
    while :; do
        if [ -n "$runs" ]; then
            n=$(( left < chunk ? left : chunk ))
            [ "$n" -gt 0 ] || break
            budget=(-runs="$n")
        else
            budget=(-max_total_time="$seconds")
        fi
        rc=0
        # -max_len bounds the records of one input; -timeout: a hang is a finding
        (cd "$work" && "$build/tests/$h" "${budget[@]}" -max_len=4096 -timeout=25 -rss_limit_mb=6144 \
            -print_final_stats=1 -artifact_prefix="$work/artifacts/" \
            corpus "$(seeds_of "$h")") >> "$log" 2>&1 || rc=$?
        done_runs=$(grep -oE '^Done [0-9]+ runs' "$log" | tail -1 | grep -oE '[0-9]+' || echo 0)
        total=$(( total + done_runs ))
        [ "$rc" -eq 0 ] || break
        [ -n "$runs" ] || break
        left=$(( left - done_runs ))
        [ "$done_runs" -gt 0 ] || break
    done
    secs=$(( $(date +%s) - start ))
    cov=$(grep -oE 'cov: [0-9]+' "$log" | tail -1 | grep -oE '[0-9]+' || echo 0)
    ft=$(grep -oE 'ft: [0-9]+' "$log" | tail -1 | grep -oE '[0-9]+' || echo 0)
    corpus=$(find "$work/corpus" -type f | wc -l)
    rss=$(grep -oE 'peak_rss_mb: *[0-9]+' "$log" | grep -oE '[0-9]+$' | sort -n | tail -1 || echo 0)
    findings=$(find "$work/artifacts" -type f | wc -l)
    printf '%-14s %12s %8s %8s %6s %7s %7s %8sM %s\n' "$h" "$total" "$secs" "$(( total / (secs > 0 ? secs : 1) ))" \
        "$cov" "$ft" "$corpus" "${rss:-0}" "$findings"
    if [ "$findings" -eq 0 ] && [ "$rc" -eq 0 ]; then
        passed=$((passed + 1))
    else
        failed=$((failed + 1))
        echo "  $h: rc=$rc; findings in $work/artifacts; log $log" >&2
        grep -E 'ERROR|SUMMARY|fuzz_sip_diff:|runtime error' "$log" | head -5 >&2 || true
    fi
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
