// SPDX-License-Identifier: MIT
// estimator_stats: bias and variance of a learning rule's realised update (rule x device x
// scheme, or digital), and the Lemma 2.1 prediction built from them (P1, P4 in
// docs/theory.md; the experiment is described there).
//
// From one state w (the initialised network, or after `warmup` training steps with the same
// rule and scheme on consecutive batches of the training set), the update of the first batch
// is realised `repeats` times from the *same* state: every tile is replaced by tile.fork(r)
// (same devices and weights, independent cycle-to-cycle and read noise:
// hw_models/crossbar/tile.h) and the rule draws with event r (its own randomness, e.g. weight
// perturbation, differs per repeat). The realised update Δw_r (read back from the
// tiles, after the step's mini-batch of device time: lifetime decay and diffusion are part of
// what a step does to the weights; digital parameters exactly) gives the estimate error
//   err_r = -Δw_r / lr - g        (ĝ_realised - g; g = exact double gradient on the batch)
// bias vector = mean err_r, its covariance Σ_err, variance_total = Tr Σ_err ([G23]'s
// σ^2 f(N), in gradient units). The loss is the exact double loss of the weights (a digital
// twin of the network: no read noise).
// Prediction (general form of Lemma 2.1, sim/theory/lemma.h): with mean update μ and
// covariance Σ of Δw (population 1/R moments, so that on a quadratic prediction and
// measurement coincide to rounding)
//   predicted_delta_loss = g^T μ + 1/2 (μ^T H μ + Tr[H Σ])      (H v exact, R-operator)
//   measured_delta_loss  = mean_r L(w + Δw_r) - L(w)
// `steps` K > 1 measures what K consecutive updates realise from the state (each repeat runs
// K steps on the same batch; a transfer period of the Tiki-Taka schemes, say), against K
// steps of exact gradient descent from w, Δw_ref: err_r = (Δw_ref − Δw_r) / (K·lr), per step
// in gradient units (K = 1: Δw_ref = −lr·g, the form above). The direction "along" stays g.
// `widths` (optional) repeats the measurement with every hidden layer set to each width, one
// metrics row per width; f_exponent is the least-squares slope of log variance_total on
// log n_params (the empirical f(N) exponent: the papers state f(N) for no rule but EqProp, so
// it is measured).
//
// metrics.csv: width, n_params, grad_norm, bias_norm, bias_norm_debiased (sqrt(||bias||^2 -
//   variance_total / R): without the Monte-Carlo floor of the mean), bias_along_grad, bias_across_grad,
//   variance_total, predicted_delta_loss, predicted_variance_part (1/2 Tr[H Σ]),
//   measured_delta_loss, measured_stderr, true_step_delta_loss (L(w + Δw_ref) - L(w)), and the
//   half-width of a 95 % interval of each estimated figure (<key>_ci95): for bias_along_grad
//   and variance_total 1.96 standard errors of their per-repeat terms (err_r·ĝ and the
//   centred ||err_r||²); for the three norms the 2.5-97.5 % range of 200 bootstrap resamples
//   of the repeats (half its width). A figure whose interval is wider than itself gets a
//   warning on stderr and in summary.json's `warnings` (raise repeats).
// summary.json: the first row's values (bias_norm, bias_along_grad, variance_total,
//   predicted_delta_loss, measured_delta_loss, ...) and f_exponent (with >= 2 widths).
#include <algorithm>
#include <cmath>
#include <iostream>
#include <iterator>
#include <memory>
#include <sstream>

#include "hw_models/crossbar/tile.h"
#include "learning_rules/learning_rule.h"
#include "learning_rules/tile_layer.h"
#include "hw_models/update/update_scheme.h"
#include "sim/experiment.h"
#include "sim/interrupt.h"
#include "sim/learning_setup.h"
#include "sim/tasks/task.h"
#include "sim/theory/hessian.h"

