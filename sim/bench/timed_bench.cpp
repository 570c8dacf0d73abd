// SPDX-License-Identifier: MIT
#include "sim/bench/timed_bench.h"

#include <unistd.h>

#include <algorithm>
#include <ctime>
#include <filesystem>

#include "sim/cli_commands.h"

namespace xb::sim {

namespace {
// Process CPU time: every thread of the run counts (kernels may use the thread pool), and other
// processes on a shared machine do not.
double cpu_s() {
  timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return double(ts.tv_sec) + 1e-9 * double(ts.tv_nsec);
}
}  // namespace

TimedBench bench_timed_vs_functional(const std::string& config, int repeats) {
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / ("xb_timed_bench_" + std::to_string(::getpid()));
  TimedBench b;
  b.functional_s = b.timed_s = 1e300;
  for (int r = 0; r < std::max(1, repeats); ++r) {
    for (const char* mode : {"functional", "timed"}) {
      RunArgs a;
      a.config = config.empty() ? data_path("sim/configs/quickstart.yaml") : config;
      a.sets = {"plot=false"};
      a.mode = mode;
      a.quiet = true;
      PreparedRun run = prepare_run(a);
      const double t0 = cpu_s();
      execute_run(run, (dir / mode).string(), true);
      const double t = cpu_s() - t0;
      double& best = std::string(mode) == "timed" ? b.timed_s : b.functional_s;
      best = std::min(best, t);
    }
  }
  fs::remove_all(dir);
  return b;
}

}  // namespace xb::sim
