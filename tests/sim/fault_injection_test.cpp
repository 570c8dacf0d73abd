// SPDX-License-Identifier: MIT
// Fault injection through the real binary ($XBARSIM): signals during a run and a sweep, write
// failures (/dev/full, a closed pipe, `ulimit -f`), --force on folders that must survive, two
// processes on one folder, memory limits (`--max-memory`, `ulimit -v`). Nothing already written
// may be lost and no case may end in exit 1 or a signal (docs/cli.md, docs/robustness.md).
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "tests/sim/cli_harness.h"

namespace {

namespace fs = std::filesystem;
using xb::test::Result;
using xb::test::scratch;
using xb::test::slurp;
using xb::test::write;

std::string exe() {
  const char* e = std::getenv("XBARSIM");
  return e ? e : "xbarsim";
}

// Runs a bash command line in `cwd`, with `@X` standing for the binary; stderr is captured.
Result shell(const std::string& line, const fs::path& cwd) {
  std::string cmd = line;
  for (std::size_t at; (at = cmd.find("@X")) != std::string::npos;) cmd.replace(at, 2, exe());
  const fs::path script = cwd / "cmd.sh", err = cwd / "stderr.txt";
  std::ofstream(script) << cmd << "\n";
  const std::string full =
      "cd '" + cwd.string() + "' && bash '" + script.string() + "' 2>'" + err.string() + "'";
  const int rc = std::system(full.c_str());
  return {WIFEXITED(rc) ? WEXITSTATUS(rc) : 128 + WTERMSIG(rc), slurp(err)};
}

// A digital training run long enough to be interrupted (tens of seconds).
const char* kLongTrain =
    "task: {type: student_teacher, inputs: 16, outputs: 4, teacher_hidden: [16], samples: 512, "
    "test_samples: 256}\n"
    "network: {hidden: [32], activation: relu, analog: false}\n"
    "rule: {type: backprop}\n"
    "experiment: {type: train, steps: 100000000, batch: 8, lr: 0.01, eval_every: 50}\n";

const char* kShortTrain =
    "task: {type: student_teacher, inputs: 4, outputs: 2, teacher_hidden: [4], samples: 32, "
    "test_samples: 16}\n"
    "network: {hidden: [6], activation: relu, analog: true}\n"
    "device: {preset: gokmen_vlasov}\nscheme: {type: stochastic_pulse}\n"
    "rule: {type: backprop}\n"
    "experiment: {type: train, steps: 40, batch: 4, lr: 0.05, eval_every: 10}\n";

// Starts `xbarsim args...` as a child with stderr to a file in `dir` and stdout to `out_fd`
// (a file in `dir` when -1).
pid_t spawn(const fs::path& dir, const std::vector<std::string>& args, int out_fd = -1) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    if (out_fd >= 0) {
      ::dup2(out_fd, 1);
    } else {
      std::freopen((dir / "child_stdout.txt").c_str(), "w", stdout);
    }
    std::freopen((dir / "child_stderr.txt").c_str(), "w", stderr);
    std::vector<char*> argv;
    const std::string e = exe();
    argv.push_back(const_cast<char*>(e.c_str()));
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    ::execv(e.c_str(), argv.data());
    ::_exit(127);
  }
  return pid;
}

