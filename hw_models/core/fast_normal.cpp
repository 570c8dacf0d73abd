// SPDX-License-Identifier: MIT
#include "hw_models/core/fast_normal.h"

#include <algorithm>
#include <cmath>
#include <cstdint>

namespace xb {

namespace {

// Box–Muller pairs per chunk: the chunk's buffers (fixed-size arrays on the stack) stay in L1.
constexpr int kPairs = 256;

// m ≤ kPairs pairs from 2m raw numbers (pair k uses numbers 2k and 2k+1) into c[k] (cosine
// branch) and s[k] (sine branch). The transcendental functions run on whole SIMD packets: a
// partial packet is padded with a fixed input whose results are never read (Eigen would
// otherwise evaluate a tail that does not fill a packet with scalar libm calls, which round
// differently), so every number is the same whatever chunk or position it is computed in.
void box_muller(const uint32_t* bits, int m, Scalar* c, Scalar* s) {
  using A = Eigen::Map<Eigen::Array<Scalar, Eigen::Dynamic, 1>, Eigen::AlignedMax>;
  alignas(64) Scalar buf[3][kPairs];
  const Scalar scale = Scalar(1.0 / 16777216.0);  // 2^-24: 24 bits fill a float mantissa
  const int padded = (m + 15) / 16 * 16;          // whole packets of up to 16 floats
  A u1(buf[0], padded), u2(buf[1], padded), r(buf[2], padded), cos_b(c, padded),
      sin_b(s, padded);
  for (int k = 0; k < m; ++k) {
    u1(k) = (Scalar(int32_t(bits[2 * k] >> 8)) + Scalar(0.5)) * scale;  // (0, 1): log > -inf
    u2(k) = Scalar(int32_t(bits[2 * k + 1] >> 8)) * scale * Scalar(2 * M_PI);
  }
  for (int k = m; k < padded; ++k) {
    u1(k) = Scalar(0.5);
    u2(k) = Scalar(0);
  }
  r = (Scalar(-2) * u1.log()).sqrt();
  cos_b = r * u2.cos();
  sin_b = r * u2.sin();
}

// Writes n numbers of pairs (c, s) interleaved: c0 s0 c1 s1 ...; n odd drops the last s.
void interleave(const Scalar* c, const Scalar* s, Index n, Scalar* out) {
  for (Index k = 0; 2 * k + 1 < n; ++k) {
    out[2 * k] = c[k];
    out[2 * k + 1] = s[k];
  }
  if (n % 2) out[n - 1] = c[n / 2];
}

}  // namespace

void fill_normal_fast(Rng& rng, Scalar* out, Index n) {
  alignas(64) uint32_t bits[2 * kPairs];
  alignas(64) Scalar c[kPairs], s[kPairs];
  const Index pairs = (n + 1) / 2;
  for (Index p0 = 0; p0 < pairs; p0 += kPairs) {
    const int m = int(std::min<Index>(kPairs, pairs - p0));
    // The same 32-bit numbers, in the same order, as 2·pairs calls of rng(); the Philox
    // blocks are computed many at a time (Rng::fill_bits).
    rng.fill_bits(bits, 2 * m);
    box_muller(bits, m, c, s);
    interleave(c, s, std::min<Index>(2 * m, n - 2 * p0), out + 2 * p0);
  }
}

void fill_normal_lanes(const Rng& base, uint64_t event, const uint32_t* lanes, Index count,
                       Index n, Scalar* out) {
  const Index pairs = (n + 1) / 2;
  if (pairs > kPairs / 2) {  // long lanes fill chunks on their own
    for (Index k = 0; k < count; ++k) {
      Rng r = base.at(event, lanes[k]);
      fill_normal_fast(r, out + k * n, n);
    }
    return;
  }
  // Whole lanes per chunk; each lane's numbers are those of fill_normal_fast on its stream
  // (same raw numbers, same pairing, same packet arithmetic).
  alignas(64) uint32_t bits[2 * kPairs];
  alignas(64) Scalar c[kPairs], s[kPairs];
  const Index per_chunk = kPairs / pairs;
  for (Index k0 = 0; k0 < count; k0 += per_chunk) {
    const Index lanes_here = std::min(per_chunk, count - k0);
    base.fill_bits_lanes(event, lanes + k0, lanes_here, 2 * pairs, bits);
    box_muller(bits, int(lanes_here * pairs), c, s);
    for (Index k = 0; k < lanes_here; ++k)
      interleave(c + k * pairs, s + k * pairs, n, out + (k0 + k) * n);
  }
}

}  // namespace xb
