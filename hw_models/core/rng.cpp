// SPDX-License-Identifier: MIT
#include "hw_models/core/rng.h"

#include <Random123/boxmuller.hpp>
#include <Random123/uniform.hpp>

#include <algorithm>
#include <cmath>
#include <cstring>

#if defined(__AVX512F__)
#include <immintrin.h>
#elif defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace xb {

uint64_t mix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

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

#if defined(__AVX512F__)
namespace {
// Philox4x32-10 on sixteen consecutive counters at once (native builds with AVX-512): the same
// structure of arrays as the SSE2 kernel below, four times as wide. The multiply takes the
// even 32-bit lanes (32x32 -> 64 bits); the odd lanes go through a shift; blends put the low
// and high halves back in lane order.
inline void mulhilo16(__m512i a, __m512i m, __m512i& hi, __m512i& lo) {
  const __m512i even = _mm512_mul_epu32(a, m);
  const __m512i odd = _mm512_mul_epu32(_mm512_srli_epi64(a, 32), m);
  lo = _mm512_mask_blend_epi32(0xAAAA, even, _mm512_slli_epi64(odd, 32));
  hi = _mm512_mask_blend_epi32(0xAAAA, _mm512_srli_epi64(even, 32), odd);
}

// G groups of sixteen counters, interleaved to hide the multiply latency: counter words 0 and
// 1 are given per SIMD lane (x0, x1), words 2 and 3 are shared; out receives the blocks in
// SIMD-lane order, four words each.
template <int G>
void philox16_rounds(__m512i* x0, __m512i* x1, uint32_t c2, uint32_t c3, uint32_t k0,
                     uint32_t k1, uint32_t* out /* 64·G words */) {
  __m512i x2[G], x3[G];
  for (int g = 0; g < G; ++g) {
    x2[g] = _mm512_set1_epi32(int(c2));
    x3[g] = _mm512_set1_epi32(int(c3));
  }
  const __m512i m0 = _mm512_set1_epi32(int(0xD2511F53u)), m1 = _mm512_set1_epi32(int(0xCD9E8D57u));
  for (int r = 0; r < 10; ++r) {
    const __m512i kk0 = _mm512_set1_epi32(int(k0)), kk1 = _mm512_set1_epi32(int(k1));
    for (int g = 0; g < G; ++g) {
      __m512i hi0, lo0, hi1, lo1;
      mulhilo16(x0[g], m0, hi0, lo0);
      mulhilo16(x2[g], m1, hi1, lo1);
      x0[g] = _mm512_xor_si512(_mm512_xor_si512(hi1, x1[g]), kk0);
      x2[g] = _mm512_xor_si512(_mm512_xor_si512(hi0, x3[g]), kk1);
      x1[g] = lo1;
      x3[g] = lo0;
    }
    k0 += 0x9E3779B9u;
    k1 += 0xBB67AE85u;
  }
  // Transpose: after the unpacks, 128-bit lane q of r[k] holds block 4q+k; the 128-bit
  // shuffles gather blocks 4q..4q+3 into output vector q.
  for (int g = 0; g < G; ++g) {
    const __m512i t0 = _mm512_unpacklo_epi32(x0[g], x1[g]);
    const __m512i t1 = _mm512_unpacklo_epi32(x2[g], x3[g]);
    const __m512i t2 = _mm512_unpackhi_epi32(x0[g], x1[g]);
    const __m512i t3 = _mm512_unpackhi_epi32(x2[g], x3[g]);
    const __m512i r0 = _mm512_unpacklo_epi64(t0, t1), r1 = _mm512_unpackhi_epi64(t0, t1),
                  r2 = _mm512_unpacklo_epi64(t2, t3), r3 = _mm512_unpackhi_epi64(t2, t3);
    const __m512i a = _mm512_shuffle_i32x4(r0, r1, 0x44), b = _mm512_shuffle_i32x4(r2, r3, 0x44);
    const __m512i c = _mm512_shuffle_i32x4(r0, r1, 0xEE), d = _mm512_shuffle_i32x4(r2, r3, 0xEE);
    __m512i* o = reinterpret_cast<__m512i*>(out + 64 * g);
    _mm512_storeu_si512(o + 0, _mm512_shuffle_i32x4(a, b, 0x88));
    _mm512_storeu_si512(o + 1, _mm512_shuffle_i32x4(a, b, 0xDD));
    _mm512_storeu_si512(o + 2, _mm512_shuffle_i32x4(c, d, 0x88));
    _mm512_storeu_si512(o + 3, _mm512_shuffle_i32x4(c, d, 0xDD));
  }
}

// G groups of sixteen consecutive counters (G·16 blocks from c0 on) in counter order.
template <int G>
void philox16(uint32_t c0, uint32_t c1, uint32_t c2, uint32_t c3, uint32_t k0, uint32_t k1,
              uint32_t* out /* 64·G words */) {
  __m512i x0[G], x1[G];
  const __m512i lane = _mm512_set_epi32(15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0);
  for (int g = 0; g < G; ++g) {
    x0[g] = _mm512_add_epi32(_mm512_set1_epi32(int(c0 + 16 * uint32_t(g))), lane);
    x1[g] = _mm512_set1_epi32(int(c1));
  }
  philox16_rounds<G>(x0, x1, c2, c3, k0, k1, out);
}
}  // namespace
#elif defined(__SSE2__)
namespace {
// Philox4x32-10 on four consecutive counters at once (structure of arrays: register k holds
// word k of the four blocks). Same arithmetic as r123::Philox4x32, so the blocks are identical.
// SSE2 multiplies lanes 0 and 2 (32x32 -> 64 bits); the odd lanes go through a shift.
inline void mulhilo4(__m128i a, __m128i m, __m128i& hi, __m128i& lo) {
  const __m128i even = _mm_mul_epu32(a, m);                      // [lo0 hi0 lo2 hi2]
  const __m128i odd = _mm_mul_epu32(_mm_srli_epi64(a, 32), m);   // [lo1 hi1 lo3 hi3]
  lo = _mm_unpacklo_epi32(_mm_shuffle_epi32(even, _MM_SHUFFLE(3, 1, 2, 0)),
                          _mm_shuffle_epi32(odd, _MM_SHUFFLE(3, 1, 2, 0)));
  hi = _mm_unpackhi_epi32(_mm_shuffle_epi32(even, _MM_SHUFFLE(3, 1, 2, 0)),
                          _mm_shuffle_epi32(odd, _MM_SHUFFLE(3, 1, 2, 0)));
  // even' = [lo0 lo2 hi0 hi2], odd' = [lo1 lo3 hi1 hi3]; unpacklo -> [lo0 lo1 lo2 lo3].
}

// G groups of four consecutive counters each (G·4 blocks from c0 on), interleaved so that
// the multiply latency of one group hides behind the others (one group alone is
// latency-bound: each round waits for its multiplies).
template <int G>
void philox4x4(uint32_t c0, uint32_t c1, uint32_t c2, uint32_t c3, uint32_t k0, uint32_t k1,
               uint32_t* out /* 16·G words: block b at out[4b] */) {
  __m128i x0[G], x1[G], x2[G], x3[G];
  for (int g = 0; g < G; ++g) {
    x0[g] = _mm_add_epi32(_mm_set1_epi32(int(c0 + 4 * uint32_t(g))), _mm_set_epi32(3, 2, 1, 0));
    x1[g] = _mm_set1_epi32(int(c1));
    x2[g] = _mm_set1_epi32(int(c2));
    x3[g] = _mm_set1_epi32(int(c3));
  }
  const __m128i m0 = _mm_set1_epi32(int(0xD2511F53u)), m1 = _mm_set1_epi32(int(0xCD9E8D57u));
  for (int r = 0; r < 10; ++r) {
    const __m128i kk0 = _mm_set1_epi32(int(k0)), kk1 = _mm_set1_epi32(int(k1));
    for (int g = 0; g < G; ++g) {
      __m128i hi0, lo0, hi1, lo1;
      mulhilo4(x0[g], m0, hi0, lo0);
      mulhilo4(x2[g], m1, hi1, lo1);
      x0[g] = _mm_xor_si128(_mm_xor_si128(hi1, x1[g]), kk0);
      x2[g] = _mm_xor_si128(_mm_xor_si128(hi0, x3[g]), kk1);
      x1[g] = lo1;
      x3[g] = lo0;
    }
    k0 += 0x9E3779B9u;
    k1 += 0xBB67AE85u;
  }
  // Transpose to block order.
  for (int g = 0; g < G; ++g) {
    const __m128i t0 = _mm_unpacklo_epi32(x0[g], x1[g]), t1 = _mm_unpacklo_epi32(x2[g], x3[g]);
    const __m128i t2 = _mm_unpackhi_epi32(x0[g], x1[g]), t3 = _mm_unpackhi_epi32(x2[g], x3[g]);
    __m128i* o = reinterpret_cast<__m128i*>(out + 16 * g);
    _mm_storeu_si128(o + 0, _mm_unpacklo_epi64(t0, t1));
    _mm_storeu_si128(o + 1, _mm_unpackhi_epi64(t0, t1));
    _mm_storeu_si128(o + 2, _mm_unpacklo_epi64(t2, t3));
    _mm_storeu_si128(o + 3, _mm_unpackhi_epi64(t2, t3));
  }
}
}  // namespace
#endif

