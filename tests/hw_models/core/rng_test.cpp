// SPDX-License-Identifier: MIT
#include <gtest/gtest.h>

#include <boost/random/student_t_distribution.hpp>
#include <cmath>
#include <vector>

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
