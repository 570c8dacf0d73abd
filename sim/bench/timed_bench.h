// SPDX-License-Identifier: MIT
// The timed-mode overhead figure of `xbarsim bench`: the default training run
// (sim/configs/quickstart.yaml) executed in functional and in timed mode, CPU time of each.
// The SystemC shell adds two coroutine switches and one timed wait per tile operation, so the
// ratio stays near 1 whenever the kernels do real work (issue target: <= 1.3).
#pragma once

#include <string>

namespace xb::sim {

struct TimedBench {
  double functional_s = 0;  // best CPU seconds of a functional run
  double timed_s = 0;       // best CPU seconds of a timed run
  double ratio() const { return functional_s > 0 ? timed_s / functional_s : 0.0; }
};

// Runs `config` (default: the quickstart training run) `repeats` times in each mode, alternating,
// into temporary run folders, and keeps the best time of each mode.
TimedBench bench_timed_vs_functional(const std::string& config = "", int repeats = 3);

}  // namespace xb::sim
