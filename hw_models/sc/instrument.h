// SPDX-License-Identifier: MIT
// The run instrument the CLI wraps every run in (this header includes no SystemC, so sim/ can
// use it): in functional mode it only keeps the pulse/energy ledger (CountingHook per tile); in
// timed mode (timed_instrument.cpp) it runs the experiment inside the SystemC controller
// process, gives every tile its own SystemC process that runs the tile's kernels and advances
// simulated time by the latencies of `timing:`, and optionally writes trace.vcd.
#pragma once

#include <nlohmann/json.hpp>

#include <functional>
#include <memory>
#include <string>

#include "hw_models/core/config.h"
#include "hw_models/crossbar/timing_hook.h"
#include "hw_models/sc/energy_ledger.h"
#include "hw_models/sc/timing_params.h"

namespace xb::sc {

class Instrument : public hw::RunInstrument {
 public:
  // Reads and validates `timing:`, `energy:` and `trace:` (always, so a config means the same
  // in both modes). mode: functional | timed; trace: write <run_dir>/trace.vcd (timed only).
  static std::unique_ptr<Instrument> create(Config& cfg, const std::string& mode, bool trace);

  // Runs `body` (the experiment) with this instrument current; timed: inside the controller.
  // Exceptions of `body` propagate. run_dir receives trace.vcd.
  virtual void execute(const std::function<void()>& body, const std::string& run_dir) = 0;
  // Adds the ledger (both modes) and cycles, sim_time_ns, cycles_by_phase (timed) to `s`.
  virtual void write_summary(nlohmann::ordered_json& s) const = 0;

  const EnergyLedger& ledger() const { return ledger_; }

 protected:
  explicit Instrument(const EnergyParams& e) : ledger_(e) {}
  EnergyLedger ledger_;
};

// Timed-mode constructor (timed_instrument.cpp; the only place SystemC is touched).
std::unique_ptr<Instrument> make_timed_instrument(const TimingParams& t, const EnergyParams& e,
                                                  const TraceParams& tr, bool trace);

}  // namespace xb::sc
