#!/usr/bin/env bash
# Installs a build into a scratch prefix, then configures, builds and runs a small project
# outside this tree against the installed CMake package (find_package(xbarsim)).
# Usage: tests/install/run.sh BUILD_DIR
set -euo pipefail
BUILD=$1
HERE=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cmake --install "$BUILD" --prefix "$tmp/prefix" >/dev/null
cmake -S "$HERE/consumer" -B "$tmp/build" -DCMAKE_PREFIX_PATH="$tmp/prefix" \
  -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$tmp/build" -j "$(nproc)" >/dev/null
"$tmp/build/consumer"
test -x "$tmp/prefix/bin/xbarsim"
test -f "$tmp/prefix/share/xbarsim/presets/devices/reram_sb.yaml"
