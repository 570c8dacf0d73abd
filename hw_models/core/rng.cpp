// SPDX-License-Identifier: MIT
#include "hw_models/core/rng.h"

#include <Random123/boxmuller.hpp>
#include <Random123/uniform.hpp>

#include <cmath>

namespace xb {

namespace {
// SplitMix64 finaliser: spreads (seed, stream, unit) over the 64-bit Philox key.
uint64_t mix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}
}  // namespace

Rng::Rng(uint64_t seed, Stream stream, uint32_t unit, uint64_t event, uint32_t lane)
    : seed_(seed), stream_(static_cast<uint32_t>(stream)), unit_(unit), event_(event),
      lane_(lane) {
  const uint64_t k = mix64(mix64(seed) ^ (uint64_t(stream_) << 32 | unit_));
  key_ = {{static_cast<uint32_t>(k), static_cast<uint32_t>(k >> 32)}};
  // Counter: [block, lane, event low, event high]; 2^32 blocks of 4 numbers per position.
  ctr_ = {{0u, lane_, static_cast<uint32_t>(event_), static_cast<uint32_t>(event_ >> 32)}};
}

Rng Rng::at(uint64_t event, uint32_t lane) const {
  return Rng(seed_, static_cast<Stream>(stream_), unit_, event, lane);
}

Rng Rng::unit(uint32_t u) const { return Rng(seed_, static_cast<Stream>(stream_), u, event_, lane_); }

void Rng::refill() {
  block_ = Philox()(ctr_, key_);
  ctr_.v[0]++;
  used_ = 0;
}

Rng::result_type Rng::operator()() {
  if (used_ == 4) refill();
  return block_.v[used_++];
}

double Rng::uniform() {
  const uint64_t hi = (*this)(), lo = (*this)();
  // 53 random bits, shifted by half an ulp so that 0 is never returned.
  return ((hi << 21 ^ lo >> 11) + 0.5) * 0x1.0p-53;
}

double Rng::normal() {
  if (has_spare_normal_) {
    has_spare_normal_ = false;
    return spare_normal_;
  }
  const double u1 = uniform(), u2 = uniform();
  const double r = std::sqrt(-2.0 * std::log(u1));
  spare_normal_ = r * std::sin(2.0 * M_PI * u2);
  has_spare_normal_ = true;
  return r * std::cos(2.0 * M_PI * u2);
}

void Rng::fill_uniform(Scalar* out, Index n) {
  for (Index i = 0; i < n; ++i) out[i] = r123::u01<float>((*this)());
}

void Rng::fill_normal(Scalar* out, Index n) {
  // Whole Philox blocks, two Box–Muller pairs each; the tail of the last block is dropped so
  // that the numbers depend only on (key, counter), not on earlier calls' leftovers.
  Index i = 0;
  while (i < n) {
    const Philox::ctr_type b = Philox()(ctr_, key_);
    ctr_.v[0]++;
    const r123::float2 p = r123::boxmuller(b.v[0], b.v[1]);
    const r123::float2 q = r123::boxmuller(b.v[2], b.v[3]);
    const float v[4] = {p.x, p.y, q.x, q.y};
    for (int k = 0; k < 4 && i < n; ++k) out[i++] = v[k];
  }
  used_ = 4;
}

void Rng::fill_normal(double* out, Index n) {
  for (Index i = 0; i < n; ++i) out[i] = normal();
}

}  // namespace xb
