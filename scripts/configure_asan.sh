#!/usr/bin/env bash
# Configures the one instrumented build that the sanitizer tests and the fuzzers share, so CI
# compiles the project twice in all (release, instrumented), not three times: clang with
# AddressSanitizer + UndefinedBehaviorSanitizer and libFuzzer coverage (CMake option XB_FUZZ),
# the test suite included, into build-asan/ (or $XB_ASAN_BUILD_DIR). Prints the folder.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${XB_ASAN_BUILD_DIR:-build-asan}
CC=clang CXX=clang++ cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DXB_FUZZ=ON \
  -DXB_BUILD_TESTS=ON -DXB_BUILD_BENCH=OFF -DXB_PYTHON=OFF >/dev/null
echo "$BUILD_DIR"
