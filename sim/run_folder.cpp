// SPDX-License-Identifier: MIT
#include "sim/run_folder.h"

#include <unistd.h>

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
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) throw ConfigError(path + ": cannot write: " + std::strerror(errno));
    out << content;
    out.flush();
    if (!out) throw ConfigError(path + ": write failed: " + std::strerror(errno));
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
}

void MetricsTable::add_row(const std::vector<double>& values) {
  std::vector<std::string> cells;
  cells.reserve(values.size());
  for (double v : values) cells.push_back(format_number(v));
  add_row(std::move(cells));
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

RunFolder::RunFolder(std::string path, bool force) : path_(std::move(path)) {
  std::error_code ec;
  if (fs::exists(path_, ec)) {
    if (!fs::is_directory(path_, ec))
      throw ConfigError("--out " + path_ + ": exists and is not a folder");
    if (!force)
      throw ConfigError("--out " + path_ +
                        ": the run folder exists; choose another or pass --force to overwrite");
  }
  fs::create_directories(path_, ec);
  if (ec) throw ConfigError("--out " + path_ + ": cannot create the folder: " + ec.message());
}

void RunFolder::flush() const {
  if (!metrics_.columns().empty()) write_file_atomic(file("metrics.csv"), metrics_.to_csv());
  write_file_atomic(file("summary.json"), summary_.dump(2) + "\n");
}

}  // namespace xb::sim
