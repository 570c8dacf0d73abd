// SPDX-License-Identifier: MIT
#include "hw_models/crossbar/tile.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <vector>

#include "hw_models/core/fast_normal.h"
#include "hw_models/core/parallel.h"

namespace xb::hw {

namespace {

uint64_t mix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

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

// Rounds to the nearest multiple of step, halves away from zero. Written as add-then-truncate
// through int32 (cvttps2dq) because Eigen's round() is scalar without SSE4.1; |m/step| stays
// far below 2^31 since quantisation is only on with a finite range.
void quantize(BatchMatrix& m, Scalar step) {
  const Scalar inv = Scalar(1) / step;
  Eigen::Map<Eigen::Array<Scalar, Eigen::Dynamic, 1>> a(m.data(), m.size());
  // (a >= 0) − 0.5 is +0.5 or −0.5.
  a = ((a * inv + ((a >= Scalar(0)).cast<Scalar>() - Scalar(0.5))).cast<int32_t>().cast<Scalar>()) *
      step;
}

}  // namespace

void TileParams::validate(const Scope& s) const {
  s.require_one_of("mapping", mapping, {"single", "differential"});
  s.require_gt("w_max", w_max, 0.0);
  s.require(std::isfinite(w_init), "w_init", w_init, "must be finite");
}

Tile::Tile(const TileParams& tp, const PeripheryParams& pp,
           std::shared_ptr<const DeviceModel> device, Index out_size, Index in_size, uint64_t seed,
           uint32_t tile_id)
    : tp_(tp), pp_(pp), device_(std::move(device)), out_(out_size), in_(in_size), seed_(seed),
      stream_seed_(seed), id_(tile_id) {
  if (!device_) throw std::invalid_argument("Tile: no device model");
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

namespace {
template <class P>
P read_or_default(const Scope& s) {
  return read_params<P>(s);
}
}  // namespace

Tile::Tile(const Scope& tile, const Scope& periphery, std::shared_ptr<const DeviceModel> device,
           Index out_size, Index in_size, uint64_t seed, uint32_t tile_id)
    : Tile(read_or_default<TileParams>(tile), read_or_default<PeripheryParams>(periphery),
           std::move(device), out_size, in_size, seed, tile_id) {}

double Tile::dw_min() const {
  const double g = device_->granularity();
  return differential_ ? g * tp_.w_max / (g_max_ - g_min_) : g;
}

void Tile::set_weights(const Matrix& w) {
  check_shape("set_weights(W)", w.rows(), w.cols(), out_, in_);
  accumulator_.resize(0, 0);  // pending digital updates referred to the old weights
  auto program = [](DeviceState& s, const Array& target) {
    s.w = target.max(s.w_min).min(s.w_max);
    if (s.w_apparent.size()) s.w_apparent = s.w;
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
  if (hook_) {
    hook_->run(*this, TileOp::forward, x.cols(), [&](TileOpResult&) { read(x, y, false); });
    return;
  }
  read(x, y, false);
}

void Tile::backward(const Eigen::Ref<const BatchMatrix>& d, BatchMatrix& z) {
  check_shape("backward input D", d.rows(), d.cols(), out_, -1);
  if (hook_) {
    hook_->run(*this, TileOp::backward, d.cols(), [&](TileOpResult&) { read(d, z, true); });
    return;
  }
  read(d, z, true);
}

// One read of a batch (aihwkit ONE_PASS forward with IOParameters, periphery.h): noise
// management, then per pass DAC -> MVM (+IR drop, +read noise) -> ADC, repeated with halved
// inputs for the columns that saturated (iterative bound management).
void Tile::read(const Eigen::Ref<const BatchMatrix>& x, BatchMatrix& y, bool transposed) {
  const Matrix& w = weights();
  const Index n_out = transposed ? in_ : out_;
  const Index n_in = transposed ? out_ : in_;
  const Index nb = x.cols();
  y.resize(n_out, nb);
  const uint64_t event = read_event_++;
  stats_.reads += uint64_t(nb);

  // y.rows [r0, r1) = (W or Wᵀ) xs, parallel over output rows.
  auto mvm = [&](const BatchMatrix& xs, BatchMatrix& out) {
    // Blocks of at least ~2^18 multiply-adds, so that small reads stay on one thread (waking a
    // worker costs more than they do); the block depends on the shape only, not on threads().
    const Index per_row = std::max<Index>(1, n_in * xs.cols());
    const Index block = std::max<Index>(64, ((Index(1) << 18) / per_row + 15) / 16 * 16);
    parallel_rows(n_out, [&](Index r0, Index r1) {
      if (!transposed)
        out.middleRows(r0, r1 - r0).noalias() = w.middleRows(r0, r1 - r0) * xs;
      else
        out.middleRows(r0, r1 - r0).noalias() = w.middleCols(r0, r1 - r0).transpose() * xs;
    }, block);
  };

  if (pp_.is_perfect) {
    mvm(x, y);
    return;
  }

  // Noise management: each sample scaled by its abs-max, undone after the ADC.
  Eigen::Array<Scalar, 1, Eigen::Dynamic> scale = Eigen::Array<Scalar, 1, Eigen::Dynamic>::Ones(nb);
  if (pp_.abs_max()) {
    scale = x.cwiseAbs().colwise().maxCoeff().array();
    scale = (scale > Scalar(0)).select(scale, Scalar(1));
  }
  BatchMatrix xs = x.array().rowwise() / scale;

  const Scalar ib = Scalar(pp_.inp_bound), ob = Scalar(pp_.out_bound);
  const Scalar in_step = Scalar(pp_.inp_res * 2 * pp_.inp_bound);
  const Scalar out_step = Scalar(pp_.out_res * 2 * pp_.out_bound);
  const Rng read_rng(stream_seed_, Stream::read, id_);
  Eigen::Array<Scalar, 1, Eigen::Dynamic> pos;  // IR drop: relative position along a line
  if (pp_.ir_drop > 0) pos = Eigen::Array<Scalar, 1, Eigen::Dynamic>::LinSpaced(n_in, 0, 1);

  // One pass over the columns of xin (already managed/scaled): writes yout, returns for each
  // column whether an output saturated. `lanes` gives each column's noise lane.
  BatchMatrix xq, yp;
  std::vector<Scalar> noise(static_cast<size_t>(n_out));
  auto pass = [&](const BatchMatrix& xin, const std::vector<uint32_t>& lanes, BatchMatrix& yout,
                  std::vector<uint32_t>& sat) {
    xq = xin;
    if (pp_.clip_in()) {
      stats_.input_clips += uint64_t((xq.array().abs() > ib).count());
      xq = xq.cwiseMax(-ib).cwiseMin(ib);
    }
    if (pp_.quantize_in()) quantize(xq, in_step);
    yout.resize(n_out, xq.cols());
    mvm(xq, yout);
    if (pp_.ir_drop > 0) {
      // First-order IR drop along each read line: the input of device j (of n on the line)
      // loses a fraction ir_drop·(j/n)·ā, ā = mean_j |W_ij x_j| the line's mean current.
      const Matrix wabs = w.cwiseAbs();
      const BatchMatrix xa = xq.cwiseAbs();
      const BatchMatrix xp = (xq.array().colwise() * pos.transpose()).matrix();
      BatchMatrix a, p;
      if (!transposed) {
        a.noalias() = wabs * xa;
        p.noalias() = w * xp;
      } else {
        a.noalias() = wabs.transpose() * xa;
        p.noalias() = w.transpose() * xp;
      }
      yout.array() -= Scalar(pp_.ir_drop) * (a.array() / Scalar(n_in)) * p.array();
    }
    // Additive output noise and weight read noise: Σ_j (w_ij + σ_w ξ_ij) x_j has the noise
    // σ_w |x|₂ ξ_i, so both are one Gaussian per output (O(out), no pass over W).
    if (pp_.out_noise > 0 || pp_.w_noise > 0) {
      for (Index b = 0; b < xq.cols(); ++b) {
        const double xn = pp_.w_noise > 0 ? double(xq.col(b).norm()) : 0.0;
        const Scalar sd = Scalar(std::sqrt(pp_.out_noise * pp_.out_noise +
                                           pp_.w_noise * pp_.w_noise * xn * xn));
        Rng r = read_rng.at(event, lanes[size_t(b)]);
        fill_normal_fast(r, noise.data(), n_out);
        yout.col(b).array() += sd * Eigen::Map<const Vector>(noise.data(), n_out).array();
      }
    }
    sat.assign(size_t(xq.cols()), 0);
    if (pp_.clip_out()) {
      for (Index b = 0; b < yout.cols(); ++b)
        sat[size_t(b)] = uint32_t((yout.col(b).array().abs() >= ob).count());
      yout = yout.cwiseMax(-ob).cwiseMin(ob);
    }
    if (pp_.quantize_out()) quantize(yout, out_step);
  };

  std::vector<uint32_t> lanes(static_cast<size_t>(nb));
  for (Index b = 0; b < nb; ++b) lanes[size_t(b)] = uint32_t(b);
  std::vector<uint32_t> sat;
  pass(xs, lanes, y, sat);

  // Iterative bound management: re-read the saturated samples with the input halved until no
  // output saturates or the factor reaches max_bm_factor; the output is scaled back.
  Eigen::Array<Scalar, 1, Eigen::Dynamic> bm = Eigen::Array<Scalar, 1, Eigen::Dynamic>::Ones(nb);
  if (pp_.iterative_bm()) {
    std::vector<Index> todo;
    for (Index b = 0; b < nb; ++b)
      if (sat[size_t(b)]) todo.push_back(b);
    uint32_t round = 0;
    BatchMatrix xr, yr;
    std::vector<uint32_t> sr;
    while (!todo.empty()) {
      ++round;
      xr.resize(n_in, Index(todo.size()));
      std::vector<uint32_t> lr(todo.size());
      std::vector<Index> next;
      bool any_left = false;
      for (size_t k = 0; k < todo.size(); ++k) {
        const Index b = todo[k];
        bm(b) *= 2;
        xr.col(Index(k)) = xs.col(b) / bm(b);
        lr[k] = uint32_t(nb) * round + uint32_t(b);
      }
      stats_.bm_rereads += todo.size();
      pass(xr, lr, yr, sr);
      for (size_t k = 0; k < todo.size(); ++k) {
        const Index b = todo[k];
        y.col(b) = yr.col(Index(k));
        sat[size_t(b)] = sr[k];
        if (sr[k] && bm(b) * 2 <= Scalar(pp_.max_bm_factor)) {
          next.push_back(b);
          any_left = true;
        }
      }
      if (!any_left) break;
      todo.swap(next);
    }
  }
  for (Index b = 0; b < nb; ++b) stats_.saturations += sat[size_t(b)];
  y.array().rowwise() *= scale * bm;
}

UpdateReport Tile::update(const UpdateScheme& scheme, const UpdateRequest& req) {
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
    if (req.dw)
      rep.intended = *req.dw;
    else
      rep.intended.noalias() = Scalar(-req.lr) * (*req.d) * req.x->transpose();
  }
  if (hook_) {
    const Index samples = req.has_factors() ? req.x->cols() : 1;
    hook_->run(*this, TileOp::update, samples, [&](TileOpResult& r) {
      scheme.apply(*this, req, rep);
      r.pulses_up = rep.pulses_up;
      r.pulses_down = rep.pulses_down;
      r.bl = rep.bl;
      r.programmed = rep.programmed;
    });
  } else {
    scheme.apply(*this, req, rep);
  }
  if (req.report_dw) rep.realised = weights() - before;
  return rep;
}

Rng Tile::scheme_rng(uint32_t lane) const {
  return Rng(stream_seed_, Stream::cycle, id_).at(kEventsPerUpdate * update_event_ + 2, lane);
}

Matrix& Tile::digital_accumulator() {
  if (accumulator_.rows() != out_ || accumulator_.cols() != in_) accumulator_.setZero(out_, in_);
  return accumulator_;
}

void Tile::apply_pulses(const std::function<void(PulseArray&, Index, Index)>& fill,
                        UpdateReport& report) {
  const uint64_t e = update_event_++;
  pulses_.resize(out_, in_);
  if (differential_) pulses_aux_.resize(out_, in_);
  std::vector<uint64_t> up(size_t(out_), 0), down(size_t(out_), 0);
  const Rng cycle(stream_seed_, Stream::cycle, id_);
  // Row blocks of ~16 KB of counts (at least 4 rows), so that the counts the scheme writes are in
  // L1 still when the device reads them (fill and apply are fused per block). The block depends on
  // the shape only; every row draws from its own stream, so results do not depend on it.
  const Index block = std::clamp<Index>(4096 / std::max<Index>(1, in_), 4, 32);
  parallel_rows(out_, [&](Index r0, Index r1) {
    fill(pulses_, r0, r1);
    for (Index r = r0; r < r1; ++r) {
      const int32_t* row = &pulses_(r, 0);
      int64_t pos = 0, neg = 0;
      for (Index j = 0; j < in_; ++j) {
        const int64_t v = row[j];
        pos += v > 0 ? v : 0;
        neg += v < 0 ? -v : 0;
      }
      up[size_t(r)] = uint64_t(pos);
      down[size_t(r)] = uint64_t(neg);
    }
    if (!differential_) {
      device_->apply_pulses(plus_, pulses_, cycle, kEventsPerUpdate * e, r0, r1);
    } else {
      // Positive pulses potentiate G+, negative ones potentiate G− (tile.h).
      const Index n = r1 - r0;
      pulses_aux_.middleRows(r0, n) = (-pulses_.middleRows(r0, n)).max(0);
      pulses_.middleRows(r0, n) = pulses_.middleRows(r0, n).max(0);
      device_->apply_pulses(plus_, pulses_, cycle, kEventsPerUpdate * e, r0, r1);
      device_->apply_pulses(minus_, pulses_aux_, cycle, kEventsPerUpdate * e + 1, r0, r1);
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

Tile Tile::fork(uint32_t k) const {
  Tile t(*this);
  t.hook_ = nullptr;  // a fork is a what-if copy: not timed, not in the ledger
  t.stream_seed_ = mix64(stream_seed_ ^ mix64(0x666F726BULL + k));
  return t;
}

}  // namespace xb::hw
