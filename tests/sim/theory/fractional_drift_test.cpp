// SPDX-License-Identifier: MIT
// P59 in docs/theory.md ([C21] Thm 4.1): the fractional drift and the Gibbs invariance it buys.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>

#include "sim/theory/fractional_drift.h"

namespace xb::sim::theory {
namespace {

FractionalDriftSpec quartic(double alpha, double theta) {
  FractionalDriftSpec s;
  s.f = [](double w) { return 0.25 * w * w * w * w - 0.5 * w * w; };
  s.df = [](double w) { return w * w * w - w; };
  s.alpha = alpha;
  s.theta = theta;
  s.w_min = -4;
  s.w_max = 4;
  s.step = 2e-3;
  return s;
}

// α = 2: the symbol is 1 and b = ε² φ'/φ = -f' (Langevin), whatever θ (tan π = 0).
TEST(FractionalDrift, GaussianLimitIsTheGradient) {
  for (double theta : {0.0, 0.8}) {
    const DriftTable t = fractional_drift_spectral(quartic(2.0, theta));
    double worst = 0;
    for (double w = -2.5; w <= 2.5; w += 0.01)
      worst = std::max(worst, std::abs(t.at(w) + (w * w * w - w)));
    EXPECT_LT(worst, 1e-3) << "theta " << theta;
  }
}

// The spectral operator against an independent real-space one (one-sided Grünwald-Letnikov
// sums, first order in h): on |w| <= 2 the two agree to O(h) relative to max |b| there.
TEST(FractionalDrift, SpectralMatchesGrunwaldLetnikov) {
  for (double alpha : {1.5, 1.8}) {
    for (double theta : {0.0, 0.7, -0.5}) {
      const FractionalDriftSpec s = quartic(alpha, theta);
      const DriftTable a = fractional_drift_spectral(s);
      const DriftTable b = fractional_drift_grunwald(s, 4000);
      double worst = 0, scale = 0;
      for (double w = -2; w <= 2; w += 0.01) {
        worst = std::max(worst, std::abs(a.at(w) - b.at(w)));
        scale = std::max(scale, std::abs(a.at(w)));
      }
      std::printf("P59 drift alpha %.1f theta %+.1f: max |b| on [-2, 2] %.3f, spectral vs GL %.2e\n",
                  alpha, theta, scale, worst);
      EXPECT_LT(worst, 0.01 * scale) << "alpha " << alpha << " theta " << theta;
    }
  }
}

}  // namespace
}  // namespace xb::sim::theory
