// SPDX-License-Identifier: MIT
// delta_loss: [G23] Lemma 2.1 measured (P1–P4, P9, P13, P14 in docs/theory.md). The model (quadratic
// task, or a network on a network task, loss on the whole training set) sits at w; the
// `synthetic` rule supplies Δw = -g + b β + σ sqrt(f(N)) n̂. For each draw k,
//   ΔL_k = L(w + dt Δw_k) - L(w - dt g)          (the metric of eq. 2: against a GD step)
// and its bias-only and noise-only parts L(w + dt(-g + b β)) - L(w - dt g) and
// L(w + dt(-g + noise_k)) - L(w - dt g). The prediction (eq. 3) uses the exact gradient, the
// exact H β (R-operator or the quadratic's H) and Tr[H] (exact up to trace_exact_max
// parameters, Hutchinson beyond); see sim/theory/lemma.h.
//
// mode one_step (default): `points` points along the GD control trajectory (point_every GD
//   steps of size dt apart), each measured at every step size of `dts` (default [dt]).
//   metrics.csv: point, dt, b (rows for every b of `b_values`, default the rule's b), grad_norm, hessian_trace, predicted_bias_term,
//   predicted_variance_term, predicted_delta_loss, measured_bias_term, measured_variance_term,
//   measured_delta_loss, measured_stderr, independence_residual (measured - bias part - noise
//   part), relative_error ((measured - predicted) / |predicted|).
//   summary.json: the required keys (n_params, grad_norm, hessian_trace, predicted_bias_term,
//   predicted_variance_term, predicted_delta_loss, measured_delta_loss, measured_stderr) as
//   means over the points at the first step size, plus measured_bias_term,
//   measured_variance_term, independence_residual, relative_error, hessian_trace_stderr (0 when
//   exact), lambda_max and lambda_min (H at the first point: dense up to 400 parameters, else
//   Lanczos; `spectrum: false` skips them), and with `layer_traces: true` hessian_trace_by_layer
//   (each layer's block of Tr[H], exact or Hutchinson as Tr[H]).
//   measured_stderr: standard error of the mean over draws (over antithetic pair means when
//   rule.sampling = antithetic, since the two halves of a pair are dependent).
// mode multi_step (Corollary A.2, P13): `steps` noisy steps with the rule's per-step b_i, σ_i
//   (rule.b_steps, sigma_steps) from the same w as the GD trajectory; draws trajectories
//   (antithetic over whole trajectories when sampling = antithetic). metrics.csv per dt: dt,
//   predicted_delta_loss (eq. 19), measured_delta_loss (E L(w~_k) - L(w_k)), measured_stderr,
//   residual. Summary as above at the first dt.
// mode steady_state (P14, quadratic task): `steps` steps of Δw = -g + b β (no noise); summary
//   measured_excess_loss (L at the end, minimum 0), predicted_excess_loss (1/2 b^T H^-1 b,
//   docs/corrections.md C4), seed_excess_loss ([G23]'s 1/2 b^T H b), distance_to_fixed_point.
#include <Eigen/Cholesky>
#include <algorithm>
#include <cmath>
#include <memory>

#include "learning_rules/learning_rule.h"
#include "learning_rules/synthetic.h"
#include "sim/experiment.h"
#include "sim/interrupt.h"
#include "sim/learning_setup.h"
#include "sim/tasks/task.h"
#include "sim/theory/hessian.h"
#include "sim/theory/lemma.h"

