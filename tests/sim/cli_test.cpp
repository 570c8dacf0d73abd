// SPDX-License-Identifier: MIT
// End-to-end checks of the command line through the real binary ($XBARSIM).
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace {

namespace fs = std::filesystem;

struct Result {
  int code;
  std::string err;
};

Result xbarsim(const std::string& args) {
  const char* exe = std::getenv("XBARSIM");
  const std::string err_file = fs::temp_directory_path() / ("xb_cli_err_" + std::to_string(::getpid()));
  const std::string cmd = std::string(exe ? exe : "xbarsim") + " " + args + " >/dev/null 2>" + err_file;
  const int rc = std::system(cmd.c_str());
  std::ifstream in(err_file);
  std::stringstream ss;
  ss << in.rdbuf();
  return {WEXITSTATUS(rc), ss.str()};
}

std::string write_config(const std::string& name, const std::string& text) {
  const fs::path dir = fs::temp_directory_path() / ("xb_cli_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const std::string path = (dir / name).string();
  std::ofstream(path) << text;
  return path;
}

std::string read(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

const char* kResponse =
    "device: {type: ideal, dw_min: 0.01}\n"
    "experiment: {type: device_response, rows: 3, cols: 2, n_up: 5, n_down: 5}\n";

TEST(Cli, RunWritesTheRunFolder) {
  const std::string cfg = write_config("ok.yaml", kResponse);
  const fs::path out = fs::path(cfg).parent_path() / "run_ok";
  fs::remove_all(out);
  ASSERT_EQ(xbarsim("run " + cfg + " --out " + out.string()).code, 0);
  EXPECT_TRUE(fs::exists(out / "config.yaml"));
  EXPECT_NE(read((out / "metrics.csv").string()).find("cycle,pulse,direction,w_mean"),
            std::string::npos);
  EXPECT_NE(read((out / "summary.json").string()).find("\"status\": \"ok\""), std::string::npos);
  // An existing run folder is kept unless --force.
  EXPECT_EQ(xbarsim("run " + cfg + " --out " + out.string()).code, 2);
  EXPECT_EQ(xbarsim("run " + cfg + " --out " + out.string() + " --force").code, 0);
  // The effective config reproduces the run.
  const fs::path again = fs::path(cfg).parent_path() / "run_again";
  fs::remove_all(again);
  ASSERT_EQ(xbarsim("run " + (out / "config.yaml").string() + " --out " + again.string()).code, 0);
  EXPECT_EQ(read((out / "metrics.csv").string()), read((again / "metrics.csv").string()));
}

TEST(Cli, BadInputExitsTwoWithTheKey) {
  const std::string cfg = write_config("bad.yaml", kResponse);
  Result r = xbarsim("validate " + cfg + " --set device.dw_min=-1");
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("device.dw_min = -1: must be > 0"), std::string::npos) << r.err;
  r = xbarsim("validate " + cfg + " --set experiment.rowz=3");
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("did you mean 'experiment.rows'"), std::string::npos) << r.err;
  EXPECT_EQ(xbarsim("validate /nonexistent.yaml").code, 2);
  EXPECT_EQ(xbarsim("run").code, 2);
  EXPECT_EQ(xbarsim("frobnicate").code, 2);
  EXPECT_EQ(xbarsim("list gadgets").code, 2);
  EXPECT_EQ(xbarsim("describe no_such_model").code, 2);
  const std::string file_out = write_config("a_file", "x");
  EXPECT_EQ(xbarsim("run " + cfg + " --out " + file_out).code, 2);
}

const char* kAnalogTrain =
    "task: {type: student_teacher, inputs: 6, outputs: 2, teacher_hidden: [6], samples: 32, "
    "test_samples: 32}\n"
    "network: {hidden: [4], analog: true}\n"
    "scheme: {type: stochastic_pulse}\n"
    "experiment: {type: train, steps: 20, batch: 4, lr: 0.05, eval_every: 5}\n";

// A preset given by --set replaces the file's device (whose keys may belong to another law);
// other --set device keys still apply on top of it.
TEST(Cli, SetPresetSwitchesTheDevice) {
  const std::string cfg = write_config(
      "sb.yaml", std::string(kAnalogTrain) + "device: {type: soft_bounds, dw_min: 0.01, "
                                             "reset: 0.1}\n");
  const fs::path out = fs::path(cfg).parent_path() / "run_switch";
  ASSERT_EQ(xbarsim("run " + cfg + " --force --out " + out.string() +
                    " --set device.preset=ecram --set device.dw_min=0.004")
                .code,
            0);
  const std::string eff = read((out / "config.yaml").string());
  EXPECT_NE(eff.find("linear_step"), std::string::npos) << eff;
  EXPECT_NE(eff.find("dw_min: 0.004"), std::string::npos) << eff;
  EXPECT_EQ(eff.find("soft_bounds"), std::string::npos) << eff;
}

// Evaluation reads are billed in their own ledger, not as the chip's training energy.
TEST(Cli, EvaluationHasItsOwnLedger) {
  const std::string cfg =
      write_config("ledger.yaml", std::string(kAnalogTrain) + "device: {type: ideal}\n");
  const fs::path out = fs::path(cfg).parent_path() / "run_ledger";
  ASSERT_EQ(xbarsim("run " + cfg + " --force --out " + out.string()).code, 0);
  const auto s = nlohmann::json::parse(read((out / "summary.json").string()));
  // Training: 20 steps of 4 samples, forward and backward through layer 1 (layer 0's backward
  // is not needed); evaluation: 5 rows of 32 train + 32 test samples, forward only.
  EXPECT_EQ(s["ledger"]["tiles"]["layer0"]["forward_passes"].get<int>(), 80);
  EXPECT_EQ(s["ledger_eval"]["tiles"]["layer0"]["forward_passes"].get<int>(), 5 * 64);
  EXPECT_EQ(s["ledger_eval"]["pulses"].get<int>(), 0);
  EXPECT_GT(s["eval_energy_J"].get<double>(), 0.0);
}

// A run killed after its last checkpoint (status still "running", metrics.csv ahead of the
// checkpoint) continues with --resume to the same bytes as the uninterrupted run: metrics,
// weights and hash. Analog with a stateful scheme and refreshed pairs, drift on PCM, a random
// vector cell, layers split over several tiles, and
// digital rules (one with a call-counted state, with hardware-aware weight noise).
TEST(Cli, ResumeContinuesAKilledRunToTheSameResult) {
  struct Setup {
    std::string sections, experiment_keys;
  };
  const std::vector<Setup> setups = {
      {"network: {hidden: [5], analog: true}\nscheme: {type: mixed_precision}\n"
       "cell: {type: one_sided, refresh_every: 3}\ndevice: {preset: reram_sb, diffusion: 0.001, "
       "read_noise_std: 0.01}\n",
       ""},
      {"network: {hidden: [5], analog: true}\nscheme: {type: stochastic_pulse}\n"
       "cell: {type: vector, n_devices: 3, update_policy: single_random}\n"
       "device: {preset: reram_es}\n",
       ""},
      {"network: {hidden: [5], analog: true}\nscheme: {type: dynamic_transfer, "
       "in_chop_prob: 0.3, n_reads_per_transfer: 2}\ndevice: {preset: reram_sb}\n",
       ""},
      {"network: {hidden: [5], analog: true}\nscheme: {type: stochastic_pulse}\n"
       "device: {preset: pcm}\n",
       ", seconds_per_batch: 30"},
      // Layers split over arrays of 2 x 4 (layer0 on 3 x 2 tiles), pairs refreshed per tile.
      {"network: {hidden: [5], analog: true}\nscheme: {type: stochastic_pulse}\n"
       "tile: {max_rows: 2, max_cols: 4}\ncell: {type: differential, refresh_every: 3}\n"
       "device: {preset: reram_sb}\n",
       ""},
      {"network: {hidden: [5], analog: false}\nrule: {type: feedback_alignment}\n", ""},
      {"network: {hidden: [5], analog: false}\nrule: {type: synthetic, sigma: 0.5, "
       "b_steps: [0.1, 0.2, 0.3]}\n",
       ", weight_noise: 0.05"}};
  int k = 0;
  for (const Setup& setup : setups) {
    const std::string cfg_text =
        "task: {type: student_teacher, inputs: 6, outputs: 2, teacher_hidden: [6], samples: 40, "
        "test_samples: 40}\n"
        "experiment: {type: train, steps: 47, batch: 4, lr: 0.05, eval_every: 5, "
        "checkpoint_every: 20" + setup.experiment_keys + "}\n" + setup.sections;
    const std::string cfg = write_config("resume" + std::to_string(k) + ".yaml", cfg_text);
    const fs::path whole = fs::path(cfg).parent_path() / ("whole" + std::to_string(k));
    const fs::path killed = fs::path(cfg).parent_path() / ("killed" + std::to_string(k));
    ASSERT_EQ(xbarsim("run " + cfg + " --force --out " + whole.string()).code, 0) << setup.sections;
    ASSERT_EQ(xbarsim("run " + cfg + " --force --out " + killed.string()).code, 0) << setup.sections;
    // As SIGKILL after step 47 would leave it: the checkpoint of step 40, rows to step 45.
    std::string summary = read((killed / "summary.json").string());
    summary.replace(summary.find("\"status\": \"ok\""), 14, "\"status\": \"running\"");
    std::ofstream((killed / "summary.json").string()) << summary;
    std::string metrics = read((killed / "metrics.csv").string());
    metrics.erase(metrics.find("\n47,") + 1);
    std::ofstream((killed / "metrics.csv").string()) << metrics;
    fs::remove(killed / "weights.npz");
    EXPECT_EQ(xbarsim("run --resume " + killed.string() + " --set seed=2").code, 2);
    ASSERT_EQ(xbarsim("run --resume " + killed.string()).code, 0) << setup.sections;
    for (const char* f : {"metrics.csv", "weights.npz"})
      EXPECT_EQ(read((whole / f).string()), read((killed / f).string())) << setup.sections << f;
    const auto a = nlohmann::json::parse(read((whole / "summary.json").string()));
    const auto b = nlohmann::json::parse(read((killed / "summary.json").string()));
    EXPECT_EQ(a["weights_sha256"], b["weights_sha256"]) << setup.sections;
    EXPECT_EQ(b["resumed_at_step"], 40) << setup.sections;
    // A finished run is not resumed.
    EXPECT_EQ(xbarsim("run --resume " + killed.string()).code, 2);
    ++k;
  }
}

TEST(Cli, ListAndDescribe) {
  EXPECT_EQ(xbarsim("list devices").code, 0);
  EXPECT_EQ(xbarsim("list experiments").code, 0);
  EXPECT_EQ(xbarsim("describe device_response").code, 0);
  EXPECT_EQ(xbarsim("--version").code, 0);
}

}  // namespace

