// SPDX-License-Identifier: MIT
// NumPy's .npz archive (a ZIP of .npy arrays, numpy.savez's format), written and read without
// Python: run folders export weights and checkpoints in it, so `numpy.load("weights.npz")` opens
// them. Arrays are little-endian, C order; entries are stored (not deflated). Reading accepts
// what this writer and numpy.savez write (stored entries, .npy format 1.0/2.0, dtypes <f8, <f4,
// <u8, <i8); anything else is refused with a message naming the file and the entry.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "hw_models/core/types.h"

namespace xb::sim {

struct NpyArray {
  std::string dtype;               // numpy descr: "<f8", "<f4", "<u8" or "<i8"
  std::vector<std::uint64_t> shape;
  std::string data;                // raw little-endian bytes, C order
  std::uint64_t size() const;      // number of elements
};

class Npz {
 public:
  // Adds (or replaces) an array; `name` without ".npy".
  void add(const std::string& name, const MatrixD& m);
  void add(const std::string& name, const VectorD& v);
  void add(const std::string& name, const Array& a);  // float32
  void add(const std::string& name, const std::vector<std::uint64_t>& v);
  void add(const std::string& name, double scalar);   // shape ()

  bool has(const std::string& name) const { return arrays_.count(name) > 0; }
  const std::map<std::string, NpyArray>& arrays() const { return arrays_; }
  // Typed access; a missing entry or a dtype/shape that does not fit is a ConfigError naming
  // `source_` and the entry.
  MatrixD matrix(const std::string& name) const;
  VectorD vector(const std::string& name) const;
  Array float_array(const std::string& name, Index rows, Index cols) const;
  std::vector<std::uint64_t> u64(const std::string& name) const;
  double scalar(const std::string& name) const;

  // The archive's bytes; write it with write_file_atomic.
  std::string serialize() const;
  // Parses an archive read from `source` (a path, for messages).
  static Npz parse(const std::string& bytes, const std::string& source);
  static Npz load(const std::string& path);

 private:
  const NpyArray& get(const std::string& name, const char* dtype) const;
  std::map<std::string, NpyArray> arrays_;
  std::string source_ = "npz";
};

}  // namespace xb::sim