namespace xb::sim {

namespace {

// The metrics columns, in order (the summary takes the first width's row under these keys).
const char* const kColumns[] = {
    "width", "n_params", "grad_norm", "bias_norm", "bias_norm_debiased", "bias_along_grad",
    "bias_across_grad", "variance_total", "predicted_delta_loss", "predicted_variance_part",
    "measured_delta_loss", "measured_stderr", "true_step_delta_loss", "bias_norm_ci95",
    "bias_norm_debiased_ci95", "bias_along_grad_ci95", "bias_across_grad_ci95",
    "variance_total_ci95"};

std::size_t column(const std::string& key) {
  for (std::size_t k = 0; k < std::size(kColumns); ++k)
    if (key == kColumns[k]) return k;
  throw std::logic_error("estimator_stats: no column " + key);
}

// The non-idealities `sources` can switch off, and the keys that do it.
struct Source {
  const char* name;
  std::vector<const char*> overrides;  // KEY=VALUE, as --set
};
const std::vector<Source>& known_sources() {
  static const std::vector<Source> s = {
      {"c2c", {"device.dw_min_std=0", "device.write_noise_std=0"}},
      {"d2d", {"device.dw_min_dtod=0", "device.up_down_dtod=0", "device.w_min_dtod=0",
               "device.w_max_dtod=0"}},
      {"asymmetry", {"device.up_down=0"}},
      {"read_noise", {"device.read_noise_std=0"}},
      {"periphery_noise", {"periphery.out_noise=0", "periphery.w_noise=0"}},
      {"quantisation", {"periphery.inp_res=0", "periphery.out_res=0"}},
      {"scheme", {"scheme={type: ideal}"}},
  };
  return s;
}

struct EstimatorStatsParams {
  double lr = 0.01;
  int repeats = 200;
  int batch = 0;
  int warmup = 0;
  int steps = 1;
  std::vector<int> widths;
  std::vector<std::string> sources;
  template <class F>
  void bind(F&& f) {
    f("lr", lr, "1", "learning rate of the update (Δw = -lr ĝ, written through the scheme)");
    f("repeats", repeats, "", "independent realisations R of the update from the same state");
    f("batch", batch, "", "samples of the batch (0: the whole training set); first samples");
    f("warmup", warmup, "",
      "training steps (same rule, scheme, lr) on consecutive batches of the training set "
      "before measuring");
    f("steps", steps, "",
      "consecutive updates per repeat, measured together against as many exact gradient "
      "steps (e.g. a transfer period); figures per step");
    f("widths", widths, "", "hidden widths to sweep (empty: the network section's)");
    f("sources", sources, "",
      "non-idealities to switch off one at a time, for their share of bias and variance: "
      "c2c, d2d, asymmetry, read_noise, periphery_noise, quantisation, scheme (sources.csv)");
  }
  void validate(const Scope& s) const {
    s.require_gt("lr", lr, 0.0);
    s.require_in("repeats", repeats, 2, 1000000);
    s.require_in("batch", batch, 0, 1 << 24);
    s.require_in("warmup", warmup, 0, 1 << 30);
    s.require_in("steps", steps, 1, 1 << 16);
    s.require_each_in("widths", widths, 1, 1 << 20);
    for (const auto& name : sources) {
      std::vector<std::string> names;
      for (const auto& k : known_sources()) names.push_back(k.name);
      s.require(std::find(names.begin(), names.end(), name) != names.end(), "sources", name,
                "must name known sources: c2c, d2d, asymmetry, read_noise, periphery_noise, "
                "quantisation, scheme");
    }
  }
};

class EstimatorStats : public Experiment {
 public:
  explicit EstimatorStats(const EstimatorStatsParams& p) : p_(p) {}

