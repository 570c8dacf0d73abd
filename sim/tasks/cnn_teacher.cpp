// SPDX-License-Identifier: MIT
// cnn_teacher: a teacher CNN labels Fashion-MNIST images, and the student (the `network:`
// section) regresses the teacher's outputs (MSE, 0.5 mean ||y_hat - y||^2): [G23]'s
// student-teacher protocol for real networks (their Sec. 4, Figs. 5–6, with a VGG-19 teacher
// on CIFAR-10), at Fashion-MNIST scale. The teacher (`teacher_layers`, the network.layers
// form) starts from Xavier weights times `teacher_gain`; with teacher_epochs > 0 it is first
// trained by backprop (cross-entropy on the class labels of its `teacher_samples` training
// images, plain SGD, batch 16), so that it labels images as a trained classifier would.
// Students see the first `samples` training images and are tested on the first `test_samples`
// test images; their targets are the teacher's 10 outputs (+ optional Gaussian label noise).
#include <algorithm>
#include <cmath>
#include <numeric>

#include "sim/tasks/fashion_mnist.h"
#include "sim/tasks/task.h"

namespace xb::sim {

namespace {

struct CnnTeacherParams {
  std::string path = "/usr/share/datasets/fashion-mnist";
  int samples = 1000;
  int test_samples = 1000;
  Records teacher_layers{
      {{"type", "conv2d"}, {"channels", "8"}, {"kernel", "5"}, {"padding", "2"}},
      {{"type", "max_pool"}},
      {{"type", "conv2d"}, {"channels", "16"}, {"kernel", "5"}},
      {{"type", "max_pool"}},
      {{"type", "flatten"}},
      {{"type", "linear"}, {"width", "64"}},
      {{"type", "linear"}}};
  std::string teacher_activation = "relu";
  double teacher_gain = 1.0;
  int teacher_epochs = 0;
  int teacher_samples = 10000;
  double teacher_lr = 0.05;
  double label_noise = 0.0;
  template <class F>
  void bind(F&& f) {
    f("path", path, "", "Fashion-MNIST folder (as task fashion_mnist)");
    f("samples", samples, "", "training images (the first of the training split)");
    f("test_samples", test_samples, "", "test images (the first of the test split)");
    f("teacher_layers", teacher_layers, "", "the teacher's layers (the network.layers form)");
    f("teacher_activation", teacher_activation, "", "teacher activation: linear | relu | tanh");
    f("teacher_gain", teacher_gain, "1", "multiplies the teacher's initial Xavier weights");
    f("teacher_epochs", teacher_epochs, "",
      "epochs of backprop on the class labels before labelling (0: a random teacher)");
    f("teacher_samples", teacher_samples, "", "training images the teacher is trained on");
    f("teacher_lr", teacher_lr, "1", "the teacher's learning rate");
    f("label_noise", label_noise, "1", "std of Gaussian noise added to training targets");
  }
  void validate(const Scope& s) const {
    s.require_in("samples", samples, 1, 60000);
    s.require_in("test_samples", test_samples, 0, 10000);
    s.require(!teacher_layers.empty(), "teacher_layers", "[]", "the teacher needs layers");
    rules::validate_layer_records(s, "teacher_layers", teacher_layers);
    s.require_one_of("teacher_activation", teacher_activation, {"linear", "relu", "tanh"});
    s.require(std::isfinite(teacher_gain), "teacher_gain", teacher_gain, "must be finite");
    s.require_in("teacher_epochs", teacher_epochs, 0, 1000);
    s.require_in("teacher_samples", teacher_samples, 1, 60000);
    s.require_gt("teacher_lr", teacher_lr, 0.0);
    s.require_ge("label_noise", label_noise, 0.0);
    // The teacher's layers must fit 28 x 28 grey images and give the 10 outputs.
    rules::plan_layers(s, teacher_layers, {}, false, {1, 28, 28}, 10, "teacher_layers");
  }
};

class CnnTeacher : public Task {
 public:
  explicit CnnTeacher(const CnnTeacherParams& p) : p_(p) {}
  Index inputs() const override { return kFashionPixels; }
  rules::Shape input_shape() const override { return {1, 28, 28}; }
  Index outputs() const override { return 10; }
  double data_bytes() const override {
    // The images read (as doubles, with their one-hot labels) and the students' targets.
    const double images = double(std::max(p_.samples, p_.teacher_epochs ? p_.teacher_samples : 0)) +
                          double(p_.test_samples);
    return images * (794.0 * 8.0 + 784.0) + (double(p_.samples) + p_.test_samples) * 80.0;
  }

  void load(uint64_t seed) override {
    rules::NetworkParams tp;
    tp.layers = p_.teacher_layers;
    tp.activation = p_.teacher_activation;
    tp.init_gain = p_.teacher_gain;
    rules::Network teacher(tp, input_shape(), 10, rules::LossKind::cross_entropy, 0.5, 0.0);
    teacher.initialise(Rng(seed, Stream::data, 1));
    const int train_images = std::max(p_.samples, p_.teacher_epochs ? p_.teacher_samples : 0);
    const ImageSet set = read_fashion_mnist(p_.path, "train", train_images);
    if (set.rows != 28 || set.cols != 28)  // the teacher's layers were planned on 28 x 28
      throw ConfigError(set.image_file + ": images of " + std::to_string(set.rows) + "x" +
                        std::to_string(set.cols) + " pixels; the cnn_teacher task needs 28x28");
    const rules::Batch& images = set.batch;
    if (p_.teacher_epochs > 0) train_teacher(teacher, images, Rng(seed, Stream::data, 3));
    train_.x = images.x.topRows(p_.samples);
    train_.y = teacher.forward(train_.x);
    if (p_.label_noise > 0) {
      MatrixD e(train_.y.rows(), train_.y.cols());
      Rng(seed, Stream::data, 2).fill_normal(e.data(), e.size());
      train_.y += p_.label_noise * e;
    }
    if (p_.test_samples > 0) {  // (a limit of 0 would read the whole split)
      test_.x = read_fashion_mnist(p_.path, "t10k", p_.test_samples).batch.x;
      test_.y = teacher.forward(test_.x);
    }
  }

 private:
  // Plain SGD, batch 16, on the class labels of the first teacher_samples images, in an order
  // shuffled per epoch from `r`.
  void train_teacher(rules::Network& t, const rules::Batch& images, Rng r) const {
    const Index n = std::min<Index>(p_.teacher_samples, images.size());
    std::vector<Index> order(static_cast<std::size_t>(n));
    std::iota(order.begin(), order.end(), 0);
    for (int e = 0; e < p_.teacher_epochs; ++e) {
      for (Index i = n - 1; i > 0; --i)  // Fisher–Yates
        std::swap(order[std::size_t(i)], order[std::size_t(r.uniform() * double(i + 1))]);
      for (Index i = 0; i < n; i += 16) {
        const std::vector<Index> idx(order.begin() + i, order.begin() + std::min(n, i + 16));
        const rules::Batch b = images.rows(idx);
        t.set_params(t.params() - p_.teacher_lr * t.gradient(b));
      }
    }
  }
  CnnTeacherParams p_;
};

}  // namespace

void register_task_cnn_teacher(TaskRegistry& r) {
  r.add_model<CnnTeacherParams, CnnTeacher>(
      "cnn_teacher", "a teacher CNN (random or trained) labels Fashion-MNIST images; MSE");
}

}  // namespace xb::sim
