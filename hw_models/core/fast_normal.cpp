// SPDX-License-Identifier: MIT
#include "hw_models/core/fast_normal.h"

#include <algorithm>
#include <cmath>
#include <cstdint>

namespace xb {

void fill_normal_fast(Rng& rng, Scalar* out, Index n) {
  // Chunks of kPairs Box–Muller pairs in fixed-size arrays on the stack: everything a chunk
  // touches stays in L1, and the transcendental functions always run on whole SIMD packets
  // (a partial chunk is padded with a fixed input whose results are never read; Eigen would
  // otherwise evaluate a tail that does not fill a packet with scalar libm calls).
  constexpr int kPairs = 256;
  using A = Eigen::Map<Eigen::Array<Scalar, Eigen::Dynamic, 1>, Eigen::AlignedMax>;
  alignas(64) uint32_t bits[2 * kPairs];
  alignas(64) Scalar buf[5][kPairs];
  const Scalar scale = Scalar(1.0 / 16777216.0);  // 2^-24: 24 bits fill a float mantissa
  const Index pairs = (n + 1) / 2;
  for (Index p0 = 0; p0 < pairs; p0 += kPairs) {
    const int m = int(std::min<Index>(kPairs, pairs - p0));
    // The same 32-bit numbers, in the same order, as 2·pairs calls of rng() (pair k uses
    // numbers 2k and 2k+1); the Philox blocks are computed many at a time (Rng::fill_bits).
    rng.fill_bits(bits, 2 * m);
    const int padded = (m + 15) / 16 * 16;  // whole packets of up to 16 floats
    A u1(buf[0], padded), u2(buf[1], padded), r(buf[2], padded), c(buf[3], padded),
        s(buf[4], padded);
    for (int k = 0; k < m; ++k) {
      u1(k) = (Scalar(int32_t(bits[2 * k] >> 8)) + Scalar(0.5)) * scale;  // (0, 1): log > -inf
      u2(k) = Scalar(int32_t(bits[2 * k + 1] >> 8)) * scale * Scalar(2 * M_PI);
    }
    for (int k = m; k < padded; ++k) {
      u1(k) = Scalar(0.5);
      u2(k) = Scalar(0);
    }
    r = (Scalar(-2) * u1.log()).sqrt();
    c = r * u2.cos();
    s = r * u2.sin();
    Scalar* o = out + 2 * p0;
    const int full = int(std::min<Index>(m, (n - 2 * p0) / 2));
    for (int k = 0; k < full; ++k) {
      o[2 * k] = c(k);
      o[2 * k + 1] = s(k);
    }
    if (full < m) o[2 * full] = c(full);  // n odd: the last pair's second number is dropped
  }
}

}  // namespace xb
