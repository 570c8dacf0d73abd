// SPDX-License-Identifier: MIT
// Read periphery of a tile (the semantics of aihwkit's IOParameters, Rasch et al. 2021): what
// lies between the digital vectors and the analog matrix-vector product. Each stage below is
// a method of Periphery that can be used and tested on its own; Periphery::read composes them.
//
//   x  --noise management (x / max|x|)-->  DAC (clip to ±inp_bound, step inp_res·2·inp_bound)
//      --> analog MVM y = W x_q  (+ IR drop, + weight read noise as w_noise·|x_q|₂ per output)
//      --> + out_noise·ξ  --> ADC (clip to ±out_bound with saturation count, step
//      out_res·2·out_bound)  --> bound management (re-read with x/2, x/4, ... while an output
//      saturates)  --> y · max|x| · bm_factor
//
// Every effect has an off value (res <= 0: no quantisation; bound <= 0: no clipping; noise 0;
// management "none"; `is_perfect: true` switches all of them off at once). Defaults are
// aihwkit's IOParameters defaults. Resolutions are fractions of the full range [-bound, bound],
// so inp_res = 1/126 is a 7-bit DAC and out_res = 1/510 with out_noise 0.06 is a 9-bit ADC
// with about one LSB of noise.
//
// Cost: at default settings the periphery adds O(in + out) work per sample to the O(in·out)
// product; only ir_drop > 0 adds two more products (|W|·|x| and W·(x∘position)).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "hw_models/core/params.h"
#include "hw_models/core/rng.h"
#include "hw_models/core/types.h"
#include "hw_models/crossbar/line_probe.h"

namespace xb::hw {

struct PeripheryParams {
  bool is_perfect = false;
  double inp_bound = 1.0;
  double inp_res = 1.0 / 126.0;
  double out_bound = 12.0;
  double out_res = 1.0 / 510.0;
  double out_noise = 0.06;
  double w_noise = 0.0;
  double ir_drop = 0.0;
  std::string noise_management = "abs_max";
  std::string bound_management = "iterative";
  double max_bm_factor = 1000.0;

  template <class F>
  void bind(F&& f) {
    f("is_perfect", is_perfect, "", "true: exact reads, every effect below off");
    f("inp_bound", inp_bound, "1", "DAC input range ±inp_bound (<= 0: no clipping)");
    f("inp_res", inp_res, "1", "DAC step as a fraction of 2·inp_bound (<= 0: no quantisation)");
    f("out_bound", out_bound, "1", "ADC range ±out_bound, saturation counted (<= 0: none)");
    f("out_res", out_res, "1", "ADC step as a fraction of 2·out_bound (<= 0: no quantisation)");
    f("out_noise", out_noise, "1", "std of additive Gaussian noise on each output, per read");
    f("w_noise", w_noise, "1",
      "std of additive Gaussian read noise on each weight (applied as w_noise·|x|₂ per output)");
    f("ir_drop", ir_drop, "1",
      "first-order IR drop: device j = 0..n−1 loses ir_drop·(j/(n−1))·(line current / n) of its "
      "input");
    f("noise_management", noise_management, "", "none | abs_max (scale input by 1/max|x|)");
    f("bound_management", bound_management, "",
      "none | iterative (re-read with halved input while an output saturates)");
    f("max_bm_factor", max_bm_factor, "1", "largest input down-scaling of bound management");
  }
  void validate(const Scope& s) const;

  bool quantize_in() const { return !is_perfect && inp_res > 0; }
  bool clip_in() const { return !is_perfect && inp_bound > 0; }
  bool quantize_out() const { return !is_perfect && out_res > 0 && out_bound > 0; }
  bool clip_out() const { return !is_perfect && out_bound > 0; }
  bool abs_max() const { return !is_perfect && noise_management == "abs_max"; }
  bool iterative_bm() const { return clip_out() && bound_management == "iterative"; }
};

// The analog array as the periphery sees it: y = W x (or Wᵀ x for a backward read) computed
// exactly by `mvm`, and W itself for the stages that depend on it (IR drop).
struct AnalogArray {
  const Matrix& w;  // out_size x in_size, as read (device read_weights and mapping)
  bool transposed;  // backward read
  // Ref: a perfect periphery hands the caller's input straight to the product (no copy).
  // y is sized lines_out x (x's columns) by the caller.
  std::function<void(const Eigen::Ref<const BatchMatrix>& x, Eigen::Ref<BatchMatrix> y)> mvm;

