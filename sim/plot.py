# SPDX-License-Identifier: MIT
"""Figures of a run folder: `xbarsim plot DIR` runs `python3 sim/plot.py DIR`.

The folder's experiment type (config.yaml: experiment.type) selects a plotting function from
PLOTTERS; sweep folders (results.csv / results_mean.csv) go to sim/plot_sweep.py. To add the
figures of a new experiment, write `def plot_<type>(run_dir, config, plt)` that saves PNGs into
run_dir, and add one line to PLOTTERS. Exits non-zero with a message when matplotlib is missing,
the folder is not a run folder, or its experiment has no plotter.
"""
import csv
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import plot_theory  # noqa: E402  (theory-harness figures)


def read_metrics(run_dir):
    """metrics.csv as a list of dicts (strings)."""
    with open(os.path.join(run_dir, "metrics.csv"), newline="") as f:
        return list(csv.DictReader(f))


def experiment_type(run_dir):
    """experiment.type from config.yaml, read without a YAML library (the file is written by
    xbarsim: a top-level `experiment:` block mapping, or a flow mapping `{type: ...}`)."""
    path = os.path.join(run_dir, "config.yaml")
    with open(path) as f:
        lines = f.read().splitlines()
    in_experiment = False
    for line in lines:
        stripped = line.strip()
        if not line.startswith((" ", "\t")):
            in_experiment = stripped.startswith("experiment:")
            rest = stripped[len("experiment:"):].strip() if in_experiment else ""
            if rest.startswith("{"):
                for item in rest.strip("{}").split(","):
                    key, _, value = item.partition(":")
                    if key.strip() == "type":
                        return value.strip().strip("'\"")
            continue
        if in_experiment and stripped.startswith("type:"):
            return stripped[len("type:"):].strip().strip("'\"")
    return None


def plot_device_response(run_dir, config, plt):
    """device_response.png: mean weight with a ±std band and the min/max envelope against the
    pulse index (all cycles in sequence; up phases shaded)."""
    rows = read_metrics(run_dir)
    x = list(range(1, len(rows) + 1))
    mean = [float(r["w_mean"]) for r in rows]
    std = [float(r["w_std"]) for r in rows]
    lo = [float(r["w_min"]) for r in rows]
    hi = [float(r["w_max"]) for r in rows]
    fig, ax = plt.subplots(figsize=(8, 4.5))
    start = None
    for i, r in enumerate(rows):  # shade the up-pulse phases
        if r["direction"] == "up" and start is None:
            start = i
        if start is not None and (r["direction"] != "up" or i == len(rows) - 1):
            ax.axvspan(start + 0.5, i + 0.5 + (r["direction"] == "up"), color="0.93", lw=0)
            start = None
    ax.fill_between(x, [m - s for m, s in zip(mean, std)], [m + s for m, s in zip(mean, std)],
                    color="tab:blue", alpha=0.3, lw=0, label="mean ± std")
    ax.plot(x, mean, color="tab:blue", lw=1.2, label="mean")
    ax.plot(x, lo, color="tab:gray", lw=0.7, ls="--", label="min / max")
    ax.plot(x, hi, color="tab:gray", lw=0.7, ls="--")
    device = config.get("device", "")
    ax.set_title("Pulse response" + (f" ({device})" if device else "") +
                 " — shaded: up pulses")
    ax.set_xlabel("pulse index")
    ax.set_ylabel("weight")
    ax.legend(loc="best", fontsize="small")
    fig.tight_layout()
    fig.savefig(os.path.join(run_dir, "device_response.png"), dpi=120)
    plt.close(fig)


