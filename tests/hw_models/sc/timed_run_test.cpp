// SPDX-License-Identifier: MIT
// Timed mode end to end through the real binary ($XBARSIM), one xbarsim process per run: for
// every registered device x scheme pair, and every unit cell x scheme pair, a small training
// run gives the same weights (weights_sha256) and the same pulse ledger in timed and
// functional mode, and a traced run's
// VCD survives GTKWave's vcd2fst/fst2vcd round trip with its pulses summing to the ledger.
#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <map>
#include <set>
#include <sstream>
#include <tuple>

#include "hw_models/cells/unit_cell.h"
#include "hw_models/devices/device_model.h"
#include "hw_models/update/update_scheme.h"
#include "tests/hw_models/sc/vcd_read.h"

namespace {

namespace fs = std::filesystem;

fs::path temp_dir() {
  const fs::path p = fs::temp_directory_path() / ("xb_timed_" + std::to_string(::getpid()));
  fs::create_directories(p);
  return p;
}

std::string slurp(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Runs xbarsim on `config` into dir/name with extra args; returns the exit code.
int xbarsim(const std::string& config, const fs::path& out, const std::string& extra) {
  const char* exe = std::getenv("XBARSIM");
  const std::string cmd = std::string(exe ? exe : "xbarsim") + " run " + config + " --out " +
                          out.string() + " --force --quiet " + extra + " >/dev/null 2>" +
                          (out.string() + ".err");
  return WEXITSTATUS(std::system(cmd.c_str()));
}

nlohmann::json summary(const fs::path& out) { return nlohmann::json::parse(slurp(out / "summary.json")); }

// `cell` is a whole `cell:` line (or empty for the default single device).
std::string small_config(const std::string& device, const std::string& scheme,
                         const std::string& cell = "", const std::string& name = "") {
  const fs::path p = temp_dir() / ((name.empty() ? device : name) + "_" + scheme + ".yaml");
  std::ofstream(p) << "device: {type: " << device << "}\n" << cell
                   << "task: {type: student_teacher, inputs: 5, outputs: 2, teacher_hidden: [4], "
                      "samples: 32, test_samples: 16}\n"
                      "network: {hidden: [6], activation: relu, analog: true}\n"
                      "rule: {type: backprop}\n"
                   << "scheme: {type: " << scheme << "}\n"
                   << "experiment: {type: train, steps: 12, batch: 4, lr: 0.05, eval_every: 4}\n";
  return p.string();
}

using Pair = std::tuple<std::string, std::string>;

class TimedEqualsFunctional : public ::testing::TestWithParam<Pair> {};

void expect_timed_equals_functional(const std::string& cfg, const std::string& name) {
  const fs::path f = temp_dir() / (name + "_functional");
  const fs::path t = temp_dir() / (name + "_timed");
  ASSERT_EQ(xbarsim(cfg, f, "--mode functional"), 0) << slurp(f.string() + ".err");
  ASSERT_EQ(xbarsim(cfg, t, "--mode timed"), 0) << slurp(t.string() + ".err");
  const auto sf = summary(f), st = summary(t);
  EXPECT_EQ(sf["weights_sha256"], st["weights_sha256"]);
  EXPECT_EQ(sf["ledger"], st["ledger"]);
  EXPECT_EQ(sf["total_pulses"].get<double>(), st["ledger"]["pulses"].get<double>());
  ASSERT_TRUE(st.contains("cycles"));
  EXPECT_GT(st["cycles"].get<uint64_t>(), 0u);
  const auto& ph = st["cycles_by_phase"];
  EXPECT_EQ(st["cycles"].get<uint64_t>(),
            ph["forward"].get<uint64_t>() + ph["backward"].get<uint64_t>() +
                ph["update"].get<uint64_t>() +
                (ph.contains("refresh") ? ph["refresh"].get<uint64_t>() : 0) +
                (ph.contains("transfer") ? ph["transfer"].get<uint64_t>() : 0));
  EXPECT_FALSE(sf.contains("cycles"));
  // The per-tile bill: the tiles work one after another, so their busy cycles, training's and
  // the evaluations', add up to the run's cycles, and training's to the devices' clock.
  uint64_t busy = 0;
  double share = 0;
  for (const char* phase : {"ledger", "ledger_eval"})
    for (const auto& [name, tile] : st[phase]["tiles"].items()) {
      busy += tile["busy_cycles"].get<uint64_t>();
      if (std::string(phase) == "ledger") share += tile["utilisation"].get<double>();
    }
  EXPECT_EQ(busy, st["cycles"].get<uint64_t>());
  EXPECT_NEAR(share, 1.0, 1e-12);
  EXPECT_NEAR(st["ledger"]["busy_cycles"].get<double>() * 1e-9, st["device_time_s"].get<double>(),
              1e-12);
  fs::remove_all(f);
  fs::remove_all(t);
}

TEST_P(TimedEqualsFunctional, SameWeightsAndLedger) {
  const auto& [device, scheme] = GetParam();
  expect_timed_equals_functional(small_config(device, scheme), device + "_" + scheme);
}

// Every unit cell (pairs refreshing every other update, so that refreshes happen) on an
// asymmetric soft-bounds device, with every scheme.
class TimedEqualsFunctionalCells : public ::testing::TestWithParam<Pair> {};

TEST_P(TimedEqualsFunctionalCells, SameWeightsAndLedger) {
  const auto& [cell, scheme] = GetParam();
  const bool pair = cell == "one_sided" || cell == "differential";
  const std::string line = "cell: {type: " + cell +
                           (pair ? ", refresh_every: 2, refresh_lower_thres: 0.05, "
                                   "refresh_upper_thres: 0.1" : "") + "}\n";
  const std::string cfg = small_config("soft_bounds", scheme, line, "cell_" + cell);
  expect_timed_equals_functional(cfg, "cell_" + cell + "_" + scheme);
}

std::vector<Pair> pairs() {
  std::vector<Pair> v;
  for (const auto& d : xb::hw::device_registry().names())
    for (const auto& s : xb::hw::scheme_registry().names()) v.emplace_back(d, s);
  return v;
}

INSTANTIATE_TEST_SUITE_P(AllPairs, TimedEqualsFunctional, ::testing::ValuesIn(pairs()),
                         [](const ::testing::TestParamInfo<Pair>& i) {
                           return std::get<0>(i.param) + "_" + std::get<1>(i.param);
                         });

std::vector<Pair> cell_pairs() {
  std::vector<Pair> v;
  for (const auto& c : xb::hw::cell_registry().names())
    for (const auto& s : xb::hw::scheme_registry().names()) v.emplace_back(c, s);
  return v;
}

INSTANTIATE_TEST_SUITE_P(AllCells, TimedEqualsFunctionalCells, ::testing::ValuesIn(cell_pairs()),
                         [](const ::testing::TestParamInfo<Pair>& i) {
                           return std::get<0>(i.param) + "_" + std::get<1>(i.param);
                         });

TEST(TimedRun, TraceRoundTripsThroughGtkwaveAndMatchesTheLedger) {
  if (std::system("command -v vcd2fst >/dev/null && command -v fst2vcd >/dev/null") != 0)
    GTEST_SKIP() << "vcd2fst/fst2vcd not installed (Debian package gtkwave)";
  const std::string cfg = small_config("constant_step", "stochastic_pulse");
  const fs::path t = temp_dir() / "traced";
  ASSERT_EQ(xbarsim(cfg, t, "--mode timed --trace"), 0) << slurp(t.string() + ".err");
  const auto s = summary(t);
  const std::string vcd = slurp(t / "trace.vcd");
  ASSERT_FALSE(vcd.empty());
  EXPECT_NE(vcd.find("$timescale 1ns $end"), std::string::npos);
  const std::string cmd = "cd " + t.string() +
                          " && vcd2fst trace.vcd trace.fst >/dev/null 2>&1"
                          " && fst2vcd trace.fst > back.vcd 2>/dev/null";
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  const std::string back = slurp(t / "back.vcd");
  // Same $var lines (names, types, widths) before and after; pulse counters (cumulative) end
  // at values summing to the ledger.
  auto vars = [](const std::string& text, uint64_t& pulses) {
    std::istringstream in(text);
    std::string line;
    std::vector<std::string> out;
    std::map<std::string, bool> pulse_code;
    std::map<std::string, uint64_t> last;
    while (std::getline(in, line)) {
      if (line.rfind("$var", 0) == 0) {
        std::istringstream ls(line);
        std::string v, type, width, code, name;
        ls >> v >> type >> width >> code >> name;
        out.push_back(type + " " + width + " " + name);
        pulse_code[code] = name.rfind("pulses_", 0) == 0;
      } else if (line.size() > 1 && line[0] == 'b') {
        const auto sp = line.find(' ');
        const std::string code = line.substr(sp + 1);
        uint64_t x = 0;
        for (char c : line.substr(1, sp - 1)) x = x * 2 + (c == '1');
        if (pulse_code[code]) last[code] = x;
      }
    }
    pulses = 0;
    for (const auto& [c, x] : last) pulses += x;
    return out;
  };
  uint64_t p1 = 0, p2 = 0;
  const auto v1 = vars(vcd, p1), v2 = vars(back, p2);
  EXPECT_EQ(v1, v2);
  EXPECT_GE(v1.size(), 2u * 7 + 2);  // two tiles x (7 summary signals + cells) + loss, rule_phase
  EXPECT_EQ(p1, s["ledger"]["pulses"].get<uint64_t>());
  EXPECT_EQ(p2, p1);
  EXPECT_GT(p1, 0u);
  fs::remove_all(t);
}

// Layers split over tiles (6 x 5 on arrays of at most 4 x 3: a 2 x 2 grid; 2 x 6: 1 x 2), under
// every schedule: the same weights and ledger in both modes, each tile its own ledger row, and
// the concurrent schedules shorter than the sequential one, which its busy cycles add up to.
TEST(TimedRun, SplitLayersAreTheSameInBothModesUnderEverySchedule) {
  const std::string cfg = small_config("soft_bounds", "stochastic_pulse",
                                       "tile: {max_rows: 4, max_cols: 3}\n", "split");
  std::map<std::string, uint64_t> cycles;
  std::string sha;
  for (const std::string sched : {"sequential", "tile_parallel", "layer_pipelined"}) {
    const fs::path f = temp_dir() / ("split_f_" + sched), t = temp_dir() / ("split_t_" + sched);
    const std::string set = " --set timing.schedule=" + sched;
    ASSERT_EQ(xbarsim(cfg, f, "--mode functional" + set), 0) << slurp(f.string() + ".err");
    ASSERT_EQ(xbarsim(cfg, t, "--mode timed" + set), 0) << slurp(t.string() + ".err");
    const auto sf = summary(f), st = summary(t);
    EXPECT_EQ(sf["weights_sha256"], st["weights_sha256"]) << sched;
    if (sha.empty()) sha = sf["weights_sha256"];
    EXPECT_EQ(sf["weights_sha256"], sha) << sched;
    EXPECT_EQ(sf["ledger"], st["ledger"]) << sched;
    EXPECT_EQ(sf["device_time_s"], st["device_time_s"]) << sched;
    EXPECT_EQ(st["ledger"]["tiles"].size(), 6u);
    EXPECT_TRUE(st["ledger"]["tiles"].contains("layer0.t1_1"));
    EXPECT_TRUE(st["ledger"]["tiles"].contains("layer1.t0_1"));
    cycles[sched] = st["cycles"];
    if (sched == "sequential") {
      EXPECT_EQ(st["ledger"]["busy_cycles"].get<uint64_t>() +
                    st["ledger_eval"]["busy_cycles"].get<uint64_t>(),
                cycles[sched]);
    }
    fs::remove_all(f);
    fs::remove_all(t);
  }
  EXPECT_LT(cycles["tile_parallel"], cycles["sequential"]);
  EXPECT_LT(cycles["layer_pipelined"], cycles["tile_parallel"]);
}

// A conv network split over arrays: each conv layer's patch rows are one batched read per
// mini-batch, its update the sum of the rank-one terms of every position; the same weights
// and ledger in both modes.
TEST(TimedRun, ATiledConvNetworkIsTheSameInBothModes) {
  if (!fs::exists("/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz"))
    GTEST_SKIP() << "dataset-fashion-mnist not installed";
  const fs::path p = temp_dir() / "cnn_split.yaml";
  std::ofstream(p) << "device: {type: soft_bounds}\nscheme: {type: stochastic_pulse}\n"
                      "task: {type: cnn_teacher, samples: 16, test_samples: 8}\n"
                      "network: {activation: relu, analog: true, layers: [{type: conv2d, "
                      "channels: 4, kernel: 3, stride: 2}, {type: max_pool}, {type: conv2d, "
                      "channels: 6, kernel: 3}, {type: flatten}, {type: linear}]}\n"
                      "tile: {max_rows: 4, max_cols: 16}\ntiming: {schedule: layer_pipelined}\n"
                      "rule: {type: backprop}\n"
                      "experiment: {type: train, steps: 6, batch: 4, lr: 0.05, eval_every: 3}\n";
  const fs::path f = temp_dir() / "cnn_f", t = temp_dir() / "cnn_t";
  ASSERT_EQ(xbarsim(p.string(), f, "--mode functional"), 0) << slurp(f.string() + ".err");
  ASSERT_EQ(xbarsim(p.string(), t, "--mode timed"), 0) << slurp(t.string() + ".err");
  const auto sf = summary(f), st = summary(t);
  EXPECT_EQ(sf["weights_sha256"], st["weights_sha256"]);
  EXPECT_EQ(sf["ledger"], st["ledger"]);
  // conv 4 x 9 on one array, conv 6 x 36 on 2 x 3, linear 10 x 96 (4 x 4 x 6) on 3 x 6.
  EXPECT_EQ(st["ledger"]["tiles"].size(), 1u + 6u + 18u);
  EXPECT_GT(st["ledger"]["pulses"].get<uint64_t>(), 0u);
  fs::remove_all(f);
  fs::remove_all(t);
}

// The shipped GTKWave save files list signals that the shipped demo's trace has (GTKWave
// silently skips a name it does not find, so a renamed signal would vanish from the view).
TEST(TimedRun, ShippedSaveFilesNameSignalsOfTheShippedDemo) {
  const fs::path src = XB_SOURCE_DIR;
  const fs::path t = temp_dir() / "demo";
  ASSERT_EQ(xbarsim((src / "sim/configs/timed_small.yaml").string(), t, "--mode timed --trace"), 0)
      << slurp(t.string() + ".err");
  const std::set<std::string> names = xb::test::vcd_names(slurp(t / "trace.vcd"));
  for (const char* file : {"tile_summary.gtkw", "pulse_window.gtkw"}) {
    std::istringstream gtkw(slurp(src / "traces" / file));
    std::string line;
    int listed = 0;
    while (std::getline(gtkw, line)) {
      if (line.rfind("top.", 0) != 0) continue;
      const std::string name = line.substr(0, line.find('['));  // integers end in [63:0]
      EXPECT_TRUE(names.count(name)) << file << ": " << name;
      ++listed;
    }
    EXPECT_GT(listed, 10) << file;
  }
  fs::remove_all(t);
}

}  // namespace
