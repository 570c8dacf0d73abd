// SPDX-License-Identifier: MIT
// xbarsim.Device and xbarsim.Tile: one crossbar tile driven from NumPy (docs/python.md).
//
// Layout. NumPy's natural batch, shape (batch, n) in C order, has the memory of the n x batch
// column-major matrix a tile reads (hw_models/core/types.h: BatchMatrix), so a float32 C-order
// input is mapped without a copy; other dtypes and orders are converted once (one float32 copy).
// Results are handed to NumPy without a copy (the array owns the tile's output matrix). Updates
// copy x and d into the update request (two vectors or small batches; the tile's arrays are
// never copied).
//
// Threads. Kernels run with the GIL released; a tile serialises its own calls (one mutex per
// tile), so two Python threads may share a tile safely and different tiles run in parallel.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <memory>
#include <mutex>

#include "hw_models/core/config.h"
#include "hw_models/core/errors.h"
#include "hw_models/crossbar/tile.h"
#include "hw_models/devices/device_model.h"
#include "hw_models/periphery/periphery.h"
#include "hw_models/timing/energy_ledger.h"
#include "hw_models/update/update_scheme.h"
#include "python/bindings.h"
#include "sim/experiment.h"

namespace py = pybind11;

namespace xb::python {

namespace {

// A Python dict (or any JSON-able object) as config text: JSON is YAML.
std::string to_json(const py::handle& obj) {
  return py::module_::import("json").attr("dumps")(obj).cast<std::string>();
}

// A float32 batch seen as the tile's n x samples column-major matrix.
struct Batch {
  py::array_t<float, py::array::c_style> array;  // keeps the memory alive
  Index n = 0, samples = 0;
  bool vector = false;  // 1-D input: one sample, and a 1-D result
  Eigen::Map<const BatchMatrix> map() const { return {array.data(), n, samples}; }
};

Batch as_batch(const py::handle& obj, Index n, const std::string& what) {
  const py::array any = py::array::ensure(obj);
  if (!any) throw ConfigError(what + ": not convertible to a NumPy array");
  const char kind = any.dtype().kind();
  if (kind != 'f' && kind != 'i' && kind != 'u' && kind != 'b')
    throw ConfigError(what + ": dtype " + std::string(py::str(any.dtype())) +
                      " is not a real number type (float32 is used without a copy)");
  Batch b;
  b.array = py::array_t<float, py::array::c_style | py::array::forcecast>::ensure(any);
  if (!b.array) throw ConfigError(what + ": cannot be converted to float32");
  // A NaN or Inf would pass the DAC as some code and give finite, meaningless outputs.
  const float* p = b.array.data();
  if (!std::all_of(p, p + b.array.size(), [](float v) { return std::isfinite(v); }))
    throw ConfigError(what + ": contains NaN or Inf");
  b.n = n;
  if (b.array.ndim() == 1 && b.array.shape(0) == n) {
    b.vector = true;
    b.samples = 1;
  } else if (b.array.ndim() == 2 && b.array.shape(1) == n) {
    b.samples = b.array.shape(0);
  } else {
    std::string shape = "(";
    for (py::ssize_t i = 0; i < b.array.ndim(); ++i)
      shape += (i ? ", " : "") + std::to_string(b.array.shape(i));
    throw ConfigError(what + ": shape " + shape + (b.array.ndim() == 1 ? ",)" : ")") +
                      " is not (batch, " + std::to_string(n) + ") or (" + std::to_string(n) +
                      ",)");
  }
  return b;
}

// Hands a column-major n x samples result to NumPy as (samples, n), C order, without a copy.
py::array to_numpy(BatchMatrix&& y, bool vector) {
  auto* owned = new BatchMatrix(std::move(y));
  py::capsule free_when_done(owned, [](void* p) { delete static_cast<BatchMatrix*>(p); });
  const py::ssize_t n = owned->rows(), samples = owned->cols(), f = sizeof(float);
  if (vector) return py::array_t<float>({n}, {f}, owned->data(), free_when_done);
  return py::array_t<float>({samples, n}, {n * f, f}, owned->data(), free_when_done);
}

py::array matrix_to_numpy(const Matrix& m) {
  py::array_t<float> a({py::ssize_t(m.rows()), py::ssize_t(m.cols())});
  std::copy(m.data(), m.data() + m.size(), a.mutable_data());
  return a;
}

class PyDevice {
 public:
  // `name` is a preset (sim/presets/devices) or a device law (DEVICES.def); `params` override.
  PyDevice(const std::string& name, const py::dict& params) : name_(name) {
    py::dict section;  // a new dict: the caller's keyword arguments stay as they were
    for (const auto& item : params) section[item.first] = item.second;
    const auto presets = sim::preset_names();
    const bool preset = std::find(presets.begin(), presets.end(), name) != presets.end();
    section[preset ? "preset" : "type"] = name;
    py::dict doc;
    doc["device"] = section;
    Config cfg = Config::from_string(to_json(doc), "Device(" + name + ")");
    cfg.expand_preset("device", sim::preset_dir(), presets, {"cell"});
    model_ = hw::device_registry().create(Scope(cfg, "device"));
    // A preset's natural unit cell (the pcm pair) comes with it.
    cell_ = hw::cell_registry().create(Scope(cfg, "cell"), "single");
    cfg.check_all_used();
    config_ = cfg.effective_yaml();
    law_ = cfg.get("device.type").as<std::string>();
  }
  const std::string& name() const { return name_; }
  const std::string& config() const { return config_; }
  const std::string& law() const { return law_; }
  std::shared_ptr<const hw::DeviceModel> model() const { return model_; }
  std::shared_ptr<const hw::UnitCell> cell() const { return cell_; }

