// SPDX-License-Identifier: MIT
// levy_sde: an alpha-stable driven SDE on a 1-D potential, by the Euler scheme of [C21]
// eq. 4.4 (P57, P58 in docs/theory.md):
//   w_{k+1} = w_k - η f'(w_k) + ε η^{1/α} ΔL_{k+1},   ΔL ~ S_α(1, θ, 0) (S1, zero mean for α > 1)
// on the quartic f(w) = w^4/4 - w^2/2 (minima at ±1) or the quadratic f(w) = k w^2 / 2.
// Numerical guard (P58 hazard): at α near 1 a single jump can throw w so far out that the
// explicit step on the quartic diverges; iterates are clipped to |w| <= clip and the number of
// clipped steps is reported (`clip_count`).
// drift: fractional replaces -f' by the drift b of the asymmetric fractional Langevin dynamics
// ([C21] eqs. 4.6-4.7, Thm 4.1; P59; sim/theory/fractional_drift.h), whose invariant law is the
// Gibbs measure, computed by FFT; fractional_gl by [C21]'s finite approximation b_{h,K} of
// eq. 4.8 (Thm 4.2: the error grows as K shrinks). Either is tabulated where
// ε^{-α}(f - min f) <= 25; beyond, φ is below e^{-25} and b is not resolvable (it grows like
// e^{f/ε^α}: not Lipschitz). The step uses the tamed Euler drift η b / (1 + η|b|) (Hutzenthaler,
// Jentzen & Kloeden 2012), which changes the drift by a relative η|b| (< 1e-2 in the bulk) and
// turns the explosive pull of the far field into a return of at most one unit per step; outside
// the table the step is exactly one unit inward. Steps with η|b| > 0.1 are counted
// (`tamed_count`).
//
// metrics.csv: bin_center, density (histogram of the iterates after burn_in, normalised by the
// total number of samples, so mass outside [hist_min, hist_max] is missing), gibbs_density
// (exp(-ε^{-α} f) normalised on the histogram range; the invariant law of the α = 2 scheme in
// the small-η limit).
// summary.json: mode (histogram bin of largest count), mode_negative, mode_positive (largest
// bins on w < 0 and w > 0), mean, median, mass_positive (fraction of iterates with w > 0),
// l1_gibbs (L1 distance between histogram and Gibbs density on the range), alpha, theta,
// clip_count, tamed_count, samples.
#include <algorithm>
#include <cmath>
#include <vector>

#include "hw_models/core/distributions.h"
#include "sim/experiment.h"
#include "sim/interrupt.h"
#include "sim/theory/fractional_drift.h"

