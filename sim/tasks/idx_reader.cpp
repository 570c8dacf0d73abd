// SPDX-License-Identifier: MIT
#include "sim/tasks/idx_reader.h"

#include <zlib.h>

#include <algorithm>
#include <cstdio>
#include <memory>

#include "hw_models/core/errors.h"

namespace xb::sim {

namespace {

[[noreturn]] void fail(const std::string& path, const std::string& what) {
  throw ConfigError(path + ": " + what);
}

struct GzCloser {
  void operator()(gzFile_s* f) const { gzclose(f); }
};

// Reads up to n bytes; returns the count read (less than n only at the end of the file).
std::size_t read_some(gzFile f, const std::string& path, uint8_t* out, std::size_t n) {
  std::size_t got = 0;
  while (got < n) {
    const unsigned chunk = unsigned(std::min<std::size_t>(n - got, 1u << 30));
    const int r = gzread(f, out + got, chunk);
    if (r < 0) fail(path, "corrupt compressed data");
    if (r == 0) break;
    got += std::size_t(r);
  }
  return got;
}

}  // namespace

IdxData read_idx(const std::string& path, int ndims) {
  std::unique_ptr<gzFile_s, GzCloser> f(gzopen(path.c_str(), "rb"));
  if (!f) fail(path, "cannot open IDX file");
  uint8_t magic[4];
  if (read_some(f.get(), path, magic, 4) != 4) fail(path, "truncated IDX header");
  char expected[16];
  std::snprintf(expected, sizeof expected, "0x000008%02x", unsigned(ndims));
  if (magic[0] != 0 || magic[1] != 0 || magic[2] != 0x08 || magic[3] != ndims) {
    char got[16];
    std::snprintf(got, sizeof got, "0x%02x%02x%02x%02x", magic[0], magic[1], magic[2], magic[3]);
    fail(path, std::string("bad IDX magic number ") + got + " (expected " + expected +
                   ": unsigned bytes, " + std::to_string(ndims) + " dimensions)");
  }
  IdxData out;
  // Sizes come from an untrusted header: the product is capped (and named in the message)
  // before anything is allocated, and the data is read in chunks, so a header announcing more
  // than the file holds fails as truncated without reserving the announced size.
  constexpr uint64_t kMaxBytes = uint64_t(1) << 31;  // 2 GiB; Fashion-MNIST train is 47 MB
  uint64_t total = 1;
  for (int d = 0; d < ndims; ++d) {
    uint8_t b[4];
    if (read_some(f.get(), path, b, 4) != 4) fail(path, "truncated IDX header");
    const uint32_t n = uint32_t(b[0]) << 24 | uint32_t(b[1]) << 16 | uint32_t(b[2]) << 8 | b[3];
    if (n == 0) fail(path, "IDX dimension " + std::to_string(d) + " is 0");
    out.dims.push_back(n);
    total *= n;  // at most 2^31 * 2^32 before the check below stops the loop: no overflow
    if (total > kMaxBytes) {
      std::string dims;
      for (uint32_t x : out.dims) dims += (dims.empty() ? "" : " x ") + std::to_string(x);
      fail(path, "IDX header announces " + dims + (d + 1 < ndims ? " x ..." : "") + " = " +
                     std::to_string(total) + (d + 1 < ndims ? "+" : "") + " bytes, more than the limit of " +
                     std::to_string(kMaxBytes) + " bytes");
    }
  }
  constexpr std::size_t kChunk = std::size_t(1) << 24;
  std::size_t got = 0;
  while (got < total) {
    const std::size_t want = std::min<std::size_t>(kChunk, std::size_t(total) - got);
    out.data.resize(got + want);
    const std::size_t r = read_some(f.get(), path, out.data.data() + got, want);
    got += r;
    if (r < want) break;
  }
  if (got != total)
    fail(path, "truncated IDX data: " + std::to_string(got) + " of " + std::to_string(total) +
                   " bytes");
  uint8_t extra;
  if (read_some(f.get(), path, &extra, 1) != 0)
    fail(path, "IDX file is longer than its header says (" + std::to_string(total) + " bytes)");
  return out;
}

}  // namespace xb::sim
