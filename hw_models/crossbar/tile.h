// SPDX-License-Identifier: MIT
// A crossbar tile: an out_size x in_size weight matrix held as device states, read through the
// periphery and written by parallel pulsed updates (aihwkit's pulsed tile, Rasch et al. 2021,
// split the same way into device, periphery and update engine).
//
// A tile owns its parts, each a model of its own: the device states (hw_models/devices/), the
// read periphery (hw_models/periphery/) and the update engine (an UpdateScheme instance,
// hw_models/update/). Every operation reports its cost (OpCost, timing_hook.h) to an optional
// hook; latency and energy are computed from that cost elsewhere (hw_models/timing/).
//
// API for network layers (everything a layer needs):
//
//   auto dev = std::shared_ptr<const hw::DeviceModel>(hw::device_registry().create(Scope(cfg, "device")));
//   auto scheme = hw::scheme_registry().create(Scope(cfg, "scheme"), "ideal");
//   hw::Tile tile(Scope(cfg, "tile"), Scope(cfg, "periphery"), dev, out_size, in_size, seed,
//                 tile_id, std::move(scheme));
//   tile.set_weights(W0);                    // W0: Matrix out_size x in_size (programmed, clipped)
//   const Matrix& W = tile.weights();        // current weights, no read noise (the "true" W)
//   tile.forward(X, Y);                      // Y = W X   X: in_size x B, Y: out_size x B (resized)
//   tile.backward(D, Z);                     // Z = Wᵀ D  D: out_size x B, Z: in_size x B (resized)
//   hw::UpdateRequest req;  req.x = &X;  req.d = &D;  req.lr = 0.01;   // ΔW = −lr·D·Xᵀ
//   //   or req.dw = &dW (dense intended ΔW, W <- W + ΔW)
//   hw::UpdateReport rep = tile.update(req); // pulses_up/down, write slots, intended, realised ΔW
//   hw::Tile copy = tile.fork(k);            // same devices and weights, independent cycle/read noise
//
// Reads are batched matrix-matrix products (one GEMM for B samples) with the periphery applied
// per sample; both reads use the same `periphery:` parameters. Reads use the device's
// read_weights() (drift, faults, levels), cached between updates. A device with read noise
// (read_noise_std > 0) adds it to a copy of those weights once per read call, shared by the
// samples of the batch: one Gaussian per device and a pass over W per read.
//
// Evaluation reads (set_eval_reads(true): the training loop's test-set evaluations) draw their
// noise from their own stream and event counter, so evaluating never moves the noise that
// training's reads see.
//
// Unit cell (the `cell:` section, hw_models/cells/): the devices at a cross-point and how they
// make W: `single` (the default), the pairs `one_sided` and `differential` (with refresh),
// `reference` and `vector`. The tile keeps one device array per device of the cell, applies
// the pulses the cell routes to each, and runs the cell's refresh as an operation of its own
// (TileOp::refresh: reads through the periphery, resets and rewrite pulses).
//
// Randomness: device k is fabricated from (seed, fabrication, tile_id) at lane k; its cycle
// noise comes from (stream seed, cycle, unit, update event, row) with unit = tile_id for
// k < 2 (event 3e + k) and tile_id | k·2^26 for k ≥ 2; pulse trains from the same stream at
// event 3e + 2; read noise from (stream seed, read or eval_read, tile_id, read event, sample)
// and device k's own read noise from unit tile_id | 2^31 (| 2^30 for k = 1, | k·2^26 for
// k ≥ 2). Programming resets, refresh reads and a random update policy's choices have their
// own units (tile.cpp). fork(k) keeps the device state and draws a new stream seed from
// (stream seed, k), so forks share fabrication and differ in cycle and read noise. Results do
// not depend on the thread count (xb::set_threads).
//
// Copying a Tile copies its state, the scheme's state included (a value type); the device
// model is shared and stateless.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "hw_models/core/params.h"
#include "hw_models/cells/unit_cell.h"
#include "hw_models/core/rng.h"
#include "hw_models/crossbar/line_probe.h"
#include "hw_models/crossbar/timing_hook.h"
#include "hw_models/devices/device_model.h"
#include "hw_models/periphery/periphery.h"
#include "hw_models/update/update_scheme.h"

namespace xb::hw {

struct TileParams {
  double w_init = 0.0;
  int max_rows = 0;
  int max_cols = 0;

