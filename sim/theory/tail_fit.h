// SPDX-License-Identifier: MIT
// Tail and skew estimators for gradient-noise samples ([C21] Figs. 2, 3, 8; [Z22] Sec. 6.6;
// P34, P51, P55, P56 in docs/theory.md).
#pragma once

#include <vector>

namespace xb::sim::theory {

// Hill (1975) estimator of the tail index α of |X| from the k = ceil(fraction n) largest
// values: 1/α̂ = (1/k) Σ_{i<k} log(x_(i) / x_(k)). Samples must be >= 0; NaN when k < 2.
double hill_estimator(std::vector<double> samples, double fraction);

// Sample skewness E[(x-m)^3]/s^3 and excess kurtosis E[(x-m)^4]/s^4 - 3.
double skewness(const std::vector<double>& x);
double excess_kurtosis(const std::vector<double>& x);

// Fit of S_alpha(scale, theta, location) (S1 parametrisation) by regression on the empirical
// characteristic function (Koutrouvelis 1980, one pass): after standardising by the median
// and half the interquartile range, log(-log|φ(t)|) = log(σ^α) + α log t and
// arg φ(t) = μ t + θ σ^α tan(πα/2) t^α, over t in {0.1, 0.2, ..., 1.0}.
// α is clipped to (0, 2] and θ to [-1, 1]; θ is undetermined (0) at α = 2.
struct StableFit {
  double alpha = 2, theta = 0, scale = 1, location = 0;
};
StableFit fit_stable_ecf(const std::vector<double>& x);

}  // namespace xb::sim::theory
