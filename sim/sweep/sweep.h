// SPDX-License-Identifier: MIT
// Design-study sweeps (docs/sweeps.md): a base run config, axes of dotted keys with
// lists of values (crossed, or advanced together when grouped under `zip`) and a list of
// seeds. Every point x seed is an ordinary run (prepare_run/execute_run) into its own run
// folder under DIR/runs/; the tables DIR/results.csv and DIR/results_mean.csv are built from
// the run folders' summary.json files in a fixed order, so they do not depend on how the
// sweep was executed (threads, MPI ranks, interruptions and --resume).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace xb::sim {

struct SweepSpec {
  std::string file;         // the sweep file as given
  std::string base;         // the base config's path, resolved against the sweep file's folder
  std::string sweep_text;   // the sweep file's bytes (copied into DIR, compared on --resume)
  std::string base_text;    // the base config's bytes
  std::vector<std::string> axis_keys;                 // in file order
  std::vector<std::vector<std::string>> axis_values;  // per axis: each value as flow YAML
  std::vector<std::vector<std::string>> zip;          // groups of axis keys
  std::vector<int64_t> seeds;
  // The expanded grid: points[p][a] is the value (flow YAML) of axis a at point p. Units
  // (single axes, or zip groups placed where their first axis stands) nest in file order,
  // the last one varying fastest, like nested loops written in the file's order.
  std::vector<std::vector<std::string>> points;

  std::size_t tasks() const { return points.size() * seeds.size(); }
  // "KEY=VALUE" overrides of point p (without the seed).
  std::vector<std::string> overrides(std::size_t point) const;
  // Run folder of task (point, seed index), relative to DIR: runs/p<point>_s<seed>, the
  // point index zero-padded to the width of the largest one.
  std::string folder(std::size_t point, std::size_t seed_index) const;
};

// Parses and checks a sweep document (schema errors name the file, key, value and rule).
// `base_dir` is the folder the base path is relative to. Does not read the base config.
SweepSpec parse_sweep(const std::string& text, const std::string& source,
                      const std::string& base_dir);
// Reads the sweep file and its base config (both must exist).
SweepSpec read_sweep(const std::string& path);

struct SweepArgs {
  std::string sweep;
  std::string out;  // default: runs/<sweep file stem>
  bool resume = false;
  bool force = false;
  bool quiet = false;
  bool dry_run = false;  // validate every point's config and print the grid; run nothing
  int jobs = 1;
};

// The `sweep` command; returns the exit code. Under mpirun (built with MPI) the ranks share
// the grid and rank 0 writes the tables.
int command_sweep(const SweepArgs& args);

}  // namespace xb::sim