  template <class F>
  void bind(F&& f) {
    f("w_init", w_init, "1", "weight every cross-point starts at before set_weights");
    f("max_rows", max_rows, "",
      "output lines of one physical array (aihwkit's max_output_size); a layer with more is "
      "split over several tiles, partial sums added digitally (0: no limit)");
    f("max_cols", max_cols, "",
      "input lines of one physical array (aihwkit's max_input_size); as max_rows (0: no "
      "limit)");
  }
  static std::vector<std::pair<std::string, std::string>> not_used() {
    return {{"w_init", "every experiment programs its initial weights (set_weights); only a "
                       "Python Tile starts at w_init"}};
  }
  void validate(const Scope& s) const;
};

// Periphery counters, cumulative since construction (forks inherit them).
struct ReadStats {
  uint64_t reads = 0;          // samples read (forward + backward)
  uint64_t saturations = 0;    // outputs that hit ±out_bound on their final read
  uint64_t bm_rereads = 0;     // extra reads done by bound management (per sample)
  uint64_t input_clips = 0;    // inputs clipped at ±inp_bound
};

class Tile {
 public:
  // `scheme` is the tile's update engine; null means the `ideal` scheme. `cell` is its unit
  // cell; null means `single`.
  Tile(const TileParams& tp, const PeripheryParams& pp, std::shared_ptr<const DeviceModel> device,
       Index out_size, Index in_size, uint64_t seed, uint32_t tile_id,
       std::unique_ptr<UpdateScheme> scheme = nullptr,
       std::shared_ptr<const UnitCell> cell = nullptr);
  // Reads and validates `tile:` and `periphery:` and the `cell:` section of the same config
  // (any may be absent: defaults).
  Tile(const Scope& tile, const Scope& periphery, std::shared_ptr<const DeviceModel> device,
       Index out_size, Index in_size, uint64_t seed, uint32_t tile_id,
       std::unique_ptr<UpdateScheme> scheme = nullptr);
  Index out_size() const { return out_; }
  Index in_size() const { return in_; }
  uint32_t id() const { return id_; }

  // Programs the devices to W (clipped to what the cell can represent); no pulses counted.
  // Cells of several devices reset them first (UnitCell::resets_on_program). The scheme
  // forgets state that referred to the old weights.
  void set_weights(const Matrix& w);
  // Current weights as a read sees them before read noise (device read_weights + cell).
  const Matrix& weights() const;

  // Y = W X and Z = Wᵀ D through the periphery. X: in_size x B, D: out_size x B.
  void forward(const Eigen::Ref<const BatchMatrix>& x, BatchMatrix& y);
  void backward(const Eigen::Ref<const BatchMatrix>& d, BatchMatrix& z);
  // From now on, reads are evaluation reads (true) or training reads (false, the start).
  // Evaluation reads are keyed by `key` (the training step) and their order after this call,
  // so an evaluation at a step draws the same noise however many came before it.
  void set_eval_reads(bool eval, uint64_t key = 0) {
    eval_reads_ = eval;
    eval_read_event_ = key << 24;
  }

  // Writes the request through the tile's scheme, then runs the scheme's transfer and the
  // cell's refresh when they are due (the report's pulse counts and `realised` include both).
  UpdateReport update(const UpdateRequest& request);

  // A copy with the same devices, weights and scheme state whose cycle and read streams are
  // re-keyed by k.
  Tile fork(uint32_t k) const;

  // Effects between updates (device lifetime decay, diffusion, drift), see DeviceModel::advance.
  void advance(double batches, double seconds);

  // What a checkpoint keeps of the tile under `prefix`: device weights and ages, event
  // counters, read statistics and the scheme's state. load_state restores it into a tile built
  // from the same config and seed (fabrication is redrawn, not stored).
  void save_state(StateMap& s, const std::string& prefix) const;
  void load_state(const StateMap& s, const std::string& prefix);

  // Optional observer of forward/backward/update (timing_hook.h): the pulse/energy ledger and
  // the SystemC timing shell. Null (the default) costs one branch. Not owned; fork() drops it.
  void set_timing_hook(TimingHook* hook) { hook_ = hook; }
  TimingHook* timing_hook() const { return hook_; }
  // Optional record of a window of lines (line_probe.h: pulse trains, per-cell pulses,
  // converter values), cleared at the start of every operation; the window is clipped to the
  // tile. Not owned; fork() drops it.
  void set_line_probe(LineProbe* probe);
  LineProbe* line_probe() const { return probe_; }