 private:
  std::string name_, config_, law_;
  std::shared_ptr<const hw::DeviceModel> model_;
  std::shared_ptr<const hw::UnitCell> cell_;
};

class PyTile {
 public:
  // rows x cols weights: forward reads x of length cols and gives rows outputs.
  PyTile(Index rows, Index cols, const py::object& device, const py::dict& tile,
         const py::dict& periphery, const py::object& scheme, const py::dict& energy,
         uint64_t seed, uint32_t tile_id) {
    if (rows < 1 || cols < 1 || rows > (1 << 16) || cols > (1 << 16))
      throw ConfigError("Tile: rows and cols must be in [1, 65536]");
    std::shared_ptr<const hw::DeviceModel> model;
    std::shared_ptr<const hw::UnitCell> cell;
    if (py::isinstance<PyDevice>(device)) {
      model = device.cast<const PyDevice&>().model();
      cell = device.cast<const PyDevice&>().cell();
    } else if (py::isinstance<py::str>(device)) {
      const PyDevice d(device.cast<std::string>(), py::dict());
      model = d.model();
      cell = d.cell();
    } else {
      throw ConfigError("Tile: device must be a Device or a preset or law name");
    }
    py::dict doc;  // empty sections are left out: the config reader refuses `tile: {}`
    if (!tile.empty()) doc["tile"] = tile;
    if (!periphery.empty()) doc["periphery"] = periphery;
    if (!energy.empty()) doc["energy"] = energy;
    if (py::isinstance<py::str>(scheme)) {
      // A scheme preset's name (sim/presets/schemes) or a scheme's.
      const auto presets = sim::scheme_preset_names();
      const std::string name = scheme.cast<std::string>();
      py::dict s;
      s[std::find(presets.begin(), presets.end(), name) != presets.end() ? "preset" : "type"] =
          scheme;
      doc["scheme"] = s;
    } else if (py::isinstance<py::dict>(scheme)) {
      doc["scheme"] = scheme;
    } else if (!scheme.is_none()) {
      throw ConfigError("Tile: scheme must be a scheme name or a dict with its parameters");
    }
    Config cfg = Config::from_string(to_json(doc), "Tile");
    cfg.expand_preset("scheme", sim::scheme_preset_dir(), sim::scheme_preset_names());
    auto update = hw::scheme_registry().create(Scope(cfg, "scheme"), "ideal");
    const auto tp = read_params<hw::TileParams>(Scope(cfg, "tile"));
    // A Tile is one array: the limits split the layers of a network run, not a Tile.
    for (const auto& [key, v] : {std::pair<const char*, int>{"max_rows", tp.max_rows},
                                 {"max_cols", tp.max_cols}})
      if (v != 0)
        Scope(cfg, "tile").fail(key, v, "a Python Tile is one array (0): the limit splits the "
                                        "layers of a network run (xbarsim run)");
    tile_ = std::make_unique<hw::Tile>(tp, read_params<hw::PeripheryParams>(Scope(cfg, "periphery")),
                                       model, rows, cols, seed, tile_id, std::move(update), cell);
    energy_ = read_params<timing::EnergyParams>(Scope(cfg, "energy"));
    cfg.check_all_used();
    attach_ledger();
  }

