// SPDX-License-Identifier: MIT
#include "sim/run_folder.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "hw_models/core/errors.h"

namespace fs = std::filesystem;

namespace xb::sim {

void write_file_atomic(const std::string& path, const std::string& content) {
  const std::string tmp = path + ".tmp." + std::to_string(::getpid());
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw ConfigError(path + ": cannot write: " + std::strerror(errno));
  const char* p = content.data();
  std::size_t left = content.size();
  while (left > 0) {
    const ssize_t n = ::write(fd, p, left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const std::string why = std::strerror(errno);
      ::close(fd);
      std::remove(tmp.c_str());
      throw ConfigError(path + ": write failed: " + why);
    }
    p += n;
    left -= std::size_t(n);
  }
  // The data reaches the disk before the rename publishes it: after a power cut the file is
  // the old one or the complete new one, never an empty or partial file.
  const bool synced = ::fsync(fd) == 0;
  const std::string sync_error = synced ? "" : std::strerror(errno);
  if (::close(fd) != 0 || !synced) {
    const std::string why = synced ? std::strerror(errno) : sync_error;
    std::remove(tmp.c_str());
    throw ConfigError(path + ": write failed: " + why);
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    const std::string why = std::strerror(errno);
    std::remove(tmp.c_str());
    throw ConfigError(path + ": cannot write: " + why);
  }
}

std::string format_number(double v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  char buf[32];
  for (int prec = 6; prec <= 17; ++prec) {
    std::snprintf(buf, sizeof buf, "%.*g", prec, v);
    if (std::strtod(buf, nullptr) == v) break;
  }
  return buf;
}

void MetricsTable::set_columns(std::vector<std::string> columns) { columns_ = std::move(columns); }

void MetricsTable::add_row(std::vector<std::string> cells) {
  if (cells.size() != columns_.size())
    throw std::logic_error("metrics row has " + std::to_string(cells.size()) + " cells for " +
                           std::to_string(columns_.size()) + " columns");
  rows_.push_back(std::move(cells));
  if (on_row_) on_row_();
}

void MetricsTable::add_row(const std::vector<double>& values) {
  std::vector<std::string> cells;
  cells.reserve(values.size());
  for (double v : values) cells.push_back(format_number(v));
  add_row(std::move(cells));
}

std::vector<double> MetricsTable::numbers(const std::string& name) const {
  std::vector<double> v;
  const auto it = std::find(columns_.begin(), columns_.end(), name);
  if (it == columns_.end()) return v;
  const std::size_t k = std::size_t(it - columns_.begin());
  for (const auto& r : rows_) {
    char* end = nullptr;
    const double x = std::strtod(r[k].c_str(), &end);
    if (!r[k].empty() && end && *end == '\0' && std::isfinite(x)) v.push_back(x);
  }
  return v;
}

std::string MetricsTable::to_csv() const {
  std::string s;
  for (std::size_t i = 0; i < columns_.size(); ++i) s += (i ? "," : "") + columns_[i];
  s += "\n";
  for (const auto& r : rows_) {
    for (std::size_t i = 0; i < r.size(); ++i) s += (i ? "," : "") + r[i];
    s += "\n";
  }
  return s;
}

namespace {

constexpr auto kSaveInterval = std::chrono::seconds(2);

bool is_run_folder(const std::string& dir) {
  std::error_code ec;
  return fs::exists(dir + "/config.yaml", ec) || fs::exists(dir + "/summary.json", ec) ||
         fs::is_empty(dir, ec);
}

}  // namespace

FolderLock::FolderLock(const std::string& dir) {
  fd_ = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd_ < 0) throw ConfigError("--out " + dir + ": cannot open the folder: " + std::strerror(errno));
  if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
    ::close(fd_);
    throw ConfigError("--out " + dir + ": another xbarsim is using this folder (it is locked)");
  }
}

FolderLock::~FolderLock() { ::close(fd_); }

RunFolder::RunFolder(std::string path, bool force) {
  // "runs/x/" and "runs/x" are one folder; the sibling of a replacing run is "runs/x.new-PID".
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  path_ = dir_ = path;
  std::error_code ec;
  const bool existed = fs::exists(path_, ec);
  if (existed) {
    if (!fs::is_directory(path_, ec))
      throw ConfigError("--out " + path_ + ": exists and is not a folder");
    if (!force)
      throw ConfigError("--out " + path_ +
                        ": the run folder exists; choose another or pass --force to overwrite");
    if (!is_run_folder(path_))
      throw ConfigError("--out " + path_ +
                        ": --force replaces run folders only, and this folder has no config.yaml "
                        "or summary.json; choose another folder");
  } else {
    fs::create_directories(path_, ec);
    if (ec) throw ConfigError("--out " + path_ + ": cannot create the folder: " + ec.message());
  }
  lock_ = std::make_unique<FolderLock>(path_);
  if (!existed && !fs::is_empty(path_, ec))  // created by another process between check and lock
    throw ConfigError("--out " + path_ + ": the run folder exists; choose another or pass --force");
  if (existed) {
    replacing_ = true;
    dir_ = path_ + ".new-" + std::to_string(::getpid());
    fs::remove_all(dir_, ec);  // a leftover of this pid's earlier run in the same process
    fs::create_directories(dir_, ec);
    if (ec) throw ConfigError("--out " + dir_ + ": cannot create the folder: " + ec.message());
  }
  metrics_.on_row([this] { save_progress_if_due(); });
}

RunFolder::~RunFolder() {
  if (replacing_) {  // not committed: the new run never ended; the old folder stays as it was
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
}

void RunFolder::flush() const {
  if (!metrics_.columns().empty()) write_file_atomic(file("metrics.csv"), metrics_.to_csv());
  write_file_atomic(file("summary.json"), summary_.dump(2) + "\n");
}

void RunFolder::save_progress() {
  const auto start = std::chrono::steady_clock::now();
  nlohmann::ordered_json s = summary_;
  s["status"] = "running";
  if (!metrics_.columns().empty()) write_file_atomic(file("metrics.csv"), metrics_.to_csv());
  write_file_atomic(file("summary.json"), s.dump(2) + "\n");
  // Every 2 s, or less often when a save itself is slow (a table of millions of rows), so that
  // saving never takes more than a tenth of the run.
  const auto now = std::chrono::steady_clock::now();
  next_save_ =
      now + std::max<std::chrono::steady_clock::duration>(kSaveInterval, 10 * (now - start));
}

void RunFolder::save_progress_if_due() {
  if (std::chrono::steady_clock::now() >= next_save_) save_progress();
}

void RunFolder::commit() {
  if (!replacing_) return;
  const std::string old = path_ + ".old-" + std::to_string(::getpid());
  std::error_code ec;
  fs::remove_all(old, ec);
  fs::rename(path_, old, ec);
  if (ec) throw ConfigError("--out " + path_ + ": cannot replace the folder: " + ec.message());
  fs::rename(dir_, path_, ec);
  if (ec) {
    fs::rename(old, path_, ec);  // put the old run back
    throw ConfigError("--out " + path_ + ": cannot replace the folder (the new run is in " +
                      dir_ + ")");
  }
  replacing_ = false;
  dir_ = path_;
  fs::remove_all(old, ec);  // the previous run folder, checked to be one in the constructor
}

}  // namespace xb::sim
