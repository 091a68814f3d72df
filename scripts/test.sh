#!/usr/bin/env bash
# The whole test suite: install what is missing, build with warnings as
# errors, then
#   0. where scripts/demo.sh installs the plugin and the profile, as the
#      README says: for a normal user (the demo run as "nobody" with a
#      private HOME), and for root when TUME_ROOT_DEMO_RAN=1 says that the
#      demo ran as root first (CI: .ci/run) (tests/install_check.sh);
#   1. every unit and tshark test through ctest (Wireshark of this machine);
#   2. Wireshark's own checkers (checkAPIs, checkhf, checkfiltername,
#      check_typed_item_calls, check_tfs, check_static, check_spelling where
#      pyspellchecker is installed, cppcheck with Wireshark's suppressions,
#      clang-check, licensecheck) on the plugin's sources, from tools/ of
#      the source package of the installed Wireshark (scripts/ws_tools.sh
#      fetches it from Debian's archive), findings explained in
#      tests/wireshark_checks.allow (tests/wireshark_checks.py);
#   3. hostile input, the CI budget: the three libFuzzer harnesses for 60 s
#      each, and 200 mutated captures through tshark with the plugin built
#      with ASan and UBSan (tests/HOSTILE.md has the long budget);
#   4. the Wireshark version matrix: the whole ctest suite and the .deb in
#      Debian chroots with Wireshark 4.0, 4.4 and 4.6 (scripts/matrix.sh;
#      needs root).
#     sudo bash scripts/test.sh      (CI: bash .ci/run, as root)
# TUME_TEST_STAGES (default "install ctest checks hostile matrix") picks stages.
# What is installed on the machine (a system-wide tume.so, the global
# profile and message table) does not change what the tests see: they run
# tshark and Wireshark with private plugin and data folders.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
. scripts/deps.sh

stages=${TUME_TEST_STAGES:-install ctest checks hostile matrix}
tume_install_deps $TUME_TEST_PACKAGES
build=${TUME_BUILD_DIR:-build-test}
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTUME_WERROR=ON -DCMAKE_EXPORT_COMPILE_COMMANDS=ON
cmake --build "$build" -j"$(nproc)"

results=()
total_passed=0; total_failed=0
logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT
run_stage() {   # run_stage NAME COMMAND...: runs it, adds its own counts up
    local name=$1 log st=0 p f
    shift
    log="$logs/$name"
    echo
    echo "=================== $name"
    set +e
    "$@" 2>&1 | tee "$log"
    st=${PIPESTATUS[0]}
    set -e
    # ctest's closing line: "...% tests passed, F tests failed out of N";
    # the other stages close with "P passed, F failed"
    local c
    if [ "$name" = ctest ]; then
        c=$(grep -oE '[0-9]+ tests failed out of [0-9]+' "$log" | tail -1 | grep -oE '[0-9]+' | tr '\n' ' ' || true)
        if [ -n "$c" ]; then set -- $c; f=$1; p=$(($2 - $1)); else p=0; f=1; fi
    else
        c=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$log" | tail -1 | grep -oE '[0-9]+' | tr '\n' ' ' || true)
        if [ -n "$c" ]; then set -- $c; p=$1; f=$2; else p=0; f=1; fi
    fi
    [ "$st" -eq 0 ] || [ "$f" -gt 0 ] || f=1
    total_passed=$((total_passed + p)); total_failed=$((total_failed + f))
    if [ "$st" -eq 0 ]; then results+=("$name: passed ($p passed, $f failed)"); return 0; fi
    results+=("$name: FAILED ($p passed, $f failed)"); return 1
}

rc=0
for s in $stages; do
    case "$s" in
        install)
            run_stage install bash tests/install_check.sh ${TUME_ROOT_DEMO_RAN:+--root-demo-ran} || rc=1 ;;
        ctest)
            run_stage ctest bash -c "cd '$build' && ctest -j$(nproc) --output-on-failure" || rc=1 ;;
        checks)
            # Wireshark's own checkers (tools/ of the source package of the
            # installed Wireshark) on the plugin's sources and this build
            run_stage checks bash -c "bash scripts/ws_tools.sh '$build/ws-source' &&
                python3 tests/wireshark_checks.py --tools '$build/ws-source/wireshark' --build '$build'" || rc=1 ;;
        hostile)
            cmake -S . -B build-sanitize -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTUME_SANITIZE=ON \
                  -DTUME_BUILD_TESTS=OFF >/dev/null
            cmake --build build-sanitize -j"$(nproc)" >/dev/null
            run_stage fuzz bash tests/fuzz_budget.sh --seconds 60 --build build-fuzz || rc=1
            # the trickle capture's finding is a known open defect (issue 7):
            # its loss of one message is checked by its own tshark test
            run_stage mutated-captures python3 tests/mutate_captures.py \
                --plugin build-sanitize/plugins/*/epan/tume.so \
                --timing-plugin "$build"/plugins/*/epan/tume.so \
                --count 200 --seed "${TUME_MUTATE_SEED:-ci}" --skip hostile-sip-trickle \
                --out "$build/mutate-findings" || rc=1 ;;
        matrix)
            if [ "$(id -u)" -eq 0 ]; then
                run_stage matrix bash scripts/matrix.sh || rc=1
            else
                echo "matrix: skipped (needs root for debootstrap and chroot)"
                results+=("matrix: skipped, not root")
            fi ;;
        *) echo "unknown stage $s" >&2; exit 2 ;;
    esac
done
echo
echo "=================== summary"
printf '%s\n' "${results[@]}"
echo "$total_passed passed, $total_failed failed"
exit $rc
