// SPDX-License-Identifier: MIT
// A run folder: config.yaml, metrics.csv, summary.json (docs/cli.md). Every file is written
// atomically (temporary file + rename), so a reader sees a file complete or not at all, and
// what was recorded before a failure stays on disk. While a run goes on, metrics.csv and
// summary.json (`"status": "running"`) are rewritten every 2 s (less often if a save is slow),
// so even SIGKILL loses at most that much.
#pragma once

#include <nlohmann/json.hpp>

#include <chrono>
#include <functional>
#include <memory>
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
  // The finite numbers of column `name`, in row order (empty cells and nan skipped; none when
  // there is no such column).
  std::vector<double> numbers(const std::string& name) const;
  std::string to_csv() const;
  // Called after every row (the run folder saves its progress from there).
  void on_row(std::function<void()> f) { on_row_ = std::move(f); }

 private:
  std::vector<std::string> columns_;
  std::vector<std::vector<std::string>> rows_;
  std::function<void()> on_row_;
};

// An exclusive advisory lock (flock) on an existing folder for this object's lifetime, so that
// two xbarsim processes never write one run or sweep folder. Throws ConfigError naming the
// folder when another process holds it.
class FolderLock {
 public:
  explicit FolderLock(const std::string& dir);
  ~FolderLock();
  FolderLock(const FolderLock&) = delete;
  FolderLock& operator=(const FolderLock&) = delete;

 private:
  int fd_ = -1;
};

class RunFolder {
 public:
  // Opens the run folder `path` and takes its lock (flock: a second xbarsim on the same folder
  // is refused). A new folder is written in place. An existing one is refused unless `force`;
  // with `force` it must be a run folder (config.yaml or summary.json, or empty), the new run
  // is written into a sibling folder and replaces the old one only at commit(): a run that
  // fails before it ends leaves the old folder as it was. A file at `path` is refused.
  RunFolder(std::string path, bool force);
  ~RunFolder();
  RunFolder(const RunFolder&) = delete;
  RunFolder& operator=(const RunFolder&) = delete;

  // The folder files are written to now (the sibling until commit()).
  const std::string& path() const { return dir_; }
  std::string file(const std::string& name) const { return dir_ + "/" + name; }

  MetricsTable& metrics() { return metrics_; }
  nlohmann::ordered_json& summary() { return summary_; }

  // Writes metrics.csv (when it has columns) and summary.json.
  void flush() const;
  // Writes them with `"status": "running"` (the summary's own status is set at the end).
  void save_progress();
  // Puts a replacing run in the old folder's place (no-op for a new folder); path() is then
  // the final folder.
  void commit();

 private:
  void save_progress_if_due();

  std::string path_;     // the final folder
  std::string dir_;      // where files go now
  bool replacing_ = false;
  std::unique_ptr<FolderLock> lock_;
  MetricsTable metrics_;
  nlohmann::ordered_json summary_ = nlohmann::ordered_json::object();
  std::chrono::steady_clock::time_point next_save_ = std::chrono::steady_clock::now();
};

}  // namespace xb::sim
