// SPDX-License-Identifier: MIT
// A feed-forward network (`network:` section): a multilayer perceptron (`hidden:` widths) or a
// list of conv2d, pooling, flatten and linear layers (`layers:`, see layer_plan.h). Parameter
// layers but the last use `activation` (linear | relu | tanh | sigmoid); the output layer is
// linear (its loss — MSE or softmax cross-entropy — comes from the task). Each parameter layer
// is digital (double, exact) or analog: an AnalogLayer (a crossbar tile behind the interface
// below, supplied by the experiment) that does the forward read y = W x, the backward read
// W^T d, and writes the update as pulses. A conv layer is the same product on patch rows
// (im2col), so everything below that speaks of a layer's rows holds for both kinds.
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
#include "learning_rules/conv_ops.h"
#include "learning_rules/layer_plan.h"
#include "learning_rules/model.h"

namespace xb::rules {

struct NetworkParams {
  std::vector<int> hidden;
  Records layers;
  std::string activation = "relu";
  bool analog = false;
  bool bias = true;
  std::string init = "xavier";
  double init_gain = 1.0;
  template <class F>
  void bind(F&& f) {
    f("hidden", hidden, "", "hidden layer widths, input to output (empty: one linear layer)");
    f("layers", layers, "",
      "list of layers {type: conv2d|max_pool|avg_pool|flatten|linear, ...} instead of hidden "
      "(docs/networks.md)");
    f("activation", activation, "", "hidden activation: linear | relu | tanh | sigmoid");
    f("analog", analog, "",
      "true: every layer on a crossbar tile; false: digital double (a layer's own analog: "
      "overrides it)");
    f("bias", bias, "", "add a bias vector to every layer");
    f("init", init, "",
      "xavier (normal, variance gain^2/fan_in, every layer [G23]) | glorot (uniform, "
      "variance 2/(fan_in+fan_out)) | he (normal, 2/fan_in) | zeros");
    f("init_gain", init_gain, "1", "multiplies the initial weights");
  }
  void validate(const Scope& s) const;
  // True when any parameter layer is analog.
  bool any_analog() const;
  // The same network with every layer digital.
  NetworkParams digital() const;
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
  std::vector<MatrixD> h;  // h[l] = the rows layer l multiplied (input or patches); h[L] = output
  std::vector<MatrixD> a;  // pre-activations of layer l (rows x fan_out)
  std::vector<MatrixD> mult;  // multiplicative injection factors per hidden layer (or empty)
  std::vector<std::vector<PoolWinners>> winners;  // per layer, per pooling after it
};

class Network : public Model {
 public:
  Network(const NetworkParams& p, Shape input, Index outputs, LossKind loss, double mse_scale,
          double l2);
  Network(const NetworkParams& p, Index inputs, Index outputs, LossKind loss, double mse_scale,
          double l2)
      : Network(p, Shape{inputs, 1, 1}, outputs, loss, mse_scale, l2) {}

  // Draws the initial weights from `init`.
  void initialise(const Rng& init);
  // Puts layer l on a tile (the tile is programmed with the current weights).
  void set_analog(Index l, std::shared_ptr<AnalogLayer> tile);

  Index layers() const { return Index(w_.size()); }
  Index fan_in(Index l) const { return w_[l].cols(); }
  Index fan_out(Index l) const { return w_[l].rows(); }
  const LayerGeometry& geometry(Index l) const { return geo_[std::size_t(l)]; }
  bool convolutional() const;  // any conv2d layer
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

  // The moves between layers, all linear (max pooling given its winners), so the R-operator
  // reuses them. Layer l's input tensor to the rows it multiplies (im2col for conv), and the
  // adjoint (rows-shaped errors back to the tensor):
  MatrixD to_rows(Index l, MatrixD x) const;
  MatrixD from_rows(Index l, MatrixD g) const;
  // Layer l's activated rows to the next layer's input tensor (reshape, then its pooling,
  // recording the winners unless `reuse`), and the adjoint:
  MatrixD pass_on(Index l, MatrixD h, std::vector<PoolWinners>& winners, bool reuse) const;
  MatrixD pass_back(Index l, MatrixD g, const std::vector<PoolWinners>& winners) const;

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
  // Flat gradient from per-layer errors dL/da and the cached layer inputs (+ L2 unless not
  // `with_l2`).
  VectorD assemble(const ForwardCache& c, const std::vector<MatrixD>& delta,
                   bool with_l2 = true) const;
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
  // Evaluations (loss, accuracy, exact gradient) run over blocks of this many samples, so that
  // a conv network's patch rows of a whole data set need not be held at once. Blocks hold about
  // kChunkNumbers numbers of rows (16 MiB of doubles: below glibc's largest mmap threshold, so
  // the blocks reuse heap memory instead of faulting in fresh pages); an MLP's block is larger
  // than the data sets it trains on here (2^21 / 60 = 35,000 samples for the quick start).
  Index chunk_samples() const;
  static constexpr double kChunkNumbers = double(1 << 21);

 private:
  NetworkParams p_;
  Activation act_;
  LossKind loss_;
  double mse_scale_, l2_;
  std::vector<MatrixD> w_;
  std::vector<VectorD> b_;
  std::vector<LayerGeometry> geo_;
  std::vector<std::shared_ptr<AnalogLayer>> tiles_;
  template <class F>
  void for_each_chunk(const Batch& b, F&& f) const;  // f(rows of b.x, first sample)
  mutable bool exact_reads_ = false;  // set while gradient() runs: reads bypass the tiles
  std::vector<Index> offset_;
  Index n_params_ = 0;
};

}  // namespace xb::rules
