#!/bin/sh
# SPDX-License-Identifier: MIT
# Runs the Fashion-MNIST studies (long: minutes each, one core) into runs/fashion/<name> and
# prints test accuracy and wall time. Usage: studies/run_fashion.sh [BUILD_DIR] [NAME...]
set -eu
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../build}
[ $# -gt 0 ] && shift
names=${*:-backprop_digital backprop_analog fa_analog node_perturbation_digital eqprop_digital}
for n in $names; do
  out=$here/../runs/fashion/$n
  "$build/sim/xbarsim" run "$here/fashion/$n.yaml" --out "$out" --force --quiet >/dev/null
  python3 - "$out/summary.json" "$n" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
print(f"{sys.argv[2]:28s} test_accuracy {s.get('test_accuracy', float('nan')):.4f}  "
      f"wall {s['wall_seconds']:.0f} s  status {s['status']}")
PY
done
