// SPDX-License-Identifier: MIT
// hessian_trace: Tr[H] and Tr[H]/N of MLPs over depths, widths and activations, averaged over
// random initialisations ([G23] Thms 2.2/A.3, A.4, 2.3/A.5, Fig. 3A; P4–P8 in docs/theory.md).
//
// Network: `depth` weight layers (depth - 1 hidden layers of `width` units), `inputs` input
// units (0: = width), one linear output unit, no biases unless `bias`. Data: `samples`
// Gaussian inputs standardised per column (1/|D| sum_n x_ni^2 = 1, [G23]'s normalisation)
// or exactly whitened (`whiten`), targets from a random linear teacher. Loss
// mse_scale * mean (y - y_hat)^2: 1 is [G23] A.3's 2/|D| convention, 0.5 its A.4 convention.
// init: xavier ([G23]'s E W^2 = 1/fan_in, every layer) | unit_rows (every row of every layer
// rescaled to unit norm, [G23] eq. 30).
// protocol: all (every parameter counts) | last_layer (Fig. 3A: the first layer is fixed and
// semi-orthogonal — orthonormal rows if width <= inputs, orthonormal columns otherwise — and
// only the output layer is trained: N = width and Tr[H] is that block's trace).
// method: auto (Gauss–Newton per-sample trace for linear/ReLU MSE nets, which is exact there —
// sim/theory/hessian.h —; else exact N HVPs up to 5000 parameters, Hutchinson beyond) |
// exact | hutchinson.
//
// metrics.csv, one row per (depth, width, activation): depth, width, activation, n_params,
// trace, trace_per_param (means over inits), trace_std, trace_per_param_std (across inits),
// inits, predicted_trace (2 mse_scale sum_l fan_in_l: E Tr[H] for linear nets, see P5 in
// docs/theory.md, under either init; = 2 L d at inputs = width, mse_scale 1), predicted_trace_per_param,
// impact_f1 = Tr/N, impact_fsqrt = Tr/sqrt(N), impact_fN = Tr (variance impact per
// 1/2 sigma^2 dt^2 for f(N) = 1, sqrt(N), N; P4), seed_trace_a4 ([G23]'s uncorrected
// eq. 32, 2 d' + d d', for depth 3 with unit_rows, else empty; docs/corrections.md C2).
// summary.json: rows, and trace_per_param_depth<L> for the first width and activation.
#include <Eigen/Cholesky>
#include <Eigen/QR>
#include <algorithm>
#include <cmath>

#include "sim/experiment.h"
#include "sim/interrupt.h"
#include "sim/theory/hessian.h"

