// SPDX-License-Identifier: MIT
// SHA-256 (FIPS 180-4) of raw bytes, for `weights_sha256`: two runs agree bit for bit iff
// their hashes agree.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace xb {

class Sha256 {
 public:
  Sha256();
  void update(const void* data, std::size_t n);
  std::string hex();  // finalises

 private:
  void block(const uint8_t* p);
  uint32_t h_[8];
  uint8_t buf_[64];
  std::size_t buf_len_ = 0;
  uint64_t total_ = 0;
};

}  // namespace xb
