#!/bin/sh
# SPDX-License-Identifier: MIT
# Inference after training on PCM (docs/inference.md): trains plain and hardware-aware
# Fashion-MNIST networks with 3 seeds, programs each on PCM pairs (5 chips per network), and
# prints the accuracy table from 1 s to 10 years, with and without global drift compensation.
# Long: about 25 minutes on one core. Usage: studies/run_inference.sh [BUILD_DIR]
set -eu
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../build}
runs=$here/../runs/inference
mkdir -p "$runs"
for kind in plain hwa; do
  for seed in 1 2 3; do
    "$build/sim/xbarsim" run "$here/inference/$kind.yaml" --seed $seed --out "$runs/$kind-$seed" \
      --force --quiet >/dev/null
    "$build/sim/xbarsim" run "$here/inference/inference.yaml" --seed $seed \
      --set "experiment.weights=$runs/$kind-$seed" --out "$runs/$kind-$seed-pcm" --force \
      --quiet >/dev/null
  done
done
python3 "$here/inference_table.py" "$runs"
