// SPDX-License-Identifier: MIT
#include "sim/bench/timing.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <vector>

#include "hw_models/core/parallel.h"

namespace xb::sim {

namespace {

double now_s() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// Calls of f that fill about `window` seconds, found by doubling after one warm-up call
// (allocations, caches).
long calls_per_window(const std::function<void()>& f, double window) {
  f();
  for (long calls = 1;; calls *= 2) {
    const double t0 = now_s();
    for (long k = 0; k < calls; ++k) f();
    const double el = now_s() - t0;
    if (el >= 0.25 * window || calls >= (1L << 30))
      return std::max(1L, long(std::ceil(double(calls) * window / std::max(el, 1e-9))));
  }
}

double time_window(const std::function<void()>& f, long calls) {
  const double t0 = now_s();
  for (long k = 0; k < calls; ++k) f();
  return (now_s() - t0) / double(calls);
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

constexpr int kPairs = 5;

}  // namespace

double seconds_per_call(const std::function<void()>& f, double window) {
  const long calls = calls_per_window(f, window);
  std::vector<double> t;
  for (int k = 0; k < 3; ++k) t.push_back(time_window(f, calls));
  return median(t);
}

PairedTimes paired_seconds(const std::function<void()>& a, const std::function<void()>& b,
                           double window) {
  const long ca = calls_per_window(a, window), cb = calls_per_window(b, window);
  std::vector<double> ta, tb, r;
  for (int k = 0; k < kPairs; ++k) {
    ta.push_back(time_window(a, ca));
    tb.push_back(time_window(b, cb));
    r.push_back(ta.back() / tb.back());
  }
  return {median(ta), median(tb), median(r)};
}

PairedTimes thread_speedup(const std::function<void()>& f, int threads_a, int threads_b,
                           double window) {
  set_threads(threads_a);
  const long calls = calls_per_window(f, window);
  std::vector<double> ta, tb, r;
  for (int k = 0; k < kPairs; ++k) {
    set_threads(threads_a);
    ta.push_back(time_window(f, calls));
    set_threads(threads_b);
    f();  // the new pool's first job wakes its workers
    tb.push_back(time_window(f, calls));
    r.push_back(ta.back() / tb.back());
  }
  set_threads(threads_a);
  return {median(ta), median(tb), median(r)};
}

}  // namespace xb::sim
