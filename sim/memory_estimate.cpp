// SPDX-License-Identifier: MIT
#include "sim/memory_estimate.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <limits>
#include <sstream>

#include "hw_models/core/errors.h"

namespace xb::sim {

void MemoryEstimate::add(std::string what, std::string keys, double bytes) {
  // Sizes multiply config values: an overflow to inf (or a NaN) is simply "too large".
  if (!(bytes >= 0)) bytes = std::numeric_limits<double>::infinity();
  terms_.push_back({std::move(what), std::move(keys), bytes});
}

double MemoryEstimate::total() const {
  double t = 0;
  for (const auto& term : terms_) t += term.bytes;
  return t;
}

void MemoryEstimate::check(double limit, const std::string& source) const {
  const double t = total();
  if (t <= limit) return;
  std::vector<Term> sorted = terms_;
  std::sort(sorted.begin(), sorted.end(),
            [](const Term& a, const Term& b) { return a.bytes > b.bytes; });
  std::string msg = source + ": the run needs about " + format_bytes(t) + " of memory, more than " +
                    "the " + format_bytes(limit) + " available (--max-memory); the largest parts:";
  for (std::size_t i = 0; i < sorted.size() && i < 3 && sorted[i].bytes > 0; ++i)
    msg += "\n  " + format_bytes(sorted[i].bytes) + " " + sorted[i].what + " (" + sorted[i].keys +
           ")";
  msg += "\nreduce those keys";
  throw ConfigError(msg);
}

double memory_limit(double max_memory) {
  if (max_memory > 0) return max_memory;
  std::ifstream in("/proc/meminfo");
  std::string key;
  double kib = 0;
  std::string unit;
  while (in >> key >> kib >> unit)
    if (key == "MemAvailable:") return kib * 1024.0;
  return std::numeric_limits<double>::infinity();
}

std::string format_bytes(double bytes) {
  if (!std::isfinite(bytes)) return "more than 10^300 B";
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
  int u = 0;
  while (bytes >= 1024.0 && u < 6) {
    bytes /= 1024.0;
    ++u;
  }
  char buf[64];
  std::snprintf(buf, sizeof buf, u == 0 ? "%.0f %s" : "%.1f %s", bytes, units[u]);
  return buf;
}

}  // namespace xb::sim
