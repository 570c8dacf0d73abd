#!/bin/sh
# SPDX-License-Identifier: MIT
# Generalization study ([G23] Fig. 1 / App. B.1 protocol, scaled to a 2-core machine;
# docs/generalization.md): a 7 x 7 bias x noise sweep of the synthetic rule (3 seeds), the
# gokmen_vlasov device trained by the same protocol (3 seeds), the device's bias and noise
# ratios (estimator_stats at three training states), then the heatmaps with the device point.
# Outputs in studies/generalization/out/ (sweep folders, heatmaps, table.md). About 15 minutes
# with 2 free cores. Usage: studies/run_generalization.sh [BUILD_DIR]   (JOBS=2 by default)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../build}
xb="$build/sim/xbarsim"
cfg="$here/generalization"
out="$cfg/out"
jobs=${JOBS:-2}
mkdir -p "$out"
start=$(date +%s)
for s in sweep sweep_bias_fine device_sweep device_stats_sweep sweep_device_point; do
  echo "== $s"
  t0=$(date +%s)
  "$xb" sweep "$cfg/$s.yaml" --out "$out/$s" --jobs "$jobs" --resume --quiet
  echo "   $(( $(date +%s) - t0 )) s"
done
echo "== total $(( $(date +%s) - start )) s (runs already done are skipped: --resume)"
# /usr/bin/python3 has matplotlib (the python3 on PATH may not).
/usr/bin/python3 "$cfg/plot.py" "$out"
