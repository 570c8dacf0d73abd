// SPDX-License-Identifier: MIT
#include "sim/sweep/sweep.h"

#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>

#include "hw_models/core/config.h"
#include "hw_models/core/errors.h"
#include "sim/cli_commands.h"
#include "sim/interrupt.h"
#include "sim/run_folder.h"
#include "sim/sweep/sweep_mpi.h"
#include "sim/sweep/sweep_tables.h"

namespace fs = std::filesystem;

namespace xb::sim {

namespace {

const std::vector<std::string> kSweepKeys = {"base", "axes", "zip", "seeds"};

std::string flow_yaml(const YAML::Node& n) {
  YAML::Emitter e;
  e.SetMapFormat(YAML::Flow);
  e.SetSeqFormat(YAML::Flow);
  e << n;
  return e.c_str();
}

std::string read_text(const std::string& path, const std::string& what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ConfigError(path + ": cannot open the " + what);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

[[noreturn]] void fail(const std::string& file, const std::string& key, const std::string& value,
                       const std::string& rule) {
  throw ConfigError(config_message(file, key, value, rule));
}

}  // namespace

std::vector<std::string> SweepSpec::overrides(std::size_t point) const {
  std::vector<std::string> out;
  for (std::size_t a = 0; a < axis_keys.size(); ++a)
    out.push_back(axis_keys[a] + "=" + points.at(point)[a]);
  return out;
}

std::string SweepSpec::folder(std::size_t point, std::size_t seed_index) const {
  const std::size_t width = std::to_string(points.empty() ? 0 : points.size() - 1).size();
  std::string p = std::to_string(point);
  p.insert(0, width - std::min(width, p.size()), '0');
  return "runs/p" + p + "_s" + std::to_string(seeds.at(seed_index));
}

SweepSpec parse_sweep(const std::string& text, const std::string& source,
                      const std::string& base_dir) {
  SweepSpec s;
  s.file = source;
  s.sweep_text = text;
  YAML::Node root;
  try {
    root = load_one_document(text, source);
  } catch (const YAML::Exception& e) {
    throw ConfigError(source + ": malformed YAML at line " + std::to_string(e.mark.line + 1) +
                      ": " + e.msg);
  }
  check_yaml_tree(root, source);  // scalar keys only, bounded size (before flow_yaml below)
  if (!root.IsMap()) fail(source, "<document>", flow_yaml(root), "a sweep file is a mapping with keys base, axes, zip, seeds");
  for (auto it = root.begin(); it != root.end(); ++it) {
    const std::string k = it->first.as<std::string>();
    if (std::find(kSweepKeys.begin(), kSweepKeys.end(), k) != kSweepKeys.end()) continue;
    fail(source, k, flow_yaml(it->second),
         "unknown key; a sweep file has base, axes, zip, seeds" + did_you_mean(k, kSweepKeys));
  }

  // base: a run config, relative to the sweep file's folder.
  const YAML::Node base = root["base"];
  if (!base || base.IsNull()) fail(source, "base", "<missing>", "must name the base run config");
  if (!base.IsScalar()) fail(source, "base", flow_yaml(base), "must be a file path");
  const fs::path bp(base.as<std::string>());
  s.base = (bp.is_absolute() || base_dir.empty()) ? bp.string() : (fs::path(base_dir) / bp).string();

  // axes: dotted key -> non-empty list of values.
  const YAML::Node axes = root["axes"];
  if (axes && !axes.IsNull()) {
    if (!axes.IsMap()) fail(source, "axes", flow_yaml(axes), "must map dotted keys to lists of values");
    for (auto it = axes.begin(); it != axes.end(); ++it) {
      const std::string k = it->first.as<std::string>();
      const std::string key = "axes." + k;
      check_key_depth(k, flow_yaml(it->second), source);
      bool empty_part = k.empty();
      for (const auto& part : split_key(k)) empty_part = empty_part || part.empty();
      if (empty_part) fail(source, key, flow_yaml(it->second), "the axis must be a dotted key like rule.sigma");
      if (k == "seed") fail(source, key, flow_yaml(it->second), "seeds are listed under `seeds`, not as an axis");
      if (std::find(s.axis_keys.begin(), s.axis_keys.end(), k) != s.axis_keys.end())
        fail(source, key, flow_yaml(it->second), "the axis is listed twice");
      for (const auto& other : s.axis_keys)
        if (k.rfind(other + ".", 0) == 0 || other.rfind(k + ".", 0) == 0)
          fail(source, key, flow_yaml(it->second), "overlaps axis " + other + " (one is inside the other)");
      if (!it->second.IsSequence() || it->second.size() == 0)
        fail(source, key, flow_yaml(it->second), "must be a non-empty list of values");
      std::vector<std::string> values;
      // A copy: `it->second` lives in a temporary proxy that a range-for would outlive
      // (ASan stack-use-after-scope, found by fuzz_sweep).
      const YAML::Node list = it->second;
      for (const auto& v : list) values.push_back(flow_yaml(v));
      s.axis_keys.push_back(k);
      s.axis_values.push_back(values);
    }
  }

  // zip: groups of axes that advance together.
  const YAML::Node zip = root["zip"];
  std::map<std::string, std::size_t> group_of;  // axis -> zip group
  if (zip && !zip.IsNull()) {
    if (!zip.IsSequence()) fail(source, "zip", flow_yaml(zip), "must be a list of lists of axis names");
    for (std::size_t g = 0; g < zip.size(); ++g) {
      const std::string key = "zip[" + std::to_string(g) + "]";
      const YAML::Node grp = zip[g];
      if (!grp.IsSequence() || grp.size() == 0)
        fail(source, key, flow_yaml(grp), "must be a non-empty list of axis names");
      std::vector<std::string> names;
      for (const auto& n : grp) {
        if (!n.IsScalar()) fail(source, key, flow_yaml(grp), "must list axis names");
        const std::string name = n.as<std::string>();
        const auto ax = std::find(s.axis_keys.begin(), s.axis_keys.end(), name);
        if (ax == s.axis_keys.end())
          fail(source, key, name,
               "not an axis" + did_you_mean(name, s.axis_keys, " listed under axes"));
        if (group_of.count(name)) fail(source, key, name, "the axis is already in another zip group");
        const std::size_t len = s.axis_values[ax - s.axis_keys.begin()].size();
        if (!names.empty()) {
          const auto first = std::find(s.axis_keys.begin(), s.axis_keys.end(), names.front());
          const std::size_t len0 = s.axis_values[first - s.axis_keys.begin()].size();
          if (len != len0)
            fail(source, key, name,
                 "zipped axes need equal lengths: " + std::to_string(len) + " values against " +
                     std::to_string(len0) + " of " + names.front());
        }
        group_of[name] = g;
        names.push_back(name);
      }
      s.zip.push_back(names);
    }
  }

  // seeds: non-empty list of distinct non-negative integers (default [1]).
  const YAML::Node seeds = root["seeds"];
  if (!seeds || seeds.IsNull()) {
    s.seeds = {1};
  } else {
    if (!seeds.IsSequence() || seeds.size() == 0)
      fail(source, "seeds", flow_yaml(seeds), "must be a non-empty list of integers >= 0");
    for (const auto& v : seeds) {
      int64_t x = -1;
      try {
        x = v.as<int64_t>();
      } catch (const YAML::Exception&) {
        fail(source, "seeds", flow_yaml(v), "must be an integer >= 0");
      }
      if (x < 0) fail(source, "seeds", flow_yaml(v), "must be an integer >= 0");
      if (std::find(s.seeds.begin(), s.seeds.end(), x) != s.seeds.end())
        fail(source, "seeds", flow_yaml(v), "seeds must be distinct");
      s.seeds.push_back(x);
    }
  }

  // Units of the grid: each single axis, or a zip group at the place of its first axis.
  std::vector<std::vector<std::size_t>> units;  // axis indices advancing together
  std::set<std::size_t> placed_groups;
  for (std::size_t a = 0; a < s.axis_keys.size(); ++a) {
    const auto g = group_of.find(s.axis_keys[a]);
    if (g == group_of.end()) {
      units.push_back({a});
    } else if (placed_groups.insert(g->second).second) {
      std::vector<std::size_t> u;
      for (std::size_t b = 0; b < s.axis_keys.size(); ++b) {
        const auto gb = group_of.find(s.axis_keys[b]);
        if (gb != group_of.end() && gb->second == g->second) u.push_back(b);
      }
      units.push_back(u);
    }
  }
  std::size_t n_points = 1;
  for (const auto& u : units) {
    n_points *= s.axis_values[u.front()].size();
    if (n_points > 1000000) fail(source, "axes", "<grid>", "the grid must have at most 1e6 points");
  }
  for (std::size_t p = 0; p < n_points; ++p) {
    std::vector<std::string> values(s.axis_keys.size());
    std::size_t rest = p;
    for (std::size_t ui = units.size(); ui-- > 0;) {  // the last unit varies fastest
      const std::size_t len = s.axis_values[units[ui].front()].size();
      const std::size_t i = rest % len;
      rest /= len;
      for (std::size_t a : units[ui]) values[a] = s.axis_values[a][i];
    }
    s.points.push_back(values);
  }
  return s;
}

SweepSpec read_sweep(const std::string& path) {
  const std::string text = read_text(path, "sweep file");
  SweepSpec s = parse_sweep(text, path, fs::path(path).parent_path().string());
  if (!fs::is_regular_file(s.base)) fail(path, "base", s.base, "the base config does not exist");
  s.base_text = read_text(s.base, "base config");
  return s;
}

namespace {

using Json = nlohmann::ordered_json;

// A task's run folder is complete only when its summary.json (written atomically, last)
// carries a final status; anything else is a point interrupted mid-run.
bool read_done(const std::string& folder, Json* summary) {
  const std::string path = folder + "/summary.json";
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) return false;
  Json j;
  try {
    std::ifstream in(path);
    j = Json::parse(in);
  } catch (const std::exception&) {
    return false;
  }
  const auto st = j.find("status");
  if (st == j.end() || !st->is_string()) return false;
  const std::string status = st->get<std::string>();
  if (status != "ok" && status != "diverged") return false;
  if (summary) *summary = std::move(j);
  return true;
}

RunArgs point_args(const SweepSpec& spec, std::size_t point, std::size_t seed_index) {
  RunArgs a;
  a.config = spec.base;
  a.sets = spec.overrides(point);
  a.seed = std::to_string(spec.seeds.at(seed_index));
  a.quiet = true;
  a.threads = 1;
  return a;
}

// Every point's config is built and validated before any point runs, so a bad axis value
// fails at once. The seed does not take part in validation beyond `seed >= 0`, so one seed
// per point suffices.
void validate_points(const SweepSpec& spec) {
  for (std::size_t p = 0; p < spec.points.size(); ++p) {
    try {
      PreparedRun run = prepare_run(point_args(spec, p, 0));
    } catch (const ConfigError& e) {
      std::string where;
      for (std::size_t a = 0; a < spec.axis_keys.size(); ++a)
        where += (a ? ", " : "") + spec.axis_keys[a] + "=" + spec.points[p][a];
      throw ConfigError(spec.file + ": point " + std::to_string(p) +
                        (where.empty() ? "" : " (" + where + ")") + " of base " + spec.base +
                        ": " + e.what());
    }
  }
}

std::string format_duration(double s) {
  const long t = static_cast<long>(s + 0.5);
  char buf[32];
  if (t >= 3600)
    std::snprintf(buf, sizeof buf, "%ld:%02ld:%02ld", t / 3600, (t / 60) % 60, t % 60);
  else
    std::snprintf(buf, sizeof buf, "%02ld:%02ld", t / 60, t % 60);
  return buf;
}

// A one-line progress bar on stderr with the time left, estimated from the mean duration of
// the runs finished in this session.
class Progress {
 public:
  Progress(std::size_t total, std::size_t already, bool show)
      : total_(total), done_(already), already_(already), show_(show),
        t0_(std::chrono::steady_clock::now()) {
    draw();
  }
  void tick() {
    std::lock_guard<std::mutex> lock(mu_);
    ++done_;
    draw();
  }
  void finish() {
    if (show_) std::cerr << "\n";
  }

