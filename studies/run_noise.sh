#!/bin/sh
# SPDX-License-Identifier: MIT
# Long STAT checks of the structured-noise predictions (P23-P59 in docs/theory.md) at the step
# counts of their reference simulations: runs studies/noise/*.yaml (with --set variations) into
# runs/noise/<case> and prints predicted vs measured with each check's tolerance and PASS/FAIL. About 1-2 minutes on one core.
# Usage: studies/run_noise.sh [BUILD_DIR]
set -eu
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../build}
exec python3 - "$build/sim/xbarsim" "$here/noise" "$here/../runs/noise" <<'PY'
import json, os, subprocess, sys
xbarsim, cfgdir, outdir = sys.argv[1:4]
os.makedirs(outdir, exist_ok=True)

def run(case, cfg, sets=()):
    out = os.path.join(outdir, case)
    cmd = [xbarsim, "run", os.path.join(cfgdir, cfg), "--out", out, "--force", "--quiet"]
    for s in sets:
        cmd += ["--set", s]
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    return json.load(open(os.path.join(out, "summary.json")))

rows, failures = [], 0
def check(p, case, predicted, measured, tol, spec=None, kind="rel"):
    """kind: rel | abs | info (reported only: heavy-tailed regimes, P23/P28 in docs/theory.md)."""
    global failures
    err = abs(measured - predicted) / (abs(predicted) if kind != "abs" else 1.0)
    ok = err <= tol or kind == "info"
    if kind == "info":
        tol = "info"
    failures += not ok
    rows.append((p, case, predicted, measured, spec, tol, ok))

# P36/P37 white noise, 1-D (reference: 4e5 steps).
for lr, spec in [(0.5, 0.3333), (1.0, 1.0), (1.5, 3.0), (1.9, 19.0)]:
    s = run(f"white_lr{lr}", "white_1d.yaml", [f"experiment.dt={lr}"])
    check("P37", f"SGD k=1 c=1 lr={lr}", s["predicted_cov"][0], s["measured_cov"][0],
          0.03, spec)
for mu, spec in [(0.45, 48.33), (0.6, 24.44), (0.8, 29.12)]:
    s = run(f"white_mom{mu}", "white_1d.yaml",
            ["experiment.dt=2.75", f"experiment.momentum={mu}", "experiment.steps=1000000"])
    check("P37", f"momentum lr=2.75 mu={mu}", s["predicted_cov"][0], s["measured_cov"][0],
          0.05, spec)
# P37/P40 non-commuting 2-D (reference: 6e5 steps, 3 % of the largest diagonal; train 2 %).
for lr, mu, spec, spec_train in [(1.5, 0.0, 2.2348, 1.3019), (1.0, 0.5, 1.1174, 0.7941),
                                 (2.5, 0.6, 10.642, 6.0923)]:
    s = run(f"noncomm_{lr}_{mu}", "noncommuting_2d.yaml",
            [f"experiment.dt={lr}", f"experiment.momentum={mu}"])
    big = max(s["predicted_cov"][0], s["predicted_cov"][3])
    check("P37", f"2-D lr={lr} mu={mu} Sigma_00", s["predicted_cov"][0], s["measured_cov"][0],
          0.03 * big, spec, "abs")
    check("P40", f"2-D lr={lr} mu={mu} train error", s["predicted_train_error"],
          s["measured_train_error"], 0.02, spec_train)
# P23/P26 label noise 1-D (reference: 3e5 steps, 3 %).
for lr, mu, spec in [(0.5, 0.0, 0.0357), (1.0, 0.0, 0.1250), (1.4, 0.0, 0.4375),
                     (0.5, 0.5, 0.0682), (1.0, 0.3, 0.1512)]:
    s = run(f"label_{lr}_{mu}", "label_noise.yaml",
            [f"experiment.dt={lr}", f"experiment.momentum={mu}"])
    check("P23", f"label a=1 S=10 lr={lr} mu={mu}", s["predicted_cov"][0], s["measured_cov"][0],
          0.03, spec)
    if lr == 1.0 and mu == 0.0:
        check("P26", "test loss a=1 S=10 lr=1", s["predicted_test_error"],
              s["measured_test_error"], 0.03, 0.0625)
        check("P26", "train loss a=1 S=10 lr=1", s["predicted_train_error"],
              s["measured_train_error"], 0.03, 0.5625)
        check("P25", "noise cov a=1 S=10 lr=1", s["predicted_noise_cov"][0],
              s["measured_noise_cov"][0], 0.03)
