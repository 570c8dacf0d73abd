// SPDX-License-Identifier: MIT
#include "hw_models/timing/instrument.h"

#include <deque>

namespace xb::timing {

namespace {

class FunctionalInstrument : public Instrument {
 public:
  FunctionalInstrument(const TimingParams& t, const EnergyParams& e, const AreaParams& a)
      : Instrument(e, t, a), t_(t) {}
  hw::TimingHook* attach(hw::Tile& tile, const std::string& name, int group) override {
    hooks_.emplace_back(ledger_, ledger_.add(tile, name, group), cycles_);
    return &hooks_.back();
  }
  void rule_phase(const std::string& label) override { ledger_.set_eval(label == "eval"); }
  void loss(double) override {}
  double device_seconds() const override { return double(cycles_) * t_.clock; }
  uint64_t device_cycles() const override { return cycles_; }
  void set_device_cycles(uint64_t cycles) override { cycles_ = cycles; }
  void execute(const std::function<void()>& body, const std::string&) override {
    hw::InstrumentScope scope(this);
    body();
  }
  void write_summary(nlohmann::ordered_json& s) const override { ledger_.write_summary(s); }

 private:
  TimingParams t_;
  uint64_t cycles_ = 0;  // outside the eval phase
  std::deque<CountingHook> hooks_;
};

TimedInstrumentFactory& timed_factory() {
  static TimedInstrumentFactory f = nullptr;
  return f;
}

}  // namespace

void set_timed_instrument_factory(TimedInstrumentFactory f) { timed_factory() = f; }

std::unique_ptr<Instrument> Instrument::create(Config& cfg, const std::string& mode, bool trace) {
  const auto t = read_params<TimingParams>(Scope(cfg, "timing"));
  const auto e = read_params<EnergyParams>(Scope(cfg, "energy"));
  const auto a = read_params<AreaParams>(Scope(cfg, "area"));
  const auto tr = read_params<TraceParams>(Scope(cfg, "trace"));
  if (mode == "timed") {
    if (!timed_factory())
      throw ConfigError("--mode timed: this program was built without the SystemC shell");
    return timed_factory()(t, e, a, tr, trace);
  }
  if (trace) throw ConfigError("--trace needs --mode timed (the trace is drawn over simulated time)");
  return std::make_unique<FunctionalInstrument>(t, e, a);
}

}  // namespace xb::timing