  void prepare(Config& cfg, const RunOptions& options) override {
    options_ = options;
    setup_ = LearningSetup::read(cfg);
    if (!setup_.task->uses_network() && !p_.widths.empty()) {
      Scope(cfg, "experiment").fail("widths", p_.widths.size(), "needs a network task");
    }
    if (!setup_.network.layers.empty() && !p_.widths.empty())
      Scope(cfg, "experiment").fail("widths", p_.widths.size(),
                                    "sets the hidden widths of an MLP; network.layers is given "
                                    "(run one config per width instead)");
    if (p_.sources.empty()) return;
    if (!setup_.network.any_analog())
      Scope(cfg, "experiment").fail("sources", p_.sources.front(),
                                    "switches non-idealities of tiles: needs network.analog");
    // One hardware per source switched off, and one with all of them off (the residual), each
    // read from a copy of the config with the source's keys overridden. A source none of whose
    // keys the models take (asymmetry on an `ideal` device) does not apply.
    Config all = cfg.clone();
    for (const std::string& name : p_.sources) {
      const Source& src = *std::find_if(known_sources().begin(), known_sources().end(),
                                        [&](const Source& k) { return name == k.name; });
      Config c = cfg.clone();
      for (const char* o : src.overrides) c.apply_override(o), all.apply_override(o);
      LearningSetup s = LearningSetup::read(c);
      bool applies = false;
      for (const char* o : src.overrides) {
        const std::string key = std::string(o).substr(0, std::string(o).find('='));
        applies = applies || c.declared(key) || key == "scheme";
      }
      sources_.push_back({name, applies, std::move(s)});
    }
    sources_.push_back({"all_listed", true, LearningSetup::read(all)});
  }

  void estimate_memory(MemoryEstimate& m) const override {
    rules::NetworkParams widest = setup_.network;
    if (!p_.widths.empty())
      widest.hidden.assign(widest.hidden.size(),
                           *std::max_element(p_.widths.begin(), p_.widths.end()));
    setup_.estimate_memory(m, widest, double(p_.batch));
    // The R realisations of the update (one column each) and the saved tiles beside the forks.
    const double params = setup_.task->uses_network() ? network_weights(*setup_.task, widest) : 0;
    m.add("realised updates", "experiment.repeats, network.hidden",
          double(p_.repeats) * params * 8.0);
    if (widest.any_analog())
      m.add("saved tiles beside their forks", "network.hidden", params * 64.0);
  }

  void run(RunFolder& out) override {
    setup_.task->load(options_.seed);
    auto& m = out.metrics();
    m.set_columns(std::vector<std::string>(std::begin(kColumns), std::end(kColumns)));
    std::vector<int> widths = p_.widths;
    if (widths.empty()) widths.push_back(setup_.network.hidden.empty() ? 0 : setup_.network.hidden.front());
    std::vector<double> lx, ly, first;
    for (std::size_t i = 0; i < widths.size(); ++i) {
      rules::NetworkParams np = setup_.network;
      if (!p_.widths.empty()) np.hidden.assign(setup_.network.hidden.size(), widths[i]);
      const std::vector<double> row = measure(np, widths[i], setup_);
      if (i == 0) first = row;
      m.add_row(row);
      auto& s = out.summary();
      if (i == 0)
        for (std::size_t k = 0; k < row.size(); ++k) s[kColumns[k]] = row[k];
      // A figure its own interval does not separate from zero needs more repeats.
      for (const char* key : {"bias_norm", "bias_norm_debiased", "bias_along_grad",
                              "bias_across_grad", "variance_total"}) {
        const double v = row[column(key)], ci = row[column(std::string(key) + "_ci95")];
        if (!(ci > std::abs(v))) continue;
        std::ostringstream os;
        os << "width " << widths[i] << ": " << key << " = " << v << " has a 95 % interval of ±"
           << ci << ", wider than the figure; raise experiment.repeats (" << p_.repeats << ")";
        std::cerr << "warning: " << os.str() << "\n";
        s["warnings"].push_back(os.str());
      }
      if (row[7] > 0) lx.push_back(std::log(row[1])), ly.push_back(std::log(row[7]));
    }
    if (lx.size() >= 2) {
      const Eigen::Map<const VectorD> x(lx.data(), Index(lx.size())), y(ly.data(), Index(ly.size()));
      const double mx = x.mean(), my = y.mean();
      out.summary()["f_exponent"] =
          ((x.array() - mx) * (y.array() - my)).sum() / (x.array() - mx).square().sum();
    }
    if (!sources_.empty()) measure_sources(out, widths.front(), first);
  }