namespace xb::sim {

namespace {

struct DeltaLossParams {
  double dt = 0.01;
  std::vector<double> dts;
  std::vector<double> b_values;
  int draws = 2000;
  std::string mode = "one_step";
  int points = 1;
  int point_every = 10;
  int steps = 5;
  int trace_exact_max = 5000;
  int trace_probes = 200;
  bool spectrum = true;
  bool layer_traces = false;
  template <class F>
  void bind(F&& f) {
    f("dt", dt, "1", "step size Δt (w <- w + Δt Δw)");
    f("dts", dts, "1", "step sizes measured (default: [dt]); summary uses the first");
    f("b_values", b_values, "1", "one_step: bias magnitudes measured (default: the rule's b)");
    f("draws", draws, "", "noise draws per point (trajectories in multi_step)");
    f("mode", mode, "", "one_step (Lemma 2.1) | multi_step (Cor. A.2) | steady_state (P14)");
    f("points", points, "", "one_step: points along the GD control trajectory");
    f("point_every", point_every, "", "one_step: GD steps of size dt between points");
    f("steps", steps, "", "multi_step: noisy steps k; steady_state: GD steps with bias");
    f("trace_exact_max", trace_exact_max, "", "Tr[H] exact (N HVPs) up to this N, else Hutchinson");
    f("trace_probes", trace_probes, "", "Hutchinson probes beyond trace_exact_max");
    f("spectrum", spectrum, "",
      "one_step: lambda_max, lambda_min of H at the first point (Lanczos: slow on large nets)");
    f("layer_traces", layer_traces, "",
      "one_step, networks: Tr[H] of each layer's block at the first point (summary "
      "hessian_trace_by_layer)");
  }
  void validate(const Scope& s) const {
    s.require_gt("dt", dt, 0.0);
    for (double d : dts) s.require(d > 0 && std::isfinite(d), "dts", d, "entries must be > 0");
    s.require_in("draws", draws, 2, 1000000);
    s.require_one_of("mode", mode, {"one_step", "multi_step", "steady_state"});
    s.require_in("points", points, 1, 100000);
    s.require_in("point_every", point_every, 0, 1000000);
    s.require_in("steps", steps, 1, 1 << 30);
    s.require_in("trace_exact_max", trace_exact_max, 0, 1000000);
    s.require_in("trace_probes", trace_probes, 2, 1000000);
  }
};

struct Mean {
  double s = 0, s2 = 0;
  long n = 0;
  void add(double v) { s += v, s2 += v * v, ++n; }
  double mean() const { return n ? s / double(n) : 0.0; }
  double stderr_() const {
    if (n < 2) return 0.0;
    const double m = mean();
    return std::sqrt(std::max(0.0, (s2 - double(n) * m * m) / double(n - 1)) / double(n));
  }
};

class DeltaLoss : public Experiment {
 public:
  explicit DeltaLoss(const DeltaLossParams& p) : p_(p) {
    if (p_.dts.empty()) p_.dts = {p_.dt};
  }

  void prepare(Config& cfg, const RunOptions& options) override {
    options_ = options;
    task_ = task_registry().create(Scope(cfg, "task"));
    if (task_->uses_network()) {
      net_ = read_params<rules::NetworkParams>(Scope(cfg, "network"));
      check_network(Scope(cfg, "network"), *task_, net_);
    }
    rule_ = rules::rule_registry().create(Scope(cfg, "rule"), "synthetic");
    synth_ = dynamic_cast<rules::Synthetic*>(rule_.get());
    const Scope e(cfg, "experiment");
    if (!synth_)
      Scope(cfg, "rule").fail("type", rule_->name,
                              "delta_loss needs the synthetic rule (use estimator_stats for others)");
    antithetic_ = rules::EstimatorNoiseParams::read(Scope(cfg, "rule")).sampling == "antithetic";
    if (antithetic_ && p_.draws % 2) e.fail("draws", p_.draws, "must be even with antithetic sampling");
    if (p_.mode == "steady_state" && task_->uses_network())
      e.fail("mode", p_.mode, "steady_state needs the quadratic task (known minimum)");
    if (p_.layer_traces && !task_->uses_network())
      e.fail("layer_traces", "true", "reports Tr[H] per layer: needs a network task");
    if (net_.any_analog())
      Scope(cfg, "network").fail("analog", true, "delta_loss runs digital networks");
  }

