// SPDX-License-Identifier: MIT
// Helpers of the tests that drive the real binary (hardening_test, fault_injection_test):
// scratch folders, whole-file reads and writes, an exit code with its stderr.
#pragma once

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace xb::test {

namespace fs = std::filesystem;

struct Result {
  int code;
  std::string err;
};

inline std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// A fresh empty folder under the temp directory, named after the process and `name`.
inline fs::path scratch(const std::string& name) {
  const fs::path d = fs::temp_directory_path() /
                     ("xb_cli_" + std::to_string(::getpid()) + "_" + name);
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

// Writes `text` to dir/name and returns the path.
inline std::string write(const fs::path& dir, const std::string& name, const std::string& text) {
  std::ofstream(dir / name) << text;
  return (dir / name).string();
}

}  // namespace xb::test
