// SPDX-License-Identifier: MIT
#include "hw_models/periphery/periphery.h"

#include <algorithm>
#include <cmath>
#include <vector>

#if defined(__AVX512F__)
#include <immintrin.h>
#endif

// Masked vector moves for a column's tail, except under AddressSanitizer (GCC says so with
// __SANITIZE_ADDRESS__, clang with __has_feature; ASan's checks of masked accesses vary
// between compiler versions): there, plain copies.
#if defined(__SANITIZE_ADDRESS__)
#define XB_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define XB_ASAN 1
#endif
#endif
#if defined(__AVX512F__) && !defined(XB_ASAN)
#define XB_MASKED_MOVES 1
#endif

#include "hw_models/core/fast_normal.h"
#include "hw_models/core/parallel.h"

namespace xb::hw {

namespace {

// x / d for a divisor's reciprocal r = 1/d, correctly rounded like the division for every
// normal quotient (Markstein 1990: one FMA correction of x·r when r is 1/d rounded to nearest),
// at the cost of a multiply and two FMAs instead of a divide, whose throughput is several
// times lower. Without FMA units (portable builds) it divides.
inline Scalar divide(Scalar x, Scalar d, Scalar r) {
#if defined(__FMA__)
  const Scalar q = x * r;
  return std::fma(std::fma(-q, d, x), r, q);
#else
  (void)r;
  return x / d;
#endif
}

// Samples are short columns (a conv layer's patches: 25..300 values), so the loops below run
// in chunks of 16 values with a fixed-length inner loop, which GCC turns into whole SIMD
// registers, and keep per-position partial results (counts, maxima) in registers; a column's
// last partial chunk goes through a zero-padded buffer. GCC's own remainder loops would cost
// more than the vector part here (cvtsi2ss carries a false dependency from value to value).
constexpr Index kChunk = 16;

// A column's last rem < kChunk values to and from a zero-padded chunk on the stack: masked
// vector moves where the target has them (a scalar loop compiles to a memcpy call, which here
// costs as much as the chunk's arithmetic).
inline void load_tail(const Scalar* in, Index rem, Scalar* chunk) {
#if defined(XB_MASKED_MOVES)
  _mm512_store_ps(chunk, _mm512_maskz_loadu_ps(__mmask16((1u << rem) - 1), in));
#else
  std::fill(chunk, chunk + kChunk, Scalar(0));
  std::copy(in, in + rem, chunk);
#endif
}

inline void store_tail(const Scalar* chunk, Index rem, Scalar* out) {
#if defined(XB_MASKED_MOVES)
  _mm512_mask_storeu_ps(out, __mmask16((1u << rem) - 1), _mm512_load_ps(chunk));
#else
  std::copy(chunk, chunk + rem, out);
#endif
}

// One converter on n values: v / divisor (Divide; the ADC takes its values as they are),
// clipped to ±bound (Clip) and rounded to the nearest multiple of step, halves away from zero
// (Quantise: add ±0.5 and truncate through int32, cvttps2dq; |v/step| stays far below 2^31
// since quantisation is only on with a finite range).
// Returns how many values lay beyond the bound (`Strict`: |v| > bound; else |v| >= bound; a
// padding zero never counts, as bound > 0 whenever clipping is on).
template <bool Clip, bool Quantise, bool Strict, bool Divide>
uint32_t convert(const Scalar* in, Index n, Scalar divisor, Scalar bound, Scalar step,
                 Scalar* out) {
  const Scalar inv = Scalar(1) / step, r = Scalar(1) / divisor;
  uint32_t beyond[kChunk] = {};
  auto chunk = [inv, r, divisor, bound, step](const Scalar* x, Scalar* o, uint32_t* count) {
    for (Index k = 0; k < kChunk; ++k) {
      Scalar v = Divide ? divide(x[k], divisor, r) : x[k];
      if (Clip) {
        const Scalar a = std::abs(v);
        count[k] += Strict ? a > bound : a >= bound;
        v = std::min(std::max(v, -bound), bound);
      }
      if (Quantise) {
        // ±0.5 with v's sign (for v = −0 either half truncates to 0).
        v = Scalar(int32_t(v * inv + std::copysign(Scalar(0.5), v))) * step;
      }
      o[k] = v;
    }
  };
  Index i = 0;
  for (; i + kChunk <= n; i += kChunk) chunk(in + i, out + i, beyond);
  if (i < n) {
    alignas(64) Scalar a[kChunk], b[kChunk];
    load_tail(in + i, n - i, a);
    chunk(a, b, beyond);
    store_tail(b, n - i, out + i);
  }
  uint32_t total = 0;
  for (uint32_t c : beyond) total += c;
  return total;
}

// Noise management's scale of one sample: max |x| (1 for an all-zero sample). Sixteen running
// maxima in one register (Eigen's packet max; GCC keeps std::max loops scalar, as they
// differ from vmaxps on NaN).
Scalar abs_max(const Scalar* in, Index n) {
  using Chunk = Eigen::Array<Scalar, kChunk, 1>;
  Chunk m = Chunk::Zero();
  Index i = 0;
  for (; i + kChunk <= n; i += kChunk) m = m.max(Eigen::Map<const Chunk>(in + i).abs());
  if (i < n) {
    alignas(64) Scalar a[kChunk];
    load_tail(in + i, n - i, a);
    m = m.max(Eigen::Map<const Chunk, Eigen::Aligned64>(a).abs());
  }
  const Scalar top = m.maxCoeff();
  return top > Scalar(0) ? top : Scalar(1);
}

// The converter over every column (sample), its flags resolved once: column b is divided by
// divisor_of(b, column) (Divide), and beyond[b] receives its count. `in` and `out` may be the
// same matrix. A column is read right after its divisor is found, while it is in L1.
template <bool Strict, bool Divide, class DivisorOf>
void convert_columns(const Eigen::Ref<const BatchMatrix>& in, DivisorOf divisor_of, bool clip,
                     bool quantise, Scalar bound, Scalar step, Eigen::Ref<BatchMatrix> out,
                     uint32_t* beyond) {
  auto run = [&](auto kernel) {
    parallel_rows(in.cols(), [&](Index b0, Index b1) {
      for (Index b = b0; b < b1; ++b) {
        const Scalar* col = in.col(b).data();
        beyond[b] = kernel(col, in.rows(), divisor_of(b, col), bound, step, out.col(b).data());
      }
    }, Periphery::sample_block(in.rows()));
  };
  if (clip && quantise) run(convert<true, true, Strict, Divide>);
  else if (clip) run(convert<true, false, Strict, Divide>);
  else if (quantise) run(convert<false, true, Strict, Divide>);
  else run(convert<false, false, Strict, Divide>);
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

// Samples (columns) are independent in the converters and the noise, so they are split over
// the threads in blocks of about 16k values; the counts are kept per column.
Index Periphery::sample_block(Index lines) {
  return std::max<Index>(1, 16384 / std::max<Index>(1, lines));
}

uint64_t Periphery::convert_inputs(const Eigen::Ref<const BatchMatrix>& x, Scalar* scale,
                                   BatchMatrix& xq) const {
  const bool managed = p_.abs_max();
  return dac_columns(x, [&](Index b, const Scalar* col) {
    return scale[b] = managed ? abs_max(col, x.rows()) : Scalar(1);
  }, xq);
}

uint64_t Periphery::dac(const Eigen::Ref<const BatchMatrix>& x, const SampleRow& divisor,
                        BatchMatrix& xq) const {
  return dac_columns(x, [&](Index b, const Scalar*) { return divisor(b); }, xq);
}

template <class DivisorOf>
uint64_t Periphery::dac_columns(const Eigen::Ref<const BatchMatrix>& x, DivisorOf divisor_of,
                                BatchMatrix& xq) const {
  xq.resize(x.rows(), x.cols());
  std::vector<uint32_t> clipped(std::size_t(x.cols()), 0);
  // With abs_max, every |x / scale| is at most 1 (the division is correctly rounded, hence
  // monotone), and bound management only divides further: a range ±inp_bound >= 1 never clips,
  // and the clip stage is skipped.
  const bool clip = p_.clip_in() && !(p_.abs_max() && p_.inp_bound >= 1);
  convert_columns<true, true>(x, divisor_of, clip, p_.quantize_in(), Scalar(p_.inp_bound),
                              Scalar(p_.inp_res * 2 * p_.inp_bound), xq, clipped.data());
  uint64_t total = 0;
  for (uint32_t c : clipped) total += c;
  return total;
}

void Periphery::analog_mvm(const AnalogArray& a, const BatchMatrix& xq,
                           Eigen::Ref<BatchMatrix> y) const {
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

void Periphery::output_noise(const BatchMatrix& xq, Eigen::Ref<BatchMatrix> y, const Rng& noise,
                             uint64_t event, const uint32_t* lanes) const {
  if (p_.is_perfect || (p_.out_noise <= 0 && p_.w_noise <= 0)) return;
  const Index n_out = y.rows();
  // Each sample draws from its own lane, so the samples can be split over the threads without
  // changing a number; a block's lanes are drawn together (fill_normal_lanes).
  parallel_rows(xq.cols(), [&](Index b0, Index b1) {
    thread_local std::vector<Scalar> xi;
    xi.resize(std::size_t(n_out * (b1 - b0)));
    fill_normal_lanes(noise, event, lanes + b0, b1 - b0, n_out, xi.data());
    for (Index b = b0; b < b1; ++b) {
      const double xn = p_.w_noise > 0 ? double(xq.col(b).norm()) : 0.0;
      const Scalar sd =
          Scalar(std::sqrt(p_.out_noise * p_.out_noise + p_.w_noise * p_.w_noise * xn * xn));
      y.col(b).array() +=
          sd * Eigen::Map<const Vector>(xi.data() + (b - b0) * n_out, n_out).array();
    }
  }, sample_block(n_out));
}

void Periphery::adc(Eigen::Ref<BatchMatrix> y, uint32_t* saturated) const {
  convert_columns<false, false>(y, [](Index, const Scalar*) { return Scalar(1); },
                                p_.clip_out(), p_.quantize_out(), Scalar(p_.out_bound),
                                Scalar(p_.out_res * 2 * p_.out_bound), y, saturated);
}

void Periphery::pass(const AnalogArray& a, const BatchMatrix& xq, Eigen::Ref<BatchMatrix> y,
                     const Rng& noise, uint64_t event, const uint32_t* lanes, uint32_t* saturated,
                     const ConversionWindow* probe, Index samples) const {
  analog_mvm(a, xq, y);
  output_noise(xq, y, noise, event, lanes);
  adc(y, saturated);
  if (probe) record(*probe, xq, y, lanes, samples);
}

void Periphery::record(const ConversionWindow& probe, const Eigen::Ref<const BatchMatrix>& xq,
                       const Eigen::Ref<const BatchMatrix>& y, const uint32_t* lanes,
                       Index samples) const {
  // A quantised value is a whole number of LSBs (up to float rounding): its code.
  auto code = [](double v, bool quantised, double lsb) {
    return quantised ? std::round(v / lsb) : v;
  };
  const bool qi = p_.quantize_in(), qo = p_.quantize_out();
  const double in_lsb = p_.inp_res * 2 * p_.inp_bound, out_lsb = p_.out_res * 2 * p_.out_bound;
  for (Index k = 0; k < xq.cols(); ++k) {
    ConversionPass c;
    c.sample = lanes ? uint32_t(lanes[k] % uint32_t(samples)) : uint32_t(k);
    for (Index i = probe.in0; i < probe.in1; ++i)
      c.dac.push_back(code(double(xq(i, k)), qi, in_lsb));
    for (Index i = probe.out0; i < probe.out1; ++i)
      c.adc.push_back(code(double(y(i, k)), qo, out_lsb));
    probe.passes->push_back(std::move(c));
  }
}

// Between 32k and 128k input values: Eigen's product packs W again for every block, so larger
// blocks pack it fewer times, and their converted inputs (up to 512 KiB) still sit in L2 for
// the product; an eighth of the batch within that range keeps two threads evenly loaded
// (VGG-style 3136 x 288 -> 64 read: 1.60x -> 1.50x its GEMM on one thread, 0.98x -> 0.90x on
// two; paired, docs/performance.md).
Index Periphery::column_block(const AnalogArray& a, Index samples) {
  if (Index(sizeof(Scalar)) * a.w.size() > (Index(256) << 10)) return std::max<Index>(1, samples);
  const Index lines = std::max<Index>(1, a.lines_in());
  auto multiple_of_16 = [](Index n) { return std::max<Index>(16, n / 16 * 16); };
  const Index eighth = (samples / 8 + 15) / 16 * 16;
  return std::clamp(eighth, multiple_of_16((Index(1) << 15) / lines),
                    multiple_of_16((Index(1) << 17) / lines));
}

ReadCounts Periphery::read(const AnalogArray& a, const Eigen::Ref<const BatchMatrix>& x,
                           BatchMatrix& y, const Rng& noise, uint64_t event,
                           const ConversionWindow* probe) const {
  ReadCounts counts;
  const Index nb = x.cols();
  y.resize(a.lines_out(), nb);
  if (p_.is_perfect) {
    a.mvm(x, y);
    counts.passes = uint64_t(nb);
    if (probe) record(*probe, x, y, nullptr, nb);
    return counts;
  }
  // First pass, in column blocks (column_block): noise management and DAC, product, noise,
  // ADC. The blocks are multiples of 16 samples, so every sample's product sums in the same
  // order as in one product over the whole batch (Eigen's GEMM kernel works on panels of 4
  // columns; only a batch's last B mod 4 columns take another path, in every blocking).
  SampleRow scale(nb);
  std::vector<uint32_t> sat(static_cast<std::size_t>(nb), 0);
  std::vector<uint32_t> lanes(static_cast<std::size_t>(nb));
  for (Index b = 0; b < nb; ++b) lanes[std::size_t(b)] = uint32_t(b);
  const Index block = column_block(a, nb), blocks = (nb + block - 1) / block;
  std::vector<uint64_t> clips(std::size_t(blocks), 0);
  auto first_pass = [&](Index b0, Index b1) {
    thread_local BatchMatrix xq;
    clips[std::size_t(b0 / block)] = convert_inputs(x.middleCols(b0, b1 - b0), &scale(b0), xq);
    auto yb = y.middleCols(b0, b1 - b0);
    pass(a, xq, yb, noise, event, &lanes[std::size_t(b0)], &sat[std::size_t(b0)], probe, nb);
    // Undo the input scale while the block is in cache; a sample that bound management
    // re-reads is overwritten below and scaled there.
    yb.array().rowwise() *= scale.segment(b0, b1 - b0);
  };
  // A probe records the passes in sample order, so its blocks run in order on this thread.
  if (blocks == 1 || probe)
    for (Index b0 = 0; b0 < nb; b0 += block) first_pass(b0, std::min(nb, b0 + block));
  else
    parallel_rows(nb, first_pass, block);
  for (uint64_t c : clips) counts.input_clips += c;
  counts.passes = uint64_t(nb);

  // Iterative bound management: re-read the saturated samples with the input halved until no
  // output saturates or the factor reaches max_bm_factor; the output is scaled back. Each
  // round reads its samples as one batch.
  SampleRow bm = SampleRow::Ones(nb);
  if (p_.iterative_bm()) {
    std::vector<Index> todo;
    for (Index b = 0; b < nb; ++b)
      if (sat[size_t(b)]) todo.push_back(b);
    uint32_t round = 0;
    BatchMatrix xs, xq, yr;
    while (!todo.empty()) {
      ++round;
      // The scaled inputs of the samples to re-read, then the DAC of xs / bm.
      const Index n = Index(todo.size());
      xs.resize(x.rows(), n);
      yr.resize(y.rows(), n);
      SampleRow factor(n);
      std::vector<uint32_t> lr(todo.size()), sr(todo.size());
      std::vector<Index> next;
      for (size_t k = 0; k < todo.size(); ++k) {
        const Index b = todo[k];
        bm(b) *= 2;
        xs.col(Index(k)) = x.col(b) / scale(b);
        factor(Index(k)) = bm(b);
        lr[k] = uint32_t(nb) * round + uint32_t(b);
      }
      counts.input_clips += dac(xs, factor, xq);
      pass(a, xq, yr, noise, event, lr.data(), sr.data(), probe, nb);
      counts.passes += uint64_t(n);
      for (size_t k = 0; k < todo.size(); ++k) {
        const Index b = todo[k];
        y.col(b) = yr.col(Index(k)) * (scale(b) * bm(b));
        sat[size_t(b)] = sr[k];
        if (sr[k] && bm(b) * 2 <= Scalar(p_.max_bm_factor)) next.push_back(b);
      }
      todo.swap(next);
    }
  }
  for (uint32_t s : sat) counts.saturations += s;
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