// Waits until `path` exists and holds `text` (at most 60 s).
bool wait_for(const fs::path& path, const std::string& text) {
  for (int i = 0; i < 6000; ++i) {
    if (fs::exists(path) && slurp(path).find(text) != std::string::npos) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

int exit_code(pid_t pid) {
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// ---------------------------------------------------------------------------------------------
// Signals.

class RunSignal : public ::testing::TestWithParam<int> {};

TEST_P(RunSignal, StopsAtAStepKeepsTheMetricsAndSaysInterrupted) {
  const int sig = GetParam();
  const fs::path d = scratch("sig" + std::to_string(sig));
  const std::string cfg = write(d, "long.yaml", kLongTrain);
  const fs::path run = d / "run";
  const pid_t pid = spawn(d, {"run", cfg, "--out", run.string(), "--quiet"});
  // The progress save every 2 s writes metrics.csv; wait for a few rows first.
  ASSERT_TRUE(wait_for(run / "metrics.csv", "\n100,")) << slurp(d / "child_stderr.txt");
  ::kill(pid, sig);
  EXPECT_EQ(exit_code(pid), 128 + sig);
  const std::string summary = slurp(run / "summary.json");
  EXPECT_NE(summary.find("\"status\": \"interrupted\""), std::string::npos) << summary;
  EXPECT_NE(summary.find("\"interrupted_by\": \"SIG"), std::string::npos) << summary;
  EXPECT_TRUE(fs::exists(run / "config.yaml"));
  EXPECT_NE(slurp(run / "metrics.csv").find("\n100,"), std::string::npos);
  EXPECT_NE(slurp(d / "child_stderr.txt").find("interrupted by"), std::string::npos);
  fs::remove_all(d);
}

INSTANTIATE_TEST_SUITE_P(Signals, RunSignal, ::testing::Values(SIGINT, SIGTERM, SIGHUP));

TEST(Signals, SigkillLosesAtMostTheLastSeconds) {
  const fs::path d = scratch("sigkill");
  const std::string cfg = write(d, "long.yaml", kLongTrain);
  const fs::path run = d / "run";
  const pid_t pid = spawn(d, {"run", cfg, "--out", run.string(), "--quiet"});
  ASSERT_TRUE(wait_for(run / "metrics.csv", "\n100,"));
  ::kill(pid, SIGKILL);
  EXPECT_EQ(exit_code(pid), 128 + SIGKILL);
  // What the last progress save wrote stays: the rows so far and a summary saying the run
  // did not end.
  EXPECT_NE(slurp(run / "metrics.csv").find("\n100,"), std::string::npos);
  EXPECT_NE(slurp(run / "summary.json").find("\"status\": \"running\""), std::string::npos);
  fs::remove_all(d);
}

TEST(Signals, SweepStopsAndResumesToTheUninterruptedTables) {
  const fs::path d = scratch("sweep_sig");
  write(d, "base.yaml",
        "experiment: {type: device_response, rows: 32, cols: 32, n_up: 400, n_down: 400}\n"
        "device: {type: soft_bounds, dw_min: 0.01}\n");
  const std::string sweep = write(d, "sweep.yaml",
                                  "base: base.yaml\naxes:\n  device.dw_min: [0.01, 0.02, 0.03, "
                                  "0.04, 0.05, 0.06]\nseeds: [1, 2]\n");
  ASSERT_EQ(shell("@X sweep sweep.yaml --quiet --out whole", d).code, 0);
  const pid_t pid = spawn(d, {"sweep", sweep, "--out", (d / "cut").string(), "--quiet"});
  ASSERT_TRUE(wait_for(d / "cut" / "sweep.yaml", "axes"));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  ::kill(pid, SIGTERM);
  const int code = exit_code(pid);
  EXPECT_TRUE(code == 143 || code == 0) << code;  // 0: the sweep was quicker than the signal
  if (code == 143) {
    EXPECT_FALSE(fs::exists(d / "cut" / "results.csv"));
    EXPECT_NE(slurp(d / "child_stderr.txt").find("--resume"), std::string::npos);
  }
  ASSERT_EQ(shell("@X sweep sweep.yaml --quiet --out cut --resume", d).code, 0);
  EXPECT_EQ(slurp(d / "cut" / "results.csv"), slurp(d / "whole" / "results.csv"));
  fs::remove_all(d);
}

// ---------------------------------------------------------------------------------------------
// Write failures: never exit 0 with the data lost.

TEST(WriteFailure, StandardOutputToAFullDeviceIsExitTwo) {
  const fs::path d = scratch("devfull");
  const std::string cfg = write(d, "short.yaml", kShortTrain);
  for (const std::string cmd :
       {"@X validate short.yaml", "@X list devices", "@X describe soft_bounds", "@X --help",
        "@X run short.yaml --out r"}) {
    const Result r = shell(cmd + " > /dev/full", d);
    EXPECT_EQ(r.code, 2) << cmd << ": " << r.err;
    EXPECT_NE(r.err.find("standard output"), std::string::npos) << cmd << ": " << r.err;
  }
  fs::remove_all(d);
}

TEST(WriteFailure, AClosedPipeIsExitTwo) {
  const fs::path d = scratch("pipe");
  // A pipe whose reading end is closed before the binary writes: every write gets EPIPE
  // (SIGPIPE is ignored, so it is reported, not fatal).
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  ::close(fds[0]);
  const pid_t pid = spawn(d, {"describe", "soft_bounds"}, fds[1]);
  ::close(fds[1]);
  EXPECT_EQ(exit_code(pid), 2);
  EXPECT_NE(slurp(d / "child_stderr.txt").find("standard output"), std::string::npos);
  fs::remove_all(d);
}

TEST(WriteFailure, FileSizeLimitStopsATraceWithExitTwoAndKeepsThePart) {
  const fs::path d = scratch("ulimit_f");
  const std::string cfg = write(d, "short.yaml", kShortTrain);
  // 20 blocks of 512 bytes: config.yaml and the summaries fit, the VCD trace does not.
  const Result r = shell("ulimit -f 20; @X run short.yaml --out r --quiet --mode timed --trace "
                         "--set trace.signals=[phase,pulses_up,pulses_down,g_mean,cells]",
                         d);
  EXPECT_EQ(r.code, 2) << r.err;
  EXPECT_NE(r.err.find("trace.vcd.part"), std::string::npos) << r.err;
  EXPECT_TRUE(fs::exists(d / "r" / "trace.vcd.part"));
  EXPECT_FALSE(fs::exists(d / "r" / "trace.vcd"));
  fs::remove_all(d);
}

TEST(WriteFailure, FileSizeLimitOnMetricsIsExitTwo) {
  const fs::path d = scratch("ulimit_metrics");
  const std::string cfg = write(d, "short.yaml", kShortTrain);
  // 100 blocks of 512 bytes: config.yaml fits, 4000 metrics rows do not.
  const Result r = shell("ulimit -f 100; @X run short.yaml --out r --quiet --set "
                         "experiment.steps=4000 --set experiment.eval_every=1",
                         d);
  EXPECT_EQ(r.code, 2) << r.err;
  EXPECT_NE(r.err.find("write failed"), std::string::npos) << r.err;
  EXPECT_TRUE(fs::exists(d / "r" / "config.yaml"));
  fs::remove_all(d);
}

// ---------------------------------------------------------------------------------------------
// --force and folders that must survive.

TEST(Force, ARunThatFailsEarlyLeavesThePreviousRunAsItWas) {
  const fs::path d = scratch("force_early");
  const std::string cfg = write(d, "short.yaml", kShortTrain);
  ASSERT_EQ(shell("@X run short.yaml --out r --quiet --mode timed --trace", d).code, 0);
  const std::string summary = slurp(d / "r" / "summary.json");
  const std::string config = slurp(d / "r" / "config.yaml");
  // Fails after the new folder exists: its config.yaml cannot be written (file-size limit).
  const Result failed = shell("ulimit -f 1; @X run short.yaml --out r --quiet --force", d);
  EXPECT_EQ(failed.code, 2) << failed.err;
  EXPECT_EQ(slurp(d / "r" / "summary.json"), summary);
  EXPECT_EQ(slurp(d / "r" / "config.yaml"), config);
  EXPECT_TRUE(fs::exists(d / "r" / "trace.vcd"));
  // A forced run that ends replaces the folder whole: no trace of the previous run is left.
  ASSERT_EQ(shell("@X run short.yaml --out r --quiet --force", d).code, 0);
  EXPECT_FALSE(fs::exists(d / "r" / "trace.vcd"));
  for (const auto& e : fs::directory_iterator(d))
    EXPECT_NE(e.path().filename().string().rfind("r.", 0), 0u) << "left behind: " << e.path();
  fs::remove_all(d);
}

TEST(Force, RefusesFoldersThatAreNotRunOrSweepFolders) {
  const fs::path d = scratch("force_foreign");
  write(d, "short.yaml", kShortTrain);
  fs::create_directories(d / "mine" / "runs");
  write(d / "mine", "notes.txt", "keep");
  write(d / "mine" / "runs", "data.txt", "keep");
  const Result run = shell("@X run short.yaml --out mine --quiet --force", d);
  EXPECT_EQ(run.code, 2);
  EXPECT_NE(run.err.find("run folders only"), std::string::npos) << run.err;
  write(d, "base.yaml", "experiment: {type: device_response}\ndevice: {type: soft_bounds}\n");
  write(d, "sweep.yaml", "base: base.yaml\naxes: {device.dw_min: [0.01, 0.02]}\nseeds: [1]\n");
  const Result sweep = shell("@X sweep sweep.yaml --out mine --quiet --force", d);
  EXPECT_EQ(sweep.code, 2);
  EXPECT_NE(sweep.err.find("sweep folders only"), std::string::npos) << sweep.err;
  EXPECT_EQ(slurp(d / "mine" / "notes.txt"), "keep");
  EXPECT_EQ(slurp(d / "mine" / "runs" / "data.txt"), "keep");
  fs::remove_all(d);
}

// ---------------------------------------------------------------------------------------------
// Two processes on one folder.

TEST(Concurrency, ASecondRunOrSweepOnALockedFolderIsRefused) {
  const fs::path d = scratch("lock");
  const std::string cfg = write(d, "long.yaml", kLongTrain);
  const pid_t pid = spawn(d, {"run", cfg, "--out", (d / "r").string(), "--quiet"});
  ASSERT_TRUE(wait_for(d / "r" / "summary.json", "running"));
  const Result second = shell("@X run long.yaml --out r --quiet --force", d);
  EXPECT_EQ(second.code, 2);
  EXPECT_NE(second.err.find("locked"), std::string::npos) << second.err;
  ::kill(pid, SIGTERM);
  EXPECT_EQ(exit_code(pid), 143);

  write(d, "base.yaml",
        "experiment: {type: device_response, rows: 64, cols: 64, n_up: 1000, n_down: 1000}\n"
        "device: {type: soft_bounds, dw_min: 0.01}\n");
  const std::string sweep =
      write(d, "sweep.yaml", "base: base.yaml\naxes: {device.dw_min: [0.01, 0.02, 0.03]}\n"
                             "seeds: [1, 2]\n");
  const pid_t first = spawn(d, {"sweep", sweep, "--out", (d / "s").string(), "--quiet"});
  ASSERT_TRUE(wait_for(d / "s" / "sweep.yaml", "axes"));
  const Result resume = shell("@X sweep sweep.yaml --out s --quiet --resume", d);
  const int first_code = exit_code(first);
  EXPECT_EQ(first_code, 0);
  if (resume.code != 0) {  // refused while the first ran (else it started after it ended)
    EXPECT_EQ(resume.code, 2);
    EXPECT_NE(resume.err.find("locked"), std::string::npos) << resume.err;
  }
  EXPECT_TRUE(fs::exists(d / "s" / "results.csv"));
  fs::remove_all(d);
}

// ---------------------------------------------------------------------------------------------
// Memory.

TEST(Memory, SizesBeyondTheLimitAreRefusedBeforeAllocating) {
  const fs::path d = scratch("memory");
  write(d, "short.yaml", kShortTrain);
  const Result r = shell("@X validate short.yaml --max-memory 1k", d);
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("--max-memory"), std::string::npos) << r.err;
  // Under an address-space limit of 1 GiB, configs that need more are refused, not crashed.
  for (const std::string set :
       {"--set task.samples=10000000 --set task.inputs=100", "--set experiment.batch=4000000",
        "--set network.hidden=[8000,8000]"}) {
    const Result v = shell("ulimit -v 1048576; @X run short.yaml --out r --quiet --max-memory 900M " +
                               set,
                           d);
    EXPECT_EQ(v.code, 2) << set << ": " << v.err;
  }
  write(d, "levy.yaml", "experiment: {type: levy_sde, steps: 2000000000, chains: 1000}\n");
  const Result levy = shell("@X validate levy.yaml", d);
  EXPECT_EQ(levy.code, 2) << levy.err;
  EXPECT_NE(levy.err.find("experiment.steps"), std::string::npos) << levy.err;
  fs::remove_all(d);
}

TEST(Memory, TheEstimateBoundsTheMeasuredPeak) {
  const fs::path d = scratch("memory_peak");
  const std::string cfg = write(
      d, "mid.yaml",
      "task: {type: student_teacher, inputs: 256, outputs: 10, teacher_hidden: [64], samples: "
      "8000, test_samples: 2000}\n"
      "network: {hidden: [384, 128], activation: relu, analog: true}\n"
      "device: {preset: reram_sb}\nscheme: {type: stochastic_pulse}\n"
      "rule: {type: backprop}\nexperiment: {type: train, steps: 20, batch: 64, lr: 0.01}\n");
  const pid_t pid = spawn(d, {"run", cfg, "--out", (d / "r").string(), "--quiet"});
  int status = 0;
  struct rusage usage = {};
  ASSERT_EQ(::wait4(pid, &status, 0, &usage), pid);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << slurp(d / "child_stderr.txt");
  const double peak = double(usage.ru_maxrss) * 1024.0;
  const std::string s = slurp(d / "r" / "summary.json");
  const auto at = s.find("\"memory_estimate_bytes\": ");
  ASSERT_NE(at, std::string::npos);
  const double estimate = std::stod(s.substr(at + 25));
  // The program's code, libraries and thread stacks (~30 MiB) are not part of the estimate.
  std::cout << "measured peak " << peak / 1048576 << " MiB, estimate " << estimate / 1048576
            << " MiB\n";
  EXPECT_LE(peak, estimate + 64.0 * 1024 * 1024) << "peak " << peak << ", estimate " << estimate;
  EXPECT_LE(estimate, 8.0 * peak) << "estimate far above the measured peak " << peak;
  fs::remove_all(d);
}

}  // namespace
