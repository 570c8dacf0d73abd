#!/bin/sh
# SPDX-License-Identifier: MIT
# [G23] Figs. 5–6 at Fashion-MNIST scale: VGG-style students of 3 depths x 3 widths, 5 seeds
# each, measured by delta_loss (studies/vgg/base.yaml); then studies/vgg/summarise.py writes
# the table and the figures of docs/networks.md. Long: about 30 minutes on one core.
# Usage: studies/run_vgg.sh [BUILD_DIR] [SEEDS...]   (default seeds: 1 2 3 4 5)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../build}
[ $# -gt 0 ] && shift
seeds=${*:-1 2 3 4 5}
out=$here/../runs/vgg
mkdir -p "$out"
# depth k: k conv layers (3x3, padding 1) per stage, 3 stages of w, 2w, 4w channels, a 2x2 max
# pool after each stage (28 -> 14 -> 7 -> 3), then the linear output layer.
layers() {
  k=$1 w=$2 s=""
  for c in $w $((2 * w)) $((4 * w)); do
    i=0
    while [ $i -lt "$k" ]; do
      s="$s{type: conv2d, channels: $c, kernel: 3, padding: 1}, "
      i=$((i + 1))
    done
    s="$s{type: max_pool}, "
  done
  echo "[$s{type: flatten}, {type: linear}]"
}
for k in 1 2 3; do
  for w in 2 4 8; do
    for s in $seeds; do
      d=$out/depth${k}_width${w}_seed$s
      "$build/sim/xbarsim" run "$here/vgg/base.yaml" --out "$d" --seed "$s" --force --quiet \
        --set "network.layers=$(layers "$k" "$w")" >/dev/null
    done
    echo "depth $k width $w: done"
  done
done
python3 "$here/vgg/summarise.py" "$out" "$here/../docs/figures"
