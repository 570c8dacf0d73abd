// SPDX-License-Identifier: MIT
// The xbarsim command line (docs/cli.md). Exit codes: 0 success, 2 bad input, 3 numerical
// failure (what was recorded stays on disk), 1 anything else.
#include <CLI/CLI.hpp>
#include <malloc.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <tuple>

#include "hw_models/core/errors.h"
#include "hw_models/sc/timed_mode.h"
#include "sim/bench/bench.h"
#include "sim/catalog.h"
#include "sim/cli_commands.h"
#include "sim/experiment.h"
#include "sim/fit/device_fit.h"
#include "sim/interrupt.h"
#include "sim/sweep/sweep.h"
#include "sim/version.h"

namespace {

int print_list(const std::string& what) {
  if (what == "presets") {
    for (const auto& p : xb::sim::preset_names()) std::cout << p << "\n";
    return 0;
  }
  if (what == "scheme_presets") {
    for (const auto& p : xb::sim::scheme_preset_names()) std::cout << p << "\n";
    return 0;
  }
  std::string known = "presets, scheme_presets";
  for (const auto& c : xb::sim::catalogs()) {
    if (c.kind == what) {
      for (const auto& n : c.names()) std::cout << std::left << std::setw(28) << n << c.summary(n) << "\n";
      return 0;
    }
    known += ", " + c.kind;
  }
  throw xb::ConfigError("list " + what + ": unknown catalogue; one of " + known);
}

int describe(const std::string& name) {
  bool found = false;
  for (const auto& c : xb::sim::catalogs()) {
    const auto names = c.names();
    if (std::find(names.begin(), names.end(), name) == names.end()) continue;
    found = true;
    std::cout << name << " (" << c.kind.substr(0, c.kind.size() - 1) << "): " << c.summary(name)
              << "\n\n";
    std::cout << std::left << std::setw(26) << "parameter" << std::setw(16) << "default"
              << std::setw(8) << "unit"
              << "description\n";
    for (const auto& r : c.describe(name))
      std::cout << std::left << std::setw(26) << r.name << std::setw(16) << r.default_value
                << std::setw(8) << r.unit << r.description
                << (r.rule.empty() ? "" : " [" + r.rule + "]")
                << (r.not_used.empty() ? "" : " [not used: " + r.not_used + "]") << "\n";
    std::cout << "\n";
  }
  for (const auto& [dir, names, kind] :
       {std::tuple{xb::sim::preset_dir(), xb::sim::preset_names(), "preset"},
        std::tuple{xb::sim::scheme_preset_dir(), xb::sim::scheme_preset_names(), "scheme preset"}}) {
    for (const auto& p : names) {
      if (p != name) continue;
      found = true;
      std::ifstream in(dir + "/" + p + ".yaml");
      std::cout << name << " (" << kind << "): " << dir << "/" << p << ".yaml\n\n"
                << in.rdbuf() << "\n";
    }
  }
  if (!found) {
    std::vector<std::string> all = xb::sim::preset_names();
    for (const auto& n : xb::sim::scheme_preset_names()) all.push_back(n);
    for (const auto& c : xb::sim::catalogs())
      for (const auto& n : c.names()) all.push_back(n);
    throw xb::ConfigError("describe " + name + ": no model, experiment or preset of that name" +
                          xb::did_you_mean(name, all));
  }
  return 0;
}

// Standard output is checked like any file: a full disk, a file-size limit or a closed pipe
// must not pass for success (SIGPIPE and SIGXFSZ are ignored, so the write reports them).
int finish_output(int code) {
  std::cout.flush();
  if (std::cout && std::fflush(stdout) == 0 && !std::ferror(stdout)) return code;
  std::cerr << "error: standard output: write failed (" << std::strerror(errno)
            << "); what was printed is incomplete\n";
  return code == 0 ? 2 : code;
}

}  // namespace

