#!/bin/sh
# SPDX-License-Identifier: MIT
# Inference after training on PCM (docs/inference.md): studies/inference/inference.yaml trains
# Fashion-MNIST networks in place, plain and hardware-aware, with 3 seeds, programs each on 5
# PCM chips, and the table of accuracy from 1 s to 10 years, with and without global drift
# compensation, is printed; then the same networks read through an 8-bit periphery. Long:
# about 30 minutes on one core.
# Usage: studies/run_inference.sh [BUILD_DIR]
set -eu
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../build}
runs=$here/../runs/inference
mkdir -p "$runs"
for seed in 1 2 3; do
  "$build/sim/xbarsim" run "$here/inference/inference.yaml" --seed $seed \
    --out "$runs/plain-$seed" --force --quiet >/dev/null
  "$build/sim/xbarsim" run "$here/inference/inference.yaml" --seed $seed \
    --set training.weight_noise=0.06 --out "$runs/hwa-$seed" --force --quiet >/dev/null
done
python3 "$here/inference_table.py" "$runs"
# The same networks (their weights.npz) read through aihwkit's 8-bit StandardIOParameters
# periphery (8-bit DAC and ADC, out_bound 10, output noise 0.04; docs/inference.md). The config
# needs the weights, so it is written here rather than shipped.
cat > "$runs/inference_periphery.yaml" <<'EOF'
task: {type: fashion_mnist}
network: {hidden: [256, 128], activation: relu, analog: false}
experiment: {type: inference, repeats: 5, times: [1, 3600, 86400, 2592000, 31536000, 315360000]}
periphery: {inp_res: 0.003937, out_res: 0.003937, out_bound: 10, out_noise: 0.04}
EOF
for kind in plain hwa; do
  for seed in 1 2 3; do
    "$build/sim/xbarsim" run "$runs/inference_periphery.yaml" --seed $seed \
      --set experiment.weights="$runs/$kind-$seed/training" --out "$runs/$kind-$seed-io" \
      --force --quiet >/dev/null
  done
done
python3 "$here/inference_table.py" "$runs" -io