  const ReadStats& read_stats() const { return stats_; }
  const TileParams& tile_params() const { return tp_; }
  const Periphery& periphery() const { return periphery_; }
  const UpdateScheme& scheme() const { return *scheme_; }
  const DeviceModel& device() const { return *device_; }
  const UnitCell& cell() const { return *cell_; }
  // The shared models and the master seed, for arrays built beside this one (a transfer
  // scheme's fast array).
  std::shared_ptr<const DeviceModel> device_model() const { return device_; }
  std::shared_ptr<const UnitCell> cell_model() const { return cell_; }
  uint64_t seed() const { return seed_; }
  // Devices per cross-point and their states: [0] = the single device, or G+; [1] = G−, ...
  int devices() const { return int(cells_.dev.size()); }
  const DeviceState& device_state(int k = 0) const { return cells_.dev[size_t(k)]; }
  // Refresh checks done so far (cells with refresh).
  uint64_t refreshes() const { return cells_.refreshes; }

  // ---- hooks for update schemes (hw_models/update/) ----
  // Weight change of one pulse at the symmetry point, in weight units.
  double dw_min() const;
  // Applies signed pulse counts (positive = increase W) built row block by row block:
  // fill(n, row0, row1) writes the counts of rows [row0, row1) into n, a (row1 − row0) x in_size
  // block (n.row(0) is row0), then the tile applies them through the device(s); row blocks run
  // in parallel. Adds the pulses to report.pulses_up/down. One call = one update event (its own cycle noise).
  void apply_pulses(const std::function<void(PulseArray&, Index, Index)>& fill,
                    UpdateReport& report);
  // Adds ΔW exactly (the `ideal` scheme): reprograms the devices, no pulses, no device physics.
  void write_delta(const Matrix& dw);
  // A stream for a scheme's own draws (pulse trains) of the update the next apply_pulses call
  // will apply, keyed by that event and `lane`. Take it before calling apply_pulses.
  Rng scheme_rng(uint32_t lane) const;
  // The first per_lane numbers of the scheme streams of `count` lanes (lane k's at
  // out[k·per_lane]): scheme_rng(lanes[k]).fill_bits, with short lanes (pulse trains of BL
  // numbers) sharing SIMD Philox calls.
  void scheme_bits(const uint32_t* lanes, Index count, Index per_lane, uint32_t* out) const;

 private:
  void refresh_weights() const;
  // Programs W exactly onto the devices (set_weights: after a reset of every device when the
  // cell asks for one; write_delta: in place).
  void program(const Matrix& w, bool reset);
  // Runs `kernel` (one operation `op`) through the timing hook when there is one; its cost.
  OpCost run_op(TileOp op, const std::function<OpCost()>& kernel);
  // The cell's refresh: reads, resets and rewrite pulses (pair_cell.h).
  OpCost refresh();
  // The cycle stream and event of device k in update event e.
  Rng device_cycle(int k) const;
  uint64_t device_event(int k, uint64_t e) const;
  // The event of the scheme streams (scheme_rng, scheme_bits) of the next update.
  uint64_t scheme_event() const;
  // The weights one read sees: weights() plus the device's read noise of read `event`.
  Matrix noisy_weights(Stream stream, uint64_t event) const;
  OpCost read(const Eigen::Ref<const BatchMatrix>& x, BatchMatrix& y, bool transposed);
  OpCost write(const UpdateRequest& request, UpdateReport& report);

  TileParams tp_;
  Periphery periphery_;
  OwnedScheme scheme_;  // cloned with the tile
  std::shared_ptr<const DeviceModel> device_;
  Index out_ = 0, in_ = 0;
  uint64_t seed_ = 0;         // master seed (fabrication)
  uint64_t stream_seed_ = 0;  // cycle/read key; re-keyed by fork
  uint32_t id_ = 0;
  std::shared_ptr<const UnitCell> cell_;
  CellState cells_;
  uint64_t update_event_ = 0, read_event_ = 0, eval_read_event_ = 0, programs_ = 0;
  bool eval_reads_ = false;
  ReadStats stats_;
  mutable Matrix w_;                // cached weights()
  mutable bool w_dirty_ = true;
  TimingHook* hook_ = nullptr;  // see set_timing_hook
  LineProbe* probe_ = nullptr;  // see set_line_probe
};

// Slots of a pulse-count write done row after row with the columns of a row in parallel:
// ceil(pulses / in_size), a lower bound (pulse_count, mixed_precision and dense writes).
inline uint64_t row_serial_slots(const UpdateReport& r, const Tile& t) {
  const uint64_t pulses = r.pulses_up + r.pulses_down, n = uint64_t(t.in_size());
  return (pulses + n - 1) / n;
}

}  // namespace xb::hw
