// SPDX-License-Identifier: MIT
// The .npz writer and reader (sim/npz.h): round trips of every dtype, the byte layout numpy
// expects, and damaged archives refused with the file and entry named.
#include <gtest/gtest.h>

#include "hw_models/core/errors.h"
#include "sim/npz.h"

namespace xb::sim {
namespace {

Npz sample() {
  Npz z;
  MatrixD m(2, 3);
  m << 1, 2, 3, 4, 5, 6.5;
  z.add("W0", m);
  z.add("b0", VectorD(VectorD::LinSpaced(4, -1, 1)));
  Array a(3, 2);
  a << 0.5f, -0.25f, 1, 2, 3, 4;
  z.add("dev0", a);
  z.add("counts", std::vector<std::uint64_t>{7, 1ull << 60});
  z.add("t", 3.25);
  return z;
}

TEST(Npz, RoundTripsEveryDtype) {
  const Npz z = Npz::parse(sample().serialize(), "mem");
  const Npz ref = sample();
  EXPECT_EQ(z.matrix("W0"), ref.matrix("W0"));
  EXPECT_EQ(z.vector("b0"), ref.vector("b0"));
  EXPECT_TRUE((z.float_array("dev0", 3, 2) == ref.float_array("dev0", 3, 2)).all());
  EXPECT_EQ(z.u64("counts"), (std::vector<std::uint64_t>{7, 1ull << 60}));
  EXPECT_EQ(z.scalar("t"), 3.25);
  EXPECT_EQ(sample().serialize(), sample().serialize()) << "no time stamp: same data, same bytes";
}

TEST(Npz, NpyHeaderIsNumpyFormatOne) {
  const std::string b = sample().serialize();
  const auto at = b.find("\x93NUMPY");
  ASSERT_NE(at, std::string::npos);
  const std::size_t hlen = std::uint8_t(b[at + 8]) | (std::uint8_t(b[at + 9]) << 8);
  EXPECT_EQ((10 + hlen) % 64, 0u);
  EXPECT_NE(b.find("'shape': (2, 3)"), std::string::npos);
  EXPECT_NE(b.find("'shape': (4,)"), std::string::npos);
  EXPECT_NE(b.find("'shape': ()"), std::string::npos);
}

TEST(Npz, DamagedArchivesAreRefusedByName) {
  std::string b = sample().serialize();
  auto message = [](const std::string& bytes) {
    try {
      Npz::parse(bytes, "w.npz");
    } catch (const ConfigError& e) {
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  EXPECT_EQ(message("not a zip"), "w.npz: not a ZIP/npz archive");
  std::string flipped = b;
  flipped[b.find("\x93NUMPY") + 130] ^= 1;  // inside W0's data (after its 128-byte header)
  EXPECT_NE(message(flipped).find("CRC mismatch"), std::string::npos) << message(flipped);
  EXPECT_NE(message(b.substr(0, b.size() / 2) + b.substr(b.size() - 22)).find("w.npz"),
            std::string::npos);
  const Npz z = Npz::parse(b, "w.npz");
  EXPECT_THROW(z.matrix("b0"), ConfigError);   // 1-D, not a matrix
  EXPECT_THROW(z.vector("dev0"), ConfigError);  // float32
  EXPECT_THROW(z.matrix("W9"), ConfigError);    // missing
}

}  // namespace
}  // namespace xb::sim