namespace xb::sim {

namespace {

struct LevySdeParams {
  std::string potential = "quartic";
  std::string drift = "gradient";
  double drift_step = 2e-3;
  int drift_terms = 2000;
  double curvature = 1.0;
  double alpha = 1.9;
  double theta = 0.0;
  double eta = 1e-3;
  double epsilon = 1.0;
  int64_t steps = 40000;
  int64_t burn_in = 1000;
  int chains = 50;
  std::string start = "alternate";
  double w0 = 1.0;
  double clip = 10.0;
  double hist_min = -3.0;
  double hist_max = 3.0;
  int bins = 60;
  template <class F>
  void bind(F&& f) {
    f("potential", potential, "", "quartic (w^4/4 - w^2/2) | quadratic (curvature w^2 / 2)");
    f("drift", drift, "",
      "gradient (-f', eq. 4.4) | fractional (eq. 4.7 by FFT, Gibbs-invariant) | fractional_gl "
      "(eq. 4.8: Grünwald-Letnikov sums with h = drift_step, drift_terms terms per side)");
    f("drift_step", drift_step, "", "grid spacing of the tabulated fractional drift (h of eq. 4.8)");
    f("drift_terms", drift_terms, "", "K of eq. 4.8 (drift: fractional_gl)");
    f("curvature", curvature, "", "k of the quadratic potential");
    f("alpha", alpha, "", "tail index α in (0, 2] of the driving Lévy noise");
    f("theta", theta, "", "skewness θ in [-1, 1] (S1 parametrisation)");
    f("eta", eta, "", "step size η");
    f("epsilon", epsilon, "", "noise scale ε");
    f("steps", steps, "", "recorded steps per chain");
    f("burn_in", burn_in, "", "discarded steps per chain");
    f("chains", chains, "", "independent chains");
    f("start", start, "", "fixed (all at w0) | alternate (chains start at +w0, -w0, ...)");
    f("w0", w0, "", "initial point");
    f("clip", clip, "", "guard: iterates clipped to |w| <= clip (0 disables)");
    f("hist_min", hist_min, "", "histogram range, lower end");
    f("hist_max", hist_max, "", "histogram range, upper end");
    f("bins", bins, "", "histogram bins");
  }
  void validate(const Scope& s) const {
    s.require_one_of("potential", potential, {"quartic", "quadratic"});
    s.require_one_of("drift", drift, {"gradient", "fractional", "fractional_gl"});
    s.require_in("drift_step", drift_step, 1e-5, 0.1);
    s.require_in("drift_terms", drift_terms, 0, 100000);
    if (drift != "gradient") {
      s.require(alpha > 1, "alpha", alpha, "must be > 1 with a fractional drift ([C21] eq. 4.6)");
      s.require(epsilon > 0, "epsilon", epsilon, "must be > 0 with a fractional drift");
      // The drift table is kept in memory, and eq. 4.8 costs 2 (K + 1) terms per point.
      const double half_width = table_half_width();
      s.require(half_width / drift_step <= 1e6, "drift_step", drift_step,
                "the fractional drift table (half-width " + std::to_string(half_width) +
                    ") would exceed 1e6 points per side: raise drift_step or lower epsilon");
      s.require(drift != "fractional_gl" || 2 * half_width / drift_step * (drift_terms + 1) <= 2e9,
                "drift_terms", drift_terms,
                "table points x (drift_terms + 1) must be at most 2e9 (eq. 4.8 costs that many "
                "terms): lower drift_terms or raise drift_step");
    }
    s.require_gt("curvature", curvature, 0.0);
    s.require(alpha > 0 && alpha <= 2, "alpha", alpha, "must be in (0, 2]");
    s.require_in("theta", theta, -1.0, 1.0);
    s.require_gt("eta", eta, 0.0);
    s.require_ge("epsilon", epsilon, 0.0);
    s.require_in("steps", steps, int64_t(1), int64_t(2000000000));
    s.require_in("burn_in", burn_in, int64_t(0), int64_t(2000000000));
    s.require_in("chains", chains, 1, 1000000);
    s.require(steps * chains <= int64_t(100000000), "steps", steps,
              "steps x chains must be at most 1e8 recorded samples (all are kept for the median)");
    s.require_one_of("start", start, {"fixed", "alternate"});
    s.require_ge("clip", clip, 0.0);
    s.require(hist_max > hist_min, "hist_max", hist_max, "must be > hist_min");
    s.require_in("bins", bins, 2, 100000);
  }
  // Half-width r of the region ε^{-α}(f − min f) <= 25 where the fractional drift is tabulated
  // (both potentials are even): quartic (w² − 1)²/4 <= 25ε^α, quadratic k w²/2 <= 25ε^α.
  double table_half_width() const {
    const double budget = 25 * std::pow(epsilon, alpha);
    return potential == "quartic" ? std::sqrt(1 + 2 * std::sqrt(budget))
                                  : std::sqrt(2 * budget / curvature);
  }
};

class LevySde : public Experiment {
 public:
  explicit LevySde(const LevySdeParams& p) : p_(p) {}
  void prepare(Config&, const RunOptions& options) override { options_ = options; }

  double grad(double w) const {
    return p_.potential == "quartic" ? w * w * w - w : p_.curvature * w;
  }
  double potential(double w) const {
    return p_.potential == "quartic" ? 0.25 * w * w * w * w - 0.5 * w * w
                                     : 0.5 * p_.curvature * w * w;
  }

  // Table of the fractional drift over [-r, r], r = table_half_width() on the drift grid.
  theory::DriftTable fractional_table() const {
    theory::FractionalDriftSpec spec;
    spec.f = [this](double w) { return potential(w); };
    spec.df = [this](double w) { return grad(w); };
    spec.alpha = p_.alpha;
    spec.theta = p_.theta;
    spec.epsilon = p_.epsilon;
    spec.step = p_.drift_step;
    spec.w_max = std::ceil(p_.table_half_width() / p_.drift_step) * p_.drift_step;
    spec.w_min = -spec.w_max;
    spec.period = std::max(256.0, 4 * spec.w_max);
    return p_.drift == "fractional" ? theory::fractional_drift_spectral(spec)
                                    : theory::fractional_drift_grunwald(spec, p_.drift_terms);
  }

  void estimate_memory(MemoryEstimate& m) const override {
    m.add("recorded samples", "experiment.steps, experiment.chains",
          double(p_.steps) * double(p_.chains) * 8.0);
  }