namespace xb::sim {

namespace {

struct HessianTraceParams {
  std::vector<int> depths{1, 2, 3};
  std::vector<int> widths{16};
  std::vector<std::string> activations{"linear"};
  int inputs = 0;
  int samples = 500;
  int inits = 20;
  std::string init = "xavier";
  std::string protocol = "all";
  std::string method = "auto";
  double mse_scale = 1.0;
  bool bias = false;
  bool whiten = false;
  int probes = 100;
  template <class F>
  void bind(F&& f) {
    f("depths", depths, "", "numbers of weight layers L (L - 1 hidden layers)");
    f("widths", widths, "", "hidden widths d");
    f("activations", activations, "", "hidden activations: linear | relu | tanh | sigmoid");
    f("inputs", inputs, "", "input dimension (0: = width)");
    f("samples", samples, "", "data points |D|");
    f("inits", inits, "", "random initialisations (and datasets) per row");
    f("init", init, "", "xavier (E W^2 = 1/fan_in) | unit_rows (rows of unit norm, [G23] eq. 30)");
    f("protocol", protocol, "", "all | last_layer (Fig. 3A: fixed semi-orthogonal first layer)");
    f("method", method, "", "auto | exact | hutchinson");
    f("mse_scale", mse_scale, "1", "loss = mse_scale * mean (y - y_hat)^2");
    f("bias", bias, "", "biases on every layer");
    f("whiten", whiten, "", "whiten the inputs exactly (else standardise per column)");
    f("probes", probes, "", "Hutchinson probes");
  }
  void validate(const Scope& s) const {
    s.require(!depths.empty() && !widths.empty() && !activations.empty(), "depths", depths.size(),
              "depths, widths and activations must be non-empty");
    for (int d : depths) s.require(d >= 1 && d <= 64, "depths", d, "must be in [1, 64]");
    for (int w : widths) s.require(w >= 1 && w <= 100000, "widths", w, "must be in [1, 1e5]");
    for (const auto& a : activations) s.require_one_of("activations", a, {"linear", "relu", "tanh", "sigmoid"});
    s.require_in("inputs", inputs, 0, 1 << 20);
    s.require_in("samples", samples, 1, 1 << 24);
    s.require_in("inits", inits, 1, 65535);
    s.require_one_of("init", init, {"xavier", "unit_rows"});
    s.require_one_of("protocol", protocol, {"all", "last_layer"});
    s.require_one_of("method", method, {"auto", "exact", "hutchinson"});
    s.require_gt("mse_scale", mse_scale, 0.0);
    s.require_in("probes", probes, 2, 1000000);
    s.require(protocol != "last_layer" || (depths.size() == 1 && depths[0] == 2), "protocol",
              protocol, "last_layer needs depths: [2] (one hidden layer)");
  }
};

// A linear teacher for the targets (their values do not change Tr[H] of linear/ReLU nets).
rules::Batch make_data(Index n, Index d, bool whiten, Rng r) {
  rules::Batch b;
  b.x.resize(n, d);
  r.fill_normal(b.x.data(), b.x.size());
  if (whiten && n > d) {
    // X <- X L^-T with L L^T = X^T X / n: the sample second moment becomes exactly I.
    const Eigen::MatrixXd m = b.x.transpose() * b.x / double(n);
    const Eigen::MatrixXd l = m.llt().matrixL();
    b.x = l.triangularView<Eigen::Lower>().solve(Eigen::MatrixXd(b.x.transpose())).transpose();
  } else {
    const VectorD ms = b.x.colwise().squaredNorm().transpose() / double(n);
    for (Index j = 0; j < d; ++j) b.x.col(j) /= std::sqrt(ms(j));
  }
  VectorD u(d);
  r.fill_normal(u.data(), d);
  b.y = b.x * u / std::sqrt(double(d));
  return b;
}

MatrixD semi_orthogonal(Index rows, Index cols, Rng& r) {
  MatrixD g(std::max(rows, cols), std::min(rows, cols));
  r.fill_normal(g.data(), g.size());
  Eigen::HouseholderQR<Eigen::MatrixXd> qr{Eigen::MatrixXd(g)};
  const Eigen::MatrixXd q = qr.householderQ() * Eigen::MatrixXd::Identity(g.rows(), g.cols());
  return rows >= cols ? MatrixD(q) : MatrixD(q.transpose());
}

class HessianTrace : public Experiment {
 public:
  explicit HessianTrace(const HessianTraceParams& p) : p_(p) {}
  void prepare(Config&, const RunOptions& options) override { options_ = options; }

  void estimate_memory(MemoryEstimate& m) const override {
    // The largest network of the grid, its data and the probes' vectors.
    const double width = *std::max_element(p_.widths.begin(), p_.widths.end());
    const double depth = *std::max_element(p_.depths.begin(), p_.depths.end());
    const double inputs = p_.inputs > 0 ? p_.inputs : width;
    const double params = inputs * width + (depth - 1) * width * width + width;
    m.add("data and activations", "experiment.samples, experiment.widths, experiment.depths",
          4.0 * double(p_.samples) * (inputs + depth * width) * 8.0);
    m.add("parameters, gradients and Hessian-vector products", "experiment.widths, depths",
          16.0 * params * 8.0);
  }

