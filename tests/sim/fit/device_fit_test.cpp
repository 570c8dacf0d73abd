// SPDX-License-Identifier: MIT
// `xbarsim fit`: a piecewise_step device fitted to a pulse trace. The traces are generated here
// from the soft-bounds law written out by hand (Δ_up = dw(1 − w/w_max), Δ_down = dw(1 − w/w_min),
// aihwkit SoftBounds), independently of the device code; the emitted section is then built by
// the device registry and its one-pulse steps are compared with that law.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <streambuf>
#include <sys/wait.h>
#include <unistd.h>

#include "hw_models/core/config.h"
#include "hw_models/core/errors.h"
#include "hw_models/core/rng.h"
#include "hw_models/devices/device_model.h"
#include "sim/fit/device_fit.h"

namespace xb::sim {
namespace {

constexpr double kDw = 0.01, kLo = -1.0, kHi = 1.0;

double law(double w, int dir) { return dir > 0 ? kDw * (1 - w / kHi) : -kDw * (1 - w / kLo); }

// Full up and down sweeps (the first starts at 0); `noise` multiplies every step by 1 + noise·ξ.
PulseTrace soft_bounds_trace(int cycles, double noise) {
  PulseTrace t{{0}, {0.0}};
  Rng rng(7, Stream::cycle);
  for (int c = 0; c < cycles; ++c)
    for (int dir : {1, -1})
      for (int k = 0; k < 500; ++k) {
        double xi;
        rng.fill_normal(&xi, 1);
        t.pulse.push_back(dir);
        t.w.push_back(t.w.back() + law(t.w.back(), dir) * (1 + noise * xi));
      }
  return t;
}

std::string write(const std::string& name, const std::string& text) {
  const auto path = std::filesystem::temp_directory_path() / (name + std::to_string(::getpid()));
  std::ofstream(path, std::ios::binary) << text;
  return path.string();
}

// A device held by its bounds, noise-free unless `noise` > 0: the soft-bounds law towards ±b
// (Δ_up = dw(1 − w/b), Δ_down = −dw(1 + w/b)), w clipped to [−clip, clip]. Up from 0, then down,
// then up again, 5000 pulses each: 0.99⁵⁰⁰⁰ ≈ 1e-22, so w runs into the bound and stays there
// (with clip = b at the fixed point of the rounded law, with clip < b at the clip itself).
PulseTrace saturating_trace(double b, double clip, double noise) {
  PulseTrace t{{0}, {0.0}};
  Rng rng(11, Stream::cycle);
  for (int dir : {1, -1, 1})
    for (int k = 0; k < 5000; ++k) {
      double xi;
      rng.fill_normal(&xi, 1);
      const double w = t.w.back();
      const double step = dir > 0 ? kDw * (1 - w / b) : -kDw * (1 + w / b);
      t.pulse.push_back(dir);
      t.w.push_back(std::clamp(w + step * (1 + noise * xi), -clip, clip));
    }
  return t;
}

// The fitted nodes times dw_min against the generating law at the node positions.
double worst_node_error(const DeviceFit& fit, double b) {
  double worst = 0;
  const auto m = fit.piecewise_up.size();
  for (std::size_t j = 0; j < m; ++j) {
    const double w = fit.w_min + (fit.w_max - fit.w_min) * double(j) / double(m - 1);
    worst = std::max(worst, std::abs(fit.dw_min * fit.piecewise_up[j] - kDw * (1 - w / b)));
    worst = std::max(worst, std::abs(fit.dw_min * fit.piecewise_down[j] - kDw * (1 + w / b)));
  }
  return worst;
}

TEST(DeviceFit, RecoversTheSoftBoundsLawThroughTheDeviceRegistry) {
  const DeviceFit fit = fit_piecewise_step(soft_bounds_trace(2, 0.0), 33, "trace");
  EXPECT_NEAR(fit.dw_min, kDw, 0.01 * kDw);
  EXPECT_LT(fit.dw_min_std, 1e-3);
  EXPECT_EQ(fit.n_up, 1000);
  // The emitted section, built by the registry: one pulse at w0 against the law.
  Config cfg = Config::from_string(device_fit_yaml(fit, "trace"), "fit.yaml");
  auto dev = hw::device_registry().create(Scope(cfg, "device"));
  double worst = 0;
  for (double w0 : {-0.8, -0.4, 0.0, 0.3, 0.7}) {
    for (int dir : {1, -1}) {
      Rng fab(1, Stream::fabrication);
      hw::DeviceState s = dev->fabricate(1, 1, w0, fab);
      Array before, after;
      dev->read_weights(s, before);
      dev->apply_pulses(s, PulseArray::Constant(1, 1, dir), Rng(1, Stream::cycle), 0, 0);
      dev->read_weights(s, after);
      const double err = std::abs(after(0, 0) - before(0, 0) - law(before(0, 0), dir));
      EXPECT_LE(err, 0.02 * kDw) << "w0 " << w0 << " dir " << dir;
      worst = std::max(worst, err);
    }
  }
  std::printf("fit: worst one-pulse step error %.2f %% of dw_min\n", 100 * worst / kDw);
}

// A noise-free device driven into its bounds: the zero and cut-short steps there are
// saturation, not noise (before they were set aside these traces gave dw_min_std 0.77 and 1.12,
// and a worst node error of 0.2 dw with the clip). The nodes must follow the generating law to
// 0.1 % of dw.
TEST(DeviceFit, SaturatedPulsesAreNeitherNoiseNorStepFactor) {
  for (const double b : {1.0, 1.25}) {
    const PulseTrace trace = saturating_trace(b, 1.0, 0.0);
    const DeviceFit fit = fit_piecewise_step(trace, 17, "trace");
    std::printf("fit (law bound %.2f, clip 1): dw_min_std %.2e, worst node error %.2e dw, "
                "%d saturated\n", b, fit.dw_min_std, worst_node_error(fit, b) / kDw,
                fit.n_saturated);
    EXPECT_LT(fit.dw_min_std, 0.01) << "b " << b;
    EXPECT_LT(worst_node_error(fit, b), 1e-3 * kDw) << "b " << b;
    EXPECT_GT(fit.n_saturated, 1000) << "b " << b;
    EXPECT_EQ(fit.n_up + fit.n_down + fit.n_saturated, 15000) << "b " << b;
  }
}

// With noise the saturated pulses must not pass for noise either (before: 1.11 for 10 %). The
// estimate is somewhat low: next to the clip only the pulses whose noise did not carry them to
// the bound are kept (0.090 here, 0.090–0.096 over eight seeds), hence the 15 % tolerance.
TEST(DeviceFit, NoiseOfAClippedDeviceIgnoresTheClip) {
  const DeviceFit fit = fit_piecewise_step(saturating_trace(1.25, 1.0, 0.1), 17, "trace");
  std::printf("fit (clipped, 10 %% noise): dw_min_std %.4f, %d saturated\n", fit.dw_min_std,
              fit.n_saturated);
  EXPECT_NEAR(fit.dw_min_std, 0.1, 0.015);
  EXPECT_NEAR(fit.dw_min, kDw, 0.05 * kDw);
}

// Multiplicative c2c noise of 30 %: recovered as dw_min_std within 10 %, the nodes still within
// a few per cent (10 cycles = 10⁴ pulses; a node averages ~300 steps, s.e. 0.3/√300 ≈ 2 %).
TEST(DeviceFit, EstimatesCycleToCycleNoise) {
  const DeviceFit fit = fit_piecewise_step(soft_bounds_trace(10, 0.3), 17, "trace");
  std::printf("fit: dw_min_std %.4f (0.3), dw_min %.6f (0.01)\n", fit.dw_min_std, fit.dw_min);
  EXPECT_NEAR(fit.dw_min_std, 0.3, 0.03);
  EXPECT_NEAR(fit.dw_min, kDw, 0.05 * kDw);
}

TEST(DeviceFit, ReadsBothTraceFormatsAndRejectsBadOnes) {
  const PulseTrace a = read_pulse_trace(write("xb_fit_a", "w,pulse\n0.0,0\n0.01,+1\n0.0, -1\n"));
  EXPECT_EQ(a.pulse, (std::vector<int>{0, 1, -1}));
  const PulseTrace b =
      read_pulse_trace(write("xb_fit_b", "cycle,pulse,direction,w_mean\n0,1,up,0.01\n0,2,up,0.02\n"
                                         "0,1,down,0.01\n"));
  EXPECT_EQ(b.pulse, (std::vector<int>{0, 1, -1}));  // the first row is the starting point
  EXPECT_DOUBLE_EQ(b.w[2], 0.01);
  auto message = [](const std::string& text) {
    try {
      read_pulse_trace(write("xb_fit_bad", text));
    } catch (const ConfigError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(message("x,y\n1,2\n").find(":1: the header must name"), std::string::npos);
  EXPECT_NE(message("pulse,w\n2,0.1\n").find(":2: pulse = '2'"), std::string::npos);
  EXPECT_NE(message("pulse,w\n1,nan\n").find(":2: w = 'nan'"), std::string::npos);
  EXPECT_NE(message("pulse,w\n1\n").find(":2: has 1 cells"), std::string::npos);
  EXPECT_THROW(fit_piecewise_step(a, 4, "a"), ConfigError);  // one pulse per direction
  EXPECT_THROW(fit_piecewise_step(PulseTrace{}, 4, "empty"), ConfigError);  // fuzz_trace finding
  EXPECT_THROW(read_pulse_trace("/nonexistent/trace.csv"), ConfigError);
  for (const char* name : {"xb_fit_a", "xb_fit_b", "xb_fit_bad"})
    std::filesystem::remove(std::filesystem::temp_directory_path() /
                            (name + std::to_string(::getpid())));
}

std::string read_error(const std::string& text) {
  try {
    read_pulse_trace(write("xb_fit_strict", text));
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "no error";
}

// Each malformed trace is refused with the line (and the byte column where it helps) and rule.
TEST(DeviceFit, RefusesMalformedCsv) {
  const std::pair<std::string, std::string> cases[] = {
      {"pulse,w\n0,0\n1,0.01,5\n", ":3: has 3 cells, the header has 2"},
      {"pulse,w\n0,0\n1,0.01,\n", ":3: has 3 cells, the header has 2"},
      {"pulse,w,note\n0,0\n", ":2: has 2 cells, the header has 3"},
      {std::string("pulse,w\n0,0\n1,0.0\0" "1\n", 20), ":3:6: NUL byte"},
      {"pulse,w\n0,0\x1b[0m\n", ":2:4: control character 0x1b"},
      {"pulse,w\r0,0\n", ":1:8: control character 0x0d"},
      {"pulse,w,w\n0,0,1\n", ":1: column 3 repeats the name 'w' of column 2"},
      {"pulse,,w\n0,0,1\n", ":1: column 2 has no name"},
      {"pulse,w,\n0,0,1\n", ":1: column 3 has no name"},
      {"pulse,w\n0,\"0.5\"\n", ":2:3: quoted fields are not supported"},
      {"\"pulse\",w\n0,0\n", ":1:1: quoted fields are not supported"},
      {"pulse,w\n0,0\n\n1,0.01\n", ":3: empty line inside the data"},
      {"pulse,w\n0,0x10\n", ":2: w = '0x10' (column 2): must be a finite decimal number"},
      {"pulse,w\n0,inf\n", ":2: w = 'inf' (column 2)"},
      {"w,pulse\n-nan,0\n", ":2: w = '-nan' (column 1)"},
      {"pulse,w\n0,\n", ":2: w = '' (column 2)"},
      {"pulse,w\n0,1e999\n", ":2: w = '1e999'"},
      {"pulse,w\n0.5,0\n", ":2: pulse = '0.5' (column 1): must be +1, -1 or 0"},
      {"pulse,w\nup,0\n", ":2: pulse = 'up'"},
      {"cycle,direction,w_mean\n0,sideways,0\n", ":2: direction = 'sideways' (column 2)"},
      {"pulse,w\n0," + std::string(70000, '1') + "\n", ":2: line of 70002 bytes"},
      {"pulse,w\n0," + std::string(1000, '1') + "\n", ":2: w = '" + std::string(40, '1') + "...'"},
      {"", "empty file"},
  };
  for (const auto& [text, expected] : cases)
    EXPECT_NE(read_error(text).find(expected), std::string::npos)
        << "trace " << text.substr(0, 60) << "\ngave: " << read_error(text);
  // A runaway cell is quoted in part only.
  EXPECT_LT(read_error("pulse,w\n0," + std::string(1000, '1') + "\n").size(), 200u);
  std::string dir_error = "no error";
  try {
    read_pulse_trace(std::filesystem::temp_directory_path().string());
  } catch (const ConfigError& e) {
    dir_error = e.what();
  }
  EXPECT_NE(dir_error.find("is a directory"), std::string::npos) << dir_error;
  std::filesystem::remove(std::filesystem::temp_directory_path() /
                          ("xb_fit_strict" + std::to_string(::getpid())));
}

// What the strict reader still accepts: a byte order mark, "\r\n", tabs and spaces around
// cells, extra well-formed columns and empty lines at the end.
TEST(DeviceFit, AcceptsWellFormedVariants) {
  const PulseTrace t = read_pulse_trace(write(
      "xb_fit_ok", "\xEF\xBB\xBFpulse, w ,note\r\n0,\t0 ,a\r\n+1,1e-2,\r\n-1,-0.5,c\r\n\r\n\n"));
  EXPECT_EQ(t.pulse, (std::vector<int>{0, 1, -1}));
  EXPECT_EQ(t.w, (std::vector<double>{0.0, 0.01, -0.5}));
  std::filesystem::remove(std::filesystem::temp_directory_path() /
                          ("xb_fit_ok" + std::to_string(::getpid())));
}

std::string fit_error(const PulseTrace& t) {
  try {
    fit_piecewise_step(t, 4, "t.csv");
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "no error";
}

TEST(DeviceFit, RefusesTracesWithNothingToFit) {
  // Pulses, but w constant (every step zero).
  EXPECT_NE(fit_error({{0, 1, 1, -1, -1}, {0.5, 0.5, 0.5, 0.5, 0.5}}).find("t.csv: w never"),
            std::string::npos);
  // w moves, but no row has a pulse.
  EXPECT_NE(fit_error({{0, 0, 0}, {0.0, 0.1, 0.2}}).find("(has 0 up, 0 down, 0 saturated)"),
            std::string::npos);
  // Every pulse at a reached bound.
  EXPECT_NE(fit_error({{0, 1, 1, 1, -1, -1, -1}, {0, 1, 1, 1, 0, 0, 0}})
                .find("(has 0 up, 0 down, 6 saturated)"),
            std::string::npos)
      << fit_error({{0, 1, 1, 1, -1, -1, -1}, {0, 1, 1, 1, 0, 0, 0}});
}

std::string trace_file(const std::string& name) {
  const PulseTrace t = soft_bounds_trace(1, 0.0);
  std::ostringstream csv;
  csv.precision(17);
  csv << "pulse,w\n";
  for (std::size_t k = 0; k < t.w.size(); ++k) csv << t.pulse[k] << "," << t.w[k] << "\n";
  return write(name, csv.str());
}

// A stream that refuses every byte, as standard output on a full disk.
struct FullDisk : std::streambuf {
  int overflow(int) override { return traits_type::eof(); }
  std::streamsize xsputn(const char*, std::streamsize) override { return 0; }
};

TEST(DeviceFit, FailedOutputIsAnError) {
  const std::string trace = trace_file("xb_fit_out");
  FullDisk full;
  std::streambuf* saved = std::cout.rdbuf(&full);
  std::string message = "no error";
  try {
    command_fit({trace, "", 8});
  } catch (const ConfigError& e) {
    message = e.what();
  }
  std::cout.rdbuf(saved);
  std::cout.clear();
  EXPECT_NE(message.find("standard output: write failed"), std::string::npos) << message;
  // --out into a folder that does not exist.
  const std::string missing = trace + "_missing/device.yaml";
  message = "no error";
  try {
    command_fit({trace, missing, 8});
  } catch (const ConfigError& e) {
    message = e.what();
  }
  EXPECT_NE(message.find(missing + ": cannot write"), std::string::npos) << message;
  // The real binary writing into /dev/full exits 2 and names standard output.
  const char* exe = std::getenv("XBARSIM");
  if (exe && std::filesystem::exists("/dev/full")) {
    const std::string err = trace + ".err";
    const std::string cmd = std::string(exe) + " fit " + trace + " >/dev/full 2>" + err;
    const int rc = std::system(cmd.c_str());
    ASSERT_TRUE(WIFEXITED(rc));
    EXPECT_EQ(WEXITSTATUS(rc), 2);
    std::ifstream in(err);
    std::stringstream text;
    text << in.rdbuf();
    EXPECT_NE(text.str().find("standard output: write failed"), std::string::npos) << text.str();
    std::filesystem::remove(err);
  }
  std::filesystem::remove(trace);
}

}  // namespace
}  // namespace xb::sim
