// SPDX-License-Identifier: MIT
// The run instrument the CLI wraps every run in (no SystemC here, so sim/ can use it): in
// functional mode it only keeps the pulse/energy ledger (CountingHook per tile); in timed mode
// (hw_models/sc/timed_instrument.cpp) it runs the experiment inside the SystemC controller
// process, gives every tile its own SystemC process that runs the tile's kernels and waits the
// latency of latency_model.h, and optionally writes trace.vcd.
//
// Timed mode is available in programs that link the SystemC shell and call
// sc::enable_timed_mode() (hw_models/sc/timed_mode.h) once: the xbarsim binary and the SystemC
// tests. Everything else links no SystemC.
#pragma once

#include <nlohmann/json.hpp>

#include <functional>
#include <memory>
#include <string>

#include "hw_models/core/config.h"
#include "hw_models/crossbar/timing_hook.h"
#include "hw_models/timing/energy_ledger.h"
#include "hw_models/timing/timing_params.h"

namespace xb::timing {

class Instrument : public hw::RunInstrument {
 public:
  // Reads and validates `timing:`, `energy:`, `area:` and `trace:` (always, so a config means
  // the same in both modes). mode: functional | timed; trace: write <run_dir>/trace.vcd (timed only).
  static std::unique_ptr<Instrument> create(Config& cfg, const std::string& mode, bool trace);

  // Runs `body` (the experiment) with this instrument current; timed: inside the controller.
  // Exceptions of `body` propagate. run_dir receives trace.vcd.
  virtual void execute(const std::function<void()>& body, const std::string& run_dir) = 0;
  // Adds the ledger (both modes) and cycles, sim_time_ns, cycles_by_phase (timed) to `s`.
  virtual void write_summary(nlohmann::ordered_json& s) const = 0;

  const EnergyLedger& ledger() const { return ledger_; }

 protected:
  Instrument(const EnergyParams& e, const TimingParams& t, const AreaParams& a)
      : ledger_(e, t, a) {}
  EnergyLedger ledger_;
};

// How timed mode is built; set by sc::enable_timed_mode().
using TimedInstrumentFactory = std::unique_ptr<Instrument> (*)(const TimingParams&,
                                                                const EnergyParams&,
                                                                const AreaParams&,
                                                                const TraceParams&, bool trace);
void set_timed_instrument_factory(TimedInstrumentFactory f);

}  // namespace xb::timing
