#!/bin/sh
# SPDX-License-Identifier: MIT
# The LeNet-5-style CNN on Fashion-MNIST (docs/networks.md): the digital baseline and the same
# network on gokmen_vlasov arrays of 256 x 256 with stochastic pulses, over three seeds. Long:
# about 2 minutes digital and 11 minutes per analog seed on one core. Prints test accuracy
# and wall time per run, then the analog mean and spread.
# Usage: studies/run_cnn.sh [BUILD_DIR] [SEEDS...]   (default seeds: 1 2 3)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../build}
[ $# -gt 0 ] && shift
seeds=${*:-1 2 3}
out=$here/../runs/cnn
report() {
  python3 - "$1/summary.json" "$2" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
print(f"{sys.argv[2]:28s} test_accuracy {s.get('test_accuracy', float('nan')):.4f}  "
      f"wall {s['wall_seconds']:.0f} s  status {s['status']}")
PY
}
"$build/sim/xbarsim" run "$here/cnn/lenet_digital.yaml" --out "$out/lenet_digital" --force --quiet >/dev/null
report "$out/lenet_digital" lenet_digital
for s in $seeds; do
  "$build/sim/xbarsim" run "$here/cnn/lenet_analog.yaml" --out "$out/lenet_analog_seed$s" \
    --seed "$s" --force --quiet >/dev/null
  report "$out/lenet_analog_seed$s" "lenet_analog seed $s"
done
python3 - "$out" $seeds <<'PY'
import json, statistics, sys
acc = [json.load(open(f"{sys.argv[1]}/lenet_analog_seed{s}/summary.json"))["test_accuracy"]
       for s in sys.argv[2:]]
print(f"lenet_analog over {len(acc)} seeds: mean {statistics.mean(acc):.4f}, "
      f"min {min(acc):.4f}, max {max(acc):.4f}")
PY
