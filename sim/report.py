# SPDX-License-Identifier: MIT
"""A static HTML report of a sweep or run folder: `xbarsim report DIR` runs
`python3 sim/report.py DIR` and writes DIR/report.html.

The page needs nothing but the folder: tables are inline, figures are the folder's PNGs (drawn
afresh first, as `xbarsim plot DIR` would, when matplotlib is there), and the effective configs
are inline text. It opens from the file system in any browser.

Sweep folder (results.csv, results_mean.csv): the headline table (one row per point, the
study's key figures as mean ± 95 % CI over seeds), the full table of means, the figures, the
per-run table, the sweep file and every run's effective config.
Run folder (summary.json, config.yaml): the summary's numbers, the figures, the config.

When the page has loaded, a script writes what it shows into the body's data-check attribute
("tables=N figures=M loaded=K"; K counts figures the browser could decode), so a headless
browser can check the page (studies/run_report.sh).
"""
import csv
import html
import json
import math
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

# The figures a design study compares, in this order, when the runs report them (train and
# estimator_stats summaries); every other numeric column is in the full table.
KEY_COLUMNS = [
    "final_test_loss", "best_test_loss", "test_accuracy", "best_test_accuracy",
    "mean_update_cosine", "mean_bias_along_grad", "mean_bias_across_grad",
    "bias_along_grad", "bias_across_grad", "variance_total", "total_pulses",
    "energy_total_J", "eval_energy_J", "device_time_s", "cycles", "area_mm2",
]

STYLE = """
body { font-family: sans-serif; margin: 2em; color: #222; max-width: 1400px; }
h1 { font-size: 1.5em; } h2 { font-size: 1.2em; margin-top: 2em; border-bottom: 1px solid #ccc; }
table { border-collapse: collapse; font-size: 0.85em; margin: 0.5em 0; }
th, td { border: 1px solid #bbb; padding: 3px 8px; text-align: right; }
th { background: #e8eef7; } td.axis { text-align: left; background: #f6f6f6; }
.ci { color: #777; font-size: 0.85em; }
img { max-width: 48%; margin: 0.5em; border: 1px solid #ddd; vertical-align: top; }
pre { background: #f6f6f6; padding: 0.5em; font-size: 0.8em; overflow-x: auto; }
details { margin: 0.3em 0; }
"""

CHECK_SCRIPT = """
window.addEventListener("load", function () {
  var imgs = document.querySelectorAll("img.figure"), loaded = 0;
  for (var i = 0; i < imgs.length; i++) if (imgs[i].naturalWidth > 0) loaded++;
  document.body.setAttribute("data-check", "tables=" +
    document.querySelectorAll("table.data").length + " figures=" + imgs.length +
    " loaded=" + loaded);
});
"""


def _num(text):
    try:
        return float(text)
    except (TypeError, ValueError):
        return math.nan


def _fmt(value):
    v = _num(value)
    if math.isnan(v):
        return html.escape(str(value))
    return "%.4g" % v


def _read_csv(path):
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    return rows[0], rows[1:]


def _table(header, rows, axis_count=0):
    out = ['<table class="data"><tr>']
    out += ["<th>%s</th>" % html.escape(h) for h in header]
    out.append("</tr>")
    for r in rows:
        out.append("<tr>")
        for i, cell in enumerate(r):
            cls = ' class="axis"' if i < axis_count else ""
            out.append("<td%s>%s</td>" % (cls, cell))
        out.append("</tr>")
    out.append("</table>")
    return "".join(out)


def _figures(folder, names=None):
    """The figures as <img> tags: `names`, else every PNG of the folder but the report's own
    screenshots (report*.png)."""
    if names is None:
        names = sorted(n for n in os.listdir(folder)
                       if n.endswith(".png") and not n.startswith("report"))
    return "".join('<img class="figure" src="%s" alt="%s">' % (html.escape(n), html.escape(n))
                   for n in names), len(names)


def _draw(folder, draw):
    """Draws the folder's figures afresh (a figure left from an earlier sweep into the same
    folder would be stale); returns what `draw` returns, or None without matplotlib."""
    try:
        return draw(folder)
    except ImportError:
        print("report: no figures (python3-matplotlib is not installed)", file=sys.stderr)
        return None


def _pre(path):
    with open(path) as f:
        return "<pre>%s</pre>" % html.escape(f.read())


