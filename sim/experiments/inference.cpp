// SPDX-License-Identifier: MIT
// inference: trained weights (a train run's weights.npz, or a network trained in place by the
// `training:` section, a train experiment) programmed onto PCM conductance pairs and evaluated
// on the test set at times after programming, with the PCM statistics of
// Nandakumar et al. (2019) and Joshi et al. (Nat. Commun. 2020), in the form of aihwkit's
// PCMLikeNoiseModel (Rasch et al. 2023):
//
//   mapping       per layer, w_max = max|W|; g+ = max(W, 0)/w_max, g− = max(−W, 0)/w_max
//                 (conductances relative to g_max), W = w_max (g+ − g−).
//   programming   one_shot: g_p = g_T + σ_p(g_T) ξ, σ_p = s_prog (c0 + c1 g_T + c2 g_T²)/25 with
//                 (c0, c1, c2) = (0.26348, 1.9650, −1.1731) µS at g_max = 25 µS; clipped at 0.
//                 verify: up to n_iterations such writes, stopping at the first within
//                 tolerance of g_T (program-and-verify; each write a fresh draw).
//   drift         g(t) = g_p (t/t0)^−ν for t > t0 = 20 s; per device ν = s_drift·clamp(|μ + σ ξ|,
//                 0, 1), μ = clamp(−0.0155 ln g_p + 0.0244, 0.049, 0.1),
//                 σ = clamp(−0.0125 ln g_p − 0.0059, 0.008, 0.045).
//   read noise    g(t) + s_read |g(t)| Q_s sqrt(ln((t + t_read)/(2 t_read))) ξ, 1/f noise with
//                 Q_s = min(0.0088 / g_p^0.65, 0.2), t_read = 250 ns; drawn once per time.
//   compensation  global drift compensation: a calibration read of all-ones inputs right after
//                 programming and at t; the layer's outputs are scaled by Σ|W_p 1| / Σ|W(t) 1|.
//   periphery     without a `periphery:` section, reads are exact products with the weights
//                 as read. With one, every layer sits on a tile of exact devices (an `ideal`
//                 law over ±1e6) that holds those weights in single precision, and every
//                 evaluation and calibration read goes through that periphery (DAC, output
//                 noise, ADC, bound management; tile.h), drawing fresh periphery noise per
//                 read from the tile streams of the run's seed.
// Every repeat is a new chip (programming, ν) from the seed;
// its reads at each time are fresh draws. With all scales 0, every time equals the trained
// network exactly.
//
// metrics.csv, one row per time: time_s, accuracy (mean over repeats) and its 95 % interval
// half-width (Student t), the same with drift compensation, and the mean test losses.
// read_weights.npz (save_weights): the first chip's weights as read at every time.
// per_chip.csv: one row per chip and time (repeat, time_s, accuracy, accuracy_gdc, test_loss,
// test_loss_gdc), for intervals pooled over several runs.
// summary.json: trained_test_accuracy, trained_test_loss, times_s, accuracy_mean,
// accuracy_ci95, accuracy_gdc_mean, accuracy_gdc_ci95 (lists over times), repeats.
#include <boost/math/distributions/students_t.hpp>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <optional>

#include "hw_models/core/errors.h"
#include "hw_models/devices/ideal.h"
#include "learning_rules/tile_layer.h"
#include "sim/experiment.h"
#include "sim/interrupt.h"
#include "sim/learning_setup.h"
#include "sim/npz.h"
#include "sim/tasks/task.h"

