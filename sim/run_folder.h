// SPDX-License-Identifier: MIT
// A run folder: config.yaml, metrics.csv, summary.json (docs/cli.md). Every file is written
// atomically (temporary file + rename), so a reader sees a file complete or not at all, and
// what was recorded before a failure stays on disk.
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace xb::sim {

// Writes `content` to `path` through a temporary file in the same folder and a rename.
void write_file_atomic(const std::string& path, const std::string& content);

// Formats a double for CSV and YAML: shortest text that reads back to the same value.
std::string format_number(double v);

// One CSV table, kept in memory and rewritten atomically on flush.
class MetricsTable {
 public:
  void set_columns(std::vector<std::string> columns);
  const std::vector<std::string>& columns() const { return columns_; }
  // One row; cells are already formatted (use format_number for numbers).
  void add_row(std::vector<std::string> cells);
  void add_row(const std::vector<double>& values);
  std::size_t rows() const { return rows_.size(); }
  std::string to_csv() const;

 private:
  std::vector<std::string> columns_;
  std::vector<std::vector<std::string>> rows_;
};

class RunFolder {
 public:
  // Creates `path`. An existing folder is refused unless `force`; a file at `path` is refused.
  RunFolder(std::string path, bool force);
  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

  MetricsTable& metrics() { return metrics_; }
  nlohmann::ordered_json& summary() { return summary_; }

  // Writes metrics.csv (when it has columns) and summary.json.
  void flush() const;

 private:
  std::string path_;
  MetricsTable metrics_;
  nlohmann::ordered_json summary_ = nlohmann::ordered_json::object();
};

}  // namespace xb::sim