def plot_stationary(run_dir, config, plt):
    """stationary.png: running trace of the measured covariance of w against the step, with
    the exact discrete-time prediction (and the continuous-time one when defined) as lines."""
    import json
    rows = read_metrics(run_dir)
    summary = json.load(open(os.path.join(run_dir, "summary.json")))
    d = int(round(len(summary["measured_cov"]) ** 0.5))
    trace = lambda flat: sum(flat[i * d + i] for i in range(d))
    fig, ax = plt.subplots(figsize=(7, 4.5))
    ax.plot([float(r["step"]) for r in rows], [float(r["cov_trace"]) for r in rows],
            label="measured (running)")
    pred = summary.get("predicted_cov")
    if pred and all(v is not None for v in pred):
        ax.axhline(trace(pred), color="k", ls="--", label="discrete-time theory")
    if "continuous_cov" in summary:
        ax.axhline(trace(summary["continuous_cov"]), color="0.5", ls=":", label="continuous-time")
    ax.set_xlabel("step")
    ax.set_ylabel("Tr Σ")
    ax.legend()
    fig.tight_layout()
    fig.savefig(os.path.join(run_dir, "stationary.png"), dpi=120)


def plot_levy_sde(run_dir, config, plt):
    """levy_sde.png: stationary histogram of the iterates against the Gibbs density."""
    import json
    rows = read_metrics(run_dir)
    summary = json.load(open(os.path.join(run_dir, "summary.json")))
    x = [float(r["bin_center"]) for r in rows]
    fig, ax = plt.subplots(figsize=(7, 4.5))
    ax.plot(x, [float(r["density"]) for r in rows], drawstyle="steps-mid",
            label=f"iterates (α={summary['alpha']}, θ={summary['theta']})")
    ax.plot(x, [float(r["gibbs_density"]) for r in rows], "k--", label="Gibbs exp(-f)")
    ax.axvline(summary["mode"], color="r", lw=0.8, label=f"mode {summary['mode']:.2f}")
    ax.set_xlabel("w")
    ax.set_ylabel("density")
    ax.legend()
    fig.tight_layout()
    fig.savefig(os.path.join(run_dir, "levy_sde.png"), dpi=120)


def plot_inference(run_dir, config, plt):
    """inference.png: test accuracy (or loss, for regression) against the time after
    programming on a log axis, without and with global drift compensation, with the 95 %
    intervals over the chips."""
    rows = read_metrics(run_dir)
    t = [float(r["time_s"]) for r in rows]
    accuracy = rows and rows[0]["accuracy"] != ""
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for key, label, color in (("", "no compensation", "tab:red"),
                              ("_gdc", "global drift compensation", "tab:blue")):
        if accuracy:
            y = [100 * float(r["accuracy" + key]) for r in rows]
            ci = [100 * float(r["accuracy" + key + "_ci95"] or 0) for r in rows]
            ax.errorbar(t, y, yerr=ci, marker="o", capsize=3, color=color, label=label)
        else:
            ax.plot(t, [float(r["test_loss" + key]) for r in rows], marker="o", color=color,
                    label=label)
    ax.set_xscale("log")
    ax.set_xlabel("time after programming (s)")
    ax.set_ylabel("test accuracy (%)" if accuracy else "test loss")
    ax.set_title("Inference on PCM (programming noise, drift, 1/f read noise)")
    ax.legend(fontsize="small")
    fig.tight_layout()
    fig.savefig(os.path.join(run_dir, "inference.png"), dpi=120)
    plt.close(fig)


