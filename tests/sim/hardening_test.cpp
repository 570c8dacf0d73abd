// SPDX-License-Identifier: MIT
// Hardening checks through the real binary ($XBARSIM):
//  - the bad-input corpus (tests/bad_inputs/cases.txt): every case exits with its code (2) and
//    one message naming the key or file, under a timeout, without a crash or sanitizer report;
//  - numerical failure: NaN/Inf stops train, stationary and levy_sde with exit 3, naming the
//    step, keeping the files written so far and `status: diverged`;
//  - determinism: byte-identical metrics.csv and weights_sha256 across --threads 1/2 and
//    across functional and timed mode;
//  - existing run and sweep folders are kept without --force.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "tests/sim/cli_harness.h"

namespace {

namespace fs = std::filesystem;
using xb::test::Result;
using xb::test::scratch;
using xb::test::slurp;
using xb::test::write;

const std::string kCorpus = XB_SOURCE_DIR "/tests/bad_inputs";

// Runs xbarsim with `args` in folder `cwd`, killed after `timeout_s` (exit 124 then).
Result xbarsim(const std::string& args, const fs::path& cwd, int timeout_s = 120) {
  const char* exe = std::getenv("XBARSIM");
  const fs::path err = cwd / "stderr.txt";
  const std::string cmd = "cd '" + cwd.string() + "' && timeout -k 5 " +
                          std::to_string(timeout_s) + " " + (exe ? exe : "xbarsim") + " " + args +
                          " >/dev/null 2>'" + err.string() + "'";
  const int rc = std::system(cmd.c_str());
  return {WIFEXITED(rc) ? WEXITSTATUS(rc) : 128 + WTERMSIG(rc), slurp(err)};
}

std::string replace_all(std::string s, const std::string& from, const std::string& to) {
  for (std::size_t p = s.find(from); p != std::string::npos; p = s.find(from, p + to.size()))
    s.replace(p, from.size(), to);
  return s;
}

std::string trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t");
  const auto e = s.find_last_not_of(" \t\r");
  return b == std::string::npos ? "" : s.substr(b, e - b + 1);
}

// ---------------------------------------------------------------------------------------------
// The bad-input corpus: one parameterised test per line of cases.txt.

struct Case {
  std::string name, needle, args;
  int code = 2;
};

std::vector<Case> load_cases() {
  std::vector<Case> out;
  std::ifstream in(kCorpus + "/cases.txt");
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::vector<std::string> f;
    std::size_t pos = 0;
    for (int i = 0; i < 3; ++i) {
      const auto bar = line.find(" | ", pos);
      if (bar == std::string::npos) break;
      f.push_back(trim(line.substr(pos, bar - pos)));
      pos = bar + 3;
    }
    f.push_back(trim(line.substr(pos)));
    if (f.size() != 4) continue;  // BadInputs.ManifestIsWellFormed reports it
    out.push_back({f[0], f[2], f[3], std::atoi(f[1].c_str())});
  }
  return out;
}

// Short test names in ctest (gtest would otherwise print the struct's bytes).
void PrintTo(const Case& c, std::ostream* os) { *os << c.name; }

class BadInput : public ::testing::TestWithParam<Case> {};

TEST_P(BadInput, ExitsWithOneMessageNamingTheCulprit) {
  const Case& c = GetParam();
  const fs::path t = scratch("case_" + c.name);
  const std::string args = replace_all(replace_all(c.args, "@D", kCorpus), "@T", t.string());
  const std::string needle = replace_all(c.needle, "@D", kCorpus);
  const Result r = xbarsim(args, t, 60);
  EXPECT_NE(r.code, 124) << "timed out (a hang): xbarsim " << args;
  EXPECT_EQ(r.code, c.code) << "xbarsim " << args << "\n" << r.err;
  EXPECT_NE(r.err.find(needle), std::string::npos)
      << "the message should contain '" << needle << "': " << r.err;
  for (const char* bad : {"internal error", "Sanitizer", "runtime error", "terminate called"})
    EXPECT_EQ(r.err.find(bad), std::string::npos) << r.err;
  // One message: our own error line, plus CLI11's "Run with --help" hint for syntax errors.
  int lines = 0;
  for (char ch : r.err) lines += ch == '\n';
  EXPECT_LE(lines, 2) << r.err;
  // A rejected run writes no results: no summary, or one that says it failed (bad data found
  // once the run had started).
  if (fs::exists(t / "run" / "summary.json")) {
    EXPECT_NE(slurp(t / "run" / "summary.json").find("\"status\": \"failed\""), std::string::npos)
        << "a rejected run wrote results";
  }
  fs::remove_all(t);
}

