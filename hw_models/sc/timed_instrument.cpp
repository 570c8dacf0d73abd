// SPDX-License-Identifier: MIT
// Timed mode: the experiment runs unchanged inside the controller's SC_THREAD; each tile gets one
// SystemC process (never one per synapse: a process per synapse costs about two orders of
// magnitude more in context switches) that runs the tile's kernel when the tile is used and then
// waits the latency the latency model gives for the cost the kernel reported, like a TLM
// loosely-timed target that calls its memory model and adds the delay. The shell computes no
// latency itself: it only waits and traces. The controller hands a job to a tile process and
// waits for it, so kernels run in exactly the functional order on the same streams: weights are
// bit-identical.
//
// Tile processes are spawned dynamically (sc_spawn) when the experiment builds its tiles, since
// the network shape is only known inside the run and modules cannot be added after elaboration
// (E529). The controller module is elaborated once per process; each timed run is one
// sc_start() that returns when the run's processes starve, so a process can do several timed
// runs one after another (a mutex serialises them: the SystemC kernel is global).
//
// The controller is clocked in the sense that every latency is a whole number of `clock`
// cycles and tile operations start and end on clock edges; no sc_clock toggles between
// operations, which would cost an event per cycle for nothing.
#define SC_INCLUDE_DYNAMIC_PROCESSES  // sc_spawn for the per-tile processes
#include <systemc>

#include <cmath>
#include <cstdlib>
#include <deque>
#include <exception>
#include <map>
#include <mutex>
#include <sstream>

#include "hw_models/core/errors.h"
#include "hw_models/crossbar/tile.h"
#include "hw_models/sc/timed_mode.h"
#include "hw_models/sc/vcd_writer.h"
#include "hw_models/timing/energy_ledger.h"
#include "hw_models/timing/instrument.h"
#include "hw_models/timing/latency_model.h"

namespace xb::sc {

using timing::EnergyLedger;
using timing::EnergyParams;
using timing::Instrument;
using timing::TileCounts;
using timing::TimingParams;
using timing::TraceParams;

namespace {

constexpr std::size_t kControllerStack = 64u << 20;  // the whole training loop runs here
constexpr std::size_t kTileStack = 16u << 20;        // Eigen kernels and the thread pool

std::mutex& kernel_mutex() {
  static std::mutex m;
  return m;
}

class Controller : public sc_core::sc_module {
 public:
  SC_HAS_PROCESS(Controller);
  explicit Controller(const sc_core::sc_module_name& n) : sc_core::sc_module(n) {
    SC_THREAD(control);
    set_stack_size(kControllerStack);
  }
  static Controller& get() {
    static Controller* c = [] {
      setenv("SYSTEMC_DISABLE_COPYRIGHT_MESSAGE", "1", 0);  // keep stdout to our own output
      return new Controller("top");
    }();
    return *c;
  }
  void submit(std::function<void()> job) {
    job_ = std::move(job);
    pending_ = true;
    go_.notify(sc_core::SC_ZERO_TIME);
  }

 private:
  void control() {
    for (;;) {
      while (!pending_) wait(go_);
      pending_ = false;
      job_();  // catches its own exceptions
      job_ = nullptr;
    }
  }
  sc_core::sc_event go_;
  std::function<void()> job_;
  bool pending_ = false;
};

// Fixed codes of the common rule phases (the trace's rule_phase); other labels get 9, 10, ...
const std::vector<std::string>& known_rule_phases() {
  static const std::vector<std::string> k = {"",     "estimate", "forward", "backward", "free",
                                             "nudged", "perturb", "update",  "eval"};
  return k;
}

class TimedInstrument;

// One tile's process: runs the kernels handed over by run() and waits their latency.
class TileShell : public hw::TimingHook {
 public:
  TileShell(TimedInstrument& ins, TileCounts& counts, const hw::Tile& tile, std::string name)
      : ins_(ins), counts_(counts), tile_(&tile), name_(std::move(name)) {}
  void spawn();
  void finish() {
    exit_ = true;
    start_.notify();
  }
  void run(const hw::Tile& tile, hw::TileOp op, const std::function<hw::OpCost()>& kernel) override {
    tile_ = &tile;
    op_ = op;
    kernel_ = &kernel;
    error_ = nullptr;
    while (!ready_) sc_core::wait(sc_core::SC_ZERO_TIME);  // a just-spawned process starts first
    start_.notify();  // immediate: the tile process is waiting on it
    sc_core::wait(done_);
    if (error_) std::rethrow_exception(error_);
  }
  void declare_trace(VcdWriter& w);