namespace xb::sim {

namespace {

struct InferenceParams {
  std::string weights;
  std::vector<double> times = {1, 3600, 86400, 2592000, 31536000, 315360000};
  int repeats = 5;
  std::string programming = "one_shot";
  int n_iterations = 5;
  double tolerance = 0.01;
  double prog_noise_scale = 1.0, drift_scale = 1.0, read_noise_scale = 1.0;
  double t0 = 20.0, t_read = 250e-9;
  bool save_weights = false;
  template <class F>
  void bind(F&& f) {
    f("weights", weights, "",
      "a train run folder (its weights.npz) or a .npz file; empty: train in place with the "
      "config's `training:` section (a train experiment, written to <run>/training)");
    f("times", times, "s", "times after programming at which the test set is evaluated");
    f("repeats", repeats, "", "chips programmed per time point (seeds of the interval)");
    f("programming", programming, "", "one_shot | verify (program-and-verify)");
    f("n_iterations", n_iterations, "", "verify: largest number of writes per device");
    f("tolerance", tolerance, "1", "verify: accepted |g − g_target|, relative to g_max");
    f("prog_noise_scale", prog_noise_scale, "1", "scale of the programming noise (0: exact)");
    f("drift_scale", drift_scale, "1", "scale of the drift exponents ν (0: no drift)");
    f("read_noise_scale", read_noise_scale, "1", "scale of the 1/f read noise (0: none)");
    f("t0", t0, "s", "drift reference time: no drift before it");
    f("t_read", t_read, "s", "read duration of the 1/f noise model");
    f("save_weights", save_weights, "",
      "write read_weights.npz: the first chip's weights as read at every time, t<k>_W<l> and "
      "with drift compensation t<k>_W<l>_gdc");
  }
  void validate(const Scope& s) const {
    s.require(!times.empty(), "times", "[]", "give at least one time");
    for (double t : times)
      s.require(std::isfinite(t) && t > 0 && t <= 1e12, "times", t, "entries must be in (0, 1e12]");
    s.require_in("repeats", repeats, 1, 100000);
    s.require_one_of("programming", programming, {"one_shot", "verify"});
    s.require_in("n_iterations", n_iterations, 1, 1000);
    s.require_in("tolerance", tolerance, 0.0, 1.0);
    s.require_in("prog_noise_scale", prog_noise_scale, 0.0, 100.0);
    s.require_in("drift_scale", drift_scale, 0.0, 100.0);
    s.require_in("read_noise_scale", read_noise_scale, 0.0, 100.0);
    s.require_in("t0", t0, 1e-9, 1e9);
    s.require_in("t_read", t_read, 1e-12, 1.0);
  }
};

// One layer's devices on a chip (conductances relative to g_max): the targets of the mapping,
// what was programmed, the drift exponents, and the calibration read right after programming.
struct ProgrammedPair {
  double w_max = 1;
  ArrayD target_plus, target_minus, g_plus, g_minus, nu_plus, nu_minus;
  double calibration = 0;  // Σ|W_p·1|: all-ones inputs, no drift, no read noise
};

class Inference : public Experiment {
 public:
  explicit Inference(const InferenceParams& p) : p_(p) {}

  void prepare(Config& cfg, const RunOptions& options) override {
    options_ = options;
    setup_ = LearningSetup::read(cfg, /*own_periphery=*/true);
    if (cfg.has("periphery"))
      periphery_ = read_params<hw::PeripheryParams>(Scope(cfg, "periphery"));
    const Scope s(cfg, "experiment");
    if (!setup_.task->uses_network()) s.fail("type", "inference", "the task has no network");
    if (setup_.network.any_analog() || setup_.device)
      Scope(cfg, "network").fail("analog", setup_.network.any_analog() ? "true" : "false",
                                 "inference programs trained weights with its own PCM model "
                                 "and reads them exactly: give no device section and a "
                                 "digital network");
    if (p_.weights.empty()) {
      // Train in place: `training:` is a train experiment over the same task, network and rule.
      if (!cfg.has("training"))
        s.fail("weights", "''", "give a train run folder or a .npz file, or a `training:` "
                                "section (type: train) to train in place");
      const Scope training(cfg, "training");
      trainer_ = experiment_registry().create(training);
      if (!trainer_->resumable())  // the train experiment is the one that writes weights.npz
        training.fail("type", cfg.get("training.type").as<std::string>(""), "must be train");
      trainer_->prepare(cfg, options);
      return;
    }
    if (cfg.has("training"))
      s.fail("weights", p_.weights, "give weights or a `training:` section, not both");
    std::string path = p_.weights;
    if (std::filesystem::is_directory(path)) path += "/weights.npz";
    if (!std::filesystem::exists(path))
      s.fail("weights", p_.weights, "no such run folder or file (a train run writes weights.npz)");
    weights_ = Npz::load(path);
  }

  void estimate_memory(MemoryEstimate& m) const override {
    setup_.estimate_memory(m, setup_.network, 0.0);
    if (trainer_) trainer_->estimate_memory(m);
  }

