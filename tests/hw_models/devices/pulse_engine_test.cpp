// SPDX-License-Identifier: MIT
// The pulse engine (PulsedDevice::pulses_exact) against a scalar per-pulse reference written
// out here, device by device and pulse by pulse, from the step laws of docs/devices.md: every
// pulse steps by the law at the device's current weight, adds its own c2c noise a·ξ and is
// clipped to the device's bounds. The reference draws the row's noise in the engine's
// documented order (one block per row; up devices, then down devices; pulse by pulse; within a
// pulse by decreasing count, then increasing column), so the two must agree to float rounding
// (the laws with exp and pow use Eigen's vectorised functions, the reference std::exp/pow).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <numeric>

#include "hw_models/core/fast_normal.h"
#include "hw_models/core/parallel.h"
#include "hw_models/crossbar/tile.h"
#include "hw_models/update/update_scheme.h"
#include "hw_models/devices/exp_step.h"
#include "tests/hw_models/devices/device_test_util.h"

namespace xb::hw::test {
namespace {

constexpr Index kRows = 6, kCols = 300;

// Mean step of one pulse of device (i, j) at weight w (signed: > 0 up).
using Law = std::function<double(const DeviceState&, Index, Index, double, bool)>;

struct Case {
  std::string name, yaml;
  Law law;
  double tol;  // largest allowed |engine − reference|, in weight units
};

double pos(double v) { return std::max(v, 0.0); }

std::vector<Case> cases() {
  const ExpStepParams ep;
  return {
      {"soft_bounds", "{type: soft_bounds}",
       [](const DeviceState& s, Index i, Index j, double w, bool up) {
         return up ? s.dw_up(i, j) * pos(1 - w * s.extra[0](i, j))
                   : -s.dw_down(i, j) * pos(1 - w * s.extra[1](i, j));
       },
       1e-6},
      {"soft_bounds_pmax", "{type: soft_bounds_pmax}",
       [](const DeviceState& s, Index i, Index j, double w, bool up) {
         return up ? s.dw_up(i, j) * pos(1 - w * s.extra[0](i, j))
                   : -s.dw_down(i, j) * pos(1 - w * s.extra[1](i, j));
       },
       1e-6},
      {"linear_step", "{type: linear_step, gamma_up: 0.5, gamma_down: 0.3}",
       [](const DeviceState& s, Index i, Index j, double w, bool up) {
         return up ? s.dw_up(i, j) * pos(1 - s.extra[0](i, j) * w)
                   : -s.dw_down(i, j) * pos(1 + s.extra[1](i, j) * w);
       },
       1e-6},
      {"soft_bounds_reference", "{type: soft_bounds_reference}",
       [](const DeviceState& s, Index i, Index j, double w, bool up) {
         return up ? pos(s.dw_up(i, j) - s.extra[0](i, j) * w)
                   : -pos(s.dw_down(i, j) + s.extra[1](i, j) * w);
       },
       1e-6},
      {"pow_step", "{type: pow_step, pow_gamma: 1.7, pow_up_down: 0.2}",
       [](const DeviceState& s, Index i, Index j, double w, bool up) {
         const double inv = s.extra[2](i, j);
         return up ? s.dw_up(i, j) * std::pow(pos((s.w_max(i, j) - w) * inv), s.extra[0](i, j))
                   : -s.dw_down(i, j) * std::pow(pos((w - s.w_min(i, j)) * inv), s.extra[1](i, j));
       },
       1e-5},
      {"exp_step", "{type: exp_step}",
       [ep](const DeviceState& s, Index i, Index j, double w, bool up) {
         const double z = s.extra[0](i, j) * w + ep.b;
         return up ? s.dw_up(i, j) * pos(1 - ep.A_up * std::exp(ep.gamma_up * z))
                   : -s.dw_down(i, j) * pos(1 - ep.A_down * std::exp(-ep.gamma_down * z));
       },
       1e-5},
      {"piecewise_step", "{type: piecewise_step, piecewise_up: [1.5, 1.0, 0.4], "
                         "piecewise_down: [0.3, 1.0, 1.2]}",
       [](const DeviceState& s, Index i, Index j, double w, bool up) {
         const std::vector<double> nodes = up ? std::vector<double>{1.5, 1.0, 0.4}
                                              : std::vector<double>{0.3, 1.0, 1.2};
         const double lo = s.w_min(i, j), hi = s.w_max(i, j);
         const double t = std::clamp((w - lo) / std::max(hi - lo, 1e-12), 0.0, 1.0) * 2;
         const double k = std::min(std::floor(t), 1.0);
         const double f = nodes[size_t(k)] + (t - k) * (nodes[size_t(k) + 1] - nodes[size_t(k)]);
         return up ? s.dw_up(i, j) * f : -s.dw_down(i, j) * f;
       },
       1e-5},
  };
}

// Counts in [-max_n, max_n], about a third of them zero.
PulseArray pulses(uint64_t k, int max_n) {
  Rng r(7, Stream::data, 0, k);
  PulseArray n(kRows, kCols);
  for (Index i = 0; i < n.size(); ++i) {
    const uint32_t u = r();
    n.data()[i] = u % 3 == 0 ? 0 : int32_t((u >> 2) % uint32_t(2 * max_n + 1)) - max_n;
  }
  return n;
}

// The reference: device by device, pulse by pulse, in the engine's draw order.
void reference(DeviceState& s, const PulseArray& n, const Rng& cycle, uint64_t event,
               const Law& law, double sigma, bool mult, double dw_min) {
  for (Index i = 0; i < kRows; ++i) {
    std::vector<Index> up, down;
    for (Index j = 0; j < kCols; ++j)
      if (n(i, j) > 0)
        up.push_back(j);
      else if (n(i, j) < 0)
        down.push_back(j);
    const auto by_count = [&](Index a, Index b) {
      return std::abs(n(i, a)) != std::abs(n(i, b)) ? std::abs(n(i, a)) > std::abs(n(i, b))
                                                    : a < b;
    };
    std::sort(up.begin(), up.end(), by_count);
    std::sort(down.begin(), down.end(), by_count);
    int64_t total = 0;
    for (Index j = 0; j < kCols; ++j) total += std::abs(n(i, j));
    if (total == 0) continue;
    std::vector<Scalar> xi(size_t(total), 0.0f);
    Rng rng = cycle.at(event, uint32_t(i));
    if (sigma > 0) fill_normal_fast(rng, xi.data(), Index(total));
    size_t used = 0;
    for (const auto* group : {&up, &down})
      for (int k = 0;; ++k) {
        bool any = false;
        for (Index j : *group) {
          if (std::abs(n(i, j)) <= k) continue;
          any = true;
          const bool is_up = n(i, j) > 0;
          const double w = s.w(i, j);
          const double dw = law(s, i, j, w, is_up);
          const double amp = mult ? sigma * dw : sigma * dw_min;
          s.w(i, j) = Scalar(std::clamp(w + dw + amp * double(xi[used++]), double(s.w_min(i, j)),
                                        double(s.w_max(i, j))));
        }
        if (!any) break;
      }
  }
}

class PulseEngine : public ::testing::TestWithParam<Case> {};

// Mid-range, near the bounds (many clips) and with the additive noise model.
TEST_P(PulseEngine, EqualsTheScalarPerPulseReference) {
  const Case& c = GetParam();
  for (const std::string extra : {"", ", mult_noise: false", ", dw_min_std: 2.0"}) {
    auto d = make_device(c.yaml.substr(0, c.yaml.size() - 1) + ", summed_pulses: false" + extra +
                         "}");
    const auto& pp = dynamic_cast<const PulsedDevice&>(*d).pulsed_params();
    for (double w0 : {0.0, 0.55, -0.55}) {
      Rng fab(11, Stream::fabrication);
      DeviceState s = d->fabricate(kRows, kCols, w0, fab);
      DeviceState ref = s;
      const Rng cycle(11, Stream::cycle);
      for (uint64_t e = 0; e < 4; ++e) {
        const PulseArray n = pulses(e, e % 2 ? 40 : 7);
        d->apply_pulses(s, n, cycle, e, 0);
        reference(ref, n, cycle, e, c.law, pp.dw_min_std, pp.mult_noise, pp.dw_min);
        const double diff = (s.w - ref.w).abs().maxCoeff();
        ASSERT_LE(diff, c.tol * pp.dw_min / 0.001)  // tolerances are for dw_min = 0.001
            << c.name << extra << " w0 " << w0 << " event " << e;
      }
      // The updates moved the weights (the comparison is not between two unchanged arrays).
      Rng fab2(11, Stream::fabrication);
      EXPECT_GT((s.w - d->fabricate(kRows, kCols, w0, fab2).w).abs().maxCoeff(), 1e-3) << c.name;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Laws, PulseEngine, ::testing::ValuesIn(cases()),
                         [](const auto& info) { return info.param.name; });

// Every state-dependent law in the registry has a case above (a new law must add one).
TEST(PulseEngine, EveryStateDependentLawHasAReferenceCase) {
  std::vector<std::string> covered;
  for (const Case& c : cases()) covered.push_back(c.name);
  for (const std::string& name : device_registry().names()) {
    if (name == "ideal" || name == "constant_step") continue;  // no per-pulse law / summed path
    EXPECT_NE(std::find(covered.begin(), covered.end(), name), covered.end())
        << name << " has no scalar reference case in pulse_engine_test.cpp";
  }
}

// The summed draw of affine laws (one Gaussian of the exact mean and variance of n pulses;
// piecewise_step is affine between two nodes)
// against the per-pulse engine on identical devices (no device-to-device spread): means and
// variances within 5 standard errors, and the two-sample Kolmogorov–Smirnov distance below
// its 0.1 % critical value (1.95·sqrt(2/N)); near a bound most devices take the exact engine
// and the same holds. For soft bounds the moments are also checked against the moment
// recursions E[D'] = ρE[D], E[D'²] = (ρ² + β²σ²)E[D²] of the distance D to the bound
// (multiplicative noise), or m' = ρm + α, v' = ρ²v + a² (additive).
constexpr Index kN = 200;  // kN × kN devices per sample

Array pulsed(const std::string& yaml, double w0, int n, uint64_t seed) {
  auto d = make_device(yaml);
  Rng fab(seed, Stream::fabrication);
  DeviceState s = d->fabricate(kN, kN, w0, fab);
  d->apply_pulses(s, PulseArray::Constant(kN, kN, n), Rng(seed, Stream::cycle), 0, 0);
  return s.w;
}

double ks_distance(const Array& a, const Array& b) {
  std::vector<float> x(a.data(), a.data() + a.size()), y(b.data(), b.data() + b.size());
  std::sort(x.begin(), x.end());
  std::sort(y.begin(), y.end());
  double d = 0;
  size_t i = 0, j = 0;
  while (i < x.size() && j < y.size()) {
    const float v = std::min(x[i], y[j]);
    while (i < x.size() && x[i] <= v) ++i;
    while (j < y.size() && y[j] <= v) ++j;
    d = std::max(d, std::abs(double(i) / double(x.size()) - double(j) / double(y.size())));
  }
  return d;
}

TEST(PulseEngine, SummedDrawOfAffineLawsMatchesPulseByPulse) {
  const std::string same = "dw_min: 0.01, dw_min_dtod: 0, up_down_dtod: 0, w_min_dtod: 0, "
                           "w_max_dtod: 0, dw_min_std: 0.5";
  const std::vector<std::string> laws = {
      "{type: constant_step, " + same + "}",
      "{type: soft_bounds, " + same + "}",
      "{type: soft_bounds, mult_noise: false, " + same + "}",
      "{type: linear_step, gamma_up: 0.5, gamma_down: 0.5, gamma_up_dtod: 0, "
      "gamma_down_dtod: 0, " + same + "}",
      "{type: soft_bounds_reference, " + same + "}",
      "{type: piecewise_step, piecewise_up: [1.5, 1.0, 0.4], piecewise_down: [0.3, 1.0, 1.2], " +
          same + "}",
      // Smooth laws along their tangent (an approximation within 1e-3 of the step).
      "{type: exp_step, " + same + "}",
      "{type: exp_step, dw_min_dtod: 0, up_down_dtod: 0, w_min_dtod: 0, w_max_dtod: 0}",
      "{type: pow_step, pow_gamma: 1.7, pow_gamma_dtod: 0, " + same + "}",
      "{type: pow_step, pow_gamma: 0.6, pow_gamma_dtod: 0, dw_min_dtod: 0, up_down_dtod: 0, "
      "w_min_dtod: 0, w_max_dtod: 0}"};
  const double N = double(kN * kN);
  for (const std::string& law : laws)
    for (int n : {9, 31, -20})
      for (double w0 : {0.0, 0.55, -0.3}) {
        const std::string exact = law.substr(0, law.size() - 1) + ", summed_pulses: false}";
        const Array a = pulsed(law, w0, n, 21), b = pulsed(exact, w0, n, 22);
        const Moments ma = moments(a), mb = moments(b);
        const std::string what = law + " n " + std::to_string(n) + " w0 " + std::to_string(w0);
        EXPECT_NEAR(ma.mean, mb.mean, tol_mean(2 * mb.var, N) + 1e-7) << what;
        EXPECT_NEAR(ma.var, mb.var, tol_var(mb.var, N / 2, mb.kurtosis) + 1e-12) << what;
        EXPECT_LT(ks_distance(a, b), 1.95 * std::sqrt(2 / N)) << what;
      }
}

// Without noise the summed draw is the mean path: exact for the affine laws (to float rounding),
// and for exp_step and pow_step within the tangent's tolerance, ε·|Δ| per pulse (ε = 1e-3).
TEST(PulseEngine, NoiseFreeSummedDrawIsWithinItsStatedTolerance) {
  const std::string quiet = "dw_min_std: 0, dw_min_dtod: 0, up_down_dtod: 0, w_min_dtod: 0, "
                            "w_max_dtod: 0";
  const std::vector<std::pair<std::string, double>> laws = {
      {"{type: soft_bounds, " + quiet + "}", 1e-5},
      {"{type: linear_step, gamma_up: 0.5, gamma_down: 0.5, gamma_up_dtod: 0, "
       "gamma_down_dtod: 0, " + quiet + "}", 1e-5},
      {"{type: piecewise_step, piecewise_up: [1.5, 1.0, 0.4], piecewise_down: [0.3, 1.0, 1.2], " +
           quiet + "}", 1e-5},
      {"{type: exp_step, " + quiet + "}", kTangentTolerance},
      {"{type: pow_step, pow_gamma: 1.7, pow_gamma_dtod: 0, " + quiet + "}",
       kTangentTolerance}};
  for (const auto& [law, eps] : laws)
    for (int n : {1, 9, 31, -20})
      for (double w0 : {-0.3, 0.0, 0.2, 0.45}) {
        const std::string exact = law.substr(0, law.size() - 1) + ", summed_pulses: false}";
        auto d = make_device(law);
        const double dw = dynamic_cast<const PulsedDevice&>(*d).pulsed_params().dw_min;
        const Array a = pulsed(law, w0, n, 25), b = pulsed(exact, w0, n, 25);
        // |Δ| ≤ 1.5·dw_min for these laws (up_down = 0; factors ≤ 1.5).
        EXPECT_LE((a - b).abs().maxCoeff(), eps * std::abs(n) * 1.5 * dw + 1e-7)
            << law << " n " << n << " w0 " << w0;
      }
}

TEST(PulseEngine, SummedSoftBoundsMomentsEqualTheRecursion) {
  const double dw = 0.01, b = 0.6, sigma = 0.5, beta = dw / b, rho = 1 - beta;
  const std::string base = "{type: soft_bounds, dw_min: 0.01, dw_min_dtod: 0, up_down_dtod: 0, "
                           "w_min_dtod: 0, w_max_dtod: 0, dw_min_std: 0.5";
  for (int n : {1, 9, 31}) {
    // Multiplicative: the distance D = b − w to the bound.
    double m1 = b, m2 = b * b;  // from w0 = 0
    for (int k = 0; k < n; ++k) {
      m1 *= rho;
      m2 *= rho * rho + beta * beta * sigma * sigma;
    }
    Moments m = moments(pulsed(base + "}", 0.0, n, 23));
    const double N = double(kN * kN), var = m2 - m1 * m1;
    EXPECT_NEAR(m.mean, b - m1, tol_mean(var, N)) << n;
    EXPECT_NEAR(m.var, var, tol_var(var, N)) << n;
    // Additive: m' = ρm + α, v' = ρ²v + a².
    double mean = 0, v = 0;
    for (int k = 0; k < n; ++k) {
      mean = rho * mean + dw;
      v = rho * rho * v + sigma * sigma * dw * dw;
    }
    m = moments(pulsed(base + ", mult_noise: false}", 0.0, n, 24));
    EXPECT_NEAR(m.mean, mean, tol_mean(v, N)) << n;
    EXPECT_NEAR(m.var, v, tol_var(v, N)) << n;
  }
}

// Every law through a tile and the stochastic_pulse scheme: the same weights on one and on two
// threads (rows are claimed by whichever thread is free; each row draws from its own stream).
TEST(PulseEngine, EveryLawGivesTheSameWeightsOnOneAndTwoThreads) {
  Config sc = Config::from_string("scheme: {type: stochastic_pulse}", "test.yaml");
  const auto scheme = scheme_registry().create(Scope(sc, "scheme"));
  Rng data(5, Stream::data);
  BatchMatrix x(64, 4), d(256, 4);
  for (Index i = 0; i < x.size(); ++i) x.data()[i] = Scalar(2 * data.uniform() - 1);
  for (Index i = 0; i < d.size(); ++i) d.data()[i] = Scalar(2 * data.uniform() - 1);
  for (const std::string& law : device_registry().names()) {
    const std::shared_ptr<const DeviceModel> dev(make_device("{type: " + law + "}"));
    auto run = [&](int threads) {
      set_threads(threads);
      Tile t(TileParams{}, PeripheryParams{}, dev, 256, 64, 1, 0, scheme->clone());
      UpdateRequest r;
      r.x = &x;
      r.d = &d;
      r.lr = dev->granularity() * 31;
      for (int k = 0; k < 3; ++k) t.update(r);
      set_threads(1);
      return Matrix(t.weights());
    };
    const Matrix one = run(1), two = run(2);
    EXPECT_TRUE(one == two) << law;
    EXPECT_GT((one.array() != 0).count(), 0) << law;
  }
}

}  // namespace
}  // namespace xb::hw::test