 private:
  void process();
  void publish(uint64_t t, int phase);

  TimedInstrument& ins_;
  TileCounts& counts_;
  const hw::Tile* tile_;
  std::string name_;
  sc_core::sc_event start_, done_;
  hw::TileOp op_ = hw::TileOp::forward;
  const std::function<hw::OpCost()>* kernel_ = nullptr;
  std::exception_ptr error_;
  bool exit_ = false;
  bool ready_ = false;  // the process is waiting on start_
  // Trace handles (-1: not traced).
  bool traced_ = false;
  int id_phase_ = -1, id_up_ = -1, id_down_ = -1, id_sat_ = -1, id_gmean_ = -1, id_gmin_ = -1,
      id_gmax_ = -1;
  std::vector<int> id_cells_;
  int r0_ = 0, r1_ = 0, c0_ = 0, c1_ = 0;
};

class TimedInstrument : public Instrument {
 public:
  TimedInstrument(const TimingParams& t, const EnergyParams& e, const TraceParams& tr, bool trace)
      : Instrument(e, t), t_(t), tr_(tr), trace_(trace) {}

  hw::TimingHook* attach(const hw::Tile& tile, const std::string& name) override {
    shells_.emplace_back(*this, ledger_.add(tile, name), tile, name);
    TileShell& s = shells_.back();
    if (vcd_ && !started_) s.declare_trace(*vcd_);
    s.spawn();
    return &s;
  }

  void rule_phase(const std::string& label) override {
    close_rule_phase();
    rule_label_ = label;
    ledger_.set_eval(label == "eval");
    rule_since_ = sc_core::sc_time_stamp();
    if (id_rule_ >= 0) {
      vcd_->set(id_rule_, uint64_t(rule_code(label)));
      sample_now();
    }
  }

  void loss(double v) override {
    if (id_loss_ >= 0) {
      vcd_->set(id_loss_, v);
      sample_now();
    }
  }

  void execute(const std::function<void()>& body, const std::string& run_dir) override {
    std::lock_guard<std::mutex> lock(kernel_mutex());
    Controller& c = Controller::get();
    if (trace_) {
      const double u = tr_.unit_seconds();
      vcd_ = std::make_unique<VcdWriter>(run_dir + "/trace.vcd", tr_.time_unit,
                                         uint64_t(std::llround(tr_.start / u)),
                                         uint64_t(std::llround(tr_.stop / u)));
      std::string codes = "rule_phase codes:";
      for (size_t i = 1; i < known_rule_phases().size(); ++i)
        codes += " " + std::to_string(i) + "=" + known_rule_phases()[i];
      vcd_->comment(codes + "; tile phase codes: 0=idle 1=forward 2=backward 3=update 4=refresh 5=transfer");
      if (tr_.has("loss")) id_loss_ = vcd_->add_real("top.controller.loss");
      if (tr_.has("rule_phase")) id_rule_ = vcd_->add_integer("top.controller.rule_phase");
    }
    std::exception_ptr error;
    c.submit([&] {
      hw::InstrumentScope scope(this);
      t0_ = sc_core::sc_time_stamp();
      rule_since_ = t0_;
      try {
        body();
      } catch (...) {
        error = std::current_exception();
      }
      close_rule_phase();
      t1_ = sc_core::sc_time_stamp();
      for (auto& s : shells_) s.finish();
    });
    sc_core::sc_start();
    if (vcd_) {
      sample(t1_);
      vcd_->close();
    }
    if (error) std::rethrow_exception(error);
  }

