// SPDX-License-Identifier: MIT
#include "hw_models/core/fast_normal.h"

#include <cmath>

namespace xb {

void fill_normal_fast(Rng& rng, Scalar* out, Index n) {
  using A = Eigen::Array<Scalar, Eigen::Dynamic, 1>;
  const Index pairs = (n + 1) / 2;
  // Reused per thread: no allocation on the hot path once warmed up.
  thread_local A u1, u2, r, c, s;
  u1.resize(pairs);
  u2.resize(pairs);
  const Scalar scale = Scalar(1.0 / 16777216.0);  // 2^-24: 24 bits fill a float mantissa
  for (Index k = 0; k < pairs; ++k) {
    const uint32_t a = rng(), b = rng();
    u1(k) = (Scalar(a >> 8) + Scalar(0.5)) * scale;  // (0, 1): log never sees 0
    u2(k) = Scalar(b >> 8) * scale * Scalar(2 * M_PI);
  }
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
