// SPDX-License-Identifier: MIT
#include "hw_models/periphery/periphery.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "hw_models/core/fast_normal.h"
#include "hw_models/core/parallel.h"

namespace xb::hw {

namespace {

// Rounds to the nearest multiple of step, halves away from zero: add ±0.5 and truncate through
// int32 (cvttps2dq); |m/step| stays far below 2^31 since quantisation is only on with a
// finite range. A plain loop, which GCC vectorises (Eigen 3.4 evaluates a comparison inside
// an array expression one coefficient at a time).
void quantize(Eigen::Ref<BatchMatrix> m, Scalar step) {
  const Scalar inv = Scalar(1) / step;
  for (Index c = 0; c < m.cols(); ++c) {
    Scalar* a = m.col(c).data();
    for (Index i = 0; i < m.rows(); ++i) {
      const Scalar half = a[i] >= Scalar(0) ? Scalar(0.5) : Scalar(-0.5);
      a[i] = Scalar(int32_t(a[i] * inv + half)) * step;
    }
  }
}

}  // namespace

void PeripheryParams::validate(const Scope& s) const {
  s.require(std::isfinite(inp_bound), "inp_bound", inp_bound, "must be finite");
  s.require(std::isfinite(out_bound), "out_bound", out_bound, "must be finite");
  s.require(inp_res < 1.0, "inp_res", inp_res, "must be < 1 (a fraction of the range; <= 0: off)");
  s.require(out_res < 1.0, "out_res", out_res, "must be < 1 (a fraction of the range; <= 0: off)");
  s.require(!(inp_res > 0 && inp_bound <= 0), "inp_res", inp_res,
            "needs inp_bound > 0 (quantisation steps are fractions of the range)");
  s.require(!(out_res > 0 && out_bound <= 0), "out_res", out_res,
            "needs out_bound > 0 (quantisation steps are fractions of the range)");
  s.require_ge("out_noise", out_noise, 0.0);
  s.require_ge("w_noise", w_noise, 0.0);
  s.require_in("ir_drop", ir_drop, 0.0, 1.0);
  s.require_one_of("noise_management", noise_management, {"none", "abs_max"});
  s.require_one_of("bound_management", bound_management, {"none", "iterative"});
  s.require_ge("max_bm_factor", max_bm_factor, 1.0);
}

SampleRow Periphery::input_scale(const Eigen::Ref<const BatchMatrix>& x) const {
  if (!p_.abs_max()) return SampleRow::Ones(x.cols());
  SampleRow scale = x.cwiseAbs().colwise().maxCoeff().array();
  return (scale > Scalar(0)).select(scale, Scalar(1));
}

// Samples (columns) are independent in the converters and the noise, so they are split over
// the threads in blocks of about 16k values; the counts are kept per column.
Index Periphery::sample_block(Index lines) {
  return std::max<Index>(1, 16384 / std::max<Index>(1, lines));
}

uint64_t Periphery::dac(BatchMatrix& x) const {
  std::vector<uint64_t> clipped(std::size_t(x.cols()), 0);
  parallel_rows(x.cols(), [&](Index b0, Index b1) {
    auto xb = x.middleCols(b0, b1 - b0);
    if (p_.clip_in()) {
      const Scalar ib = Scalar(p_.inp_bound);
      for (Index b = b0; b < b1; ++b)
        clipped[std::size_t(b)] = uint64_t((x.col(b).array().abs() > ib).count());
      xb = xb.cwiseMax(-ib).cwiseMin(ib);
    }
    if (p_.quantize_in()) quantize(xb, Scalar(p_.inp_res * 2 * p_.inp_bound));
  }, sample_block(x.rows()));
  uint64_t total = 0;
  for (uint64_t c : clipped) total += c;
  return total;
}

void Periphery::analog_mvm(const AnalogArray& a, const BatchMatrix& xq, BatchMatrix& y) const {
  y.resize(a.lines_out(), xq.cols());
  a.mvm(xq, y);
  if (p_.is_perfect || p_.ir_drop <= 0) return;
  // First-order IR drop along each read line: the input of device j = 0..n−1 on the line loses a
  // fraction ir_drop·(j/(n−1))·ā, ā = mean_j |W_ij x_j| the line's mean current.
  const Index n_in = a.lines_in();
  const SampleRow pos = SampleRow::LinSpaced(n_in, 0, 1);
  const Matrix wabs = a.w.cwiseAbs();
  const BatchMatrix xa = xq.cwiseAbs();
  const BatchMatrix xp = (xq.array().colwise() * pos.transpose()).matrix();
  BatchMatrix cur, p;
  if (!a.transposed) {
    cur.noalias() = wabs * xa;
    p.noalias() = a.w * xp;
  } else {
    cur.noalias() = wabs.transpose() * xa;
    p.noalias() = a.w.transpose() * xp;
  }
  y.array() -= Scalar(p_.ir_drop) * (cur.array() / Scalar(n_in)) * p.array();
}

void Periphery::output_noise(const BatchMatrix& xq, BatchMatrix& y, const Rng& noise,
                             uint64_t event, const std::vector<uint32_t>& lanes) const {
  if (p_.is_perfect || (p_.out_noise <= 0 && p_.w_noise <= 0)) return;
  const Index n_out = y.rows();
  // Each sample draws from its own lane, so the samples can be split over the threads without
  // changing a number.
  parallel_rows(xq.cols(), [&](Index b0, Index b1) {
    thread_local std::vector<Scalar> xi;
    if (xi.size() < std::size_t(n_out)) xi.resize(std::size_t(n_out));
    for (Index b = b0; b < b1; ++b) {
      const double xn = p_.w_noise > 0 ? double(xq.col(b).norm()) : 0.0;
      const Scalar sd =
          Scalar(std::sqrt(p_.out_noise * p_.out_noise + p_.w_noise * p_.w_noise * xn * xn));
      Rng r = noise.at(event, lanes[std::size_t(b)]);
      fill_normal_fast(r, xi.data(), n_out);
      y.col(b).array() += sd * Eigen::Map<const Vector>(xi.data(), n_out).array();
    }
  }, sample_block(n_out));
}

std::vector<uint32_t> Periphery::adc(BatchMatrix& y) const {
  std::vector<uint32_t> sat(size_t(y.cols()), 0);
  parallel_rows(y.cols(), [&](Index b0, Index b1) {
    auto yb = y.middleCols(b0, b1 - b0);
    if (p_.clip_out()) {
      const Scalar ob = Scalar(p_.out_bound);
      for (Index b = b0; b < b1; ++b)
        sat[size_t(b)] = uint32_t((y.col(b).array().abs() >= ob).count());
      yb = yb.cwiseMax(-ob).cwiseMin(ob);
    }
    if (p_.quantize_out()) quantize(yb, Scalar(p_.out_res * 2 * p_.out_bound));
  }, sample_block(y.rows()));
  return sat;
}

std::vector<uint32_t> Periphery::pass(const AnalogArray& a, const BatchMatrix& xin,
                                      BatchMatrix& y, const Rng& noise, uint64_t event,
                                      const std::vector<uint32_t>& lanes, ReadCounts& counts,
                                      const ConversionWindow* probe, Index samples) const {
  BatchMatrix xq = xin;
  counts.input_clips += dac(xq);
  counts.passes += uint64_t(xq.cols());
  analog_mvm(a, xq, y);
  output_noise(xq, y, noise, event, lanes);
  std::vector<uint32_t> sat = adc(y);
  if (probe) record(*probe, xq, y, lanes, samples);
  return sat;
}

void Periphery::record(const ConversionWindow& probe, const Eigen::Ref<const BatchMatrix>& xq,
                       const BatchMatrix& y, const std::vector<uint32_t>& lanes,
                       Index samples) const {
  // A quantised value is a whole number of LSBs (up to float rounding): its code.
  auto code = [](double v, bool quantised, double lsb) {
    return quantised ? std::round(v / lsb) : v;
  };
  const bool qi = p_.quantize_in(), qo = p_.quantize_out();
  const double in_lsb = p_.inp_res * 2 * p_.inp_bound, out_lsb = p_.out_res * 2 * p_.out_bound;
  for (Index k = 0; k < xq.cols(); ++k) {
    ConversionPass c;
    c.sample = lanes.empty() ? uint32_t(k) : uint32_t(lanes[std::size_t(k)] % uint32_t(samples));
    for (Index i = probe.in0; i < probe.in1; ++i)
      c.dac.push_back(code(double(xq(i, k)), qi, in_lsb));
    for (Index i = probe.out0; i < probe.out1; ++i)
      c.adc.push_back(code(double(y(i, k)), qo, out_lsb));
    probe.passes->push_back(std::move(c));
  }
}

ReadCounts Periphery::read(const AnalogArray& a, const Eigen::Ref<const BatchMatrix>& x,
                           BatchMatrix& y, const Rng& noise, uint64_t event,
                           const ConversionWindow* probe) const {
  ReadCounts counts;
  const Index nb = x.cols();
  if (p_.is_perfect) {
    y.resize(a.lines_out(), nb);
    a.mvm(x, y);
    counts.passes = uint64_t(nb);
    if (probe) record(*probe, x, y, {}, nb);
    return counts;
  }
  const SampleRow scale = input_scale(x);
  const BatchMatrix xs = x.array().rowwise() / scale;
  std::vector<uint32_t> lanes(static_cast<size_t>(nb));
  for (Index b = 0; b < nb; ++b) lanes[size_t(b)] = uint32_t(b);
  std::vector<uint32_t> sat = pass(a, xs, y, noise, event, lanes, counts, probe, nb);

  // Iterative bound management: re-read the saturated samples with the input halved until no
  // output saturates or the factor reaches max_bm_factor; the output is scaled back.
  SampleRow bm = SampleRow::Ones(nb);
  if (p_.iterative_bm()) {
    std::vector<Index> todo;
    for (Index b = 0; b < nb; ++b)
      if (sat[size_t(b)]) todo.push_back(b);
    uint32_t round = 0;
    BatchMatrix xr, yr;
    while (!todo.empty()) {
      ++round;
      xr.resize(x.rows(), Index(todo.size()));
      std::vector<uint32_t> lr(todo.size());
      std::vector<Index> next;
      for (size_t k = 0; k < todo.size(); ++k) {
        const Index b = todo[k];
        bm(b) *= 2;
        xr.col(Index(k)) = xs.col(b) / bm(b);
        lr[k] = uint32_t(nb) * round + uint32_t(b);
      }
      const std::vector<uint32_t> sr = pass(a, xr, yr, noise, event, lr, counts, probe, nb);
      for (size_t k = 0; k < todo.size(); ++k) {
        const Index b = todo[k];
        y.col(b) = yr.col(Index(k));
        sat[size_t(b)] = sr[k];
        if (sr[k] && bm(b) * 2 <= Scalar(p_.max_bm_factor)) next.push_back(b);
      }
      todo.swap(next);
    }
  }
  for (uint32_t s : sat) counts.saturations += s;
  y.array().rowwise() *= scale * bm;
  if (probe) {
    // Each pass's output scale: its sample's input scale times the bound-management factor
    // of its round (2^round).
    const std::size_t first = probe->passes->size() - std::size_t(counts.passes);
    std::vector<Scalar> factor(std::size_t(nb), Scalar(1));
    for (std::size_t k = first; k < probe->passes->size(); ++k) {
      ConversionPass& c = (*probe->passes)[k];
      c.scale = double(scale(c.sample) * factor[c.sample]);
      factor[c.sample] *= 2;
    }
  }
  return counts;
}

}  // namespace xb::hw
