// SPDX-License-Identifier: MIT
// [G23] Lemma 2.1 and its consequences, measured by the delta_loss experiment (P2, P3, P4, P9,
// P13, P14 in docs/theory.md), with the corrections of docs/corrections.md (antithetic sampling
// instead of the zero-sum trick, P17 and C5; the steady-state excess loss 1/2 b^T H^-1 b, C4).
#include <gtest/gtest.h>

#include <Eigen/Eigenvalues>
#include <cmath>
#include <sstream>

#include "hw_models/core/errors.h"

#include "sim/tasks/task.h"
#include "sim/theory/lemma.h"
#include "tests/sim/theory/theory_util.h"

namespace xb::sim {
namespace {

using test::run_experiment;
using test::yaml_list;
using test::yaml_matrix;

// The P2 setting: N = 20, H = Q Q^T / N + 0.1 I, random w, w* = 0.
std::string p2_task(Index n = 20) {
  const MatrixD h = test::random_spd(n, 1);
  const VectorD w0 = test::gaussian(n, 1, 2, 3);
  return "task: {type: quadratic, hessian: " + yaml_matrix(h) + ", w_star: " +
         yaml_list(VectorD::Zero(n)) + ", w0: " + yaml_list(w0) + "}\n";
}

std::string rule(double b, double sigma, const std::string& f = "N",
                 const std::string& sampling = "antithetic") {
  return "rule: {type: synthetic, b: " + std::to_string(b) + ", sigma: " + std::to_string(sigma) +
         ", beta: ones, f_of_n: " + f + ", noise: gaussian, sampling: " + sampling + "}\n";
}

TEST(DeltaLoss, Lemma21OnQuadraticWithin2PercentAtEveryStep) {
  // P2: 1000 antithetic pairs; an independent NumPy check gave errors 7e-5, 1e-3, 8.6e-3.
  RunFolder* f = nullptr;
  const auto s = run_experiment(p2_task() + rule(0.02, 0.5) +
                                    "experiment: {type: delta_loss, dt: 0.001, dts: [0.001, 0.01, 0.1], "
                                    "draws: 2000}\n",
                                &f);
  for (const char* k : {"n_params", "grad_norm", "hessian_trace", "predicted_bias_term",
                        "predicted_variance_term", "predicted_delta_loss", "measured_delta_loss",
                        "measured_stderr"})
    EXPECT_TRUE(s.contains(k)) << k;
  EXPECT_EQ(s["n_params"].get<int>(), 20);
  EXPECT_NEAR(s["hessian_trace"].get<double>(), test::random_spd(20, 1).trace(), 1e-10);
  Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> es(test::random_spd(20, 1));
  EXPECT_NEAR(s["lambda_max"].get<double>(), es.eigenvalues().maxCoeff(), 1e-10);
  EXPECT_NEAR(s["lambda_min"].get<double>(), es.eigenvalues().minCoeff(), 1e-10);
  EXPECT_EQ(s["hessian_trace_stderr"].get<double>(), 0.0);
  EXPECT_EQ(f->metrics().rows(), 3u);
  const std::string csv = f->metrics().to_csv();
  // Parse relative_error (last column) of the three rows.
  std::istringstream in(csv);
  std::string line;
  std::getline(in, line);
  int rows = 0;
  while (std::getline(in, line)) {
    const double rel = std::stod(line.substr(line.rfind(',') + 1));
    EXPECT_LE(std::abs(rel), 0.02) << line;
    ++rows;
  }
  EXPECT_EQ(rows, 3);
}

TEST(DeltaLoss, BiasAndVarianceImpactsAreIndependent) {
  // P3: cross terms b sigma <beta, H n> cancel pairwise under antithetic sampling;
  // what is left is rounding of loss differences (~1e-16 |L| per evaluation).
  const auto s = run_experiment(p2_task() + rule(0.02, 0.5) +
                                "experiment: {type: delta_loss, dt: 0.1, draws: 200}\n");
  const double total = s["measured_delta_loss"].get<double>();
  EXPECT_LE(std::abs(s["independence_residual"].get<double>()), 1e-12 * std::abs(total));
  EXPECT_NEAR(s["measured_bias_term"].get<double>() + s["measured_variance_term"].get<double>(),
              total, 1e-12 * std::abs(total));
  // Not vacuous: with i.i.d. draws the cross term does not cancel exactly.
  const auto iid = run_experiment(p2_task() + rule(0.02, 0.5, "N", "iid") +
                                  "experiment: {type: delta_loss, dt: 0.1, draws: 200}\n");
  EXPECT_GT(std::abs(iid["independence_residual"].get<double>()), 1e-10 * std::abs(total));
}

TEST(DeltaLoss, VarianceImpactScalesWithFofN) {
  // P4: impact 1/2 sigma^2 f(N)/N Tr[H] dt^2 for f in {1, sqrt(N), N}; the
  // antithetic mean of the pure-noise term has MC error ~ sqrt(2/N/pairs) ≈ 1 %.
  double prev = 0;
  for (const char* f : {"1", "sqrt(N)", "N"}) {
    const auto s = run_experiment(p2_task() + rule(0.0, 0.5, f) +
                                  "experiment: {type: delta_loss, dt: 0.01, draws: 2000}\n");
    const double pred = s["predicted_variance_term"].get<double>();
    EXPECT_NEAR(s["measured_delta_loss"].get<double>(), pred, 0.03 * pred) << f;
    EXPECT_GT(pred, prev);
    prev = pred;
  }
}

TEST(DeltaLoss, BiasImpactIsAffineInGradNormAndQuadraticInB) {
  // P9 (a): scale w - w* by s; Δ L(b, 0) = 1/2 b^2 Q dt^2 + s b ||g0|| P dt.
  const Index n = 8;
  const MatrixD h = test::random_spd(n, 4);
  const VectorD dir = test::gaussian(n, 1, 5, 1);
  auto bias_term = [&](double s, double b) {
    const std::string yaml = "task: {type: quadratic, hessian: " + yaml_matrix(h) +
                             ", w0: " + yaml_list(s * dir) + "}\n" + rule(b, 0.0) +
                             "experiment: {type: delta_loss, dt: 0.05, draws: 2}\n";
    const auto r = run_experiment(yaml);
    EXPECT_NEAR(r["measured_bias_term"].get<double>(), r["predicted_bias_term"].get<double>(),
                1e-10 * (1e-3 + std::abs(r["predicted_bias_term"].get<double>())));
    return r["measured_bias_term"].get<double>();
  };
  const std::vector<double> ss{0.01, 0.1, 1.0, 3.0, 10.0};
  std::vector<double> v;
  for (double s : ss) v.push_back(bias_term(s, 0.02));
  // Affine in s: the line through the first and last points predicts the others.
  const double slope = (v.back() - v.front()) / (ss.back() - ss.front());
  for (std::size_t i = 1; i + 1 < ss.size(); ++i)
    EXPECT_NEAR(v[i], v.front() + slope * (ss[i] - ss.front()), 1e-10 * std::abs(v.back()));
  // Quadratic in b: third differences on an equally spaced grid vanish.
  std::vector<double> q;
  for (double b : {0.0, 0.025, 0.05, 0.075, 0.1}) q.push_back(bias_term(1.0, b));
  const double third = q[3] - 3 * q[2] + 3 * q[1] - q[0];
  EXPECT_LE(std::abs(third), 1e-10 * std::abs(q[4]));
  EXPECT_EQ(q[0], 0.0);
  EXPECT_GT(std::abs(q[2] - 2 * q[1] + q[0]), 1e-8 * std::abs(q[4]));  // really curved
}

TEST(DeltaLoss, NonQuadraticStudentErrorShrinksWithDt) {
  // P2, second part: 2-layer linear student-teacher (d = 20), relative error <= 5 %
  // at dt = 1e-3 and shrinking with dt (third-order remainder).
  RunFolder* f = nullptr;
  run_experiment(
      "task: {type: student_teacher, inputs: 20, outputs: 1, teacher_hidden: [20], "
      "teacher_activation: linear, samples: 200, test_samples: 10}\n"
      "network: {hidden: [20], activation: linear, bias: false}\n" +
          rule(0.02, 0.5) + "experiment: {type: delta_loss, dt: 0.001, dts: [0.1, 0.01, 0.001], draws: 400}\n",
      &f);
  std::istringstream in(f->metrics().to_csv());
  std::string line;
  std::getline(in, line);
  std::vector<double> rel;
  while (std::getline(in, line)) rel.push_back(std::abs(std::stod(line.substr(line.rfind(',') + 1))));
  ASSERT_EQ(rel.size(), 3u);
  EXPECT_LE(rel[2], 0.05);
  EXPECT_LT(rel[2], rel[0]);
}

TEST(DeltaLoss, SteadyStateExcessLossIsBHinvB) {
  // P14 (correction C4): constant-bias GD converges to w* + H^-1 b with excess loss
  // 1/2 b^T H^-1 b, not [G23]'s 1/2 b^T H b.
  const Index n = 5;
  const MatrixD h = test::random_spd(n, 6, 0.3);
  const auto s = run_experiment("task: {type: quadratic, hessian: " + yaml_matrix(h) + "}\n" +
                                rule(0.05, 0.0) +
                                "experiment: {type: delta_loss, mode: steady_state, dt: 0.5, steps: 3000}\n");
  const double pred = s["predicted_excess_loss"].get<double>();
  EXPECT_NEAR(s["measured_excess_loss"].get<double>(), pred, 1e-10 * pred);
  EXPECT_LE(s["distance_to_fixed_point"].get<double>(), 1e-10);
  EXPECT_GT(std::abs(s["seed_excess_loss"].get<double>() - pred), 0.1 * pred);
}

TEST(DeltaLoss, CorollaryA2ResidualIsThirdOrder) {
  // P13 (setting of the reference NumPy check): N = 6, k = 5, random b_i (scale 0.05), sigma_i = 0.3 + 0.1 i,
  // f = N; exact mean/covariance propagation minus eq. 19 scales as dt^3.
  const Index n = 6;
  const MatrixD h = test::random_spd(n, 7, 0.0);
  const VectorD w0 = test::gaussian(n, 1, 8, 1);
  Config cfg = Config::from_string("task: {type: quadratic, hessian: " + yaml_matrix(h) +
                                       ", w0: " + yaml_list(w0) + "}\n",
                                   "t.yaml");
  auto task = task_registry().create(Scope(cfg, "task"));
  task->load(1);
  auto model = task->make_model(rules::NetworkParams(), Rng(1, Stream::init));
  std::vector<VectorD> b;
  std::vector<double> s2;
  for (int i = 1; i <= 5; ++i) {
    b.push_back(0.05 * test::gaussian(n, 1, 9, uint32_t(i)));
    s2.push_back(std::pow(0.3 + 0.1 * i, 2) * double(n));
  }
  auto residual = [&](double dt) {
    const double exact = theory::quadratic_multistep_exact(h, w0, VectorD::Zero(n), b, s2, dt);
    const double pred = theory::corollary_a2(*model, task->train(), b, s2, dt);
    return std::make_pair(exact - pred, exact);
  };
  const auto r1 = residual(0.025), r2 = residual(0.0125);
  const double ratio = r1.first / r2.first;
  EXPECT_GE(ratio, 5.0);
  EXPECT_LE(ratio, 11.0);
  EXPECT_LE(std::abs(r2.first / r2.second), 0.05);
}

TEST(DeltaLoss, MultiStepMonteCarloMatchesExactPropagation) {
  // The multi_step mode's Monte-Carlo over antithetic trajectories against the exact mean and
  // covariance propagation (quadratic): agreement within 4 standard errors.
  const Index n = 6;
  const MatrixD h = test::random_spd(n, 7, 0.0);
  const VectorD w0 = test::gaussian(n, 1, 8, 1);
  const auto s = run_experiment(
      "task: {type: quadratic, hessian: " + yaml_matrix(h) + ", w0: " + yaml_list(w0) + "}\n" +
      "rule: {type: synthetic, b: 0.05, sigma: 0.4, f_of_n: N, sampling: antithetic, "
      "b_steps: [0.05, 0.02, -0.03, 0.04, 0.01]}\n"
      "experiment: {type: delta_loss, mode: multi_step, steps: 5, dt: 0.05, draws: 4000}\n");
  std::vector<VectorD> b;
  std::vector<double> s2;
  for (double bi : {0.05, 0.02, -0.03, 0.04, 0.01}) {
    b.push_back(bi * VectorD::Ones(n));
    s2.push_back(0.16 * double(n));
  }
  const double exact = theory::quadratic_multistep_exact(h, w0, VectorD::Zero(n), b, s2, 0.05);
  EXPECT_NEAR(s["measured_delta_loss"].get<double>(), exact, 4 * s["measured_stderr"].get<double>());
  EXPECT_GT(s["measured_stderr"].get<double>(), 0.0);
}

TEST(DeltaLoss, RejectsNonSyntheticRulesAndOddAntitheticDraws) {
  EXPECT_THROW(run_experiment(p2_task() + "rule: {type: backprop}\nexperiment: {type: delta_loss}\n"),
               ConfigError);
  EXPECT_THROW(run_experiment(p2_task() + rule(0.02, 0.5) + "experiment: {type: delta_loss, draws: 7}\n"),
               ConfigError);
}

}  // namespace
}  // namespace xb::sim
