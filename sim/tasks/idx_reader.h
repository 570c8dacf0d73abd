// SPDX-License-Identifier: MIT
// Reader for the IDX format of (Fashion-)MNIST: a 4-byte magic number 0x00 0x00 <type> <ndims>,
// ndims big-endian uint32 sizes, then the data. Only unsigned bytes (type 0x08) are used.
// Plain or gzip-compressed files are read alike (zlib). Every defect — missing file, wrong
// magic, wrong number of dimensions, truncated data, trailing bytes — is a ConfigError that
// names the file.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace xb::sim {

struct IdxData {
  std::vector<uint32_t> dims;
  std::vector<uint8_t> data;  // row-major, product(dims) bytes
};

// Reads `path`, requiring unsigned-byte data with `ndims` dimensions.
IdxData read_idx(const std::string& path, int ndims);

}  // namespace xb::sim
