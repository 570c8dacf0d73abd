# SPDX-License-Identifier: MIT
# The table of studies/run_inference.sh: test accuracy vs time after programming, pooled over
# the 3 training seeds x 5 chips of each kind: mean and 95 % Student-t interval, in %.
# Usage: python3 studies/inference_table.py RUNS_DIR [SUFFIX]
# SUFFIX reads the runs KIND-SEED+SUFFIX (e.g. "-io": the same networks read through a
# periphery, the last step of studies/run_inference.sh).
import csv
import math
import os
import sys

KINDS = {"plain": "plain", "hwa": "hardware-aware"}
LABELS = {1: "1 s", 3600: "1 h", 86400: "1 day", 2592000: "1 month", 31536000: "1 year",
          315360000: "10 years"}


def t_quantile(p, df):
    """Student-t quantile by bisection on the CDF (Simpson integration of the density)."""
    c = math.gamma((df + 1) / 2) / (math.sqrt(df * math.pi) * math.gamma(df / 2))
    pdf = lambda x: c * (1 + x * x / df) ** (-(df + 1) / 2)

    def cdf(x, n=2000):
        h = x / n
        s = pdf(0) + pdf(x) + sum((4 if k % 2 else 2) * pdf(k * h) for k in range(1, n))
        return 0.5 + s * h / 3

    lo, hi = 0.0, 50.0
    for _ in range(60):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if cdf(mid) < p else (lo, mid)
    return (lo + hi) / 2


def cell(v):
    n = len(v)
    m = sum(v) / n
    s = math.sqrt(sum((x - m) ** 2 for x in v) / (n - 1))
    return f"{100 * m:.2f} ± {100 * t_quantile(0.975, n - 1) * s / math.sqrt(n):.2f}"


runs = sys.argv[1]
suffix = sys.argv[2] if len(sys.argv) > 2 else ""
rows = {}
for kind in KINDS:
    for seed in (1, 2, 3):
        path = os.path.join(runs, f"{kind}-{seed}{suffix}", "per_chip.csv")
        for r in csv.DictReader(open(path)):
            v = rows.setdefault((kind, float(r["time_s"])), {"accuracy": [], "accuracy_gdc": []})
            for k in v:
                v[k].append(float(r[k]))
for kind in KINDS:
    trained = []
    for seed in (1, 2, 3):
        training = os.path.join(runs, f"{kind}-{seed}", "training", "summary.json")
        if not os.path.exists(training):
            continue
        for line in open(training):
            if '"test_accuracy"' in line:
                trained.append(float(line.split(":")[1].strip(" ,\n")))
    if trained:
        print(f"trained test accuracy, {KINDS[kind]}: {cell(trained)} (3 seeds)")
print()
print("| time after programming | " +
      " | ".join(f"{KINDS[k]}{g}" for k in KINDS for g in ("", " + GDC")) + " |")
print("|---|" + "---:|" * 4)
for t in sorted({t for (_, t) in rows}):
    cells = [cell(rows[(k, t)][g]) for k in KINDS for g in ("accuracy", "accuracy_gdc")]
    print(f"| {LABELS.get(int(t), str(t))} | " + " | ".join(cells) + " |")