  // sources.csv: each source's figures with it switched off, and its share, full − off, with
  // the half-width sqrt(ci_full² + ci_off²) (the two measurements draw the same streams, so
  // this is conservative). "all_listed" switches every listed source off at once: the shares
  // of independent sources add up to full − all_listed. A share its interval does not separate
  // from zero gets a warning, as the figures do.
  void measure_sources(RunFolder& out, int width, const std::vector<double>& full) {
    rules::NetworkParams np = setup_.network;
    if (!p_.widths.empty()) np.hidden.assign(setup_.network.hidden.size(), width);
    const char* figures[] = {"bias_norm_debiased", "bias_along_grad", "bias_across_grad",
                             "variance_total"};
    std::string csv = "source,applies";
    for (const char* f : figures)
      csv += std::string(",") + f + "," + f + "_ci95," + f + "_share," + f + "_share_ci95";
    csv += "\n";
    auto& summary = out.summary()["sources"];
    std::vector<std::string> warnings;  // added after the loop: `summary` refers into the JSON
    for (const auto& src : sources_) {
      throw_if_interrupted();
      csv += src.name + (src.applies ? ",true" : ",false");
      const std::vector<double> off = src.applies ? measure(np, width, src.setup) : full;
      for (const char* f : figures) {
        const std::size_t k = column(f), c = column(std::string(f) + "_ci95");
        const double share = full[k] - off[k], ci = std::hypot(full[c], off[c]);
        csv += "," + format_number(off[k]) + "," + format_number(off[c]) + "," +
               format_number(share) + "," + format_number(ci);
        summary[src.name][std::string(f) + "_share"] = share;
        summary[src.name][std::string(f) + "_share_ci95"] = ci;
        if (src.applies && ci > std::abs(share)) {
          std::ostringstream os;
          os << "source " << src.name << ": " << f << "_share = " << share
             << " has a 95 % interval of ±" << ci
             << ", wider than the share: the source is negligible here, or raise "
                "experiment.repeats ("
             << p_.repeats << ")";
          warnings.push_back(os.str());
        }
      }
      summary[src.name]["applies"] = src.applies;
      csv += "\n";
    }
    write_file_atomic(out.file("sources.csv"), csv);
    for (const std::string& w : warnings) {
      std::cerr << "warning: " << w << "\n";
      out.summary()["warnings"].push_back(w);
    }
  }