  PyTile(const hw::Tile& t, const timing::EnergyParams& e)
      : tile_(std::make_unique<hw::Tile>(t)), energy_(e) {
    attach_ledger();
  }

  py::array forward(const py::handle& x) { return read(x, false); }
  py::array backward(const py::handle& d) { return read(d, true); }

  py::dict update(const py::handle& x, const py::handle& d, double lr, bool report) {
    if (!std::isfinite(lr)) throw ConfigError("update: lr must be finite");
    const Batch xb = as_batch(x, tile_->in_size(), "update: x");
    const Batch db = as_batch(d, tile_->out_size(), "update: d");
    if (xb.samples != db.samples)
      throw ConfigError("update: x has " + std::to_string(xb.samples) + " samples and d " +
                        std::to_string(db.samples));
    const BatchMatrix xm = xb.map(), dm = db.map();
    hw::UpdateRequest req;
    req.x = &xm;
    req.d = &dm;
    req.lr = lr;
    req.report_dw = report;
    hw::UpdateReport rep;
    {
      py::gil_scoped_release release;
      std::lock_guard<std::mutex> lock(mutex_);
      rep = tile_->update(req);
    }
    py::dict out;
    out["pulses_up"] = rep.pulses_up;
    out["pulses_down"] = rep.pulses_down;
    out["write_slots"] = rep.write_slots;
    if (report) {
      out["intended"] = matrix_to_numpy(rep.intended);
      out["realised"] = matrix_to_numpy(rep.realised);
    }
    return out;
  }

  py::array weights() {
    std::lock_guard<std::mutex> lock(mutex_);
    return matrix_to_numpy(tile_->weights());
  }

  void set_weights(const py::handle& w) {
    const py::array any = py::array::ensure(w);
    if (!any || any.ndim() != 2 || any.shape(0) != tile_->out_size() ||
        any.shape(1) != tile_->in_size())
      throw ConfigError("set_weights: need an array of shape (" +
                        std::to_string(tile_->out_size()) + ", " +
                        std::to_string(tile_->in_size()) + ")");
    const auto a = py::array_t<float, py::array::c_style | py::array::forcecast>::ensure(any);
    if (!a) throw ConfigError("set_weights: cannot be converted to float32");
    const Matrix m = Eigen::Map<const Matrix>(a.data(), tile_->out_size(), tile_->in_size());
    if (!m.allFinite()) throw ConfigError("set_weights: contains NaN or Inf");
    std::lock_guard<std::mutex> lock(mutex_);
    tile_->set_weights(m);
  }

  std::unique_ptr<PyTile> fork(uint32_t k) {
    std::lock_guard<std::mutex> lock(mutex_);
    return std::make_unique<PyTile>(tile_->fork(k), energy_);
  }

  void advance(double batches, double seconds) {
    if (!(batches >= 0) || !(seconds >= 0))
      throw ConfigError("advance: batches and seconds must be >= 0");
    py::gil_scoped_release release;
    std::lock_guard<std::mutex> lock(mutex_);
    tile_->advance(batches, seconds);
  }

