// SPDX-License-Identifier: MIT
// `xbarsim bench`: tile read and update speed against plain Eigen and an RNG floor, for every
// device law, tile size and thread count, measured in one run (docs/performance.md). Times are
// wall-clock medians of windows, each timing many calls between two clock reads; ratios are
// taken from alternating windows of the two operations (timing.h), so they travel between
// machines, and across the drift of a shared one, better than absolute times.
#pragma once

#include <string>
#include <vector>

namespace xb::sim {

struct BenchArgs {
  std::string json;            // write the figures here ("" = stdout table only)
  bool quick = false;          // 128² and 512², shorter timing windows
  std::vector<int> sizes;      // tile sizes n (n × n); empty = 256, 512, 2048
  std::vector<int> threads;    // thread counts; empty = 1, 2
  std::vector<std::string> laws;  // device laws; empty = every registered law
};

int command_bench(const BenchArgs& args);

}  // namespace xb::sim
