// SPDX-License-Identifier: MIT
#include "hw_models/core/fast_normal.h"

#include <cmath>
#include <cstdint>
#include <vector>

namespace xb {

void fill_normal_fast(Rng& rng, Scalar* out, Index n) {
  using A = Eigen::Map<Eigen::Array<Scalar, Eigen::Dynamic, 1>, Eigen::AlignedMax>;
  const Index pairs = (n + 1) / 2;
  // The transcendental functions run on a whole number of 16-float packets: Eigen evaluates a
  // tail that does not fill a packet with scalar libm calls, ~20 ns each, which dominated short
  // fills. Padding entries are computed from a fixed input and never read.
  const Index padded = (pairs + 15) / 16 * 16;
  // Scratch reused per thread and only ever grown: no allocation on the hot path once warmed
  // up (an Eigen array's resize() to another size would reallocate on every call).
  thread_local std::vector<uint32_t> bits;
  thread_local std::vector<Scalar, Eigen::aligned_allocator<Scalar>> buf;
  const size_t cap = size_t(padded);  // 16 floats = 64 bytes: each of the 5 arrays stays aligned
  if (bits.size() < size_t(2 * pairs)) bits.resize(size_t(2 * pairs));
  if (buf.size() < 5 * cap) buf.resize(5 * cap);
  A u1(buf.data(), padded), u2(buf.data() + cap, padded), r(buf.data() + 2 * cap, padded),
      c(buf.data() + 3 * cap, padded), s(buf.data() + 4 * cap, padded);
  // The same 32-bit numbers, in the same order, as 2·pairs calls of rng() (pair k uses numbers
  // 2k and 2k+1), but the Philox blocks are computed four at a time (Rng::fill_bits).
  rng.fill_bits(bits.data(), 2 * pairs);
  const Scalar scale = Scalar(1.0 / 16777216.0);  // 2^-24: 24 bits fill a float mantissa
  const uint32_t* b = bits.data();
  for (Index k = 0; k < pairs; ++k) {
    u1(k) = (Scalar(int32_t(b[2 * k] >> 8)) + Scalar(0.5)) * scale;  // (0, 1): log never sees 0
    u2(k) = Scalar(int32_t(b[2 * k + 1] >> 8)) * scale * Scalar(2 * M_PI);
  }
  u1.tail(padded - pairs).setConstant(Scalar(0.5));
  u2.tail(padded - pairs).setZero();
  // Contiguous destinations, so that Eigen's packet log/sin/cos are used; interleaved after.
  r = (Scalar(-2) * u1.log()).sqrt();
  c = r * u2.cos();
  s = r * u2.sin();
  const Index full = n / 2;
  for (Index k = 0; k < full; ++k) {
    out[2 * k] = c(k);
    out[2 * k + 1] = s(k);
  }
  if (n % 2) out[n - 1] = c(full);
}

}  // namespace xb