  void run(RunFolder& out) override {
    auto& m = out.metrics();
    m.set_columns({"depth", "width", "activation", "n_params", "trace", "trace_per_param",
                   "trace_std", "trace_per_param_std", "inits", "predicted_trace",
                   "predicted_trace_per_param", "impact_f1", "impact_fsqrt", "impact_fN",
                   "seed_trace_a4"});
    auto& s = out.summary();
    int rows = 0;
    for (const std::string& act : p_.activations)
      for (int width : p_.widths)
        for (int depth : p_.depths) {
          throw_if_interrupted();
          const Index d_in = p_.inputs > 0 ? p_.inputs : width;
          double st = 0, st2 = 0, sp = 0, sp2 = 0;
          Index n_params = 0;
          double fan_in_sum = 0;
          for (int k = 0; k < p_.inits; ++k) {
            rules::NetworkParams np;
            np.hidden.assign(std::size_t(depth - 1), width);
            np.activation = act;
            np.bias = p_.bias;
            rules::Network net(np, d_in, 1, rules::LossKind::mse, p_.mse_scale, 0.0);
            // One stream unit per (row, init): Network::initialise positions its stream with
            // at(layer), which would erase an at() offset given here.
            const uint32_t unit = uint32_t(rows) << 16 | uint32_t(k);
            net.initialise(Rng(options_.seed, Stream::init, unit));
            Rng r(options_.seed, Stream::data, unit);
            if (p_.init == "unit_rows")
              for (Index l = 0; l < net.layers(); ++l)
                net.set_weight(l, net.weight(l).rowwise().normalized());
            if (p_.protocol == "last_layer") net.set_weight(0, semi_orthogonal(width, d_in, r));
            const rules::Batch b = make_data(p_.samples, d_in, p_.whiten || p_.protocol == "last_layer", r);
            double tr = 0;
            Index n = net.n_params();
            fan_in_sum = 0;
            for (Index l = 0; l < net.layers(); ++l) fan_in_sum += double(net.fan_in(l));
            const bool gn = p_.method == "auto" && (act == "linear" || act == "relu");
            if (p_.protocol == "last_layer") {
              const Index last = net.layers() - 1;
              tr = theory::gauss_newton_layer_traces(net, b)[std::size_t(last)];
              n = net.weight(last).size() + (p_.bias ? 1 : 0);
              fan_in_sum = double(std::min<Index>(width, d_in));  // Tr = 2 c min(h, d)
            } else if (gn) {
              for (double t : theory::gauss_newton_layer_traces(net, b)) tr += t;
            } else {
              const Index exact_max = p_.method == "hutchinson" ? 0 : 5000;
              tr = theory::hessian_trace(net, b, r.unit(3), exact_max, p_.probes).trace;
            }
            if (!std::isfinite(tr)) throw NumericalError("hessian_trace: trace is not finite");
            n_params = n;
            st += tr, st2 += tr * tr;
            const double tp = tr / double(n);
            sp += tp, sp2 += tp * tp;
          }
          const double K = p_.inits;
          auto sd = [K](double s1, double s2) {
            return K > 1 ? std::sqrt(std::max(0.0, (s2 - s1 * s1 / K) / (K - 1))) : 0.0;
          };
          const double tr = st / K, tp = sp / K, N = double(n_params);
          const double pred = 2.0 * p_.mse_scale * fan_in_sum;
          const bool a4 = depth == 3 && p_.init == "unit_rows";
          m.add_row({std::to_string(depth), std::to_string(width), act, std::to_string(n_params),
                     format_number(tr), format_number(tp), format_number(sd(st, st2)),
                     format_number(sd(sp, sp2)), std::to_string(p_.inits), format_number(pred),
                     format_number(pred / N), format_number(tr / N), format_number(tr / std::sqrt(N)),
                     format_number(tr),
                     a4 ? format_number(2.0 * width + double(d_in) * width) : std::string()});
          if (act == p_.activations.front() && width == p_.widths.front())
            s["trace_per_param_depth" + std::to_string(depth)] = tp;
          ++rows;
        }
    s["rows"] = rows;
  }

 private:
  HessianTraceParams p_;
  RunOptions options_;
};

}  // namespace

void register_experiment_hessian_trace(ExperimentRegistry& r) {
  r.add_model<HessianTraceParams, HessianTrace>(
      "hessian_trace", "Tr[H] and Tr[H]/N of MLPs vs depth, width, activation ([G23] Thms 2.2-2.3, A.4)");
}

}  // namespace xb::sim
