// SPDX-License-Identifier: MIT
// train: a network (on tiles when network.analog, else digital double) trained on a task with a
// learning rule and, on tiles, an update scheme. Each step: the rule returns the true gradient g
// and its estimate ĝ for the same state and batch; the intended update -lr ĝ is written
// (digital: exactly; analog: through the scheme as pulses; biases stay digital); the realised
// update Δw is read back. The realised direction u = -Δw/lr is compared with g.
//
// metrics.csv, one row per evaluation (every eval_every steps, and at step 0 and the end):
//   step, epoch, lr, train_loss, test_loss, train_accuracy, test_accuracy (classification: else
//   empty), grad_norm (||g|| at the last step), rule_cosine (mean over the steps since the last
//   row of cos(ĝ, g): the rule's own alignment, e.g. feedback alignment's angle),
//   alignment_deg (acos of rule_cosine), update_cosine (mean cos(Δw, -g) of the realised
//   update), bias_along_grad (mean of (u - g)·ĝ_unit where ĝ_unit = g/||g||: the realised
//   direction's error along the gradient, negative = too short), bias_across_grad (mean
//   ||(u - g) - ((u - g)·ĝ_unit) ĝ_unit||), pulses (cumulative).
// summary.json: final_train_loss, final_test_loss, train_accuracy, test_accuracy
//   (classification), total_pulses, steps, epochs_run, device_time_s (analog: the devices' age
//   at the end), weights_sha256 (SHA-256 of the parameters as doubles, layer by layer: W
//   row-major then b).
//
// Device time (analog): after every mini-batch each tile advances by one batch (lifetime
// decay, diffusion) and by the seconds the batch took: experiment.seconds_per_batch when given,
// else the chip's own clock (RunInstrument::device_seconds: the latencies of timing:, the same
// in functional and timed mode). Evaluations read from their own noise streams and do not
// age the devices, so eval_every never changes the weights.
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <memory>
#include <numeric>

#include <boost/random/uniform_int_distribution.hpp>

#include "hw_models/core/sha256.h"
#include "hw_models/crossbar/tile.h"
#include "hw_models/crossbar/timing_hook.h"
#include "learning_rules/learning_rule.h"
#include "learning_rules/tile_layer.h"
#include "hw_models/update/update_scheme.h"
#include "sim/experiment.h"
#include "sim/interrupt.h"
#include "sim/learning_setup.h"
#include "sim/tasks/task.h"

namespace xb::sim {

namespace {

struct TrainParams {
  int steps = 0;
  int epochs = 0;
  int batch = 1;
  double lr = 0.01;
  std::string lr_schedule = "constant";
  double lr_gamma = 0.1;
  int lr_step = 0;
  int eval_every = 0;
  int eval_samples = 0;
  double seconds_per_batch = 0;
  template <class F>
  void bind(F&& f) {
    f("steps", steps, "", "training steps (0: use epochs)");
    f("epochs", epochs, "", "passes over the training set (used when steps = 0)");
    f("batch", batch, "", "samples per step (0: the whole training set)");
    f("lr", lr, "1", "learning rate");
    f("lr_schedule", lr_schedule, "",
      "constant | step (x lr_gamma every lr_step steps) | cosine (to 0 at the last step) | "
      "inverse (lr / (1 + step / lr_step))");
    f("lr_gamma", lr_gamma, "1", "factor of the step schedule");
    f("lr_step", lr_step, "", "steps per decay of the step and inverse schedules");
    f("eval_every", eval_every, "", "steps between metrics rows (0: 20 rows per run)");
    f("eval_samples", eval_samples, "", "training samples used for train loss/accuracy (0: all)");
    f("seconds_per_batch", seconds_per_batch, "s",
      "device time per mini-batch, for drift (0: the chip's clock, the latencies of timing:)");
  }
  void validate(const Scope& s) const {
    s.require_in("steps", steps, 0, 1 << 30);
    s.require_in("epochs", epochs, 0, 1 << 20);
    s.require(steps > 0 || epochs > 0, "steps", steps, "steps or epochs must be > 0");
    s.require_in("batch", batch, 0, 1 << 24);
    s.require(std::isfinite(lr) && lr >= 0, "lr", lr, "must be finite and >= 0");
    s.require_one_of("lr_schedule", lr_schedule, {"constant", "step", "cosine", "inverse"});
    s.require((lr_schedule != "step" && lr_schedule != "inverse") || lr_step > 0, "lr_step",
              lr_step, "must be > 0 for the step and inverse schedules");
    s.require_in("lr_step", lr_step, 0, 1 << 30);
    s.require_in("eval_every", eval_every, 0, 1 << 30);
    s.require_in("eval_samples", eval_samples, 0, 1 << 24);
    s.require(std::isfinite(seconds_per_batch) && seconds_per_batch >= 0 &&
                  seconds_per_batch <= 1e9,
              "seconds_per_batch", seconds_per_batch, "must be in [0, 1e9]");
  }
};

bool finite(const VectorD& v) { return v.allFinite(); }

class Train : public Experiment {
 public:
  explicit Train(const TrainParams& p) : p_(p) {}

