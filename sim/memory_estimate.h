// SPDX-License-Identifier: MIT
// What a run will allocate, estimated from its configuration before anything is allocated, so
// that a size too large for the machine is refused with exit 2 naming the keys that drive it,
// not met with std::bad_alloc (or the kernel's OOM killer) minutes into the run. Experiments
// add their large terms (data, weights and device states, per-sample buffers, recorded
// samples); small fixed costs are left out. Terms are upper estimates, a factor of two or so
// above what is measured on the quick-start sizes (tests/sim/memory_estimate_test.cpp).
#pragma once

#include <string>
#include <vector>

namespace xb::sim {

class MemoryEstimate {
 public:
  struct Term {
    std::string what;  // "training and test data"
    std::string keys;  // the config keys that drive it: "task.samples, task.inputs"
    double bytes = 0;
  };

  void add(std::string what, std::string keys, double bytes);
  double total() const;
  const std::vector<Term>& terms() const { return terms_; }

  // Throws ConfigError when total() exceeds `limit` bytes, naming the largest terms, their keys
  // and the limit. `source` names the config.
  void check(double limit, const std::string& source) const;

 private:
  std::vector<Term> terms_;
};

// The memory a run may use: `max_memory` bytes when > 0 (--max-memory), else the memory
// available now (MemAvailable of /proc/meminfo; unlimited when unreadable).
double memory_limit(double max_memory);

// "1.5 GiB", "12 MiB", "3 KiB", "100 B".
std::string format_bytes(double bytes);

}  // namespace xb::sim
