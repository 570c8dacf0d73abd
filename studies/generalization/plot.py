# SPDX-License-Identifier: MIT
"""Heatmaps and table of the generalization study (studies/run_generalization.sh).

Reads OUT/sweep and OUT/sweep_bias_fine (bias x noise grid of the synthetic rule, merged), OUT/device_sweep (the device trained
by the same protocol) and OUT/device_stats_sweep (its measured ratios) and writes
OUT/generalization_accuracy.png (train and test accuracy, mean over seeds, device point marked)
and OUT/table.md. A diverged run (NaN/Inf, exit 3 of `xbarsim run`) has no accuracy: it is
counted at chance level (10 %, ten classes) in the mean, and its cell is flagged.
Usage: /usr/bin/python3 plot.py OUT
"""
import csv
import json
import math
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

CHANCE = 0.10
B_KEY, S_KEY = "rule.b_ratio", "rule.sigma_ratio"


def read_rows(folder):
    with open(os.path.join(folder, "results.csv"), newline="") as f:
        return list(csv.DictReader(f))


def acc(row, key):
    if row.get("status") != "ok":
        return CHANCE
    return float(row[key])


def grid(out):
    rows = []
    for name in ("sweep", "sweep_bias_fine"):  # merged into one grid
        if os.path.exists(os.path.join(out, name, "results.csv")):
            rows += read_rows(os.path.join(out, name))
    bs = sorted({float(r[B_KEY]) for r in rows})
    ss = sorted({float(r[S_KEY]) for r in rows})
    shape = (len(bs), len(ss))
    cells = {k: np.zeros(shape) for k in ("train", "test", "n", "div")}
    sq = np.zeros(shape)
    for r in rows:
        i, j = bs.index(float(r[B_KEY])), ss.index(float(r[S_KEY]))
        cells["train"][i, j] += acc(r, "train_accuracy")
        cells["test"][i, j] += acc(r, "test_accuracy")
        sq[i, j] += acc(r, "test_accuracy") ** 2
        cells["n"][i, j] += 1
        cells["div"][i, j] += r.get("status") != "ok"
    n = cells["n"]
    cells["train"] /= n
    cells["test"] /= n
    # Sample standard deviation over seeds of the test accuracy.
    cells["test_sd"] = np.sqrt(np.maximum(sq - n * cells["test"] ** 2, 0) / np.maximum(n - 1, 1))
    return bs, ss, cells


def device(out):
    rows = read_rows(os.path.join(out, "device_sweep"))
    train = [acc(r, "train_accuracy") for r in rows]
    test = [acc(r, "test_accuracy") for r in rows]
    states = []
    runs = os.path.join(out, "device_stats_sweep", "runs")
    for d in sorted(os.listdir(runs)):
        with open(os.path.join(runs, d, "metrics.csv"), newline="") as f:
            m = next(csv.DictReader(f))
        g = float(m["grad_norm"])
        states.append({
            "run": d, "grad_norm": g,
            "b_ratio": float(m["bias_norm_debiased"]) / g,
            "b_along": float(m["bias_along_grad"]) / g,
            "sigma_ratio": math.sqrt(float(m["variance_total"])) / g})
    return train, test, states


def position(v, axis):
    """Fractional cell index of value v on an axis of 0 and log-spaced values."""
    if v <= axis[0]:
        return 0.0
    for k in range(len(axis) - 1):
        lo, hi = axis[k], axis[k + 1]
        if v <= hi:
            if lo <= 0:  # between 0 and the first positive value: place by log to one decade
                return k + max(0.0, 1 + math.log10(v / hi))
            return k + math.log(v / lo) / math.log(hi / lo)
    return float(len(axis) - 1)