  void prepare(Config& cfg, const RunOptions& options) override {
    options_ = options;
    setup_ = LearningSetup::read(cfg);
    if (!setup_.task->uses_network() && p_.epochs > 0 && p_.steps == 0) {
      Scope(cfg, "experiment").fail("epochs", p_.epochs, "this task has no data: give steps");
    }
  }

  void estimate_memory(MemoryEstimate& m) const override {
    setup_.estimate_memory(m, setup_.network, double(p_.batch));
  }

  void run(RunFolder& out) override {
    const uint64_t seed = options_.seed;
    setup_.task->load(seed);
    const Rng init(seed, Stream::init);
    model_ = setup_.task->make_model(setup_.network, init);
    rules::Network* net = model_->network();
    if (net) {
      int l = 0;
      tiles_ = setup_.place_on_tiles(*net, setup_.network, seed);
      for (const auto& layer : tiles_) {
        // Pulse/energy ledger and, in timed mode, the tile's SystemC process (hw_models/sc/).
        if (hw::RunInstrument* ins = hw::current_instrument())
          layer->tile().set_timing_hook(ins->attach(layer->tile(), "layer" + std::to_string(l)));
        ++l;
      }
    }
    setup_.rule->prepare(*model_, init);

    const rules::Batch& train = setup_.task->train();
    const Index n = train.size();
    const Index bs = (p_.batch == 0 || p_.batch > n) ? std::max<Index>(n, 1) : p_.batch;
    const Index per_epoch = n > 0 ? (n + bs - 1) / bs : 1;
    const int64_t total = p_.steps > 0 ? p_.steps : int64_t(p_.epochs) * per_epoch;
    const int64_t eval_every = p_.eval_every > 0 ? p_.eval_every : std::max<int64_t>(1, total / 20);
    eval_train_ = p_.eval_samples > 0 && p_.eval_samples < n ? first(train, p_.eval_samples) : train;

    auto& m = out.metrics();
    m.set_columns({"step", "epoch", "lr", "train_loss", "test_loss", "train_accuracy",
                   "test_accuracy", "grad_norm", "rule_cosine", "alignment_deg", "update_cosine",
                   "bias_along_grad", "bias_across_grad", "pulses"});
    const bool progress = !options_.quiet && isatty(2);
    const Rng data(seed, Stream::data, 10), est(seed, Stream::estimator);
    std::vector<Index> order;
    Window win;
    double pulses = 0, grad_norm = 0;
    int64_t step = 0;
    int64_t epoch = 0;
    record(m, 0, 0, lr_at(0, total), grad_norm, win, pulses);
    while (step < total) {
      throw_if_interrupted();  // a step boundary: stop here on SIGINT/SIGTERM/SIGHUP
      // A fresh permutation of the training set per epoch, from the data stream.
      order.resize(std::size_t(n));
      std::iota(order.begin(), order.end(), Index(0));
      Rng r = data.at(uint64_t(epoch));
      for (Index i = n - 1; i > 0; --i) {
        boost::random::uniform_int_distribution<Index> u(0, i);
        std::swap(order[std::size_t(i)], order[std::size_t(u(r))]);
      }
      for (Index b0 = 0; b0 < std::max<Index>(n, 1) && step < total; b0 += bs) {
        rules::Batch batch;
        if (n > 0) {
          std::vector<Index> idx(order.begin() + b0, order.begin() + std::min(n, b0 + bs));
          batch = train.rows(idx);
        }
        const double lr = lr_at(step, total);
        hw::publish_rule_phase("estimate");
        rules::Estimate e = setup_.rule->estimate(*model_, batch, est, uint64_t(step));
        if (!finite(e.gradient)) fail(step, "true gradient");
        if (!finite(e.estimate)) fail(step, "rule estimate");
        const VectorD before = model_->params();
        hw::publish_rule_phase("update");
        apply(e, lr, pulses);
        const VectorD after = model_->params();
        if (!finite(after)) fail(step, "weights");
        grad_norm = e.gradient.norm();
        win.add(e, before, after, lr);
        ++step;
        if (progress && (step % std::max<int64_t>(1, total / 100) == 0 || step == total))
          std::fprintf(stderr, "\rtrain: step %lld/%lld (%3d%%)", (long long)step,
                       (long long)total, int(100 * step / total));
        if (step % eval_every == 0 || step == total) {
          record(m, step, epoch, lr, grad_norm, win, pulses);
          win = Window();
        }
      }
      ++epoch;
    }
    if (progress) std::fprintf(stderr, "\n");

    auto& s = out.summary();
    s["final_train_loss"] = last_train_loss_;
    s["final_test_loss"] = last_test_loss_;
    if (setup_.task->classification()) {
      s["train_accuracy"] = last_train_acc_;
      s["test_accuracy"] = last_test_acc_;
    }
    s["total_pulses"] = pulses;
    s["steps"] = step;
    s["epochs_run"] = double(step) / double(per_epoch);
    if (!tiles_.empty()) s["device_time_s"] = device_time_;
    const VectorD p = model_->params();
    Sha256 h;
    h.update(p.data(), sizeof(double) * std::size_t(p.size()));
    s["weights_sha256"] = h.hex();
  }