# experiment.type -> plotting function. One line per experiment.
def plot_train(run_dir, config, plt):
    """train.png: train and test loss against the step (left), and the realised update's cosine
    with the negative gradient plus, for classification, the accuracies (right)."""
    rows = read_metrics(run_dir)

    def column(name):
        pts = [(float(r["step"]), float(r[name])) for r in rows if r.get(name, "") not in ("", "nan")]
        return [p[0] for p in pts], [p[1] for p in pts]

    fig, (ax_loss, ax_right) = plt.subplots(1, 2, figsize=(10, 4))
    for name, color in (("train_loss", "tab:blue"), ("test_loss", "tab:orange")):
        x, y = column(name)
        ax_loss.plot(x, y, color=color, label=name.replace("_", " "))
    ax_loss.set_xlabel("step")
    ax_loss.set_ylabel("loss")
    ax_loss.set_yscale("log")
    ax_loss.legend(fontsize="small")
    device = config.get("device", "")
    ax_loss.set_title("Training" + (f" ({device})" if device else ""))
    for name, color in (("update_cosine", "tab:green"), ("train_accuracy", "tab:blue"),
                        ("test_accuracy", "tab:orange")):
        x, y = column(name)
        if x:
            ax_right.plot(x, y, color=color, label=name.replace("_", " "))
    ax_right.set_xlabel("step")
    ax_right.set_ylim(-0.05, 1.05)
    ax_right.legend(fontsize="small")
    ax_right.set_title("cos(realised update, −gradient) and accuracy")
    fig.tight_layout()
    fig.savefig(os.path.join(run_dir, "train.png"), dpi=120)
    plt.close(fig)


PLOTTERS = {
    "train": plot_train,
    "inference": plot_inference,
    "device_response": plot_device_response,
    "stationary": plot_stationary,
    "levy_sde": plot_levy_sde,
    "hessian_trace": plot_theory.plot_hessian_trace,
    "delta_loss": plot_theory.plot_delta_loss,
    "descent_probability": plot_theory.plot_descent_probability,
    "estimator_stats": plot_theory.plot_estimator_stats,
}


def device_label(run_dir):
    """`preset` or `type` of the device section, for titles (best effort)."""
    try:
        with open(os.path.join(run_dir, "config.yaml")) as f:
            lines = f.read().splitlines()
    except OSError:
        return ""
    in_device, found = False, {}
    for line in lines:
        if not line.startswith((" ", "\t")):
            in_device = line.strip().startswith("device:")
            continue
        key, _, value = line.strip().partition(":")
        if in_device and key in ("preset", "type"):
            found[key] = value.strip()
    return found.get("preset") or found.get("type", "")


def make_savefig_atomic(matplotlib):
    """Every figure (run and sweep plotters alike) is written to a temporary file in the same
    folder and renamed into place, so a PNG is complete or absent (docs/cli.md, run folder)."""
    from matplotlib.figure import Figure
    plain = Figure.savefig

    def savefig(self, fname, *args, **kwargs):
        if not isinstance(fname, (str, os.PathLike)):
            return plain(self, fname, *args, **kwargs)
        fname = os.fspath(fname)
        root, ext = os.path.splitext(fname)
        tmp = f"{root}.tmp.{os.getpid()}{ext}"  # keeps the extension: it selects the format
        try:
            plain(self, tmp, *args, **kwargs)
            os.replace(tmp, fname)
        finally:
            if os.path.exists(tmp):
                os.remove(tmp)

    Figure.savefig = savefig


def main(argv):
    if len(argv) != 2:
        print("usage: plot.py RUN_DIR", file=sys.stderr)
        return 2
    run_dir = argv[1]
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        make_savefig_atomic(matplotlib)
    except ImportError:
        print("plot.py: matplotlib is not installed (apt-get install python3-matplotlib)",
              file=sys.stderr)
        return 1
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import plot_sweep
    if plot_sweep.is_sweep_folder(run_dir):
        plot_sweep.plot_sweep(run_dir)
        return 0
    if not os.path.exists(os.path.join(run_dir, "config.yaml")):
        print(f"plot.py: {run_dir}: no config.yaml (not a run folder)", file=sys.stderr)
        return 1
    kind = experiment_type(run_dir)
    plotter = PLOTTERS.get(kind)
    if plotter is None:
        print(f"plot.py: {run_dir}: no figures for experiment type '{kind}' "
              f"(known: {', '.join(sorted(PLOTTERS))})", file=sys.stderr)
        return 1
    plotter(run_dir, {"device": device_label(run_dir)}, plt)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
