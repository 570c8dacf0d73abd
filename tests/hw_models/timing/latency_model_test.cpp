// SPDX-License-Identifier: MIT
// The latency model and the energy ledger as pure functions of an operation's cost: no tile,
// no SystemC.
#include <gtest/gtest.h>

#include "hw_models/timing/energy_ledger.h"
#include "hw_models/timing/latency_model.h"

namespace xb {
namespace {

using hw::OpCost;
using hw::TileOp;

timing::TimingParams params() {
  timing::TimingParams t;
  t.clock = 1e-9;
  t.t_dac = 2e-9;
  t.t_integrate = 10e-9;
  t.t_adc = 1e-9;
  t.adc_share = 4;
  t.t_pulse = 10e-9;
  return t;
}

TEST(LatencyModel, ReadPassIsDacIntegrationAndSharedConversions) {
  OpCost c;
  c.op = TileOp::forward;
  c.read_passes = 7;
  c.lines_in = 5;
  c.lines_out = 9;  // ceil(9 / 4) = 3 conversions
  EXPECT_EQ(timing::op_cycles(c, params()), 7u * (2 + 10 + 3));
  c.op = TileOp::backward;
  c.lines_out = 8;  // 2 conversions
  EXPECT_EQ(timing::op_cycles(c, params()), 7u * (2 + 10 + 2));
}

TEST(LatencyModel, UpdateIsSlotsTimesPulseAndRoundsUpToCycles) {
  OpCost c;
  c.op = TileOp::update;
  c.write_slots = 31 * 4;
  EXPECT_EQ(timing::op_cycles(c, params()), 31u * 4u * 10u);
  timing::TimingParams t = params();
  t.t_pulse = 2.5e-9;
  c.write_slots = 3;  // 7.5 ns -> 8 cycles
  EXPECT_EQ(timing::op_cycles(c, t), 8u);
  c.write_slots = 0;  // nothing written takes no time
  EXPECT_EQ(timing::op_cycles(c, t), 0u);
}

TEST(EnergyLedger, CountsConversionsCellsAndPulsesFromTheCost) {
  timing::TileCounts row;
  OpCost r;
  r.op = TileOp::forward;
  r.read_passes = 3;
  r.lines_in = 4;
  r.lines_out = 6;
  r.adc_saturations = 2;
  timing::EnergyLedger::record(row, r);
  r.op = TileOp::backward;
  r.lines_in = 6;
  r.lines_out = 4;
  timing::EnergyLedger::record(row, r);
  OpCost u;
  u.op = TileOp::update;
  u.pulses_up = 10;
  u.pulses_down = 5;
  timing::EnergyLedger::record(row, u);
  EXPECT_EQ(row.forward_passes, 3u);
  EXPECT_EQ(row.backward_passes, 3u);
  EXPECT_EQ(row.dac_conversions, 3u * 4u + 3u * 6u);
  EXPECT_EQ(row.adc_conversions, 3u * 6u + 3u * 4u);
  EXPECT_EQ(row.cell_reads, 2u * 3u * 24u);
  EXPECT_EQ(row.adc_saturations, 4u);
  EXPECT_EQ(row.updates, 1u);
  timing::EnergyParams e;
  EXPECT_DOUBLE_EQ(row.write_energy(e), 15 * e.e_pulse);
  EXPECT_DOUBLE_EQ(row.read_energy(e), e.e_cell_read * 144 + e.e_dac * 30 + e.e_adc * 30);
}

}  // namespace
}  // namespace xb
