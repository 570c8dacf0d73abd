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
//   (classification), best_test_loss and best_test_accuracy (over the metrics rows),
//   mean_update_cosine, mean_bias_along_grad, mean_bias_across_grad (means over the rows that
//   have them), total_pulses, steps, epochs_run, device_time_s (analog: the devices' age
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
#include <fstream>
#include <memory>
#include <numeric>
#include <sstream>

#include <boost/random/uniform_int_distribution.hpp>

#include "hw_models/core/fast_normal.h"
#include "hw_models/core/sha256.h"
#include "hw_models/crossbar/tile.h"
#include "hw_models/crossbar/timing_hook.h"
#include "learning_rules/learning_rule.h"
#include "learning_rules/tile_layer.h"
#include "hw_models/update/update_scheme.h"
#include "sim/experiment.h"
#include "sim/interrupt.h"
#include "sim/learning_setup.h"
#include "sim/npz.h"
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
  int checkpoint_every = 0;
  bool save_devices = false;
  double weight_noise = 0;
  std::string weight_noise_type = "add_normal";
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
    f("checkpoint_every", checkpoint_every, "",
      "steps between checkpoints (weights.npz and checkpoint.npz, for run --resume; 0: at the "
      "end and on interruption only)");
    f("save_devices", save_devices, "",
      "weights.npz also holds each analog layer's device weights (device units)");
    f("weight_noise", weight_noise, "1",
      "hardware-aware training (digital layers): each step's estimate is taken at weights "
      "perturbed by this noise, the update applied to the clean weights; 0 = off");
    f("weight_noise_type", weight_noise_type, "",
      "add_normal (W + s·max|W_l|·ξ per layer) | mult_normal (W·(1 + s·ξ)), aihwkit's weight "
      "modifiers");
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
    s.require_in("checkpoint_every", checkpoint_every, 0, 1 << 30);
    s.require_in("weight_noise", weight_noise, 0.0, 10.0);
    s.require_one_of("weight_noise_type", weight_noise_type, {"add_normal", "mult_normal"});
    s.require(std::isfinite(seconds_per_batch) && seconds_per_batch >= 0 &&
                  seconds_per_batch <= 1e9,
              "seconds_per_batch", seconds_per_batch, "must be in [0, 1e9]");
  }
};

bool finite(const VectorD& v) { return v.allFinite(); }

// The estimator stream's unit of the training-time weight noise (the rules use unit 0).
constexpr uint32_t kWeightNoiseUnit = 0x48574E;

class Train : public Experiment {
 public:
  explicit Train(const TrainParams& p) : p_(p) {}

  void prepare(Config& cfg, const RunOptions& options) override {
    options_ = options;
    setup_ = LearningSetup::read(cfg);
    if (!setup_.task->uses_network() && p_.epochs > 0 && p_.steps == 0) {
      Scope(cfg, "experiment").fail("epochs", p_.epochs, "this task has no data: give steps");
    }
    const Scope s(cfg, "experiment");
    if (p_.weight_noise > 0 && setup_.network.any_analog())
      s.fail("weight_noise", p_.weight_noise,
             "acts on digital layers; analog layers take their read noise from "
             "periphery.w_noise and periphery.out_noise (drawn on every read)");
    // Keys about devices on a run without any.
    if (!setup_.network.any_analog() && p_.seconds_per_batch > 0)
      s.fail("seconds_per_batch", p_.seconds_per_batch, "ages devices: needs network.analog: true");
    if (!setup_.network.any_analog() && p_.save_devices)
      s.fail("save_devices", "true", "saves device weights: needs network.analog: true");
  }

