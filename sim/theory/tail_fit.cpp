// SPDX-License-Identifier: MIT
#include "sim/theory/tail_fit.h"

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <complex>
#include <functional>
#include <limits>

namespace xb::sim::theory {

namespace {
constexpr double kPi = 3.14159265358979323846;

double quantile(std::vector<double> x, double q) {
  const std::size_t k = std::size_t(q * double(x.size() - 1));
  std::nth_element(x.begin(), x.begin() + long(k), x.end());
  return x[k];
}
}  // namespace

double hill_estimator(std::vector<double> samples, double fraction) {
  const std::size_t n = samples.size();
  const std::size_t k = std::size_t(std::ceil(fraction * double(n)));
  if (k < 2 || k >= n) return std::numeric_limits<double>::quiet_NaN();
  std::nth_element(samples.begin(), samples.begin() + long(k), samples.end(),
                   std::greater<double>());
  const double xk = samples[k];  // the (k+1)-th largest: threshold
  if (!(xk > 0)) return std::numeric_limits<double>::quiet_NaN();
  double acc = 0;
  for (std::size_t i = 0; i < k; ++i) acc += std::log(samples[i] / xk);
  return double(k) / acc;
}

double skewness(const std::vector<double>& x) {
  double m = 0;
  for (double v : x) m += v;
  m /= double(x.size());
  double m2 = 0, m3 = 0;
  for (double v : x) {
    const double d = v - m;
    m2 += d * d;
    m3 += d * d * d;
  }
  m2 /= double(x.size());
  m3 /= double(x.size());
  return m3 / std::pow(m2, 1.5);
}

double excess_kurtosis(const std::vector<double>& x) {
  double m = 0;
  for (double v : x) m += v;
  m /= double(x.size());
  double m2 = 0, m4 = 0;
  for (double v : x) {
    const double d = (v - m) * (v - m);
    m2 += d;
    m4 += d * d;
  }
  m2 /= double(x.size());
  m4 /= double(x.size());
  return m4 / (m2 * m2) - 3.0;
}

StableFit fit_stable_ecf(const std::vector<double>& x) {
  const double med = quantile(x, 0.5);
  const double s0 = 0.5 * (quantile(x, 0.75) - quantile(x, 0.25));
  const int nt = 10;
  Eigen::MatrixXd a(nt, 2), b(nt, 2);
  Eigen::VectorXd ya(nt), yb(nt);
  std::vector<std::complex<double>> phi(nt, {0, 0});
  for (double v : x) {
    const double z = (v - med) / s0;
    for (int k = 0; k < nt; ++k) phi[std::size_t(k)] += std::exp(std::complex<double>(0, 0.1 * (k + 1) * z));
  }
  for (int k = 0; k < nt; ++k) {
    const double t = 0.1 * (k + 1);
    phi[std::size_t(k)] /= double(x.size());
    a(k, 0) = 1;
    a(k, 1) = std::log(t);
    ya[k] = std::log(-std::log(std::abs(phi[std::size_t(k)])));
  }
  const Eigen::Vector2d ca = a.colPivHouseholderQr().solve(ya);
  StableFit f;
  f.alpha = std::clamp(ca[1], 1e-3, 2.0);
  const double sa = std::exp(ca[0]);  // σ'^α of the standardised variable
  f.scale = std::pow(sa, 1.0 / f.alpha) * s0;
  for (int k = 0; k < nt; ++k) {
    const double t = 0.1 * (k + 1);
    b(k, 0) = t;
    b(k, 1) = std::pow(t, f.alpha);
    yb[k] = std::arg(phi[std::size_t(k)]);
  }
  const Eigen::Vector2d cb = b.colPivHouseholderQr().solve(yb);
  const double tn = std::tan(kPi * f.alpha / 2);
  f.theta = (f.alpha < 2.0 && std::abs(tn) > 1e-9) ? std::clamp(cb[1] / (sa * tn), -1.0, 1.0) : 0;
  f.location = med + cb[0] * s0;
  return f;
}

}  // namespace xb::sim::theory
