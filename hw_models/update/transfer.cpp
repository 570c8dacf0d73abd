// SPDX-License-Identifier: MIT
#include "hw_models/update/transfer.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "hw_models/core/errors.h"

namespace xb::hw {

void TransferParams::validate(const Scope& s) const {
  s.require_one_of("fast_update", fast_update,
                   {"stochastic_pulse", "pulse_count", "mixed_precision", "ideal"});
  s.require_in("fast_lr", fast_lr, 1e-6, 1e6);
  s.require_in("transfer_lr", transfer_lr, 1e-6, 1e6);
  s.require_in("transfer_every", transfer_every, 1e-3, 1e9);
  s.require_in("n_reads_per_transfer", n_reads_per_transfer, 1, 1 << 20);
  s.require_in("transfer_bl", transfer_bl, 1, 1 << 16);
  s.require_in("gamma", gamma, -1e6, 1e6);
  s.require_one_of("transfer_read", transfer_read, {"tile", "unmanaged", "perfect"});
}

namespace {

// The periphery of A's reads, from the tile's.
PeripheryParams transfer_periphery(const TransferParams& p, PeripheryParams io) {
  if (p.transfer_read == "perfect") io.is_perfect = true;
  if (p.transfer_read == "unmanaged") {
    io.noise_management = "none";
    io.bound_management = "none";
  }
  return io;
}

}  // namespace

void TransferScheme::attach(const Tile& tile) {
  // A: the tile's device, cell and periphery, its own fabrication (another seed) and scheme.
  Config none;
  auto scheme = scheme_registry().create(Scope(none, "fast_update"), p_.fast_update);
  fast_.emplace(TileParams{}, transfer_periphery(p_, tile.periphery().params()),
                tile.device_model(), tile.out_size(),
                tile.in_size(), mix64(tile.seed() ^ 0x46617374ULL), tile.id(), std::move(scheme),
                tile.cell_model());
  fast_->set_weights(Matrix::Zero(tile.out_size(), tile.in_size()));
}

void TransferScheme::reset() {
  // The tile was reprogrammed: A starts again from zero.
  if (fast_) fast_->set_weights(Matrix::Zero(fast_->out_size(), fast_->in_size()));
  since_ = 0;
  next_ = 0;
  lr_ = 1;
  reset_extra();
}

void TransferScheme::fork_streams(uint32_t k) {
  if (fast_) fast_ = fast_->fork(k);
}

void TransferScheme::apply(Tile&, const UpdateRequest& r, UpdateReport& rep) {
  UpdateRequest a;
  a.report_dw = false;
  BatchMatrix x, d;
  Matrix dw;
  if (r.lr > 0) lr_ = r.lr;
  const double gain = fast_gain(r);
  if (r.has_factors()) {
    a.lr = r.lr * gain;
    if (modulates()) {
      x = *r.x;
      d = *r.d;
      modulate(x, d);
      a.x = &x;
      a.d = &d;
    } else {
      a.x = r.x;
      a.d = r.d;
    }
  } else {
    dw = *r.dw * Scalar(gain);
    modulate(dw);
    a.dw = &dw;
  }
  const UpdateReport f = fast_->update(a);
  rep.pulses_up += f.pulses_up;
  rep.pulses_down += f.pulses_down;
  rep.write_slots += f.write_slots;
  since_ += p_.units_in_mbatch || !r.has_factors() ? 1.0 : double(r.x->cols());
}

void TransferScheme::line_pulses(Index, const Vector& v, double dw, Rng& rng,
                                 Eigen::Ref<Eigen::VectorXi> n) {
  const double cap = p_.transfer_bl, scale = transfer_scale();
  for (Index i = 0; i < v.size(); ++i) {
    const double u = std::min(std::abs(scale * double(v(i)) / dw), cap);
    double k = std::floor(u);
    if (k < cap && rng.uniform() < u - k) k += 1;  // unbiased: E[k] = u
    n(i) = int(v(i) < 0 ? -k : k);
  }
}

Index TransferScheme::lines() const {
  return p_.transfer_columns ? fast_->in_size() : fast_->out_size();
}

void TransferScheme::add_read_part(Matrix& w) const {
  if (p_.gamma != 0 && fast_) w += Scalar(p_.gamma) * fast_->weights();
}

OpCost TransferScheme::transfer(Tile& tile) {
  const bool columns = p_.transfer_columns;
  const Index lines = this->lines();
  const Index length = columns ? tile.out_size() : tile.in_size();
  // Every transfer that came due (samples may make several at once) reads its lines.
  const double due = std::floor(since_ / p_.transfer_every);
  since_ -= due * p_.transfer_every;
  const Index n = std::min<Index>(lines, Index(due) * p_.n_reads_per_transfer);
  std::vector<Index> which(static_cast<size_t>(n));
  BatchMatrix e = BatchMatrix::Zero(lines, n);
  for (Index j = 0; j < n; ++j) {
    which[size_t(j)] = (next_ + j) % lines;
    e(which[size_t(j)], j) = 1;
  }
  next_ = (next_ + n) % lines;

  // The read of A through its periphery (one pass per line).
  const ReadStats before = fast_->read_stats();
  BatchMatrix v;
  if (columns)
    fast_->forward(e, v);
  else
    fast_->backward(e, v);
  // A diverged fast array would turn into undefined pulse counts: stop as a numerical failure.
  if (!v.allFinite())
    throw NumericalError("transfer: a read of the fast array is not finite (tile " +
                         std::to_string(tile.id()) + ")");
  OpCost cost;
  cost.op = TileOp::transfer;
  cost.read_passes = (fast_->read_stats().reads - before.reads) +
                     (fast_->read_stats().bm_rereads - before.bm_rereads);
  cost.adc_saturations = fast_->read_stats().saturations - before.saturations;
  cost.lines_in = lines;
  cost.lines_out = length;

  // What each line adds to C, in pulses; each line draws from its own stream of this write.
  Eigen::MatrixXi pulses(length, n);
  const double dw = tile.dw_min();
  for (Index j = 0; j < n; ++j) {
    Rng rng = tile.scheme_rng(uint32_t(which[size_t(j)]));
    const Vector vj = v.col(j);
    line_pulses(which[size_t(j)], vj, dw, rng, pulses.col(j));
  }
  UpdateReport rep;
  tile.apply_pulses(
      [&](PulseArray& cnt, Index r0, Index r1) {
        cnt.setZero();
        for (Index j = 0; j < n; ++j) {
          const Index k = which[size_t(j)];
          if (columns)
            for (Index r = r0; r < r1; ++r) cnt(r - r0, k) = pulses(r, j);
          else if (k >= r0 && k < r1)
            cnt.row(k - r0) = pulses.col(j).transpose().array();
        }
      },
      rep);
  cost.pulses_up = rep.pulses_up;
  cost.pulses_down = rep.pulses_down;
  // A line is written in parallel, one slot per pulse of its busiest device.
  for (Index j = 0; j < n; ++j) cost.write_slots += uint64_t(pulses.col(j).cwiseAbs().maxCoeff());
  return cost;
}

void TransferScheme::save_state(StateMap& s, const std::string& prefix) const {
  fast_->save_state(s, prefix + "fast.");
  s.numbers[prefix + "since"] = since_;
  s.numbers[prefix + "next"] = double(next_);
  s.numbers[prefix + "rule_lr"] = lr_;
  save_extra(s, prefix);
}

void TransferScheme::load_state(const StateMap& s, const std::string& prefix) {
  fast_->load_state(s, prefix + "fast.");
  since_ = s.number(prefix + "since");
  next_ = Index(s.number(prefix + "next"));
  lr_ = s.number(prefix + "rule_lr");
  load_extra(s, prefix);
}

void register_scheme_transfer(SchemeRegistry& r) {
  r.add_model<TransferParams, TikiTakaScheme>(
      "transfer", "Tiki-Taka v1: updates go to a fast array A, whose lines are read and "
                  "written onto the tile in turn (Gokmen & Haensch 2020)");
}

}  // namespace xb::hw