  py::dict ledger() {
    std::lock_guard<std::mutex> lock(mutex_);
    const timing::TileCounts& c = *counts_;
    py::dict d;
    d["forward_passes"] = c.forward_passes;
    d["backward_passes"] = c.backward_passes;
    d["dac_conversions"] = c.dac_conversions;
    d["adc_conversions"] = c.adc_conversions;
    d["adc_saturations"] = c.adc_saturations;
    d["cell_reads"] = c.cell_reads;
    d["updates"] = c.updates;
    d["pulses_up"] = c.pulses_up;
    d["pulses_down"] = c.pulses_down;
    d["transfers"] = c.transfers;
    d["refreshes"] = c.refreshes;
    d["busy_cycles"] = c.busy_cycles;
    d["read_energy_J"] = c.read_energy(energy_);
    d["write_energy_J"] = c.write_energy(energy_);
    return d;
  }

  // Seconds per call of `repeats` forward reads of x in a C++ loop (the Python overhead
  // benchmark compares this with the same calls made from Python).
  double forward_loop_seconds(const py::handle& x, int repeats) {
    if (repeats < 1) throw ConfigError("forward_loop_seconds: repeats must be >= 1");
    const Batch b = as_batch(x, tile_->in_size(), "forward_loop_seconds: x");
    py::gil_scoped_release release;
    std::lock_guard<std::mutex> lock(mutex_);
    BatchMatrix y;
    const auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < repeats; ++i) tile_->forward(b.map(), y);
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() / repeats;
  }

  Index rows() const { return tile_->out_size(); }
  Index cols() const { return tile_->in_size(); }
  uint32_t id() const { return tile_->id(); }

 private:
  py::array read(const py::handle& in, bool transposed) {
    const char* what = transposed ? "backward: d" : "forward: x";
    const Batch b = as_batch(in, transposed ? tile_->out_size() : tile_->in_size(), what);
    BatchMatrix y;
    {
      py::gil_scoped_release release;
      std::lock_guard<std::mutex> lock(mutex_);
      if (transposed)
        tile_->backward(b.map(), y);
      else
        tile_->forward(b.map(), y);
    }
    return to_numpy(std::move(y), b.vector);
  }

  // Every operation is counted by the functional ledger, as in a CLI run.
  void attach_ledger() {
    ledger_ = std::make_unique<timing::EnergyLedger>(energy_, timing_);
    counts_ = &ledger_->add(*tile_, "tile");
    hook_ = std::make_unique<timing::CountingHook>(*ledger_, *counts_, cycles_);
    tile_->set_timing_hook(hook_.get());
  }

  std::unique_ptr<hw::Tile> tile_;
  timing::EnergyParams energy_;
  std::unique_ptr<timing::EnergyLedger> ledger_;
  timing::TileCounts* counts_ = nullptr;
  timing::TimingParams timing_;  // default latencies: the ledger's busy cycles of the tile
  uint64_t cycles_ = 0;
  std::unique_ptr<timing::CountingHook> hook_;
  std::mutex mutex_;
};

std::string names_of(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& n : v) s += (s.empty() ? "" : ", ") + n;
  return s;
}

std::string device_doc() {
  return "A device model: a preset or a device law, with parameter overrides.\n\n"
         "Device(name, **params)\n\n"
         "    name: a preset (" + names_of(sim::preset_names()) + ")\n"
         "          or a device law (" + names_of(hw::device_registry().names()) + ").\n"
         "    params: the law's parameters (Device(...).parameters and xbarsim.describe(law)\n"
         "          list them with defaults, units and descriptions); unknown keys raise\n"
         "          ValueError.\n";
}

