#!/usr/bin/env bash
# Builds the libFuzzer targets (clang, -fsanitize=fuzzer,address,undefined; CMake option XB_FUZZ)
# in the instrumented build the sanitizer tests share (scripts/configure_asan.sh, build-asan/)
# and runs each over its corpus in tests/fuzz/corpus/<target>/. By default each run is a fixed
# number of inputs from a fixed seed, so CI explores the same inputs in the same order every
# time and a red CI reproduces; a cap of XB_FUZZ_CAP seconds per target (default 150) bounds
# CI's time on a slow machine (it then stops early on the same sequence).
# XB_FUZZ_SECONDS=N fuzzes for N seconds instead (open-ended search). New inputs go to a
# scratch folder, not into the repository; a crash, sanitizer report, leak, timeout or
# out-of-memory fails the script and leaves the input as build-asan/crash-* (reproduce:
# build-asan/tests/fuzz/fuzz_<target> FILE).
set -euo pipefail
cd "$(dirname "$0")/.."
"$(dirname "$0")/install_deps.sh"
BUILD_DIR=$("$(dirname "$0")/configure_asan.sh")
SECONDS_EACH=${XB_FUZZ_SECONDS:-}
CAP=${XB_FUZZ_CAP:-150}
TARGETS=${XB_FUZZ_TARGETS:-"config idx sweep trace"}
targets=()
for t in $TARGETS; do targets+=("fuzz_$t"); done
cmake --build "$BUILD_DIR" -j "$(nproc)" --target "${targets[@]}"
status=0
for t in $TARGETS; do
  scratch=$(mktemp -d)
  case $t in config) runs=36000 ;; idx) runs=60000 ;; trace) runs=30000 ;; *) runs=8000 ;; esac
  if [ -n "$SECONDS_EACH" ]; then budget=(-max_total_time="$SECONDS_EACH"); else budget=(-runs="$runs" -seed=1 -max_total_time="$CAP"); fi
  echo "fuzz_$t: ${budget[*]} over tests/fuzz/corpus/$t"
  # -rss_limit_mb/-malloc_limit_mb: an input that makes the program allocate more than 2 GB is a
  # finding (absurd sizes must be refused before allocating). -timeout: a hang is a finding.
  if ! "$BUILD_DIR/tests/fuzz/fuzz_$t" "${budget[@]}" -timeout=20 \
      -rss_limit_mb=2560 -malloc_limit_mb=2048 -max_len=4096 -print_final_stats=1 \
      -artifact_prefix="$BUILD_DIR/crash-$t-" "$scratch" "tests/fuzz/corpus/$t" \
      > "$BUILD_DIR/fuzz_$t.log" 2>&1; then
    echo "fuzz_$t: FAILED; tail of $BUILD_DIR/fuzz_$t.log:" >&2
    tail -40 "$BUILD_DIR/fuzz_$t.log" >&2
    status=1
  fi
  grep -E "^stat::number_of_executed_units|^#[0-9]+.*DONE" "$BUILD_DIR/fuzz_$t.log" || true
  rm -rf "$scratch"
done
exit $status
