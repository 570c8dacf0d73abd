# SPDX-License-Identifier: MIT
"""Figures of the theory-harness experiments ([G23] Figs. 3, 4, 7, 8), with the theory drawn
over the measurements. Imported by sim/plot.py (PLOTTERS entries)."""
import csv
import json
import os
from collections import defaultdict


def _rows(run_dir):
    with open(os.path.join(run_dir, "metrics.csv"), newline="") as f:
        return list(csv.DictReader(f))


def _f(r, k):
    return float(r[k]) if r.get(k, "") != "" else float("nan")


def _save(fig, run_dir, name):
    fig.tight_layout()
    fig.savefig(os.path.join(run_dir, name), dpi=120)


def plot_hessian_trace(run_dir, config, plt):
    """Fig. 3A (protocol last_layer): Tr[H]/N against width with 2 min(h, d)/h.
    Otherwise Fig. 3B (Tr[H]/N against N, one line per activation and width, over depth) and
    Fig. 3C (against width, one line per activation and depth); dashed: the linear-network
    expectation 2 mse_scale sum fan_in / N."""
    rows = _rows(run_dir)
    last_layer = "last_layer" in open(os.path.join(run_dir, "config.yaml")).read()
    if last_layer:
        fig, ax = plt.subplots(figsize=(6, 4.5))
        w = [_f(r, "width") for r in rows]
        ax.plot(w, [_f(r, "trace_per_param") for r in rows], "o", label="measured Tr[H]/N")
        ax.plot(w, [_f(r, "predicted_trace_per_param") for r in rows], "k--", label="2 min(h, d) / h")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("hidden width h")
        ax.set_ylabel("Tr[H]/N  (∝ ΔL(0, σ²) at f(N) = 1)")
        ax.set_title("Fig. 3A: width, only the output layer trained")
        ax.legend()
        _save(fig, run_dir, "fig3a_width.png")
        plt.close(fig)
        return
    for xkey, group, name, title in (
            ("n_params", "width", "fig3b_params.png", "Fig. 3B: Tr[H]/N vs parameters (over depth)"),
            ("width", "depth", "fig3c_width.png", "Fig. 3C: Tr[H]/N vs width")):
        lines = defaultdict(list)
        for r in rows:
            lines[(r["activation"], r[group])].append(r)
        fig, ax = plt.subplots(figsize=(6.5, 4.5))
        theory_labelled = False
        for (act, g), rs in sorted(lines.items()):
            rs.sort(key=lambda r: _f(r, xkey))
            x = [_f(r, xkey) for r in rs]
            style = "-o" if act == "linear" else "--s" if act == "relu" else ":^"
            p = ax.plot(x, [_f(r, "trace_per_param") for r in rs], style, ms=4,
                        label=f"{act}, {group} {g}")
            if act == "linear":
                ax.plot(x, [_f(r, "predicted_trace_per_param") for r in rs], "k:", lw=2, zorder=5,
                        label="theory (linear)" if not theory_labelled else None)
                theory_labelled = True
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel(xkey)
        ax.set_ylabel("Tr[H]/N")
        ax.set_title(title + "\n(black dotted: 2 mse_scale Σ fan_in / N, linear nets)", fontsize="medium")
        ax.legend(fontsize="x-small")
        _save(fig, run_dir, name)
        plt.close(fig)


