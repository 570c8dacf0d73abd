// SPDX-License-Identifier: MIT
// Multilayer perceptron of any depth and width (`network:` section). Hidden layers use
// `activation` (linear | relu | tanh | sigmoid); the output layer is linear (its loss — MSE or
// softmax cross-entropy — comes from the task). Each layer is digital (double, exact) or analog:
// an AnalogLayer (a crossbar tile behind the interface below, supplied by the experiment) that
// does the forward read y = W x, the backward read W^T d, and writes the update as pulses.
//
// Parameters are flattened layer by layer: W (out x in, row-major), then b (out) when biases
// are on. Gradients are always computed in double from the weights the forward pass used.
//
// "Xavier" is [G23]'s definition (docs/corrections.md C1): E W = 0, E W^2 = 1/fan_in for every
// layer, output layer included (not Glorot's 2/(fan_in + fan_out), which is `glorot`).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "hw_models/core/params.h"
#include "hw_models/core/rng.h"
#include "learning_rules/model.h"

namespace xb::rules {

struct NetworkParams {
  std::vector<int> hidden;
  std::string activation = "relu";
  bool analog = false;
  bool bias = true;
  std::string init = "xavier";
  double init_gain = 1.0;
  template <class F>
  void bind(F&& f) {
    f("hidden", hidden, "", "hidden layer widths, input to output (empty: one linear layer)");
    f("activation", activation, "", "hidden activation: linear | relu | tanh | sigmoid");
    f("analog", analog, "", "true: every layer on a crossbar tile; false: digital double");
    f("bias", bias, "", "add a bias vector to every layer");
    f("init", init, "",
      "xavier (normal, variance gain^2/fan_in, every layer [G23]) | glorot (uniform, "
      "variance 2/(fan_in+fan_out)) | he (normal, 2/fan_in) | zeros");
    f("init_gain", init_gain, "1", "multiplies the initial weights");
  }
  void validate(const Scope& s) const;
};

enum class Activation { linear, relu, tanh, sigmoid };
Activation activation_from(const std::string& name);
enum class LossKind { mse, cross_entropy };

// Gaussian noise injection on hidden activations ([C21] Sec. 2): additive
// h + sigma xi or multiplicative h (1 + sigma xi), every layer but the output.
struct Injection {
  std::string kind = "none";  // none | additive | multiplicative
  double sigma = 0.0;
  bool active() const { return kind != "none" && sigma > 0; }
};

// A layer on a crossbar tile, as the network sees it. Weights are read back for the exact
// (double) gradient and for hashing; the realised update is reported for the metrics.
class AnalogLayer {
 public:
  virtual ~AnalogLayer() = default;
  virtual MatrixD forward(const MatrixD& x) = 0;   // rows = samples: returns x W^T
  virtual MatrixD backward(const MatrixD& d) = 0;  // returns d W
  virtual MatrixD weights() const = 0;             // current weights (out x in)
  virtual void set_weights(const MatrixD& w) = 0;  // programme the tile (initialisation)
  // Writes the intended update dw (out x in). x (batch x in) and d (batch x out) are the
  // rank-one factors when the rule has them (dw = -lr d^T x), else empty. Returns the
  // realised update and adds the pulses used to `pulses`.
  virtual MatrixD update(const MatrixD& dw, const MatrixD& x, const MatrixD& d, double lr,
                         double& pulses) = 0;
};

// What the forward pass keeps for the backward pass.
struct ForwardCache {
  std::vector<MatrixD> h;  // h[0] = input, h[l+1] = output of layer l (after noise)
  std::vector<MatrixD> a;  // pre-activations of layer l
  std::vector<MatrixD> mult;  // multiplicative injection factors per hidden layer (or empty)
};

class Network : public Model {
 public:
  Network(const NetworkParams& p, Index inputs, Index outputs, LossKind loss, double mse_scale,
          double l2);

