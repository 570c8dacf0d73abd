// SPDX-License-Identifier: MIT
#include "hw_models/core/distributions.h"

#include <boost/math/constants/constants.hpp>
#include <boost/random/chi_squared_distribution.hpp>
#include <cmath>

namespace xb {

namespace {
constexpr double kPi = boost::math::constants::pi<double>();
}

double alpha_stable(Rng& rng, double alpha, double theta) {
  // V uniform on (-pi/2, pi/2), W standard exponential; uniform() is in the open (0, 1) so
  // cos(V) > 0 and W > 0.
  const double v = kPi * (rng.uniform() - 0.5);
  const double w = -std::log(rng.uniform());
  if (alpha == 1.0) {
    // S1 at alpha = 1 (Weron 1996, eq. for alpha = 1 with sigma = 1, mu = 0).
    const double a = 0.5 * kPi + theta * v;
    return (2.0 / kPi) * (a * std::tan(v) - theta * std::log((0.5 * kPi * w * std::cos(v)) / a));
  }
  const double t = theta * std::tan(0.5 * kPi * alpha);
  const double b = std::atan(t) / alpha;
  const double s = std::pow(1.0 + t * t, 1.0 / (2.0 * alpha));
  const double av = alpha * (v + b);
  return s * std::sin(av) / std::pow(std::cos(v), 1.0 / alpha) *
         std::pow(std::cos(v - av) / w, (1.0 - alpha) / alpha);
}

double student_t_unit(Rng& rng, double nu) {
  // t = Z / sqrt(chi2_nu / nu); Var t = nu / (nu - 2).
  boost::random::chi_squared_distribution<double> chi2(nu);
  const double z = rng.normal();
  const double c = chi2(rng);
  return z / std::sqrt(c / nu) * std::sqrt((nu - 2.0) / nu);
}

void fill_alpha_stable(Rng& rng, double alpha, double theta, double* out, Index n) {
  for (Index i = 0; i < n; ++i) out[i] = alpha_stable(rng, alpha, theta);
}

void fill_student_t_unit(Rng& rng, double nu, double* out, Index n) {
  for (Index i = 0; i < n; ++i) out[i] = student_t_unit(rng, nu);
}

}  // namespace xb