 private:
  void draw() const {
    if (!show_) return;
    const double el = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0_).count();
    const std::size_t here = done_ - already_;
    const int width = 30;
    const int fill = total_ ? static_cast<int>(width * done_ / total_) : width;
    std::string bar(fill, '#');
    bar += std::string(width - fill, '.');
    std::string eta = "--:--";
    if (here > 0) eta = format_duration(el / here * (total_ - done_));
    std::cerr << "\r[" << bar << "] " << done_ << "/" << total_ << " runs, elapsed "
              << format_duration(el) << ", left " << eta << "   " << std::flush;
  }
  std::mutex mu_;
  std::size_t total_, done_, already_;
  bool show_;
  std::chrono::steady_clock::time_point t0_;
};

// Removes what a sweep writes into DIR (for --force); leaves anything else the user put there.
void clear_sweep_outputs(const fs::path& dir) {
  for (const char* name : {"runs", "results.csv", "results_mean.csv", "sweep.yaml", "base.yaml"})
    fs::remove_all(dir / name);
}

// Rank 0: checks or prepares DIR. Returns normally or throws ConfigError.
// Prepares DIR and returns its lock, held for the whole sweep.
std::unique_ptr<FolderLock> prepare_dir(const SweepSpec& spec, const SweepArgs& args,
                                        const fs::path& dir) {
  std::error_code ec;
  std::unique_ptr<FolderLock> lock;
  if (fs::exists(dir, ec)) {
    if (!fs::is_directory(dir, ec)) throw ConfigError("--out " + dir.string() + ": exists and is not a folder");
    lock = std::make_unique<FolderLock>(dir.string());
    if (args.force) {
      if (!fs::is_empty(dir, ec) && !fs::is_regular_file(dir / "sweep.yaml"))
        throw ConfigError("--out " + dir.string() +
                          ": --force starts over in sweep folders only, and this folder has no "
                          "sweep.yaml; choose another folder");
      clear_sweep_outputs(dir);
    } else if (args.resume) {
      const bool empty = fs::is_empty(dir, ec);
      if (!empty) {
        if (!fs::is_regular_file(dir / "sweep.yaml"))
          throw ConfigError("--out " + dir.string() +
                            ": not a sweep folder (no sweep.yaml); cannot --resume into it");
        if (read_text((dir / "sweep.yaml").string(), "sweep file") != spec.sweep_text)
          throw ConfigError("--resume " + dir.string() + ": the folder was written by a different sweep file than " +
                            spec.file + "; use another --out or --force");
        if (fs::is_regular_file(dir / "base.yaml") &&
            read_text((dir / "base.yaml").string(), "base config") != spec.base_text)
          throw ConfigError("--resume " + dir.string() + ": the base config " + spec.base +
                            " changed since the sweep started; use another --out or --force");
      }
      // Leftover temporary files of an interrupted table write.
      for (const auto& e : fs::directory_iterator(dir, ec))
        if (e.path().filename().string().find(".tmp.") != std::string::npos) fs::remove(e.path(), ec);
    } else {
      throw ConfigError("--out " + dir.string() +
                        ": the sweep folder exists; pass --resume to continue it, --force to start "
                        "over, or choose another folder");
    }
  }
  fs::create_directories(dir / "runs", ec);
  if (ec) throw ConfigError("--out " + dir.string() + ": cannot create the folder: " + ec.message());
  if (!lock) lock = std::make_unique<FolderLock>(dir.string());
  write_file_atomic((dir / "sweep.yaml").string(), spec.sweep_text);
  write_file_atomic((dir / "base.yaml").string(), spec.base_text);
  return lock;
}

// Runs `todo` (task indices) on `jobs` threads. Returns 0, or the exit code of the first
// failure that is not a numerical one (2 bad input, 1 a bug), after the running points end.
int run_tasks(const SweepSpec& spec, const fs::path& dir, const std::vector<std::size_t>& todo,
              int jobs, Progress& progress, std::size_t& diverged) {
  std::atomic<std::size_t> next{0};
  std::atomic<bool> stop{false};
  std::atomic<std::size_t> n_diverged{0};
  std::mutex err_mu;
  int err_code = 0;
  std::string err_msg;
  auto worker = [&] {
    while (!stop && !interrupt_signal()) {
      const std::size_t i = next++;
      if (i >= todo.size()) return;
      const std::size_t task = todo[i];
      const std::size_t point = task / spec.seeds.size(), si = task % spec.seeds.size();
      const fs::path folder = dir / spec.folder(point, si);
      try {
        std::error_code ec;
        fs::remove_all(folder, ec);  // an interrupted attempt: never read, always redone
        PreparedRun run = prepare_run(point_args(spec, point, si));
        run.plot = false;  // figures of a sweep come from `xbarsim plot DIR`
        const int code = execute_run(run, folder.string(), false);
        if (code > 128) {  // a signal stopped it: the folder says "interrupted", resume redoes it
          stop = true;
          continue;
        }
        if (code == 3) ++n_diverged;
        progress.tick();
      } catch (const std::exception& e) {
        std::lock_guard<std::mutex> lock(err_mu);
        if (err_code == 0) {
          err_code = dynamic_cast<const ConfigError*>(&e) ? 2 : 1;
          err_msg = folder.string() + ": " + e.what();
        }
        stop = true;
      }
    }
  };
  const int n = std::max(1, std::min<int>(jobs, static_cast<int>(todo.size())));
  std::vector<std::thread> threads;
  for (int t = 1; t < n; ++t) threads.emplace_back(worker);
  worker();
  for (auto& t : threads) t.join();
  diverged = n_diverged;
  if (err_code == 0 && interrupt_signal()) {
    progress.finish();
    std::cerr << "sweep interrupted by " << signal_name(interrupt_signal()) << ": " << dir.string()
              << " keeps the finished runs; continue with --resume\n";
    return 128 + interrupt_signal();
  }
  if (err_code) {
    progress.finish();
    std::cerr << (err_code == 2 ? "error: " : "internal error (a bug, please report): ") << err_msg
              << "\n";
  }
  return err_code;
}

void write_tables(const SweepSpec& spec, const fs::path& dir) {
  std::vector<SweepRow> rows;
  for (std::size_t p = 0; p < spec.points.size(); ++p)
    for (std::size_t si = 0; si < spec.seeds.size(); ++si) {
      SweepRow r;
      r.point = p;
      r.axis_values = spec.points[p];
      r.seed = spec.seeds[si];
      const std::string folder = (dir / spec.folder(p, si)).string();
      if (!read_done(folder, &r.summary))
        throw std::runtime_error(folder + ": the run is not complete after the sweep ended");
      rows.push_back(std::move(r));
    }
  write_file_atomic((dir / "results.csv").string(), results_csv(spec.axis_keys, rows));
  write_file_atomic((dir / "results_mean.csv").string(), results_mean_csv(spec.axis_keys, rows));
}

}  // namespace