# The 3 % tolerance applies only where the tail index 2S/(a lr) - S >= 6 (P23, P34 in
# docs/theory.md); S = 10 has 3.3, so it is reported only (the reference simulation measured
# 0.826 for 0.8443).
for S, spec0, spec1 in [(50, 0.06908, 0.02629), (10, 0.8443, 0.2515)]:
    s = run(f"label2d_S{S}", "label_noise_2d.yaml", [f"task.batch={S}"])
    kind = "rel" if S == 50 else "info"
    check("P23", f"2-D A=diag(1,.5) lr=1.5 S={S} Sigma_00", s["predicted_cov"][0],
          s["measured_cov"][0], 0.03, spec0, kind)
    check("P23", f"2-D A=diag(1,.5) lr=1.5 S={S} Sigma_11", s["predicted_cov"][3],
          s["measured_cov"][3], 0.03, spec1, kind)
# P27 input noise.
s = run("input_noise", "input_noise.yaml")
check("P27", "input noise B=0.5 S=4 lr=0.5 Sigma", s["predicted_cov"][0], s["measured_cov"][0], 0.03)
check("P27", "input noise train loss", s["predicted_train_error"], s["measured_train_error"], 0.03)
# P28 L2 (test loss; slow near the stability edge, tolerance 10 % at gamma = -0.2).
for g, lr, S, spec, tol in [(0.5, 0.5, 1, 5 / 42, 0.03), (-0.2, 0.5, 1, 1 / 7, 0.10),
                            (0.3, 0.3, 10, 0.0274131, 0.03)]:
    s = run(f"l2_{g}_{lr}_{S}", "l2.yaml", [f"task.l2=[{g}]", f"experiment.dt={lr}",
                                             f"task.batch={S}"])
    check("P28", f"L2 gamma={g} lr={lr} S={S} test loss", s["predicted_test_error"],
          s["measured_test_error"], tol, spec)
# P29: at the optimum gamma* = -0.170 (S = 10, lr = 1.8) the iterates are heavy-tailed
# (lr K = 1.49 near the edge): Monte Carlo underestimates slowly, so this is reported only; the
# EXACT check is the ctest Z22.NegativeOptimalWeightDecay (moment recursion).
s_opt = run("l2_opt", "l2.yaml", ["task.l2=[-0.17]", "experiment.dt=1.8", "task.batch=10"])
check("P29", "gamma*=-0.170 S=10 lr=1.8 test loss", s_opt["predicted_test_error"],
      s_opt["measured_test_error"], 0.05, 0.1469, "info")
# P34 tail index (Hill, top 0.5 %): within [0.7, 1.05] x formula 4, below 0.7 x continuous 9.
s = run("tail_index", "tail_index.yaml")
h = s["tail_index_hill"]
ok = 0.7 * 4 <= h <= 1.05 * 4 and h < 0.7 * 9
failures += not ok
rows.append(("P34", "Hill tail index (a,lr,S)=(1,1,4)", 4.0, h, 3.50, "[0.7,1.05]x", ok))
# P44 non-Gaussian noise (5 %).
for law, c in [("student_t4", 2.0), ("chi2_3", 6.0)]:
    for lr in (0.5, 1.5):
        s = run(f"nongauss_{law}_{lr}", "nongaussian.yaml",
                [f"experiment.extra_noise_law={law}", f"experiment.noise_cov=[[{c}]]",
                 f"experiment.dt={lr}"])
        check("P44", f"{law} lr={lr}", s["predicted_cov"][0], s["measured_cov"][0], 0.05)
# P45 L21 minibatch experiment (exact minibatch theory; 3 %).
for lr in (0.2, 0.5, 0.8):
    s = run(f"minibatch_l21_{lr}", "minibatch_l21.yaml", [f"experiment.dt={lr}"])
    check("P45", f"N=1000 S=100 lr={lr} Sigma_00", s["predicted_cov"][0], s["measured_cov"][0], 0.05)
    check("P45", f"N=1000 S=100 lr={lr} Sigma_11", s["predicted_cov"][3], s["measured_cov"][3], 0.05)
