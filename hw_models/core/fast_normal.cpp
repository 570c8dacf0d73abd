// SPDX-License-Identifier: MIT
#include "hw_models/core/fast_normal.h"

#include <algorithm>
#include <cmath>
#include <cstdint>

namespace xb {

namespace {

// Box–Muller pairs per chunk: the chunk's buffers (fixed-size arrays on the stack) stay in L1.
constexpr int kPairs = 256;

// cos(t) and sin(t) of a packet of angles t in [0, 2π), computed together: Eigen's pcos and
// psin (psincos_float in Eigen 3.4, the version this project pins through Debian 12) each
// reduce t to [−π/4, π/4] and evaluate both the cosine and the sine polynomial, then keep
// one. Here the reduction and the two polynomials run once for both, with the same constants
// and the same sequence of packet operations, so the results are bit for bit those of
// u.cos() and u.sin() (test Rng.FillNormalFastIsEigensBoxMullerBitForBit) at about half the
// cost. The large-argument branch (|t| ≥ 71476) is left out: Box–Muller angles are below 2π.
template <class Packet>
void sincos_packet(const Packet& t, Packet& cos_t, Packet& sin_t) {
  using namespace Eigen::internal;
  using PacketI = typename unpacket_traits<Packet>::integer_packet;
  const Packet rounding_magic = pset1<Packet>(12582912);  // 1.5·2^23
  const PacketI one = pset1<PacketI>(1);
  const Packet sign_mask = pset1frombits<Packet>(0x80000000u);
  Packet x = pabs(t);
  Packet y = pmul(x, pset1<Packet>(0.636619746685028076171875f));  // 2/π
  Packet y_round = padd(y, rounding_magic);
  EIGEN_OPTIMIZATION_BARRIER(y_round)
  const PacketI y_int = preinterpret<PacketI>(y_round);  // quadrant in the low bits
  y = psub(y_round, rounding_magic);
#if defined(EIGEN_HAS_SINGLE_INSTRUCTION_MADD)
  x = pmadd(y, pset1<Packet>(-1.57079601287841796875f), x);
  x = pmadd(y, pset1<Packet>(-3.1391647326017846353352069854736328125e-07f), x);
  x = pmadd(y, pset1<Packet>(-5.390302529957764765544681040410068817436695098876953125e-15f), x);
#else
  x = pmadd(y, pset1<Packet>(-1.5703125f), x);
  EIGEN_OPTIMIZATION_BARRIER(x)
  x = pmadd(y, pset1<Packet>(-0.000483989715576171875f), x);
  EIGEN_OPTIMIZATION_BARRIER(x)
  x = pmadd(y, pset1<Packet>(1.62865035235881805419921875e-07f), x);
  x = pmadd(y, pset1<Packet>(5.5644315544167710640977020375430583953857421875e-11f), x);
#endif
  // Signs: sin takes bit 1 of the quadrant (and t's sign), cos bit 1 of quadrant + 1.
  const Packet sin_sign =
      pand(pxor(t, preinterpret<Packet>(plogical_shift_left<30>(y_int))), sign_mask);
  const Packet cos_sign =
      pand(preinterpret<Packet>(plogical_shift_left<30>(padd(y_int, one))), sign_mask);
  // Even quadrants take the cosine polynomial for cos, odd ones the sine polynomial.
  const Packet even = preinterpret<Packet>(pcmp_eq(pand(y_int, one), pzero(y_int)));
  const Packet x2 = pmul(x, x);
  Packet pc = pset1<Packet>(2.4372266125283204019069671630859375e-05f);
  pc = pmadd(pc, x2, pset1<Packet>(-0.00138865201734006404876708984375f));
  pc = pmadd(pc, x2, pset1<Packet>(0.041666619479656219482421875f));
  pc = pmadd(pc, x2, pset1<Packet>(-0.5f));
  pc = pmadd(pc, x2, pset1<Packet>(1.f));
  Packet ps = pset1<Packet>(-0.0001959234114083702898469196984621021329076029360294342041015625f);
  ps = pmadd(ps, x2, pset1<Packet>(0.0083326873655616851693794799871284340042620897293090820312500000f));
  ps = pmadd(ps, x2, pset1<Packet>(-0.1666666203982298255503735617821803316473960876464843750000000000f));
  ps = pmul(ps, x2);
  ps = pmadd(ps, x, x);
  cos_t = pxor(pselect(even, pc, ps), cos_sign);
  sin_t = pxor(pselect(even, ps, pc), sin_sign);
}

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
  using Packet = Eigen::internal::packet_traits<Scalar>::type;
  constexpr int kLanes = Eigen::internal::packet_traits<Scalar>::size;
  for (int k = 0; k < padded; k += kLanes) {
    Packet cos_t, sin_t;
    sincos_packet(Eigen::internal::pload<Packet>(&u2(k)), cos_t, sin_t);
    const Packet rk = Eigen::internal::pload<Packet>(&r(k));
    Eigen::internal::pstore(&cos_b(k), Eigen::internal::pmul(rk, cos_t));
    Eigen::internal::pstore(&sin_b(k), Eigen::internal::pmul(rk, sin_t));
  }
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
