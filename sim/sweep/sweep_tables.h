// SPDX-License-Identifier: MIT
// The two tables of a sweep folder, built from the run folders' summary.json files:
//   results.csv       one row per point and seed: axis values, seed, every scalar summary key
//                     (wall_seconds excluded: it is the only key that changes between runs)
//   results_mean.csv  one row per point: axis values, n_seeds, n_ok, and for every numeric
//                     summary column <key>_mean and <key>_ci95, the half-width of the 95%
//                     Student-t confidence interval of the mean over the seeds
// Columns follow the first appearance of each key in (point, seed) order, so the tables are
// a pure function of the run folders' contents.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace xb::sim {

struct SweepRow {
  std::size_t point = 0;
  std::vector<std::string> axis_values;  // flow YAML, as in SweepSpec::points
  int64_t seed = 0;
  nlohmann::ordered_json summary;
};

// One CSV cell: quoted (with doubled quotes) when it holds a comma, quote or line break.
std::string csv_cell(const std::string& text);

// `rows` in (point, seed) order.
std::string results_csv(const std::vector<std::string>& axis_keys,
                        const std::vector<SweepRow>& rows);
std::string results_mean_csv(const std::vector<std::string>& axis_keys,
                             const std::vector<SweepRow>& rows);

// Two-sided 95% quantile of Student's t with `dof` degrees of freedom (t_{0.975, dof}).
double student_t95(int dof);

}  // namespace xb::sim