void Rng::fill_bits(uint32_t* out, Index n) {
  Index i = 0;
  while (i < n && used_ < 4) out[i++] = block_.v[used_++];
#if defined(__AVX512F__)
  for (; n - i >= 128; i += 128) {
    philox16<2>(ctr_.v[0], ctr_.v[1], ctr_.v[2], ctr_.v[3], key_.v[0], key_.v[1], out + i);
    ctr_.v[0] += 32;
  }
  // A short tail: one more wide kernel call into a buffer (cheaper than scalar blocks), its
  // last partly used block kept as the current block, exactly as operator() would leave it.
  if (n - i > 4) {
    alignas(64) uint32_t tmp[64];
    philox16<1>(ctr_.v[0], ctr_.v[1], ctr_.v[2], ctr_.v[3], key_.v[0], key_.v[1], tmp);
    const Index rem = std::min<Index>(n - i, 64), blocks = (rem + 3) / 4;
    std::copy(tmp, tmp + rem, out + i);
    i += rem;
    ctr_.v[0] += uint32_t(blocks);
    used_ = int(rem - 4 * (blocks - 1));
    for (int k = 0; k < 4; ++k) block_.v[k] = tmp[4 * (blocks - 1) + k];
  }
#elif defined(__SSE2__)
  for (; n - i >= 64; i += 64) {
    philox4x4<4>(ctr_.v[0], ctr_.v[1], ctr_.v[2], ctr_.v[3], key_.v[0], key_.v[1], out + i);
    ctr_.v[0] += 16;
  }
  for (; n - i >= 16; i += 16) {
    philox4x4<1>(ctr_.v[0], ctr_.v[1], ctr_.v[2], ctr_.v[3], key_.v[0], key_.v[1], out + i);
    ctr_.v[0] += 4;
  }
#endif
  for (; n - i >= 4; i += 4) {
    const Philox::ctr_type b = Philox()(ctr_, key_);
    ctr_.v[0]++;
    for (int k = 0; k < 4; ++k) out[i + k] = b.v[k];
  }
  while (i < n) out[i++] = (*this)();
}

