// SPDX-License-Identifier: MIT
// The IDX reader on small files written here: good (plain and gzip), truncated, wrong magic,
// trailing bytes. Every failure is a ConfigError naming the file.
#include <gtest/gtest.h>
#include <zlib.h>

#include <filesystem>
#include <fstream>

#include "hw_models/core/errors.h"
#include "sim/tasks/idx_reader.h"

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

std::string write(const std::string& name, const std::vector<uint8_t>& b) {
  const fs::path dir = fs::temp_directory_path() / ("xb_idx_" + std::to_string(::getpid()));
  fs::create_directories(dir);
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

}  // namespace
}  // namespace xb::sim
