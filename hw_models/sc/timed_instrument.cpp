// SPDX-License-Identifier: MIT
// Timed mode: the experiment runs unchanged inside the controller's SC_THREAD; each tile gets one
// SystemC process (never one per synapse: a process per synapse costs about two orders of
// magnitude more in context switches) that is busy for exactly the intervals the schedule gives
// its operations, like a TLM loosely-timed target that calls its memory model and adds the
// delay. The shell computes no time itself: the latency model (latency_model.h) and the schedule
// (schedule.h) do, shared with functional mode; the shell waits and traces.
//
// A tile operation runs its kernel at once, in the controller, in program order (so kernels run
// in exactly the functional order on the same streams: weights are bit-identical whatever the
// schedule); the ledger places it on the schedule and the tile's process receives the interval
// as a job: it waits for the start, publishes the tile's phase (and, inside the pulse-level
// window, the line events slot by slot), waits for the end and publishes the result. The
// controller itself waits until the operation ends (sequential schedule) or starts (the
// concurrent schedules: the next operation may overlap it), so the rule phases and the loss are
// stamped at the times the chip reaches them.
//
// Tile processes are spawned dynamically (sc_spawn) when the experiment builds its tiles, since
// the network shape is only known inside the run and modules cannot be added after elaboration
// (E529). The controller module is elaborated once per process; each timed run is one
// sc_start() that returns when the run's processes starve, so a process can do several timed
// runs one after another (a mutex serialises them: the SystemC kernel is global).
//
// The controller is clocked in the sense that every latency is a whole number of `clock`
// cycles and tile operations start and end on clock edges; no sc_clock toggles between
// operations, which would cost an event per cycle for nothing. Events inside an operation (the
// slots of a pulsed update, the passes of a read) divide its interval evenly.
#define SC_INCLUDE_DYNAMIC_PROCESSES  // sc_spawn for the per-tile processes
#include <systemc>

#include <algorithm>
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
using timing::Placement;
using timing::TileCounts;
using timing::TimingParams;
using timing::TraceParams;

namespace {

constexpr std::size_t kControllerStack = 64u << 20;  // the whole training loop runs here
constexpr std::size_t kTileStack = 1u << 20;         // waits and trace writes only

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

// Waits until absolute simulated time t (now if it has passed).
void wait_until(const sc_core::sc_time& t) {
  if (t > sc_core::sc_time_stamp()) sc_core::wait(t - sc_core::sc_time_stamp());
}

// Fixed codes of the common rule phases (the trace's rule_phase); other labels get 9, 10, ...
const std::vector<std::string>& known_rule_phases() {
  static const std::vector<std::string> k = {"",     "estimate", "forward", "backward", "free",
                                             "nudged", "perturb", "update",  "eval"};
  return k;
}

class TimedInstrument;

// One change of a traced signal at a time inside an operation.
struct SignalEvent {
  sc_core::sc_time t;
  int id;
  double real;       // for real signals
  uint64_t integer;  // for bits and integers
  bool is_real;
};

// One operation as the tile's process plays it back: its interval and, when traced, what to
// publish at its start, inside it and at its end.
struct Job {
  sc_core::sc_time start, end;
  int op = 0;
  uint64_t up0 = 0, down0 = 0, sat0 = 0, up1 = 0, down1 = 0, sat1 = 0;
  uint64_t busy1 = 0;  // the tile's busy cycles (training and evaluation) at the end
  bool conductances = false;  // the summary and the cells window below are set
  double g_mean = 0, g_min = 0, g_max = 0;
  std::vector<double> cells;  // per cell of the window: w, then G of each device
  std::vector<SignalEvent> events;
};

// One tile's process and its trace signals.
class TileShell : public hw::TimingHook {
 public:
  TileShell(TimedInstrument& ins, TileCounts& counts, const hw::Tile& tile, std::string name)
      : ins_(ins), counts_(counts), tile_(&tile), name_(std::move(name)) {}
  void spawn();
  void finish() {
    exit_ = true;
    wake_.notify();
  }
  void run(const hw::Tile& tile, hw::TileOp op,
           const std::function<hw::OpCost()>& kernel) override;
  void declare_trace(VcdWriter& w);
  // The line probe the tile fills for this shell's pulse-level window (null: none).
  hw::LineProbe* probe() { return probe_.window.rows() > 0 ? &probe_ : nullptr; }
  void rethrow() {
    if (error_) std::rethrow_exception(error_);
  }

