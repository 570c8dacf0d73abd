// SPDX-License-Identifier: MIT
#include "hw_models/update/stochastic_pulse.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "hw_models/core/parallel.h"
#include "hw_models/crossbar/tile.h"

namespace xb::hw {

namespace {

// Population count without relying on the POPCNT instruction (the CI build is generic
// x86-64, where __builtin_popcount becomes a library call); SWAR form, vectorisable with SSE2.
inline uint32_t popcount32(uint32_t v) {
#ifdef __POPCNT__
  return uint32_t(__builtin_popcount(v));
#else
  v = v - ((v >> 1) & 0x55555555u);
  v = (v & 0x33333333u) + ((v >> 2) & 0x33333333u);
  v = (v + (v >> 4)) & 0x0F0F0F0Fu;
  v += v >> 8;
  v += v >> 16;
  return v & 0x3Fu;
#endif
}

// A train of bl bits, each 1 with probability p, into words[0 .. ceil(bl/32)), from the
// lane's first bl raw numbers u: P(u < thr) = thr / 2^32 = p up to 2^-32.
void draw_train(const uint32_t* u, double p, int bl, uint32_t* words) {
  const int nw = (bl + 31) / 32;
  std::fill(words, words + nw, 0u);
  if (p <= 0) return;
  if (p >= 1) {
    for (int k = 0; k < bl; ++k) words[k >> 5] |= 1u << (k & 31);
    return;
  }
  const uint32_t thr = uint32_t(p * 4294967296.0);
  // One word at a time in a local (u and words may alias as far as the compiler knows, which
  // would store every bit).
  for (int w = 0; w < nw; ++w) {
    const int k0 = 32 * w, k1 = std::min(bl, k0 + 32);
    uint32_t bits = 0;
    for (int k = k0; k < k1; ++k) bits |= uint32_t(u[k] < thr) << (k - k0);
    words[w] = bits;
  }
}

}  // namespace

StochasticPulseScheme::Plan StochasticPulseScheme::plan(double lr, double dw_min, double x_max,
                                                        double d_max) const {
  Plan pl;
  lr = std::abs(lr);
  pl.bl = p_.desired_bl;
  if (!p_.fixed_bl && p_.update_bl_management)
    pl.bl = int(std::clamp(std::ceil(lr * x_max * d_max / dw_min), 1.0, double(p_.desired_bl)));
  const double ab = lr / (dw_min * pl.bl);
  pl.a = pl.b = std::sqrt(ab);
  if (p_.update_management && x_max > 0 && d_max > 0) {
    pl.a = std::sqrt(ab * p_.um_grad_scale * d_max / x_max);
    pl.b = ab / pl.a;
  }
  return pl;
}

void StochasticPulseScheme::apply(Tile& tile, const UpdateRequest& r,
                                  UpdateReport& rep) {
  if (!r.has_factors()) {
    apply_dense(tile, *r.dw, rep);
    return;
  }
  for (Index b = 0; b < r.x->cols(); ++b)
    apply_rank1(tile, r.x->col(b).data(), r.d->col(b).data(), r.lr, rep);
}

void StochasticPulseScheme::apply_rank1(Tile& tile, const Scalar* x, const Scalar* d,
                                        double lr, UpdateReport& rep) {
  const Index m = tile.out_size(), n = tile.in_size();
  const Eigen::Map<const Vector> xv(x, n), dv(d, m);
  const double x_max = xv.cwiseAbs().maxCoeff(), d_max = dv.cwiseAbs().maxCoeff();
  if (lr == 0 || x_max == 0 || d_max == 0) return;
  const Plan pl = plan(lr, tile.dw_min(), x_max, d_max);
  rep.write_slots += uint64_t(pl.bl);  // one coincidence train of BL slots per sample
  const int nw = (pl.bl + 31) / 32;

  // Trains: lanes 0..m-1 rows (d), m..m+n-1 columns (x); each lane its own stream, so the
  // draws do not depend on the thread split.
  std::vector<uint32_t> dmask(size_t(m * nw)), xmask(size_t(n * nw));
  std::vector<int32_t> dsgn(static_cast<size_t>(m)), xsgn(static_cast<size_t>(n));
  std::vector<uint8_t> clipped(size_t(m + n), 0);
  // A block's lanes draw their numbers together (Tile::scheme_bits: the same numbers as each
  // lane's own stream, with BL-long lanes sharing SIMD Philox calls).
  parallel_rows(m + n, [&](Index l0, Index l1) {
    thread_local std::vector<uint32_t> ids, bits;
    ids.resize(size_t(l1 - l0));
    for (Index l = l0; l < l1; ++l) ids[size_t(l - l0)] = uint32_t(l);
    bits.resize(size_t((l1 - l0) * pl.bl));
    tile.scheme_bits(ids.data(), l1 - l0, pl.bl, bits.data());
    for (Index l = l0; l < l1; ++l) {
      const bool row = l < m;
      const Index k = row ? l : l - m;
      const Scalar v = row ? d[k] : x[k];
      const double p = (row ? pl.b : pl.a) * std::abs(double(v));
      clipped[size_t(l)] = p > 1 ? 1 : 0;
      draw_train(&bits[size_t((l - l0) * pl.bl)], p, pl.bl,
                 row ? &dmask[size_t(k * nw)] : &xmask[size_t(k * nw)]);
      (row ? dsgn[size_t(k)] : xsgn[size_t(k)]) = v < 0 ? -1 : 0;
    }
  }, 64);
  for (uint8_t c : clipped) prob_clipped_ += c;
  if (LineProbe* probe = tile.line_probe()) {
    // The window's trains, bit by bit, and each line's pulse polarity (a cell moves by the
    // product: +1 raises W).
    const LineWindow& w = probe->window;
    PulseTrains t;
    t.bl = pl.bl;
    auto bit = [&](const std::vector<uint32_t>& mask, Index line, int k) {
      return uint8_t(mask[size_t(line * nw + k / 32)] >> (k & 31) & 1u);
    };
    for (Index i = w.r0; i < w.r1; ++i) {
      for (int k = 0; k < pl.bl; ++k) t.row_bits.push_back(bit(dmask, i, k));
      t.row_sign.push_back(int8_t((dsgn[size_t(i)] ^ (lr > 0 ? -1 : 0)) ? -1 : 1));
    }
    for (Index j = w.c0; j < w.c1; ++j) {
      for (int k = 0; k < pl.bl; ++k) t.col_bits.push_back(bit(xmask, j, k));
      t.col_sign.push_back(int8_t(xsgn[size_t(j)] ? -1 : 1));
    }
    probe->trains.push_back(std::move(t));
  }

  // Pulse sign −sign(lr)·sign(d_i)·sign(x_j): as a mask m (0 = positive, −1 = negative),
  // m = sx ^ sd ^ flip, and n = (c ^ m) − m is c or −c.
  const int32_t flip = lr > 0 ? -1 : 0;
  tile.apply_pulses(
      [&](PulseArray& cnt, Index r0, Index r1) {
        for (Index i = r0; i < r1; ++i) {
          int32_t* out = &cnt(i - r0, 0);
          const int32_t si = dsgn[size_t(i)] ^ flip;
          if (nw == 1) {
            const uint32_t md = dmask[size_t(i)];
            if (md == 0) {
              std::fill(out, out + n, 0);
              continue;
            }
            const uint32_t* xm = xmask.data();
            const int32_t* xs = xsgn.data();
            for (Index j = 0; j < n; ++j) {
              const int32_t c = int32_t(popcount32(xm[j] & md));
              const int32_t s = xs[j] ^ si;
              out[j] = (c ^ s) - s;
            }
          } else {
            const uint32_t* md = &dmask[size_t(i * nw)];
            for (Index j = 0; j < n; ++j) {
              const uint32_t* mx = &xmask[size_t(j * nw)];
              int32_t c = 0;
              for (int w = 0; w < nw; ++w) c += int32_t(popcount32(mx[w] & md[w]));
              const int32_t s = xsgn[size_t(j)] ^ si;
              out[j] = (c ^ s) - s;
            }
          }
        }
      },
      rep);
}

void StochasticPulseScheme::apply_dense(Tile& tile, const Matrix& dw,
                                        UpdateReport& rep) const {
  const double inv = 1.0 / tile.dw_min();
  const int cap = p_.desired_bl;
  // Streams of this update's event, taken before apply_pulses advances the event counter.
  std::vector<Rng> rngs;
  rngs.reserve(size_t(tile.out_size()));
  for (Index i = 0; i < tile.out_size(); ++i) rngs.push_back(tile.scheme_rng(uint32_t(i)));
  tile.apply_pulses(
      [&](PulseArray& cnt, Index r0, Index r1) {
        for (Index i = r0; i < r1; ++i) {
          Rng& rng = rngs[size_t(i)];
          for (Index j = 0; j < dw.cols(); ++j) {
            const double v = std::abs(double(dw(i, j))) * inv;
            const double fl = std::floor(v);
            int k = int(std::min(fl, double(cap)));
            if (k < cap && rng.uniform() < v - fl) ++k;
            cnt(i - r0, j) = dw(i, j) < 0 ? -k : k;
          }
        }
      },
      rep);
  rep.write_slots = row_serial_slots(rep, tile);
}

void register_scheme_stochastic_pulse(SchemeRegistry& r) {
  r.add_model<StochasticPulseParams, StochasticPulseScheme>(
      "stochastic_pulse",
      "rank-1 coincidence of stochastic pulse trains (Gokmen & Vlasov 2016), BL and update "
      "management");
}

}  // namespace xb::hw