INSTANTIATE_TEST_SUITE_P(Corpus, BadInput, ::testing::ValuesIn(load_cases()),
                         [](const ::testing::TestParamInfo<Case>& i) { return i.param.name; });

TEST(BadInputs, CorpusHasAtLeastSixtyCases) { EXPECT_GE(load_cases().size(), 60u); }

// ---------------------------------------------------------------------------------------------
// Numerical failure: exit 3, the step named, files kept, status diverged.

void expect_diverged(const fs::path& dir, const std::string& cfg, const std::string& extra,
                     const std::string& quantity) {
  const Result r = xbarsim("run " + cfg + " --out " + (dir / "run").string() + " --quiet " + extra,
                           dir);
  EXPECT_EQ(r.code, 3) << r.err;
  EXPECT_NE(r.err.find("step"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(quantity), std::string::npos) << r.err;
  EXPECT_TRUE(fs::exists(dir / "run" / "config.yaml"));
  const std::string summary = slurp(dir / "run" / "summary.json");
  EXPECT_NE(summary.find("\"status\": \"diverged\""), std::string::npos) << summary;
  EXPECT_NE(summary.find("\"error\""), std::string::npos) << summary;
}

const char* kTrainDigital =
    "task: {type: student_teacher, inputs: 4, outputs: 2, teacher_hidden: [4], samples: 32, "
    "test_samples: 16}\n"
    "network: {hidden: [6], activation: relu, analog: false}\n"
    "rule: {type: backprop}\n"
    "experiment: {type: train, steps: 40, batch: 4, lr: 0.05, eval_every: 1}\n";

TEST(NumericalFailure, TrainWithAHugeLearningRateStopsWithExitThree) {
  const fs::path d = scratch("nan_train");
  expect_diverged(d, write(d, "train.yaml", kTrainDigital), "--set experiment.lr=1e200", "not finite");
  // Step 0 was evaluated before the first update: the metrics recorded so far are kept.
  const std::string metrics = slurp(d / "run" / "metrics.csv");
  EXPECT_GE(std::count(metrics.begin(), metrics.end(), '\n'), 2) << metrics;
  fs::remove_all(d);
}

TEST(NumericalFailure, StationaryDivergesWithExitThree) {
  const fs::path d = scratch("nan_stationary");
  const std::string cfg = write(
      d, "stationary.yaml",
      "task: {type: quadratic, hessian_diag: [1.0, 0.1], w_star: [0, 0], w0: [0, 0]}\n"
      "rule: {type: synthetic, b: 0.0, sigma: 1.0, f_of_n: N, noise: gaussian, sampling: iid}\n"
      "experiment: {type: stationary, dt: 5.0, steps: 2000, burn_in: 100}\n");
  expect_diverged(d, cfg, "", "|w|");
  fs::remove_all(d);
}

TEST(NumericalFailure, LevySdeDivergesWithExitThree) {
  const fs::path d = scratch("nan_levy");
  const std::string cfg =
      write(d, "levy.yaml",
            "experiment: {type: levy_sde, potential: quartic, eta: 1.0, w0: 10.0, clip: 0, "
            "steps: 1000, burn_in: 0, chains: 1}\n");
  expect_diverged(d, cfg, "", "w is not finite");
  fs::remove_all(d);
}

// ---------------------------------------------------------------------------------------------
// Determinism across thread counts and modes.

const char* kTrainAnalog =
    "device: {preset: gokmen_vlasov}\n"
    "task: {type: student_teacher, inputs: 8, outputs: 2, teacher_hidden: [8], samples: 64, "
    "test_samples: 32}\n"
    "network: {hidden: [16], activation: relu, analog: true}\n"
    "rule: {type: backprop}\n"
    "scheme: {type: stochastic_pulse}\n"
    "experiment: {type: train, steps: 30, batch: 4, lr: 0.05, eval_every: 10}\n";

std::string sha_of(const fs::path& run) {
  const std::string s = slurp(run / "summary.json");
  const auto k = s.find("\"weights_sha256\": \"");
  return k == std::string::npos ? "" : s.substr(k + 19, 64);
}

TEST(Determinism, ThreadCountDoesNotChangeTheOutputs) {
  const fs::path d = scratch("threads");
  const std::string cfg = write(d, "train.yaml", kTrainAnalog);
  for (const std::string t : {"1", "2"})
    ASSERT_EQ(xbarsim("run " + cfg + " --quiet --threads " + t + " --out " + (d / t).string(), d).code, 0);
  EXPECT_FALSE(sha_of(d / "1").empty());
  EXPECT_EQ(sha_of(d / "1"), sha_of(d / "2"));
  EXPECT_EQ(slurp(d / "1" / "metrics.csv"), slurp(d / "2" / "metrics.csv"));
  // A digital network too (its kernels are plain Eigen, also split in fixed row blocks).
  const std::string dig = write(d, "digital.yaml", kTrainDigital);
  for (const std::string t : {"1", "2"})
    ASSERT_EQ(xbarsim("run " + dig + " --quiet --threads " + t + " --out " + (d / ("d" + t)).string(), d).code, 0);
  EXPECT_EQ(sha_of(d / "d1"), sha_of(d / "d2"));
  EXPECT_EQ(slurp(d / "d1" / "metrics.csv"), slurp(d / "d2" / "metrics.csv"));
  fs::remove_all(d);
}

TEST(Determinism, TimedModeEqualsFunctionalMode) {
  const fs::path d = scratch("timed");
  const std::string cfg = write(d, "train.yaml", kTrainAnalog);
  ASSERT_EQ(xbarsim("run " + cfg + " --quiet --out " + (d / "f").string(), d).code, 0);
  const Result timed = xbarsim("run " + cfg + " --quiet --mode timed --out " + (d / "t").string(), d);
  ASSERT_EQ(timed.code, 0) << timed.err;
  // It really ran timed: the SystemC shell adds the cycle count to the summary.
  EXPECT_NE(slurp(d / "t" / "summary.json").find("\"cycles\""), std::string::npos);
  EXPECT_FALSE(sha_of(d / "f").empty());
  EXPECT_EQ(sha_of(d / "f"), sha_of(d / "t"));
  EXPECT_EQ(slurp(d / "f" / "metrics.csv"), slurp(d / "t" / "metrics.csv"));
  fs::remove_all(d);
}

// ---------------------------------------------------------------------------------------------
// Existing folders.

TEST(Folders, ExistingSweepFolderIsKeptWithoutForce) {
  const fs::path d = scratch("sweep_keep");
  const std::string sweep = kCorpus + "/sweeps/ok_sweep.yaml";
  fs::create_directories(d / "out");
  write(d / "out", "mine.txt", "keep me");
  const Result r = xbarsim("sweep " + sweep + " --quiet --out " + (d / "out").string(), d);
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("--force"), std::string::npos) << r.err;
  EXPECT_EQ(slurp(d / "out" / "mine.txt"), "keep me");
  EXPECT_FALSE(fs::exists(d / "out" / "runs"));
  // --force starts over in sweep folders only; this one is the user's.
  EXPECT_EQ(xbarsim("sweep " + sweep + " --quiet --force --out " + (d / "out").string(), d).code, 2);
  EXPECT_EQ(slurp(d / "out" / "mine.txt"), "keep me");
  ASSERT_EQ(xbarsim("sweep " + sweep + " --quiet --out " + (d / "sw").string(), d).code, 0);
  ASSERT_EQ(xbarsim("sweep " + sweep + " --quiet --force --out " + (d / "sw").string(), d).code, 0);
  EXPECT_TRUE(fs::exists(d / "sw" / "results.csv"));
  // No temporary files of the atomic writers are left behind.
  for (const auto& e : fs::recursive_directory_iterator(d / "sw"))
    EXPECT_EQ(e.path().filename().string().find(".tmp."), std::string::npos) << e.path();
  fs::remove_all(d);
}

}  // namespace