 private:
  void process();
  void snapshot(Job& j, bool always) const;
  void line_events(Job& j, hw::TileOp op, const hw::OpCost& cost) const;
  void publish_conductances(VcdWriter& w, const Job& j);

  TimedInstrument& ins_;
  TileCounts& counts_;
  const hw::Tile* tile_;
  std::string name_;
  sc_core::sc_event wake_;
  std::deque<Job> jobs_;
  std::exception_ptr error_;  // a failed trace write, rethrown in the controller
  bool exit_ = false;
  // Trace handles (-1: not traced).
  bool traced_ = false;
  uint64_t busy_ = 0;  // busy cycles so far, evaluations included
  int id_phase_ = -1, id_busy_ = -1, id_up_ = -1, id_down_ = -1, id_sat_ = -1, id_gmean_ = -1,
      id_gmin_ = -1, id_gmax_ = -1;
  std::vector<int> id_cells_;  // per cell: w, then G of each device
  int r0_ = 0, r1_ = 0, c0_ = 0, c1_ = 0;
  // Pulse-level window: per row and column its pulse bit, DAC and ADC values; per cell its
  // coincidence bit and pulse count.
  hw::LineProbe probe_;
  std::vector<int> id_row_pulse_, id_row_dac_, id_row_adc_, id_col_pulse_, id_col_dac_,
      id_col_adc_, id_hit_, id_n_;
};

class TimedInstrument : public Instrument {
 public:
  TimedInstrument(const TimingParams& t, const EnergyParams& e, const timing::AreaParams& a,
                  const TraceParams& tr, bool trace)
      : Instrument(e, t, a), t_(t), tr_(tr), trace_(trace),
        sequential_(t.schedule == "sequential") {}