  void estimate_memory(MemoryEstimate& m) const override {
    m.add("training data", "task (samples, inputs)", task_->data_bytes());
    const double params = task_->uses_network() ? network_weights(*task_, net_) : 0.0;
    m.add("parameters and noise draws", "experiment.draws, network.hidden",
          (double(p_.draws) + 16.0) * params * 8.0);
  }

  void run(RunFolder& out) override {
    const uint64_t seed = options_.seed;
    task_->load(seed);
    const Rng init(seed, Stream::init);
    model_ = task_->make_model(net_, init);
    rule_->prepare(*model_, init);
    batch_ = task_->train();
    if (p_.mode == "steady_state") return steady_state(out);
    if (p_.mode == "multi_step") return multi_step(out);
    one_step(out);
  }

 private:
  double loss_at(const VectorD& w) {
    model_->set_params(w);
    const double l = model_->loss(batch_);
    if (!std::isfinite(l)) throw NumericalError("delta_loss: loss is not finite (NaN or Inf)");
    return l;
  }

  void one_step(RunFolder& out) {
    auto& m = out.metrics();
    m.set_columns({"point", "dt", "b", "grad_norm", "hessian_trace", "predicted_bias_term",
                   "predicted_variance_term", "predicted_delta_loss", "measured_bias_term",
                   "measured_variance_term", "measured_delta_loss", "measured_stderr",
                   "independence_residual", "relative_error"});
    const Rng est(options_.seed, Stream::estimator), probes(options_.seed, Stream::estimator, 7);
    const Index n = model_->n_params();
    const VectorD& beta = synth_->noise()->beta();
    std::vector<double> acc(13, 0.0);
    uint64_t event = 0;
    double trace_se = 0;
    theory::ExtremeEigen spec;
    std::vector<theory::TraceEstimate> by_layer;
    for (int pt = 0; pt < p_.points; ++pt) {
      throw_if_interrupted();
      const VectorD w = model_->params();
      const VectorD g = model_->gradient(batch_);
      const theory::TraceEstimate te = theory::hessian_trace(
          *model_, batch_, probes.at(uint64_t(pt)), p_.trace_exact_max, p_.trace_probes);
      const double tr = te.trace;
      trace_se += te.stderr_ / p_.points;
      if (pt == 0 && p_.spectrum) spec = theory::extreme_eigenvalues(*model_, batch_);
      if (pt == 0 && p_.layer_traces && model_->network())
        by_layer = theory::layer_traces(*model_->network(), batch_, probes.unit(1),
                                        p_.trace_exact_max, p_.trace_probes);
      // Draws first (the estimate also gives the b and σ in force at this point).
      std::vector<VectorD> noise(std::size_t(p_.draws));
      double b = 0, sigma = 0;
      for (int k = 0; k < p_.draws; ++k) {
        throw_if_interrupted();
        model_->set_params(w);
        const rules::Estimate e = rule_->estimate(*model_, batch_, est, event++);
        b = synth_->last_b(), sigma = synth_->last_sigma();
        noise[std::size_t(k)] = -e.estimate + e.gradient - b * beta;  // σ sqrt(f) n̂
      }
      const double s2 = sigma * sigma * synth_->noise()->f();
      const std::vector<double> bl = p_.b_values.empty() ? std::vector<double>{b} : p_.b_values;
      for (double dt : p_.dts)
      for (double bb : bl) {
        const VectorD bvec = bb * beta;
        model_->set_params(w);
        const VectorD hb = theory::hvp(*model_, batch_, bvec);
        const theory::Lemma21 pred = theory::lemma21(g, bvec, hb, s2, tr, dt);
        const double l_gd = loss_at(w - dt * g);
        const double bias_part = loss_at(w + dt * (-g + bvec)) - l_gd;
        Mean total, var, resid;
        double pair_total = 0;
        for (int k = 0; k < p_.draws; ++k) {
          const VectorD& nz = noise[std::size_t(k)];
          const double t = loss_at(w + dt * (-g + bvec + nz)) - l_gd;
          const double v = loss_at(w + dt * (-g + nz)) - l_gd;
          var.add(v);
          resid.add(t - bias_part - v);
          if (antithetic_) {
            pair_total += t;
            if (k % 2) total.add(0.5 * pair_total), pair_total = 0;
          } else {
            total.add(t);
          }
        }
        const double rel = (total.mean() - pred.total()) / std::max(std::abs(pred.total()), 1e-300);
        const std::vector<double> row{double(pt), dt, bb, g.norm(), tr, pred.bias_term,
                                      pred.variance_term, pred.total(), bias_part, var.mean(),
                                      total.mean(), total.stderr_(), resid.mean(), rel};
        m.add_row(row);
        if (dt == p_.dts.front() && bb == bl.front())
          for (std::size_t i = 0; i < acc.size(); ++i) acc[i] += row[i + 1] / p_.points;
      }
      model_->set_params(w);
      for (int s = 0; s < p_.point_every && pt + 1 < p_.points; ++s)
        model_->set_params(model_->params() - p_.dt * model_->gradient(batch_));
    }
    auto& s = out.summary();
    s["n_params"] = n;
    const char* keys[] = {"dt", "b", "grad_norm", "hessian_trace", "predicted_bias_term",
                          "predicted_variance_term", "predicted_delta_loss", "measured_bias_term",
                          "measured_variance_term", "measured_delta_loss", "measured_stderr",
                          "independence_residual", "relative_error"};
    for (std::size_t i = 0; i < acc.size(); ++i) s[keys[i]] = acc[i];
    s["hessian_trace_stderr"] = trace_se;  // 0 when exact
    if (p_.spectrum) {
      s["lambda_max"] = spec.largest;  // extreme eigenvalues of H at the first point
      s["lambda_min"] = spec.smallest;
    }
    for (const theory::TraceEstimate& t : by_layer)
      s["hessian_trace_by_layer"].push_back({{"trace", t.trace}, {"stderr", t.stderr_}});
  }

