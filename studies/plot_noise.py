# SPDX-License-Identifier: MIT
"""Cross-run figures of the structured-noise studies (run studies/run_noise.sh first).

Usage: python3 studies/plot_noise.py [RUNS_DIR]   (default runs/noise). Writes into RUNS_DIR:
  variance_vs_lr.png   seed 004 ([L21] Fig. 2a): 1-D SGD, k = c = 1, continuous λ/2 vs discrete
                       λ/(2 - λ) vs measured
  label_noise.png      seed 002 ([Z22] Fig. 4a): 1-D label noise, a = 1, S = 10: exact eq. 6 vs
                       discrete Hessian approximation vs continuous vs measured
  l2_test_loss.png     seed 002 ([Z22] Fig. 3-right, Cor. 1): 1-D test loss vs γ (exact formula)
                       with measured points
  mode_shift.png       seed 003 ([C21] Fig. 6): stationary densities on the quartic vs Gibbs
  fractional_drift.png the same with the fractional drift of [C21] eq. 4.7 (Thm 4.1): on Gibbs
"""
import csv
import glob
import json
import os
import sys


def summary(path):
    return json.load(open(os.path.join(path, "summary.json")))


def l2_test_loss(a, g, u, lr, s):
    k = a + g
    if k <= 0:
        return float("inf")
    G = 2 * k - lr * k * k
    den = G - 2 * lr * a * a / s
    if G <= 0 or den <= 0:
        return float("inf")
    return a * g * g * u * u / (2 * k * k) * G / den


def main(argv):
    runs = argv[1] if len(argv) > 1 else "runs/noise"
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("plot_noise.py: matplotlib is not installed", file=sys.stderr)
        return 1

    lrs = [0.02 * i for i in range(1, 99)]
    fig, ax = plt.subplots(figsize=(6, 4.5))
    ax.plot(lrs, [l / 2 for l in lrs], ":", label="continuous λ/2")
    ax.plot(lrs, [l / (2 - l) for l in lrs], "k-", label="discrete λ/(2-λ) [L21]")
    pts = sorted((summary(p)["measured_cov"][0], p) for p in glob.glob(f"{runs}/white_lr*"))
    xs = [float(p.rsplit("lr", 1)[1]) for _, p in pts]
    ax.plot(xs, [v for v, _ in pts], "o", label="measured")
    ax.set_yscale("log")
    ax.set_xlabel("learning rate λ")
    ax.set_ylabel("stationary variance")
    ax.legend()
    fig.tight_layout()
    fig.savefig(os.path.join(runs, "variance_vs_lr.png"), dpi=120)

    S = 10
    lrs = [0.01 * i for i in range(1, 166)]
    fig, ax = plt.subplots(figsize=(6, 4.5))
    ax.plot(lrs, [l / (2 * S - l * (S + 2)) for l in lrs], "k-", label="exact [Z22] eq. 6")
    ax.plot(lrs, [l / (S * (2 - l)) for l in lrs], "--", label="discrete Hessian approx.")
    ax.plot(lrs, [l / (2 * S) for l in lrs], ":", label="continuous")
    meas = []
    for p in glob.glob(f"{runs}/label_*_0.0"):
        meas.append((float(os.path.basename(p).split("_")[1]), summary(p)["measured_cov"][0]))
    meas.sort()
    ax.plot([m[0] for m in meas], [m[1] for m in meas], "o", label="measured")
    ax.set_yscale("log")
    ax.set_xlabel("learning rate λ (a = 1, S = 10)")
    ax.set_ylabel("Σ")
    ax.legend()
    fig.tight_layout()
    fig.savefig(os.path.join(runs, "label_noise.png"), dpi=120)

    fig, ax = plt.subplots(figsize=(6, 4.5))
    gs = [-0.5 + 0.005 * i for i in range(1, 300)]
    for lr, s in [(0.5, 1), (1.8, 10)]:
        ys = [l2_test_loss(1, g, 1, lr, s) for g in gs]
        ax.plot(gs, [y if y < 10 else float("nan") for y in ys], label=f"λ={lr}, S={s}")
    for p in glob.glob(f"{runs}/l2_*") + glob.glob(f"{runs}/l2_opt"):
        cfg = os.path.basename(p).split("_")
        if len(cfg) == 4 and cfg[3] == "1":
            ax.plot(float(cfg[1]), summary(p)["measured_test_error"], "ko")
    ax.set_ylim(0, 0.5)
    ax.set_xlabel("L2 strength γ (a = u = 1)")
    ax.set_ylabel("test loss")
    ax.legend()
    fig.tight_layout()
    fig.savefig(os.path.join(runs, "l2_test_loss.png"), dpi=120)

    for prefix, name, title in [("levy", "mode_shift.png", "gradient drift (eq. 4.4, P58)"),
                                ("fracdrift", "fractional_drift.png",
                                 "fractional drift (eq. 4.7, Thm 4.1, P59)")]:
        plot_levy(plt, runs, prefix, name, title)
    return 0


def plot_levy(plt, runs, prefix, name, title):
    fig, ax = plt.subplots(figsize=(7, 4.5))
    gibbs = None
    for p in sorted(glob.glob(f"{runs}/{prefix}_*")):
        with open(os.path.join(p, "metrics.csv"), newline="") as f:
            rows = list(csv.DictReader(f))
        s = summary(p)
        x = [float(r["bin_center"]) for r in rows]
        ax.plot(x, [float(r["density"]) for r in rows], drawstyle="steps-mid",
                label=f"α={s['alpha']}, θ={s['theta']}")
        gibbs = (x, [float(r["gibbs_density"]) for r in rows])
    if gibbs:
        ax.plot(*gibbs, "k--", lw=2, label="Gibbs exp(-f)")
    ax.set_xlabel("w")
    ax.set_ylabel("density")
    ax.set_title(title)
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(os.path.join(runs, name), dpi=120)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
