// SPDX-License-Identifier: MIT
// The timing shell driven with tiles directly (no experiment): results are bit-identical to
// calling the kernels without it, latencies follow `timing:`, the ledger counts what the kernels
// did, and the VCD trace survives GTKWave's own vcd2fst/fst2vcd round trip.
#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include "hw_models/core/config.h"
#include "hw_models/crossbar/tile.h"
#include "hw_models/timing/instrument.h"
#include "hw_models/sc/vcd_writer.h"
#include "tests/hw_models/crossbar/tile_test_util.h"
#include "tests/hw_models/sc/vcd_read.h"

namespace xb {
namespace {

namespace fs = std::filesystem;
using hw::OpCost;
using hw::TileOp;

constexpr Index kRows = 12, kCols = 7, kBatch = 5;

hw::Tile make_tile(uint32_t id) {
  auto dev = test::device_from_yaml("linear_step", "dw_min: 0.01, dw_min_dtod: 0.2, dw_min_std: 0.3");
  if (!dev) dev = test::ideal_device(0.01);
  hw::TileParams tp;
  hw::PeripheryParams pp;  // defaults: read noise, ADC clipping, quantisation
  hw::Tile t(tp, pp, dev, kRows, kCols, 42, id);
  t.set_weights(test::random_matrix(kRows, kCols, 7));
  return t;
}

// Random signed pulse counts in [-3, 3], the same for the same tile event and row; written row
// by row (one slot per row), the cost a pulse-count scheme would report.
OpCost pulse_kernel(hw::Tile& t) {
  const Rng base = t.scheme_rng(0);
  hw::UpdateReport rep;
  t.apply_pulses(
      [&](PulseArray& n, Index r0, Index r1) {
        for (Index row = r0; row < r1; ++row) {
          Rng rr = base.at(0, uint32_t(row));
          for (Index c = 0; c < n.cols(); ++c) n(row - r0, c) = int32_t(rr.uniform() * 7) - 3;
        }
      },
      rep);
  OpCost c;
  c.op = TileOp::update;
  c.pulses_up = rep.pulses_up;
  c.pulses_down = rep.pulses_down;
  c.write_slots = uint64_t(t.out_size());
  return c;
}

// A few training-like steps: forward, backward, pulsed update. With a hook the reads go through
// it as the tile's own hook; the update is handed to it directly with its cost.
BatchMatrix workload(hw::Tile& t, hw::TimingHook* hook, int steps) {
  BatchMatrix x = test::random_matrix(kCols, kBatch, 3).cast<Scalar>();
  BatchMatrix d = test::random_matrix(kRows, kBatch, 4).cast<Scalar>();
  BatchMatrix y, z, acc = BatchMatrix::Zero(kRows, kBatch);
  t.set_timing_hook(hook);
  for (int s = 0; s < steps; ++s) {
    t.forward(x, y);
    t.backward(d, z);
    if (hook)
      hook->run(t, TileOp::update, [&] { return pulse_kernel(t); });
    else
      pulse_kernel(t);
    acc += y;
  }
  t.set_timing_hook(nullptr);
  return acc;
}

Config config(const std::string& extra) {
  return Config::from_string(
      "timing: {clock: 1ns, t_dac: 2ns, t_integrate: 10ns, t_adc: 1ns, adc_share: 4, "
      "t_pulse: 10ns}\n" + extra,
      "test");
}

fs::path temp_dir(const std::string& name) {
  const fs::path p = fs::temp_directory_path() / ("xb_sc_" + name + "_" + std::to_string(::getpid()));
  fs::remove_all(p);
  fs::create_directories(p);
  return p;
}

std::string slurp(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(TileShell, TimedRunIsBitIdenticalToDirectKernelCalls) {
  hw::Tile a = make_tile(0), b = make_tile(0);
  const BatchMatrix ya = workload(a, nullptr, 6);
  Config cfg = config("");
  auto ins = timing::Instrument::create(cfg, "timed", false);
  BatchMatrix yb;
  ins->execute([&] { yb = workload(b, ins->attach(b, "layer0"), 6); }, ".");
  // Exact equality: the shell only reorders nothing and adds time.
  EXPECT_TRUE((a.weights().array() == b.weights().array()).all());
  EXPECT_TRUE((ya.array() == yb.array()).all());
  nlohmann::ordered_json s;
  ins->write_summary(s);
  EXPECT_GT(s["cycles"].get<uint64_t>(), 0u);
}

TEST(TileShell, LatenciesFollowTheTimingParameters) {
  hw::Tile t = make_tile(1);
  Config cfg = config("");
  auto ins = timing::Instrument::create(cfg, "timed", false);
  BatchMatrix x = test::random_matrix(kCols, kBatch, 3).cast<Scalar>(), y;
  BatchMatrix d = test::random_matrix(kRows, kBatch, 4).cast<Scalar>(), z;
  ins->execute(
      [&] {
        hw::TimingHook* h = ins->attach(t, "layer0");
        t.set_timing_hook(h);
        t.forward(x, y);
        t.backward(d, z);
        // A stochastic_pulse-like update: BL = 10 slots per sample.
        OpCost c;
        c.op = TileOp::update;
        c.write_slots = 10 * kBatch;
        h->run(t, TileOp::update, [&] { return c; });
      },
      ".");
  nlohmann::ordered_json s;
  ins->write_summary(s);
  const uint64_t passes_f = s["ledger"]["tiles"]["layer0"]["forward_passes"];
  const uint64_t passes_b = s["ledger"]["tiles"]["layer0"]["backward_passes"];
  EXPECT_GE(passes_f, uint64_t(kBatch));  // + bound-management re-reads, if any
  // forward: 12 outputs over adc_share 4 -> 3 conversions: 2 + 10 + 3 = 15 ns per pass;
  // backward: 7 outputs -> 2 conversions: 14 ns per pass; update: 10 slots x 5 samples x 10 ns.
  EXPECT_EQ(s["cycles_by_phase"]["forward"].get<uint64_t>(), 15 * passes_f);
  EXPECT_EQ(s["cycles_by_phase"]["backward"].get<uint64_t>(), 14 * passes_b);
  EXPECT_EQ(s["cycles_by_phase"]["update"].get<uint64_t>(), 500u);
  EXPECT_EQ(s["cycles"].get<uint64_t>(), 15 * passes_f + 14 * passes_b + 500);
  EXPECT_DOUBLE_EQ(s["sim_time_ns"].get<double>(), double(s["cycles"].get<uint64_t>()));
}

TEST(TileShell, LedgerIsTheSameInBothModesAndPricesEachOperation) {
  nlohmann::ordered_json sf, st;
  for (const std::string mode : {"functional", "timed"}) {
    hw::Tile t = make_tile(2);
    Config cfg = config("energy: {e_pulse: 1e-12, e_cell_read: 1e-15, e_dac: 1e-14, e_adc: 1e-13}");
    auto ins = timing::Instrument::create(cfg, mode, false);
    ins->execute([&] { workload(t, ins->attach(t, "layer0"), 3); }, ".");
    ins->write_summary(mode == "timed" ? st : sf);
  }
  EXPECT_EQ(sf["ledger"], st["ledger"]);
  const auto& l = sf["ledger"];
  const double pulses = l["pulses"], passes = l["read_passes"];
  EXPECT_GT(pulses, 0);
  // Every pass converts on all lines of one side and reads every cell.
  EXPECT_EQ(l["cell_reads"].get<double>(), passes * kRows * kCols);
  EXPECT_EQ(l["dac_conversions"].get<double>() + l["adc_conversions"].get<double>(),
            passes * (kRows + kCols));
  const double e = 1e-12 * pulses + 1e-15 * l["cell_reads"].get<double>() +
                   1e-14 * l["dac_conversions"].get<double>() +
                   1e-13 * l["adc_conversions"].get<double>();
  EXPECT_NEAR(sf["energy_total_J"].get<double>(), e, 1e-12 * e);
}

TEST(TileShell, TraceSurvivesGtkwaveRoundTripAndPulsesMatchTheLedger) {
  if (std::system("command -v vcd2fst >/dev/null && command -v fst2vcd >/dev/null") != 0)
    GTEST_SKIP() << "vcd2fst/fst2vcd not installed (Debian package gtkwave)";
  const fs::path dir = temp_dir("trace");
  hw::Tile t0 = make_tile(0), t1 = make_tile(1);
  Config cfg = config("trace: {cells: [0, 2, 0, 3]}");
  auto ins = timing::Instrument::create(cfg, "timed", true);
  ins->execute(
      [&] {
        hw::TimingHook* h0 = ins->attach(t0, "layer0");
        hw::TimingHook* h1 = ins->attach(t1, "layer1");
        for (int s = 0; s < 3; ++s) {
          ins->rule_phase("estimate");
          workload(t0, h0, 1);
          workload(t1, h1, 1);
          ins->rule_phase("eval");
          ins->loss(1.0 / (s + 1));
        }
      },
      dir.string());
  nlohmann::ordered_json s;
  ins->write_summary(s);
  const std::string vcd = slurp(dir / "trace.vcd");
  EXPECT_NE(vcd.find("$timescale 1ns $end"), std::string::npos);
  const std::set<std::string> names = test::vcd_names(vcd);
  for (const char* n : {"top.layer0.tile.pulses_up", "top.layer1.tile.pulses_down",
                        "top.layer0.tile.phase", "top.layer0.tile.adc_sat",
                        "top.layer1.tile.g_mean", "top.layer0.tile.cells.c1_2.w",
                        "top.layer0.tile.cells.c1_2.G0_uS",
                        "top.controller.loss", "top.controller.rule_phase"})
    EXPECT_TRUE(names.count(n)) << n;
  EXPECT_EQ(names.size(), 2u * (8 + 2 * 6) + 2);

  const std::string cmd = "cd " + dir.string() +
                          " && vcd2fst trace.vcd trace.fst >/dev/null 2>&1"
                          " && fst2vcd trace.fst > back.vcd 2>/dev/null";
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  const std::string back = slurp(dir / "back.vcd");
  EXPECT_EQ(test::vcd_names(back), names);

  // Pulse counters are cumulative: their last values sum to the ledger's total, before and
  // after the round trip.
  for (const std::string* text : {&vcd, &back}) {
    uint64_t sum = 0;
    for (const auto& [name, v] : test::vcd_changes(*text))
      if (name.find(".pulses_") != std::string::npos) sum += uint64_t(v.back().second);
    EXPECT_EQ(sum, s["ledger"]["pulses"].get<uint64_t>());
  }
  // So are the tiles' busy cycles, evaluations included.
  uint64_t busy = 0;
  for (const auto& [name, v] : test::vcd_changes(vcd))
    if (name.find(".busy_cycles") != std::string::npos) busy += uint64_t(v.back().second);
  EXPECT_EQ(busy, s["ledger"]["busy_cycles"].get<uint64_t>() +
                      s["ledger_eval"]["busy_cycles"].get<uint64_t>());
  EXPECT_GT(busy, 0u);
  EXPECT_GT(s["ledger"]["pulses"].get<uint64_t>(), 0u);
  fs::remove_all(dir);
}

TEST(TileShell, TraceWindowAndSelectionKeepTheFileSmall) {
  const fs::path dir = temp_dir("window");
  hw::Tile t = make_tile(0);
  // Start after the first step, stop before the end; only two signals.
  Config cfg = config("trace: {start: 300ns, stop: 900ns, signals: [phase, pulses_up]}");
  auto ins = timing::Instrument::create(cfg, "timed", true);
  ins->execute([&] { workload(t, ins->attach(t, "layer0"), 6); }, dir.string());
  nlohmann::ordered_json s;
  ins->write_summary(s);
  ASSERT_GT(s["sim_time_ns"].get<double>(), 900.0);
  const std::string vcd = slurp(dir / "trace.vcd");
  EXPECT_EQ(test::vcd_names(vcd), (std::set<std::string>{"top.layer0.tile.phase", "top.layer0.tile.pulses_up"}));
  std::istringstream in(vcd);
  std::string line;
  int stamps = 0;
  while (std::getline(in, line))
    if (!line.empty() && line[0] == '#') {
      const long t = std::stol(line.substr(1));
      EXPECT_GE(t, 300);
      EXPECT_LT(t, 900);
      ++stamps;
    }
  EXPECT_GT(stamps, 1);
  fs::remove_all(dir);
}

// Times at which a bit signal rises.
std::set<uint64_t> rises(const std::vector<std::pair<uint64_t, double>>& v) {
  std::set<uint64_t> r;
  double prev = 0;
  for (const auto& [t, x] : v) {
    if (x == 1 && prev == 0) r.insert(t);
    prev = x;
  }
  return r;
}

TEST(TileShell, PulseLevelWindowShowsOneUpdateSlotBySlotAndTheReadCodes) {
  const fs::path dir = temp_dir("lines");
  hw::TileParams tp;
  hw::Tile t(tp, test::perfect(), test::ideal_device(0.01), kRows, kCols, 42, 0,
             test::scheme("{type: stochastic_pulse, desired_bl: 31}"));
  t.set_weights(Matrix::Zero(kRows, kCols));
  // Positive x and d: every pulse of the update has the same sign (it lowers W).
  const BatchMatrix x = test::random_batch(kCols, 3, 5).cwiseAbs();
  const BatchMatrix d = test::random_batch(kRows, 3, 6).cwiseAbs();
  Config cfg = config("trace: {cells: [], lines: [1, 3, 2, 5], signals: [phase]}");
  auto ins = timing::Instrument::create(cfg, "timed", true);
  BatchMatrix y;
  Matrix dw;
  ins->execute(
      [&] {
        t.set_timing_hook(ins->attach(t, "layer0"));
        hw::UpdateRequest req;
        req.x = &x;
        req.d = &d;
        req.lr = 0.1;
        const Matrix w0 = t.weights();
        t.update(req);
        dw = t.weights() - w0;
        t.forward(x, y);
      },
      dir.string());
  const auto ch = test::vcd_changes(slurp(dir / "trace.vcd"));
  const std::string p = "top.layer0.tile.lines.";
  int64_t total = 0;
  for (int r = 1; r < 3; ++r)
    for (int c = 2; c < 5; ++c) {
      const std::string cell = p + "cell" + std::to_string(r) + "_" + std::to_string(c) + ".";
      // Coincidences of the traced row and column trains (both pulse at the same slot) ...
      const std::set<uint64_t> row = rises(ch.at(p + "row" + std::to_string(r) + ".pulse"));
      const std::set<uint64_t> col = rises(ch.at(p + "col" + std::to_string(c) + ".pulse"));
      int64_t both = 0;
      for (uint64_t s : row) both += col.count(s);
      // ... are the cell's hits, its pulse count, and the steps the ideal device moved.
      EXPECT_EQ(int64_t(rises(ch.at(cell + "hit")).size()), both) << r << "," << c;
      const auto& n = ch.at(cell + "pulses");
      double lowest = 0;
      for (const auto& [time, v] : n) lowest = std::min(lowest, v);
      EXPECT_EQ(lowest, -double(both)) << r << "," << c;
      EXPECT_NEAR(double(dw(r, c)) / 0.01, -double(both), 1e-3) << r << "," << c;
      total += both;
    }
  EXPECT_GT(total, 0);
  // The read after it: the window's rows' ADC values (a perfect periphery: analog) are the
  // forward outputs, the last one written for the last sample; the columns carry the inputs.
  for (int r = 1; r < 3; ++r)
    EXPECT_NEAR(ch.at(p + "row" + std::to_string(r) + ".adc").back().second, double(y(r, 2)), 1e-6);
  for (int c = 2; c < 5; ++c)
    EXPECT_NEAR(ch.at(p + "col" + std::to_string(c) + ".dac").back().second, double(x(c, 2)), 1e-6);
  fs::remove_all(dir);
}

// Two layers in a chain: 12 x 7 (3 conversions at adc_share 4: 15 ns per pass) and 4 x 12
// (13 ns per pass).
struct Chain {
  hw::Tile t0, t1;
  explicit Chain(const hw::PeripheryParams& pp)
      : t0(hw::TileParams{}, pp, test::ideal_device(0.01), 12, 7, 42, 0),
        t1(hw::TileParams{}, pp, test::ideal_device(0.01), 4, 12, 42, 1) {
    t0.set_weights(test::random_matrix(12, 7, 1));
    t1.set_weights(test::random_matrix(4, 12, 2));
  }
  // forward, forward; then (full) backward and a pulsed update of both, `steps` times.
  BatchMatrix run(timing::Instrument& ins, int steps) {
    hw::TimingHook* h0 = ins.attach(t0, "layer0");
    hw::TimingHook* h1 = ins.attach(t1, "layer1");
    t0.set_timing_hook(h0);
    t1.set_timing_hook(h1);
    BatchMatrix x = test::random_matrix(7, kBatch, 3).cast<Scalar>(), y0, y1, z;
    BatchMatrix acc = BatchMatrix::Zero(4, kBatch);
    for (int s = 0; s < steps; ++s) {
      t0.forward(x, y0);
      t1.forward(y0, y1);
      t1.backward(y1, z);
      h1->run(t1, TileOp::update, [&] { return pulse_kernel(t1); });
      h0->run(t0, TileOp::update, [&] { return pulse_kernel(t0); });
      acc += y1;
    }
    return acc;
  }
};

TEST(TileShell, PipelinedScheduleSavesTheExpectedCyclesAndChangesNoResult) {
  // One forward chain, perfect periphery (passes = samples): sequential 15B + 13B cycles;
  // pipelined, layer 1 starts after layer 0's first sample and then keeps pace with it:
  // 15 + 13 + (B − 1)·15, a saving of (B − 1)·13.
  std::map<std::string, uint64_t> cycles;
  for (const std::string sched : {"sequential", "tile_parallel", "layer_pipelined"}) {
    Chain c(test::perfect());
    Config cfg = config("");
    cfg.apply_override("timing.schedule=" + sched);
    auto ins = timing::Instrument::create(cfg, "timed", false);
    ins->execute([&] {
      c.t0.set_timing_hook(ins->attach(c.t0, "layer0"));
      c.t1.set_timing_hook(ins->attach(c.t1, "layer1"));
      BatchMatrix x = test::random_matrix(7, kBatch, 3).cast<Scalar>(), y0, y1;
      c.t0.forward(x, y0);
      c.t1.forward(y0, y1);
    }, ".");
    nlohmann::ordered_json s;
    ins->write_summary(s);
    cycles[sched] = s["cycles"];
    EXPECT_EQ(s["schedule"], sched);
  }
  EXPECT_EQ(cycles["sequential"], 15u * kBatch + 13u * kBatch);
  EXPECT_EQ(cycles["tile_parallel"], cycles["sequential"]);  // a chain: nothing to overlap
  EXPECT_EQ(cycles["layer_pipelined"], 15u + 13u + (kBatch - 1) * 15u);
  EXPECT_EQ(cycles["sequential"] - cycles["layer_pipelined"], (kBatch - 1) * 13u);

  // Whole steps with the default (noisy) periphery: every schedule gives the same outputs and
  // weights, in both modes; the concurrent ones take fewer cycles, and the functional ledger's
  // device time is the timed run's.
  BatchMatrix ref;
  Matrix w0, w1;
  std::map<std::string, double> seconds;
  for (const std::string sched : {"sequential", "tile_parallel", "layer_pipelined"})
    for (const std::string mode : {"functional", "timed"}) {
      Chain c(hw::PeripheryParams{});
      Config cfg = config("");
    cfg.apply_override("timing.schedule=" + sched);
      auto ins = timing::Instrument::create(cfg, mode, false);
      BatchMatrix out;
      ins->execute([&] { out = c.run(*ins, 4); }, ".");
      if (ref.size() == 0) {
        ref = out, w0 = c.t0.weights(), w1 = c.t1.weights();
      } else {
        EXPECT_TRUE((out.array() == ref.array()).all()) << sched << " " << mode;
        EXPECT_TRUE((c.t0.weights().array() == w0.array()).all()) << sched << " " << mode;
        EXPECT_TRUE((c.t1.weights().array() == w1.array()).all()) << sched << " " << mode;
      }
      const double t = ins->device_seconds();
      if (mode == "timed") {
        nlohmann::ordered_json s;
        ins->write_summary(s);
        EXPECT_DOUBLE_EQ(t, s["cycles"].get<uint64_t>() * 1e-9) << sched;
        EXPECT_NEAR(t, seconds[sched], 1e-15) << sched;
      }
      seconds[sched] = t;
    }
  EXPECT_LT(seconds["tile_parallel"], seconds["sequential"]);
  EXPECT_LT(seconds["layer_pipelined"], seconds["tile_parallel"]);
}

TEST(TileShell, TraceOutsideTimedModeIsAConfigError) {
  Config cfg = config("");
  EXPECT_THROW(timing::Instrument::create(cfg, "functional", true), ConfigError);
  Config bad = Config::from_string("timing: {adc_share: 0}", "test");
  EXPECT_THROW(timing::Instrument::create(bad, "timed", false), ConfigError);
  Config bad2 = Config::from_string("trace: {signals: [pulses]}", "test");
  EXPECT_THROW(timing::Instrument::create(bad2, "timed", true), ConfigError);
}

}  // namespace
}  // namespace xb
