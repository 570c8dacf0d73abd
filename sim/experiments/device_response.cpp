// SPDX-License-Identifier: MIT
// device_response: the peers' pulse-response plot (aihwkit plot_pulse_response). Every device
// of a rows x cols array starts at w0 and receives n_up up pulses then n_down down pulses,
// `cycles` times; after each pulse the array's mean, std, min and max weight are recorded.
//
// metrics.csv: cycle, pulse (1-based within its direction), direction (up/down), w_mean,
// w_std, w_min, w_max.
// summary.json: mean_step_up_at_zero, mean_step_down_at_zero (mean |Δw| of one pulse from
// w = 0), w_mean_after_up, w_mean_after_down (last cycle), symmetry_point (mean weight after
// symmetry_pulses alternating up/down pairs from w = 0), n_states ((mean w_max − mean w_min)
// / mean_step_up_at_zero), weights_sha256 (final weights).
#include <cmath>
#include <memory>

#include "hw_models/core/sha256.h"
#include "hw_models/devices/device_model.h"
#include "sim/experiment.h"
#include "sim/interrupt.h"

namespace xb::sim {

namespace {

struct DeviceResponseParams {
  int rows = 4;
  int cols = 4;
  int n_up = 100;
  int n_down = 100;
  int cycles = 1;
  double w0 = 0.0;
  int symmetry_pulses = 1000;
  template <class F>
  void bind(F&& f) {
    f("rows", rows, "", "rows of the device array");
    f("cols", cols, "", "columns of the device array");
    f("n_up", n_up, "", "up pulses per cycle");
    f("n_down", n_down, "", "down pulses per cycle");
    f("cycles", cycles, "", "repetitions of the up-then-down sequence");
    f("w0", w0, "1", "initial weight of every device (clipped to its bounds)");
    f("symmetry_pulses", symmetry_pulses, "",
      "alternating up/down pulse pairs used to locate the symmetry point");
  }
  void validate(const Scope& s) const {
    s.require_in("rows", rows, 1, 65536);
    s.require_in("cols", cols, 1, 65536);
    s.require(int64_t(rows) * cols <= (int64_t(1) << 26), "cols", cols,
              "rows x cols must be at most 2^26 devices");
    s.require_in("n_up", n_up, 0, 10000000);
    s.require_in("n_down", n_down, 0, 10000000);
    s.require_in("cycles", cycles, 1, 100000);
    s.require(int64_t(cycles) * (n_up + n_down) <= 10000000, "cycles", cycles,
              "cycles x (n_up + n_down) must be at most 1e7 recorded pulses");
    s.require_in("symmetry_pulses", symmetry_pulses, 0, 10000000);
  }
};

class DeviceResponse : public Experiment {
 public:
  explicit DeviceResponse(const DeviceResponseParams& p) : p_(p) {}

  void prepare(Config& cfg, const RunOptions& options) override {
    options_ = options;
    device_ = hw::device_registry().create(Scope(cfg, "device"));
  }

  void estimate_memory(MemoryEstimate& m) const override {
    const double devices = double(p_.rows) * double(p_.cols);
    m.add("device states", "experiment.rows, experiment.cols", devices * 64.0);
    // One metrics.csv row (7 numbers as text) per pulse.
    m.add("metrics rows", "experiment.cycles, experiment.n_up, experiment.n_down",
          double(p_.cycles) * (double(p_.n_up) + double(p_.n_down)) * 200.0);
  }

  void run(RunFolder& out) override {
    Rng fab(options_.seed, Stream::fabrication);
    const Rng cycle(options_.seed, Stream::cycle);
    hw::DeviceState state = device_->fabricate(p_.rows, p_.cols, p_.w0, fab);
    const PulseArray up = PulseArray::Constant(p_.rows, p_.cols, 1);
    const PulseArray down = PulseArray::Constant(p_.rows, p_.cols, -1);
    uint64_t event = 0;

    out.metrics().set_columns({"cycle", "pulse", "direction", "w_mean", "w_std", "w_min", "w_max"});
    Array w;
    double mean_after_up = 0, mean_after_down = 0;
    for (int c = 0; c < p_.cycles; ++c) {
      for (int dir = 0; dir < 2; ++dir) {
        const int n = dir == 0 ? p_.n_up : p_.n_down;
        for (int k = 1; k <= n; ++k) {
          throw_if_interrupted();
          device_->apply_pulses(state, dir == 0 ? up : down, cycle, event++, 0);
          device_->read_weights(state, w);
          const double mean = w.cast<double>().mean();
          const double sd = std::sqrt((w.cast<double>() - mean).square().mean());
          if (!std::isfinite(mean))
            throw NumericalError("cycle " + std::to_string(c) + ", pulse " + std::to_string(k) +
                                 ": mean weight is not finite");
          out.metrics().add_row({std::to_string(c), std::to_string(k), dir == 0 ? "up" : "down",
                                 format_number(mean), format_number(sd),
                                 format_number(w.minCoeff()), format_number(w.maxCoeff())});
          (dir == 0 ? mean_after_up : mean_after_down) = mean;
        }
      }
    }

    // Probes on copies of the fabricated array, so they do not disturb the recorded response.
    const double step_up = mean_step_at_zero(state, up, cycle, event++);
    const double step_down = mean_step_at_zero(state, down, cycle, event++);
    hw::DeviceState sym = at_zero(state);
    for (int k = 0; k < p_.symmetry_pulses; ++k) {
      device_->apply_pulses(sym, up, cycle, event++, 0);
      device_->apply_pulses(sym, down, cycle, event++, 0);
    }
    device_->read_weights(sym, w);

    auto& s = out.summary();
    s["mean_step_up_at_zero"] = step_up;
    s["mean_step_down_at_zero"] = step_down;
    s["w_mean_after_up"] = mean_after_up;
    s["w_mean_after_down"] = mean_after_down;
    s["symmetry_point"] = w.cast<double>().mean();
    s["n_states"] = (state.w_max.cast<double>().mean() - state.w_min.cast<double>().mean()) /
                    step_up;
    Sha256 h;
    h.update(state.w.data(), sizeof(Scalar) * state.w.size());
    s["weights_sha256"] = h.hex();
  }

 private:
  hw::DeviceState at_zero(const hw::DeviceState& state) const {
    hw::DeviceState z = state;
    z.w = Array::Zero(state.rows(), state.cols()).max(state.w_min).min(state.w_max);
    if (z.w_apparent.size()) z.w_apparent = z.w;
    return z;
  }

  double mean_step_at_zero(const hw::DeviceState& state, const PulseArray& pulse,
                           const Rng& cycle, uint64_t event) const {
    hw::DeviceState z = at_zero(state);
    const Array before = z.w;
    device_->apply_pulses(z, pulse, cycle, event, 0);
    return (z.w - before).abs().cast<double>().mean();
  }

  DeviceResponseParams p_;
  RunOptions options_;
  std::unique_ptr<hw::DeviceModel> device_;
};

}  // namespace

void register_experiment_device_response(ExperimentRegistry& r) {
  r.add_model<DeviceResponseParams, DeviceResponse>(
      "device_response", "pulse response: n_up up then n_down down pulses, `cycles` times");
}

}  // namespace xb::sim
