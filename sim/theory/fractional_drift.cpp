// SPDX-License-Identifier: MIT
#include "sim/theory/fractional_drift.h"

#include <algorithm>
#include <cmath>
#include <complex>
#include <stdexcept>
#include <unsupported/Eigen/FFT>

namespace xb::sim::theory {

double DriftTable::at(double w) const {
  const double x = (w - w_min) / step;
  const std::size_t j = std::min(std::size_t(std::max(x, 0.0)), b.size() - 2);
  const double frac = x - double(j);
  return b[j] + frac * (b[j + 1] - b[j]);
}

namespace {

std::size_t grid_points(const FractionalDriftSpec& s) {
  if (!(s.step > 0) || !(s.w_max > s.w_min))
    throw std::invalid_argument("fractional drift: need step > 0 and w_max > w_min");
  if (!(s.alpha > 1 && s.alpha <= 2) || !(std::abs(s.theta) <= 1) || !(s.epsilon > 0))
    throw std::invalid_argument("fractional drift: need 1 < alpha <= 2, |theta| <= 1, epsilon > 0");
  const std::size_t n = std::size_t(std::llround((s.w_max - s.w_min) / s.step)) + 1;
  if (n < 2) throw std::invalid_argument("fractional drift: step must be below the range");
  return n;
}

// φ/φ_max and φ'/φ_max on the grid; φ is scaled by its maximum so that neither under- nor
// overflows (b is a ratio, the scale cancels).
void sample_phi(const FractionalDriftSpec& s, std::size_t n, std::vector<double>& phi,
                std::vector<double>& dphi) {
  const double inv_temp = std::pow(s.epsilon, -s.alpha);
  double f_min = INFINITY;
  for (std::size_t j = 0; j < n; ++j) f_min = std::min(f_min, s.f(s.w_min + s.step * double(j)));
  phi.resize(n);
  dphi.resize(n);
  for (std::size_t j = 0; j < n; ++j) {
    const double w = s.w_min + s.step * double(j);
    phi[j] = std::exp(-inv_temp * (s.f(w) - f_min));
    dphi[j] = -inv_temp * s.df(w) * phi[j];
  }
}

}  // namespace

DriftTable fractional_drift_spectral(const FractionalDriftSpec& s) {
  const std::size_t n = grid_points(s);
  std::vector<double> phi, dphi;
  sample_phi(s, n, phi, dphi);
  std::size_t m = 1;
  while (double(m) * s.step < std::max(s.period, 2 * (s.w_max - s.w_min))) m *= 2;
  std::vector<double> signal(m, 0.0);
  std::copy(dphi.begin(), dphi.end(), signal.begin());
  Eigen::FFT<double> fft;
  std::vector<std::complex<double>> spectrum;
  fft.fwd(spectrum, signal);
  // Eigen's forward transform uses e^{-i t w}, the inverse e^{+i t w}: the symbol multiplies
  // the coefficient of e^{i t_k w}, t_k = 2πk/(m step), negative for k > m/2. The k = 0 mode
  // of φ' is its integral, zero; dropping it removes the |t|^{α-2} singularity.
  const double tan_term = s.theta * std::tan(M_PI * s.alpha / 2);
  const double dt = 2 * M_PI / (double(m) * s.step);
  spectrum[0] = 0;
  for (std::size_t k = 1; k < m; ++k) {
    const double t = dt * (k <= m / 2 ? double(k) : double(k) - double(m));
    const std::complex<double> symbol(1.0, t > 0 ? tan_term : -tan_term);
    spectrum[k] *= std::pow(std::abs(t), s.alpha - 2) * symbol;
  }
  std::vector<double> numerator;
  fft.inv(numerator, spectrum);
  DriftTable out{s.w_min, s.step, std::vector<double>(n)};
  const double scale = std::pow(s.epsilon, s.alpha);
  for (std::size_t j = 0; j < n; ++j) out.b[j] = scale * numerator[j] / phi[j];
  return out;
}

DriftTable fractional_drift_grunwald(const FractionalDriftSpec& s, int K) {
  const std::size_t n = grid_points(s);
  if (K < 0) throw std::invalid_argument("fractional drift: K must be >= 0");
  std::vector<double> phi, dphi;
  sample_phi(s, n, phi, dphi);
  const double gamma = s.alpha - 2;
  std::vector<double> g(std::size_t(K) + 1);
  g[0] = 1;  // g_k = (-1)^k binom(γ, k) = g_{k-1} (k - 1 - γ) / k
  for (int k = 1; k <= K; ++k) g[std::size_t(k)] = g[std::size_t(k) - 1] * (k - 1 - gamma) / k;
  const double c_gamma = 1 / (2 * std::cos(gamma * M_PI / 2));
  const double scale = std::pow(s.epsilon, s.alpha) * c_gamma * std::pow(s.step, -gamma);
  // φ' outside the tabulated range is taken as zero (φ negligible there, as for the FFT).
  auto psi = [&](long j) { return j < 0 || j >= long(n) ? 0.0 : dphi[std::size_t(j)]; };
  DriftTable out{s.w_min, s.step, std::vector<double>(n)};
  for (std::size_t j = 0; j < n; ++j) {
    double left = 0, right = 0;
    for (int k = 0; k <= K; ++k) {
      left += g[std::size_t(k)] * psi(long(j) - k);
      right += g[std::size_t(k)] * psi(long(j) + k);
    }
    out.b[j] = scale * ((1 + s.theta) * left + (1 - s.theta) * right) / phi[j];
  }
  return out;
}

}  // namespace xb::sim::theory
