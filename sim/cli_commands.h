// SPDX-License-Identifier: MIT
// The `run`, `validate` and `plot` commands, kept out of main.cpp so that tests can call them.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "hw_models/core/config.h"
#include "sim/experiment.h"

namespace xb::timing {
class Instrument;  // hw_models/timing/instrument.h: pulse/energy ledger and timed mode
}

namespace xb::sim {

struct RunArgs {
  std::string config;
  std::string out;
  std::vector<std::string> sets;
  std::string seed;  // empty: the config's seed
  std::string mode = "functional";
  bool trace = false;
  bool quiet = false;
  bool force = false;
  int threads = 1;
  std::string max_memory;  // --max-memory: bytes with an SI prefix ("4G"); empty: available
  std::string resume;      // --resume DIR: continue the run in DIR from its checkpoint
};

// A config read, overridden, validated and turned into a ready experiment.
struct PreparedRun {
  Config cfg;
  RunOptions options;
  std::unique_ptr<Experiment> experiment;
  bool plot = false;
  std::shared_ptr<timing::Instrument> instrument;  // wraps the run: ledger, timed mode, trace
  double memory_estimate = 0;  // bytes the experiment was estimated to allocate
};

PreparedRun prepare_run(const RunArgs& args);
// The same for a config already read (args.config is then unused): the Python module's dicts.
PreparedRun prepare_run(Config cfg, const RunArgs& args);

// Runs into `out_dir` and returns the exit code (0; 3 on numerical failure; 128 + the signal
// when SIGINT, SIGTERM or SIGHUP stopped it, sim/interrupt.h).
int execute_run(PreparedRun& run, const std::string& out_dir, bool force);

int command_run(const RunArgs& args);
int command_validate(const RunArgs& args);
int command_plot(const std::string& dir);
// Writes DIR/report.html: a static page of a sweep or run folder (sim/report.py).
int command_report(const std::string& dir);

// A data file of the project ("sim/presets/devices", "sim/plot.py"): the source tree's copy in a
// build, or the installed one (<datadir>/xbarsim/presets/devices) once the source tree is gone.
std::string data_path(const std::string& source_relative);

}  // namespace xb::sim