  void write_summary(nlohmann::ordered_json& s) const override {
    s["cycles"] = total_cycles_;
    s["sim_time_ns"] = (t1_ - t0_).to_seconds() * 1e9;
    s["clock_ns"] = t_.clock * 1e9;
    nlohmann::ordered_json ph;
    ph["forward"] = cycles_by_op_[1];
    ph["backward"] = cycles_by_op_[2];
    ph["update"] = cycles_by_op_[3];
    if (cycles_by_op_[4]) ph["refresh"] = cycles_by_op_[4];
    if (cycles_by_op_[5]) ph["transfer"] = cycles_by_op_[5];
    s["cycles_by_phase"] = ph;
    nlohmann::ordered_json rp = nlohmann::ordered_json::object();
    for (const auto& [k, v] : cycles_by_rule_) rp[k.empty() ? "unlabelled" : k] = v;
    s["cycles_by_rule_phase"] = rp;
    if (trace_) {
      nlohmann::ordered_json codes = nlohmann::ordered_json::object();
      for (const auto& [k, v] : extra_codes_) codes[k] = v;
      for (size_t i = 1; i < known_rule_phases().size(); ++i)
        codes[known_rule_phases()[i]] = i;
      s["trace_rule_phase_codes"] = codes;
    }
    ledger_.write_summary(s);
  }

  const TimingParams& timing_params() const { return t_; }
  void record(const TileCounts& c, const hw::OpCost& cost) { ledger_.record(c, cost); }
  // Refuses a run that would pass kMaxSimulatedSeconds: beyond it SystemC's time and the
  // trace's time stamps would wrap. Both counts are below 1e18 here, so the sum cannot wrap.
  void account(hw::TileOp op, uint64_t cycles) {
    const double seconds = double(total_cycles_ + cycles) * t_.clock;
    if (seconds > timing::kMaxSimulatedSeconds) {
      std::ostringstream os;
      os << "timing.clock = " << t_.clock << ": after " << total_cycles_
         << " cycles the run would simulate " << seconds
         << " s, more than the 1e6 s a timed run may; shorten the latencies of timing: or the "
            "run";
      throw ConfigError(os.str());
    }
    cycles_by_op_[int(op)] += cycles;
    total_cycles_ += cycles;
    if (!ledger_.eval()) device_cycles_ += cycles;
  }
  double device_seconds() const override { return double(device_cycles_) * t_.clock; }
  uint64_t device_cycles() const override { return device_cycles_; }
  void set_device_cycles(uint64_t cycles) override { device_cycles_ = cycles; }
  sc_core::sc_time clock() const { return sc_core::sc_time(t_.clock, sc_core::SC_SEC); }
  VcdWriter* vcd() { return vcd_.get(); }
  const TraceParams& trace_params() const { return tr_; }
  uint64_t trace_time(const sc_core::sc_time& t) const {
    return uint64_t(std::llround((t - t0_).to_seconds() / tr_.unit_seconds()));
  }
  void sample(const sc_core::sc_time& t) {
    started_ = true;
    vcd_->sample(trace_time(t));
  }
  void sample_now() { sample(sc_core::sc_time_stamp()); }

 private:
  int rule_code(const std::string& label) {
    const auto& k = known_rule_phases();
    for (size_t i = 1; i < k.size(); ++i)
      if (k[i] == label) return int(i);
    auto it = extra_codes_.find(label);
    if (it != extra_codes_.end()) return it->second;
    const int code = int(k.size() + extra_codes_.size());
    extra_codes_[label] = code;
    return code;
  }
  void close_rule_phase() {
    const sc_core::sc_time now = sc_core::sc_time_stamp();
    const uint64_t cyc = uint64_t(std::llround((now - rule_since_) / clock()));
    if (cyc > 0 || cycles_by_rule_.count(rule_label_)) cycles_by_rule_[rule_label_] += cyc;
    rule_since_ = now;
  }