int main(int argc, char** argv) {
  // Reads and layer passes allocate their batch-sized temporaries (megabytes for a conv layer's
  // patch rows) on every call. Above glibc's mmap threshold each would be mapped fresh and
  // faulted in page by page, which costs more than the arithmetic; keep them on the heap and
  // reuse its pages instead (docs/performance.md).
  mallopt(M_MMAP_THRESHOLD, 1 << 30);
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
  xb::sc::enable_timed_mode();
  xb::sim::install_interrupt_handlers();
  CLI::App app{"xbarsim: memristive crossbar emulator and learning-rule simulator"};
  app.set_version_flag("--version", std::string("xbarsim ") + xb::sim::kVersion + " (" +
                                        xb::sim::build_description() + ")");
  app.require_subcommand(1);

  xb::sim::RunArgs run_args;
  auto* run = app.add_subcommand("run", "run one experiment config into a run folder");
  run->add_option("config", run_args.config, "config YAML file (not with --resume)");
  run->add_option("--out", run_args.out, "run folder (default: runs/<config name>[-N])");
  run->add_option("--set", run_args.sets, "override a dotted key: KEY=VALUE")->take_all();
  run->add_option("--seed", run_args.seed, "master seed (overrides the config's seed)");
  run->add_option("--mode", run_args.mode, "functional | timed")
      ->check(CLI::IsMember({"functional", "timed"}));
  run->add_flag("--trace", run_args.trace, "write trace.vcd (timed mode)");
  run->add_option("--threads", run_args.threads, "worker threads (results do not depend on it)")
      ->check(CLI::Range(1, 1024));
  run->add_flag("--quiet", run_args.quiet, "no progress output");
  run->add_flag("--force", run_args.force, "overwrite an existing run folder");
  run->add_option("--resume", run_args.resume,
                  "continue the interrupted run in this folder from its checkpoint.npz");
  run->add_option("--max-memory", run_args.max_memory,
                  "refuse a run estimated to need more memory (e.g. 4G; default: available)");

  xb::sim::RunArgs val_args;
  auto* validate = app.add_subcommand("validate", "check a config and print the effective config");
  validate->add_option("config", val_args.config, "config YAML file")->required();
  validate->add_option("--set", val_args.sets, "override a dotted key: KEY=VALUE")->take_all();
  validate->add_option("--max-memory", val_args.max_memory,
                       "refuse a config estimated to need more memory (default: available)");

  std::string list_what;
  auto* list = app.add_subcommand("list", "list registered models");
  list->add_option("what", list_what, "devices|rules|schemes|tasks|experiments|presets|scheme_presets|sections")
      ->required();

  std::string describe_name;
  auto* desc = app.add_subcommand("describe", "parameter table of a model, experiment or preset");
  desc->add_option("name", describe_name, "registered name")->required();

  xb::sim::SweepArgs sweep_args;
  auto* sweep = app.add_subcommand("sweep", "run a design-study sweep into a sweep folder");
  sweep->add_option("sweep", sweep_args.sweep, "sweep YAML file (base, axes, zip, seeds)")
      ->required();
  sweep->add_option("--out", sweep_args.out, "sweep folder (default: runs/<sweep file name>)");
  auto* resume_flag =
      sweep->add_flag("--resume", sweep_args.resume, "continue an interrupted sweep in --out");
  sweep->add_flag("--force", sweep_args.force, "start over in an existing sweep folder")
      ->excludes(resume_flag);
  sweep->add_option("--jobs", sweep_args.jobs, "runs in parallel on this machine (per MPI rank)")
      ->check(CLI::Range(1, 1024));
  sweep->add_flag("--quiet", sweep_args.quiet, "no progress bar or summary");
  sweep->add_flag("--dry-run", sweep_args.dry_run,
                  "validate every point's config and print the grid size; run nothing")
      ->excludes(resume_flag);

  xb::sim::BenchArgs bench_args;
  auto* bench = app.add_subcommand("bench", "tile read/update speed vs plain Eigen and an RNG floor");
  bench->add_option("--json", bench_args.json, "write the figures to this JSON file");
  bench->add_flag("--quick", bench_args.quick, "128 and 512 only, short timing windows");
  bench->add_option("--size", bench_args.sizes, "tile sizes n (n x n; default 256 512 2048)")
      ->check(CLI::Range(8, 8192));
  bench->add_option("--threads", bench_args.threads, "thread counts (default 1 2)")
      ->check(CLI::Range(1, 256));
  bench->add_option("--law", bench_args.laws, "device laws to time (default: every law)");

  xb::sim::FitArgs fit_args;
  auto* fit = app.add_subcommand("fit", "fit a piecewise_step device to a measured pulse trace");
  fit->add_option("trace", fit_args.trace, "CSV with columns pulse,w (or direction,w_mean)")
      ->required();
  fit->add_option("--nodes", fit_args.nodes, "nodes of the step-factor tables (default 16)");
  fit->add_option("--out", fit_args.out, "write the device section here (default: stdout)");

  std::string plot_dir;
  auto* plot = app.add_subcommand("plot", "draw PNG figures from a run folder");
  plot->add_option("dir", plot_dir, "run or sweep folder")->required();
  std::string report_dir;
  auto* report = app.add_subcommand(
      "report", "write DIR/report.html: tables, figures and configs of a sweep or run folder");
  report->add_option("dir", report_dir, "sweep or run folder")->required();

  // A first word that is no command: name it (CLI11 would only say a subcommand is required).
  if (argc > 1 && argv[1][0] != '-') {
    bool known = false;
    std::string names;
    for (const auto* sub : app.get_subcommands([](const CLI::App*) { return true; })) {
      known = known || sub->get_name() == argv[1];
      names += (names.empty() ? "" : ", ") + sub->get_name();
    }
    if (!known) {
      std::cerr << "error: unknown command '" << argv[1] << "'; one of " << names << "\n";
      return 2;
    }
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);  // --help and --version end here too
    return finish_output(code == 0 ? 0 : 2);
  }

  try {
    if (*run) return finish_output(xb::sim::command_run(run_args));
    if (*validate) return finish_output(xb::sim::command_validate(val_args));
    if (*list) return finish_output(print_list(list_what));
    if (*desc) return finish_output(describe(describe_name));
    if (*plot) return finish_output(xb::sim::command_plot(plot_dir));
  if (*report) return finish_output(xb::sim::command_report(report_dir));
    if (*bench) return finish_output(xb::sim::command_bench(bench_args));
    if (*sweep) return finish_output(xb::sim::command_sweep(sweep_args));
    if (*fit) return finish_output(xb::sim::command_fit(fit_args));
  } catch (const xb::ConfigError& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 2;
  } catch (const xb::sim::Interrupted& e) {  // a signal before the run folder existed
    std::cerr << e.what() << "\n";
    return e.exit_code();
  } catch (const std::exception& e) {
    std::cerr << "internal error (a bug, please report): " << e.what() << "\n";
    return 1;
  }
  return 1;
}
