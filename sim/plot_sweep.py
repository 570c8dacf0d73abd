# SPDX-License-Identifier: MIT
"""Figures of a sweep folder (one with results_mean.csv, written by `xbarsim sweep`).

One PNG per numeric summary column that varies over the grid, named sweep_<column>.png:
  - two varying axes that form a full cross: a heatmap of the mean over seeds, each cell
    annotated with mean +- 95% CI half-width when the grid is small enough to read, on a log
    colour scale when the means are positive and span two decades or more;
  - otherwise: curves of the mean against the first varying axis with 95% CI error bars,
    one curve per combination of the other varying axes (zipped axes vary together and so
    count once), on a log axis when the means span two decades or more.
Categorical axes show tidy, wrapped labels ({type: X} and {preset: X} as X), slanted when many.
Called by sim/plot.py when the folder holds results.csv, or directly:
  python3 sim/plot_sweep.py SWEEP_DIR
"""
import csv
import math
import os
import sys


def _num(text):
    try:
        return float(text)
    except ValueError:
        return math.nan


def _read_mean_table(path):
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    header, body = rows[0], rows[1:]
    n_axes = header.index("n_seeds")
    axes = header[:n_axes]
    columns = [h[:-5] for h in header if h.endswith("_mean") and h[:-5] + "_ci95" in header]
    points = []
    for r in body:
        cell = dict(zip(header, r))
        points.append({
            "axes": tuple(r[:n_axes]),
            "mean": {c: _num(cell[c + "_mean"]) for c in columns},
            "ci": {c: _num(cell[c + "_ci95"]) for c in columns},
        })
    return axes, columns, points


def _varying_axes(axes, points):
    """Indices of the axes that take more than one value, merging axes that move together."""
    varying = [i for i in range(len(axes)) if len({p["axes"][i] for p in points}) > 1]
    kept = []
    for i in varying:
        together = any(
            len({(p["axes"][j], p["axes"][i]) for p in points}) == len({p["axes"][j] for p in points})
            and len({p["axes"][i] for p in points}) == len({p["axes"][j] for p in points})
            for j in kept)
        if not together:
            kept.append(i)
    return kept


def _ordered_values(points, i):
    seen = []
    for p in points:
        if p["axes"][i] not in seen:
            seen.append(p["axes"][i])
    return seen


def _all_numeric(values):
    return all(not math.isnan(_num(v)) for v in values)


def _label(value, width=16):
    """A tick label for an axis value written as YAML text: a one-key map such as
    {type: stochastic_pulse} or {preset: ttv2} shows its value, longer maps their pairs; long
    labels wrap so that neighbouring ticks do not overlap."""
    import textwrap
    text = value.strip()
    if not (text.startswith("{") and text.endswith("}")):
        return "\n".join(textwrap.wrap(text, width, break_long_words=False)) or text
    pairs = [p.strip().split(":", 1) for p in text[1:-1].split(",") if ":" in p]
    pairs = [(k.strip(), v.strip()) for k, v in pairs]
    # The type or preset first, as a name; the other keys below it as key=value.
    named = [v for k, v in pairs if k in ("type", "preset")]
    rest = ["%s=%s" % (k, v) for k, v in pairs if k not in ("type", "preset")]
    lines = named[:1] + rest
    return "\n".join(l for line in lines
                     for l in textwrap.wrap(line, width, break_long_words=False)) or text


def _set_ticks(ax, which, values):
    """Categorical ticks: tidy, wrapped labels, slanted when there are many or long ones."""
    labels = [_label(v) for v in values]
    slant = which == "x" and (len(labels) > 4 or max(len(l) for l in labels) > 10)
    if which == "x":
        ax.set_xticks(range(len(values)), labels, rotation=30 if slant else 0,
                      ha="right" if slant else "center", fontsize=8)
    else:
        ax.set_yticks(range(len(values)), labels, fontsize=8)


def _spans_decades(values):
    """Positive values over two decades or more: drawn on a log scale."""
    finite = [v for v in values if not math.isnan(v)]
    return bool(finite) and min(finite) > 0 and max(finite) / min(finite) >= 100