std::string tile_doc() {
  return "A crossbar tile: rows x cols weights held as device states, read through the\n"
         "periphery and written by pulsed updates (README, docs/python.md).\n\n"
         "Tile(rows, cols, device='ideal', tile={}, periphery={}, scheme='ideal', energy={},\n"
         "     seed=1, tile_id=0)\n\n"
         "    forward(x): y = W x through the periphery; x of shape (batch, cols) or (cols,).\n"
         "    backward(d): z = W^T d; d of shape (batch, rows) or (rows,).\n"
         "    update(x, d, lr, report=False): W <- W - lr d x^T through the scheme's pulses.\n\n"
         "scheme: one of " + names_of(hw::scheme_registry().names()) +
         " or a scheme preset, " + names_of(sim::scheme_preset_names()) +
         " (a name, or a dict with 'type' or 'preset' and its parameters).\n\n"
         "tile parameters:\n" + parameter_table(describe_params<hw::TileParams>()) +
         "\nperiphery parameters:\n" + parameter_table(describe_params<hw::PeripheryParams>()) +
         "\nenergy parameters:\n" + parameter_table(describe_params<timing::EnergyParams>());
}

}  // namespace

void bind_tiles(py::module_& m) {
  py::class_<PyDevice, std::shared_ptr<PyDevice>>(m, "Device", device_doc().c_str())
      .def(py::init([](const std::string& name, const py::kwargs& params) {
             return std::make_shared<PyDevice>(name, params);
           }),
           py::arg("name"))
      .def_property_readonly("name", &PyDevice::name)
      .def_property_readonly("config", &PyDevice::config,
                             "the effective device section (YAML), preset expanded")
      .def_property_readonly("law", &PyDevice::law, "the device law (DEVICES.def name)")
      .def_property_readonly(
          "parameters",
          [](const PyDevice& d) {
            py::list rows;
            for (const auto& r : hw::device_registry().find(d.law())->describe())
              rows.append(param_row_dict(r, "devices"));
            return rows;
          },
          "the law's parameters (name, default, unit, description), as xbarsim.describe(law)")
      .def("__repr__", [](const PyDevice& d) { return "xbarsim.Device('" + d.name() + "')"; });

  py::class_<PyTile>(m, "Tile", tile_doc().c_str())
      .def(py::init<Index, Index, const py::object&, const py::dict&, const py::dict&,
                    const py::object&, const py::dict&, uint64_t, uint32_t>(),
           py::arg("rows"), py::arg("cols"), py::arg("device") = "ideal",
           py::arg("tile") = py::dict(), py::arg("periphery") = py::dict(),
           py::arg("scheme") = "ideal", py::arg("energy") = py::dict(), py::arg("seed") = 1,
           py::arg("tile_id") = 0)
      .def("forward", &PyTile::forward, py::arg("x"),
           "y = W x through the periphery; x: (batch, cols) or (cols,); float32 C order is "
           "not copied")
      .def("backward", &PyTile::backward, py::arg("d"),
           "z = W^T d through the periphery; d: (batch, rows) or (rows,)")
      .def("update", &PyTile::update, py::arg("x"), py::arg("d"), py::arg("lr"),
           py::arg("report") = false,
           "W <- W - lr d x^T through the scheme; returns pulses_up, pulses_down, write_slots "
           "(and the intended and realised dW when report=True)")
      .def_property_readonly("weights", &PyTile::weights,
                             "current weights (rows, cols) as a read sees them before noise")
      .def("set_weights", &PyTile::set_weights, py::arg("w"),
           "programs the devices to w (clipped to what the unit cell represents)")
      .def("fork", &PyTile::fork, py::arg("k"),
           "a copy with the same devices, weights and scheme state and new cycle and read "
           "noise streams keyed by k")
      .def("advance", &PyTile::advance, py::arg("batches"), py::arg("seconds") = 0.0,
           "effects between updates: lifetime decay, diffusion, drift")
      .def_property_readonly("ledger", &PyTile::ledger,
                             "operation counts and energies (J) since construction")
      .def("forward_loop_seconds", &PyTile::forward_loop_seconds, py::arg("x"),
           py::arg("repeats"), "seconds per forward(x) call made in a C++ loop (benchmarks)")
      .def_property_readonly("rows", &PyTile::rows)
      .def_property_readonly("cols", &PyTile::cols)
      .def_property_readonly("tile_id", &PyTile::id);
}

}  // namespace xb::python