  void multi_step(RunFolder& out) {
    auto& m = out.metrics();
    m.set_columns({"dt", "predicted_delta_loss", "measured_delta_loss", "measured_stderr",
                   "residual"});
    const Rng est(options_.seed, Stream::estimator);
    const VectorD w0 = model_->params();
    const VectorD& beta = synth_->noise()->beta();
    const double f = synth_->noise()->f();
    const int k = p_.steps;
    // Per-step b_i, σ_i as the rule schedules them (its call counter indexes b_steps).
    std::vector<double> bs, sig;
    for (int i = 0; i < k; ++i) {
      rule_->estimate(*model_, batch_, est, uint64_t(i));
      bs.push_back(synth_->last_b());
      sig.push_back(synth_->last_sigma());
    }
    std::vector<VectorD> bvec;
    std::vector<double> s2;
    for (int i = 0; i < k; ++i) {
      bvec.push_back(bs[std::size_t(i)] * beta);
      s2.push_back(sig[std::size_t(i)] * sig[std::size_t(i)] * f);
    }
    const rules::EstimatorNoise& noise = *synth_->noise();
    bool first = true;
    for (double dt : p_.dts) {
      model_->set_params(w0);
      const double pred = theory::corollary_a2(*model_, batch_, bvec, s2, dt);
      VectorD w = w0;
      for (int i = 0; i < k; ++i) {
        model_->set_params(w);
        w -= dt * model_->gradient(batch_);
      }
      const double l_gd = loss_at(w);
      Mean mean;
      double pair = 0;
      VectorD nh;
      const Rng traj(options_.seed, Stream::estimator, 11);
      for (int d = 0; d < p_.draws; ++d) {
        VectorD x = w0;
        for (int i = 0; i < k; ++i) {
          model_->set_params(x);
          const VectorD g = model_->gradient(batch_);
          // Antithetic over whole trajectories: trajectory 2j+1 uses -n̂ of trajectory 2j.
          const uint64_t draw = antithetic_ ? uint64_t(2 * ((d / 2) * k + i) + d % 2)
                                            : uint64_t(d * k + i);
          noise.sample(traj, draw, nh);
          x += dt * (-g + bvec[std::size_t(i)] + std::sqrt(s2[std::size_t(i)]) * nh);
        }
        const double v = loss_at(x) - l_gd;
        if (antithetic_) {
          pair += v;
          if (d % 2) mean.add(0.5 * pair), pair = 0;
        } else {
          mean.add(v);
        }
      }
      m.add_row(std::vector<double>{dt, pred, mean.mean(), mean.stderr_(), mean.mean() - pred});
      if (first) {
        auto& s = out.summary();
        model_->set_params(w0);
        s["n_params"] = model_->n_params();
        s["grad_norm"] = model_->gradient(batch_).norm();
        s["hessian_trace"] =
            theory::hessian_trace(*model_, batch_, est.unit(9), p_.trace_exact_max, p_.trace_probes).trace;
        s["predicted_delta_loss"] = pred;
        s["measured_delta_loss"] = mean.mean();
        s["measured_stderr"] = mean.stderr_();
        first = false;
      }
    }
    model_->set_params(w0);
  }

