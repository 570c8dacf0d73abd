// SPDX-License-Identifier: MIT
#include "hw_models/devices/pulsed_device.h"

#include <algorithm>
#include <cmath>
#include <type_traits>
#include <vector>

#include "hw_models/core/distributions.h"
#include "hw_models/core/fast_normal.h"
#include "hw_models/core/parallel.h"

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

namespace {

// Per-thread scratch of the pulse engine, grown on demand and never shrunk: no allocation on
// the hot path once warmed up (resizing an Eigen array to another size would reallocate).
struct EngineScratch {
  std::vector<int32_t> order, start, hist;
  std::vector<int32_t> active, slow;
  std::vector<Scalar> xi;
  PulseGroup group;
  RowArray dw, amp;
  AffineRow affine;
  RowArray z;                                   // summed draw: the normals, at their columns
  Eigen::Array<int32_t, 1, Eigen::Dynamic> ok;  // summed draw: 1 = taken

  void reserve(Index cols, std::size_t n_extra) {
    if (dw.size() < cols) {
      for (RowArray* a : {&group.w, &group.dw, &group.lo, &group.hi, &dw, &amp, &z})
        a->resize(cols);
      ok.resize(cols);
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
  // The gathers below visit the row's devices in count order, which the hardware prefetcher
  // cannot follow; ask for the row's cache lines now, so that they arrive during the sort.
  const Index cols_total = s.cols(), line = 64 / Index(sizeof(Scalar));
  const auto prefetch_row = [&](const Array& a) {
    for (Index j = 0; j < cols_total; j += line) __builtin_prefetch(&a(r, j));
  };
  for (const Array* a : {&s.w, &s.dw_up, &s.dw_down, &s.w_min, &s.w_max}) prefetch_row(*a);
  for (const Array& a : s.extra) prefetch_row(a);
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
    // Gathers, one array at a time (a short loop per array keeps the indices in registers).
    const auto gather = [&](const Array& from, RowArray& to) {
      const Scalar* __restrict src = &from(r, 0);
      Scalar* __restrict dst = to.data();
      for (Index q = 0; q < size; ++q) dst[q] = src[ord[q]];
    };
    gather(s.w, g.w);
    gather(g.up ? s.dw_up : s.dw_down, g.dw);
    gather(s.w_min, g.lo);
    gather(s.w_max, g.hi);
    for (std::size_t e = 0; e < s.extra.size(); ++e) gather(s.extra[e], g.extra[e]);
    const int32_t* hist = &sc.hist[dir * width];
    Index active = size;
    for (int k = 0; active > 0; ++k) {
      step(g, active, sc.dw);
      auto w = g.w.head(active);
      const auto lo = g.lo.head(active), hi = g.hi.head(active);
      const auto dw = sc.dw.head(active);
      if (noisy) {
        const Eigen::Map<const RowArray> xi(sc.xi.data() + used, active);
        used += active;
        if (c2c_amplitude(g, active, sc.dw, sc.amp))
          w = (w + dw + sc.amp.head(active) * xi).max(lo).min(hi);
        else if (p_.mult_noise)  // Δ·(1 + σξ) = Δ + (σΔ)·ξ
          w = (w + dw + Scalar(p_.dw_min_std) * dw * xi).max(lo).min(hi);
        else  // Δ + σ·dw_min·ξ
          w = (w + dw + Scalar(p_.dw_min_std * p_.dw_min) * xi).max(lo).min(hi);
      } else {
        w = (w + dw).max(lo).min(hi);
      }
      active -= hist[k + 1];  // the devices with exactly k + 1 pulses are done
    }
    Scalar* __restrict wr = &s.w(r, 0);
    const Scalar* __restrict wg = g.w.data();
    for (Index q = 0; q < size; ++q) wr[ord[q]] = wg[q];
  }
}

void PulsedDevice::tangent(const RowArray& w0, const RowArray& d0, const RowArray& d1,
                           const RowArray& d2, RowArray& alpha, RowArray& beta,
                           RowArray& half_width) {
  beta = -d1;
  alpha = d0 - d1 * w0;
  half_width = (2.0f * kTangentTolerance * d0.abs() / d2.abs().max(1e-30f))
                   .sqrt()
                   .min(0.5f * d0.abs() / d1.abs().max(1e-30f));
}

namespace {

// log(1 + x) for |x| ≤ 0.05: its series to x⁸ (truncation below 0.05⁹/9 ≈ 2e-13).
inline Scalar log1p_small(Scalar x) {
  return x * (1.0f + x * (-0.5f + x * (1.0f / 3 + x * (-0.25f + x * (0.2f + x * (-1.0f / 6 +
                                                       x * (1.0f / 7 + x * -0.125f)))))));
}
// eˣ − 1 for |x| ≤ 1: Taylor to x¹⁰ (truncation below 1/11! ≈ 2.5e-8, relative to |x|).
inline Scalar expm1_small(Scalar x) {
  return x * (1.0f + x * (1.0f / 2 + x * (1.0f / 6 + x * (1.0f / 24 + x * (1.0f / 120 +
         x * (1.0f / 720 + x * (1.0f / 5040 + x * (1.0f / 40320 + x * (1.0f / 362880 +
         x * (1.0f / 3628800))))))))));
}

}  // namespace

// Summed draw for affine laws, Δ(w) = α − βw, with Gaussian c2c noise. Write ρ = 1 − β. The
// mean path of n same-direction pulses from w₀ is m_k = w₀ + Δ₀·(1 − ρᵏ)/β (Δ₀ = Δ(w₀);
// k·Δ₀ when β = 0), and its variance is, exactly:
//   additive noise a·ξ (a = σ·dw_min):  a²·Σ_{k<n} ρ^{2k}
//   multiplicative Δ(w)(1 + σξ):        (σΔ₀)²·ρ^{2n−2}·((1 + q)ⁿ − 1)/q,  q = (βσ/ρ)²
// (the distance to the fixed point w* = α/β is multiplied by ρ − βσξ at each pulse, so its
// first two moments are products). One Gaussian with this mean and variance replaces the n
// pulses. It is exact in distribution for a constant step (β = 0) and for additive noise (a
// linear recursion with Gaussian inputs); for multiplicative noise with β ≠ 0 it matches the
// first two moments exactly and the third through a Cornish–Fisher term (the skewness is
// ~3√n·βσ; what remains is measured against the per-pulse engine in
// tests/hw_models/devices/pulse_engine_test.cpp). Clipping and the affine form's region
// (Δ keeps the pulse's sign) only matter if the path leaves them at some intermediate pulse:
// the summed draw is used for devices whose whole band [min(w₀, m_n) − z·sd, max(w₀, m_n) +
// z·sd] (z = 6) lies inside both; for a random walk Lévy's inequality bounds an excursion
// beyond the band by 4·Φ̄(6) ≈ 4e-9. The other pulsed devices take the exact per-pulse engine,
// after the summed draws, on the same row stream. Everything but the draw is whole-row
// array code.
void PulsedDevice::pulses_summed(DeviceState& s, const int32_t* nrow, const int32_t* act,
                                 Index m, Rng& rng, Index r) const {
  EngineScratch& sc = scratch();  // reserved by apply_pulses
  const Index cols = s.cols();
  sc.affine.bounded = false;  // the scratch is shared by every device on this thread
  affine_step(s, r, sc.affine);
  const AffineRow& c = sc.affine;
  const Scalar sigma = Scalar(p_.dw_min_std);
  // One normal per pulsed device, in column order, placed at its column (0 elsewhere).
  sc.z.head(cols).setZero();
  if (sigma > 0) {
    if (sc.xi.size() < std::size_t(m)) sc.xi.resize(std::size_t(m));
    xb::fill_normal_fast(rng, sc.xi.data(), m);
    for (Index k = 0; k < m; ++k) sc.z(act[k]) = sc.xi[std::size_t(k)];
  }
  // One plain loop over the row: the functions are polynomials on the domain where the summed
  // draw is used (|β| ≤ 0.05, n·|log ρ| ≤ 1, q ≤ 0.01); devices outside it take the per-pulse
  // engine.
  const Scalar add_amp = sigma * Scalar(p_.dw_min);
  // Raw pointers, marked as not aliasing each other (w and ok_out are the only ones written),
  // so that the compiler needs no run-time overlap checks.
  // lo and hi: the device's bounds, or for a piecewise-affine law the part of its current
  // piece inside them (a draw beyond the 6σ band, probability < 2e-9, is then clipped to the
  // piece rather than continued on the next one).
  Scalar* __restrict w = &s.w(r, 0);
  const Scalar* __restrict lo = c.bounded ? c.v_lo.data() : &s.w_min(r, 0);
  const Scalar* __restrict hi = c.bounded ? c.v_hi.data() : &s.w_max(r, 0);
  const Scalar* __restrict z = sc.z.data();
  int32_t* __restrict ok_out = sc.ok.data();
  const int32_t* __restrict counts = nrow;
  const Scalar *__restrict au = c.a_up.data(), *__restrict ad = c.a_down.data();
  const Scalar *__restrict bu = c.b_up.data(), *__restrict bd = c.b_down.data();
  // Every operation below runs unconditionally (divisions by a safe denominator) and values
  // are chosen with ternaries, so that the loop has no control flow and vectorises; the
  // conditions are combined with a bitwise & on purpose.
#if defined(__clang__)
#pragma clang diagnostic push
#pragma clang diagnostic ignored "-Wbitwise-instead-of-logical"
#endif
  const auto row = [&](auto mult_noise) {
    constexpr bool kMult = decltype(mult_noise)::value;
    for (Index j = 0; j < cols; ++j) {
      const int32_t cj = counts[j];
      const bool up = cj > 0;
      const Scalar n = Scalar(cj < 0 ? -cj : cj);
      const Scalar a_up = au[j], a_down = ad[j], b_up = bu[j], b_down = bd[j];
      const Scalar alpha = up ? a_up : a_down, beta = up ? b_up : b_down;
      const bool flat = beta == 0.0f;
      const Scalar beta_safe = flat ? 1.0f : beta;
      const Scalar w0 = w[j];
      const Scalar delta0 = alpha - beta * w0;
      const Scalar x = n * log1p_small(-beta);
      const Scalar e = expm1_small(x);  // ρⁿ − 1
      // Mean after n pulses: w₀ + Δ₀·Σ_{k<n} ρᵏ.
      const Scalar mean = w0 + delta0 * (flat ? n : -e / beta_safe);
      Scalar var, skew = 0.0f, q = 0.0f;
      if constexpr (!kMult) {
        // a²·Σ_{k<n} ρ^{2k} = a²·(1 − ρ^{2n})/(1 − ρ²), with ρ^{2n} − 1 = e(e + 2).
        const Scalar ratio = -e * (e + 2.0f) / (beta_safe * (2.0f - beta_safe));
        var = add_amp * add_amp * (flat ? n : ratio);
      } else {
        // K2 = (1 + q)ⁿ − 1, var = (σΔ₀)²·ρ^{2n−2}·K2/q (→ n(σΔ₀)² as q → 0), and the
        // skewness of w is −sign(Δ₀β)·K3/K2^{3/2} with K3 = (1 + 3q)ⁿ − 3(1 + q)ⁿ + 2 from its
        // series 6C(n,2)q² + 24C(n,3)q³ + 78C(n,4)q⁴ (the difference would cancel in float).
        const Scalar rq = beta * sigma / (1.0f - beta);
        q = rq * rq;
        const Scalar k2 = expm1_small(n * log1p_small(q));
        const Scalar rho_n1 = (1.0f + e) / (1.0f - beta);  // ρ^{n−1}
        const Scalar q_safe = q > 0.0f ? q : 1.0f;
        const Scalar growth = q > 0.0f ? k2 / q_safe : n;
        var = sigma * delta0 * sigma * delta0 * growth * rho_n1 * rho_n1;
        const Scalar n2 = n * (n - 1.0f), n3 = n2 * (n - 2.0f), n4 = n3 * (n - 3.0f);
        const Scalar k3 = q * q * (3.0f * n2 + q * (4.0f * n3 + 3.25f * n4 * q));
        // Below K2 = 1e-12 the skewness (~3·sqrt(K2)) is negligible and the quotient would
        // underflow.
        const Scalar k2_safe = std::max(k2, 1e-12f);
        const Scalar g = k2 > 1e-12f ? k3 / (k2_safe * std::sqrt(k2_safe)) : 0.0f;
        skew = (delta0 > 0.0f) == (beta > 0.0f) ? -g : g;
      }
      const Scalar sd = std::sqrt(std::max(var, 0.0f));
      // The band of the path; Δ must keep the pulse's sign at both of its ends (Δ is
      // monotone in between).
      const Scalar band = kFastPathSigmas * sd;
      const Scalar path_lo = std::min(w0, mean) - band, path_hi = std::max(w0, mean) + band;
      const Scalar d_lo = alpha - beta * path_lo, d_hi = alpha - beta * path_hi;
      // Non-short-circuit & on the conditions and unconditional loads: no branch in the loop.
      const bool pos = (d_lo >= 0.0f) & (d_hi >= 0.0f), neg = (d_lo <= 0.0f) & (d_hi <= 0.0f);
      const bool sign_kept = (up & pos) | (!up & neg);
      const bool domain = (std::abs(beta) <= 0.05f) & (std::abs(x) <= 1.0f) & (q <= 0.01f);
      const Scalar lo_j = lo[j], hi_j = hi[j];
      const bool ok = (cj != 0) & domain & (path_lo >= lo_j) & (path_hi <= hi_j) & sign_kept;
      // The third moment through a first-order Cornish–Fisher term, rescaled so that the
      // mean and variance stay exact: (z + γ/6·(z² − 1)) / sqrt(1 + γ²/18).
      const Scalar zj = z[j];
      const Scalar draw =
          (zj + skew / 6.0f * (zj * zj - 1.0f)) / std::sqrt(1.0f + skew * skew / 18.0f);
      w[j] = ok ? std::min(std::max(mean + sd * draw, lo_j), hi_j) : w0;
      ok_out[j] = ok ? 1 : 0;
    }
  };
#if defined(__clang__)
#pragma clang diagnostic pop
#endif
  if (p_.mult_noise)
    row(std::true_type{});
  else
    row(std::false_type{});
  // The rest, pulse by pulse.
  int32_t* slow = sc.slow.data();
  Index n_slow = 0;
  for (Index k = 0; k < m; ++k) {
    slow[n_slow] = act[k];
    n_slow += 1 - ok_out[act[k]];
  }
  if (n_slow > 0) pulses_exact(s, nrow, slow, n_slow, rng, r);
}

void PulsedDevice::apply_pulses(DeviceState& s, const Eigen::Ref<const PulseArray>& n,
                                const Rng& cycle, uint64_t event, Index row0) const {
  const bool summed = p_.summed_pulses && affine() && p_.c2c_noise == "gaussian";
  const Index cols = s.cols();
  EngineScratch& sc = scratch();
  sc.reserve(cols, s.extra.size());
  RowArray xi;
  for (Index r = row0; r < row0 + n.rows(); ++r) {
    // Updates are sparse at small learning rates: work on the list of pulsed devices only.
    // Branch-free compaction: the index is always written, the length grows only if pulsed.
    const int32_t* nrow = n.data() + (r - row0) * n.outerStride();
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
          (n.row(r - row0) != 0).select(wr + Scalar(p_.write_noise_std * p_.dw_min) * xi,
                                 RowArray(s.w_apparent.row(r)));
    }
  }
}

void PulsedDevice::advance(DeviceState& s, double batches, double seconds, const Rng& cycle,
                           uint64_t event) const {
  s.age_s += seconds;
  if (batches <= 0 || (!s.decay.size() && !s.diffusion.size())) return;
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

void PulsedDevice::add_read_noise(const DeviceState& s, Array& w, const Rng& read,
                                  uint64_t event) const {
  if (p_.read_noise_std <= 0) return;
  const bool pcm = p_.read_noise == "pcm";
  // PCM 1/f read noise (aihwkit PCMLikeNoiseModel), weight ↔ conductance
  // through g/g_max = |w| / max(|w_min|, |w_max|):
  //   Q_s = min(0.0088 / (g/g_max)^0.65, 0.2),  σ = |w|·Q_s·sqrt(ln((t + t_read)/(2 t_read))),
  // with t = max(age_s, drift_t0) (the read happens after programming has settled).
  const Scalar inv_g_ref = Scalar(1.0 / std::max(std::abs(p_.w_min), std::abs(p_.w_max)));
  const double t = std::max(s.age_s, p_.drift_t0);
  const Scalar time_factor =
      Scalar(std::sqrt(std::max(0.0, std::log((t + kPcmReadTime) / (2 * kPcmReadTime)))));
  const Scalar sd = Scalar(p_.read_noise_std);
  parallel_rows(w.rows(), [&](Index r0, Index r1) {
    thread_local RowArray xi;
    xi.resize(w.cols());
    for (Index r = r0; r < r1; ++r) {
      Rng rng = read.at(event, uint32_t(r));
      fill_normal_fast(rng, xi.data(), xi.size());
      auto wr = w.row(r);
      if (!pcm) {
        wr += sd * xi;
        continue;
      }
      const RowArray ratio = (wr.abs() * inv_g_ref).max(1e-12f);
      const RowArray qs = (0.0088f * ratio.pow(-0.65f)).min(0.2f);
      wr += sd * time_factor * wr.abs() * qs * xi;
    }
  }, 16);
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
