// SPDX-License-Identifier: MIT
// libFuzzer target: the IDX reader (Fashion-MNIST files, plain or gzip) on arbitrary bytes, as
// an image file (3 dimensions) and as a label file (1 dimension). Every defect must be a
// ConfigError naming the file; nothing may allocate more than the data it holds.
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <string>

#include "hw_models/core/errors.h"
#include "sim/tasks/idx_reader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  static const std::string path = "/tmp/xb_fuzz_idx_" + std::to_string(::getpid());
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  }
  for (int ndims : {3, 1}) {
    try {
      const xb::sim::IdxData d = xb::sim::read_idx(path, ndims);
      uint64_t total = 1;
      for (uint32_t n : d.dims) total *= n;
      if (d.dims.size() != std::size_t(ndims) || d.data.size() != total) std::abort();
    } catch (const xb::ConfigError& e) {
      if (std::string(e.what()).find(path) == std::string::npos) std::abort();  // names the file
    } catch (const std::exception& e) {
      std::cerr << "not a ConfigError: " << e.what() << "\n";
      std::abort();
    }
  }
  return 0;
}
