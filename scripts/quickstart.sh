#!/usr/bin/env bash
# First command of the README's quick start: install, build, run the default study, draw its
# figures.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build.sh
BUILD_DIR=${XB_BUILD_DIR:-build}
"$BUILD_DIR"/sim/xbarsim run sim/configs/quickstart.yaml "$@"
