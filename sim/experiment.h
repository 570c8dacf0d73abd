// SPDX-License-Identifier: MIT
// An experiment (`experiment.type`) is built from its own section, then prepare() reads every
// other section it needs (device, task, network, rule, scheme, ...), so that unknown keys are
// caught before anything runs; run() fills the run folder's metrics and summary.
#pragma once

#include <cstdint>
#include <string>

#include "hw_models/core/config.h"
#include "hw_models/core/registry.h"
#include "sim/memory_estimate.h"
#include "sim/run_folder.h"

namespace xb::sim {

struct RunOptions {
  uint64_t seed = 1;
  int threads = 1;
  std::string mode = "functional";  // functional | timed
  bool trace = false;
  bool quiet = false;
  std::string resume;  // a run folder whose checkpoint.npz this run continues (run --resume)
};

class Experiment {
 public:
  virtual ~Experiment() = default;
  virtual void prepare(Config& cfg, const RunOptions& options) = 0;
  // What run() will allocate, from the configuration prepare() read; prepare_run checks it
  // against the memory limit before anything is allocated (sim/memory_estimate.h).
  virtual void estimate_memory(MemoryEstimate& m) const = 0;
  // Records metrics and summary keys into `out`; throws NumericalError on NaN/Inf.
  virtual void run(RunFolder& out) = 0;
  // Whether run() can continue from options.resume (run --resume).
  virtual bool resumable() const { return false; }
};

using ExperimentRegistry = Registry<Experiment>;
const ExperimentRegistry& experiment_registry();

// Where the preset YAML files live (XBARSIM_PRESETS overrides the built-in path).
std::string preset_dir();
std::vector<std::string> preset_names();
// The update-scheme presets (`scheme: {preset: NAME}`): sim/presets/schemes.
std::string scheme_preset_dir();
std::vector<std::string> scheme_preset_names();

// Expands `device: {preset: NAME}` and builds the device model of section `section`.
}  // namespace xb::sim
