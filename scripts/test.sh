#!/usr/bin/env bash
# Second command of the README's quick start (CI runs it): install what is missing, build, run
# the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build.sh
BUILD_DIR=${XB_BUILD_DIR:-build}
cd "$BUILD_DIR"
ctest --output-on-failure -j "$(nproc)" --timeout 600
