// SPDX-License-Identifier: MIT
// The latency model and the energy ledger as pure functions of an operation's cost: no tile,
// no SystemC.
#include <gtest/gtest.h>

#include <limits>

#include "hw_models/core/config.h"
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
  timing::EnergyLedger::count(row, r);
  r.op = TileOp::backward;
  r.lines_in = 6;
  r.lines_out = 4;
  timing::EnergyLedger::count(row, r);
  OpCost u;
  u.op = TileOp::update;
  u.pulses_up = 10;
  u.pulses_down = 5;
  timing::EnergyLedger::count(row, u);
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

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const std::exception& e) {
    return e.what();
  }
  return "";
}

// The error reading `section` with one override, "" when accepted.
template <class Params>
std::string refusal(const std::string& section, const std::string& assignment) {
  Config c;
  c.apply_override(section + "." + assignment);
  return error_of([&] { read_params<Params>(Scope(c, section)); });
}

TEST(TimingParams, ClockIsWholePicosecondsFromOnePicosecondToOneMillisecond) {
  const std::string rule = "must be a whole number of picoseconds from 1e-12 s to 1e-3 s";
  // 1e30 s gave 0 cycles per operation, 1e-15 s a SystemC period of 0 s.
  EXPECT_EQ(refusal<timing::TimingParams>("timing", "clock=1e30"),
            "--set: timing.clock = 1e+30: " + rule);
  EXPECT_EQ(refusal<timing::TimingParams>("timing", "clock=1e-15"),
            "--set: timing.clock = 1e-15: " + rule);
  EXPECT_EQ(refusal<timing::TimingParams>("timing", "clock=1.5ps"),
            "--set: timing.clock = 1.5e-12: " + rule);
  EXPECT_EQ(refusal<timing::TimingParams>("timing", "clock=1ps"), "");
  EXPECT_EQ(refusal<timing::TimingParams>("timing", "clock=0.3ns"), "");
}

TEST(TimingParams, EveryLatencyIsOneClockToOneSecond) {
  // 1e10 s wrapped the 64-bit cycle counter.
  EXPECT_EQ(refusal<timing::TimingParams>("timing", "t_pulse=1e10"),
            "--set: timing.t_pulse = 1e+10: must be a time from one clock period (1e-09 s) to 1 s");
  EXPECT_NE(refusal<timing::TimingParams>("timing", "t_adc=0.5ns").find("timing.t_adc = 5e-10"),
            std::string::npos);
  EXPECT_EQ(refusal<timing::TimingParams>("timing", "t_integrate=1"), "");
}

TEST(EnergyParams, PerOperationEnergyIsAtMostOneMillijoule) {
  // 1e308 J made the total infinite: `null` in summary.json.
  EXPECT_EQ(refusal<timing::EnergyParams>("energy", "e_pulse=1e308"),
            "--set: energy.e_pulse = 1e+308: must be an energy from 0 to 1e-3 J per operation");
  EXPECT_EQ(refusal<timing::EnergyParams>("energy", "e_adc=1mJ"), "");
}

TEST(TraceParams, WindowEndsByTheLongestSimulatedTime) {
  EXPECT_NE(refusal<timing::TraceParams>("trace", "start=1e30").find("trace.start = 1e+30"),
            std::string::npos);
  EXPECT_NE(refusal<timing::TraceParams>("trace", "stop=2e6").find("trace.stop = 2e+06"),
            std::string::npos);
}

TEST(LatencyModel, AnOperationLongerThanTheLongestRunIsRefusedNotWrapped) {
  OpCost c;
  c.op = TileOp::update;
  timing::TimingParams t = params();
  t.t_pulse = 1.0;
  c.write_slots = 1000000;  // exactly 1e6 s: accepted
  EXPECT_NEAR(double(timing::op_cycles(c, t)), 1e15, 2);
  c.write_slots = 2000000;
  const std::string e = error_of([&] { timing::op_cycles(c, t); });
  EXPECT_NE(e.find("timing.t_pulse = 1: one tile update would last 2e+06 s"),
            std::string::npos)
      << e;
  EXPECT_THROW(timing::op_cycles(c, t), ConfigError);
}

TEST(EnergyLedger, CountsPast64BitsEndTheRunInsteadOfWrapping) {
  timing::TileCounts row;
  row.name = "layer0";
  row.pulses_up = std::numeric_limits<uint64_t>::max() - 1;
  OpCost u;
  u.op = TileOp::update;
  u.pulses_up = 2;
  const std::string e = error_of([&] { timing::EnergyLedger::count(row, u); });
  EXPECT_EQ(e, "energy ledger: tile layer0: the count of pulses up passes 2^64");
  EXPECT_EQ(row.pulses_up, std::numeric_limits<uint64_t>::max() - 1) << "kept, not wrapped";
  OpCost r;
  r.op = TileOp::forward;
  r.read_passes = uint64_t(1) << 40;
  r.lines_in = 1 << 30;  // 2^70 DAC conversions
  r.lines_out = 1;
  EXPECT_THROW(timing::EnergyLedger::count(row, r), NumericalError);
}

}  // namespace
}  // namespace xb
