#!/bin/sh
# SPDX-License-Identifier: MIT
# The theory harness's long checks and figures ([G23]; P2-P14 in docs/theory.md). Runs every config of
# studies/theory/ into runs/theory/<name>, checks the acceptance criteria that are too slow for
# ctest (printing PASS/FAIL per check), draws the figures (xbarsim plot), and prints the
# estimator_stats table of docs/theory.md (every rule x {ideal, two presets}).
# Usage: studies/run_theory.sh [BUILD_DIR] [NAME...]   (NAME: a config basename, or `table`)
# Exit status: 1 when a check failed.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../build}
[ $# -gt 0 ] && shift
xb=$build/sim/xbarsim
out=$here/../runs/theory
names=${*:-fig3a_width fig3b_depth fig3c_width_depth fig4a_bias_gradnorm fig4b_bias_quadratic fig7a_gd fig7b_noise fig7c_bias p2_student_teacher p6_width_vs_depth p11_bias_bound p13_corollary table}
status=0
for n in $names; do
  if [ "$n" = table ]; then
    # estimator_stats: rule x device. Columns: predicted vs measured mean loss change of one
    # realised update from the same state (100 forks), bias and total variance of the estimate.
    echo "| rule | device | bias_norm (debiased) | bias_along_grad | variance_total | predicted ΔL | measured ΔL (± s.e.) |"
    echo "| --- | --- | --- | --- | --- | --- | --- |"
    for dev in ideal gokmen_vlasov reram_sb; do
      for rule in ${XB_TABLE_RULES:-backprop synthetic feedback_alignment direct_feedback_alignment node_perturbation weight_perturbation equilibrium_propagation minibatch_sgd}; do
        case $rule in  # rules whose defaults estimate the exact gradient get a setting that does not
          synthetic) extra="--set rule.b_ratio=0.2 --set rule.sigma_ratio=0.5" ;;
          minibatch_sgd) extra="--set rule.size=8" ;;
          *) extra="" ;;
        esac
        d=$out/table/${rule}_$dev
        if [ "$dev" = ideal ]; then set -- ; else set -- --set "device={preset: $dev}"; fi
        "$xb" run "$here/theory/estimator_stats.yaml" --out "$d" --force --quiet \
          --set rule.type=$rule $extra "$@" >/dev/null
        python3 - "$d/summary.json" "$rule" "$dev" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
print(f"| {sys.argv[2]} | {sys.argv[3]} | {s['bias_norm']:.3g} ({s['bias_norm_debiased']:.3g}) | {s['bias_along_grad']:.3g} | "
      f"{s['variance_total']:.3g} | {s['predicted_delta_loss']:.4g} | "
      f"{s['measured_delta_loss']:.4g} ± {s['measured_stderr']:.2g} |")
PY
      done
    done
    continue
  fi
  d=$out/$n
  "$xb" run "$here/theory/$n.yaml" --out "$d" --force --quiet >/dev/null
  "$xb" plot "$d" >/dev/null 2>&1 || echo "$n: (no figure: matplotlib missing?)"
  python3 "$here/theory/check.py" "$n" "$d" || status=1
done
exit $status
