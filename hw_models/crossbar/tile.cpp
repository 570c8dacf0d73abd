// SPDX-License-Identifier: MIT
#include "hw_models/crossbar/tile.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <vector>

#include "hw_models/core/parallel.h"
#include "hw_models/update/ideal.h"

namespace xb::hw {

namespace {

// Events of one update e on the cycle stream: G+ (or the single device) at 3e, G− at 3e+1,
// the scheme's own draws (pulse trains) at 3e+2.
constexpr uint64_t kEventsPerUpdate = 3;

void check_shape(const char* what, Index rows, Index cols, Index want_rows, Index want_cols) {
  if (rows != want_rows || (want_cols >= 0 && cols != want_cols))
    throw std::invalid_argument(std::string("Tile: ") + what + " has shape " +
                                std::to_string(rows) + "x" + std::to_string(cols) + ", expected " +
                                std::to_string(want_rows) + "x" +
                                (want_cols >= 0 ? std::to_string(want_cols) : std::string("B")));
}

}  // namespace

void TileParams::validate(const Scope& s) const {
  s.require_one_of("mapping", mapping, {"single", "differential"});
  s.require_gt("w_max", w_max, 0.0);
  s.require(std::isfinite(w_init), "w_init", w_init, "must be finite");
}

Tile::Tile(const TileParams& tp, const PeripheryParams& pp,
           std::shared_ptr<const DeviceModel> device, Index out_size, Index in_size, uint64_t seed,
           uint32_t tile_id, std::unique_ptr<UpdateScheme> scheme)
    : tp_(tp), periphery_(pp), scheme_(std::move(scheme)), device_(std::move(device)),
      out_(out_size), in_(in_size), seed_(seed), stream_seed_(seed), id_(tile_id) {
  if (!device_) throw std::invalid_argument("Tile: no device model");
  if (!scheme_) scheme_ = OwnedScheme(std::make_unique<IdealScheme>(IdealSchemeParams{}));
  if (out_ < 1 || in_ < 1) throw std::invalid_argument("Tile: sizes must be >= 1");
  differential_ = tp_.mapping == "differential";
  g_min_ = device_->nominal_w_min();
  g_max_ = device_->nominal_w_max();
  const Rng fab(seed_, Stream::fabrication, id_);
  if (!differential_) {
    Rng f = fab.at(0, 0);
    plus_ = device_->fabricate(out_, in_, tp_.w_init, f);
  } else {
    Rng fp = fab.at(0, 0), fm = fab.at(0, 1);
    plus_ = device_->fabricate(out_, in_, g_min_, fp);
    minus_ = device_->fabricate(out_, in_, g_min_, fm);
    if (tp_.w_init != 0.0) set_weights(Matrix::Constant(out_, in_, Scalar(tp_.w_init)));
  }
  w_dirty_ = true;
}

Tile::Tile(const Scope& tile, const Scope& periphery, std::shared_ptr<const DeviceModel> device,
           Index out_size, Index in_size, uint64_t seed, uint32_t tile_id,
           std::unique_ptr<UpdateScheme> scheme)
    : Tile(read_params<TileParams>(tile), read_params<PeripheryParams>(periphery),
           std::move(device), out_size, in_size, seed, tile_id, std::move(scheme)) {}

double Tile::dw_min() const {
  const double g = device_->granularity();
  return differential_ ? g * tp_.w_max / (g_max_ - g_min_) : g;
}

void Tile::set_weights(const Matrix& w) {
  check_shape("set_weights(W)", w.rows(), w.cols(), out_, in_);
  scheme_->reset();  // pending scheme state referred to the old weights
  auto program = [](DeviceState& s, const Array& target) {
    s.w = target.max(s.w_min).min(s.w_max);
    if (s.w_apparent.size()) s.w_apparent = s.w;
    s.age_s = 0;  // drift counts from programming
  };
  if (!differential_) {
    program(plus_, w.array());
  } else {
    const Scalar s = Scalar((g_max_ - g_min_) / tp_.w_max);
    const Scalar g0 = Scalar(g_min_);
    program(plus_, g0 + w.array().max(Scalar(0)) * s);
    program(minus_, g0 + (-w.array()).max(Scalar(0)) * s);
  }
  w_dirty_ = true;
}

void Tile::refresh_weights() const {
  if (!w_dirty_) return;
  Array a;
  device_->read_weights(plus_, a);
  if (!differential_) {
    w_ = a.matrix();
  } else {
    Array b;
    device_->read_weights(minus_, b);
    w_ = ((a - b) * Scalar(tp_.w_max / (g_max_ - g_min_))).matrix();
  }
  w_dirty_ = false;
}

const Matrix& Tile::weights() const {
  refresh_weights();
  return w_;
}

void Tile::forward(const Eigen::Ref<const BatchMatrix>& x, BatchMatrix& y) {
  check_shape("forward input X", x.rows(), x.cols(), in_, -1);
  if (hook_)
    hook_->run(*this, TileOp::forward, [&] { return read(x, y, false); });
  else
    read(x, y, false);
}

void Tile::backward(const Eigen::Ref<const BatchMatrix>& d, BatchMatrix& z) {
  check_shape("backward input D", d.rows(), d.cols(), out_, -1);
  if (hook_)
    hook_->run(*this, TileOp::backward, [&] { return read(d, z, true); });
  else
    read(d, z, true);
}

Matrix Tile::noisy_weights(Stream stream, uint64_t event) const {
  const uint32_t unit = id_ | 0x80000000u;
  Array a = weights().array();
  if (!differential_) {
    device_->add_read_noise(plus_, a, Rng(stream_seed_, stream, unit), event);
    return a.matrix();
  }
  // Each device of a pair has its own noise, in conductance units.
  Array b;
  device_->read_weights(plus_, a);
  device_->read_weights(minus_, b);
  device_->add_read_noise(plus_, a, Rng(stream_seed_, stream, unit), event);
  device_->add_read_noise(minus_, b, Rng(stream_seed_, stream, unit | 0x40000000u), event);
  return ((a - b) * Scalar(tp_.w_max / (g_max_ - g_min_))).matrix();
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
  auto mvm = [&](const Eigen::Ref<const BatchMatrix>& xs, BatchMatrix& out) {
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
  const ReadCounts c = periphery_.read(AnalogArray{w, transposed, mvm}, x, y,
                                       Rng(stream_seed_, stream, id_), event);
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
  if (hook_)
    hook_->run(*this, TileOp::update, [&] { return write(req, rep); });
  else
    write(req, rep);
  return rep;
}

OpCost Tile::write(const UpdateRequest& req, UpdateReport& rep) {
  Matrix before;
  if (req.report_dw) {
    before = weights();
    rep.intended = dense_delta(req);
  }
  scheme_->apply(*this, req, rep);
  if (req.report_dw) rep.realised = weights() - before;
  OpCost cost;
  cost.op = TileOp::update;
  cost.pulses_up = rep.pulses_up;
  cost.pulses_down = rep.pulses_down;
  cost.write_slots = rep.write_slots;
  return cost;
}

Rng Tile::scheme_rng(uint32_t lane) const {
  return Rng(stream_seed_, Stream::cycle, id_).at(kEventsPerUpdate * update_event_ + 2, lane);
}

void Tile::apply_pulses(const std::function<void(PulseArray&, Index, Index)>& fill,
                        UpdateReport& report) {
  const uint64_t e = update_event_++;
  std::vector<uint64_t> up(size_t(out_), 0), down(size_t(out_), 0);
  const Rng cycle(stream_seed_, Stream::cycle, id_);
  // Row blocks of ~16 KB of counts (at least 4 rows): the scheme writes a block's counts into a
  // per-thread buffer that stays in L1 while the device reads it, so no out x in count array
  // ever goes through memory (at 2048², that was 16 MB written and read back per update). The
  // block depends on the shape only; every row draws from its own stream, so results do not
  // depend on it.
  const Index block = std::clamp<Index>(4096 / std::max<Index>(1, in_), 4, 32);
  parallel_rows(out_, [&](Index r0, Index r1) {
    thread_local PulseArray counts, counts_minus;
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
    if (!differential_) {
      device_->apply_pulses(plus_, counts, cycle, kEventsPerUpdate * e, r0);
    } else {
      // Positive pulses potentiate G+, negative ones potentiate G− (tile.h).
      counts_minus = (-counts).max(0);
      counts = counts.max(0);
      device_->apply_pulses(plus_, counts, cycle, kEventsPerUpdate * e, r0);
      device_->apply_pulses(minus_, counts_minus, cycle, kEventsPerUpdate * e + 1, r0);
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
  set_weights(target);
  ++update_event_;
}

void Tile::advance(double batches, double seconds) {
  const uint64_t e = update_event_++;
  const Rng cycle(stream_seed_, Stream::cycle, id_);
  device_->advance(plus_, batches, seconds, cycle, kEventsPerUpdate * e);
  if (differential_) device_->advance(minus_, batches, seconds, cycle, kEventsPerUpdate * e + 1);
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

void load_device(DeviceState& d, const StateMap& s, const std::string& p) {
  d.w = s.array(p + "w", d.rows(), d.cols());
  if (d.w_apparent.size()) d.w_apparent = s.array(p + "w_apparent", d.rows(), d.cols());
  for (std::size_t k = 0; k < d.extra.size(); ++k)
    d.extra[k] = s.array(p + "extra" + std::to_string(k), d.extra[k].rows(), d.extra[k].cols());
  d.age_s = s.number(p + "age_s");
}

}  // namespace

void Tile::save_state(StateMap& s, const std::string& prefix) const {
  save_device(plus_, s, prefix + "plus.");
  if (differential_) save_device(minus_, s, prefix + "minus.");
  s.numbers[prefix + "update_event"] = double(update_event_);
  s.numbers[prefix + "read_event"] = double(read_event_);
  s.numbers[prefix + "reads"] = double(stats_.reads);
  s.numbers[prefix + "saturations"] = double(stats_.saturations);
  s.numbers[prefix + "bm_rereads"] = double(stats_.bm_rereads);
  s.numbers[prefix + "input_clips"] = double(stats_.input_clips);
  scheme_->save_state(s, prefix + "scheme.");
}

void Tile::load_state(const StateMap& s, const std::string& prefix) {
  load_device(plus_, s, prefix + "plus.");
  if (differential_) load_device(minus_, s, prefix + "minus.");
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
  t.stream_seed_ = mix64(stream_seed_ ^ mix64(0x666F726BULL + k));
  return t;
}

}  // namespace xb::hw