def main(out):
    bs, ss, c = grid(out)
    dtrain, dtest, states = device(out)
    db = float(np.mean([s["b_ratio"] for s in states]))
    dsig = float(np.mean([s["sigma_ratio"] for s in states]))
    fig, axes = plt.subplots(1, 2, figsize=(12, 5.2))
    for ax, key, title, dval in ((axes[0], "train", "train accuracy", np.mean(dtrain)),
                                 (axes[1], "test", "test accuracy", np.mean(dtest))):
        im = ax.imshow(c[key] * 100, origin="lower", cmap="viridis", vmin=10,
                       vmax=max(90, np.nanmax(c[key]) * 100))
        for i in range(len(bs)):
            for j in range(len(ss)):
                t = f"{c[key][i, j] * 100:.1f}" + ("†" if c["div"][i, j] else "")
                ax.text(j, i, t, ha="center", va="center", fontsize=7,
                        color="white" if c[key][i, j] < 0.5 else "black")
        ax.set_xticks(range(len(ss)), [f"{v:g}" for v in ss])
        ax.set_yticks(range(len(bs)), [f"{v:g}" for v in bs])
        ax.set_xlabel("noise ratio  sqrt(E||n||^2) / ||g||")
        ax.set_ylabel("bias ratio  ||b beta|| / ||g||  (beta = ones)")
        ax.set_title(f"{title} (%), mean of {int(c['n'].max())} seeds")
        x, y = position(dsig, ss), position(db, bs)
        ax.plot([x], [y], marker="*", ms=18, mfc="red", mec="white", mew=1.2)
        ax.annotate(f"gokmen_vlasov\n{dval * 100:.1f} %", (x, y), xytext=(6, 8),
                    textcoords="offset points", color="red", fontsize=8, weight="bold",
                    bbox=dict(fc="white", alpha=0.75, lw=0))
        fig.colorbar(im, ax=ax, fraction=0.046)
    fig.suptitle("Fashion-MNIST (1000 train images), 784-64-10 ReLU, full-batch GD, 150 steps, "
                 "synthetic bias + noise ([G23] Fig. 1 protocol); † = some seeds diverged",
                 fontsize=9)
    fig.tight_layout()
    png = os.path.join(out, "generalization_accuracy.png")
    fig.savefig(png, dpi=90)

    lines = ["Test accuracy (%), mean over seeds (± sd), rows: bias ratio, columns: noise ratio;"
             " † = some seeds diverged (counted at 10 %)", "",
             "| bias \\ noise | " + " | ".join(f"{v:g}" for v in ss) + " |",
             "| --- |" + " --- |" * len(ss)]
    for i, b in enumerate(bs):
        cells = []
        for j in range(len(ss)):
            d = int(c["div"][i, j])
            cells.append(f"{c['test'][i, j] * 100:.1f} ± {c['test_sd'][i, j] * 100:.1f}"
                         + (f" †{d}" if d else ""))
        lines.append(f"| {b:g} | " + " | ".join(cells) + " |")
    lines += ["", "Train accuracy (%), mean over seeds:", "",
              "| bias \\ noise | " + " | ".join(f"{v:g}" for v in ss) + " |",
              "| --- |" + " --- |" * len(ss)]
    for i, b in enumerate(bs):
        lines.append(f"| {b:g} | " + " | ".join(
            f"{c['train'][i, j] * 100:.1f}" for j in range(len(ss))) + " |")
    lines += ["", "Device (gokmen_vlasov, stochastic_pulse, backprop on analog tiles):",
              f"- test accuracy {np.mean(dtest) * 100:.2f} % (seeds: "
              + ", ".join(f"{v * 100:.2f}" for v in dtest) + f"), train {np.mean(dtrain) * 100:.2f} %"]
    for s in states:
        lines.append(f"- {s['run']}: grad_norm {s['grad_norm']:.4g}, bias ratio {s['b_ratio']:.3g}"
                     f" (component along g: {s['b_along']:.3g}), noise ratio {s['sigma_ratio']:.3g}")
    lines.append(f"- marked point: bias ratio {db:.3g}, noise ratio {dsig:.3g} (mean over states)")
    dp = os.path.join(out, "sweep_device_point")
    if os.path.exists(os.path.join(dp, "results.csv")):
        lines += ["", "Synthetic rule at the device's noise ratio, bias along ones vs a fixed random"
                  " direction (test accuracy %, mean ± sd over seeds; † = diverged runs):", "",
                  "| beta | b_ratio | sigma_ratio | test accuracy | train accuracy |",
                  "| --- | --- | --- | --- | --- |"]
        groups = {}
        for r in read_rows(dp):
            groups.setdefault((r["rule.beta"], r[B_KEY], r[S_KEY]), []).append(r)
        for (beta, b, s), rs in groups.items():
            te = np.array([acc(r, "test_accuracy") for r in rs]) * 100
            tr = np.array([acc(r, "train_accuracy") for r in rs]) * 100
            d = sum(r.get("status") != "ok" for r in rs)
            lines.append(f"| {beta} | {b} | {s} | {te.mean():.1f} ± {te.std(ddof=1):.1f}"
                         + (f" †{d}" if d else "") + f" | {tr.mean():.1f} |")
    with open(os.path.join(out, "table.md"), "w") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines))
    print("wrote", png)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "out")
