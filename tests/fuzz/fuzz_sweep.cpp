// SPDX-License-Identifier: MIT
// libFuzzer target: a sweep file through parse_sweep (keys, axes, zip groups, seeds, the grid).
// Bad input must end in ConfigError; a valid file must give a consistent grid.
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <string>

#include "hw_models/core/errors.h"
#include "sim/sweep/sweep.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    const xb::sim::SweepSpec s = xb::sim::parse_sweep(text, "fuzz.yaml", "");
    for (std::size_t p = 0; p < s.points.size(); ++p) {
      if (s.points[p].size() != s.axis_keys.size()) std::abort();
      (void)s.overrides(p);
      for (std::size_t k = 0; k < s.seeds.size(); ++k) (void)s.folder(p, k);
    }
  } catch (const xb::ConfigError&) {
  } catch (const std::exception& e) {
    std::cerr << "not a ConfigError: " << e.what() << "\n";
    std::abort();
  }
  return 0;
}