  hw::TimingHook* attach(hw::Tile& tile, const std::string& name, int group) override {
    shells_.emplace_back(*this, ledger_.add(tile, name, group), tile, name);
    TileShell& s = shells_.back();
    if (vcd_ && !started_) s.declare_trace(*vcd_);
    if (hw::LineProbe* p = s.probe()) tile.set_line_probe(p);  // the pulse-level window
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
      vcd_->comment(codes +
                    "; tile phase codes: 0=idle 1=forward 2=backward 3=update 4=refresh 5=transfer");
      vcd_->comment("schedule: " + t_.schedule);
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
      // The run ends when its last operation does.
      wait_until(at(ledger_.makespan()));
      close_rule_phase();
      t1_ = sc_core::sc_time_stamp();
      for (auto& s : shells_) s.finish();
    });
    sc_core::sc_start();
    if (!error)
      for (auto& s : shells_) try {
          s.rethrow();
        } catch (...) {
          error = std::current_exception();
          break;
        }
    if (vcd_) {
      if (!error) sample(t1_);
      vcd_->close();
    }
    if (error) std::rethrow_exception(error);
  }

  void write_summary(nlohmann::ordered_json& s) const override {
    s["cycles"] = ledger_.makespan();
    s["sim_time_ns"] = (t1_ - t0_).to_seconds() * 1e9;
    s["clock_ns"] = t_.clock * 1e9;
    s["schedule"] = t_.schedule;
    nlohmann::ordered_json ph;  // busy cycles by operation, over all tiles
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
  // Counts one operation and places it on the schedule. Refuses a run that would pass
  // kMaxSimulatedSeconds: beyond it SystemC's time and the trace's time stamps would wrap.
  // Both counts are below 1e18 here, so the sum cannot wrap.
  Placement account(const TileCounts& c, const hw::OpCost& cost) {
    const uint64_t cycles = timing::op_cycles(cost, t_);
    const double seconds = double(ledger_.makespan() + cycles) * t_.clock;
    if (seconds > timing::kMaxSimulatedSeconds) {
      std::ostringstream os;
      os << "timing.clock = " << t_.clock << ": after " << ledger_.makespan()
         << " cycles the run would simulate " << seconds
         << " s, more than the 1e6 s a timed run may; shorten the latencies of timing: or the "
            "run";
      throw ConfigError(os.str());
    }
    const Placement p = ledger_.record(c, cost);
    cycles_by_op_[int(cost.op)] += p.cycles;
    if (!ledger_.eval()) device_cycles_ += p.grew;
    return p;
  }
  bool sequential() const { return sequential_; }
  double device_seconds() const override { return double(device_cycles_) * t_.clock; }
  uint64_t device_cycles() const override { return device_cycles_; }
  void set_device_cycles(uint64_t cycles) override { device_cycles_ = cycles; }
  // The absolute simulated time of a cycle count of the run.
  sc_core::sc_time at(uint64_t cycles) const {
    return t0_ + sc_core::sc_time(t_.clock, sc_core::SC_SEC) * double(cycles);
  }
  VcdWriter* vcd() { return vcd_.get(); }
  const TraceParams& trace_params() const { return tr_; }
  uint64_t trace_time(const sc_core::sc_time& t) const {
    return uint64_t(std::llround((t - t0_).to_seconds() / tr_.unit_seconds()));
  }
  bool trace_active(const sc_core::sc_time& t) const { return vcd_ && vcd_->active(trace_time(t)); }
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
    const uint64_t cyc =
        uint64_t(std::llround((now - rule_since_) / sc_core::sc_time(t_.clock, sc_core::SC_SEC)));
    if (cyc > 0 || cycles_by_rule_.count(rule_label_)) cycles_by_rule_[rule_label_] += cyc;
    rule_since_ = now;
  }

  TimingParams t_;
  TraceParams tr_;
  bool trace_;
  bool sequential_;  // timing.schedule: each operation waits for the one before it
  std::unique_ptr<VcdWriter> vcd_;
  bool started_ = false;
  int id_loss_ = -1, id_rule_ = -1;
  std::deque<TileShell> shells_;
  sc_core::sc_time t0_, t1_, rule_since_;
  std::string rule_label_;
  uint64_t device_cycles_ = 0;  // the part of it outside the eval phase
  uint64_t cycles_by_op_[6] = {0, 0, 0, 0, 0, 0};
  std::map<std::string, uint64_t> cycles_by_rule_;
  std::map<std::string, int> extra_codes_;
};

void TileShell::spawn() {
  sc_core::sc_spawn_options opt;
  opt.set_stack_size(kTileStack);
  std::string base = name_;  // SystemC names may not contain dots ("layer0.t1_0")
  std::replace(base.begin(), base.end(), '.', '_');
  sc_core::sc_spawn([this] { process(); }, sc_core::sc_gen_unique_name(base.c_str()), &opt);
}

