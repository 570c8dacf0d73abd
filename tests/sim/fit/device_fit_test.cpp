// SPDX-License-Identifier: MIT
// `xbarsim fit`: a piecewise_step device fitted to a pulse trace. The traces are generated here
// from the soft-bounds law written out by hand (Δ_up = dw(1 − w/w_max), Δ_down = dw(1 − w/w_min),
// aihwkit SoftBounds), independently of the device code; the emitted section is then built by
// the device registry and its one-pulse steps are compared with that law.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
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
  std::ofstream(path) << text;
  return path.string();
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
      dev->apply_pulses(s, PulseArray::Constant(1, 1, dir), Rng(1, Stream::cycle), 0, 0, 1);
      dev->read_weights(s, after);
      const double err = std::abs(after(0, 0) - before(0, 0) - law(before(0, 0), dir));
      EXPECT_LE(err, 0.02 * kDw) << "w0 " << w0 << " dir " << dir;
      worst = std::max(worst, err);
    }
  }
  std::printf("fit: worst one-pulse step error %.2f %% of dw_min\n", 100 * worst / kDw);
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

}  // namespace
}  // namespace xb::sim
