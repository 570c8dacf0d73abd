#!/usr/bin/env bash
# The test suite under AddressSanitizer + UndefinedBehaviorSanitizer (GCC), in build-asan/ (or
# $XB_ASAN_BUILD_DIR). Any sanitizer report aborts the test that triggered it.
# Excluded (-E): the tests that run the SystemC kernel (TileShell, TimedRun, TimedEqualsFunctional,
# Determinism.TimedModeEqualsFunctionalMode): SystemC's coroutine stack switching is not
# understood by ASan (false stack reports) and Debian's libsystemc is not instrumented; and the
# MPI sweep test (SweepCli.MpiRanks...: OpenMPI under ASan reports its own allocations).
set -euo pipefail
cd "$(dirname "$0")/.."
"$(dirname "$0")/install_deps.sh"
BUILD_DIR=${XB_ASAN_BUILD_DIR:-build-asan}
cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DXB_BUILD_BENCH=OFF \
  -DCMAKE_CXX_FLAGS="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined" \
  >/dev/null
cmake --build "$BUILD_DIR" -j "$(nproc)"
cd "$BUILD_DIR"
# detect_leaks=0: yaml-cpp and SystemC keep process-lifetime singletons that LeakSanitizer
# would list; heap misuse is still reported by ASan.
export ASAN_OPTIONS=detect_leaks=0:abort_on_error=1:detect_stack_use_after_return=0
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
ctest --output-on-failure -j "$(nproc)" --timeout 1200 \
  -E "${XB_SANITIZER_EXCLUDE:-^(TileShell|TimedRun)\.|TimedEqualsFunctional|TimedMode|MpiRanks}"