  TimingParams t_;
  TraceParams tr_;
  bool trace_;
  std::unique_ptr<VcdWriter> vcd_;
  bool started_ = false;
  int id_loss_ = -1, id_rule_ = -1;
  std::deque<TileShell> shells_;
  sc_core::sc_time t0_, t1_, rule_since_;
  std::string rule_label_;
  uint64_t total_cycles_ = 0;
  uint64_t device_cycles_ = 0;  // outside the eval phase
  uint64_t cycles_by_op_[6] = {0, 0, 0, 0, 0, 0};
  std::map<std::string, uint64_t> cycles_by_rule_;
  std::map<std::string, int> extra_codes_;
};

void TileShell::spawn() {
  sc_core::sc_spawn_options opt;
  opt.set_stack_size(kTileStack);
  sc_core::sc_spawn([this] { process(); }, sc_core::sc_gen_unique_name(name_.c_str()), &opt);
}

void TileShell::declare_trace(VcdWriter& w) {
  const TraceParams& tp = ins_.trace_params();
  const std::string p = "top." + name_ + ".tile.";
  traced_ = true;
  if (tp.has("phase")) id_phase_ = w.add_integer(p + "phase");
  if (tp.has("pulses_up")) id_up_ = w.add_integer(p + "pulses_up");
  if (tp.has("pulses_down")) id_down_ = w.add_integer(p + "pulses_down");
  if (tp.has("adc_sat")) id_sat_ = w.add_integer(p + "adc_sat");
  if (tp.has("g_mean")) id_gmean_ = w.add_real(p + "g_mean");
  if (tp.has("g_min")) id_gmin_ = w.add_real(p + "g_min");
  if (tp.has("g_max")) id_gmax_ = w.add_real(p + "g_max");
  if (tp.has("cells") && tp.cells.size() == 4) {
    r0_ = int(std::min<Index>(tp.cells[0], tile_->out_size()));
    r1_ = int(std::min<Index>(tp.cells[1], tile_->out_size()));
    c0_ = int(std::min<Index>(tp.cells[2], tile_->in_size()));
    c1_ = int(std::min<Index>(tp.cells[3], tile_->in_size()));
    for (int r = r0_; r < r1_; ++r)
      for (int c = c0_; c < c1_; ++c)
        id_cells_.push_back(
            w.add_real(p + "cells.g_" + std::to_string(r) + "_" + std::to_string(c)));
  }
}

// Writes this tile's signals as of trace time t (the conductance summary only when inside the
// trace window: it is a pass over the array).
void TileShell::publish(uint64_t t, int phase) {
  VcdWriter& w = *ins_.vcd();
  if (id_phase_ >= 0) w.set(id_phase_, uint64_t(phase));
  if (id_up_ >= 0) w.set(id_up_, counts_.pulses_up);
  if (id_down_ >= 0) w.set(id_down_, counts_.pulses_down);
  if (id_sat_ >= 0) w.set(id_sat_, counts_.adc_saturations);
  if (phase == 0 && w.active(t)) {
    const Array& g = tile_->device_state(0).w;  // G (single) or G+ (differential), device units
    if (id_gmean_ >= 0) w.set(id_gmean_, double(g.mean()));
    if (id_gmin_ >= 0) w.set(id_gmin_, double(g.minCoeff()));
    if (id_gmax_ >= 0) w.set(id_gmax_, double(g.maxCoeff()));
    size_t k = 0;
    for (int r = r0_; r < r1_; ++r)
      for (int c = c0_; c < c1_; ++c) w.set(id_cells_[k++], double(g(r, c)));
  }
  ins_.sample(sc_core::sc_time_stamp());
}

void TileShell::process() {
  for (;;) {
    if (exit_) return;
    ready_ = true;
    sc_core::wait(start_);
    ready_ = false;
    if (exit_) return;
    // Every exception (the kernel's, a failed trace write) goes to the controller, which
    // rethrows it in the run: one escaping a SystemC process would end the program (E549).
    try {
      if (traced_) publish(ins_.trace_time(sc_core::sc_time_stamp()), int(op_));
      const hw::OpCost cost = (*kernel_)();
      ins_.record(counts_, cost);
      const uint64_t cycles = timing::op_cycles(cost, ins_.timing_params());
      ins_.account(op_, cycles);  // before waiting: it refuses a wait past SystemC's time
      if (cycles > 0) sc_core::wait(ins_.clock() * double(cycles));
      if (traced_) publish(ins_.trace_time(sc_core::sc_time_stamp()), 0);
    } catch (...) {
      error_ = std::current_exception();
    }
    done_.notify();  // immediate: the controller is waiting on it
  }
}

std::unique_ptr<Instrument> make_timed_instrument(const TimingParams& t, const EnergyParams& e,
                                                  const TraceParams& tr, bool trace) {
  return std::make_unique<TimedInstrument>(t, e, tr, trace);
}

}  // namespace

void enable_timed_mode() { timing::set_timed_instrument_factory(&make_timed_instrument); }

}  // namespace xb::sc
