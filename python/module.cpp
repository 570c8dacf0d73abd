// SPDX-License-Identifier: MIT
// xbarsim._xbarsim: the command line's functions for Python (docs/python.md). The package
// python/xbarsim/__init__.py wraps them (run results as dicts and NumPy record arrays).
// Errors: a config error (the CLI's exit 2) raises ValueError with the CLI's message, an unknown
// name KeyError; a numerical failure during a run is not raised: the run folder records it
// (status "diverged") and run() returns exit code 3, as the CLI does.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <algorithm>
#include <iostream>

#include "hw_models/core/errors.h"
#include "hw_models/sc/timed_mode.h"
#include "python/bindings.h"
#include "sim/catalog.h"
#include "sim/cli_commands.h"
#include "sim/experiment.h"
#include "sim/sweep/sweep.h"
#include "sim/version.h"

namespace py = pybind11;

namespace xb::python {

namespace {

Config config_from(const std::string& config, bool is_text) {
  return is_text ? Config::from_string(config, "config (dict)") : Config::from_file(config);
}

sim::RunArgs run_args(const std::vector<std::string>& sets, const std::string& seed,
                      const std::string& mode, bool trace, int threads) {
  if (mode != "functional" && mode != "timed")
    throw ConfigError("mode: '" + mode + "' is not one of functional, timed");
  if (threads < 1 || threads > 1024) throw ConfigError("threads: must be in [1, 1024]");
  sim::RunArgs a;
  a.sets = sets;
  a.seed = seed;
  a.mode = mode;
  a.trace = trace;
  a.threads = threads;
  a.quiet = true;
  return a;
}

int run(const std::string& config, bool is_text, const std::string& out,
        const std::vector<std::string>& sets, const std::string& seed, const std::string& mode,
        bool trace, int threads, bool force) {
  sim::PreparedRun prepared =
      sim::prepare_run(config_from(config, is_text), run_args(sets, seed, mode, trace, threads));
  py::gil_scoped_release release;  // the run does not touch Python objects
  return sim::execute_run(prepared, out, force);
}

std::string validate(const std::string& config, bool is_text,
                     const std::vector<std::string>& sets) {
  sim::PreparedRun prepared =
      sim::prepare_run(config_from(config, is_text), run_args(sets, "", "functional", false, 1));
  return prepared.cfg.effective_yaml();
}

const sim::Catalog* find_catalog(const std::string& kind) {
  static const std::vector<sim::Catalog> all = sim::catalogs();
  for (const auto& c : all)
    if (c.kind == kind) return &c;
  return nullptr;
}

std::vector<std::string> list_names(const std::string& what) {
  if (what == "presets") return sim::preset_names();
  if (const auto* c = find_catalog(what)) return c->names();
  std::string known = "presets";
  for (const auto& c : sim::catalogs()) known += ", " + c.kind;
  throw py::key_error("list " + what + ": unknown catalogue; one of " + known);
}

py::list describe(const std::string& name) {
  py::list rows;
  bool found = false;
  for (const auto& c : sim::catalogs()) {
    const auto names = c.names();
    if (std::find(names.begin(), names.end(), name) == names.end()) continue;
    found = true;
    for (const auto& r : c.describe(name)) rows.append(param_row_dict(r, c.kind));
  }
  const auto presets = sim::preset_names();
  if (!found && std::find(presets.begin(), presets.end(), name) == presets.end()) {
    std::vector<std::string> all = presets;
    for (const auto& c : sim::catalogs())
      for (const auto& n : c.names()) all.push_back(n);
    throw py::key_error("describe " + name + ": no model, experiment or preset of that name" +
                        did_you_mean(name, all));
  }
  return rows;
}

int sweep(const std::string& file, const std::string& out, int jobs, bool resume, bool force) {
  sim::SweepArgs a;
  a.sweep = file;
  a.out = out;
  a.jobs = jobs;
  a.resume = resume;
  a.force = force;
  a.quiet = true;
  if (jobs < 1 || jobs > 1024) throw ConfigError("jobs: must be in [1, 1024]");
  if (resume && force) throw ConfigError("sweep: resume and force exclude each other");
  py::gil_scoped_release release;
  return sim::command_sweep(a);
}

}  // namespace

py::dict param_row_dict(const ParamRow& r, const std::string& kind) {
  py::dict d;
  d["name"] = r.name;
  d["default"] = r.default_value;
  d["unit"] = r.unit;
  d["description"] = r.description;
  d["rule"] = r.rule;
  d["not_used"] = r.not_used;
  if (!kind.empty()) d["kind"] = kind.substr(0, kind.size() - 1);
  return d;
}

std::string parameter_table(const std::vector<ParamRow>& rows) {
  std::string s;
  for (const auto& r : rows) {
    s += "    " + r.name + " = " + (r.default_value.empty() ? "\"\"" : r.default_value);
    if (!r.unit.empty()) s += " [" + r.unit + "]";
    s += "\n        " + r.description + (r.rule.empty() ? "" : " [" + r.rule + "]") + "\n";
  }
  return s;
}

}  // namespace xb::python

PYBIND11_MODULE(_xbarsim, m) {
  using namespace xb::python;
  xb::sc::enable_timed_mode();
  m.doc() = "xbarsim's compiled core; use the package `xbarsim` (docs/python.md).";
  m.attr("__version__") = xb::sim::kVersion;

  // ConfigError is the CLI's exit 2: ValueError, with the same message.
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const xb::ConfigError& e) {
      PyErr_SetString(PyExc_ValueError, e.what());
    } catch (const xb::NumericalError& e) {
      PyErr_SetString(PyExc_ArithmeticError, e.what());
    }
  });

  m.def("run", &run, py::arg("config"), py::arg("is_text"), py::arg("out"), py::arg("sets"),
        py::arg("seed"), py::arg("mode"), py::arg("trace"), py::arg("threads"), py::arg("force"),
        "Runs a config into the run folder `out`; returns the CLI's exit code (0, or 3).");
  m.def("validate", &validate, py::arg("config"), py::arg("is_text"), py::arg("sets"),
        "The effective config (YAML text) of a config, or ValueError.");
  m.def("list", &list_names, py::arg("what"), "Registered names of a catalogue.");
  m.def("describe", &describe, py::arg("name"), "Parameter rows of a model or experiment.");
  m.def("sweep", &sweep, py::arg("sweep"), py::arg("out"), py::arg("jobs"), py::arg("resume"),
        py::arg("force"), "Runs a sweep file into the sweep folder `out`; returns the exit code.");
  m.def("preset_dir", &xb::sim::preset_dir, "Folder of the device preset YAML files.");
  bind_tiles(m);
}
