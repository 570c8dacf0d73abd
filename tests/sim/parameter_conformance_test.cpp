// SPDX-License-Identifier: MIT
// Every accepted parameter acts: for every registered device law, scheme, learning rule, task
// and experiment and every config section, each declared key is moved off its default in a
// short run through the real binary, and something the run writes (its files, summary.json
// less its wall-clock keys, metrics.csv, per_chip.csv, weights.npz, trace.vcd) must change,
// unless `describe` marks the key as not used by that model with its reason. A key that acts
// only together with another (`reset` needs `lifetime`) is moved with the setting that enables
// it (kEnabling below). The test prints what it accepted as not used.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <map>
#include <set>
#include <sstream>

#include "hw_models/cells/unit_cell.h"
#include "hw_models/devices/device_model.h"
#include "hw_models/update/update_scheme.h"
#include "learning_rules/learning_rule.h"
#include "sim/catalog.h"
#include "sim/experiment.h"
#include "sim/tasks/task.h"
#include "tests/sim/cli_harness.h"

namespace xb::sim {
namespace {

namespace fs = std::filesystem;

// Settings under which a key acts at all (section.key -> overrides added to both runs).
const std::map<std::string, std::vector<std::string>> kEnabling = {
    {"device.reset", {"device.lifetime=5"}},
    {"device.reset_dtod", {"device.lifetime=5"}},
    {"device.lifetime_dtod", {"device.lifetime=5"}},
    {"device.diffusion_dtod", {"device.diffusion=0.01"}},
    {"device.c2c_nu", {"device.c2c_noise=student_t"}},
    {"device.c2c_alpha", {"device.c2c_noise=alpha_stable"}},
    {"device.c2c_theta", {"device.c2c_noise=alpha_stable"}},
    {"device.stuck_at", {"device.stuck_fraction=0.3"}},
    {"device.drift_nu_dtod", {"device.drift_nu=0.1"}},
    {"device.drift_t0", {"device.drift_nu=0.1"}},
    {"device.read_noise", {"device.read_noise_std=0.05"}},
    {"device.dw_min_dtod_log_normal", {"device.dw_min_dtod=0.3"}},
    {"device.mult_noise", {"device.dw_min_std=0.3"}},
    {"periphery.inp_res", {"periphery.inp_bound=1"}},
    {"periphery.out_res", {"periphery.out_bound=12"}},
    {"periphery.max_bm_factor", {"periphery.out_bound=0.05"}},
    {"periphery.bound_management", {"periphery.out_bound=0.05"}},
    {"device.reset_std", {"cell.type=one_sided"}},
    {"cell.refresh_upper_thres", {"cell.refresh_every=1", "cell.refresh_lower_thres=0"}},
    {"cell.refresh_lower_thres", {"cell.refresh_every=1", "cell.refresh_upper_thres=0.3"}},
    {"cell.units_in_mbatch", {"cell.refresh_every=2"}},
    {"cell.reference_value", {"cell.reference=value"}},
    {"cell.first_update_idx", {"cell.update_policy=single_fixed"}},
    {"scheme.update_bl_management", {"scheme.fixed_bl=false"}},
    {"scheme.um_grad_scale", {"scheme.update_management=true"}},
    {"scheme.auto_momentum", {"scheme.auto_scale=true"}},
    {"experiment.lr_gamma", {"experiment.lr_schedule=step", "experiment.lr_step=3"}},
    {"experiment.weight_noise_type", {"experiment.weight_noise=0.1"}},
    {"experiment.n_iterations", {"experiment.programming=verify"}},
    {"experiment.tolerance", {"experiment.programming=verify"}},
    {"rule.injection_sigma", {"rule.injection=additive"}},
    {"rule.injection", {"rule.injection_sigma=0.2"}},
    {"rule.replacement", {"rule.size=3"}},
    {"rule.f_of_n", {"rule.sigma=0.5"}},
    {"rule.noise", {"rule.sigma=0.5"}},
    {"rule.sampling", {"rule.sigma=0.5"}},
    {"rule.f_power", {"rule.sigma=0.5", "rule.f_of_n=power"}},
    {"rule.nu", {"rule.sigma=0.5", "rule.noise=student_t"}},
    {"rule.alpha", {"rule.sigma=0.5", "rule.noise=alpha_stable"}},
    {"rule.theta", {"rule.sigma=0.5", "rule.noise=alpha_stable"}},
    {"experiment.epochs", {"experiment.steps=0", "experiment.epochs=1"}},
    {"experiment.lr_step", {"experiment.lr_schedule=inverse", "experiment.lr_step=2"}},
    {"experiment.seconds_per_batch",
     {"network.analog=true", "device.type=constant_step", "device.drift_nu=0.2"}},
    {"experiment.save_devices", {"network.analog=true", "device.type=constant_step"}},
    {"task.teacher_activation", {"task.teacher_hidden=[3]"}},
    {"network.analog", {"experiment.seconds_per_batch=0"}},  // device time needs devices
    {"network.layers", {"network.hidden=[]"}},  // the layer list replaces the shorthand
    {"task.teacher_samples", {"task.teacher_epochs=1"}},  // cnn_teacher: a trained teacher
    {"task.teacher_lr", {"task.teacher_epochs=1"}},
};

// Keys that act but that no short run can move (printed, not checked).
const std::map<std::string, std::string> kSkipped = {
    {"task.path", "where the data set is read from: the same files elsewhere give the same run"},
};

// Values for keys whose off-default value cannot be derived from the default (lists, paths).
const std::map<std::string, std::vector<std::string>> kValues = {
    {"network.hidden", {"[7]"}},
    {"network.layers", {"[{type: linear, width: 7}, {type: linear, analog: false}]"}},
    {"task.teacher_layers", {"[{type: conv2d, channels: 3, kernel: 5}, {type: flatten}, {type: linear}]"}},
    {"network.analog", {"false"}},  // the hardware base is analog
    {"scheme.max_pulses", {"1"}},
    {"device.piecewise_up", {"[1.5, 0.5]"}},
    {"device.piecewise_down", {"[0.5, 1.5]"}},
    {"experiment.times", {"[1, 1e6]"}},
    {"task.teacher_hidden", {"[3]"}},
    {"task.hessian_diag", {"[2.0, 0.5]"}},
    {"task.hessian", {"[[2.0, 0.1], [0.1, 0.5]]"}},
    {"task.w_star", {"[1, 0]"}},
    {"task.w0", {"[2, 1]"}},
    {"experiment.widths", {"[3, 4]"}},
    {"cell.gamma_vec", {"[0.3, 0.7]"}},
    {"experiment.sources", {"[c2c]"}},
};

// What a run wrote (its files and their content), less what changes from run to run by itself.
std::string observables(const fs::path& dir) {
  auto s = nlohmann::json::parse(test::slurp(dir / "summary.json"));
  for (const char* k : {"wall_seconds", "memory_estimate_bytes", "version", "build"}) s.erase(k);
  std::string files;
  for (const auto& e : fs::directory_iterator(dir)) files += e.path().filename().string() + ";";
  std::sort(files.begin(), files.end());
  return files + s.dump() + test::slurp(dir / "metrics.csv") + test::slurp(dir / "per_chip.csv") +
         test::slurp(dir / "weights.npz") + test::slurp(dir / "trace.vcd");
}

int run(const std::string& cfg, const std::vector<std::string>& sets, const fs::path& out,
        const std::string& extra = "") {
  std::string cmd = std::string(std::getenv("XBARSIM") ? std::getenv("XBARSIM") : "xbarsim") +
                    " run " + cfg + " --force --quiet --out " + out.string() + " " + extra;
  for (const auto& s : sets) cmd += " --set '" + s + "'";
  const int rc = std::system((cmd + " >/dev/null 2>&1").c_str());
  return WEXITSTATUS(rc);
}

// Off-default candidates of a row: the alternatives its rule names, a flipped bool, or
// numbers around the default; the first that the config accepts is used.
std::vector<std::string> candidates(const std::string& key, const ParamRow& r,
                                    const std::map<std::string, std::vector<std::string>>& more) {
  if (more.count(key)) return more.at(key);
  if (kValues.count(key)) return kValues.at(key);
  if (r.default_value == "true") return {"false"};
  if (r.default_value == "false") return {"true"};
  const auto one_of = r.rule.find("must be one of ");
  if (one_of != std::string::npos) {
    std::vector<std::string> out;
    std::stringstream ss(r.rule.substr(one_of + 15));
    std::string v;
    while (std::getline(ss, v, ',')) {
      v.erase(0, v.find_first_not_of(' '));
      v = v.substr(0, v.find_first_of(" ;]"));
      if (!v.empty() && v != r.default_value) out.push_back(v);
    }
    return out;
  }
  char* end = nullptr;
  const double d = std::strtod(r.default_value.c_str(), &end);
  if (end == r.default_value.c_str() || *end != '\0') return {};
  std::vector<double> xs = d == 0 ? std::vector<double>{0.1, 1, 0.01, 3}
                                  : std::vector<double>{d * 1.5, d * 0.5, d * 2, d + 1, -d};
  std::vector<std::string> out;
  for (double x : xs) {
    if (r.integer) x = std::round(x) == d ? d + 1 : std::round(x);
    std::ostringstream os;
    os.precision(12);
    os << x;
    out.push_back(os.str());
  }
  return out;
}

struct Outcome {
  std::vector<std::string> inert, no_value, not_used;
};

// Moves every key of `rows` (section `section`) in the config `base`.
// `values` and `enabling` add to kValues and kEnabling for this model only.
Outcome check(const std::string& label, const std::string& base, const std::string& section,
              const std::vector<ParamRow>& rows, const std::string& extra = "",
              const std::map<std::string, std::vector<std::string>>& values = {},
              const std::map<std::string, std::vector<std::string>>& enabling = {}) {
  Outcome o;
  const fs::path dir = test::scratch("conformance_" + label);
  const std::string cfg = test::write(dir, "base.yaml", base);
  std::map<std::string, std::string> baseline;  // by enabling settings
  for (const ParamRow& r : rows) {
    if (r.name == "type") continue;
    const std::string key = section + "." + r.name;
    if (!r.not_used.empty() || kSkipped.count(key)) {
      o.not_used.push_back(label + ": " + key + " (" +
                           (r.not_used.empty() ? "skipped: " + kSkipped.at(key) : r.not_used) + ")");
      continue;
    }
    const std::vector<std::string> enable =
        enabling.count(key)    ? enabling.at(key)
        : kEnabling.count(key) ? kEnabling.at(key)
                               : std::vector<std::string>{};
    std::string sig;
    for (const auto& e : enable) sig += e + ";";
    if (!baseline.count(sig)) {
      const int rc = run(cfg, enable, dir / "base", extra);
      EXPECT_EQ(rc, 0) << label << ": the base run with " << sig << " failed";
      baseline[sig] = rc == 0 ? observables(dir / "base") : "";
    }
    bool tried = false, acted = false;
    for (const std::string& v : candidates(key, r, values)) {
      std::vector<std::string> sets = enable;
      sets.push_back(key + "=" + v);
      const int rc = run(cfg, sets, dir / "moved", extra);
      if (rc == 2) continue;  // refused: try the next value
      EXPECT_TRUE(rc == 0 || rc == 3) << label << ": " << key << "=" << v << " exited " << rc;
      tried = true;
      acted = rc == 3 || observables(dir / "moved") != baseline[sig];  // 3: it diverged
      if (acted) break;
    }
    if (!tried) o.no_value.push_back(key);
    else if (!acted) o.inert.push_back(key);
  }
  fs::remove_all(dir);
  return o;
}

void expect_all_act(const Outcome& o, const std::string& label) {
  auto join = [](const std::vector<std::string>& v) {
    std::string s;
    for (const auto& x : v) s += "\n  " + x;
    return s;
  };
  EXPECT_TRUE(o.inert.empty()) << label << ": keys that change nothing:" << join(o.inert);
  EXPECT_TRUE(o.no_value.empty()) << label << ": no accepted off-default value (add one to "
                                  << "kValues):" << join(o.no_value);
  if (!o.not_used.empty()) std::cout << "[ not used ] " << join(o.not_used) << "\n";
}

std::vector<ParamRow> rows_of(const std::string& kind, const std::string& name) {
  for (const auto& c : catalogs())
    if (c.kind == kind) return c.describe(name);
  return {};
}

const char* kAnalog =
    "task: {type: student_teacher, inputs: 6, outputs: 2, teacher_hidden: [6], samples: 32, "
    "test_samples: 32}\n"
    "network: {hidden: [5], analog: true}\n"
    "experiment: {type: train, steps: 12, batch: 4, lr: 0.1, eval_every: 4, "
    "seconds_per_batch: 10}\n";

TEST(ParameterConformance, EveryDeviceLawKeyActs) {
  for (const std::string& law : hw::device_registry().names())
    expect_all_act(check(law, std::string(kAnalog) + "device: {type: " + law +
                                  "}\nscheme: {type: stochastic_pulse}\n",
                         "device", rows_of("devices", law)),
                   law);
}

TEST(ParameterConformance, EveryCellKeyActs) {
  for (const std::string& c : hw::cell_registry().names())
    expect_all_act(check("cell_" + c,
                         std::string(kAnalog) + "device: {type: soft_bounds}\n"
                                                "scheme: {type: stochastic_pulse}\ncell: {type: " +
                             c + "}\n",
                         "cell", rows_of("cells", c)),
                   c);
}

TEST(ParameterConformance, EverySchemeKeyActs) {
  for (const std::string& s : hw::scheme_registry().names())
    expect_all_act(check(s, std::string(kAnalog) + "device: {type: constant_step}\nscheme: {type: " +
                                s + "}\n",
                         "scheme", rows_of("schemes", s)),
                   s);
}

TEST(ParameterConformance, EveryHardwareSectionKeyActs) {
  const std::string base =
      std::string(kAnalog) + "device: {type: soft_bounds}\nscheme: {type: stochastic_pulse}\n";
  for (const char* section : {"periphery", "tile", "network", "energy", "area"})
    expect_all_act(check(section, base, section, rows_of("sections", section)), section);
}

// Named for the sanitizer run's exclusion of timed mode (scripts/test_sanitizers.sh).
TEST(ParameterConformance, TimedModeSectionKeysAct) {
  const std::string base =
      std::string(kAnalog) + "device: {type: soft_bounds}\nscheme: {type: stochastic_pulse}\n";
  expect_all_act(check("timing", base, "timing", rows_of("sections", "timing"), "--mode timed"),
                 "timing");
  expect_all_act(check("trace", base, "trace", rows_of("sections", "trace"), "--mode timed --trace",
                       {{"trace.signals", {"[phase, loss]"}}, {"trace.cells", {"[0, 2, 0, 2]"}},
                        {"trace.lines", {"[0, 2, 0, 2]"}},
                        {"trace.start", {"1e-7"}}, {"trace.stop", {"1e-6"}}}),
                 "trace");
}

TEST(ParameterConformance, EveryRuleKeyActs) {
  const std::string digital =
      "task: {type: student_teacher, inputs: 6, outputs: 2, teacher_hidden: [6], samples: 32, "
      "test_samples: 32}\n"
      "network: {hidden: [5], analog: false}\n"
      "experiment: {type: train, steps: 12, batch: 4, lr: 0.1, eval_every: 4}\n";
  for (const std::string& rule : rules::rule_registry().names()) {
    // Equilibrium propagation needs a bounded activation to relax.
    std::string base = digital + "rule: {type: " + rule + "}\n";
    if (rule == "equilibrium_propagation") base.replace(base.find("analog: false"), 13,
                                                        "analog: false, activation: sigmoid");
    // Synthetic's bias direction acts with a bias; its schedules and injection are free text.
    const std::map<std::string, std::vector<std::string>> values = {
        {"rule.beta", {"random"}},
        {"rule.b_steps", {"[0.5, 0]"}},
        {"rule.sigma_steps", {"[0.5, 0]"}},
        {"rule.injection", {"additive"}}};
    const std::map<std::string, std::vector<std::string>> enabling = {{"rule.beta", {"rule.b=0.5"}}};
    if (rule == "synthetic")
      expect_all_act(check(rule, base, "rule", rows_of("rules", rule), "", values, enabling), rule);
    else
      expect_all_act(check(rule, base, "rule", rows_of("rules", rule)), rule);
  }
}

TEST(ParameterConformance, EveryTrainAndInferenceKeyActs) {
  const std::string digital =
      "task: {type: student_teacher, inputs: 6, outputs: 2, teacher_hidden: [6], samples: 32, "
      "test_samples: 32}\n"
      "network: {hidden: [5], analog: false}\n";
  expect_all_act(check("train", digital + "experiment: {type: train, steps: 12, batch: 4, lr: "
                                          "0.1, eval_every: 4}\n",
                       "experiment", rows_of("experiments", "train")),
                 "train");
  const fs::path trained = test::scratch("conformance_trained");
  const std::string cfg = test::write(
      trained, "t.yaml",
      digital + "experiment: {type: train, steps: 40, batch: 4, lr: 0.1}\n");
  ASSERT_EQ(run(cfg, {}, trained / "a"), 0);
  ASSERT_EQ(run(cfg, {"experiment.steps=20"}, trained / "b"), 0);
  expect_all_act(check("inference",
                       digital + "experiment: {type: inference, repeats: 2, weights: " +
                           (trained / "a").string() + "}\n",
                       "experiment", rows_of("experiments", "inference"), "",
                       {{"experiment.weights", {(trained / "b").string()}}}),
                 "inference");
}

TEST(ParameterConformance, EveryTaskKeyActs) {
  const std::string train = "experiment: {type: train, steps: 12, batch: 4, lr: 0.05, eval_every: 4}\n";
  const std::map<std::string, std::string> bases = {
      {"student_teacher", "task: {type: student_teacher, samples: 32, test_samples: 32}\n"
                          "network: {hidden: [5], analog: false}\n"},
      {"linear_regression", "task: {type: linear_regression, samples: 32, test_samples: 32}\n"
                            "network: {hidden: [], analog: false, bias: false}\n"},
      {"quadratic", "task: {type: quadratic}\nrule: {type: synthetic, b: 0.1, sigma: 0.1}\n"},
      {"fashion_mnist", "task: {type: fashion_mnist, train_samples: 200, test_samples: 100}\n"
                        "network: {hidden: [8], analog: false}\n"},
      {"cnn_teacher",
       "task: {type: cnn_teacher, samples: 16, test_samples: 8, teacher_samples: 32}\n"
       "network: {layers: [{type: conv2d, channels: 2, kernel: 3, stride: 3}, {type: flatten}, "
       "{type: linear}], analog: false}\n"}};
  for (const std::string& task : task_registry().names()) {
    ASSERT_TRUE(bases.count(task)) << "no base config for task " << task;
    // cnn_teacher's teacher always has layers: its activation needs no enabling key.
    const std::map<std::string, std::vector<std::string>> enabling =
        task == "cnn_teacher" ? std::map<std::string, std::vector<std::string>>{
                                    {"task.teacher_activation", {}}}
                              : std::map<std::string, std::vector<std::string>>{};
    expect_all_act(check(task, bases.at(task) + train, "task", rows_of("tasks", task), "", {}, enabling),
                   task);
  }
}

TEST(ParameterConformance, EveryDeviceResponseAndEstimatorStatsKeyActs) {
  expect_all_act(check("device_response",
                       "device: {type: soft_bounds}\n"
                       "experiment: {type: device_response, n_up: 20, n_down: 20, "
                       "symmetry_pulses: 40}\n",
                       "experiment", rows_of("experiments", "device_response")),
                 "device_response");
  expect_all_act(check("estimator_stats",
                       std::string(kAnalog).substr(0, std::string(kAnalog).find("experiment")) +
                           "device: {type: soft_bounds}\nscheme: {type: stochastic_pulse}\n"
                           "experiment: {type: estimator_stats, repeats: 8, batch: 8}\n",
                       "experiment", rows_of("experiments", "estimator_stats")),
                 "estimator_stats");
}

// Every registered experiment is one of those checked here: a new one needs its base config.
TEST(ParameterConformance, EveryExperimentIsChecked) {
  const std::set<std::string> checked = {"train",      "inference",     "device_response",
                                         "estimator_stats", "stationary", "levy_sde",
                                         "delta_loss", "hessian_trace", "descent_probability"};
  for (const std::string& e : experiment_registry().names())
    EXPECT_TRUE(checked.count(e)) << "experiment " << e << " has no base config in this test";
}

// The theory experiments, each on the small case of its tests; keys of another mode are moved
// in that mode.
TEST(ParameterConformance, EveryTheoryExperimentKeyActs) {
  const std::string quadratic =
      "task: {type: quadratic, hessian_diag: [1.0, 0.5, 0.2]}\n"
      "rule: {type: synthetic, b: 0.05, sigma: 0.5, f_of_n: N}\n";
  struct Case {
    std::string base;
    std::map<std::string, std::vector<std::string>> values, enabling;
  };
  const std::map<std::string, Case> cases = {
      {"stationary",
       {quadratic + "experiment: {type: stationary, dt: 0.5, steps: 3000, burn_in: 100, "
                    "record_every: 1000}\n",
        {{"experiment.lr_matrix", {"[[0.3, 0, 0], [0, 0.3, 0], [0, 0, 0.3]]"}},
         {"experiment.noise_cov", {"[[0.1, 0, 0], [0, 0.1, 0], [0, 0, 0.1]]"}},
         {"experiment.max_abs", {"0.01"}}},
        {{"experiment.lr_matrix", {"experiment.preconditioner=matrix",
                                   "experiment.lr_matrix=[[0.5, 0, 0], [0, 0.5, 0], [0, 0, 0.5]]"}},
         {"experiment.extra_noise_law", {"experiment.hessian_noise=0.3"}}}}},
      {"levy_sde",
       {"experiment: {type: levy_sde, steps: 2000, burn_in: 100, chains: 4}\n",
        {{"experiment.clip", {"0.5"}}},
        {{"experiment.drift_step", {"experiment.drift=fractional_gl"}},
         {"experiment.drift_terms", {"experiment.drift=fractional_gl"}},
         {"experiment.curvature", {"experiment.potential=quadratic"}},
         {"experiment.w0", {"experiment.start=fixed"}}}}},
      {"delta_loss",
       {quadratic + "experiment: {type: delta_loss, draws: 50}\n",
        {{"experiment.dts", {"[0.02, 0.1]"}},
         {"experiment.b_values", {"[0.1]"}},
         {"experiment.trace_exact_max", {"1"}}},
        {{"experiment.point_every", {"experiment.points=2"}},
         {"experiment.steps", {"experiment.mode=multi_step"}},
         {"experiment.trace_probes", {"experiment.trace_exact_max=1"}},
         {"experiment.layer_traces",  // per layer: a network task
          {"task={type: student_teacher, inputs: 3, outputs: 1, samples: 16, test_samples: 4}",
           "network.hidden=[3]"}}}}},
      {"hessian_trace",
       {"experiment: {type: hessian_trace, depths: [1, 2], widths: [4], samples: 20, inits: 2}\n",
        {{"experiment.depths", {"[2, 3]"}},
         {"experiment.widths", {"[5]"}},
         {"experiment.activations", {"[relu]"}}},
        {{"experiment.probes", {"experiment.method=hutchinson"}},
         {"experiment.protocol", {"experiment.depths=[2]"}}}}},
      {"descent_probability",
       {"experiment: {type: descent_probability, trials: 10, pairs: 5, n: 3, lambdas: [50, 100], "
        "dims: [1, 5]}\n",
        {{"experiment.lambdas", {"[60, 120]"}},
         {"experiment.noise_ratios", {"[0, 2]"}},
         {"experiment.dims", {"[2, 4]"}},
         {"experiment.bias_ratios", {"[0.5]"}}},
        {{"experiment.dims", {"experiment.mode=bias"}},
         {"experiment.bias_ratios", {"experiment.mode=bias"}},
         {"experiment.worst_case", {"experiment.mode=bias"}}}}},
  };
  for (const auto& [name, c] : cases)
    expect_all_act(check(name, c.base, "experiment", rows_of("experiments", name), "", c.values,
                         c.enabling),
                   name);
}

}  // namespace
}  // namespace xb::sim