  void run(RunFolder& out) override {
    const uint64_t seed = options_.seed;
    if (trainer_) {
      RunFolder training(out.file("training"), false);
      trainer_->run(training);
      training.summary()["status"] = "ok";
      training.flush();
      weights_ = Npz::load(training.file("weights.npz"));
      out.summary()["training"] = training.summary();
    }
    setup_.task->load(seed);
    model_ = setup_.task->make_model(setup_.network, Rng(seed, Stream::init));
    rules::Network& net = *model_->network();
    for (Index l = 0; l < net.layers(); ++l) {
      const std::string k = std::to_string(l);
      const MatrixD w = weights_.matrix("W" + k);
      if (w.rows() != net.fan_out(l) || w.cols() != net.fan_in(l))
        throw ConfigError(p_.weights + ": W" + k + " is " + std::to_string(w.rows()) + "x" +
                          std::to_string(w.cols()) + ", the config's layer " + k + " is " +
                          std::to_string(net.fan_out(l)) + "x" + std::to_string(net.fan_in(l)));
      net.set_weight(l, w);
      if (net.has_bias()) net.set_bias(l, weights_.vector("b" + k));
      trained_.push_back(w);
    }
    const rules::Batch& test =
        setup_.task->test().size() ? setup_.task->test() : setup_.task->train();
    const bool cls = setup_.task->classification();
    const double trained_acc = cls ? net.accuracy(test) : 0.0;
    const double trained_loss = net.data_loss(test);
    if (periphery_) place_on_tiles(net);

    const std::size_t nt = p_.times.size();
    std::vector<std::vector<double>> acc(nt), acc_gdc(nt), loss(nt), loss_gdc(nt);
    Npz read_weights;
    for (int r = 0; r < p_.repeats; ++r) {
      std::vector<ProgrammedPair> chip;
      for (Index l = 0; l < net.layers(); ++l) chip.push_back(program(l, uint64_t(r)));
      for (std::size_t ti = 0; ti < nt; ++ti) {
        throw_if_interrupted();
        std::vector<MatrixD> raw;
        for (Index l = 0; l < net.layers(); ++l)
          raw.push_back(read(l, chip[std::size_t(l)], uint64_t(r) * nt + ti, p_.times[ti]));
        for (int gdc = 0; gdc < 2; ++gdc) {
          for (Index l = 0; l < net.layers(); ++l) {
            const MatrixD& wt = raw[std::size_t(l)];
            net.set_weight(l, gdc ? MatrixD(wt * compensation(l, chip[std::size_t(l)], wt)) : wt);
            if (p_.save_weights && r == 0)
              read_weights.add("t" + std::to_string(ti) + "_W" + std::to_string(l) +
                                   (gdc ? "_gdc" : ""),
                               net.weight(l));
          }
          const double l = net.data_loss(test);
          if (!std::isfinite(l))
            throw NumericalError("inference: chip " + std::to_string(r) + " at t = " +
                                 format_number(p_.times[ti]) + " s: the test loss is not finite");
          (gdc ? acc_gdc : acc)[ti].push_back(cls ? net.accuracy(test) : 0.0);
          (gdc ? loss_gdc : loss)[ti].push_back(l);
        }
      }
    }

    std::string per_chip = "repeat,time_s,accuracy,accuracy_gdc,test_loss,test_loss_gdc\n";
    for (int r = 0; r < p_.repeats; ++r)
      for (std::size_t ti = 0; ti < nt; ++ti) {
        const std::size_t k = std::size_t(r);
        per_chip += std::to_string(r) + "," + format_number(p_.times[ti]) + "," +
                    (cls ? format_number(acc[ti][k]) + "," + format_number(acc_gdc[ti][k]) : ",") +
                    "," + format_number(loss[ti][k]) + "," + format_number(loss_gdc[ti][k]) + "\n";
      }
    write_file_atomic(out.file("per_chip.csv"), per_chip);
    if (p_.save_weights) write_file_atomic(out.file("read_weights.npz"), read_weights.serialize());

    auto& m = out.metrics();
    m.set_columns({"time_s", "accuracy", "accuracy_ci95", "accuracy_gdc", "accuracy_gdc_ci95",
                   "test_loss", "test_loss_gdc"});
    auto& s = out.summary();
    std::vector<double> am, ac, gm, gc;
    for (std::size_t ti = 0; ti < nt; ++ti) {
      const auto [a_mean, a_ci] = mean_ci(acc[ti]);
      const auto [g_mean, g_ci] = mean_ci(acc_gdc[ti]);
      auto num = [&](double v) {
        return std::isfinite(v) && cls ? format_number(v) : std::string();  // accuracies
      };
      m.add_row({format_number(p_.times[ti]), num(a_mean), num(a_ci), num(g_mean), num(g_ci),
                 format_number(mean_ci(loss[ti]).first), format_number(mean_ci(loss_gdc[ti]).first)});
      am.push_back(a_mean);
      ac.push_back(a_ci);
      gm.push_back(g_mean);
      gc.push_back(g_ci);
    }
    if (cls) s["trained_test_accuracy"] = trained_acc;
    s["trained_test_loss"] = trained_loss;
    s["times_s"] = p_.times;
    if (cls) {
      s["accuracy_mean"] = am;
      s["accuracy_gdc_mean"] = gm;
      if (p_.repeats > 1) {
        s["accuracy_ci95"] = ac;
        s["accuracy_gdc_ci95"] = gc;
      }
    }
    s["repeats"] = p_.repeats;
  }