def _heatmap(plt, ax, axes, points, col, iy, ix):
    ys, xs = _ordered_values(points, iy), _ordered_values(points, ix)
    grid = [[math.nan] * len(xs) for _ in ys]
    ci = [[math.nan] * len(xs) for _ in ys]
    for p in points:
        r, c = ys.index(p["axes"][iy]), xs.index(p["axes"][ix])
        grid[r][c], ci[r][c] = p["mean"][col], p["ci"][col]
    from matplotlib.colors import LogNorm
    log = _spans_decades([v for row in grid for v in row])
    im = ax.imshow(grid, origin="lower", aspect="auto", cmap="viridis",
                   norm=LogNorm() if log else None)
    _set_ticks(ax, "x", xs)
    _set_ticks(ax, "y", ys)
    ax.set_xlabel(axes[ix])
    ax.set_ylabel(axes[iy])
    plt.colorbar(im, ax=ax, label=col + " (mean over seeds" + (", log scale)" if log else ")"))
    if len(xs) * len(ys) <= 64:
        for r in range(len(ys)):
            for c in range(len(xs)):
                text = "%.3g" % grid[r][c]
                if not math.isnan(ci[r][c]):
                    text += "\n±%.2g" % ci[r][c]
                rgb = im.cmap(im.norm(grid[r][c]))[:3] if not math.isnan(grid[r][c]) else (0, 0, 0)
                light = 0.299 * rgb[0] + 0.587 * rgb[1] + 0.114 * rgb[2] > 0.55
                ax.text(c, r, text, ha="center", va="center", fontsize=7,
                        color="k" if light else "w")


def _curves(ax, axes, points, col, varying):
    ix = varying[0] if varying else 0
    others = varying[1:]
    xs = _ordered_values(points, ix) if axes else [""]
    numeric_x = axes and _all_numeric(xs)
    groups = {}
    for p in points:
        key = tuple(p["axes"][j] for j in others)
        groups.setdefault(key, []).append(p)
    for key, pts in groups.items():
        x = [(_num(p["axes"][ix]) if numeric_x else xs.index(p["axes"][ix])) if axes else 0 for p in pts]
        y = [p["mean"][col] for p in pts]
        e = [0.0 if math.isnan(p["ci"][col]) else p["ci"][col] for p in pts]
        label = ", ".join("%s=%s" % (axes[j], _label(v, 40)) for j, v in zip(others, key)) or None
        ax.errorbar(x, y, yerr=e, marker="o", capsize=3, label=label)
    if axes:
        ax.set_xlabel(axes[ix])
        if not numeric_x:
            _set_ticks(ax, "x", xs)
    if _spans_decades([p["mean"][col] for p in points]):
        ax.set_yscale("log")
    ax.set_ylabel(col + " (mean ± 95% CI)")
    ax.grid(alpha=0.3)
    if others and len(groups) <= 12:
        ax.legend(fontsize=7)


def plot_sweep(folder):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    axes, columns, points = _read_mean_table(os.path.join(folder, "results_mean.csv"))
    varying = _varying_axes(axes, points)
    written = []
    for col in columns:
        values = [p["mean"][col] for p in points if not math.isnan(p["mean"][col])]
        if not values or (len(points) > 1 and max(values) == min(values)):
            continue  # nothing to see: absent, or constant over the grid
        # Wide enough for the categorical labels of the first varying axis.
        n_x = len(_ordered_values(points, varying[-1 if len(varying) == 2 else 0])) if varying else 1
        fig, ax = plt.subplots(figsize=(max(6.0, 1.1 * n_x + 2), 4.5))
        full_cross = (len(varying) == 2 and len({p["axes"] for p in points}) == len(points) and
                      len(points) == len(_ordered_values(points, varying[0])) *
                      len(_ordered_values(points, varying[1])))
        if full_cross:
            _heatmap(plt, ax, axes, points, col, varying[0], varying[1])
        else:
            _curves(ax, axes, points, col, varying)
        ax.set_title(col)
        fig.tight_layout()
        name = "sweep_" + "".join(ch if ch.isalnum() or ch in "._-" else "_" for ch in col) + ".png"
        fig.savefig(os.path.join(folder, name), dpi=120)
        plt.close(fig)
        written.append(name)
    print("figures: " + (", ".join(written) if written else "none (no summary column varies)"))
    return written


def is_sweep_folder(folder):
    return os.path.isfile(os.path.join(folder, "results.csv")) and os.path.isfile(
        os.path.join(folder, "results_mean.csv"))


if __name__ == "__main__":
    if len(sys.argv) != 2 or not is_sweep_folder(sys.argv[1]):
        sys.exit("usage: plot_sweep.py SWEEP_DIR (a folder with results.csv and results_mean.csv)")
    plot_sweep(sys.argv[1])
