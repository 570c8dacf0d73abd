// SPDX-License-Identifier: MIT
#include "sim/cli_commands.h"

#include <nlohmann/json.hpp>
#include <spawn.h>
#include <sys/wait.h>

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "hw_models/core/parallel.h"
#include "hw_models/core/params.h"
#include "hw_models/timing/instrument.h"
#include "sim/interrupt.h"
#include "sim/memory_estimate.h"
#include "sim/version.h"

namespace fs = std::filesystem;

extern char** environ;

namespace xb::sim {

namespace {

// Keys at the top of every config.
struct TopLevelParams {
  int64_t seed = 1;
  bool plot = false;
  std::string version = kVersion;
  template <class F>
  void bind(F&& f) {
    f("seed", seed, "", "master seed: fabrication, cycle, data and estimator streams derive from it");
    f("plot", plot, "", "write the run's PNG figures when it ends");
    f("version", version, "", "program version that wrote the config (informational)");
  }
  void validate(const Scope& s) const {
    s.require_ge<int64_t>("seed", seed, 0);
  }
};

double parse_max_memory(const std::string& text) {
  if (text.empty()) return 0;
  double bytes = 0;
  if (!parse_si_number(text, "B", bytes) || !std::isfinite(bytes) || bytes < 1)
    throw ConfigError("--max-memory " + text + ": must be a size in bytes, e.g. 512M or 4G");
  return bytes;
}

std::string default_out(const std::string& config) {
  const std::string stem = fs::path(config).stem().string();
  std::string path = "runs/" + stem;
  for (int i = 2; fs::exists(path); ++i) path = "runs/" + stem + "-" + std::to_string(i);
  return path;
}

}  // namespace

PreparedRun prepare_run(const RunArgs& args) {
  return prepare_run(Config::from_file(args.config), args);
}

PreparedRun prepare_run(Config cfg, const RunArgs& args) {
  PreparedRun run;
  run.cfg = std::move(cfg);
  for (const auto& s : args.sets) run.cfg.apply_override(s);
  if (!args.seed.empty()) run.cfg.apply_override("seed=" + args.seed);
  const auto top = read_params<TopLevelParams>(Scope(run.cfg, ""));
  run.cfg.set_effective("version", YAML::Node(std::string(kVersion)));
  run.cfg.expand_preset("device", preset_dir(), preset_names(), {"cell"});
  run.cfg.expand_preset("scheme", scheme_preset_dir(), scheme_preset_names());
  run.options.seed = static_cast<uint64_t>(top.seed);
  run.options.threads = args.threads;
  set_threads(args.threads);  // row-parallel tile kernels (hw_models/core/parallel.h)
  run.options.mode = args.mode;
  run.options.trace = args.trace;
  run.options.quiet = args.quiet;
  run.options.resume = args.resume;
  run.plot = top.plot;
  run.experiment = experiment_registry().create(Scope(run.cfg, "experiment"));
  run.experiment->prepare(run.cfg, run.options);
  MemoryEstimate memory;
  run.experiment->estimate_memory(memory);
  memory.check(memory_limit(parse_max_memory(args.max_memory)), run.cfg.source_of(""));
  run.memory_estimate = memory.total();
  // `timing:`, `energy:` and `trace:` are read in every mode (a config means the same in both).
  run.instrument = timing::Instrument::create(run.cfg, run.options.mode, run.options.trace);
  run.cfg.check_all_used();
  return run;
}

int execute_run(PreparedRun& run, const std::string& out_dir, bool force) {
  RunFolder out(out_dir, force);
  // The mode and the trace are command-line choices, not config keys: the file says how the
  // run was made, so that the same command reproduces it.
  const std::string how = "# xbarsim " + std::string(kVersion) + ", --mode " + run.options.mode +
                          (run.options.trace ? " --trace (trace.vcd)" : "") +
                          ": the effective config of this run, defaults filled in\n";
  write_file_atomic(out.file("config.yaml"), how + run.cfg.effective_yaml());
  out.save_progress();  // summary.json says "running" until the run ends
  const auto t0 = std::chrono::steady_clock::now();
  int code = 0;
  std::string status = "ok";
  try {
    throw_if_interrupted();
    if (run.instrument)
      run.instrument->execute([&] { run.experiment->run(out); }, out.path());
    else
      run.experiment->run(out);
  } catch (const NumericalError& e) {
    std::cerr << "numerical failure: " << e.what() << "\n";
    status = "diverged";
    out.summary()["error"] = e.what();
    code = 3;
  } catch (const Interrupted& e) {
    std::cerr << e.what() << ": " << out_dir << " keeps what was recorded\n";
    status = "interrupted";
    out.summary()["interrupted_by"] = signal_name(e.signal());
    code = e.exit_code();
  } catch (const ConfigError& e) {
    // Bad input found while running (a data file, a write): the folder says so instead of
    // "running"; a replacing run (--force) is dropped and the old folder stays.
    out.summary()["status"] = "failed";
    out.summary()["error"] = e.what();
    try {
      out.flush();
    } catch (const ConfigError&) {  // the disk refused; the first error is the one to report
    }
    throw;
  }
  const double wall =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (run.instrument) run.instrument->write_summary(out.summary());
  out.summary()["status"] = status;
  out.summary()["mode"] = run.options.mode;
  out.summary()["trace"] = run.options.trace;
  out.summary()["seed"] = run.options.seed;
  out.summary()["version"] = kVersion;
  out.summary()["build"] = build_description();
  out.summary()["wall_seconds"] = wall;
  // Below 1e18 unless the memory limit was unknown (no /proc/meminfo) and a size overflowed.
  if (run.memory_estimate < 1e18)
    out.summary()["memory_estimate_bytes"] = uint64_t(std::round(run.memory_estimate));
  out.flush();
  out.commit();
  if (!run.options.quiet) {
    std::cout << "run folder: " << out.path() << "\n" << out.summary().dump(2) << "\n";
  }
  if (code == 0 && run.plot) command_plot(out.path());
  return code;
}

int command_run(const RunArgs& args) {
  if (args.resume.empty()) {
    if (args.config.empty()) throw ConfigError("run: give a config file, or --resume DIR");
    PreparedRun run = prepare_run(args);
    return execute_run(run, args.out.empty() ? default_out(args.config) : args.out, args.force);
  }
  // --resume DIR: the run's own effective config, continued in place from its checkpoint. The
  // folder is rewritten as with --force: it is replaced only when the resumed run ends.
  const std::string dir = args.resume;
  if (!args.config.empty() || !args.sets.empty() || !args.seed.empty() || !args.out.empty())
    throw ConfigError("run --resume " + dir +
                      ": continues the run with its own config; a config file, --set, --seed "
                      "and --out are not accepted with it");
  if (!fs::exists(dir + "/checkpoint.npz"))
    throw ConfigError("run --resume " + dir + ": no checkpoint.npz there (a run writes one every "
                      "experiment.checkpoint_every steps and when it is interrupted)");
  std::ifstream summary(dir + "/summary.json");
  if (summary) {
    const auto s = nlohmann::json::parse(summary, nullptr, false);
    if (s.is_object() && s.value("status", "") == "ok")
      throw ConfigError("run --resume " + dir + ": the run has already finished");
  }
  RunArgs a = args;
  a.config = dir + "/config.yaml";
  PreparedRun run = prepare_run(a);
  if (!run.experiment->resumable())
    throw ConfigError("run --resume " + dir + ": this experiment type cannot be resumed (train can)");
  return execute_run(run, dir, true);
}

int command_validate(const RunArgs& args) {
  PreparedRun run = prepare_run(args);
  std::cout << run.cfg.effective_yaml();
  return 0;
}

namespace {

// Runs `python3 SCRIPT DIR` (Debian's interpreter first: the one python3-matplotlib installs
// into) without a shell, so that a folder name with quotes or spaces reaches it intact.
void run_script(const std::string& command, const std::string& script, const std::string& dir,
                const std::string& needs) {
  if (!fs::is_directory(dir)) throw ConfigError(command + " " + dir + ": not a folder");
  const std::string python = fs::exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3";
  std::vector<char*> argv = {const_cast<char*>(python.c_str()), const_cast<char*>(script.c_str()),
                             const_cast<char*>(dir.c_str()), nullptr};
  pid_t pid = 0;
  int status = 0;
  const bool ok = posix_spawnp(&pid, python.c_str(), nullptr, nullptr, argv.data(), environ) == 0 &&
                  waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
                  WEXITSTATUS(status) == 0;
  if (!ok)
    throw ConfigError(command + " " + dir + ": the " + command +
                      " script failed (its message is above; " + needs + ")");
}

}  // namespace

int command_plot(const std::string& dir) {
  const char* script_env = std::getenv("XBARSIM_PLOT_SCRIPT");
  run_script("plot", script_env ? script_env : data_path("sim/plot.py"), dir,
             "figures need python3-matplotlib");
  return 0;
}

int command_report(const std::string& dir) {
  run_script("report", data_path("sim/report.py"), dir,
             "the report needs a sweep or run folder; its figures need python3-matplotlib");
  return 0;
}

std::string data_path(const std::string& source_relative) {
  const std::string in_source = XB_SOURCE_DIR "/" + source_relative;
  if (fs::exists(in_source)) return in_source;
  return XB_DATA_DIR "/" + source_relative.substr(source_relative.find('/') + 1);
}

std::string preset_dir() {
  const char* env = std::getenv("XBARSIM_PRESETS");
  return env ? env : data_path("sim/presets/devices");
}

namespace {

std::vector<std::string> yaml_stems(const std::string& dir) {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec))
    if (e.path().extension() == ".yaml") names.push_back(e.path().stem().string());
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace

std::vector<std::string> preset_names() { return yaml_stems(preset_dir()); }

std::string scheme_preset_dir() { return data_path("sim/presets/schemes"); }

std::vector<std::string> scheme_preset_names() { return yaml_stems(scheme_preset_dir()); }

}  // namespace xb::sim