void TileShell::declare_trace(VcdWriter& w) {
  const TraceParams& tp = ins_.trace_params();
  const std::string p = "top." + name_ + ".tile.";
  traced_ = true;
  if (tp.has("phase")) id_phase_ = w.add_integer(p + "phase");
  if (tp.has("busy_cycles")) id_busy_ = w.add_integer(p + "busy_cycles");
  if (tp.has("pulses_up")) id_up_ = w.add_integer(p + "pulses_up");
  if (tp.has("pulses_down")) id_down_ = w.add_integer(p + "pulses_down");
  if (tp.has("adc_sat")) id_sat_ = w.add_integer(p + "adc_sat");
  if (tp.has("g_mean")) id_gmean_ = w.add_real(p + "g_mean");
  if (tp.has("g_min")) id_gmin_ = w.add_real(p + "g_min");
  if (tp.has("g_max")) id_gmax_ = w.add_real(p + "g_max");
  const Index rows = tile_->out_size(), cols = tile_->in_size();
  if (tp.has("cells") && tp.cells.size() == 4) {
    r0_ = int(std::min<Index>(tp.cells[0], rows));
    r1_ = int(std::min<Index>(tp.cells[1], rows));
    c0_ = int(std::min<Index>(tp.cells[2], cols));
    c1_ = int(std::min<Index>(tp.cells[3], cols));
    for (int r = r0_; r < r1_; ++r)
      for (int c = c0_; c < c1_; ++c) {
        const std::string cell = p + "cells.c" + std::to_string(r) + "_" + std::to_string(c) + ".";
        id_cells_.push_back(w.add_real(cell + "w"));
        for (int k = 0; k < tile_->devices(); ++k)
          id_cells_.push_back(w.add_real(cell + "G" + std::to_string(k) + "_uS"));
      }
  }
  if (tp.lines.size() == 4) {
    hw::LineWindow& lw = probe_.window;
    lw.r0 = std::min<Index>(tp.lines[0], rows);
    lw.r1 = std::min<Index>(tp.lines[1], rows);
    lw.c0 = std::min<Index>(tp.lines[2], cols);
    lw.c1 = std::min<Index>(tp.lines[3], cols);
    if (lw.cols() == 0) lw.r1 = lw.r0;  // nothing of this tile is in the window
    const std::string l = p + "lines.";
    for (Index r = lw.r0; r < lw.r1; ++r) {
      const std::string n = l + "row" + std::to_string(r) + ".";
      id_row_pulse_.push_back(w.add_bit(n + "pulse"));
      id_row_dac_.push_back(w.add_real(n + "dac"));
      id_row_adc_.push_back(w.add_real(n + "adc"));
    }
    for (Index c = lw.c0; c < lw.c1 && lw.rows() > 0; ++c) {
      const std::string n = l + "col" + std::to_string(c) + ".";
      id_col_pulse_.push_back(w.add_bit(n + "pulse"));
      id_col_dac_.push_back(w.add_real(n + "dac"));
      id_col_adc_.push_back(w.add_real(n + "adc"));
    }
    for (Index r = lw.r0; r < lw.r1; ++r)
      for (Index c = lw.c0; c < lw.c1; ++c) {
        const std::string n = l + "cell" + std::to_string(r) + "_" + std::to_string(c) + ".";
        id_hit_.push_back(w.add_bit(n + "hit"));
        id_n_.push_back(w.add_real(n + "pulses"));
      }
  }
  // The programmed state is the conductances' first value (not a made-up 0).
  Job initial;
  snapshot(initial, true);
  publish_conductances(w, initial);
}

void TileShell::run(const hw::Tile& tile, hw::TileOp op,
                    const std::function<hw::OpCost()>& kernel) {
  tile_ = &tile;
  rethrow();
  Job j;
  j.op = int(op);
  j.up0 = counts_.pulses_up, j.down0 = counts_.pulses_down, j.sat0 = counts_.adc_saturations;
  const hw::OpCost cost = kernel();
  const Placement p = ins_.account(counts_, cost);
  j.start = ins_.at(p.slot.start);
  j.end = ins_.at(p.slot.end);
  busy_ += p.cycles;
  j.busy1 = busy_;
  if (traced_) {
    j.up1 = counts_.pulses_up, j.down1 = counts_.pulses_down, j.sat1 = counts_.adc_saturations;
    snapshot(j, false);
    if (!probe_.pulses.empty() && (ins_.trace_active(j.start) || ins_.trace_active(j.end)))
      line_events(j, op, cost);
  }
  const sc_core::sc_time start = j.start, end = j.end;
  jobs_.push_back(std::move(j));
  wake_.notify(sc_core::SC_ZERO_TIME);
  // Sequential: the next operation waits for this one; otherwise only for its start (the
  // schedule keeps issue order), and the next may overlap it.
  wait_until(ins_.sequential() ? end : start);
}

