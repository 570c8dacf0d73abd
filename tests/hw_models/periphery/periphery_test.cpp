// SPDX-License-Identifier: MIT
// The read periphery stage by stage, without a tile: noise management, DAC, analog MVM with IR
// drop, output noise, ADC, and their composition with bound management, each against a value
// computed by hand or a dense reference.
#include <gtest/gtest.h>

#include <cmath>

#include "hw_models/core/parallel.h"
#include "hw_models/periphery/periphery.h"
#include "tests/hw_models/crossbar/tile_test_util.h"

namespace xb {
namespace {

using hw::AnalogArray;
using hw::Periphery;
using hw::PeripheryParams;

// An array whose product is the plain dense one.
AnalogArray dense(const Matrix& w, bool transposed = false) {
  return AnalogArray{w, transposed, [&w, transposed](const Eigen::Ref<const BatchMatrix>& x,
                                                     Eigen::Ref<BatchMatrix> y) {
                       if (transposed)
                         y.noalias() = w.transpose() * x;
                       else
                         y.noalias() = w * x;
                     }};
}

// Noise management: each sample's scale is its max |x| (1 for an all-zero sample), found in
// the same pass that converts x / scale, for column lengths on and off the 16-value chunks.
TEST(Periphery, InputScaleIsPerSampleAbsMax) {
  PeripheryParams p = test::all_off();
  p.noise_management = "abs_max";
  BatchMatrix x(3, 3);
  x << 0.5f, 0, 2, -1.5f, 0, 1, 0.2f, 0, -3;
  Scalar s[3];
  BatchMatrix xq;
  Periphery(p).convert_inputs(x, s, xq);
  EXPECT_FLOAT_EQ(s[0], 1.5f);
  EXPECT_FLOAT_EQ(s[1], 1.0f);  // an all-zero sample keeps scale 1
  EXPECT_FLOAT_EQ(s[2], 3.0f);
  for (Index b = 0; b < 3; ++b)
    for (Index i = 0; i < 3; ++i) EXPECT_EQ(xq(i, b), x(i, b) / s[b]);
  for (Index n : {15, 16, 17, 40, 150}) {
    const BatchMatrix xr = test::random_batch(n, 3, uint64_t(n));
    Scalar sr[3];
    Periphery(p).convert_inputs(xr, sr, xq);
    for (Index b = 0; b < 3; ++b) {
      EXPECT_EQ(sr[b], xr.col(b).cwiseAbs().maxCoeff()) << n;
      for (Index i = 0; i < n; ++i) ASSERT_EQ(xq(i, b), xr(i, b) / sr[b]) << n;
    }
  }
  p.noise_management = "none";
  Periphery(p).convert_inputs(x, s, xq);
  EXPECT_TRUE(s[0] == 1.0f && s[1] == 1.0f && s[2] == 1.0f);
  EXPECT_EQ(xq, x);
}

TEST(Periphery, DacClipsAndQuantisesHalfAwayFromZero) {
  PeripheryParams p = test::all_off();
  p.inp_bound = 1.0;
  p.inp_res = 0.25;  // step 0.5
  BatchMatrix x(6, 1);
  x << 0.24f, 0.26f, 0.75f, -0.75f, 1.3f, -1.3f;
  BatchMatrix xq;
  EXPECT_EQ(Periphery(p).dac(x, hw::SampleRow::Ones(1), xq), 2u);
  const float expect[6] = {0.0f, 0.5f, 1.0f, -1.0f, 1.0f, -1.0f};
  for (int i = 0; i < 6; ++i) EXPECT_FLOAT_EQ(xq(i), expect[i]) << i;
  // Each sample is divided by its own scale first: 2x / 2 converts as x.
  BatchMatrix x2(6, 2);
  x2 << x, 2 * x;
  hw::SampleRow scale(2);
  scale << 1, 2;
  EXPECT_EQ(Periphery(p).dac(x2, scale, xq), 4u);
  for (int i = 0; i < 6; ++i) EXPECT_EQ(xq(i, 1), expect[i]) << i;
}

TEST(Periphery, AdcCountsSaturationPerSampleAndQuantises) {
  PeripheryParams p = test::all_off();
  p.out_bound = 2.0;
  p.out_res = 0.125;  // step 0.5
  BatchMatrix y(3, 2);
  y << 2.5f, 0.3f, -2.0f, 0.1f, 0.74f, -0.2f;
  std::vector<uint32_t> sat(2);
  Periphery(p).adc(y, sat.data());
  EXPECT_EQ(sat[0], 2u);  // 2.5 and −2.0 (at the bound counts)
  EXPECT_EQ(sat[1], 0u);
  EXPECT_FLOAT_EQ(y(0, 0), 2.0f);
  EXPECT_FLOAT_EQ(y(1, 0), -2.0f);
  EXPECT_FLOAT_EQ(y(2, 0), 0.5f);
  EXPECT_FLOAT_EQ(y(0, 1), 0.5f);
  EXPECT_FLOAT_EQ(y(1, 1), 0.0f);
  EXPECT_FLOAT_EQ(y(2, 1), 0.0f);
}

TEST(Periphery, IrDropMatchesTheFirstOrderFormula) {
  PeripheryParams p = test::all_off();
  p.ir_drop = 0.3;
  const Matrix w = test::random_matrix(4, 5, 1);
  const BatchMatrix x = test::random_batch(5, 2, 2);
  for (bool tr : {false, true}) {
    const BatchMatrix xin = tr ? test::random_batch(4, 2, 3) : x;
    BatchMatrix y(tr ? w.cols() : w.rows(), xin.cols());
    Periphery(p).analog_mvm(dense(w, tr), xin, y);
    const Matrix wl = tr ? Matrix(w.transpose()) : w;  // lines_out x lines_in
    const Index n = wl.cols();
    for (Index b = 0; b < xin.cols(); ++b)
      for (Index i = 0; i < wl.rows(); ++i) {
        double exact = 0, cur = 0, pos = 0;
        for (Index j = 0; j < n; ++j) {
          exact += double(wl(i, j)) * xin(j, b);
          cur += std::abs(double(wl(i, j)) * xin(j, b));
          pos += double(wl(i, j)) * xin(j, b) * (n > 1 ? double(j) / double(n - 1) : 0.0);
        }
        EXPECT_NEAR(y(i, b), exact - 0.3 * (cur / double(n)) * pos, 1e-5) << tr;
      }
  }
}

TEST(Periphery, OutputNoiseHasTheStatedStd) {
  PeripheryParams p = test::all_off();
  p.out_noise = 0.1;
  p.w_noise = 0.05;
  const Index n_out = 2000;
  BatchMatrix x(4, 1);
  x << 1, -2, 0.5f, 2;  // |x|₂ = sqrt(9.25)
  BatchMatrix y = BatchMatrix::Zero(n_out, 1);
  const uint32_t lane0 = 0, lane1 = 1;
  Periphery(p).output_noise(x, y, Rng(1, Stream::read), 0, &lane0);
  const double sd_expect = std::sqrt(0.01 + 0.0025 * 9.25);
  const double mean = y.mean(), sd = std::sqrt((y.array() - mean).square().sum() / double(n_out - 1));
  EXPECT_NEAR(mean, 0.0, 5 * sd_expect / std::sqrt(double(n_out)));
  EXPECT_NEAR(sd, sd_expect, 5 * sd_expect / std::sqrt(2.0 * double(n_out)));
  // The same (event, lane) gives the same draw; another lane another one.
  BatchMatrix y2 = BatchMatrix::Zero(n_out, 1), y3 = y2;
  Periphery(p).output_noise(x, y2, Rng(1, Stream::read), 0, &lane0);
  Periphery(p).output_noise(x, y3, Rng(1, Stream::read), 0, &lane1);
  EXPECT_EQ(y, y2);
  EXPECT_NE(y, y3);
}

TEST(Periphery, ReadComposesTheStagesAndBoundManagementRereads) {
  PeripheryParams p = test::all_off();
  p.out_bound = 4.0;
  p.bound_management = "iterative";
  p.max_bm_factor = 8;
  const Matrix w = Matrix::Identity(3, 3) * Scalar(3);
  BatchMatrix x(3, 2);
  x << 0.5f, 1, 2, 0.2f, 0.1f, 0.1f;  // sample 0 gives 3·2 = 6 > 4: one re-read at x/2
  BatchMatrix y;
  const hw::ReadCounts c = Periphery(p).read(dense(w), x, y, Rng(1, Stream::read), 0);
  EXPECT_EQ(c.passes, 3u);  // two samples + one re-read
  EXPECT_EQ(c.saturations, 0u);
  EXPECT_LT((y - w * x).cwiseAbs().maxCoeff(), 1e-6f);
  // Perfect: one exact pass per sample, whatever the other settings say.
  p.is_perfect = true;
  x(1, 0) = 100;
  const hw::ReadCounts cp = Periphery(p).read(dense(w), x, y, Rng(1, Stream::read), 0);
  EXPECT_EQ(cp.passes, 2u);
  EXPECT_FLOAT_EQ(y(1, 0), 300.0f);
}

// A read of a small array (a conv layer's 16 x 150 kernels) runs in column blocks, over the
// threads; it equals the stages applied to the whole batch at once, bit for bit, on one
// thread or two, also when the batch (501) is not a multiple of the 4-column panels.
TEST(Periphery, ABlockedReadEqualsTheStagesOnTheWholeBatch) {
  PeripheryParams p;  // default converters, noise and noise management
  p.bound_management = "none";
  const Matrix w = test::random_matrix(16, 150, 4) * Scalar(0.3);
  const BatchMatrix x = test::random_batch(150, 501, 5);
  const AnalogArray a = dense(w);
  ASSERT_LT(Periphery::column_block(a, x.cols()), x.cols());
  const Periphery per(p);
  const Rng noise(3, Stream::read, 1);
  std::vector<Scalar> scale(501);
  BatchMatrix xq;
  per.convert_inputs(x, scale.data(), xq);
  BatchMatrix ref = w * xq;
  std::vector<uint32_t> lanes(501), sat(501);
  for (uint32_t b = 0; b < 501; ++b) lanes[b] = b;
  per.output_noise(xq, ref, noise, 7, lanes.data());
  per.adc(ref, sat.data());
  for (Index b = 0; b < 501; ++b) ref.col(b) *= scale[size_t(b)];
  for (int threads : {1, 2}) {
    set_threads(threads);
    BatchMatrix y;
    per.read(a, x, y, noise, 7);
    EXPECT_TRUE(y == ref) << threads << " threads";
  }
  set_threads(1);
}

}  // namespace
}  // namespace xb
