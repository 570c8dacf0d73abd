# SPDX-License-Identifier: MIT
"""Acceptance checks of the long theory-harness runs (P2-P14 in docs/theory.md), one function per
config of studies/theory/. Usage: check.py NAME RUN_DIR. Prints PASS/FAIL lines; exit 1 on a
failure. Each tolerance is set in its check below, next to the prediction it tests."""
import csv
import json
import os
import sys


def rows(d):
    with open(os.path.join(d, "metrics.csv"), newline="") as f:
        return list(csv.DictReader(f))


def summary(d):
    return json.load(open(os.path.join(d, "summary.json")))


failed = False


def check(name, ok, detail):
    global failed
    print(f"{'PASS' if ok else 'FAIL'} {name}: {detail}")
    failed |= not ok


def fig3a_width(d):
    for r in rows(d):
        h, tr = float(r["width"]), float(r["trace"])
        exp = 2 * min(h, 16)
        check(f"P8 width {h:g}", abs(tr - exp) <= 1e-10 * exp, f"Tr {tr:.12g} vs 2 min(h,d) {exp:g}")


def fig3b_depth(d):
    prev = {}
    for r in rows(d):
        L, tp, act = float(r["depth"]), float(r["trace_per_param"]), r["activation"]
        if act == "linear":
            exp = 2 * L / ((L - 1) * 32 + 1)
            check(f"P5 depth {L:g}", abs(tp - exp) <= 0.05 * exp, f"Tr/N {tp:.4g} vs {exp:.4g}")
        # The prediction's acceptance range is L = 1..5; beyond, consecutive expectations differ by
        # < 3 % and 300 inits no longer resolve the ordering (reported, not asserted).
        if act in prev and (L <= 5 or act != "linear"):
            check(f"P5 decreasing {act} depth {L:g}", tp < prev[act], f"{tp:.4g} < {prev[act]:.4g}")
        prev[act] = tp


def fig3c_width_depth(d):
    by = {}
    for r in rows(d):
        by[(r["activation"], r["depth"], r["width"])] = float(r["trace"])
    for (act, L, w), t in by.items():
        if act == "relu":
            check(f"P7 relu <= linear depth {L} width {w}", t <= by[("linear", L, w)],
                  f"{t:.4g} <= {by[('linear', L, w)]:.4g}")


def fig4a_bias_gradnorm(d):
    rs = rows(d)
    # Relative to the largest predicted term: near the sign change of P the relative error of a
    # single point is meaningless (the third-order remainder is ~constant along the trajectory).
    scale = max(abs(float(r["predicted_bias_term"])) for r in rs)
    worst = max(abs(float(r["measured_bias_term"]) - float(r["predicted_bias_term"])) for r in rs) / scale
    check("P9 bias term along the trajectory", worst <= 0.05, f"max error / max term {worst:.3g}")


def quadratic_fit(x, y):
    """Least-squares c0 + c1 x + c2 x^2 (normal equations, Cramer's rule; no numpy needed)."""
    s = [sum(v ** k for v in x) for k in range(5)]
    t = [sum(yy * v ** k for v, yy in zip(x, y)) for k in range(3)]
    a = [[s[0], s[1], s[2]], [s[1], s[2], s[3]], [s[2], s[3], s[4]]]

    def det(m):
        return (m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1]) -
                m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0]) +
                m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0]))
    d0 = det(a)
    coef = []
    for j in range(3):
        m = [row[:] for row in a]
        for i in range(3):
            m[i][j] = t[i]
        coef.append(det(m) / d0)
    return coef


def fig4b_bias_quadratic(d):
    rs = rows(d)
    for p in sorted({r["point"] for r in rs}):
        sub = [r for r in rs if r["point"] == p]
        b = [float(r["b"]) for r in sub]
        y = [float(r["measured_bias_term"]) for r in sub]
        c = quadratic_fit(b, y)
        res = max(abs(c[0] + c[1] * v + c[2] * v * v - yy) for v, yy in zip(b, y)) / max(abs(v) for v in y)
        # Non-quadratic student: higher orders in b dt remain (accepted within 5 %); the exact
        # (1e-10) version on a quadratic is in ctest.
        check(f"P9 quadratic in b (point {p})", res <= 0.05, f"degree-2 fit residual {res:.2e}")