# P58 Levy SDE on the quartic (reference: L1 and mass_positive).
levy = {}
for a, th, spec_l1, spec_mass in [(2.0, 0.0, 0.020, None), (1.9, 0.0, 0.026, None),
                                  (1.9, 0.9, 0.060, 0.479), (1.9, -0.9, 0.081, 0.533),
                                  (1.5, 0.0, 0.149, None), (1.5, 0.9, 0.465, 0.318),
                                  (1.1, 0.0, 0.270, None), (1.1, 0.5, 1.19, 0.119),
                                  (1.1, 0.9, 1.46, 0.077)]:
    s = run(f"levy_{a}_{th}", "levy_quartic.yaml",
            [f"experiment.alpha={a}", f"experiment.theta={th}"])
    levy[(a, th)] = s
    rows.append(("P58", f"alpha={a} theta={th} L1 to Gibbs (clipped {s['clip_count']})",
                 spec_l1, s["l1_gibbs"], None, "", True))
    if spec_mass is not None:
        ok = (s["mass_positive"] < 0.5) == (th > 0)
        failures += not ok
        rows.append(("P58", f"alpha={a} theta={th} mass(w>0)", spec_mass, s["mass_positive"],
                     None, "sign", ok))
ok = levy[(2.0, 0.0)]["l1_gibbs"] <= 0.05
failures += not ok
rows.append(("P58", "alpha=2 L1 <= 0.05", 0.05, levy[(2.0, 0.0)]["l1_gibbs"], None, "<=", ok))
for th in (0.0,):
    seq = [levy[(a, th)]["l1_gibbs"] for a in (1.9, 1.5, 1.1)]
    ok = seq[0] < seq[1] < seq[2]
    failures += not ok
    rows.append(("P58", "L1 increasing as alpha decreases (theta=0)", None, None, None, "order", ok))
# P59 (Thm 4.1): the fractional drift keeps the Gibbs measure where the gradient drift shifts it.
for a, th in [(1.9, -0.9), (1.5, 0.9), (1.1, 0.5), (1.1, 0.9)]:
    s = run(f"fracdrift_{a}_{th}", "levy_quartic.yaml",
            [f"experiment.alpha={a}", f"experiment.theta={th}", "experiment.drift=fractional"])
    ok = s["l1_gibbs"] <= 0.1 and abs(s["mass_positive"] - 0.5) <= 0.05
    failures += not ok
    rows.append(("P59", f"alpha={a} theta={th} fractional L1 (tamed {s['tamed_count']})", 0.0,
                 s["l1_gibbs"], None, "<=0.1", ok))
# P59 Thm 4.2 (QUAL): eq. 4.8's b_{h,K} with h = 2e-3; the error grows as K decreases.
gl = []
for K in (0, 10, 100, 300, 3000):
    s = run(f"fracgl_K{K}", "levy_quartic.yaml",
            ["experiment.alpha=1.5", "experiment.theta=0.9", "experiment.drift=fractional_gl",
             f"experiment.drift_terms={K}"])
    gl.append(s["l1_gibbs"])
    rows.append(("P59", f"alpha=1.5 theta=0.9 eq. 4.8 K={K} L1", None, s["l1_gibbs"], None, "", True))
ok = all(a > b for a, b in zip(gl, gl[1:]))
failures += not ok
rows.append(("P59", "Thm 4.2: L1 decreasing in K", None, None, None, "order", ok))

print(f"{'P':4s} {'case':48s} {'predicted':>11s} {'measured':>11s} {'tol':>10s}  result")
for p, case, pred, meas, spec, tol, ok in rows:  # spec: the reference value (docs/structured-noise.md)
    f = lambda v: f"{v:11.5g}" if isinstance(v, (int, float)) else f"{'':11s}"
    t = f"{tol:.3g}" if isinstance(tol, float) else str(tol)
    res = 'info' if t == 'info' else ('PASS' if ok else 'FAIL')
    print(f"{p:4s} {case:48s} {f(pred)} {f(meas)} {t:>10s}  {res}")
print(f"{failures} failure(s)")
sys.exit(1 if failures else 0)
PY