 private:
  // The figures of one width; the network's tiles come from `hardware` (the run's, or a
  // source's with that source switched off).
  std::vector<double> measure(const rules::NetworkParams& np, int width,
                              const LearningSetup& hardware) {
    const uint64_t seed = options_.seed;
    const Rng init(seed, Stream::init);
    std::unique_ptr<rules::Model> model = setup_.task->make_model(np, init);
    const rules::NetworkParams dnp = np.digital();
    std::unique_ptr<rules::Model> twin = setup_.task->make_model(dnp, init);  // exact double loss
    rules::Network* net = model->network();
    std::vector<rules::TileLayer*>& layers = layers_;
    layers.clear();
    if (net)
      for (const auto& t : hardware.place_on_tiles(*net, seed)) layers.push_back(t.get());
    setup_.rule->prepare(*model, init);
    const rules::Batch& all = setup_.task->train();
    // Mini-batches of `batch` consecutive samples of the training set (wrapping around), or
    // the whole set, used as it is.
    const bool whole = p_.batch <= 0 || p_.batch >= all.size();
    auto slice = [&](Index first) {
      std::vector<Index> idx(static_cast<std::size_t>(p_.batch));
      for (Index i = 0; i < p_.batch; ++i) idx[std::size_t(i)] = (first + i) % all.size();
      return all.rows(idx);
    };
    const rules::Batch batch = whole ? all : slice(0);
    const Rng est(seed, Stream::estimator);
    double pulses = 0;
    // Warm-up trains as `train` would, on consecutive mini-batches of the training set (one
    // batch over and over would fit it and leave a vanishing gradient to measure against).
    for (int s = 0; s < p_.warmup; ++s) {
      throw_if_interrupted();
      const uint64_t event = uint64_t(1) << 40 | uint64_t(s);
      if (whole)
        apply(*model, setup_.rule->estimate(*model, all, est, event), pulses);
      else
        apply(*model, setup_.rule->estimate(*model, slice(Index(s) * p_.batch), est, event), pulses);
    }
    // The state: tiles (to fork), parameters (digital part).
    std::vector<std::vector<hw::Tile>> saved;
    std::vector<VectorD> saved_bias;
    for (rules::TileLayer* t : layers) saved.push_back(t->tiles());
    for (Index l = 0; net && l < net->layers(); ++l) saved_bias.push_back(net->bias(l));
    const VectorD w = model->params();
    twin->set_params(w);
    const VectorD g = twin->gradient(batch);
    const double l0 = twin->loss(batch);
    const Index n = w.size();
    const int K = p_.steps;
    // K steps of exact gradient descent from w (K = 1: −lr·g).
    VectorD ref = -p_.lr * g;
    for (int k = 1; k < K; ++k) {
      twin->set_params(w + ref);
      ref -= p_.lr * twin->gradient(batch);
    }
    const int R = p_.repeats;
    MatrixD dws(n, R);
    for (int r = 0; r < R; ++r) {
      throw_if_interrupted();
      if (layers.empty()) {
        model->set_params(w);
      } else {
        // Never re-programme a fork (set_weights would change its devices): swap in the fork,
        // restore the digital biases and re-read the weights.
        for (std::size_t l = 0; l < layers.size(); ++l)
          for (std::size_t k = 0; k < saved[l].size(); ++k)
            layers[l]->tiles()[k] = saved[l][k].fork(uint32_t(r));
        for (Index l = 0; l < net->layers(); ++l) net->set_bias(l, saved_bias[std::size_t(l)]);
        net->sync_from_tiles();
      }
      const VectorD before = model->params();
      for (int k = 0; k < K; ++k)
        apply(*model, setup_.rule->estimate(*model, batch, est, uint64_t(k) << 48 | uint64_t(r)),
              pulses);
      dws.col(r) = model->params() - before;
      if (!dws.col(r).allFinite())
        throw NumericalError("estimator_stats: repeat " + std::to_string(r) + ": update is not finite");
    }
    const VectorD mu = dws.rowwise().mean();
    const MatrixD centred = dws.colwise() - mu;
    // Estimate error err_r = -Δw_r / lr - g: mean (bias) and total variance (unbiased, R - 1).
    const double step = K * p_.lr;
    const VectorD bias = K == 1 ? VectorD(-mu / p_.lr - g) : VectorD((ref - mu) / step);
    const double var_total = centred.squaredNorm() / (step * step) / double(R - 1);
    const double gn = g.norm();
    const VectorD gu = gn > 0 ? VectorD(g / gn) : VectorD::Zero(n);
    const double along = bias.dot(gu);
    // Prediction from the population moments: g^T μ + 1/2 (μ^T H μ + Tr[H Σ]).
    double tr_hs = 0;
    for (int r = 0; r < R; ++r) {
      const VectorD c = centred.col(r);
      tr_hs += c.dot(theory::hvp(*twin, batch, c));
    }
    tr_hs /= double(R);
    const double pred = g.dot(mu) + 0.5 * (mu.dot(theory::hvp(*twin, batch, mu)) + tr_hs);
    double s = 0, s2 = 0;
    for (int r = 0; r < R; ++r) {
      twin->set_params(w + dws.col(r));
      const double d = twin->loss(batch) - l0;
      s += d, s2 += d * d;
    }
    const double meas = s / R;
    const double se = std::sqrt(std::max(0.0, (s2 - R * meas * meas) / (R - 1)) / R);
    twin->set_params(w + ref);
    const double gd = twin->loss(batch) - l0;
    // ||mean err||^2 carries the Monte-Carlo floor Tr Σ_err / R; subtract it for the bias proper.
    const double debiased = std::sqrt(std::max(0.0, bias.squaredNorm() - var_total / R));
    const Intervals ci = intervals(centred, bias, gu);
    return {double(width), double(n), gn, bias.norm(), debiased, along, (bias - along * gu).norm(),
            var_total, pred, 0.5 * tr_hs, meas, se, gd, ci.norm, ci.debiased, ci.along,
            ci.across, ci.variance};
  }

