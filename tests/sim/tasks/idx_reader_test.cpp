// SPDX-License-Identifier: MIT
// The IDX reader on small files written here: good (plain and gzip), truncated, wrong magic,
// trailing bytes. Every failure is a ConfigError naming the file.
#include <gtest/gtest.h>
#include <zlib.h>

#include <filesystem>
#include <fstream>

#include "hw_models/core/config.h"
#include "hw_models/core/errors.h"
#include "sim/tasks/idx_reader.h"
#include "sim/tasks/task.h"

namespace xb::sim {
namespace {

namespace fs = std::filesystem;

std::vector<uint8_t> idx_bytes(std::vector<uint32_t> dims, uint8_t type = 0x08) {
  std::vector<uint8_t> b{0, 0, type, uint8_t(dims.size())};
  std::size_t n = 1;
  for (uint32_t d : dims) {
    for (int s = 24; s >= 0; s -= 8) b.push_back(uint8_t(d >> s));
    n *= d;
  }
  for (std::size_t i = 0; i < n; ++i) b.push_back(uint8_t(i * 7));
  return b;
}

fs::path scratch_dir() {
  const fs::path dir = fs::temp_directory_path() / ("xb_idx_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  return dir;
}

std::string write(const std::string& name, const std::vector<uint8_t>& b) {
  const fs::path dir = scratch_dir();
  const std::string p = (dir / name).string();
  std::ofstream(p, std::ios::binary).write(reinterpret_cast<const char*>(b.data()), b.size());
  return p;
}

void expect_error(const std::string& path, int ndims, const std::string& what) {
  try {
    read_idx(path, ndims);
    FAIL() << "no error for " << path;
  } catch (const ConfigError& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find(path), std::string::npos) << m;
    EXPECT_NE(m.find(what), std::string::npos) << m;
  }
}

TEST(IdxReader, ReadsPlainAndGzipFiles) {
  const std::vector<uint8_t> b = idx_bytes({3, 2, 4});
  const IdxData d = read_idx(write("good.idx", b), 3);
  ASSERT_EQ(d.dims, (std::vector<uint32_t>{3, 2, 4}));
  ASSERT_EQ(d.data.size(), 24u);
  EXPECT_EQ(d.data[5], uint8_t(35));
  const std::string gz = write("good.idx.gz", {});
  gzFile f = gzopen(gz.c_str(), "wb");
  gzwrite(f, b.data(), unsigned(b.size()));
  gzclose(f);
  EXPECT_EQ(read_idx(gz, 3).data, d.data);
}

TEST(IdxReader, RejectsTruncatedWrongMagicAndTrailingBytes) {
  std::vector<uint8_t> b = idx_bytes({5});
  std::vector<uint8_t> t(b.begin(), b.end() - 2);
  expect_error(write("trunc.idx", t), 1, "truncated IDX data: 3 of 5 bytes");
  expect_error(write("header.idx", {0, 0, 8}), 1, "truncated IDX header");
  expect_error(write("magic.idx", idx_bytes({5}, 0x0d)), 1, "bad IDX magic number 0x00000d01");
  expect_error(write("dims.idx", idx_bytes({2, 2})), 1, "expected 0x00000801");
  b.push_back(1);
  expect_error(write("long.idx", b), 1, "longer than its header");
  expect_error("/nonexistent/x.idx", 1, "cannot open");
}

// A Fashion-MNIST folder whose splits hold 4 images each, of the sizes given, labelled 0..3.
std::string fashion_folder(const std::string& name, std::vector<uint32_t> train_image,
                           std::vector<uint32_t> test_image) {
  const fs::path dir = scratch_dir() / name;
  fs::create_directories(dir);
  const auto put = [&](const std::string& file, const std::vector<uint8_t>& b) {
    std::ofstream((dir / file).string(), std::ios::binary)
        .write(reinterpret_cast<const char*>(b.data()), b.size());
  };
  train_image.insert(train_image.begin(), 4);
  test_image.insert(test_image.begin(), 4);
  std::vector<uint8_t> labels = {0, 0, 8, 1, 0, 0, 0, 4, 0, 1, 2, 3};
  put("train-images-idx3-ubyte", idx_bytes(train_image));
  put("train-labels-idx1-ubyte", labels);
  put("t10k-images-idx3-ubyte", idx_bytes(test_image));
  put("t10k-labels-idx1-ubyte", labels);
  return dir.string();
}

std::string fashion_error(const std::string& dir, Index* inputs = nullptr) {
  Config cfg;
  cfg.apply_override("task.type=fashion_mnist");
  cfg.apply_override("task.path=" + dir);
  const auto task = task_registry().create(Scope(cfg, "task"));
  try {
    task->load(1);
  } catch (const ConfigError& e) {
    return e.what();
  }
  if (inputs) *inputs = task->inputs();
  return "";
}

// Test images of another size than the training images crashed (invalid free) or were read
// with the training stride.
TEST(FashionMnist, SplitsOfDifferentImageSizesAreRefusedNamingTheTestFile) {
  const std::string dir = fashion_folder("split_sizes", {2, 2}, {3, 3});
  EXPECT_EQ(fashion_error(dir), dir + "/t10k-images-idx3-ubyte: images of 3x3 pixels, but the "
                                      "training images in " + dir +
                                      "/train-images-idx3-ubyte are 2x2; both splits need one "
                                      "image size");
  // Same pixel count, other shape: still another image.
  EXPECT_NE(fashion_error(fashion_folder("split_shapes", {2, 3}, {3, 2})).find("3x2 pixels"),
            std::string::npos);
}

TEST(FashionMnist, ImagesLargerThanTheNetworkIsSizedForAreRefused) {
  const std::string dir = fashion_folder("too_large", {29, 29}, {29, 29});
  EXPECT_EQ(fashion_error(dir), dir + "/train-images-idx3-ubyte: images of 29x29 pixels, more "
                                      "than the 28x28 = 784 inputs Fashion-MNIST networks are "
                                      "sized for");
}

TEST(FashionMnist, TheNetworkInputIsTheImageSize) {
  Index inputs = 0;
  EXPECT_EQ(fashion_error(fashion_folder("good", {2, 3}, {2, 3}), &inputs), "");
  EXPECT_EQ(inputs, 6);
}

}  // namespace
}  // namespace xb::sim
