#!/usr/bin/env bash
# The whole test suite: install what is missing, build with warnings as
# errors, run every unit and tshark test through ctest.
#     sudo bash scripts/test.sh      (CI: bash .ci/run, as root)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
. scripts/deps.sh

tume_install_deps
build=${TUME_BUILD_DIR:-build-test}
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTUME_WERROR=ON
cmake --build "$build" -j"$(nproc)"
cd "$build"
ctest --output-on-failure