def plot_delta_loss(run_dir, config, plt):
    """one_step: Fig. 4A (bias term vs ||g|| along the trajectory) or Fig. 4B (bias term vs b),
    and measured vs predicted ΔL against dt; multi_step: |residual| vs dt with a dt^3 guide;
    steady_state: excess loss vs step with 1/2 b^T H^-1 b (corrected, docs/corrections.md C4) and [G23]'s 1/2 b^T H b."""
    rows = _rows(run_dir)
    summary = json.load(open(os.path.join(run_dir, "summary.json")))
    cols = rows[0].keys() if rows else []
    if "excess_loss" in cols:
        fig, ax = plt.subplots(figsize=(6.5, 4.5))
        ax.plot([_f(r, "step") for r in rows], [_f(r, "excess_loss") for r in rows], label="measured")
        ax.axhline(summary["predicted_excess_loss"], color="k", ls="--", label="½ bᵀH⁻¹b (corrected)")
        ax.axhline(summary["seed_excess_loss"], color="r", ls=":", label="½ bᵀHb (seed)")
        ax.set_yscale("log")
        ax.set_xlabel("step")
        ax.set_ylabel("loss")
        ax.legend()
        _save(fig, run_dir, "steady_state.png")
        plt.close(fig)
        return
    if "residual" in cols:
        fig, ax = plt.subplots(figsize=(6, 4.5))
        dt = [_f(r, "dt") for r in rows]
        res = [abs(_f(r, "residual")) for r in rows]
        ax.errorbar(dt, res, yerr=[_f(r, "measured_stderr") for r in rows], fmt="o", label="|measured − eq. 19|")
        ax.plot(dt, [res[0] * (x / dt[0]) ** 3 for x in dt], "k--", label="∝ Δt³")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("Δt")
        ax.set_ylabel("|residual|")
        ax.set_title("Cor. A.2: multi-step expansion")
        ax.legend()
        _save(fig, run_dir, "corollary_a2.png")
        plt.close(fig)
        return
    bs = sorted({_f(r, "b") for r in rows})
    points = sorted({int(_f(r, "point")) for r in rows})
    dts = sorted({_f(r, "dt") for r in rows})
    if len(bs) > 1:
        fig, ax = plt.subplots(figsize=(6.5, 4.5))
        for p in points:
            rs = [r for r in rows if int(_f(r, "point")) == p and _f(r, "dt") == dts[0]]
            rs.sort(key=lambda r: _f(r, "b"))
            # Each curve scaled by its largest |ΔL| so that the linear (large ‖g‖) and quadratic
            # (‖g‖ → 0) regimes show on one axis.
            sc = max(abs(_f(r, "measured_bias_term")) for r in rs) or 1.0
            q = ax.plot([_f(r, "b") for r in rs], [_f(r, "measured_bias_term") / sc for r in rs], "o",
                        ms=4, label=f"‖g‖ = {_f(rs[0], 'grad_norm'):.3g} (scale {sc:.2g})")
            ax.plot([_f(r, "b") for r in rs], [_f(r, "predicted_bias_term") / sc for r in rs], "--",
                    color=q[0].get_color())
        ax.set_xlabel("b")
        ax.set_ylabel("ΔL(b, 0) / max |ΔL(b, 0)|")
        ax.set_title("Fig. 4B: bias impact vs b (dashed: Thm 2.4)")
        ax.legend(fontsize="small")
        _save(fig, run_dir, "fig4b_bias_b.png")
        plt.close(fig)
    if len(points) > 1:
        rs = [r for r in rows if _f(r, "dt") == dts[0] and _f(r, "b") == bs[0]]
        rs.sort(key=lambda r: _f(r, "grad_norm"))
        fig, ax = plt.subplots(figsize=(6.5, 4.5))
        ax.plot([_f(r, "grad_norm") for r in rs], [_f(r, "measured_bias_term") for r in rs], "o",
                ms=4, label="measured ΔL(b, 0)")
        ax.plot([_f(r, "grad_norm") for r in rs], [_f(r, "predicted_bias_term") for r in rs], "k--",
                label="Thm 2.4: ½b²QΔt² + b‖g‖PΔt")
        ax.set_xlabel("‖∇L‖")
        ax.set_ylabel("ΔL(b, 0)")
        ax.set_title(f"Fig. 4A: bias impact vs gradient norm (b = {bs[0]:g})")
        ax.legend()
        _save(fig, run_dir, "fig4a_bias_gradnorm.png")
        plt.close(fig)
    if len(dts) > 1:
        rs = [r for r in rows if int(_f(r, "point")) == points[0] and _f(r, "b") == bs[0]]
        rs.sort(key=lambda r: _f(r, "dt"))
        fig, ax = plt.subplots(figsize=(6, 4.5))
        x = [_f(r, "dt") for r in rs]
        ax.errorbar(x, [abs(_f(r, "measured_delta_loss")) for r in rs],
                    yerr=[_f(r, "measured_stderr") for r in rs], fmt="o", label="|measured ΔL|")
        ax.plot(x, [abs(_f(r, "predicted_delta_loss")) for r in rs], "k--", label="|Lemma 2.1|")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("Δt")
        ax.set_ylabel("|ΔL|")
        ax.set_title("Lemma 2.1: measured vs predicted")
        ax.legend()
        _save(fig, run_dir, "lemma21_dt.png")
        plt.close(fig)


