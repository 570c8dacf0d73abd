// SPDX-License-Identifier: MIT
// `xbarsim bench [--json FILE]`: tile read and update speed against plain Eigen and an RNG
// floor, measured in one run (docs/performance.md). Timings are wall-clock means over
// repeated calls; ratios compare figures of the same run, so they travel between machines
// better than absolute times.
#pragma once

#include <string>

namespace xb::sim {

struct BenchArgs {
  std::string json;   // write the figures here ("" = stdout table only)
  bool quick = false;  // 128² and 512² only, shorter timing windows
};

int command_bench(const BenchArgs& args);

}  // namespace xb::sim