  void run(RunFolder& out) override {
    const double kick = p_.epsilon * std::pow(p_.eta, 1.0 / p_.alpha);
    const bool fractional = p_.drift != "gradient";
    const theory::DriftTable table = fractional ? fractional_table() : theory::DriftTable{};
    int64_t tamed = 0;
    // Displacement of the drift part of one step.
    auto drift_step = [&](double w) {
      if (!fractional) return -p_.eta * grad(w);
      if (w < table.w_min || w > table.w_max()) {
        ++tamed;
        return w < 0 ? 1.0 : -1.0;
      }
      const double b = p_.eta * table.at(w);
      if (std::abs(b) > 0.1) ++tamed;
      return b / (1 + std::abs(b));
    };
    const double width = (p_.hist_max - p_.hist_min) / p_.bins;
    std::vector<double> counts(std::size_t(p_.bins), 0.0);
    std::vector<double> samples;
    samples.reserve(std::size_t(p_.steps) * std::size_t(p_.chains));
    int64_t clipped = 0;
    double sum = 0, positive = 0;
    for (int c = 0; c < p_.chains; ++c) {
      Rng r(options_.seed, Stream::estimator, uint32_t(c));
      double w = (p_.start == "alternate" && (c % 2)) ? -p_.w0 : p_.w0;
      for (int64_t k = 0; k < p_.burn_in + p_.steps; ++k) {
        if ((k & 0xffff) == 0) throw_if_interrupted();
        w += drift_step(w) + kick * alpha_stable(r, p_.alpha, p_.theta);
        if (p_.clip > 0 && std::abs(w) > p_.clip) {
          w = std::copysign(p_.clip, w);
          ++clipped;
        }
        if (!std::isfinite(w))
          throw NumericalError("levy_sde: chain " + std::to_string(c) + ", step " +
                               std::to_string(k) + ": w is not finite");
        if (k < p_.burn_in) continue;
        samples.push_back(w);
        sum += w;
        positive += w > 0;
        const double b = std::floor((w - p_.hist_min) / width);
        if (b >= 0 && b < p_.bins) counts[std::size_t(b)] += 1;
      }
    }
    const double n = double(samples.size());
    // Gibbs density exp(-ε^{-α} f) normalised on the histogram range (midpoint rule, fine grid).
    const double temp = std::pow(p_.epsilon, p_.alpha);
    std::vector<double> gibbs(std::size_t(p_.bins));
    double z = 0;
    const int sub = 50;
    for (int i = 0; i < p_.bins; ++i) {
      double acc = 0;
      for (int j = 0; j < sub; ++j)
        acc += std::exp(-potential(p_.hist_min + width * (i + (j + 0.5) / sub)) / temp);
      gibbs[std::size_t(i)] = acc / sub;
      z += acc / sub * width;
    }
    out.metrics().set_columns({"bin_center", "density", "gibbs_density"});
    double l1 = 0;
    int mode = 0, mode_neg = -1, mode_pos = -1;
    for (int i = 0; i < p_.bins; ++i) {
      const double center = p_.hist_min + width * (i + 0.5);
      const double dens = counts[std::size_t(i)] / (n * width);
      gibbs[std::size_t(i)] /= z;
      l1 += std::abs(dens - gibbs[std::size_t(i)]) * width;
      out.metrics().add_row({center, dens, gibbs[std::size_t(i)]});
      if (counts[std::size_t(i)] > counts[std::size_t(mode)]) mode = i;
      if (center < 0 && (mode_neg < 0 || counts[std::size_t(i)] > counts[std::size_t(mode_neg)]))
        mode_neg = i;
      if (center > 0 && (mode_pos < 0 || counts[std::size_t(i)] > counts[std::size_t(mode_pos)]))
        mode_pos = i;
    }
    auto center = [&](int i) { return i < 0 ? 0.0 : p_.hist_min + width * (i + 0.5); };
    std::nth_element(samples.begin(), samples.begin() + long(samples.size() / 2), samples.end());
    auto& s = out.summary();
    s["mode"] = center(mode);
    s["mode_negative"] = center(mode_neg);
    s["mode_positive"] = center(mode_pos);
    s["mean"] = sum / n;
    s["median"] = samples[samples.size() / 2];
    s["mass_positive"] = positive / n;
    s["l1_gibbs"] = l1;
    s["alpha"] = p_.alpha;
    s["theta"] = p_.theta;
    s["clip_count"] = clipped;
    s["tamed_count"] = tamed;
    s["samples"] = int64_t(samples.size());
  }

 private:
  LevySdeParams p_;
  RunOptions options_;
};

}  // namespace

void register_experiment_levy_sde(ExperimentRegistry& r) {
  r.add_model<LevySdeParams, LevySde>(
      "levy_sde",
      "alpha-stable driven Euler scheme on a potential: stationary histogram and mode shift "
      "([C21] eq. 4.4, Fig. 6)");
}

}  // namespace xb::sim