// The tile's state now (after the operation): the conductance summary (a pass over the array,
// so only inside the trace window unless `always`) and the cells window.
void TileShell::snapshot(Job& j, bool always) const {
  if (!always && !ins_.trace_active(j.end)) return;
  const TraceParams& tp = ins_.trace_params();
  const hw::DeviceModel& dev = tile_->device();
  const double lo = dev.nominal_w_min(), hi = dev.nominal_w_max();
  auto micro_siemens = [&](double w) { return tp.conductance(w, lo, hi) * 1e6; };
  const Array& g = tile_->device_state(0).w;  // G (single) or G+ (pairs), device units
  j.conductances = true;
  if (id_gmean_ >= 0) j.g_mean = micro_siemens(double(g.mean()));
  if (id_gmin_ >= 0) j.g_min = micro_siemens(double(g.minCoeff()));
  if (id_gmax_ >= 0) j.g_max = micro_siemens(double(g.maxCoeff()));
  const Matrix& w = tile_->weights();
  for (int r = r0_; r < r1_; ++r)
    for (int c = c0_; c < c1_; ++c) {
      j.cells.push_back(double(w(r, c)));
      for (int k = 0; k < tile_->devices(); ++k)
        j.cells.push_back(micro_siemens(double(tile_->device_state(k).w(r, c))));
    }
}

// The pulse-level window's events inside the operation, from what the tile's probe recorded.
// A pulsed update: slot k of its write slots starts at start + k·slot; a pulse is on for the
// first half of its slot (t_pulse is a pulse and its gap), so every pulse is an edge of its
// own. A read: pass k drives its DAC values at start + k·pass and has its ADC values at the
// end of the pass. Other pulses (a scheme without trains, a refresh, a transfer) show as the
// cells' pulse counts at the end.
void TileShell::line_events(Job& j, hw::TileOp op, const hw::OpCost& cost) const {
  using sc_core::sc_time;
  const hw::LineWindow& lw = probe_.window;
  const Index nr = lw.rows(), nc = lw.cols();
  auto set_real = [&](const sc_time& t, int id, double v) {
    j.events.push_back({t, id, v, 0, true});
  };
  // A pulse on wire `id`: on at t, off at `off`.
  auto pulse = [&](const sc_time& t, const sc_time& off, int id) {
    j.events.push_back({t, id, 0, 1, false});
    j.events.push_back({off, id, 0, 0, false});
  };
  for (Index k = 0; k < nr * nc; ++k) set_real(j.start, id_n_[size_t(k)], 0.0);
  const sc_time span = j.end - j.start;
  if (op == hw::TileOp::forward || op == hw::TileOp::backward) {
    const std::size_t passes = probe_.passes.size();
    const std::vector<int>& dac_ids = probe_.transposed ? id_row_dac_ : id_col_dac_;
    const std::vector<int>& adc_ids = probe_.transposed ? id_col_adc_ : id_row_adc_;
    for (std::size_t k = 0; k < passes; ++k) {
      const hw::ConversionPass& c = probe_.passes[k];
      const sc_time t = j.start + span * (double(k) / double(passes));
      const sc_time e = j.start + span * (double(k + 1) / double(passes));
      for (std::size_t i = 0; i < c.dac.size(); ++i) set_real(t, dac_ids[i], c.dac[i]);
      for (std::size_t i = 0; i < c.adc.size(); ++i) set_real(e, adc_ids[i], c.adc[i]);
    }
  } else if (!probe_.trains.empty() && cost.write_slots > 0) {
    const sc_time slot = span / double(cost.write_slots);
    std::vector<double> n(size_t(nr * nc), 0.0);
    uint64_t k0 = 0;  // the sample's first slot
    for (const hw::PulseTrains& tr : probe_.trains) {
      auto row_on = [&](Index r, int s) { return tr.row_bits[size_t(r * tr.bl + s)] != 0; };
      auto col_on = [&](Index c, int s) { return tr.col_bits[size_t(c * tr.bl + s)] != 0; };
      for (int s = 0; s < tr.bl; ++s) {
        const sc_time t = j.start + slot * double(k0 + uint64_t(s)), off = t + slot * 0.5;
        for (Index r = 0; r < nr; ++r)
          if (row_on(r, s)) pulse(t, off, id_row_pulse_[size_t(r)]);
        for (Index c = 0; c < nc; ++c)
          if (col_on(c, s)) pulse(t, off, id_col_pulse_[size_t(c)]);
        for (Index r = 0; r < nr; ++r)
          for (Index c = 0; c < nc; ++c) {
            if (!row_on(r, s) || !col_on(c, s)) continue;
            const size_t cell = size_t(r * nc + c);
            n[cell] += double(tr.row_sign[size_t(r)] * tr.col_sign[size_t(c)]);
            pulse(t, off, id_hit_[cell]);
            set_real(t, id_n_[cell], n[cell]);
          }
      }
      k0 += uint64_t(tr.bl);
    }
  } else {
    for (Index k = 0; k < nr * nc; ++k)
      set_real(j.end, id_n_[size_t(k)], double(probe_.pulses[size_t(k)]));
  }
  std::stable_sort(j.events.begin(), j.events.end(),
                   [](const SignalEvent& a, const SignalEvent& b) { return a.t < b.t; });
}