 private:
  // Programming noise std of a target conductance, relative to g_max (Joshi et al. 2020 fit).
  double sigma_prog(double g) const {
    return p_.prog_noise_scale * std::max(0.26348 + 1.9650 * g - 1.1731 * g * g, 0.0) / 25.0;
  }

  // Programs one conductance: one write, or writes until within tolerance (verify).
  double write(double target, Rng& rng) const {
    const double sd = sigma_prog(target);
    const int writes = p_.programming == "verify" ? p_.n_iterations : 1;
    double g = target;
    for (int k = 0; k < writes; ++k) {
      g = target + sd * rng.normal();
      if (std::abs(g - target) <= p_.tolerance) break;
    }
    return std::max(g, 0.0);
  }

  double drift_exponent(double g, Rng& rng) const {
    const double lg = std::log(std::max(g, 1e-7));
    const double mu = std::clamp(-0.0155 * lg + 0.0244, 0.049, 0.1);
    const double sd = std::clamp(-0.0125 * lg - 0.0059, 0.008, 0.045);
    return p_.drift_scale * std::clamp(std::abs(mu + sd * rng.normal()), 0.0, 1.0);
  }

  ProgrammedPair program(Index l, uint64_t chip) const {
    const MatrixD& w = trained_[std::size_t(l)];
    Rng rng = Rng(options_.seed, Stream::fabrication, kInferenceUnit + uint32_t(l)).at(chip);
    ProgrammedPair pp;
    pp.w_max = std::max(w.cwiseAbs().maxCoeff(), 1e-300);
    pp.target_plus = w.array().max(0.0) / pp.w_max;
    pp.target_minus = (-w.array()).max(0.0) / pp.w_max;
    pp.g_plus = pp.target_plus;
    pp.g_minus = pp.target_minus;
    pp.nu_plus.resize(w.rows(), w.cols());
    pp.nu_minus.resize(w.rows(), w.cols());
    for (Index i = 0; i < w.rows(); ++i)
      for (Index j = 0; j < w.cols(); ++j) {
        pp.g_plus(i, j) = write(pp.g_plus(i, j), rng);
        pp.g_minus(i, j) = write(pp.g_minus(i, j), rng);
        pp.nu_plus(i, j) = drift_exponent(pp.g_plus(i, j), rng);
        pp.nu_minus(i, j) = drift_exponent(pp.g_minus(i, j), rng);
      }
    pp.calibration = calibration(l, weights_of(w, pp, pp.g_plus, pp.g_minus));
    return pp;
  }