void Rng::fill_bits_lanes(uint64_t event, const uint32_t* lanes, Index count, Index per_lane,
                          uint32_t* out) const {
#if defined(__AVX512F__)
  if (per_lane < 128) {  // longer lanes fill whole kernel calls of their own (below)
    fill_short_lanes(event, lanes, count, per_lane, out);
    return;
  }
#endif
  for (Index k = 0; k < count; ++k) at(event, lanes[k]).fill_bits(out + k * per_lane, per_lane);
}

#if defined(__AVX512F__)
void Rng::fill_short_lanes(uint64_t event, const uint32_t* lanes, Index count, Index per_lane,
                           uint32_t* out) const {
  // The (lane, block) pairs in order, 64 per kernel call: SIMD lane j gets the counter
  // [block, lane, event] of pair p0 + j. When every lane takes whole blocks, the blocks are
  // the output in order and land there directly; otherwise (and for a last partial call) they
  // go through a buffer, and each lane keeps its first per_lane words.
  constexpr int G = 4, kPerCall = 16 * G;
  const uint32_t blocks = uint32_t((per_lane + 3) / 4);
  const Index pairs = count * Index(blocks);
  const bool whole_blocks = per_lane % 4 == 0;
  alignas(64) uint32_t bw[kPerCall], lw[kPerCall], tmp[4 * kPerCall];
  Index lane = 0;
  uint32_t block = 0;
  for (Index p0 = 0; p0 < pairs; p0 += kPerCall) {
    const Index m = std::min<Index>(kPerCall, pairs - p0);
    // A run of one lane's blocks at a time (pairs past the end repeat the last lane).
    for (int j = 0; j < kPerCall;) {
      const int take = int(std::min<uint32_t>(blocks - block, uint32_t(kPerCall - j)));
      const uint32_t id = lanes[std::min(lane, count - 1)];
      for (int t = 0; t < take; ++t) {
        bw[j + t] = block + uint32_t(t);
        lw[j + t] = id;
      }
      j += take;
      block += uint32_t(take);
      if (block == blocks) {
        block = 0;
        ++lane;
      }
    }
    __m512i x0[G], x1[G];
    for (int g = 0; g < G; ++g) {
      x0[g] = _mm512_load_si512(bw + 16 * g);
      x1[g] = _mm512_load_si512(lw + 16 * g);
    }
    const bool direct = whole_blocks && m == kPerCall;
    uint32_t* dst = direct ? out + 4 * p0 : tmp;
    philox16_rounds<G>(x0, x1, uint32_t(event), uint32_t(event >> 32), key_.v[0], key_.v[1], dst);
    if (direct) continue;
    // Block by block in order: a lane's whole blocks as fixed 16-byte copies (inlined), its
    // last partial block word by word.
    Index out_lane = p0 / Index(blocks);
    uint32_t out_block = uint32_t(p0 % Index(blocks));
    for (Index j = 0; j < m; ++j) {
      const Index first = 4 * Index(out_block);
      uint32_t* o = out + out_lane * per_lane + first;
      if (first + 4 <= per_lane)
        std::memcpy(o, tmp + 4 * j, 4 * sizeof(uint32_t));
      else
        for (Index w = 0; w < per_lane - first; ++w) o[w] = tmp[4 * j + w];
      if (++out_block == blocks) {
        out_block = 0;
        ++out_lane;
      }
    }
  }
}
#endif

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
