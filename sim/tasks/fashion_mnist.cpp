// SPDX-License-Identifier: MIT
// fashion_mnist: Zalando's Fashion-MNIST (Xiao et al. 2017), 28x28 grey images in 10 classes,
// from Debian's dataset-fashion-mnist (IDX files, gzip) or `path`. Pixels scaled to [0, 1];
// softmax cross-entropy. train_samples / test_samples > 0 take the first that many samples
// (fast tests); 0 takes all (60000 / 10000).
#include <sys/stat.h>

#include <algorithm>

#include "hw_models/core/errors.h"
#include "sim/tasks/fashion_mnist.h"
#include "sim/tasks/idx_reader.h"

namespace xb::sim {

namespace {

struct FashionMnistParams {
  std::string path = "/usr/share/datasets/fashion-mnist";
  int train_samples = 0;
  int test_samples = 0;
  template <class F>
  void bind(F&& f) {
    f("path", path, "", "folder with {train,t10k}-{images-idx3,labels-idx1}-ubyte[.gz]");
    f("train_samples", train_samples, "", "first N training samples (0: all)");
    f("test_samples", test_samples, "", "first N test samples (0: all)");
  }
  void validate(const Scope& s) const {
    s.require_in("train_samples", train_samples, 0, 60000);
    s.require_in("test_samples", test_samples, 0, 10000);
  }
};

std::string find_file(const std::string& dir, const std::string& name) {
  struct stat st;
  const std::string plain = dir + "/" + name;
  if (stat(plain.c_str(), &st) == 0) return plain;
  const std::string gz = plain + ".gz";
  if (stat(gz.c_str(), &st) == 0) return gz;
  throw ConfigError("task.path = " + dir + ": neither " + plain + " nor " + gz +
                    " exists (install dataset-fashion-mnist or set task.path)");
}

}  // namespace

ImageSet read_fashion_mnist(const std::string& dir, const std::string& split, int limit) {
  const std::string ip = find_file(dir, split + "-images-idx3-ubyte");
  const std::string lp = find_file(dir, split + "-labels-idx1-ubyte");
  const IdxData im = read_idx(ip, 3), lb = read_idx(lp, 1);
  if (im.dims[0] != lb.dims[0])
    throw ConfigError(lp + ": " + std::to_string(lb.dims[0]) + " labels for " +
                      std::to_string(im.dims[0]) + " images in " + ip);
  // The network's size (and its weight budget, checked before the data is read) assumes
  // at most 28x28 inputs; the data decides the exact width.
  if (Index(im.dims[1]) * im.dims[2] > kFashionPixels)
    throw ConfigError(ip + ": images of " + std::to_string(im.dims[1]) + "x" +
                      std::to_string(im.dims[2]) + " pixels, more than the 28x28 = 784 " +
                      "inputs Fashion-MNIST networks are sized for");
  ImageSet set;
  set.image_file = ip;
  set.rows = im.dims[1];
  set.cols = im.dims[2];
  const Index n = limit > 0 ? std::min<Index>(limit, im.dims[0]) : Index(im.dims[0]);
  const Index inputs = set.rows * set.cols;
  rules::Batch& b = set.batch;
  b.x.resize(n, inputs);
  for (Index i = 0; i < n; ++i)
    for (Index j = 0; j < inputs; ++j) b.x(i, j) = im.data[std::size_t(i * inputs + j)] / 255.0;
  for (Index i = 0; i < n; ++i) {
    const int c = lb.data[std::size_t(i)];
    if (c > 9)
      throw ConfigError(lp + ": label " + std::to_string(c) + " of sample " + std::to_string(i) +
                        " is not in [0, 9]");
    b.labels.push_back(c);
  }
  b.y = one_hot(b.labels, 10);
  return set;
}

namespace {

class FashionMnist : public Task {
 public:
  explicit FashionMnist(const FashionMnistParams& p) : p_(p) {}
  bool classification() const override { return true; }
  Index inputs() const override { return rows_ * cols_; }
  rules::Shape input_shape() const override { return {1, rows_, cols_}; }  // grey images
  Index outputs() const override { return 10; }
  double data_bytes() const override {
    // Both sets as doubles (pixels and one-hot labels) plus the raw bytes read from the files.
    const double train = p_.train_samples > 0 ? std::min(p_.train_samples, 60000) : 60000;
    const double test = p_.test_samples > 0 ? std::min(p_.test_samples, 10000) : 10000;
    return (train + test) * ((784.0 + 10.0) * 8.0 + 784.0);
  }
  rules::LossKind loss_kind() const override { return rules::LossKind::cross_entropy; }

  void load(uint64_t) override {
    ImageSet train = read_fashion_mnist(p_.path, "train", p_.train_samples);
    ImageSet test = read_fashion_mnist(p_.path, "t10k", p_.test_samples);
    // The network is built for the training images: test images of another size would be read
    // with the wrong stride (or past their end).
    if (test.rows != train.rows || test.cols != train.cols)
      throw ConfigError(test.image_file + ": images of " + std::to_string(test.rows) + "x" +
                        std::to_string(test.cols) + " pixels, but the training images in " +
                        train.image_file + " are " + std::to_string(train.rows) + "x" +
                        std::to_string(train.cols) + "; both splits need one image size");
    rows_ = train.rows;
    cols_ = train.cols;
    train_ = std::move(train.batch);
    test_ = std::move(test.batch);
  }

 private:
  FashionMnistParams p_;
  Index rows_ = 28, cols_ = 28;
};

}  // namespace

void register_task_fashion_mnist(TaskRegistry& r) {
  r.add_model<FashionMnistParams, FashionMnist>(
      "fashion_mnist", "Fashion-MNIST images, 10 classes, softmax cross-entropy (Xiao 2017)");
}

}  // namespace xb::sim
