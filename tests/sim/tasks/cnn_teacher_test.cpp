// SPDX-License-Identifier: MIT
// cnn_teacher: the students' targets are the teacher CNN's outputs on the first Fashion-MNIST
// images; a trained teacher classifies its images far better than a random one.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include "hw_models/core/config.h"
#include "sim/tasks/task.h"

namespace xb::sim {
namespace {

const char* kData = "/usr/share/datasets/fashion-mnist";

bool have_data() {
  struct stat st;
  return stat((std::string(kData) + "/train-images-idx3-ubyte.gz").c_str(), &st) == 0;
}

std::unique_ptr<Task> teacher_task(const std::string& extra) {
  Config cfg = Config::from_string(
      "task: {type: cnn_teacher, samples: 400, test_samples: 100" + extra + "}\n", "test");
  auto t = task_registry().create(Scope(cfg, "task"));
  t->load(5);
  return t;
}

// Share of images whose largest teacher output is the image's class.
double agreement(const rules::Batch& b, const std::vector<int>& labels) {
  Index hits = 0;
  for (Index i = 0; i < b.y.rows(); ++i) {
    Index k;
    b.y.row(i).maxCoeff(&k);
    hits += k == labels[std::size_t(i)];
  }
  return double(hits) / double(b.y.rows());
}

TEST(CnnTeacher, TargetsAreTheTeachersOutputsOnTheFirstImages) {
  if (!have_data()) GTEST_SKIP() << "dataset-fashion-mnist not installed";
  const auto task = teacher_task("");
  EXPECT_EQ(task->input_shape().h, 28);
  EXPECT_EQ(task->train().size(), 400);
  EXPECT_EQ(task->test().size(), 100);
  // The images are Fashion-MNIST's first 400, pixels in [0, 1].
  Config fm = Config::from_string("task: {type: fashion_mnist, train_samples: 400, test_samples: 1}\n", "test");
  auto images = task_registry().create(Scope(fm, "task"));
  images->load(5);
  EXPECT_EQ(task->train().x, images->train().x);
  // The default teacher from its stream, as the task documents.
  rules::NetworkParams tp;
  Config d = Config::from_string(
      "network: {layers: [{type: conv2d, channels: 8, kernel: 5, padding: 2}, {type: max_pool},"
      " {type: conv2d, channels: 16, kernel: 5}, {type: max_pool}, {type: flatten},"
      " {type: linear, width: 64}, {type: linear}]}\n", "test");
  tp = read_params<rules::NetworkParams>(Scope(d, "network"));
  rules::Network teacher(tp, rules::Shape{1, 28, 28}, 10, rules::LossKind::cross_entropy, 0.5, 0.0);
  teacher.initialise(Rng(5, Stream::data, 1));
  EXPECT_LE((teacher.forward(task->train().x) - task->train().y).norm(), 1e-12 * task->train().y.norm());
  // A random teacher's argmax is about chance on the true classes; a trained one's is not.
  const double random = agreement(task->train(), images->train().labels);
  const auto trained = teacher_task(", teacher_epochs: 2, teacher_samples: 400");
  const double learnt = agreement(trained->train(), images->train().labels);
  // (2 epochs on 400 images reach about 0.5; chance is 0.1.)
  EXPECT_LT(random, 0.25);
  EXPECT_GT(learnt, 0.4);
}

}  // namespace
}  // namespace xb::sim
