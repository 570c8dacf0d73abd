// SPDX-License-Identifier: MIT
#include "hw_models/devices/pulsed_device.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "hw_models/core/distributions.h"
#include "hw_models/core/fast_normal.h"

namespace xb::hw {

namespace {
// Lévy-inequality margin of the summed-pulse fast path, in standard deviations (see
// pulses_summed): 6σ leaves a probability below 4·Φ̄(6) ≈ 4e-9 per device and update.
constexpr Scalar kFastPathSigmas = 6.0f;

// PCM 1/f read noise (aihwkit PCMLikeNoiseModel).
constexpr double kPcmReadTime = 250e-9;  // t_read
}  // namespace

Array normal_array(Index rows, Index cols, Rng& fab) {
  Array a(rows, cols);
  fab.fill_normal(a.data(), a.size());
  return a;
}

void PulsedParams::validate(const Scope& s) const {
  validate_weight_range(s, w_min, w_max, dw_min);
  s.require_ge("dw_min_dtod", dw_min_dtod, 0.0);
  s.require_ge("dw_min_std", dw_min_std, 0.0);
  s.require(up_down > -1.0 && up_down < 1.0, "up_down", up_down, "must be in (-1, 1)");
  s.require_ge("up_down_dtod", up_down_dtod, 0.0);
  s.require_ge("w_min_dtod", w_min_dtod, 0.0);
  s.require_ge("w_max_dtod", w_max_dtod, 0.0);
  s.require_ge("write_noise_std", write_noise_std, 0.0);
  s.require_ge("reset_dtod", reset_dtod, 0.0);
  s.require_ge("reset_std", reset_std, 0.0);
  s.require(lifetime == 0.0 || lifetime >= 1.0, "lifetime", lifetime,
            "must be 0 (off) or >= 1 mini-batch");
  s.require_ge("lifetime_dtod", lifetime_dtod, 0.0);
  s.require_ge("diffusion", diffusion, 0.0);
  s.require_ge("diffusion_dtod", diffusion_dtod, 0.0);
  s.require_one_of("c2c_noise", c2c_noise, {"gaussian", "student_t", "alpha_stable"});
  s.require_gt("c2c_nu", c2c_nu, 2.0);
  s.require(c2c_alpha > 0.0 && c2c_alpha <= 2.0, "c2c_alpha", c2c_alpha, "must be in (0, 2]");
  s.require_in("c2c_theta", c2c_theta, -1.0, 1.0);
  s.require_in("stuck_fraction", stuck_fraction, 0.0, 1.0);
  s.require_one_of("stuck_at", stuck_at, {"min", "max", "random"});
  s.require(n_levels == 0 || (n_levels >= 2 && n_levels <= 1 << 24), "n_levels", n_levels,
            "must be 0 (off) or in [2, 2^24]");
  s.require_ge("drift_nu", drift_nu, 0.0);
  s.require_ge("drift_nu_dtod", drift_nu_dtod, 0.0);
  s.require_gt("drift_t0", drift_t0, 0.0);
  s.require_one_of("read_noise", read_noise, {"additive", "pcm"});
  s.require_ge("read_noise_std", read_noise_std, 0.0);
}

DeviceState PulsedDevice::fabricate(Index rows, Index cols, double w0, Rng& fab) const {
  DeviceState s;
  // The draws always happen in this order, so a given seed gives the same devices whatever
  // parameters are switched on later in the list.
  const Array xg = normal_array(rows, cols, fab);
  const Array xb = normal_array(rows, cols, fab);
  const Array xmax = normal_array(rows, cols, fab);
  const Array xmin = normal_array(rows, cols, fab);

  const Scalar dtod = Scalar(p_.dw_min_dtod);
  const Array g = p_.dw_min_dtod_log_normal ? Array((dtod * xg).exp()) : Array(1.0f + dtod * xg);
  const Array beta = Scalar(p_.up_down) + Scalar(p_.up_down_dtod) * xb;
  s.dw_up = Scalar(p_.dw_min) * (g + beta).abs();
  s.dw_down = Scalar(p_.dw_min) * (g - beta).abs();

  s.w_max = Scalar(p_.w_max) * (1.0f + Scalar(p_.w_max_dtod) * xmax);
  s.w_min = Scalar(p_.w_min) * (1.0f + Scalar(p_.w_min_dtod) * xmin);
  // enforce_consistency: a bound keeps the sign of its mean, and b_min <= b_max.
  if (p_.w_max > 0) s.w_max = s.w_max.abs();
  if (p_.w_min < 0) s.w_min = -s.w_min.abs();
  s.w_max = s.w_max.max(s.w_min);

  if (p_.stuck_fraction > 0) {
    Array u(rows, cols), v(rows, cols);
    fab.fill_uniform(u.data(), u.size());
    fab.fill_uniform(v.data(), v.size());
    s.stuck = (u < Scalar(p_.stuck_fraction)).cast<uint8_t>();
    if (p_.stuck_at == "min")
      s.stuck_value = s.w_min;
    else if (p_.stuck_at == "max")
      s.stuck_value = s.w_max;
    else
      s.stuck_value = s.w_min + v * (s.w_max - s.w_min);
  }
  if (p_.reset != 0 || p_.reset_dtod > 0)
    s.reset_bias = Scalar(p_.reset) + Scalar(p_.reset_dtod) * normal_array(rows, cols, fab);
  if (p_.lifetime > 0) {
    const Array life =
        (Scalar(p_.lifetime) * (1.0f + Scalar(p_.lifetime_dtod) * normal_array(rows, cols, fab)))
            .max(1.0f);
    s.decay = 1.0f - life.inverse();
  }
  if (p_.diffusion > 0)
    s.diffusion = (Scalar(p_.diffusion) *
                   (1.0f + Scalar(p_.diffusion_dtod) * normal_array(rows, cols, fab)))
                      .abs();
  if (p_.drift_nu > 0)
    s.drift_nu = (Scalar(p_.drift_nu) *
                  (1.0f + Scalar(p_.drift_nu_dtod) * normal_array(rows, cols, fab)))
                     .max(0.0f);

  fabricate_law(s, fab);

  s.w = Array::Constant(rows, cols, Scalar(w0)).max(s.w_min).min(s.w_max);
  if (p_.write_noise_std > 0) s.w_apparent = s.w;
  return s;
}

void PulsedDevice::draw_c2c(Rng& rng, Scalar* out, Index n) const {
  if (p_.c2c_noise == "gaussian") {
    xb::fill_normal_fast(rng, out, n);
  } else if (p_.c2c_noise == "student_t") {
    for (Index i = 0; i < n; ++i) out[i] = Scalar(student_t_unit(rng, p_.c2c_nu));
  } else {
    for (Index i = 0; i < n; ++i) out[i] = Scalar(alpha_stable(rng, p_.c2c_alpha, p_.c2c_theta));
  }
}

void PulsedDevice::c2c_amplitude(const PulseGroup&, Index n, const RowArray& dw,
                                 RowArray& amp) const {
  // Multiplicative: Δ·(1 + σξ) = Δ + (σΔ)·ξ. Additive: Δ + σ·dw_min·ξ.
  if (p_.mult_noise)
    amp.head(n) = Scalar(p_.dw_min_std) * dw.head(n);
  else
    amp.head(n).setConstant(Scalar(p_.dw_min_std * p_.dw_min));
}

namespace {

// Per-thread scratch of the pulse engine, grown on demand and never shrunk: no allocation on
// the hot path once warmed up (resizing an Eigen array to another size would reallocate).
struct EngineScratch {
  std::vector<int32_t> order, start, hist;
  std::vector<int32_t> active, slow;
  std::vector<Scalar> xi;
  PulseGroup group;
  RowArray dw, amp;

