// SPDX-License-Identifier: MIT
// The area model (area_model.h) against a published bottom-up estimate: ISAAC's in-situ
// multiply-accumulate unit (Shafiee et al., ISCA 2016, Table I, 32 nm): 8 arrays of 128 x 128
// cells read one way, one 8-bit ADC per array, 128 one-bit DACs and 128 sample-and-holds per
// array. Its ADCs, DACs, S+H and arrays take 0.0096 + 0.00017 + 0.00004 + 0.0002 mm².
#include <gtest/gtest.h>

#include "hw_models/timing/area_model.h"

namespace xb::timing {
namespace {

TEST(AreaModel, IsaacsUnitFromItsOwnComponentFigures) {
  AreaParams p;  // ADC, DAC and S+H defaults are ISAAC's
  p.feature_size = 32e-9;
  // ISAAC's 128 x 128 array is 25 µm² (0.0002 mm² for 8): 1.49 F² per cell at 32 nm.
  p.cell_f2 = 25e-12 / (128.0 * 128.0) / (32e-9 * 32e-9);
  p.driver = 0;  // an inference unit: no write drivers
  const TileArea a = tile_area(128, 128, 1, false, 128, p);
  EXPECT_NEAR(a.array * 8, 0.0002e-6, 1e-12);
  EXPECT_NEAR(a.adc * 8, 0.0096e-6, 1e-12);
  EXPECT_NEAR(a.dac * 8, 0.00017e-6, 0.00001e-6);
  EXPECT_NEAR(a.sample_hold * 8, 0.00004e-6, 0.000001e-6);
  EXPECT_NEAR(a.total() * 8, 0.01001e-6, 0.0001e-6);
}

TEST(AreaModel, CountsConvertersPerSideAndDevicesPerCell) {
  AreaParams p;
  const TileArea f = tile_area(32, 16, 1, false, 8, p);
  EXPECT_DOUBLE_EQ(f.adc, 4 * p.adc);  // 32 output rows / 8 per ADC
  EXPECT_DOUBLE_EQ(f.dac, 16 * p.dac);
  EXPECT_DOUBLE_EQ(f.sample_hold, 32 * p.sample_hold);
  const TileArea b = tile_area(32, 16, 1, true, 8, p);
  EXPECT_DOUBLE_EQ(b.adc, (4 + 2) * p.adc);  // and 16 columns / 8 when read backward
  EXPECT_DOUBLE_EQ(b.dac, 48 * p.dac);
  EXPECT_DOUBLE_EQ(b.drivers, f.drivers);
  EXPECT_DOUBLE_EQ(tile_area(32, 16, 2, true, 8, p).array, 2 * b.array);
  EXPECT_DOUBLE_EQ(b.array, 32 * 16 * 16 * 32e-9 * 32e-9);
}

}  // namespace
}  // namespace xb::timing