void TileShell::publish_conductances(VcdWriter& w, const Job& j) {
  if (!j.conductances) return;
  if (id_gmean_ >= 0) w.set(id_gmean_, j.g_mean);
  if (id_gmin_ >= 0) w.set(id_gmin_, j.g_min);
  if (id_gmax_ >= 0) w.set(id_gmax_, j.g_max);
  for (size_t k = 0; k < id_cells_.size(); ++k) w.set(id_cells_[k], j.cells[k]);
}

void TileShell::process() {
  for (;;) {
    while (jobs_.empty()) {
      if (exit_) return;
      sc_core::wait(wake_);
    }
    const Job j = std::move(jobs_.front());
    jobs_.pop_front();
    // Every exception (a failed trace write) goes to the controller, which rethrows it in the
    // run: one escaping a SystemC process would end the program (E549).
    try {
      wait_until(j.start);
      if (!traced_) {
        wait_until(j.end);
        continue;
      }
      VcdWriter& w = *ins_.vcd();
      if (id_phase_ >= 0) w.set(id_phase_, uint64_t(j.op));
      if (id_up_ >= 0) w.set(id_up_, j.up0);
      if (id_down_ >= 0) w.set(id_down_, j.down0);
      if (id_sat_ >= 0) w.set(id_sat_, j.sat0);
      ins_.sample_now();
      for (std::size_t k = 0; k < j.events.size();) {
        wait_until(j.events[k].t);
        for (; k < j.events.size() && j.events[k].t <= sc_core::sc_time_stamp(); ++k) {
          const SignalEvent& e = j.events[k];
          if (e.is_real)
            w.set(e.id, e.real);
          else
            w.set(e.id, e.integer);
          ins_.sample_now();  // a pulse and its end at one time stamp stay two changes
        }
      }
      wait_until(j.end);
      if (id_phase_ >= 0) w.set(id_phase_, uint64_t(0));
      if (id_busy_ >= 0) w.set(id_busy_, j.busy1);
      if (id_up_ >= 0) w.set(id_up_, j.up1);
      if (id_down_ >= 0) w.set(id_down_, j.down1);
      if (id_sat_ >= 0) w.set(id_sat_, j.sat1);
      publish_conductances(w, j);
      ins_.sample_now();
    } catch (...) {
      if (!error_) error_ = std::current_exception();
    }
  }
}

std::unique_ptr<Instrument> make_timed_instrument(const TimingParams& t, const EnergyParams& e,
                                                  const timing::AreaParams& a,
                                                  const TraceParams& tr, bool trace) {
  return std::make_unique<TimedInstrument>(t, e, a, tr, trace);
}

}  // namespace

void enable_timed_mode() { timing::set_timed_instrument_factory(&make_timed_instrument); }

}  // namespace xb::sc