 private:
  // Averages over the steps since the last metrics row.
  struct Window {
    double rule_cos = 0, update_cos = 0, along = 0, across = 0;
    int n = 0;
    void add(const rules::Estimate& e, const VectorD& before, const VectorD& after, double lr) {
      const double gn = e.gradient.norm();
      if (gn == 0 || lr == 0) return;
      const VectorD gu = e.gradient / gn;
      const VectorD dw = after - before;
      const double en = e.estimate.norm(), dn = dw.norm();
      rule_cos += en > 0 ? e.estimate.dot(gu) / en : 0.0;
      update_cos += dn > 0 ? -dw.dot(gu) / dn : 0.0;
      const VectorD err = -dw / lr - e.gradient;
      const double a = err.dot(gu);
      along += a;
      across += (err - a * gu).norm();
      ++n;
    }
  };

  static rules::Batch first(const rules::Batch& b, Index k) {
    std::vector<Index> idx(static_cast<std::size_t>(k));
    std::iota(idx.begin(), idx.end(), Index(0));
    return b.rows(idx);
  }

  [[noreturn]] static void fail(int64_t step, const std::string& what) {
    throw NumericalError("train: step " + std::to_string(step) + ": " + what +
                         " is not finite (NaN or Inf)");
  }

  double lr_at(int64_t step, int64_t total) const {
    const std::string& s = p_.lr_schedule;
    if (s == "step") return p_.lr * std::pow(p_.lr_gamma, double(step / p_.lr_step));
    if (s == "cosine") return 0.5 * p_.lr * (1 + std::cos(M_PI * double(step) / double(total)));
    if (s == "inverse") return p_.lr / (1.0 + double(step) / p_.lr_step);
    return p_.lr;
  }

  // One mini-batch of device time on every tile (see the file comment).
  void advance_devices() {
    if (tiles_.empty()) return;
    double dt = p_.seconds_per_batch;
    if (dt == 0) {
      const hw::RunInstrument* ins = hw::current_instrument();
      const double now = ins ? ins->device_seconds() : 0.0;
      dt = now - clock_;
      clock_ = now;
    }
    device_time_ += dt;
    for (const auto& layer : tiles_) layer->tile().advance(1, dt);
  }

