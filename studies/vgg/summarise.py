#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Summarises studies/run_vgg.sh: per depth and width, the mean over seeds (± standard error)
of the measured and predicted (Lemma 2.1) variance impact dL(0, sigma^2), bias impact dL(b, 0),
the gradient norm and Tr[H]/N; prints the markdown table of docs/networks.md, states [G23]'s
three claims (Figs. 5–6) as confirmed or not, and draws vgg_depth_width.png.

Usage: summarise.py RUNS_DIR FIGURE_DIR
"""
import csv
import glob
import json
import math
import os
import re
import statistics
import sys


def mean_se(values):
    m = statistics.mean(values)
    se = statistics.stdev(values) / math.sqrt(len(values)) if len(values) > 1 else 0.0
    return m, se


def main():
    runs, figures = sys.argv[1], sys.argv[2]
    cells = {}
    for path in glob.glob(os.path.join(runs, "depth*_width*_seed*/summary.json")):
        k, w, _ = map(int, re.search(r"depth(\d+)_width(\d+)_seed(\d+)", path).groups())
        s = json.load(open(path))
        if s.get("status") != "ok":
            continue
        # The last point of the GD trajectory (metrics.csv), with N from the summary.
        with open(os.path.join(os.path.dirname(path), "metrics.csv")) as f:
            rows = list(csv.DictReader(f))
        last = {key: float(v) for key, v in rows[-1].items() if v != ""}
        last["n_params"] = s["n_params"]
        cells.setdefault((k, w), []).append(last)
    depths = sorted({k for k, _ in cells})
    widths = sorted({w for _, w in cells})
    keys = ["measured_variance_term", "predicted_variance_term", "measured_bias_term",
            "predicted_bias_term", "grad_norm"]
    table = {}
    for cell, runs_ in cells.items():
        row = {key: mean_se([r[key] for r in runs_]) for key in keys}
        row["trace_per_param"] = mean_se([r["hessian_trace"] / r["n_params"] for r in runs_])
        row["n_params"] = runs_[0]["n_params"]
        row["seeds"] = len(runs_)
        table[cell] = row

    print("| depth (conv layers) | width (channels) | N | seeds | ΔL(0,σ²) measured | ΔL(0,σ²) "
          "predicted | ΔL(b,0) measured | ΔL(b,0) predicted | ‖g‖ | Tr[H]/N |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    fmt = lambda ms: f"{ms[0]:.3e} ± {ms[1]:.1e}"
    for k in depths:
        for w in widths:
            r = table.get((k, w))
            if not r:
                continue
            print(f"| {3 * k} | {w}/{2 * w}/{4 * w} | {r['n_params']} | {r['seeds']} | "
                  f"{fmt(r['measured_variance_term'])} | {fmt(r['predicted_variance_term'])} | "
                  f"{fmt(r['measured_bias_term'])} | {fmt(r['predicted_bias_term'])} | "
                  f"{r['grad_norm'][0]:.3f} ± {r['grad_norm'][1]:.2f} | "
                  f"{r['trace_per_param'][0]:.3e} |")

    # The claims: compare the extremes of each axis cell by cell (a claim holds when it holds
    # for every row or column, at more than two standard errors of the difference).
    def lower(a, b, key, absolute=False):
        if a not in table or b not in table:  # a cell without runs confirms nothing
            return False
        (ma, sa), (mb, sb) = table[a][key], table[b][key]
        if absolute:
            ma, mb = abs(ma), abs(mb)
        return mb - ma > 2 * math.hypot(sa, sb)

    kd, ks = depths[-1], depths[0]
    wd, ws = widths[-1], widths[0]
    claims = [
        ("deeper students show a smaller variance impact ΔL(0, σ²)",
         all(lower((kd, w), (ks, w), "measured_variance_term") for w in widths)),
        ("wider students show a smaller variance impact ΔL(0, σ²)",
         all(lower((k, wd), (k, ws), "measured_variance_term") for k in depths)),
        ("deeper students have a smaller gradient norm",
         all(lower((kd, w), (ks, w), "grad_norm") for w in widths)),
        ("deeper students show a smaller bias impact |ΔL(b, 0)|",
         all(lower((kd, w), (ks, w), "measured_bias_term", True) for w in widths)),
    ]
    xs = [table[c]["grad_norm"][0] for c in table]
    ys = [table[c]["measured_variance_term"][0] for c in table]
    r = statistics.correlation(xs, ys) if len(xs) > 2 else float("nan")
    print()
    for text, ok in claims:
        print(f"- {text}: {'confirmed' if ok else 'not confirmed'}")
    print(f"- correlation of ΔL(0, σ²) with ‖g‖ across the {len(xs)} cells: {r:.2f} "
          "([G23]: no relationship)")
    rel = [abs(table[c]["measured_variance_term"][0] - table[c]["predicted_variance_term"][0]) /
           abs(table[c]["predicted_variance_term"][0]) for c in table]
    print(f"- Lemma 2.1's variance term against the measurement: median relative error "
          f"{statistics.median(rel):.3f}, largest {max(rel):.3f}")

    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("(no figure: matplotlib missing)")
        return
    fig, ax = plt.subplots(1, 4, figsize=(17, 4))
    for w in widths:
        for i, (key, pred, label) in enumerate([
                ("measured_variance_term", "predicted_variance_term", "ΔL(0, σ²)"),
                ("measured_bias_term", "predicted_bias_term", "ΔL(b, 0)"),
                ("grad_norm", None, "‖g‖")]):
            ks_ = [k for k in depths if (k, w) in table]
            m = [table[(k, w)][key][0] for k in ks_]
            e = [table[(k, w)][key][1] for k in ks_]
            line = ax[i].errorbar([3 * k for k in ks_], m, yerr=e, marker="o", capsize=3,
                                  label=f"width {w}")
            if pred:
                ax[i].plot([3 * k for k in ks_], [table[(k, w)][pred][0] for k in ks_], "--",
                           color=line[0].get_color())
            ax[i].set_xlabel("conv layers")
            ax[i].set_title(label + (" (dashed: Lemma 2.1)" if pred else ""))
    for k in depths:
        ws_ = [w for w in widths if (k, w) in table]
        line = ax[3].errorbar(ws_, [table[(k, w)]["measured_variance_term"][0] for w in ws_],
                              yerr=[table[(k, w)]["measured_variance_term"][1] for w in ws_],
                              marker="o", capsize=3, label=f"{3 * k} conv layers")
        ax[3].plot(ws_, [table[(k, w)]["predicted_variance_term"][0] for w in ws_], "--",
                   color=line[0].get_color())
    ax[3].set_xscale("log", base=2)
    ax[3].set_xlabel("first-stage channels")
    ax[3].set_title("ΔL(0, σ²) against width")
    for a in ax:
        a.legend(fontsize=7)
    fig.tight_layout()
    os.makedirs(figures, exist_ok=True)
    fig.savefig(os.path.join(figures, "vgg_depth_width.png"), dpi=110)


if __name__ == "__main__":
    main()