  // Draws the initial weights from `init`.
  void initialise(const Rng& init);
  // Puts layer l on a tile (the tile is programmed with the current weights).
  void set_analog(Index l, std::shared_ptr<AnalogLayer> tile);

  Index layers() const { return Index(w_.size()); }
  Index fan_in(Index l) const { return w_[l].cols(); }
  Index fan_out(Index l) const { return w_[l].rows(); }
  bool has_bias() const { return p_.bias; }
  Activation activation() const { return act_; }
  LossKind loss_kind() const { return loss_; }
  bool is_analog(Index l) const { return bool(tiles_[l]); }
  AnalogLayer* tile(Index l) const { return tiles_[l].get(); }
  const MatrixD& weight(Index l) const { return w_[l]; }
  const VectorD& bias(Index l) const { return b_[l]; }
  void set_weight(Index l, const MatrixD& w);
  void set_bias(Index l, const VectorD& b) { b_[l] = b; }
  // Re-reads the weights of analog layers after an update.
  void sync_from_tiles();
  // x W_lᵀ and d W_l (rows = samples): reads of layer l's tile when it is analog (periphery,
  // read noise, timing and ledger), exact products otherwise (and always inside gradient()).
  MatrixD read_forward(Index l, const MatrixD& x) const;
  MatrixD read_backward(Index l, const MatrixD& d) const;

  // Forward pass. `pre_noise` (one matrix per layer, or null) is added to the pre-activations
  // (node perturbation); `inj` with `rng` injects activation noise.
  MatrixD forward(const MatrixD& x, ForwardCache* cache = nullptr,
                  const std::vector<MatrixD>* pre_noise = nullptr, const Injection* inj = nullptr,
                  const Rng* rng = nullptr) const;
  // Per-sample losses of `out` against the batch targets (without L2).
  VectorD sample_losses(const MatrixD& out, const Batch& b) const;
  // dL/d(out) of the mean loss (rows = samples).
  MatrixD output_error(const MatrixD& out, const Batch& b) const;
  // Backward pass from the output error: dL/da per layer. `feedback` (one matrix per layer, the
  // shape of W) replaces W in the backward reads (feedback alignment); null = true weights.
  std::vector<MatrixD> backward(const ForwardCache& c, const MatrixD& e,
                                const std::vector<MatrixD>* feedback = nullptr) const;
  // Flat gradient from per-layer errors dL/da and the cached layer inputs (+ L2).
  VectorD assemble(const ForwardCache& c, const std::vector<MatrixD>& delta) const;
  double l2_term() const;
  VectorD l2_gradient() const;

  MatrixD activate(const MatrixD& a) const;
  MatrixD activate_derivative(const MatrixD& a) const;

  // Model
  Index n_params() const override { return n_params_; }
  VectorD params() const override;
  void set_params(const VectorD& p) override;
  // The loss as the chip computes it (analog layers read through their tiles).
  double loss(const Batch& b) override;
  // The exact gradient at the weights the devices hold (read without read noise), computed in
  // double without touching the tiles: the reference g of the bias/variance diagnostics, which
  // must neither carry periphery noise nor appear in the hardware ledger.
  VectorD gradient(const Batch& b) override;
  Network* network() override { return this; }
  // Offset of layer l's W (and its b right after) in the flat vector.
  Index offset(Index l) const { return offset_[l]; }

  // Classification accuracy (argmax) and mean loss on a batch, without L2.
  double accuracy(const Batch& b) const;
  double data_loss(const Batch& b) const;

 private:
  NetworkParams p_;
  Activation act_;
  LossKind loss_;
  double mse_scale_, l2_;
  std::vector<MatrixD> w_;
  std::vector<VectorD> b_;
  std::vector<std::shared_ptr<AnalogLayer>> tiles_;
  mutable bool exact_reads_ = false;  // set while gradient() runs: reads bypass the tiles
  std::vector<Index> offset_;
  Index n_params_ = 0;
};

}  // namespace xb::rules