int command_sweep(const SweepArgs& args) {
  MpiSession mpi;
#ifndef XB_HAVE_MPI
  if (MpiSession::launched_with_ranks())
    throw ConfigError("sweep: started by mpirun with several ranks, but this xbarsim was built "
                      "without MPI; install libopenmpi-dev and rebuild, or run without mpirun");
#endif
  const bool root = mpi.rank() == 0;
  const fs::path dir =
      args.out.empty() ? fs::path("runs") / fs::path(args.sweep).stem() : fs::path(args.out);

  // Every rank reads the sweep file; rank 0 alone validates the points (each point's config
  // is built before anything runs) and prepares DIR, and the others wait for its verdict.
  SweepSpec spec;
  std::unique_ptr<FolderLock> lock;  // rank 0 holds DIR's lock until the sweep ends
  int code = 0;
  std::string msg;
  try {
    spec = read_sweep(args.sweep);
    if (args.dry_run) {
      validate_points(spec);
      if (root)
        std::cout << args.sweep << ": " << spec.points.size() << " points x " << spec.seeds.size()
                  << " seeds = " << spec.tasks() << " runs; every point's config is valid\n";
      return 0;
    }
    if (root) {
      validate_points(spec);
      lock = prepare_dir(spec, args, dir);
    }
  } catch (const ConfigError& e) {
    code = 2;
    msg = e.what();
  }
  // One process: the error is the caller's (the CLI prints it, the Python module raises it).
  if (mpi.size() == 1 && code) throw ConfigError(msg);
  const int root_code = mpi.broadcast(code);
  if (mpi.max_over_ranks(code)) {
    // Every rank reports before any exits: mpirun aborts the whole job as soon as one rank
    // exits non-zero, which could kill rank 0 before its message is out.
    if (root && code) std::cerr << "error: " << msg << std::endl;
    if (!root && code && !root_code)
      std::cerr << "error (rank " << mpi.rank() << "): " << msg << std::endl;
    mpi.barrier();
    return 2;
  }

  // Static round-robin over the tasks in (point, seed) order; finished ones are skipped.
  std::vector<std::size_t> todo;
  std::size_t mine = 0, already = 0;
  for (std::size_t t = 0; t < spec.tasks(); ++t) {
    if (static_cast<int>(t % mpi.size()) != mpi.rank()) continue;
    ++mine;
    const std::size_t point = t / spec.seeds.size(), si = t % spec.seeds.size();
    if (read_done((dir / spec.folder(point, si)).string(), nullptr))
      ++already;
    else
      todo.push_back(t);
  }
  const bool show = root && !args.quiet && ::isatty(2);
  Progress progress(mine, already, show);
  std::size_t diverged = 0;
  code = run_tasks(spec, dir, todo, args.jobs, progress, diverged);
  if (code == 0) progress.finish();
  code = mpi.max_over_ranks(code);
  const bool any_diverged = mpi.max_over_ranks(diverged > 0 ? 1 : 0) > 0;
  if (code) return code;
  mpi.barrier();
  if (root) {
    write_tables(spec, dir);
    if (!args.quiet) {
      std::cout << "sweep folder: " << dir.string() << " (" << spec.points.size() << " points x "
                << spec.seeds.size() << " seeds";
      if (mpi.size() > 1) std::cout << ", " << mpi.size() << " ranks";
      std::cout << ")\n  " << (dir / "results.csv").string() << "\n  "
                << (dir / "results_mean.csv").string() << "\n";
      if (any_diverged)
        std::cout << "  some runs diverged: see the status column of results.csv\n";
    }
  }
  return 0;
}

}  // namespace xb::sim