  void steady_state(RunFolder& out) {
    const Rng est(options_.seed, Stream::estimator);
    model_->set_params(model_->params());
    rule_->estimate(*model_, batch_, est, 0);
    const VectorD bvec = synth_->last_b() * synth_->noise()->beta();
    const MatrixD h = theory::dense_hessian(*model_, batch_);
    // The minimum: L = 1/2 (w - w*)^T H (w - w*), g = H (w - w*): w* = w - H^-1 g.
    const VectorD w_star = model_->params() - Eigen::MatrixXd(h).ldlt().solve(model_->gradient(batch_));
    auto& m = out.metrics();
    m.set_columns({"step", "excess_loss"});
    const int every = std::max(1, p_.steps / 100);
    for (int t = 0; t < p_.steps; ++t) {
      throw_if_interrupted();
      const VectorD g = model_->gradient(batch_);
      model_->set_params(model_->params() + p_.dt * (-g + bvec));
      if (!model_->params().allFinite())
        throw NumericalError("delta_loss: step " + std::to_string(t) + ": weights diverged");
      if ((t + 1) % every == 0)
        m.add_row(std::vector<double>{double(t + 1), model_->loss(batch_)});
    }
    auto& s = out.summary();
    const VectorD fixed = w_star + Eigen::MatrixXd(h).ldlt().solve(bvec);
    s["n_params"] = model_->n_params();
    s["grad_norm"] = model_->gradient(batch_).norm();
    s["hessian_trace"] = h.trace();
    s["measured_excess_loss"] = model_->loss(batch_);
    s["predicted_excess_loss"] = theory::steady_state_excess(h, bvec);
    s["seed_excess_loss"] = theory::steady_state_seed(h, bvec);
    s["distance_to_fixed_point"] = (model_->params() - fixed).norm();
  }

  DeltaLossParams p_;
  RunOptions options_;
  std::unique_ptr<Task> task_;
  std::unique_ptr<rules::LearningRule> rule_;
  rules::Synthetic* synth_ = nullptr;
  bool antithetic_ = false;
  rules::NetworkParams net_;
  std::unique_ptr<rules::Model> model_;
  rules::Batch batch_;
};

}  // namespace

void register_experiment_delta_loss(ExperimentRegistry& r) {
  r.add_model<DeltaLossParams, DeltaLoss>(
      "delta_loss", "[G23] Lemma 2.1 / Cor. A.2 / steady state: measured vs predicted loss change");
}

}  // namespace xb::sim
