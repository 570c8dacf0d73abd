#!/usr/bin/env bash
# Configures and builds xbarsim in Release into build/ (or $XB_BUILD_DIR).
set -euo pipefail
cd "$(dirname "$0")/.."
"$(dirname "$0")/install_deps.sh"
BUILD_DIR=${XB_BUILD_DIR:-build}
cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=Release "$@" >/dev/null
cmake --build "$BUILD_DIR" -j "$(nproc)"
# The Python module: Debian's python3 finds the build's package through a .pth file in the
# user's site folder (no copy, so a rebuild is picked up at once; docs/python.md).
if [ -d "$BUILD_DIR/python/xbarsim" ] && [ -x /usr/bin/python3 ]; then
  site=$(/usr/bin/python3 -c 'import site; print(site.getusersitepackages())')
  mkdir -p "$site"
  (cd "$BUILD_DIR/python" && pwd) > "$site/xbarsim.pth"
fi
