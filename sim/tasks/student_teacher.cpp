// SPDX-License-Identifier: MIT
// student_teacher: a fixed teacher network (linear or ReLU, depth and width given,
// [G23]'s Xavier init, docs/corrections.md C1, no biases) labels standard Gaussian inputs; the student is the `network:`
// section and the loss is MSE (0.5 mean ||y_hat - y||^2). Optional Gaussian label noise.
#include <cmath>

#include "sim/tasks/task.h"

namespace xb::sim {

namespace {

struct StudentTeacherParams {
  int inputs = 8;
  int outputs = 1;
  std::vector<int> teacher_hidden;
  std::string teacher_activation = "relu";
  double teacher_gain = 1.0;
  int samples = 256;
  int test_samples = 256;
  double label_noise = 0.0;
  template <class F>
  void bind(F&& f) {
    f("inputs", inputs, "", "input dimension");
    f("outputs", outputs, "", "output dimension");
    f("teacher_hidden", teacher_hidden, "", "teacher hidden widths (empty: linear map)");
    f("teacher_activation", teacher_activation, "", "teacher hidden activation: linear | relu");
    f("teacher_gain", teacher_gain, "1", "multiplies the teacher's Xavier weights");
    f("samples", samples, "", "training samples");
    f("test_samples", test_samples, "", "test samples");
    f("label_noise", label_noise, "1", "std of Gaussian noise added to training labels");
  }
  void validate(const Scope& s) const {
    s.require_in("inputs", inputs, 1, 1 << 20);
    s.require_in("outputs", outputs, 1, 1 << 20);
    s.require_each_in("teacher_hidden", teacher_hidden, 1, 1 << 20);
    s.require_one_of("teacher_activation", teacher_activation, {"linear", "relu"});
    s.require_in("samples", samples, 1, 1 << 24);
    s.require_in("test_samples", test_samples, 0, 1 << 24);
    s.require_ge("label_noise", label_noise, 0.0);
    // Refused before allocating: the data set is (samples + test_samples) x (inputs + outputs)
    // doubles, at most 2^28 (2 GiB).
    const double cells = (double(samples) + test_samples) * (double(inputs) + outputs);
    s.require(cells <= double(1 << 28), "samples", samples,
              "the data set would hold " + Scope::fmt(cells) +
                  " numbers ((samples + test_samples) x (inputs + outputs)); at most 2^28");
  }
};

class StudentTeacher : public Task {
 public:
  explicit StudentTeacher(const StudentTeacherParams& p) : p_(p) {}
  Index inputs() const override { return p_.inputs; }
  Index outputs() const override { return p_.outputs; }
  double data_bytes() const override {
    // Inputs and labels of both sets, and the teacher's hidden activations while labelling.
    double widths = double(p_.inputs) + double(p_.outputs);
    for (int h : p_.teacher_hidden) widths += 2.0 * h;
    return 2.0 * (double(p_.samples) + double(p_.test_samples)) * widths * 8.0;
  }

  void load(uint64_t seed) override {
    rules::NetworkParams tp;
    tp.hidden = p_.teacher_hidden;
    tp.activation = p_.teacher_activation;
    tp.bias = false;
    tp.init_gain = p_.teacher_gain;
    rules::Network teacher(tp, p_.inputs, p_.outputs, rules::LossKind::mse, 0.5, 0.0);
    teacher.initialise(Rng(seed, Stream::data, 1));
    const Rng data(seed, Stream::data, 2);
    train_ = sample(teacher, p_.samples, data.at(0), p_.label_noise, data.at(2));
    test_ = sample(teacher, p_.test_samples, data.at(1), 0.0, data.at(3));
  }

 private:
  rules::Batch sample(const rules::Network& t, int n, Rng r, double noise, Rng rn) const {
    rules::Batch b;
    b.x.resize(n, p_.inputs);
    r.fill_normal(b.x.data(), b.x.size());
    b.y = t.forward(b.x);
    if (noise > 0) {
      MatrixD e(b.y.rows(), b.y.cols());
      rn.fill_normal(e.data(), e.size());
      b.y += noise * e;
    }
    return b;
  }
  StudentTeacherParams p_;
};

}  // namespace

void register_task_student_teacher(TaskRegistry& r) {
  r.add_model<StudentTeacherParams, StudentTeacher>(
      "student_teacher", "teacher network (linear or ReLU) labels Gaussian inputs; MSE");
}

}  // namespace xb::sim