def fig7(d, mode):
    for r in rows(d):
        lmax, lmin, thr = float(r["lambda_max"]), float(r["lambda_min"]), float(r["threshold"])
        m = float(r["mean_delta_loss"])
        if lmax <= 0.98 * thr:
            check(f"P10 descent lambda_max {lmax:g}", m <= 0, f"mean ΔL/(dt|g|^2) {m:.3g}")
        if lmin >= 1.02 * thr:
            check(f"P10 ascent lambda_min {lmin:g}", m >= 0, f"mean ΔL/(dt|g|^2) {m:.3g}")


def fig7c_bias(d):
    for r in rows(d):
        n, s, p = int(r["n"]), r["setting"], float(r["prob_descent"])
        if s == "deterministic":
            check(f"P11/P12 deterministic N={n}", p == 1.0, f"P(descent) {p:.4f}")
        if s == "pac":
            lo, hi = {1: (1, 1), 5: (0.88, 0.98), 25: (0.99, 1), 100: (0.99, 1)}[n]
            check(f"P12 PAC N={n}", lo <= p <= hi, f"P(descent) {p:.4f} in [{lo}, {hi}]")


def p2_student_teacher(d):
    rs = rows(d)
    rel = {float(r["dt"]): abs(float(r["relative_error"])) for r in rs}
    check("P2 student-teacher dt=1e-3", rel[0.001] <= 0.05, f"relative error {rel[0.001]:.3g}")
    check("P2 error shrinks with dt", rel[0.001] < rel[0.1], f"{rel[0.001]:.3g} < {rel[0.1]:.3g}")


def p6_width_vs_depth(d):
    for r in rows(d):
        w, t = float(r["width"]), float(r["trace"])
        if r["depth"] == "2":
            check(f"P6 2-layer width {w:g}", abs(t - (w + 10)) <= 0.02 * (w + 10), f"Tr {t:.4g} vs {w + 10:g}")
        else:
            check(f"P6 3-layer width {w:g}", abs(t - (2 * w + 10)) <= 0.10 * (2 * w + 10),
                  f"Tr {t:.4g} vs corrected {2 * w + 10:g} (seed eq. 32: {float(r['seed_trace_a4']):g})")


def p11_bias_bound(d):
    for r in rows(d):
        if r["setting"] == "deterministic" and float(r["lambda_max_dt"]) <= 0.25:
            check(f"P11 worst case N={r['n']}", float(r["worst_case"]) <= 1e-12,
                  f"max ΔL/(dt|g|^2) {float(r['worst_case']):.3g}")


def p13_corollary(d):
    rs = rows(d)
    res = {float(r["dt"]): float(r["residual"]) for r in rs}
    se = {float(r["dt"]): float(r["measured_stderr"]) for r in rs}
    for dt in sorted(res):
        print(f"     dt {dt:g}: residual {res[dt]:.3e} (stderr {se[dt]:.1e}), residual/dt^3 {res[dt] / dt ** 3:.3g}")
    ratio = res[0.05] / res[0.025] if res[0.025] else float("inf")
    check("P13 residual third order (0.05 -> 0.025)", 5 <= ratio <= 11 or abs(res[0.025]) <= 3 * se[0.025],
          f"ratio {ratio:.3g}")


CHECKS = {
    "fig3a_width": fig3a_width, "fig3b_depth": fig3b_depth,
    "fig3c_width_depth": fig3c_width_depth, "fig4a_bias_gradnorm": fig4a_bias_gradnorm,
    "fig4b_bias_quadratic": fig4b_bias_quadratic,
    "fig7a_gd": lambda d: fig7(d, "gd"), "fig7b_noise": lambda d: fig7(d, "noise"),
    "fig7c_bias": fig7c_bias, "p2_student_teacher": p2_student_teacher,
    "p6_width_vs_depth": p6_width_vs_depth, "p11_bias_bound": p11_bias_bound,
    "p13_corollary": p13_corollary,
}

if __name__ == "__main__":
    CHECKS[sys.argv[1]](sys.argv[2])
    sys.exit(1 if failed else 0)