  struct Intervals {
    double norm = 0, debiased = 0, along = 0, across = 0, variance = 0;
  };

  // 95 % half-widths of the figures measured from the centred updates (one column per repeat):
  // standard errors for the two means of per-repeat terms, a bootstrap for the norms (their
  // sampling distributions are skewed near zero). Resamples are drawn from the run's seed.
  Intervals intervals(const MatrixD& centred, const VectorD& bias, const VectorD& gu) const {
    const Index R = centred.cols();
    const MatrixD err = centred / (-p_.lr * p_.steps);  // err_r − mean err
    Intervals ci;
    const VectorD along_r = err.transpose() * gu;
    ci.along = 1.96 * std::sqrt(along_r.squaredNorm() / double(R - 1) / double(R));
    const VectorD sq = err.colwise().squaredNorm().transpose();
    const double sq_mean = sq.mean();
    ci.variance = 1.96 * double(R) / double(R - 1) *
                  std::sqrt((sq.array() - sq_mean).square().sum() / double(R - 1) / double(R));
    const int B = 200;
    std::vector<double> norm(B), debiased(B), across(B);
    Rng rng = Rng(options_.seed, Stream::estimator).unit(0x62747370u);  // "btsp"
    for (int k = 0; k < B; ++k) {
      double ss = 0;
      VectorD pick_mean = VectorD::Zero(bias.size());
      std::vector<Index> pick(static_cast<std::size_t>(R));
      for (Index r = 0; r < R; ++r) pick[std::size_t(r)] = Index(rng() % uint32_t(R));
      for (Index r : pick) pick_mean += err.col(r);
      pick_mean /= double(R);
      for (Index r : pick) ss += (err.col(r) - pick_mean).squaredNorm();
      const VectorD b = bias + pick_mean;
      const double v = ss / double(R - 1);
      const double a = b.dot(gu);
      norm[std::size_t(k)] = b.norm();
      debiased[std::size_t(k)] = std::sqrt(std::max(0.0, b.squaredNorm() - v / double(R)));
      across[std::size_t(k)] = (b - a * gu).norm();
    }
    auto half_range = [](std::vector<double>& v) {
      std::sort(v.begin(), v.end());
      return 0.5 * (v[std::size_t(0.975 * double(v.size() - 1))] -
                    v[std::size_t(0.025 * double(v.size() - 1))]);
    };
    ci.norm = half_range(norm);
    ci.debiased = half_range(debiased);
    ci.across = half_range(across);
    return ci;
  }

  // Writes -lr ĝ as train does, then lets one mini-batch of device time pass (lifetime decay,
  // diffusion: part of what a step does to the weights; the step takes no seconds, drift is a
  // read effect, not the update's).
  void apply(rules::Model& model, const rules::Estimate& e, double& pulses) {
    apply_update(model, e, p_.lr, setup_.task->l2() == 0.0, pulses);
    rules::Network* net = model.network();
    if (!net || layers_.empty()) return;
    for (rules::TileLayer* t : layers_) t->advance(1, 0.0);
    net->sync_from_tiles();
  }

  struct SourceSetup {
    std::string name;
    bool applies;
    LearningSetup setup;  // its hardware: the run's with this source switched off
  };

  EstimatorStatsParams p_;
  std::vector<rules::TileLayer*> layers_;  // the analog layers of the network being measured
  RunOptions options_;
  LearningSetup setup_;
  std::vector<SourceSetup> sources_;
};

}  // namespace

void register_experiment_estimator_stats(ExperimentRegistry& r) {
  r.add_model<EstimatorStatsParams, EstimatorStats>(
      "estimator_stats", "bias and variance of a rule's realised update vs the Lemma 2.1 prediction");
}

}  // namespace xb::sim