  // Writes -lr ĝ: digital parameters exactly, analog weights through their tile.
  void apply(const rules::Estimate& e, double lr, double& pulses) {
    rules::Network* net = model_->network();
    if (!net || !setup_.network.analog) {
      model_->set_params(model_->params() - lr * e.estimate);
      return;
    }
    for (Index l = 0; l < net->layers(); ++l) {
      const Index off = net->offset(l), rows = net->fan_out(l), cols = net->fan_in(l);
      const MatrixD dw = -lr * Eigen::Map<const MatrixD>(e.estimate.data() + off, rows, cols);
      // Rank-one factors only when they describe the whole estimate (no L2 term).
      const bool factors = std::size_t(l) < e.d.size() && setup_.task->l2() == 0.0;
      static const MatrixD none;
      net->tile(l)->update(dw, factors ? e.x[std::size_t(l)] : none,
                           factors ? e.d[std::size_t(l)] : none, lr, pulses);
      if (net->has_bias())
        net->set_bias(l, net->bias(l) - lr * e.estimate.segment(off + rows * cols, rows));
    }
    advance_devices();
    net->sync_from_tiles();
  }

  void record(MetricsTable& m, int64_t step, int64_t epoch, double lr, double grad_norm,
              const Window& w, double pulses) {
    hw::publish_rule_phase("eval");
    for (const auto& layer : tiles_) layer->tile().set_eval_reads(true, uint64_t(step));
    evaluate(m, step, epoch, lr, grad_norm, w, pulses);
    for (const auto& layer : tiles_) layer->tile().set_eval_reads(false);
  }

  void evaluate(MetricsTable& m, int64_t step, int64_t epoch, double lr, double grad_norm,
                const Window& w, double pulses) {
    rules::Network* net = model_->network();
    const rules::Batch& test = setup_.task->test();
    last_train_loss_ = net ? net->data_loss(eval_train_) + net->l2_term()
                           : model_->loss(eval_train_);
    last_test_loss_ = net ? (test.size() ? net->data_loss(test) : last_train_loss_)
                          : last_train_loss_;
    if (!std::isfinite(last_train_loss_)) fail(step, "train loss");
    if (hw::RunInstrument* ins = hw::current_instrument()) ins->loss(last_train_loss_);
    const bool cls = setup_.task->classification() && net;
    std::string tra, tea;
    if (cls) {
      last_train_acc_ = net->accuracy(eval_train_);
      last_test_acc_ = test.size() ? net->accuracy(test) : 0.0;
      tra = format_number(last_train_acc_);
      tea = format_number(last_test_acc_);
    }
    const double k = w.n > 0 ? 1.0 / w.n : 0.0;
    auto num = [](double v) { return format_number(v); };
    const double rc = w.rule_cos * k;
    m.add_row({std::to_string(step), std::to_string(epoch), num(lr), num(last_train_loss_),
               num(last_test_loss_), tra, tea, num(grad_norm), w.n ? num(rc) : "",
               w.n ? num(std::acos(std::clamp(rc, -1.0, 1.0)) * 180.0 / M_PI) : "",
               w.n ? num(w.update_cos * k) : "", w.n ? num(w.along * k) : "",
               w.n ? num(w.across * k) : "", num(pulses)});
  }

  TrainParams p_;
  RunOptions options_;
  LearningSetup setup_;
  std::unique_ptr<rules::Model> model_;
  std::vector<std::shared_ptr<rules::TileLayer>> tiles_;  // analog layers (empty: digital)
  double clock_ = 0, device_time_ = 0;                    // seconds
  rules::Batch eval_train_;
  double last_train_loss_ = 0, last_test_loss_ = 0, last_train_acc_ = 0, last_test_acc_ = 0;
};

}  // namespace

void register_experiment_train(ExperimentRegistry& r) {
  r.add_model<TrainParams, Train>(
      "train", "train a network (digital or on tiles) on a task with a learning rule and scheme");
}

}  // namespace xb::sim
