// SPDX-License-Identifier: MIT
// Wall-clock timing for `xbarsim bench`. The clock is read only around windows of many calls
// (reading it per call costs more than a small read does). A ratio of two operations is taken
// window pair by window pair, A B A B ..., and the median of the pairs' ratios kept: on a
// shared virtual machine the speed drifts by tens of per cent within a minute, and two medians
// measured a minute apart carry that drift into their ratio, where paired windows cancel it.
#pragma once

#include <functional>

namespace xb::sim {

// Median wall-clock seconds per call of f over 3 windows of about `window` seconds.
double seconds_per_call(const std::function<void()>& f, double window);

struct PairedTimes {
  double a_s = 0, b_s = 0;  // median seconds per call of A and of B
  double ratio = 0;         // median over window pairs of A's time / B's time
};

// A and B in alternating windows (5 pairs of about `window` seconds each).
PairedTimes paired_seconds(const std::function<void()>& a, const std::function<void()>& b,
                           double window);

// One operation at `threads_b` threads against `threads_a`, in alternating windows (the pool
// is resized between them): ratio = time at threads_a / time at threads_b, i.e. the speed-up.
// Leaves the pool at threads_a.
PairedTimes thread_speedup(const std::function<void()>& f, int threads_a, int threads_b,
                           double window);

}  // namespace xb::sim
