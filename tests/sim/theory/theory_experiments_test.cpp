// SPDX-License-Identifier: MIT
// Architecture and descent results of [G23] through the hessian_trace and descent_probability
// experiments (P5–P8, P10–P12 in docs/theory.md), with the corrections of docs/corrections.md
// (C2, C7): Thm A.4's trace is
// 2 d' + d (not 2 d' + d d'), Thm 3.2 is only tested at small lambda dt.
#include <gtest/gtest.h>

#include <cmath>

#include "sim/theory/hessian.h"
#include "tests/sim/theory/theory_util.h"

namespace xb::sim {
namespace {

using test::csv_rows;
using test::metrics_rows;
using test::num;
using test::run_experiment;

TEST(HessianTrace, DepthLawTraceOverNMatches2LOverLMinus1dPlus1) {
  // P5: mean Tr[H]/N within 5 % of 2L/((L-1)d+1) and strictly decreasing in L.
  // 300 inits: a reference NumPy run measured the across-init spread of Tr/N at a few % of the mean, so the
  // standard error of the mean is ~0.3 %; d = 16 and 400 samples keep the test under a second.
  const auto rows = metrics_rows(
      "experiment: {type: hessian_trace, depths: [1, 2, 3, 4, 5], widths: [16], "
      "activations: [linear], samples: 400, inits: 300}\n");
  ASSERT_EQ(rows.size(), 5u);
  double prev = 1e300;
  for (const auto& r : rows) {
    const double L = num(r, "depth"), d = 16;
    const double expect = 2 * L / ((L - 1) * d + 1);
    const double tp = num(r, "trace_per_param");
    EXPECT_NEAR(tp, expect, 0.05 * expect) << "depth " << L;
    EXPECT_NEAR(num(r, "predicted_trace_per_param"), expect, 1e-12);
    EXPECT_LT(tp, prev);
    prev = tp;
    if (L == 1) {
      EXPECT_NEAR(tp, 2.0, 1e-12);  // EXACT: Tr = 2 sum_k mean x_k^2 = 2d
      EXPECT_LE(num(r, "trace_per_param_std"), 1e-12);
    }
  }
}

TEST(HessianTrace, VarianceImpactTrendsForTheThreeFofNCases) {
  // P4 (derived with P5): with E Tr[H] = 2Ld and N = (L-1)d^2 + d, the variance impact per
  // 1/2 sigma^2 dt^2 is Tr/N (f = 1: falls with width and depth), Tr/sqrt(N) (f = sqrt(N):
  // about 2L/sqrt(L-1), width-independent, grows with depth) and Tr (f = N: grows with both).
  const auto rows = metrics_rows(
      "experiment: {type: hessian_trace, depths: [2, 3, 5], widths: [8, 32], "
      "samples: 300, inits: 60}\n");
  ASSERT_EQ(rows.size(), 6u);  // width-major: rows 0-2 width 8, rows 3-5 width 32
  for (int i = 0; i < 3; ++i) {
    const auto &narrow = rows[std::size_t(i)], &wide = rows[std::size_t(i + 3)];
    EXPECT_LT(num(wide, "impact_f1"), 0.5 * num(narrow, "impact_f1"));
    EXPECT_GT(num(wide, "impact_fN"), 2.0 * num(narrow, "impact_fN"));
    EXPECT_NEAR(num(wide, "impact_fsqrt") / num(narrow, "impact_fsqrt"), 1.0, 0.15);
    if (i > 0) {
      EXPECT_LT(num(wide, "impact_f1"), num(rows[std::size_t(i + 2)], "impact_f1"));
      EXPECT_GT(num(wide, "impact_fsqrt"), num(rows[std::size_t(i + 2)], "impact_fsqrt"));
      EXPECT_GT(num(wide, "impact_fN"), num(rows[std::size_t(i + 2)], "impact_fN"));
    }
  }
}

TEST(HessianTrace, WidthVsDepthUsesCorrectedThmA4Trace) {
  // P6: d = 10, unit-norm rows, 1/|D| loss (mse_scale 0.5): Tr[H]_3 ≈ 2 d' + d
  // (within 10 %; [G23]'s 2 d' + d d' is far off, C2), Tr[H]_2 = d_hat + d within 2 %.
  // 40 inits: at d' = 5 the across-init spread of Tr_3 is ~25 %, so the mean is good to ~4 %.
  const auto rows = metrics_rows(
      "experiment: {type: hessian_trace, depths: [2, 3], widths: [5, 50, 400], "
      "inputs: 10, init: unit_rows, mse_scale: 0.5, samples: 300, inits: 40}\n");
  int checked = 0;
  for (const auto& r : rows) {
    const double w = num(r, "width"), tr = num(r, "trace");
    if (num(r, "depth") == 2) {
      EXPECT_NEAR(tr, w + 10, 0.02 * (w + 10)) << "width " << w;
    } else {
      EXPECT_NEAR(tr, 2 * w + 10, 0.10 * (2 * w + 10)) << "width " << w;
      const double seed = num(r, "seed_trace_a4");
      EXPECT_EQ(seed, 2 * w + 10 * w);
      if (w >= 50) { EXPECT_GT(seed, 3 * tr); }  // [G23]'s bound is loose
    }
    ++checked;
  }
  EXPECT_EQ(checked, 6);
}

TEST(HessianTrace, ReluLowersTraceForEveryInitWithOneHiddenLayer) {
  // P7: same weights, 1 hidden layer: Tr_ReLU <= Tr_linear (EXACT, every init); symmetric
  // inputs give a ratio near 0.5 (a reference NumPy run: 0.1891/0.3779 at d = 10).
  double ratio = 0;
  const int inits = 50;
  for (int k = 0; k < inits; ++k) {
    rules::NetworkParams p;
    p.hidden = {10};
    p.bias = false;
    p.activation = "linear";
    rules::Network lin(p, 10, 1, rules::LossKind::mse, 1.0, 0.0);
    lin.initialise(Rng(uint64_t(k + 1), Stream::init));
    p.activation = "relu";
    rules::Network relu(p, 10, 1, rules::LossKind::mse, 1.0, 0.0);
    relu.set_params(lin.params());
    rules::Batch b;
    b.x = test::gaussian(200, 10, uint64_t(k + 1));
    b.y = MatrixD::Zero(200, 1);
    double tl = 0, tr = 0;
    for (double t : theory::gauss_newton_layer_traces(lin, b)) tl += t;
    for (double t : theory::gauss_newton_layer_traces(relu, b)) tr += t;
    EXPECT_LE(tr, tl) << "init " << k;
    ratio += tr / tl / inits;
  }
  EXPECT_NEAR(ratio, 0.5, 0.05);
}

TEST(HessianTrace, ReluLowersMeanTraceInDeeperNets) {
  // P7: deeper nets hold on average over >= 100 inits (not per init).
  const auto rows = metrics_rows(
      "experiment: {type: hessian_trace, depths: [3, 4], widths: [10], "
      "activations: [linear, relu], samples: 200, inits: 100}\n");
  ASSERT_EQ(rows.size(), 4u);
  EXPECT_LT(num(rows[2], "trace"), num(rows[0], "trace"));
  EXPECT_LT(num(rows[3], "trace"), num(rows[1], "trace"));
}

TEST(HessianTrace, Fig3AProtocolTraceIsTwiceMinWidthInputs) {
  // P8: fixed semi-orthogonal first layer, whitened inputs, only the output layer
  // trained: N = h, Tr[H] = 2 min(h, d) exactly.
  const auto rows = metrics_rows(
      "experiment: {type: hessian_trace, protocol: last_layer, depths: [2], "
      "widths: [2, 5, 10, 20, 40], inputs: 10, samples: 300, inits: 3}\n");
  for (const auto& r : rows) {
    const double h = num(r, "width"), expect = 2 * std::min(h, 10.0);
    EXPECT_NEAR(num(r, "trace"), expect, 1e-10 * expect) << h;
    EXPECT_EQ(num(r, "n_params"), h);
    EXPECT_NEAR(num(r, "predicted_trace"), expect, 1e-12);
  }
}

TEST(DescentProbability, Theorem31ThresholdSeparatesDescentFromAscent) {
  // P10: with margins of 2 % on lambda, mean ΔL <= 0 when lambda_max <= threshold
  // and >= 0 when lambda_min >= threshold, for r in {0, 1, 3}.
  for (double r : {0.0, 1.0, 3.0}) {
    const double thr = 2.0 / (0.01 * (1 + r * r));
    const double below = 0.98 * thr, above = 1.02 * thr / 0.5;  // spread 0.5: lambda_min = lambda / 2
    RunFolder* f = nullptr;
    const auto s = run_experiment(
        "experiment: {type: descent_probability, mode: noise, dt: 0.01, n: 5, spread: 0.5, "
        "trials: 100, pairs: 50, noise_ratios: [" + std::to_string(r) + "], lambdas: [" +
            std::to_string(below) + ", " + std::to_string(above) + "]}\n",
        &f);
    EXPECT_NEAR(s["threshold"].get<double>(), thr, 1e-9 * thr);
    const auto rows = csv_rows(f->metrics());
    ASSERT_EQ(rows.size(), 2u);
    EXPECT_LE(num(rows[0], "mean_delta_loss"), 0.0) << r;
    EXPECT_GE(num(rows[1], "mean_delta_loss"), 0.0) << r;
    // The measured mean follows eq. 41 (antithetic MC error of the noise term only).
    for (const auto& row : rows)
      EXPECT_NEAR(num(row, "mean_delta_loss"), num(row, "predicted_mean_delta_loss"),
                  0.02 * (1 + std::abs(num(row, "predicted_mean_delta_loss"))));
  }
}

TEST(DescentProbability, Theorem32BoundHoldsForWorstCaseBiasAtSmallLambdaDt) {
  // P11: b exactly at the bound, beta adversarial on the sphere: max ΔL <= 0 when
  // lambda_max dt <= 0.25. Three times the bound is violated (the check is not vacuous).
  const auto rows = metrics_rows(
      "experiment: {type: descent_probability, mode: bias, dt: 0.01, dims: [1, 5, 25], "
      "bias_ratios: [0.0], trials: 100}\n");
  ASSERT_EQ(rows.size(), 9u);
  for (const auto& r : rows) {
    EXPECT_LE(num(r, "lambda_max_dt"), 0.25);
    if (r.at("setting") == "deterministic") {
      EXPECT_LE(num(r, "worst_case"), 1e-12) << r.at("n");
      EXPECT_EQ(num(r, "prob_descent"), 1.0);
    }
    if (r.at("setting") == "0") { EXPECT_LT(num(r, "worst_case"), -0.8); }  // plain GD
  }
  RunFolder* g = nullptr;
  const double ratio = 3.0 / std::sqrt(5.0);
  run_experiment("experiment: {type: descent_probability, mode: bias, dt: 0.01, dims: [5], "
                 "bias_ratios: [" + std::to_string(ratio) + "], trials: 50}\n",
                 &g);
  EXPECT_GT(num(csv_rows(g->metrics())[0], "worst_case"), 0.0);
}

TEST(DescentProbability, PacBoundDescendsWithHighProbability) {
  // P12 (a reference NumPy run, 4000 trials): P(descent) at the PAC bound 1.000 (N = 1), 0.93
  // (N = 5, accept [0.88, 0.98]), >= 0.99 (N = 25); at the deterministic bound 1 for all N.
  // 1500 trials: binomial standard error at p = 0.93 is 0.007.
  const auto rows = metrics_rows(
      "experiment: {type: descent_probability, mode: bias, dt: 0.001, dims: [1, 5, 25], "
      "trials: 1500, worst_case: false}\n");
  for (const auto& r : rows) {
    const double p = num(r, "prob_descent");
    const int n = std::stoi(r.at("n"));
    if (r.at("setting") == "deterministic") { EXPECT_EQ(p, 1.0) << n; }
    if (r.at("setting") == "pac") {
      if (n == 1) { EXPECT_EQ(p, 1.0); }
      if (n == 5) { EXPECT_TRUE(p >= 0.88 && p <= 0.98) << p; }
      // Spec: >= 0.99 at 4000 trials; 1500 trials have a binomial s.e. of 0.0026 there.
      if (n == 25) { EXPECT_GE(p, 0.98); }
    }
  }
}

}  // namespace
}  // namespace xb::sim
