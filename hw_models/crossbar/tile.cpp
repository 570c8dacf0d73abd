// SPDX-License-Identifier: MIT
#include "hw_models/crossbar/tile.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <vector>

#include "hw_models/cells/single.h"
#include "hw_models/core/errors.h"
#include "hw_models/core/parallel.h"
#include "hw_models/update/ideal.h"

namespace xb::hw {

namespace {

// Events of one update e on the cycle stream: device 0 (the single device, or G+) at 3e,
// device 1 (G−) at 3e+1, the scheme's own draws (pulse trains) at 3e+2; devices k ≥ 2 of a
// cell at 3e on a unit of their own.
constexpr uint64_t kEventsPerUpdate = 3;

// Units of the tile's other draws, or'ed with the tile id (which stays below 2^24).
constexpr uint32_t kDeviceReadUnit = 0x80000000u;  // device read noise (tile.h)
constexpr uint32_t kProgramUnit = 0x40000000u;     // resets before programming (cycle stream)
constexpr uint32_t kChoiceUnit = 0x20000000u;      // a random update policy's choices
constexpr uint32_t kRefreshUnit = 0x10000000u;     // refresh reads (read stream)

uint32_t device_unit(int k) { return uint32_t(k) << 26; }

// The unit of device k's own read noise: 2^31 for device 0, 2^31 + 2^30 for device 1 (the
// units of G+ and G− before cells existed), 2^31 + k·2^26 beyond.
uint32_t device_read_unit(int k) {
  return kDeviceReadUnit | (k == 1 ? 0x40000000u : device_unit(k));
}

void check_shape(const char* what, Index rows, Index cols, Index want_rows, Index want_cols) {
  if (rows != want_rows || (want_cols >= 0 && cols != want_cols))
    throw std::invalid_argument(std::string("Tile: ") + what + " has shape " +
                                std::to_string(rows) + "x" + std::to_string(cols) + ", expected " +
                                std::to_string(want_rows) + "x" +
                                (want_cols >= 0 ? std::to_string(want_cols) : std::string("B")));
}

}  // namespace

void TileParams::validate(const Scope& s) const {
  s.require(std::isfinite(w_init), "w_init", w_init, "must be finite");
  s.require_in("max_rows", max_rows, 0, 1 << 20);
  s.require_in("max_cols", max_cols, 0, 1 << 20);
}

Tile::Tile(const TileParams& tp, const PeripheryParams& pp,
           std::shared_ptr<const DeviceModel> device, Index out_size, Index in_size, uint64_t seed,
           uint32_t tile_id, std::unique_ptr<UpdateScheme> scheme,
           std::shared_ptr<const UnitCell> cell)
    : tp_(tp), periphery_(pp), scheme_(std::move(scheme)), device_(std::move(device)),
      out_(out_size), in_(in_size), seed_(seed), stream_seed_(seed), id_(tile_id),
      cell_(std::move(cell)) {
  if (!device_) throw std::invalid_argument("Tile: no device model");
  if (!scheme_) scheme_ = OwnedScheme(std::make_unique<IdealScheme>(IdealSchemeParams{}));
  if (!cell_) cell_ = std::make_shared<SingleCell>(SingleCellParams{});
  if (out_ < 1 || in_ < 1) throw std::invalid_argument("Tile: sizes must be >= 1");
  if (id_ >= (1u << 24)) throw std::invalid_argument("Tile: tile ids must be below 2^24");
  const Rng fab(seed_, Stream::fabrication, id_);
  const int k_devices = cell_->devices();
  cells_.dev.resize(size_t(k_devices));
  for (int k = 0; k < k_devices; ++k) {
    Rng f = fab.at(0, uint32_t(k));
    cells_.dev[size_t(k)] =
        device_->fabricate(out_, in_, cell_->fabricated_weight(k, *device_, tp_.w_init), f);
  }
  Rng fc = fab.at(0, uint32_t(kMaxCellDevices));
  cell_->prepare(cells_, *device_, fc);
  scheme_->attach(*this);
  if (k_devices > 1 && tp_.w_init != 0.0)
    set_weights(Matrix::Constant(out_, in_, Scalar(tp_.w_init)));
  w_dirty_ = true;
}

Tile::Tile(const Scope& tile, const Scope& periphery, std::shared_ptr<const DeviceModel> device,
           Index out_size, Index in_size, uint64_t seed, uint32_t tile_id,
           std::unique_ptr<UpdateScheme> scheme)
    : Tile(read_params<TileParams>(tile), read_params<PeripheryParams>(periphery),
           std::move(device), out_size, in_size, seed, tile_id, std::move(scheme),
           std::shared_ptr<const UnitCell>(
               cell_registry().create(Scope(tile.config(), "cell"), "single"))) {}

double Tile::dw_min() const { return cell_->dw_min(cells_, *device_); }

Rng Tile::device_cycle(int k) const {
  return Rng(stream_seed_, Stream::cycle, id_ | (k < 2 ? 0u : device_unit(k)));
}

uint64_t Tile::device_event(int k, uint64_t e) const {
  return kEventsPerUpdate * e + (k == 1 ? 1 : 0);
}

void Tile::set_weights(const Matrix& w) {
  check_shape("set_weights(W)", w.rows(), w.cols(), out_, in_);
  program(w, true);
}

void Tile::program(const Matrix& w, bool reset) {
  scheme_->reset();  // pending scheme state referred to the old weights
  if (reset && cell_->resets_on_program()) {
    // Programming starts from a reset of every device (the device's reset, reset_dtod and
    // reset_std), on a stream of its own keyed by the programming count.
    const Rng r(stream_seed_, Stream::cycle, id_ | kProgramUnit);
    const uint64_t e = programs_++;
    for (int k = 0; k < devices(); ++k)
      device_->reset(cells_.dev[size_t(k)], r, e * kMaxCellDevices + uint64_t(k), 0, out_);
  }
  cell_->program(cells_, w.array(), *device_);
  for (DeviceState& d : cells_.dev) {
    if (d.w_apparent.size()) d.w_apparent = d.w;
    d.age_s = 0;  // drift counts from programming
  }
  w_dirty_ = true;
}

void Tile::refresh_weights() const {
  if (!w_dirty_) return;
  if (devices() == 1) {
    Array a;
    device_->read_weights(cells_.dev[0], a);
    w_ = a.matrix();
  } else {
    std::vector<Array> g(static_cast<size_t>(devices()));
    for (int k = 0; k < devices(); ++k) device_->read_weights(cells_.dev[size_t(k)], g[size_t(k)]);
    Array a;
    cell_->combine(g, *device_, a);
    w_ = a.matrix();
  }
  scheme_->add_read_part(w_);
  w_dirty_ = false;
}

const Matrix& Tile::weights() const {
  refresh_weights();
  return w_;
}

void Tile::forward(const Eigen::Ref<const BatchMatrix>& x, BatchMatrix& y) {
  check_shape("forward input X", x.rows(), x.cols(), in_, -1);
  run_op(TileOp::forward, [&] { return read(x, y, false); });
}

void Tile::backward(const Eigen::Ref<const BatchMatrix>& d, BatchMatrix& z) {
  check_shape("backward input D", d.rows(), d.cols(), out_, -1);
  run_op(TileOp::backward, [&] { return read(d, z, true); });
}

Matrix Tile::noisy_weights(Stream stream, uint64_t event) const {
  if (devices() == 1) {
    Array a = weights().array();
    device_->add_read_noise(cells_.dev[0], a, Rng(stream_seed_, stream, id_ | device_read_unit(0)),
                            event);
    return a.matrix();
  }
  // Each device of a cell has its own noise, in device units.
  std::vector<Array> g(static_cast<size_t>(devices()));
  for (int k = 0; k < devices(); ++k) {
    const DeviceState& d = cells_.dev[size_t(k)];
    device_->read_weights(d, g[size_t(k)]);
    device_->add_read_noise(d, g[size_t(k)], Rng(stream_seed_, stream, id_ | device_read_unit(k)),
                            event);
  }
  Array a;
  cell_->combine(g, *device_, a);
  Matrix w = a.matrix();
  scheme_->add_read_part(w);
  return w;
}

OpCost Tile::read(const Eigen::Ref<const BatchMatrix>& x, BatchMatrix& y, bool transposed) {
  const Stream stream = eval_reads_ ? Stream::eval_read : Stream::read;
  const uint64_t event = eval_reads_ ? eval_read_event_++ : read_event_++;
  const bool device_noise = device_->has_read_noise();
  const Matrix noisy = device_noise ? noisy_weights(stream, event) : Matrix();
  const Matrix& w = device_noise ? noisy : weights();
  const Index n_out = transposed ? in_ : out_;
  const Index n_in = transposed ? out_ : in_;
  // y.rows [r0, r1) = (W or Wᵀ) xs, parallel over output rows.
  auto mvm = [&](const Eigen::Ref<const BatchMatrix>& xs, Eigen::Ref<BatchMatrix> out) {
    // Blocks of at least ~2^18 multiply-adds, so that small reads stay on one thread (waking a
    // worker costs more than they do), and at most 8 blocks: every block of a batched read
    // packs the whole input batch again (Eigen's GEMM), so smaller blocks cost more than they
    // balance. The block depends on the shape only, never on threads().
    const Index per_row = std::max<Index>(1, n_in * xs.cols());
    const Index block = std::max({Index(64), ((Index(1) << 18) / per_row + 15) / 16 * 16,
                                  ((n_out + 7) / 8 + 15) / 16 * 16});
    parallel_rows(n_out, [&](Index r0, Index r1) {
      if (!transposed)
        out.middleRows(r0, r1 - r0).noalias() = w.middleRows(r0, r1 - r0) * xs;
      else
        out.middleRows(r0, r1 - r0).noalias() = w.middleCols(r0, r1 - r0).transpose() * xs;
    }, block);
  };
  ConversionWindow window;
  if (probe_) {
    const LineWindow& lw = probe_->window;
    probe_->transposed = transposed;
    window = transposed ? ConversionWindow{lw.r0, lw.r1, lw.c0, lw.c1, &probe_->passes}
                        : ConversionWindow{lw.c0, lw.c1, lw.r0, lw.r1, &probe_->passes};
  }
  const ReadCounts c = periphery_.read(AnalogArray{w, transposed, mvm}, x, y,
                                       Rng(stream_seed_, stream, id_), event,
                                       probe_ ? &window : nullptr);
  const uint64_t samples = uint64_t(x.cols());
  stats_.reads += samples;
  stats_.bm_rereads += c.passes - samples;
  stats_.saturations += c.saturations;
  stats_.input_clips += c.input_clips;
  OpCost cost;
  cost.op = transposed ? TileOp::backward : TileOp::forward;
  cost.read_passes = c.passes;
  cost.lines_in = n_in;
  cost.lines_out = n_out;
  cost.adc_saturations = c.saturations;
  return cost;
}

UpdateReport Tile::update(const UpdateRequest& req) {
  if (req.dw) check_shape("update dW", req.dw->rows(), req.dw->cols(), out_, in_);
  if (req.x || req.d) {
    if (!req.has_factors()) throw std::invalid_argument("Tile::update: x and d must both be set");
    check_shape("update X", req.x->rows(), req.x->cols(), in_, -1);
    check_shape("update D", req.d->rows(), req.d->cols(), out_, req.x->cols());
  }
  if (!req.dw && !req.has_factors())
    throw std::invalid_argument("Tile::update: request has neither dw nor factors");
  UpdateReport rep;
  Matrix before;
  if (req.report_dw) {
    before = weights();
    rep.intended = dense_delta(req);
  }
  run_op(TileOp::update, [&] { return write(req, rep); });
  // A transfer and a refresh are operations of their own; the report counts their pulses.
  auto count = [&](const OpCost& c) {
    rep.pulses_up += c.pulses_up;
    rep.pulses_down += c.pulses_down;
  };
  if (scheme_->transfer_due())
    count(run_op(TileOp::transfer, [&] { return scheme_->transfer(*this); }));
  Rng choice = Rng(stream_seed_, Stream::cycle, id_ | kChoiceUnit).at(update_event_);
  cell_->after_update(cells_, req.x ? uint64_t(req.x->cols()) : 1, choice);
  if (cell_->refresh_due(cells_)) count(run_op(TileOp::refresh, [&] { return refresh(); }));
  if (req.report_dw) rep.realised = weights() - before;
  return rep;
}

void Tile::set_line_probe(LineProbe* probe) {
  probe_ = probe;
  if (!probe_) return;
  LineWindow& w = probe_->window;
  w.r1 = std::clamp<Index>(w.r1, 0, out_);
  w.r0 = std::clamp<Index>(w.r0, 0, w.r1);
  w.c1 = std::clamp<Index>(w.c1, 0, in_);
  w.c0 = std::clamp<Index>(w.c0, 0, w.c1);
  probe_->clear();
}

OpCost Tile::run_op(TileOp op, const std::function<OpCost()>& kernel) {
  if (probe_) probe_->clear();
  if (!hook_) return kernel();
  OpCost cost;
  hook_->run(*this, op, [&] { return cost = kernel(); });
  return cost;
}

OpCost Tile::refresh() {
  cells_.since_refresh = 0;
  const uint64_t event = cells_.refreshes++;
  OpCost cost;
  cost.op = TileOp::refresh;
  cost.lines_in = in_;
  cost.lines_out = out_;
  // Read every device array through the periphery, a column per pass (one-hot inputs), in
  // batches of up to 256 columns (read events event·2^20 + batch): the product skips the zero
  // inputs, so a read costs a pass over the array, not in_size GEMVs.
  constexpr Index kColumns = 256;
  std::vector<Array> g(static_cast<size_t>(devices()));
  for (int k = 0; k < devices(); ++k) {
    const DeviceState& d = cells_.dev[size_t(k)];
    Array gk;
    device_->read_weights(d, gk);
    const uint32_t unit = id_ | kRefreshUnit | device_unit(k);
    device_->add_read_noise(d, gk, Rng(stream_seed_, Stream::read, unit | kDeviceReadUnit), event);
    const Matrix gm = gk.matrix();
    auto mvm = [&](const Eigen::Ref<const BatchMatrix>& xs, Eigen::Ref<BatchMatrix> y) {
      y.setZero();
      for (Index b = 0; b < xs.cols(); ++b)
        for (Index j = 0; j < xs.rows(); ++j)
          if (xs(j, b) != 0) y.col(b) += xs(j, b) * gm.col(j);
    };
    g[size_t(k)].resize(out_, in_);
    for (Index j0 = 0; j0 < in_; j0 += kColumns) {
      const Index nb = std::min(kColumns, in_ - j0);
      BatchMatrix e = BatchMatrix::Zero(in_, nb), y;
      for (Index b = 0; b < nb; ++b) e(j0 + b, b) = 1;
      const ReadCounts c = periphery_.read(AnalogArray{gm, false, mvm}, e, y,
                                           Rng(stream_seed_, Stream::read, unit),
                                           (event << 20) + uint64_t(j0 / kColumns));
      cost.read_passes += c.passes;
      cost.adc_saturations += c.saturations;
      g[size_t(k)].middleCols(j0, nb) = y.array();
    }
  }
  for (const Array& gk : g)
    if (!gk.allFinite())
      throw NumericalError("refresh: a read of tile " + std::to_string(id_) + " is not finite");
  RefreshPlan plan;
  cell_->refresh_plan(g, *device_, plan);
  // Reset the chosen cross-points of every device (one update event), then write them back
  // (another), both through the device model on the devices' own cycle streams.
  const uint64_t e_reset = update_event_++;
  for (int k = 0; k < devices(); ++k)
    device_->reset(cells_.dev[size_t(k)], device_cycle(k), device_event(k, e_reset), 0, out_,
                   &plan.mask);
  const uint64_t e_write = update_event_++;
  for (int k = 0; k < devices(); ++k) {
    const PulseArray& n = plan.pulses[size_t(k)];
    if (n.rows() == 0) continue;
    parallel_rows(out_, [&](Index r0, Index r1) {
      device_->apply_pulses(cells_.dev[size_t(k)], n.middleRows(r0, r1 - r0), device_cycle(k),
                            device_event(k, e_write), r0);
    }, 16);
    cost.pulses_up += uint64_t(n.max(0).cast<int64_t>().sum());
    cost.pulses_down += uint64_t((-n).max(0).cast<int64_t>().sum());
  }
  cost.refreshed = uint64_t((plan.mask != 0).count());
  // Rewritten row after row with the columns of a row in parallel (as row_serial_slots).
  cost.write_slots = (cost.pulses_up + cost.pulses_down + uint64_t(in_) - 1) / uint64_t(in_);
  w_dirty_ = true;
  return cost;
}

OpCost Tile::write(const UpdateRequest& req, UpdateReport& rep) {
  scheme_->apply(*this, req, rep);
  w_dirty_ = true;  // also when only the scheme's own arrays changed (they may be read)
  OpCost cost;
  cost.op = TileOp::update;
  cost.pulses_up = rep.pulses_up;
  cost.pulses_down = rep.pulses_down;
  cost.write_slots = rep.write_slots;
  return cost;
}

uint64_t Tile::scheme_event() const { return kEventsPerUpdate * update_event_ + 2; }

Rng Tile::scheme_rng(uint32_t lane) const {
  return Rng(stream_seed_, Stream::cycle, id_).at(scheme_event(), lane);
}

void Tile::scheme_bits(const uint32_t* lanes, Index count, Index per_lane, uint32_t* out) const {
  Rng(stream_seed_, Stream::cycle, id_)
      .fill_bits_lanes(scheme_event(), lanes, count, per_lane, out);
}

void Tile::apply_pulses(const std::function<void(PulseArray&, Index, Index)>& fill,
                        UpdateReport& report) {
  const uint64_t e = update_event_++;
  std::vector<uint64_t> up(size_t(out_), 0), down(size_t(out_), 0);
  const Rng cycle(stream_seed_, Stream::cycle, id_);
  // Row blocks: the scheme writes a block's counts into a per-thread buffer that stays in cache
  // while the device reads it, so no out x in count array ever goes through memory (at 2048²,
  // that was 16 MB written and read back per update). On one thread a block holds ~16 KB of
  // counts (at least 4 rows), which stay in L1. On more, blocks of up to 32 rows (≤ 256 KB, in
  // L2): with blocks of 4 rows the cheap laws (ideal) lost about a fifth of their two-thread
  // time, presumably to the claims and to the cache lines of per-row totals that two threads
  // share at block edges. Every row draws from its own stream, so results do not depend on
  // the block.
  const Index per_block = threads() > 1 ? 65536 : 4096;
  const Index block = std::clamp<Index>(per_block / std::max<Index>(1, in_), 4, 32);
  parallel_rows(out_, [&](Index r0, Index r1) {
    thread_local PulseArray counts;
    thread_local std::vector<PulseArray> routed;
    const Index n = r1 - r0;
    counts.resize(n, in_);
    fill(counts, r0, r1);
    for (Index i = 0; i < n; ++i) {
      const int32_t* row = &counts(i, 0);
      int64_t pos = 0, neg = 0;
      for (Index j = 0; j < in_; ++j) {
        const int64_t v = row[j];
        pos += v > 0 ? v : 0;
        neg += v < 0 ? -v : 0;
      }
      up[size_t(r0 + i)] = uint64_t(pos);
      down[size_t(r0 + i)] = uint64_t(neg);
    }
    if (probe_) {  // the window's rows of this block (each block its own rows: no race)
      const LineWindow& lw = probe_->window;
      for (Index r = std::max(r0, lw.r0); r < std::min(r1, lw.r1); ++r)
        for (Index c = lw.c0; c < lw.c1; ++c)
          probe_->pulses[std::size_t((r - lw.r0) * lw.cols() + (c - lw.c0))] += counts(r - r0, c);
    }
    if (cell_->routes_unchanged()) {
      device_->apply_pulses(cells_.dev[0], counts, cycle, kEventsPerUpdate * e, r0);
    } else {
      routed.resize(cells_.dev.size());
      cell_->route(cells_, counts, routed);
      for (int k = 0; k < devices(); ++k)
        if (routed[size_t(k)].rows() > 0)
          device_->apply_pulses(cells_.dev[size_t(k)], routed[size_t(k)], device_cycle(k),
                                device_event(k, e), r0);
    }
  }, block);
  for (Index r = 0; r < out_; ++r) {
    report.pulses_up += up[size_t(r)];
    report.pulses_down += down[size_t(r)];
  }
  w_dirty_ = true;
}

void Tile::write_delta(const Matrix& dw) {
  check_shape("write_delta dW", dw.rows(), dw.cols(), out_, in_);
  const Matrix target = weights() + dw;
  program(target, false);  // reprogrammed in place: no reset
  ++update_event_;
}

void Tile::advance(double batches, double seconds) {
  const uint64_t e = update_event_++;
  for (int k = 0; k < devices(); ++k)
    device_->advance(cells_.dev[size_t(k)], batches, seconds, device_cycle(k), device_event(k, e));
  scheme_->advance(batches, seconds);
  w_dirty_ = true;
}

namespace {

void save_device(const DeviceState& d, StateMap& s, const std::string& p) {
  s.arrays[p + "w"] = d.w;
  if (d.w_apparent.size()) s.arrays[p + "w_apparent"] = d.w_apparent;
  for (std::size_t k = 0; k < d.extra.size(); ++k)
    s.arrays[p + "extra" + std::to_string(k)] = d.extra[k];
  s.numbers[p + "age_s"] = d.age_s;
}

std::string device_key(int k) {
  return k == 0 ? "plus." : k == 1 ? "minus." : "dev" + std::to_string(k) + ".";
}

void load_device(DeviceState& d, const StateMap& s, const std::string& p) {
  d.w = s.array(p + "w", d.rows(), d.cols());
  if (d.w_apparent.size()) d.w_apparent = s.array(p + "w_apparent", d.rows(), d.cols());
  for (std::size_t k = 0; k < d.extra.size(); ++k)
    d.extra[k] = s.array(p + "extra" + std::to_string(k), d.extra[k].rows(), d.extra[k].cols());
  d.age_s = s.number(p + "age_s");
}

}  // namespace

void Tile::save_state(StateMap& s, const std::string& prefix) const {
  // Devices 0 and 1 keep the names of the single device and the pair ("plus.", "minus.").
  for (int k = 0; k < devices(); ++k) save_device(cells_.dev[size_t(k)], s, prefix + device_key(k));
  cell_->save_state(cells_, s, prefix + "cell.");
  s.numbers[prefix + "programs"] = double(programs_);
  s.numbers[prefix + "update_event"] = double(update_event_);
  s.numbers[prefix + "read_event"] = double(read_event_);
  s.numbers[prefix + "reads"] = double(stats_.reads);
  s.numbers[prefix + "saturations"] = double(stats_.saturations);
  s.numbers[prefix + "bm_rereads"] = double(stats_.bm_rereads);
  s.numbers[prefix + "input_clips"] = double(stats_.input_clips);
  scheme_->save_state(s, prefix + "scheme.");
}

void Tile::load_state(const StateMap& s, const std::string& prefix) {
  for (int k = 0; k < devices(); ++k) load_device(cells_.dev[size_t(k)], s, prefix + device_key(k));
  cell_->load_state(cells_, s, prefix + "cell.");
  programs_ = uint64_t(s.number(prefix + "programs"));
  update_event_ = uint64_t(s.number(prefix + "update_event"));
  read_event_ = uint64_t(s.number(prefix + "read_event"));
  stats_.reads = uint64_t(s.number(prefix + "reads"));
  stats_.saturations = uint64_t(s.number(prefix + "saturations"));
  stats_.bm_rereads = uint64_t(s.number(prefix + "bm_rereads"));
  stats_.input_clips = uint64_t(s.number(prefix + "input_clips"));
  scheme_->load_state(s, prefix + "scheme.");
  w_dirty_ = true;
}

Tile Tile::fork(uint32_t k) const {
  Tile t(*this);
  t.hook_ = nullptr;  // a fork is a what-if copy: not timed, not in the ledger
  t.probe_ = nullptr;
  t.stream_seed_ = mix64(stream_seed_ ^ mix64(0x666F726BULL + k));
  t.scheme_->fork_streams(k);
  return t;
}

}  // namespace xb::hw
