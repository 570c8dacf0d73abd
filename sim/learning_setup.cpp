// SPDX-License-Identifier: MIT
#include "sim/learning_setup.h"

#include <algorithm>

#include "hw_models/update/update_scheme.h"

namespace xb::sim {

LearningSetup LearningSetup::read(Config& cfg, bool own_periphery) {
  LearningSetup s;
  s.task = task_registry().create(Scope(cfg, "task"));
  s.rule = rules::rule_registry().create(Scope(cfg, "rule"), "backprop");
  if (!s.task->uses_network()) return s;
  s.network = read_params<rules::NetworkParams>(Scope(cfg, "network"));
  check_network(Scope(cfg, "network"), *s.task, s.network);
  // Hardware sections on a network left digital by default would be silently ignored: a
  // digital run of a device study must say so (network.analog: false, e.g. by --set).
  for (const std::string section : {"device", "scheme", "tile", "cell", "periphery"}) {
    if (own_periphery && section == "periphery") continue;
    if (!s.network.any_analog() && cfg.has(section) && !cfg.has("network.analog"))
      Scope(cfg, "network")
          .fail("analog", "false (the default)",
                std::string("a `") + section +
                    ":` section is given but the network is digital and would ignore it; set "
                    "network.analog: true to train on tiles, or network.analog: false to run "
                    "the digital baseline on purpose");
  }
  if (s.network.any_analog() || cfg.has("device")) {
    s.device = std::shared_ptr<const hw::DeviceModel>(
        hw::device_registry().create(Scope(cfg, "device")));
    s.scheme = std::shared_ptr<const hw::UpdateScheme>(
        hw::scheme_registry().create(Scope(cfg, "scheme"), "ideal"));
    s.tile = read_params<hw::TileParams>(Scope(cfg, "tile"));
    s.cell = std::shared_ptr<const hw::UnitCell>(
        hw::cell_registry().create(Scope(cfg, "cell"), "single"));
    s.periphery = read_params<hw::PeripheryParams>(Scope(cfg, "periphery"));
  }
  return s;
}

void apply_update(rules::Model& model, const rules::Estimate& e, double lr, bool factors,
                  double& pulses) {
  rules::Network* net = model.network();
  bool analog = false;
  for (Index l = 0; net && l < net->layers(); ++l) analog = analog || net->is_analog(l);
  if (!analog) {
    model.set_params(model.params() - lr * e.estimate);
    return;
  }
  for (Index l = 0; l < net->layers(); ++l) {
    const Index off = net->offset(l), rows = net->fan_out(l), cols = net->fan_in(l);
    const MatrixD dw = -lr * Eigen::Map<const MatrixD>(e.estimate.data() + off, rows, cols);
    if (net->is_analog(l)) {
      const bool rank_one = factors && std::size_t(l) < e.d.size();
      static const MatrixD none;
      net->tile(l)->update(dw, rank_one ? e.x[std::size_t(l)] : none,
                           rank_one ? e.d[std::size_t(l)] : none, lr, pulses);
    } else {
      net->set_weight(l, net->weight(l) + dw);
    }
    if (net->has_bias())
      net->set_bias(l, net->bias(l) - lr * e.estimate.segment(off + rows * cols, rows));
  }
}

double network_weights(const Task& task, const rules::NetworkParams& net) {
  Config none;  // check_network has named any layer that does not fit
  double weights = 0;
  for (const rules::LayerGeometry& g : rules::plan_layers(Scope(none, "network"), net.layers,
                                                          net.hidden, net.analog,
                                                          task.input_shape(), task.outputs()))
    weights += double(g.fan_in()) * double(g.fan_out());
  return weights;
}

void check_network(const Scope& s, const Task& task, const rules::NetworkParams& net) {
  // Shapes first (their errors name the layer), then the size, before anything is allocated.
  double units = 0;
  for (const rules::LayerGeometry& g :
       rules::plan_layers(s, net.layers, net.hidden, net.analog, task.input_shape(), task.outputs()))
    units += double(g.positions()) * double(g.fan_in());
  const double weights = network_weights(task, net);
  const std::string key = net.layers.empty() ? "hidden" : "layers";
  if (weights > double(1 << 28))
    s.fail(key, Scope::fmt(weights) + " weights", "the network would hold more than 2^28 weights");
  // A conv layer's patch rows hold positions x fan_in numbers per sample.
  if (units > double(1 << 26))
    s.fail(key, Scope::fmt(units) + " patch values per sample",
           "the network's layers would read more than 2^26 inputs per sample");
}

void LearningSetup::estimate_memory(MemoryEstimate& m, const rules::NetworkParams& net,
                                    double batch) const {
  const double data = task->data_bytes();
  m.add("training and test data", "task (samples, inputs)", data);
  if (!task->uses_network()) return;
  const double weights = network_weights(*task, net);
  // Per sample: every layer's rows (patches for conv layers) and outputs.
  double widths = double(task->outputs());
  Config none;
  for (const rules::LayerGeometry& g : rules::plan_layers(Scope(none, "network"), net.layers,
                                                          net.hidden, net.analog,
                                                          task->input_shape(), task->outputs()))
    widths += double(g.positions()) * double(g.fan_in() + g.fan_out());
  // Parameters, gradient, estimate, update and the rule's own copies (feedback matrices,
  // perturbations): about eight doubles per weight.
  m.add("network parameters and the rule's copies", "network.hidden", weights * 8.0 * 8.0);
  if (net.any_analog()) {
    // Device states (up to a dozen float arrays per device, pulsed_device.h), the tile's
    // weight cache; one set per device of the unit cell.
    const double per_weight = double(cell ? cell->devices() : 1) * 48.0 + 16.0;
    m.add("tiles (device states)", "network.hidden, cell.type", weights * per_weight);
  }
  // An evaluation reads a whole set at once; the data term bounds its sample count.
  const double samples = data / (8.0 * (double(task->inputs()) + double(task->outputs())));
  if (batch <= 0) batch = samples;
  m.add("activations of a batch", "experiment.batch, network.hidden", 4.0 * batch * widths * 8.0);
  // Evaluations run in blocks of samples (Network::chunk_samples).
  const double block = std::min(samples, std::max(1.0, rules::Network::kChunkNumbers / widths));
  m.add("activations of an evaluation", "task samples, network.hidden", 2.0 * block * widths * 8.0);
}

std::vector<std::shared_ptr<rules::TileLayer>> LearningSetup::place_on_tiles(
    rules::Network& net, uint64_t seed) const {
  std::vector<std::shared_ptr<rules::TileLayer>> layers;
  for (Index l = 0; l < net.layers(); ++l) {
    if (!net.geometry(l).analog) continue;
    // Tile k of layer l is keyed by l + 1024·k (k = 0: the layer's tile of an unsplit run),
    // below 2^26 as the tile's streams require.
    const Index rows = tile.max_rows ? tile.max_rows : net.fan_out(l);
    const Index cols = tile.max_cols ? tile.max_cols : net.fan_in(l);
    const Index grid = ((net.fan_out(l) + rows - 1) / rows) * ((net.fan_in(l) + cols - 1) / cols);
    if (l >= 1024 || grid > (Index(1) << 15))
      throw ConfigError("tile.max_rows = " + std::to_string(tile.max_rows) +
                        ", tile.max_cols = " + std::to_string(tile.max_cols) + ": layer " +
                        std::to_string(l) + " (" + std::to_string(net.fan_out(l)) + " x " +
                        std::to_string(net.fan_in(l)) + ") would need " + std::to_string(grid) +
                        " tiles; a layer may have at most 32768 tiles and a network 1024 "
                        "layers: raise the limits");
    auto layer = std::make_shared<rules::TileLayer>(
        net.fan_out(l), net.fan_in(l), tile.max_rows, tile.max_cols,
        [&](Index r, Index c, uint32_t k) {
          return hw::Tile(tile, periphery, device, r, c, seed, uint32_t(l) + 1024u * k,
                          scheme->clone(), cell);
        });
    net.set_analog(l, layer);
    layers.push_back(layer);
  }
  return layers;
}

}  // namespace xb::sim