  void reserve(Index cols, std::size_t n_extra) {
    if (dw.size() < cols) {
      for (RowArray* a : {&group.w, &group.dw, &group.lo, &group.hi, &dw, &amp}) a->resize(cols);
      for (RowArray& e : group.extra) e.resize(cols);
      order.resize(std::size_t(cols));
      active.resize(std::size_t(cols));
      slow.resize(std::size_t(cols));
    }
    while (group.extra.size() < n_extra) group.extra.emplace_back(dw.size());
  }
};

EngineScratch& scratch() {
  thread_local EngineScratch sc;
  return sc;
}

}  // namespace

// The exact per-pulse semantics on the m devices cols[0..m) of row r: every pulse steps by the
// law at the device's current weight, adds its own c2c noise and is clipped to the bounds.
// Work is proportional to the pulses that happen. Order of the noise draws (so that a scalar
// reference can reproduce them, tests/hw_models/devices/pulse_engine_test.cpp): all draws
// of the row in one block from `rng`, used by the up group first, then the down group; within
// a group pulse by pulse (k = 0, 1, ...), and within a pulse over the devices still pulsing in
// order of decreasing count, ties by increasing column.
void PulsedDevice::pulses_exact(DeviceState& s, const int32_t* nrow, const int32_t* cols, Index m,
                                Rng& rng, Index r) const {
  EngineScratch& sc = scratch();  // reserved by apply_pulses
  // Counting sort by (direction, count descending, column ascending); hist[c] counts up
  // devices with count c, hist[kmax + 1 + c] down devices.
  int kmax = 0;
  int64_t total = 0;
  for (Index k = 0; k < m; ++k) {
    const int32_t c = std::abs(nrow[cols[k]]);
    kmax = std::max(kmax, c);
    total += c;
  }
  const std::size_t width = std::size_t(kmax) + 1;
  sc.hist.assign(2 * width, 0);
  for (Index k = 0; k < m; ++k) {
    const int32_t c = nrow[cols[k]];
    ++sc.hist[(c > 0 ? 0 : width) + std::size_t(std::abs(c))];
  }
  sc.start.assign(2 * width, 0);
  int32_t pos = 0;
  Index n_up = 0;
  for (int dir = 0; dir < 2; ++dir) {
    for (int c = kmax; c >= 1; --c) {
      sc.start[dir * width + std::size_t(c)] = pos;
      pos += sc.hist[dir * width + std::size_t(c)];
    }
    if (dir == 0) n_up = pos;
  }
  for (Index k = 0; k < m; ++k) {
    const int32_t c = nrow[cols[k]];
    sc.order[std::size_t(sc.start[(c > 0 ? 0 : width) + std::size_t(std::abs(c))]++)] = cols[k];
  }

  const bool noisy = p_.dw_min_std > 0;
  if (noisy) {
    if (sc.xi.size() < std::size_t(total)) sc.xi.resize(std::size_t(total));
    draw_c2c(rng, sc.xi.data(), Index(total));
  }
  Index used = 0;
  PulseGroup& g = sc.group;
  for (int dir = 0; dir < 2; ++dir) {
    const Index first = dir == 0 ? 0 : n_up, size = dir == 0 ? n_up : m - n_up;
    if (size == 0) continue;
    g.up = dir == 0;
    const int32_t* ord = &sc.order[std::size_t(first)];
    const Array& step_size = g.up ? s.dw_up : s.dw_down;
    for (Index q = 0; q < size; ++q) {
      const Index j = ord[q];
      g.w(q) = s.w(r, j);
      g.dw(q) = step_size(r, j);
      g.lo(q) = s.w_min(r, j);
      g.hi(q) = s.w_max(r, j);
      for (std::size_t e = 0; e < s.extra.size(); ++e) g.extra[e](q) = s.extra[e](r, j);
    }
    const int32_t* hist = &sc.hist[dir * width];
    Index active = size;
    for (int k = 0; active > 0; ++k) {
      step(g, active, sc.dw);
      if (noisy) {
        c2c_amplitude(g, active, sc.dw, sc.amp);
        sc.dw.head(active) +=
            sc.amp.head(active) *
            Eigen::Map<const RowArray>(sc.xi.data() + used, active);
        used += active;
      }
      g.w.head(active) =
          (g.w.head(active) + sc.dw.head(active)).max(g.lo.head(active)).min(g.hi.head(active));
      active -= hist[k + 1];  // the devices with exactly k + 1 pulses are done
    }
    for (Index q = 0; q < size; ++q) s.w(r, ord[q]) = g.w(q);
  }
}

// Fast path of a constant-step law with Gaussian c2c noise. The n same-direction pulses of
// one device are a random walk with iid steps Δ + aξ_k (a = σΔ or σ·dw_min); without
// clipping their sum is n·Δ + a·sqrt(n)·ξ exactly in distribution (sum of Gaussians), so
// one Gaussian per device replaces n. Clipping only matters if the walk leaves the bounds
// at some intermediate pulse. The drift part k·Δ is monotone between 0 and nΔ, and for the
// symmetric noise martingale M_k Lévy's inequality gives P(max_k |M_k| ≥ z·a·sqrt(n)) ≤
// 4·Φ̄(z). So for devices whose whole band [w + min(0, nΔ) − z·a√n, w + max(0, nΔ) + z·a√n]
// (z = 6) lies inside the bounds the summed draw is exact up to an event of probability
// < 4e-9; the final value is still clipped. The remaining devices take the exact per-pulse
// engine, after the summed draws, on the same row stream.
void PulsedDevice::pulses_summed(DeviceState& s, const int32_t* nrow, const int32_t* act,
                                 Index m, Rng& rng, Index r) const {
  EngineScratch& sc = scratch();
  if (sc.xi.size() < std::size_t(m)) sc.xi.resize(std::size_t(m));
  const Scalar sigma = Scalar(p_.dw_min_std);
  if (sigma > 0)
    xb::fill_normal_fast(rng, sc.xi.data(), m);  // one draw per pulsed device, column order
  else
    std::fill(sc.xi.begin(), sc.xi.begin() + m, 0.0f);

  Scalar* w = &s.w(r, 0);
  const Scalar* lo = &s.w_min(r, 0);
  const Scalar* hi = &s.w_max(r, 0);
  const Scalar* up = &s.dw_up(r, 0);
  const Scalar* down = &s.dw_down(r, 0);
  const Scalar add_amp = sigma * Scalar(p_.dw_min);
  const bool mult = p_.mult_noise;
  int32_t* slow = sc.slow.data();  // columns of the devices near a bound
  Index n_slow = 0;
  for (Index k = 0; k < m; ++k) {
    const Index j = act[k];
    const int32_t c = nrow[j];
    const Scalar cnt = Scalar(c < 0 ? -c : c);
    const Scalar step = c > 0 ? up[j] : -down[j];
    const Scalar mean = cnt * step;
    const Scalar spread = (mult ? sigma * std::abs(step) : add_amp) * std::sqrt(cnt);
    const Scalar band = kFastPathSigmas * spread;
    const Scalar wj = w[j];
    if (wj + std::min(mean, 0.0f) - band >= lo[j] && wj + std::max(mean, 0.0f) + band <= hi[j])
      w[j] = std::min(std::max(wj + mean + spread * sc.xi[std::size_t(k)], lo[j]), hi[j]);
    else
      slow[n_slow++] = int32_t(j);
  }
  if (n_slow > 0) pulses_exact(s, nrow, slow, n_slow, rng, r);
}

void PulsedDevice::apply_pulses(DeviceState& s, const Eigen::Ref<const PulseArray>& n,
                                const Rng& cycle, uint64_t event, Index row0, Index row1) const {
  const bool summed = constant_law() && p_.c2c_noise == "gaussian";
  const Index cols = s.cols();
  EngineScratch& sc = scratch();
  sc.reserve(cols, s.extra.size());
  RowArray xi;
  for (Index r = row0; r < row1; ++r) {
    // Updates are sparse at small learning rates: work on the list of pulsed devices only.
    // Branch-free compaction: the index is always written, the length grows only if pulsed.
    const int32_t* nrow = n.data() + r * n.outerStride();
    int32_t* act = sc.active.data();
    Index m = 0;
    for (Index j = 0; j < cols; ++j) {
      act[m] = int32_t(j);
      m += nrow[j] != 0;
    }
    if (m == 0) continue;
    Rng rng = cycle.at(event, uint32_t(r));
    if (summed)
      pulses_summed(s, nrow, act, m, rng, r);
    else
      pulses_exact(s, nrow, act, m, rng, r);
    if (p_.write_noise_std > 0) {
      xi.resize(cols);
      // Write noise (aihwkit write_noise_std): the apparent weight of each written device is
      // the hidden weight plus fresh N(0, (write_noise_std·dw_min)²); the hidden one is exact.
      xb::fill_normal_fast(rng, xi.data(), cols);
      const RowArray wr = s.w.row(r);
      s.w_apparent.row(r) =
          (n.row(r) != 0).select(wr + Scalar(p_.write_noise_std * p_.dw_min) * xi,
                                 RowArray(s.w_apparent.row(r)));
    }
  }
}

void PulsedDevice::advance(DeviceState& s, double batches, double seconds, const Rng& cycle,
                           uint64_t event) const {
  s.age_s += seconds;
  if (batches <= 0) return;
  const Array before = s.w;
  if (s.decay.size()) {
    // Exponential decay toward the reset weight: (1 − 1/lifetime)^batches per device.
    const Array factor = (Scalar(batches) * s.decay.log()).exp();
    if (s.reset_bias.size())
      s.w = s.reset_bias + (s.w - s.reset_bias) * factor;
    else
      s.w = (s.w - Scalar(p_.reset)) * factor + Scalar(p_.reset);
  }
  if (s.diffusion.size()) {
    // A random walk of `batches` steps of std diffusion_ij: std·sqrt(batches) in total.
    const Scalar sq = Scalar(std::sqrt(batches));
    RowArray xi(s.cols());
    for (Index r = 0; r < s.rows(); ++r) {
      Rng rng = cycle.at(event, uint32_t(r));
      rng.fill_normal(xi.data(), xi.size());
      s.w.row(r) += sq * s.diffusion.row(r) * xi;
    }
  }
  s.w = s.w.max(s.w_min).min(s.w_max);
  // The apparent weight moves with the hidden one (its write-noise offset is kept).
  if (s.w_apparent.size()) s.w_apparent += s.w - before;
}

void PulsedDevice::read_weights(const DeviceState& s, Array& out) const {
  // Order: apparent weight → stuck faults → quantization to the device's levels → drift of
  // the (conductance-like) value → reference subtraction.
  out = s.w_apparent.size() ? s.w_apparent : s.w;
  if (s.stuck.size()) out = (s.stuck != 0).select(s.stuck_value, out);
  if (p_.n_levels >= 2) {
    const Array q = ((s.w_max - s.w_min) / Scalar(p_.n_levels - 1)).max(1e-30f);
    out = (s.w_min + ((out - s.w_min) / q).round() * q).max(s.w_min).min(s.w_max);
  }
  if (s.drift_nu.size() && s.age_s > p_.drift_t0) {
    // Power law g(t) = g(t0)·(t/t0)^−ν (the PCM drift law of aihwkit's PCMLikeNoiseModel, t0 =
    // drift_t0 = 20 s by default), ν per device.
    const Scalar lt = Scalar(std::log(s.age_s / p_.drift_t0));
    out *= (-lt * s.drift_nu).exp();
  }
  if (s.reference.size()) out -= s.reference;
}

void PulsedDevice::add_read_noise(const DeviceState& s, Array& w, Rng& read) const {
  if (p_.read_noise_std <= 0) return;
  Array xi(w.rows(), w.cols());
  read.fill_normal(xi.data(), xi.size());
  if (p_.read_noise == "additive") {
    w += Scalar(p_.read_noise_std) * xi;
    return;
  }
  // PCM 1/f read noise (aihwkit PCMLikeNoiseModel), weight ↔ conductance
  // through g/g_max = |w| / max(|w_min|, |w_max|):
  //   Q_s = min(0.0088 / (g/g_max)^0.65, 0.2),  σ = |w|·Q_s·sqrt(ln((t + t_read)/(2 t_read))),
  // with t = max(age_s, drift_t0) (the read happens after programming has settled).
  const double g_ref = std::max(std::abs(p_.w_min), std::abs(p_.w_max));
  const double t = std::max(s.age_s, p_.drift_t0);
  const Scalar time_factor =
      Scalar(std::sqrt(std::max(0.0, std::log((t + kPcmReadTime) / (2 * kPcmReadTime)))));
  const Array ratio = (w.abs() / Scalar(g_ref)).max(1e-12f);
  const Array qs = (0.0088f * ratio.pow(-0.65f)).min(0.2f);
  w += Scalar(p_.read_noise_std) * time_factor * w.abs() * qs * xi;
}

void PulsedDevice::reset(DeviceState& s, const Rng& cycle, uint64_t event, Index row0,
                         Index row1, const PulseArray* mask) const {
  RowArray xi(s.cols());
  for (Index r = row0; r < row1; ++r) {
    Rng rng = cycle.at(event, uint32_t(r));
    rng.fill_normal(xi.data(), xi.size());
    const RowArray bias = s.reset_bias.size() ? RowArray(s.reset_bias.row(r))
                                              : RowArray::Constant(s.cols(), Scalar(p_.reset));
    const RowArray v = (bias + Scalar(p_.reset_std) * xi)
                           .max(RowArray(s.w_min.row(r)))
                           .min(RowArray(s.w_max.row(r)));
    if (mask)
      s.w.row(r) = (mask->row(r) != 0).select(v, RowArray(s.w.row(r)));
    else
      s.w.row(r) = v;
    if (s.w_apparent.size()) s.w_apparent.row(r) = s.w.row(r);
  }
}

}  // namespace xb::hw
