// SPDX-License-Identifier: MIT
#include <gtest/gtest.h>

#include <boost/random/student_t_distribution.hpp>
#include <cmath>
#include <vector>

#include "hw_models/core/fast_normal.h"
#include "hw_models/core/rng.h"
#include "hw_models/core/sha256.h"

namespace xb {
namespace {

TEST(Rng, SamePositionSameNumbers) {
  Rng a(42, Stream::cycle, 3), b(42, Stream::cycle, 3);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(a(), b());
  Rng c = Rng(42, Stream::cycle, 3).at(7, 11), d = Rng(42, Stream::cycle, 3).at(7, 11);
  EXPECT_EQ(c(), d());
}

TEST(Rng, StreamsUnitsAndPositionsDiffer) {
  const uint32_t base = Rng(42, Stream::cycle, 0)();
  EXPECT_NE(base, Rng(42, Stream::fabrication, 0)());
  EXPECT_NE(base, Rng(42, Stream::cycle, 1)());
  EXPECT_NE(base, Rng(43, Stream::cycle, 0)());
  EXPECT_NE(base, Rng(42, Stream::cycle, 0).at(1, 0)());
  EXPECT_NE(base, Rng(42, Stream::cycle, 0).at(0, 1)());
}

// fill_bits (SIMD Philox blocks, 4, 16 or 64 at a time, and a buffered short tail) returns
// exactly the numbers of as many operator() calls and leaves the same state behind, for every
// length and starting offset within a block.
TEST(Rng, FillBitsEqualsTheScalarStream) {
  for (int skip = 0; skip < 5; ++skip)
    for (int n : {0, 1, 3, 4, 5, 15, 16, 17, 63, 64, 65, 127, 128, 129, 200, 1001}) {
      Rng a(9, Stream::cycle, 2, 5, 7), b = a;
      for (int k = 0; k < skip; ++k) ASSERT_EQ(a(), b());
      std::vector<uint32_t> bits(size_t(n) + 1);
      a.fill_bits(bits.data(), n);
      for (int k = 0; k < n; ++k) ASSERT_EQ(bits[size_t(k)], b()) << "skip " << skip << " n " << n;
      for (int k = 0; k < 9; ++k) ASSERT_EQ(a(), b()) << "state after skip " << skip << " n " << n;
    }
}

// fill_bits_lanes gives each lane exactly its own stream's first numbers, for lane lengths that
// end inside a block or on a block boundary, counts that fill a SIMD call partly or exactly,
// and an event above 2^32 (both counter words).
TEST(Rng, FillBitsLanesEqualsEachLanesStream) {
  const Rng base(9, Stream::read, 4);
  const uint64_t event = (uint64_t(1) << 33) + 5;
  for (Index per_lane : {1, 3, 4, 5, 8, 16, 17, 63, 64, 100})
    for (Index count : {1, 2, 7, 16, 33, 64}) {
      std::vector<uint32_t> lanes(static_cast<size_t>(count));
      for (Index k = 0; k < count; ++k) lanes[size_t(k)] = uint32_t(3 * k * k + 1);
      std::vector<uint32_t> got(static_cast<size_t>(per_lane * count));
      base.fill_bits_lanes(event, lanes.data(), count, per_lane, got.data());
      for (Index k = 0; k < count; ++k) {
        Rng own = base.at(event, lanes[size_t(k)]);
        for (Index i = 0; i < per_lane; ++i)
          ASSERT_EQ(got[size_t(k * per_lane + i)], own()) << "per_lane " << per_lane << " lane " << k;
      }
    }
}

// fill_normal_fast against Box–Muller evaluated independently in double on the same raw
// numbers (pair k: u1 from number 2k, u2 from number 2k+1, 24 bits each): float accuracy.
TEST(Rng, FillNormalFastIsBoxMullerOnTheStream) {
  for (Index n : {1, 2, 15, 16, 17, 511, 512, 513, 1500}) {
    Rng a(3, Stream::cycle, 1, 2, 3), b = a;
    std::vector<Scalar> z(static_cast<size_t>(n));
    fill_normal_fast(a, z.data(), n);
    for (Index k = 0; 2 * k < n; ++k) {
      const double u1 = (double(b() >> 8) + 0.5) / 16777216.0;
      const double u2 = double(b() >> 8) / 16777216.0;
      const double r = std::sqrt(-2.0 * std::log(u1));
      ASSERT_NEAR(z[size_t(2 * k)], r * std::cos(2 * M_PI * u2), 2e-5 * (1 + r)) << n << " " << k;
      if (2 * k + 1 < n) {
        ASSERT_NEAR(z[size_t(2 * k + 1)], r * std::sin(2 * M_PI * u2), 2e-5 * (1 + r)) << n;
      }
    }
  }
}

// The joint sine and cosine inside fill_normal_fast reproduce Eigen's packet cos() and sin()
// bit for bit: 2^21 pairs recomputed here from the raw stream with Eigen array expressions,
// in whole packets (as the generator evaluates them).
TEST(Rng, FillNormalFastIsEigensBoxMullerBitForBit) {
  const Index pairs = Index(1) << 21;
  Rng a(9, Stream::read, 4), b = a;
  std::vector<Scalar> z(static_cast<size_t>(2 * pairs));
  fill_normal_fast(a, z.data(), 2 * pairs);
  Eigen::ArrayXf u1(pairs), u2(pairs);
  for (Index k = 0; k < pairs; ++k) {
    u1(k) = (Scalar(int32_t(b() >> 8)) + Scalar(0.5)) * Scalar(1.0 / 16777216.0);
    u2(k) = Scalar(int32_t(b() >> 8)) * Scalar(1.0 / 16777216.0) * Scalar(2 * M_PI);
  }
  const Eigen::ArrayXf r = (Scalar(-2) * u1.log()).sqrt();
  const Eigen::ArrayXf c = r * u2.cos(), s = r * u2.sin();
  Index differ = 0;
  for (Index k = 0; k < pairs; ++k)
    differ += (z[size_t(2 * k)] != c(k)) + (z[size_t(2 * k + 1)] != s(k));
  EXPECT_EQ(differ, 0);
}

// fill_normal_lanes is fill_normal_fast lane by lane, bit for bit: short lanes that share
// chunks, odd lengths, and lanes longer than a chunk.
TEST(Rng, FillNormalLanesEqualsFillNormalFastPerLane) {
  const Rng base(5, Stream::read, 2);
  for (Index n : {1, 2, 15, 16, 17, 64, 127, 128, 129, 300, 700})
    for (Index count : {1, 3, 40}) {
      std::vector<uint32_t> lanes(static_cast<size_t>(count));
      for (Index k = 0; k < count; ++k) lanes[size_t(k)] = uint32_t(1000 + 7 * k);
      std::vector<Scalar> got(static_cast<size_t>(n * count));
      std::vector<Scalar> own(static_cast<size_t>(n));
      fill_normal_lanes(base, 11, lanes.data(), count, n, got.data());
      for (Index k = 0; k < count; ++k) {
        Rng r = base.at(11, lanes[size_t(k)]);
        fill_normal_fast(r, own.data(), n);
        for (Index i = 0; i < n; ++i)
          ASSERT_EQ(got[size_t(k * n + i)], own[size_t(i)]) << "n " << n << " lane " << k;
      }
    }
}

// Moments of n draws: tolerances of 5 standard errors.
TEST(Rng, NormalAndUniformMoments) {
  const Index n = 200000;
  std::vector<float> x(n);
  Rng r(1, Stream::data);
  r.fill_normal(x.data(), n);
  double m = 0, v = 0;
  for (float f : x) m += f;
  m /= n;
  for (float f : x) v += (f - m) * (f - m);
  v /= n;
  EXPECT_NEAR(m, 0.0, 5.0 / std::sqrt(double(n)));
  EXPECT_NEAR(v, 1.0, 5.0 * std::sqrt(2.0 / n));
  r.fill_uniform(x.data(), n);
  m = 0;
  for (float f : x) {
    ASSERT_GT(f, 0.0f);
    ASSERT_LE(f, 1.0f);
    m += f;
  }
  EXPECT_NEAR(m / n, 0.5, 5.0 * std::sqrt(1.0 / 12 / n));
  double md = 0;
  for (Index i = 0; i < n; ++i) md += r.normal();
  EXPECT_NEAR(md / n, 0.0, 5.0 / std::sqrt(double(n)));
}

TEST(Rng, DrivesBoostDistributions) {
  Rng r(5, Stream::estimator);
  boost::random::student_t_distribution<double> t(5.0);
  const int n = 100000;
  double v = 0;
  for (int i = 0; i < n; ++i) {
    const double s = t(r);
    v += s * s;
  }
  // Var of Student-t(5) = 5/3; the sample variance's standard error needs the 4th moment,
  // which is infinite-free for nu = 5 (kurtosis 9): se ≈ sqrt((9 - 1) / n) * 5/3.
  EXPECT_NEAR(v / n, 5.0 / 3.0, 5.0 * std::sqrt(8.0 / n) * 5.0 / 3.0);
}

TEST(Sha256, KnownVectors) {
  Sha256 a;
  EXPECT_EQ(a.hex(), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  Sha256 b;
  b.update("abc", 3);
  EXPECT_EQ(b.hex(), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  Sha256 c;
  const std::string s = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
  c.update(s.data(), s.size());
  EXPECT_EQ(c.hex(), "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

}  // namespace
}  // namespace xb