def plot_descent_probability(run_dir, config, plt):
    """noise mode (Fig. 7A/B): probability of descent and mean ΔL/(dt‖g‖²) against λ_max with
    the Thm 3.1 threshold; bias mode (Fig. 7C / 8): probability of descent against b/‖g‖ per N
    with the deterministic (eq. 8, black dashed) and PAC (eq. 58, gray dash-dot) bounds."""
    rows = _rows(run_dir)
    if "lambda_max" in rows[0]:
        for r0 in sorted({r["noise_ratio"] for r in rows}):
            rs = [r for r in rows if r["noise_ratio"] == r0]
            fig, ax = plt.subplots(figsize=(6.5, 4.5))
            x = [_f(r, "lambda_max") for r in rs]
            ax.plot(x, [_f(r, "prob_descent") for r in rs], "o-", label="P(descent), single update")
            ax.plot(x, [_f(r, "prob_mean_descent") for r in rs], "s-", label="P(mean ΔL < 0)")
            ax2 = ax.twinx()
            ax2.plot(x, [_f(r, "mean_delta_loss") for r in rs], "^", color="tab:green", ms=4,
                     label="mean ΔL/(Δt‖g‖²)")
            ax2.plot(x, [_f(r, "predicted_mean_delta_loss") for r in rs], ":", color="tab:green")
            ax2.set_ylabel("mean ΔL / (Δt ‖g‖²)", color="tab:green")
            ax2.axhline(0, color="tab:green", lw=0.5)
            ax.axvline(_f(rs[0], "threshold"), color="k", ls="--", label="Thm 3.1: 2/(Δt(1+r²))")
            ax.set_xlabel("λ_max (λ_min = (1 − spread) λ_max)")
            ax.set_ylabel("probability")
            ax.set_title(f"Fig. 7{'A' if float(r0) == 0 else 'B'}: noise ratio r = {float(r0):g}")
            ax.legend(fontsize="small", loc="center left")
            _save(fig, run_dir, f"fig7_noise_r{float(r0):g}.png")
            plt.close(fig)
        return
    ns = sorted({int(r["n"]) for r in rows})
    fig, axes = plt.subplots(1, len(ns), figsize=(4 * len(ns), 4), squeeze=False)
    for ax, n in zip(axes[0], ns):
        rs = [r for r in rows if int(r["n"]) == n]
        ratio = [r for r in rs if r["setting"] not in ("deterministic", "pac")]
        ax.plot([_f(r, "bias_ratio") for r in ratio], [_f(r, "prob_descent") for r in ratio], "o-",
                label="P(descent), β = 1")
        for r in rs:
            if r["setting"] == "deterministic":
                ax.axvline(_f(r, "bias_ratio"), color="k", ls="--", label=f"eq. 8 (P={_f(r, 'prob_descent'):.2f})")
            if r["setting"] == "pac":
                ax.axvline(_f(r, "bias_ratio"), color="0.5", ls="-.", label=f"PAC eq. 58 (P={_f(r, 'prob_descent'):.2f})")
        ax.set_xscale("symlog", linthresh=0.05)
        ax.set_xlabel("b / ‖g‖")
        ax.set_ylabel("probability of descent")
        ax.set_title(f"N = {n}")
        ax.legend(fontsize="x-small")
    fig.suptitle("Fig. 7C / Fig. 8: bias ratio and the Thm 3.2 bounds")
    _save(fig, run_dir, "fig7c_bias.png")
    plt.close(fig)


def plot_estimator_stats(run_dir, config, plt):
    """Variance of the estimate against the number of parameters (empirical f(N)), and
    predicted vs measured ΔL, one point per width."""
    rows = _rows(run_dir)
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(10, 4))
    n = [_f(r, "n_params") for r in rows]
    a1.plot(n, [_f(r, "variance_total") for r in rows], "o-")
    a1.set_xscale("log")
    a1.set_yscale("log")
    a1.set_xlabel("N")
    a1.set_ylabel("total variance of the estimate")
    a2.errorbar([_f(r, "predicted_delta_loss") for r in rows], [_f(r, "measured_delta_loss") for r in rows],
                yerr=[_f(r, "measured_stderr") for r in rows], fmt="o")
    lo = min(min(_f(r, "predicted_delta_loss"), _f(r, "measured_delta_loss")) for r in rows)
    hi = max(max(_f(r, "predicted_delta_loss"), _f(r, "measured_delta_loss")) for r in rows)
    a2.plot([lo, hi], [lo, hi], "k--", lw=0.8)
    a2.set_xlabel("predicted ΔL (Lemma 2.1, measured moments)")
    a2.set_ylabel("measured ΔL")
    _save(fig, run_dir, "estimator_stats.png")
    plt.close(fig)