  bool resumable() const override { return true; }

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
      tiles_ = setup_.place_on_tiles(*net, seed);
      for (const auto& layer : tiles_) {
        // Pulse/energy ledger and, in timed mode, the tile's SystemC process (hw_models/sc/).
        if (hw::RunInstrument* ins = hw::current_instrument())
          for (std::size_t k = 0; k < layer->tiles().size(); ++k) {
            hw::Tile& t = layer->tiles()[k];
            const std::string name = layer->tile_name("layer" + std::to_string(l), k);
            t.set_timing_hook(ins->attach(t, name, int(l)));
          }
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
    Loop at;
    if (options_.resume.empty())
      record(m, 0, 0, lr_at(0, total), at);
    else
      resume(m, at);
    try {
      while (at.step < total) {
        // A fresh permutation of the training set per epoch, from the data stream.
        const int64_t epoch = at.step / per_epoch;
        order.resize(std::size_t(n));
        std::iota(order.begin(), order.end(), Index(0));
        Rng r = data.at(uint64_t(epoch));
        for (Index i = n - 1; i > 0; --i) {
          boost::random::uniform_int_distribution<Index> u(0, i);
          std::swap(order[std::size_t(i)], order[std::size_t(u(r))]);
        }
        for (Index b0 = Index(at.step - epoch * per_epoch) * bs;
             b0 < std::max<Index>(n, 1) && at.step < total; b0 += bs) {
          throw_if_interrupted();  // a step boundary: stop here on SIGINT/SIGTERM/SIGHUP
          rules::Batch batch;
          if (n > 0) {
            std::vector<Index> idx(order.begin() + b0, order.begin() + std::min(n, b0 + bs));
            batch = train.rows(idx);
          }
          const double lr = lr_at(at.step, total);
          hw::publish_rule_phase("estimate");
          const VectorD clean = model_->params();
          if (p_.weight_noise > 0) model_->set_params(perturbed(clean, uint64_t(at.step)));
          rules::Estimate e = setup_.rule->estimate(*model_, batch, est, uint64_t(at.step));
          if (p_.weight_noise > 0) model_->set_params(clean);
          if (!finite(e.gradient)) fail(at.step, "true gradient");
          if (!finite(e.estimate)) fail(at.step, "rule estimate");
          const VectorD& before = clean;
          hw::publish_rule_phase("update");
          apply(e, lr, at);
          const VectorD after = model_->params();
          if (!finite(after)) fail(at.step, "weights");
          at.grad_norm = e.gradient.norm();
          at.win.add(e, before, after, lr);
          ++at.step;
          if (progress && (at.step % std::max<int64_t>(1, total / 100) == 0 || at.step == total))
            std::fprintf(stderr, "\rtrain: step %lld/%lld (%3d%%)", (long long)at.step,
                         (long long)total, int(100 * at.step / total));
          if (at.step % eval_every == 0 || at.step == total) {
            record(m, at.step, (at.step - 1) / per_epoch, lr, at);
            at.win = Window();
          }
          if (p_.checkpoint_every > 0 && at.step % p_.checkpoint_every == 0 && at.step < total)
            checkpoint(out, at);
        }
      }
    } catch (const Interrupted&) {
      checkpoint(out, at);  // what was done so far, for run --resume
      throw;
    }
    if (progress) std::fprintf(stderr, "\n");

    auto& s = out.summary();
    s["final_train_loss"] = last_train_loss_;
    s["final_test_loss"] = last_test_loss_;
    if (setup_.task->classification()) {
      s["train_accuracy"] = last_train_acc_;
      s["test_accuracy"] = last_test_acc_;
    }
    // What a design study compares across runs (sweep tables): the best evaluation, and the
    // means over the metrics rows of how well the realised updates followed the gradient.
    const std::vector<double> losses = m.numbers("test_loss");
    if (!losses.empty()) s["best_test_loss"] = *std::min_element(losses.begin(), losses.end());
    const std::vector<double> accs = m.numbers("test_accuracy");
    if (setup_.task->classification() && !accs.empty())
      s["best_test_accuracy"] = *std::max_element(accs.begin(), accs.end());
    for (const char* key : {"update_cosine", "bias_along_grad", "bias_across_grad"}) {
      const std::vector<double> v = m.numbers(key);
      if (!v.empty())
        s[std::string("mean_") + key] = std::accumulate(v.begin(), v.end(), 0.0) / double(v.size());
    }
    s["total_pulses"] = at.pulses;
    s["steps"] = at.step;
    s["epochs_run"] = double(at.step) / double(per_epoch);
    if (!tiles_.empty()) s["device_time_s"] = at.device_time;
    if (!options_.resume.empty()) s["resumed_at_step"] = resumed_at_;
    const VectorD p = model_->params();
    Sha256 h;
    h.update(p.data(), sizeof(double) * std::size_t(p.size()));
    s["weights_sha256"] = h.hex();
    write_file_atomic(out.file("weights.npz"), weights().serialize());
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

  // Where the training loop is: everything a checkpoint needs besides the model and tiles.
  struct Loop {
    int64_t step = 0;
    double pulses = 0, grad_norm = 0;
    Window win;
    double clock = 0, device_time = 0;  // seconds: chip clock at the last batch, device age
  };

  // The trained parameters: per layer W<l> (out x in) and b<l>, the weights as the devices
  // hold them (read without read noise); with save_devices, dev<l> (and dev<l>_minus) in device
  // units. A model without layers (quadratic) writes its parameter vector `params`.
  Npz weights() const {
    Npz z;
    const rules::Network* net = model_->network();
    if (!net) {
      z.add("params", model_->params());
      return z;
    }
    for (Index l = 0; l < net->layers(); ++l) {
      const std::string k = std::to_string(l);
      z.add("W" + k, net->weight(l));
      if (net->has_bias()) z.add("b" + k, net->bias(l));
    }
    if (p_.save_devices)
      for (std::size_t l = 0; l < tiles_.size(); ++l) {
        const rules::TileLayer& t = *tiles_[l];
        const int devices = t.tiles().front().devices();
        // dev<l> is the single device or G+, dev<l>_minus G−, dev<l>_<k> device k ≥ 2, each
        // of the whole layer (a split layer's tiles assembled).
        z.add("dev" + std::to_string(l), t.device_states(0));
        if (devices > 1) z.add("dev" + std::to_string(l) + "_minus", t.device_states(1));
        for (int k = 2; k < devices; ++k)
          z.add("dev" + std::to_string(l) + "_" + std::to_string(k), t.device_states(k));
      }
    return z;
  }

  // checkpoint.npz (model, tiles, rule, loop) and weights.npz; metrics.csv is saved first, so that it
  // holds every row up to the checkpoint's step.
  void checkpoint(RunFolder& out, const Loop& at) const {
    out.save_progress();
    Npz z;
    z.add("params", model_->params());
    z.add("loop", std::vector<std::uint64_t>{uint64_t(at.step), uint64_t(at.win.n)});
    z.add("loop_values", (VectorD(8) << at.pulses, at.grad_norm, at.win.rule_cos,
                          at.win.update_cos, at.win.along, at.win.across, at.clock,
                          at.device_time).finished());
    const hw::RunInstrument* ins = hw::current_instrument();
    z.add("device_cycles", std::vector<std::uint64_t>{ins ? ins->device_cycles() : 0});
    StateMap st;
    for (std::size_t l = 0; l < tiles_.size(); ++l)
      tiles_[l]->save_state(st, "layer" + std::to_string(l) + ".");
    setup_.rule->save_state(st);
    for (const auto& [k, a] : st.arrays) z.add("state." + k, a);
    for (const auto& [k, v] : st.numbers) z.add("state." + k, v);
    write_file_atomic(out.file("checkpoint.npz"), z.serialize());
    write_file_atomic(out.file("weights.npz"), weights().serialize());
  }

  // Restores the checkpoint of options_.resume and the metrics rows up to its step.
  void resume(MetricsTable& m, Loop& at) {
    const Npz z = Npz::load(options_.resume + "/checkpoint.npz");
    const VectorD params = z.vector("params");
    if (params.size() != model_->n_params())
      throw ConfigError(options_.resume + "/checkpoint.npz: params.npy holds " +
                        std::to_string(params.size()) + " parameters, the config's model " +
                        std::to_string(model_->n_params()));
    model_->set_params(params);
    const auto loop = z.u64("loop");
    const VectorD v = z.vector("loop_values");
    if (loop.size() != 2 || v.size() != 8)
      throw ConfigError(options_.resume + "/checkpoint.npz: malformed loop state");
    at.step = int64_t(loop[0]);
    at.win.n = int(loop[1]);
    at.pulses = v(0);
    at.grad_norm = v(1);
    at.win.rule_cos = v(2);
    at.win.update_cos = v(3);
    at.win.along = v(4);
    at.win.across = v(5);
    at.clock = v(6);
    at.device_time = v(7);
    if (hw::RunInstrument* ins = hw::current_instrument())
      ins->set_device_cycles(z.u64("device_cycles").at(0));
    StateMap st;
    for (const auto& [k, a] : z.arrays()) {
      if (k.rfind("state.", 0) != 0) continue;
      if (a.shape.empty())
        st.numbers[k.substr(6)] = z.scalar(k);
      else
        st.arrays[k.substr(6)] = z.float_array(k, Index(a.shape.at(0)), Index(a.shape.at(1)));
    }
    for (std::size_t l = 0; l < tiles_.size(); ++l)
      tiles_[l]->load_state(st, "layer" + std::to_string(l) + ".");
    setup_.rule->load_state(st);
    if (rules::Network* net = model_->network()) net->sync_from_tiles();
    resumed_at_ = at.step;
    // The rows the killed run recorded up to the checkpoint (metrics.csv was saved before it).
    std::ifstream in(options_.resume + "/metrics.csv");
    std::string line;
    std::getline(in, line);  // header
    while (std::getline(in, line)) {
      std::vector<std::string> cells;
      std::stringstream ss(line);
      std::string c;
      while (std::getline(ss, c, ',')) cells.push_back(c);
      if (line.back() == ',') cells.push_back("");
      if (cells.size() != m.columns().size())
        throw ConfigError(options_.resume + "/metrics.csv: a row has " +
                          std::to_string(cells.size()) + " cells, expected " +
                          std::to_string(m.columns().size()));
      if (std::stoll(cells[0]) > at.step) break;
      m.add_row(cells);
    }
  }

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

  // Hardware-aware training: the weights a step's estimate sees (aihwkit's weight modifiers
  // ADD_NORMAL and MULT_NORMAL; Joshi et al. 2020 train with such noise for PCM inference).
  // Layer weights only (biases stay clean); a model without layers perturbs every parameter.
  VectorD perturbed(const VectorD& p, uint64_t step) const {
    Rng rng = Rng(options_.seed, Stream::estimator, kWeightNoiseUnit).at(step);
    Vector xi_f(p.size());
    fill_normal_fast(rng, xi_f.data(), xi_f.size());  // vectorised: a draw per weight per step
    const VectorD xi = xi_f.cast<double>();
    VectorD out = p;
    const bool add = p_.weight_noise_type == "add_normal";
    auto modify = [&](Index off, Index n) {
      auto w = out.segment(off, n);
      const double scale = add ? p.segment(off, n).cwiseAbs().maxCoeff() : 0.0;
      if (add)
        w += p_.weight_noise * scale * xi.segment(off, n);
      else
        w = w.cwiseProduct(VectorD::Ones(n) + p_.weight_noise * xi.segment(off, n));
    };
    const rules::Network* net = model_->network();
    if (!net) {
      modify(0, p.size());
      return out;
    }
    for (Index l = 0; l < net->layers(); ++l) modify(net->offset(l), net->fan_out(l) * net->fan_in(l));
    return out;
  }

  // One mini-batch of device time on every tile (see the file comment).
  void advance_devices(Loop& at) {
    if (tiles_.empty()) return;
    double dt = p_.seconds_per_batch;
    if (dt == 0) {
      const hw::RunInstrument* ins = hw::current_instrument();
      const double now = ins ? ins->device_seconds() : 0.0;
      dt = now - at.clock;
      at.clock = now;
    }
    at.device_time += dt;
    for (const auto& layer : tiles_) layer->advance(1, dt);
  }

  // Writes -lr ĝ (rank-one factors only when they describe the whole estimate: no L2 term),
  // then lets the step's device time pass.
  void apply(const rules::Estimate& e, double lr, Loop& at) {
    apply_update(*model_, e, lr, setup_.task->l2() == 0.0, at.pulses);
    rules::Network* net = model_->network();
    if (!net || !setup_.network.any_analog()) return;
    advance_devices(at);
    net->sync_from_tiles();
  }

  void record(MetricsTable& m, int64_t step, int64_t epoch, double lr, const Loop& at) {
    hw::publish_rule_phase("eval");
    for (const auto& layer : tiles_) layer->set_eval_reads(true, uint64_t(step));
    evaluate(m, step, epoch, lr, at.grad_norm, at.win, at.pulses);
    for (const auto& layer : tiles_) layer->set_eval_reads(false);
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
  int64_t resumed_at_ = 0;
  rules::Batch eval_train_;
  double last_train_loss_ = 0, last_test_loss_ = 0, last_train_acc_ = 0, last_test_acc_ = 0;
};

}  // namespace

void register_experiment_train(ExperimentRegistry& r) {
  r.add_model<TrainParams, Train>(
      "train", "train a network (digital or on tiles) on a task with a learning rule and scheme");
}

}  // namespace xb::sim