namespace {

// `bench` with filters: only what was asked is measured, the per-law keys are written for every
// law asked, and an unknown law is bad input (exit 2) before any measuring.
TEST(Cli, BenchFiltersAndPerLawKeys) {
  const std::string json = write_config("bench.json", "");
  ASSERT_EQ(xbarsim("bench --quick --size 512 --threads 1 --law soft_bounds ideal --json " + json)
                .code,
            0);
  const std::string j = read(json);
  for (const char* key : {"\"update_by_law\"", "\"soft_bounds\"", "\"ideal\"",
                          "\"ns_per_coincidence\"", "\"ratio_vs_rng_floor\"",
                          "\"forward_batch_ratio_vs_gemm\"", "\"build\""})
    EXPECT_NE(j.find(key), std::string::npos) << key;
  EXPECT_EQ(j.find("\"exp_step\""), std::string::npos);  // not asked for
  EXPECT_EQ(j.find("\"thread_speedup_update\""), std::string::npos);  // needs 2048², 1 and 2
  const Result bad = xbarsim("bench --quick --law no_such_law");
  EXPECT_EQ(bad.code, 2);
  EXPECT_NE(bad.err.find("no_such_law"), std::string::npos) << bad.err;
  EXPECT_NE(bad.err.find("soft_bounds"), std::string::npos) << bad.err;  // lists the laws
}

// Every scheme preset (sim/presets/schemes) runs a short training and lays its keys into the
// effective config under its own type; keys of the user's section go over the preset's, and
// an unknown preset is refused with the names it could have been.
TEST(Cli, SchemePresetsRunWithTheirSettings) {
  for (const std::string name : {"tiki_taka", "ttv2", "chopped_ttv2", "agad"}) {
    const std::string cfg = write_config(
        "scheme_" + name + ".yaml",
        "task: {type: student_teacher, inputs: 6, outputs: 2, teacher_hidden: [6], samples: 40, "
        "test_samples: 40}\nnetwork: {hidden: [5], analog: true}\ndevice: {preset: reram_sb}\n"
        "scheme: {preset: " + name + ", fast_lr: 0.25}\n"
        "experiment: {type: train, steps: 20, batch: 4, lr: 0.05}\n");
    const fs::path out = fs::path(cfg).parent_path() / ("scheme_" + name);
    ASSERT_EQ(xbarsim("run " + cfg + " --force --quiet --out " + out.string()).code, 0) << name;
    const std::string eff = read((out / "config.yaml").string());
    const std::string section = eff.substr(eff.find("\nscheme:"));
    EXPECT_NE(section.find("preset: " + name), std::string::npos) << section;
    EXPECT_NE(section.find("transfer"), std::string::npos) << section;  // the preset's type
    EXPECT_NE(section.find("fast_lr: 0.25"), std::string::npos) << section;
  }
  const std::string bad = write_config(
      "scheme_bad.yaml", "network: {hidden: [5], analog: true}\nscheme: {preset: ttv3}\n");
  const Result r = xbarsim("run " + bad + " --force --quiet --out " +
                           (fs::path(bad).parent_path() / "bad").string());
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("ttv2"), std::string::npos) << r.err;
}

}  // namespace
