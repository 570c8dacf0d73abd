// SPDX-License-Identifier: MIT
// The line probe (line_probe.h) records what a window of a tile's lines carried: the pulse
// trains' coincidences give exactly the pulses the cells received, and the recorded ADC codes
// times the LSB and the pass's scale give the read's outputs.
#include <gtest/gtest.h>

#include "hw_models/crossbar/tile.h"
#include "tests/hw_models/crossbar/tile_test_util.h"

namespace xb {
namespace {

constexpr Index kRows = 9, kCols = 6, kBatch = 4;

hw::Tile stochastic_tile(const hw::PeripheryParams& pp) {
  hw::TileParams tp;
  hw::Tile t(tp, pp, test::ideal_device(0.01), kRows, kCols, 5, 0,
             test::scheme("{type: stochastic_pulse, desired_bl: 31}"));
  t.set_weights(Matrix::Zero(kRows, kCols));
  return t;
}

TEST(LineProbe, CoincidencesOfTheTracedTrainsAreThePulsesTheCellsReceived) {
  hw::Tile t = stochastic_tile(test::perfect());
  hw::LineProbe probe;
  probe.window = {1, 4, 2, 7};  // columns clipped to 6
  t.set_line_probe(&probe);
  EXPECT_EQ(probe.window.c1, kCols);
  const BatchMatrix x = test::random_batch(kCols, kBatch, 11), d = test::random_batch(kRows, kBatch, 12);
  hw::UpdateRequest req;
  req.x = &x;
  req.d = &d;
  req.lr = 0.05;
  const Matrix w0 = t.weights();
  t.update(req);
  const Matrix dw = t.weights() - w0;
  ASSERT_EQ(probe.trains.size(), std::size_t(kBatch));
  const Index nr = probe.window.rows(), nc = probe.window.cols();
  int64_t total = 0;
  for (Index r = 0; r < nr; ++r)
    for (Index c = 0; c < nc; ++c) {
      // Signed coincidences of the recorded trains, sample by sample.
      int64_t n = 0;
      for (const hw::PulseTrains& tr : probe.trains)
        for (int s = 0; s < tr.bl; ++s)
          if (tr.row_bits[std::size_t(r * tr.bl + s)] && tr.col_bits[std::size_t(c * tr.bl + s)])
            n += tr.row_sign[std::size_t(r)] * tr.col_sign[std::size_t(c)];
      EXPECT_EQ(n, probe.pulses[std::size_t(r * nc + c)]) << r << "," << c;
      // An ideal device moves by exactly dw_min per pulse.
      const double steps = double(dw(probe.window.r0 + r, probe.window.c0 + c)) / 0.01;
      EXPECT_NEAR(steps, double(n), 1e-3) << r << "," << c;
      total += std::abs(n);
    }
  EXPECT_GT(total, 0);
  // A read clears the update's record.
  BatchMatrix y;
  t.forward(x, y);
  EXPECT_TRUE(probe.trains.empty());
  EXPECT_EQ(probe.passes.size(), std::size_t(kBatch));
}

TEST(LineProbe, AdcCodesTimesLsbAndScaleAreTheReadOutputs) {
  hw::PeripheryParams pp;  // aihwkit's defaults: noise and bound management, 7-bit DAC, 9-bit ADC
  pp.out_bound = 2.0;      // small enough that bound management re-reads some samples
  hw::TileParams tp;
  hw::Tile t(tp, pp, test::ideal_device(0.01), kRows, kCols, 5, 0);
  t.set_weights(test::random_matrix(kRows, kCols, 3, 0.8));
  hw::LineProbe probe;
  probe.window = {2, 5, 0, 3};
  t.set_line_probe(&probe);
  const BatchMatrix x = test::random_batch(kCols, 16, 21, 2.0);
  BatchMatrix y;
  t.forward(x, y);
  ASSERT_GE(probe.passes.size(), 16u);
  EXPECT_GT(probe.passes.size(), 16u) << "no bound-management re-read: lower out_bound";
  const double lsb = pp.out_res * 2 * pp.out_bound, in_lsb = pp.inp_res * 2 * pp.inp_bound;
  // The last pass of each sample is the one its output comes from.
  std::vector<const hw::ConversionPass*> last(16, nullptr);
  for (const auto& c : probe.passes) last[c.sample] = &c;
  for (Index b = 0; b < 16; ++b) {
    const hw::ConversionPass& c = *last[std::size_t(b)];
    for (Index i = 0; i < 3; ++i) {
      EXPECT_EQ(c.adc[std::size_t(i)], std::round(c.adc[std::size_t(i)]));  // a whole code
      EXPECT_NEAR(c.adc[std::size_t(i)] * lsb * c.scale, double(y(2 + i, b)),
                  1e-5 * (1 + std::abs(double(y(2 + i, b)))));
    }
    // The DAC codes: the scaled input, clipped and rounded to 7 bits.
    for (Index j = 0; j < 3; ++j) {
      const double v = std::clamp(double(x(j, b)) / (c.scale * 1.0), -1.0, 1.0);
      EXPECT_NEAR(c.dac[std::size_t(j)], std::round(v / in_lsb), 1.0) << b << "," << j;
      EXPECT_LE(std::abs(c.dac[std::size_t(j)]), 63.0);
    }
  }
  // A backward read: its inputs are the window's rows, its outputs its columns.
  BatchMatrix z;
  t.backward(test::random_batch(kRows, 2, 22), z);
  EXPECT_TRUE(probe.transposed);
  EXPECT_EQ(probe.passes.front().dac.size(), 3u);
  EXPECT_EQ(probe.passes.front().adc.size(), 3u);
}

}  // namespace
}  // namespace xb
