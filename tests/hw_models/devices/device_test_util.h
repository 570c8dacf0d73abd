// SPDX-License-Identifier: MIT
// Helpers shared by the device tests: build a model from YAML text or a preset, and the
// moments of an array. Statistical tolerances are 5 standard errors of the estimator at the
// sample size used (a false failure is then a < 1e-6 event at the fixed seed's first draw).
#pragma once

#include <cmath>
#include <memory>
#include <string>

#include "hw_models/core/config.h"
#include "hw_models/devices/device_model.h"
#include "hw_models/devices/pulsed_device.h"
#include "sim/experiment.h"

namespace xb::hw::test {

inline std::unique_ptr<DeviceModel> make_device(const std::string& section_yaml) {
  Config c = Config::from_string("device: " + section_yaml, "test.yaml");
  return device_registry().create(Scope(c, "device"));
}

inline std::unique_ptr<DeviceModel> make_preset(const std::string& name,
                                                const std::string& extra = "") {
  Config c = Config::from_string("device: {preset: " + name + extra + "}", "test.yaml");
  c.expand_preset("device", sim::preset_dir(), sim::preset_names());
  return device_registry().create(Scope(c, "device"));
}

// The message of the ConfigError thrown while building `section_yaml`, or "" if none.
inline std::string config_error(const std::string& section_yaml) {
  try {
    make_device(section_yaml);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

struct Moments {
  double mean = 0, var = 0, kurtosis = 0;
};

template <class A>
Moments moments(const A& a) {
  const Eigen::ArrayXd x = Eigen::Map<const Eigen::Array<typename A::Scalar, Eigen::Dynamic, 1>>(
                               a.data(), a.size())
                               .template cast<double>();
  Moments m;
  m.mean = x.mean();
  const Eigen::ArrayXd d = x - m.mean;
  m.var = d.square().mean();
  m.kurtosis = d.square().square().mean() / (m.var * m.var);
  return m;
}

// 5 standard errors of a sample mean / sample variance of n draws with variance v.
inline double tol_mean(double v, double n) { return 5.0 * std::sqrt(v / n); }
inline double tol_var(double v, double n, double kurtosis = 3.0) {
  return 5.0 * v * std::sqrt((kurtosis - 1.0) / n);
}

// Every noise and spread off: the pure step law.
inline const char* kNoNoise =
    "dw_min_dtod: 0, dw_min_std: 0, up_down_dtod: 0, w_min_dtod: 0, w_max_dtod: 0";

}  // namespace xb::hw::test
