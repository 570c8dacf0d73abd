// SPDX-License-Identifier: MIT
// libFuzzer target: `xbarsim fit` on arbitrary bytes (sim/fit/device_fit.h). Every defect must be a
// ConfigError naming the file; a fit that succeeds must be finite, with nodes >= 0 and
// dw_min > 0.
#include <unistd.h>

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <string>

#include "hw_models/core/errors.h"
#include "sim/fit/device_fit.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  static const std::string path = "/tmp/xb_fuzz_trace_" + std::to_string(::getpid());
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  }
  try {
    const xb::sim::DeviceFit f =
        xb::sim::fit_piecewise_step(xb::sim::read_pulse_trace(path), 8, path);
    if (!(f.dw_min > 0) || !std::isfinite(f.dw_min) || !std::isfinite(f.dw_min_std)) std::abort();
    for (const auto* nodes : {&f.piecewise_up, &f.piecewise_down})
      for (double x : *nodes)
        if (!(x >= 0) || !std::isfinite(x)) std::abort();
    (void)xb::sim::device_fit_yaml(f, path);
  } catch (const xb::ConfigError& e) {
    if (std::string(e.what()).find(path) == std::string::npos) std::abort();  // names the file
  } catch (const std::exception& e) {
    std::cerr << "not a ConfigError: " << e.what() << "\n";
    std::abort();
  }
  return 0;
}