  Index lines_in() const { return transposed ? w.rows() : w.cols(); }
  Index lines_out() const { return transposed ? w.cols() : w.rows(); }
};

// What one read cost, counted by the stages.
struct ReadCounts {
  uint64_t passes = 0;       // samples + bound-management re-reads
  uint64_t saturations = 0;  // outputs at ±out_bound on their final read
  uint64_t input_clips = 0;  // inputs clipped at ±inp_bound, over all passes
};

using SampleRow = Eigen::Array<Scalar, 1, Eigen::Dynamic>;  // one value per sample

// Lines of a read whose converter values are recorded, pass by pass (line_probe.h): input
// lines [in0, in1), output lines [out0, out1).
struct ConversionWindow {
  Index in0 = 0, in1 = 0, out0 = 0, out1 = 0;
  std::vector<ConversionPass>* passes = nullptr;
};

class Periphery {
 public:
  explicit Periphery(const PeripheryParams& p = {}) : p_(p) {}
  const PeripheryParams& params() const { return p_; }

  // The whole read of a batch x (lines_in x B) into y (lines_out x B): noise management, then
  // per pass DAC -> analog MVM -> output noise -> ADC, repeated with halved inputs for the
  // samples that saturated (bound management), and the scales undone. Noise draws come from
  // `noise` at (event, lane); lane = sample, + B·k for the k-th bound-management round.
  // `probe` (optional) records the converter values of a window of lines.
  ReadCounts read(const AnalogArray& a, const Eigen::Ref<const BatchMatrix>& x, BatchMatrix& y,
                  const Rng& noise, uint64_t event,
                  const ConversionWindow* probe = nullptr) const;

  // Noise management and the DAC in one pass over each sample: scale[b] = max |x(:,b)| with
  // abs_max (1 when off, or for an all-zero sample), then xq = Q(clip(x / scale)) as `dac`.
  // Returns the number of clipped inputs.
  uint64_t convert_inputs(const Eigen::Ref<const BatchMatrix>& x, Scalar* scale,
                          BatchMatrix& xq) const;
  // DAC of samples over given divisors, xq = Q(clip(x / divisor)): clips to ±inp_bound and
  // quantises to steps of inp_res·2·inp_bound. Returns the number of clipped inputs. With
  // abs_max, x / divisor must lie within ±1 (x already scaled by its max, as in bound
  // management's re-reads), so that a range inp_bound >= 1 needs no clipping.
  uint64_t dac(const Eigen::Ref<const BatchMatrix>& x, const SampleRow& divisor,
               BatchMatrix& xq) const;
  // The analog product y = W x (or Wᵀ x) with first-order IR drop; y is sized by the caller.
  void analog_mvm(const AnalogArray& a, const BatchMatrix& xq, Eigen::Ref<BatchMatrix> y) const;
  // Additive output noise and weight read noise, one Gaussian per output: Σ_j (w_ij + σ_w ξ_ij)
  // x_j has the noise σ_w |x|₂ ξ_i, so weight noise costs O(out), not a pass over W. Sample b
  // draws from lane lanes[b].
  void output_noise(const BatchMatrix& xq, Eigen::Ref<BatchMatrix> y, const Rng& noise,
                    uint64_t event, const uint32_t* lanes) const;
  // ADC: clips to ±out_bound and quantises to steps of out_res·2·out_bound; saturated[b]
  // receives how many outputs of sample b saturated.
  void adc(Eigen::Ref<BatchMatrix> y, uint32_t* saturated) const;

  // Samples per parallel block of the per-sample stages: about 16k values each.
  static Index sample_block(Index lines);
  // Samples per block of a read's first pass: blocks of a multiple of 16 samples, an eighth
  // of the batch within 32k..128k input values, whose stages run back to back while the
  // block is in cache, and which go to the threads; for an array over 256 KiB, the whole batch
  // (its product is then split over output rows, and W is read once per batch, not once per
  // block). Shape only, never threads(), so results do not depend on the thread count.
  static Index column_block(const AnalogArray& a, Index samples);

 private:
  template <class DivisorOf>
  uint64_t dac_columns(const Eigen::Ref<const BatchMatrix>& x, DivisorOf divisor_of,
                       BatchMatrix& xq) const;
  // One pass of the stages MVM -> noise -> ADC over converted inputs.
  void pass(const AnalogArray& a, const BatchMatrix& xq, Eigen::Ref<BatchMatrix> y,
            const Rng& noise, uint64_t event, const uint32_t* lanes, uint32_t* saturated,
            const ConversionWindow* probe, Index samples) const;
  // Appends one ConversionPass per column of xq and y (its sample: lane mod `samples`; no
  // lanes: the column) in LSB codes where the converters quantise; read sets the scales.
  void record(const ConversionWindow& probe, const Eigen::Ref<const BatchMatrix>& xq,
              const Eigen::Ref<const BatchMatrix>& y, const uint32_t* lanes,
              Index samples) const;
  PeripheryParams p_;
};

}  // namespace xb::hw
