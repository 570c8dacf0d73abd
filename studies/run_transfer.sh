#!/bin/sh
# SPDX-License-Identifier: MIT
# The transfer study of docs/transfer.md: plain SGD through pulses, mixed precision and the
# four transfer algorithms on reram_sb, reram_es and the pcm unit cell (studies/transfer/
# sweep.yaml), then with a misplaced symmetry point (misplaced.yaml), then the bias and variance
# of what reaches the weights per step (bias.yaml) and per transfer period (bias_period.yaml).
# A few minutes on two cores.
# Usage: studies/run_transfer.sh [BUILD_DIR]
set -eu
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../build}
runs=$here/../runs
"$build/sim/xbarsim" sweep "$here/transfer/sweep.yaml" --out "$runs/transfer" --jobs 2 --force --quiet
"$build/sim/xbarsim" sweep "$here/transfer/misplaced.yaml" --out "$runs/transfer_misplaced" \
  --jobs 2 --force --quiet
"$build/sim/xbarsim" sweep "$here/transfer/bias.yaml" --out "$runs/transfer_bias" --jobs 2 \
  --force --quiet
"$build/sim/xbarsim" sweep "$here/transfer/bias_period.yaml" --out "$runs/transfer_bias_period" \
  --jobs 2 --force --quiet
python3 - "$runs/transfer/results_mean.csv" "$runs/transfer_misplaced/results_mean.csv" <<'PY'
import csv, sys
for path in sys.argv[1:]:
    reader = csv.DictReader(open(path))
    rows = list(reader)
    axis = reader.fieldnames[0]  # the sweep's first axis
    print(f"\n{path}\n| {axis} | scheme | final test loss (3 seeds, 95 % CI) |\n|---|---|---|")
    for r in rows:
        print(f"| {r[axis]} | `{r['scheme']}` | {float(r['final_test_loss_mean']):.3f} ± "
              f"{float(r['final_test_loss_ci95']):.3f} |")
PY
python3 - "$runs/transfer_bias/results.csv" "$runs/transfer_bias_period/results.csv" <<'PY'
import csv, sys
for path in sys.argv[1:]:
    print(f"\n{path}\nper step, in units of |g|: bias along g / bias across g / variance (|g|^2)")
    for r in csv.DictReader(open(path)):
        g = float(r["grad_norm"])
        steps = r.get("experiment", "").split("steps: ")[-1].rstrip("}") if "steps" in r.get("experiment", "") else "1"
        print(f"| {r['device.preset']} | `{r['scheme']}` | {steps} | "
              f"{float(r['bias_along_grad']) / g:+.2f} / {float(r['bias_across_grad']) / g:.1f} / "
              f"{float(r['variance_total']) / g**2:.0f} |")
PY
