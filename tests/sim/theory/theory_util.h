// SPDX-License-Identifier: MIT
// Helpers of the experiment tests (theory harness, train): run an experiment from YAML text
// through the registry, build small networks and batches, format matrices as YAML.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <map>
#include <memory>
#include <sstream>
#include <string>

#include "hw_models/core/config.h"
#include "hw_models/core/rng.h"
#include "learning_rules/network.h"
#include "sim/experiment.h"

namespace xb::sim::test {

inline nlohmann::ordered_json run_experiment(const std::string& yaml, RunFolder** keep = nullptr,
                                             uint64_t seed = 1) {
  static int count = 0;
  Config cfg = Config::from_string(yaml, "theory.yaml");
  auto exp = experiment_registry().create(Scope(cfg, "experiment"));
  RunOptions opt;
  opt.seed = seed;
  opt.quiet = true;
  exp->prepare(cfg, opt);
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() /
                       ("xb_theory_" + std::to_string(::getpid()) + "_" + std::to_string(count++));
  static std::unique_ptr<RunFolder> folder;
  folder = std::make_unique<RunFolder>(dir.string(), true);
  if (keep) *keep = folder.get();
  exp->run(*folder);
  return folder->summary();
}

inline std::string yaml_list(const VectorD& v) {
  std::ostringstream o;
  o.precision(17);
  o << "[";
  for (Index i = 0; i < v.size(); ++i) o << (i ? ", " : "") << v(i);
  o << "]";
  return o.str();
}

inline std::string yaml_matrix(const MatrixD& m) {
  std::ostringstream o;
  o << "[";
  for (Index i = 0; i < m.rows(); ++i) o << (i ? ", " : "") << yaml_list(m.row(i).transpose());
  o << "]";
  return o.str();
}

inline MatrixD gaussian(Index r, Index c, uint64_t seed, uint32_t lane = 0) {
  MatrixD m(r, c);
  Rng(seed, Stream::data, lane).fill_normal(m.data(), m.size());
  return m;
}

// The quadratic of P2 (docs/theory.md): H = Q Q^T / N + 0.1 I with Q Gaussian.
inline MatrixD random_spd(Index n, uint64_t seed, double shift = 0.1) {
  const MatrixD q = gaussian(n, n, seed, 99);
  return q * q.transpose() / double(n) + shift * MatrixD::Identity(n, n);
}

// metrics.csv as rows of column -> cell.
inline std::vector<std::map<std::string, std::string>> csv_rows(const MetricsTable& m) {
  std::vector<std::map<std::string, std::string>> out;
  std::istringstream in(m.to_csv());
  std::string line;
  std::getline(in, line);
  const std::vector<std::string>& cols = m.columns();
  while (std::getline(in, line)) {
    std::map<std::string, std::string> row;
    std::istringstream ls(line);
    std::string cell;
    for (const std::string& c : cols) {
      std::getline(ls, cell, ',');
      row[c] = cell;
    }
    out.push_back(row);
  }
  return out;
}

// metrics.csv of a run of `yaml`, as csv_rows.
inline std::vector<std::map<std::string, std::string>> metrics_rows(const std::string& yaml) {
  RunFolder* f = nullptr;
  run_experiment(yaml, &f);
  return csv_rows(f->metrics());
}

inline double num(const std::map<std::string, std::string>& row, const std::string& key) {
  return std::stod(row.at(key));
}

}  // namespace xb::sim::test