  // Every layer on a tile of exact devices read through the config's periphery.
  void place_on_tiles(rules::Network& net) {
    hw::IdealParams exact;
    exact.w_min = -1e6;
    exact.w_max = 1e6;
    exact.dw_min = 1;
    const auto device = std::make_shared<hw::IdealDevice>(exact);
    for (Index l = 0; l < net.layers(); ++l) {
      tiles_.push_back(std::make_shared<rules::TileLayer>(
          hw::Tile(hw::TileParams{}, *periphery_, device, net.fan_out(l), net.fan_in(l),
                   options_.seed, uint32_t(l))));
      net.set_analog(l, tiles_.back());
    }
  }

  // The trained W plus w_max times the change of each conductance of the pair from its target,
  // so that with every scale 0 the result is W itself.
  static MatrixD weights_of(const MatrixD& w, const ProgrammedPair& pp, const ArrayD& g_plus,
                            const ArrayD& g_minus) {
    return (w.array() + pp.w_max * ((g_plus - pp.target_plus) - (g_minus - pp.target_minus)))
        .matrix();
  }

  // Global drift compensation's calibration read: all-ones inputs, Σ over outputs of |W·1|,
  // through layer l's tile when reads go through the periphery.
  double calibration(Index l, const MatrixD& w) const {
    if (tiles_.empty()) return w.rowwise().sum().cwiseAbs().sum();
    rules::TileLayer& t = *tiles_[std::size_t(l)];
    t.set_weights(w);
    return t.forward(MatrixD::Ones(1, w.cols())).cwiseAbs().sum();
  }

  // The factor that scales a layer's outputs back to the calibration read after programming.
  double compensation(Index l, const ProgrammedPair& pp, const MatrixD& wt) const {
    const double now = calibration(l, wt);
    return now > 0 && now != pp.calibration ? pp.calibration / now : 1.0;
  }

  // Layer l's weights as read at time t on this chip: drift, then 1/f read noise.
  MatrixD read(Index l, const ProgrammedPair& pp, uint64_t event, double t) const {
    const double lt = t > p_.t0 ? std::log(t / p_.t0) : 0.0;
    const double f = p_.read_noise_scale *
                     std::sqrt(std::max(0.0, std::log((t + p_.t_read) / (2 * p_.t_read))));
    Rng rng = Rng(options_.seed, Stream::read, kInferenceUnit + uint32_t(l)).at(event);
    auto at_t = [&](const ArrayD& g, const ArrayD& nu) {
      ArrayD out = g * (-lt * nu).exp();
      for (Index i = 0; i < out.size(); ++i) {
        const double qs = std::min(0.0088 / std::pow(std::max(g(i), 1e-7), 0.65), 0.2);
        out(i) += std::abs(out(i)) * qs * f * rng.normal();
      }
      return out;
    };
    const ArrayD g_plus = at_t(pp.g_plus, pp.nu_plus), g_minus = at_t(pp.g_minus, pp.nu_minus);
    return weights_of(trained_[std::size_t(l)], pp, g_plus, g_minus);
  }

  // Mean and the half-width of its 95 % Student-t interval (NaN for one value).
  static std::pair<double, double> mean_ci(const std::vector<double>& v) {
    const double n = double(v.size());
    double mean = 0;
    for (double x : v) mean += x / n;
    if (v.size() < 2) return {mean, std::nan("")};
    double ss = 0;
    for (double x : v) ss += (x - mean) * (x - mean);
    const boost::math::students_t t(n - 1);
    return {mean, boost::math::quantile(t, 0.975) * std::sqrt(ss / (n - 1) / n)};
  }

  static constexpr uint32_t kInferenceUnit = 0x494E0000;  // "IN": apart from the tiles' units

  InferenceParams p_;
  RunOptions options_;
  LearningSetup setup_;
  std::optional<hw::PeripheryParams> periphery_;            // reads through it when set
  std::vector<std::shared_ptr<rules::TileLayer>> tiles_;  // one per layer, then
  std::unique_ptr<Experiment> trainer_;  // train in place (weights empty)
  Npz weights_;
  std::unique_ptr<rules::Model> model_;
  std::vector<MatrixD> trained_;
};

}  // namespace

void register_experiment_inference(ExperimentRegistry& r) {
  r.add_model<InferenceParams, Inference>(
      "inference",
      "trained weights on PCM pairs: accuracy at times after programming, with programming "
      "noise, drift, 1/f read noise and global drift compensation (aihwkit PCMLikeNoiseModel)");
}

}  // namespace xb::sim