def sweep_body(folder):
    import plot_sweep
    drawn = _draw(folder, plot_sweep.plot_sweep)
    header, rows = _read_csv(os.path.join(folder, "results_mean.csv"))
    n_axes = header.index("n_seeds")
    axes = header[:n_axes]
    means = [h[:-5] for h in header if h.endswith("_mean") and h[:-5] + "_ci95" in header]
    key = [c for c in KEY_COLUMNS if c in means] or means[:8]

    def cells(row, columns):
        cell = dict(zip(header, row))
        out = []
        for c in columns:
            ci = _num(cell[c + "_ci95"])
            out.append(_fmt(cell[c + "_mean"]) +
                       ("" if math.isnan(ci) else ' <span class="ci">± %.2g</span>' % ci))
        return out

    axis_cells = lambda r: [html.escape(v) for v in r[:n_axes]]
    runs_ok = sum(int(_num(dict(zip(header, r)).get("n_ok", 0))) for r in rows)
    runs = sum(int(_num(dict(zip(header, r)).get("n_seeds", 0))) for r in rows)
    parts = ["<p>%d points, %d runs, %d of them ok. Means over seeds ± the half-width of the "
             "95 %% Student-t interval.</p>" % (len(rows), runs, runs_ok)]
    parts.append("<h2>Key figures</h2>")
    parts.append(_table(axes + ["ok / seeds"] + key,
                        [axis_cells(r) + ["%s / %s" % (dict(zip(header, r))["n_ok"],
                                                       dict(zip(header, r))["n_seeds"])] +
                         cells(r, key) for r in rows], n_axes))
    figures, _ = _figures(folder, drawn)
    parts.append("<h2>Figures</h2>" + (figures or "<p>none</p>"))
    parts.append("<h2>Every summary figure</h2><details><summary>%d columns</summary>%s</details>"
                 % (len(means), _table(axes + means, [axis_cells(r) + cells(r, means)
                                                      for r in rows], n_axes)))
    rh, rr = _read_csv(os.path.join(folder, "results.csv"))
    parts.append("<h2>Runs</h2><details><summary>%d runs (results.csv)</summary>%s</details>" % (
        len(rr), _table(rh, [[_fmt(c) for c in r] for r in rr], rh.index("seed") + 1)))
    parts.append("<h2>Configs</h2>")
    for name in ("sweep.yaml", "base.yaml"):
        path = os.path.join(folder, name)
        if os.path.isfile(path):
            parts.append("<details><summary>%s</summary>%s</details>" % (name, _pre(path)))
    run_root = os.path.join(folder, "runs")
    for run in sorted(os.listdir(run_root)) if os.path.isdir(run_root) else []:
        path = os.path.join(run_root, run, "config.yaml")
        if os.path.isfile(path):
            parts.append("<details><summary>runs/%s/config.yaml</summary>%s</details>"
                         % (html.escape(run), _pre(path)))
    return "".join(parts)


def run_body(folder):
    import plot
    _draw(folder, lambda d: plot.main(["plot.py", d]))
    with open(os.path.join(folder, "summary.json")) as f:
        summary = json.load(f)
    scalars = [(k, v) for k, v in summary.items() if isinstance(v, (int, float, str))]
    parts = ["<h2>Summary</h2>",
             _table(["key", "value"], [[html.escape(k), _fmt(v)] for k, v in scalars], 1)]
    figures, _ = _figures(folder)
    parts.append("<h2>Figures</h2>" + (figures or "<p>none</p>"))
    parts.append("<h2>Config</h2>" + _pre(os.path.join(folder, "config.yaml")))
    return "".join(parts)


def write_report(folder):
    sweep = os.path.isfile(os.path.join(folder, "results_mean.csv"))
    if not sweep and not os.path.isfile(os.path.join(folder, "summary.json")):
        sys.exit("report: %s is neither a sweep folder (results_mean.csv) nor a run folder "
                 "(summary.json)" % folder)
    body = sweep_body(folder) if sweep else run_body(folder)
    title = "xbarsim %s: %s" % ("design study" if sweep else "run",
                                os.path.basename(os.path.abspath(folder)))
    page = ("<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>%s</title>"
            "<style>%s</style><script>%s</script></head><body><h1>%s</h1>%s</body></html>\n"
            % (html.escape(title), STYLE, CHECK_SCRIPT, html.escape(title), body))
    path = os.path.join(folder, "report.html")
    with open(path + ".tmp", "w") as f:
        f.write(page)
    os.replace(path + ".tmp", path)
    print("report: " + path)
    return path


if __name__ == "__main__":
    if len(sys.argv) != 2 or not os.path.isdir(sys.argv[1]):
        sys.exit("usage: report.py DIR (a sweep or run folder)")
    write_report(sys.argv[1])
