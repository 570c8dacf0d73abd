// SPDX-License-Identifier: MIT
#include "sim/sweep/sweep_tables.h"

#include <boost/math/distributions/students_t.hpp>

#include <cmath>
#include <map>

#include "sim/run_folder.h"

namespace xb::sim {

namespace {

using Json = nlohmann::ordered_json;

bool is_scalar(const Json& v) { return !v.is_object() && !v.is_array(); }
bool is_number(const Json& v) { return v.is_number(); }

// Keys of results.csv besides the axes and the seed: every scalar summary key, in order of
// first appearance. `seed` has its own column; wall_seconds differs between runs of the
// same config, so it would make the table irreproducible.
std::vector<std::string> summary_columns(const std::vector<SweepRow>& rows) {
  std::vector<std::string> cols;
  std::map<std::string, bool> seen;
  for (const auto& r : rows)
    for (auto it = r.summary.begin(); it != r.summary.end(); ++it) {
      const std::string& k = it.key();
      if (k == "seed" || k == "wall_seconds" || !is_scalar(it.value()) || seen[k]) continue;
      seen[k] = true;
      cols.push_back(k);
    }
  return cols;
}

std::string cell(const Json& v) {
  if (v.is_null()) return "";  // nlohmann writes NaN as null
  if (v.is_boolean()) return v.get<bool>() ? "true" : "false";
  if (v.is_number_integer()) return std::to_string(v.get<int64_t>());
  if (v.is_number_unsigned()) return std::to_string(v.get<uint64_t>());
  if (v.is_number_float()) return format_number(v.get<double>());
  if (v.is_string()) return csv_cell(v.get<std::string>());
  return "";
}

std::string join(const std::vector<std::string>& cells) {
  std::string s;
  for (std::size_t i = 0; i < cells.size(); ++i) s += (i ? "," : "") + cells[i];
  return s + "\n";
}

}  // namespace

std::string csv_cell(const std::string& text) {
  if (text.find_first_of(",\"\n\r") == std::string::npos) return text;
  std::string s = "\"";
  for (char c : text) s += c == '"' ? std::string("\"\"") : std::string(1, c);
  return s + "\"";
}

double student_t95(int dof) {
  if (dof < 1) return std::nan("");
  return boost::math::quantile(boost::math::students_t_distribution<double>(dof), 0.975);
}

std::string results_csv(const std::vector<std::string>& axis_keys,
                        const std::vector<SweepRow>& rows) {
  const std::vector<std::string> cols = summary_columns(rows);
  std::vector<std::string> header;
  for (const auto& k : axis_keys) header.push_back(csv_cell(k));
  header.push_back("seed");
  for (const auto& c : cols) header.push_back(csv_cell(c));
  std::string out = join(header);
  for (const auto& r : rows) {
    std::vector<std::string> cells;
    for (const auto& v : r.axis_values) cells.push_back(csv_cell(v));
    cells.push_back(std::to_string(r.seed));
    for (const auto& c : cols) {
      const auto it = r.summary.find(c);
      cells.push_back(it == r.summary.end() || !is_scalar(*it) ? "" : cell(*it));
    }
    out += join(cells);
  }
  return out;
}

std::string results_mean_csv(const std::vector<std::string>& axis_keys,
                             const std::vector<SweepRow>& rows) {
  // Numeric columns: every present value is a number (booleans and strings excluded).
  std::vector<std::string> numeric;
  for (const auto& c : summary_columns(rows)) {
    bool any = false, all = true;
    for (const auto& r : rows) {
      const auto it = r.summary.find(c);
      if (it == r.summary.end() || it->is_null()) continue;
      any = true;
      all = all && is_number(*it) && !it->is_boolean();
    }
    if (any && all) numeric.push_back(c);
  }
  std::vector<std::string> header;
  for (const auto& k : axis_keys) header.push_back(csv_cell(k));
  header.push_back("n_seeds");
  header.push_back("n_ok");
  for (const auto& c : numeric) {
    header.push_back(csv_cell(c + "_mean"));
    header.push_back(csv_cell(c + "_ci95"));
  }
  std::string out = join(header);
  for (std::size_t begin = 0; begin < rows.size();) {
    std::size_t end = begin;
    while (end < rows.size() && rows[end].point == rows[begin].point) ++end;
    std::vector<std::string> cells;
    for (const auto& v : rows[begin].axis_values) cells.push_back(csv_cell(v));
    int n_ok = 0;
    for (std::size_t i = begin; i < end; ++i) {
      const auto it = rows[i].summary.find("status");
      n_ok += it != rows[i].summary.end() && it->is_string() && it->get<std::string>() == "ok";
    }
    cells.push_back(std::to_string(end - begin));
    cells.push_back(std::to_string(n_ok));
    for (const auto& c : numeric) {
      // Summed in seed order, so the figures do not depend on the execution order.
      std::vector<double> x;
      for (std::size_t i = begin; i < end; ++i) {
        const auto it = rows[i].summary.find(c);
        if (it != rows[i].summary.end() && it->is_number()) x.push_back(it->get<double>());
      }
      const double n = static_cast<double>(x.size());
      double mean = std::nan(""), half = std::nan("");
      if (!x.empty()) {
        double sum = 0;
        for (double v : x) sum += v;
        mean = sum / n;
      }
      if (x.size() >= 2) {
        double ss = 0;
        for (double v : x) ss += (v - mean) * (v - mean);
        // Half-width of the 95% interval of the mean: t_{0.975, n-1} s / sqrt(n).
        half = student_t95(static_cast<int>(x.size()) - 1) * std::sqrt(ss / (n - 1)) / std::sqrt(n);
      }
      cells.push_back(format_number(mean));
      cells.push_back(format_number(half));
    }
    out += join(cells);
    begin = end;
  }
  return out;
}

}  // namespace xb::sim
