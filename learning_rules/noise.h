// SPDX-License-Identifier: MIT
// The synthetic gradient estimator of [G23] eq. 1 (P1 in docs/theory.md):
//
//   estimate = g - b beta - sigma sqrt(f(N)) n_hat        (so that Δw = -estimate
//                                                          = -g + b beta + sigma sqrt(f(N)) n_hat)
//
// with ||beta||_2 = sqrt(N) and n_hat zero-mean, E[n_i^2] = 1/N, E[n_i n_j] = 0 (i != j), so the
// total noise variance is sigma^2 f(N): white noise scaled by f(N), a fixed-direction bias,
// and the non-Gaussian laws of [L21] App. C and [C21].
//
// Noise laws (`noise`):
//   gaussian      n_hat ~ N(0, I/N)
//   sphere        n_hat uniform on the unit sphere (||n_hat|| = 1 exactly, E n n^T = I/N)
//   student_t     i.i.d. unit-variance Student-t(nu) / sqrt(N), nu > 2 (N8)
//   alpha_stable  i.i.d. S_alpha(1/sqrt(2N), theta, 0) in the S1 parametrisation (N14). For
//                 alpha < 2 the variance is infinite; "E[n_i^2] = 1/N" is then replaced by
//                 "same scale as the Gaussian case": at alpha = 2 the law is exactly
//                 N(0, 1/N), and for alpha < 2 the scale parameter stays 1/sqrt(2N).
// Sampling (`sampling`): iid, or antithetic pairs (draw 2k+1 = -draw 2k, so every pair of
// consecutive draws sums to zero; the marginal law and covariance are unchanged).
//
// Usage (the `synthetic` rule and the experiments):
//   EstimatorNoiseParams p = EstimatorNoiseParams::read(scope);   // handles beta: list
//   EstimatorNoise noise(p, n, Rng(seed, Stream::estimator));     // draws a random beta once
//   noise.sample(rng, draw, n_hat);        // n_hat only, for draw index `draw`
//   noise.perturbation(rng, draw, delta);  // b beta + sigma sqrt(f(N)) n_hat
#pragma once

#include <string>
#include <vector>

#include "hw_models/core/params.h"
#include "hw_models/core/rng.h"
#include "hw_models/core/types.h"

namespace xb::rules {

struct EstimatorNoiseParams {
  double b = 0.0;
  std::string beta = "ones";  // ones | random | list (set when `beta` is a YAML list)
  std::vector<double> beta_list;
  double sigma = 0.0;
  std::string f_of_n = "1";  // 1 | N | sqrt(N) | power
  double f_power = 1.0;
  std::string noise = "gaussian";  // gaussian | sphere | student_t | alpha_stable
  double nu = 4.0;
  double alpha = 2.0;
  double theta = 0.0;
  std::string sampling = "iid";  // iid | antithetic

  // `beta` is not listed here because it is either a word or a list; read() handles it and
  // describe_rows() documents it.
  template <class F>
  void bind(F&& f) {
    f("b", b, "1", "bias magnitude b (bias vector b*beta, ||beta|| = sqrt(N)) [G23 eq. 1]");
    f("sigma", sigma, "1", "noise scale: total noise variance sigma^2 f(N) [G23 eq. 1]");
    f("f_of_n", f_of_n, "", "variance scaling f(N): 1 | N | sqrt(N) | power");
    f("f_power", f_power, "", "exponent p of f(N) = N^p when f_of_n = power");
    f("noise", noise, "", "law of n_hat: gaussian | sphere | student_t | alpha_stable");
    f("nu", nu, "", "Student-t degrees of freedom (> 2; unit variance after rescaling)");
    f("alpha", alpha, "", "alpha-stable tail index in (0, 2] (S1 parametrisation)");
    f("theta", theta, "", "alpha-stable skewness in [-1, 1]");
    f("sampling", sampling, "", "iid | antithetic (consecutive draws in +/- pairs)");
  }
  void validate(const Scope& s) const;

  // Reads all keys from `scope`, including `beta` as `ones`, `random` or a list of numbers.
  static EstimatorNoiseParams read(const Scope& scope);
  // The parameter table for `describe` (bind() plus the `beta` row).
  static std::vector<ParamRow> describe_rows();
};

class EstimatorNoise {
 public:
  // `beta_rng` is used once, for beta = random (a Gaussian direction scaled to norm sqrt(N)).
  EstimatorNoise(const EstimatorNoiseParams& p, Index n, const Rng& beta_rng);

  Index size() const { return n_; }
  const VectorD& beta() const { return beta_; }
  double f() const { return f_; }  // f(N)
  const EstimatorNoiseParams& params() const { return p_; }

  // n_hat for draw number `draw`, from the counter-based stream `rng` (positioned at
  // rng.at(draw) for iid, rng.at(draw / 2) with sign (-1)^draw for antithetic).
  void sample(const Rng& rng, uint64_t draw, VectorD& out) const;
  // b beta + sigma sqrt(f(N)) n_hat: the estimator error added to -g in Δw.
  void perturbation(const Rng& rng, uint64_t draw, VectorD& out) const;

 private:
  EstimatorNoiseParams p_;
  Index n_;
  double f_;
  VectorD beta_;
};

// f(N) for the rule names of EstimatorNoiseParams::f_of_n.
double f_of_n(const std::string& rule, double power, Index n);

}  // namespace xb::rules
