// SPDX-License-Identifier: MIT
#include "sim/bench/bench.h"

#include <Eigen/QR>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <functional>
#include <iomanip>
#include <iostream>
#include <map>
#include <memory>
#include <vector>

#include "hw_models/core/config.h"
#include "hw_models/core/errors.h"
#include "hw_models/core/fast_normal.h"
#include "hw_models/core/parallel.h"
#include "hw_models/crossbar/tile.h"
#include "hw_models/devices/device_model.h"
#include "hw_models/update/update_scheme.h"
#include "learning_rules/conv_ops.h"
#include "learning_rules/tile_layer.h"
#include "sim/bench/timed_bench.h"
#include "sim/bench/timing.h"
#include "sim/experiment.h"
#include "sim/run_folder.h"
#include "sim/version.h"

namespace xb::sim {

namespace {

std::shared_ptr<const hw::DeviceModel> make_device(const std::string& law) {
  Config cfg = Config::from_string("device: {type: " + law + "}", "bench");
  return std::shared_ptr<const hw::DeviceModel>(hw::device_registry().create(Scope(cfg, "device")));
}

// Pulse density of the peer comparison (aihwkit CPU, 512², BL 31): probabilities A|x| with
// A ≈ 1, i.e. lr = (the law's step at the reference point)·BL, 0.001·31 for the default
// dw_min. With x, d uniform in [-1, 1] a device then gets BL·E|x|·E|d| = 31/4 ≈ 7.75
// coincidences per update (measured ~7.8), whatever the law, so ns per coincidence compares
// like with like.
constexpr int kBl = 31;

struct UpdateTime {
  double us = 0, coincidences = 0;
  double ns_per_coincidence() const { return 1e3 * us / coincidences; }
};

// Stochastic_pulse updates of an n × n tile on `dev`, x and d uniform in [-1, 1], one per
// step(), counting the coincidences (pulses) they fire.
class UpdateLoop {
 public:
  UpdateLoop(int n, const std::shared_ptr<const hw::DeviceModel>& dev,
             const hw::UpdateScheme& scheme)
      : dev_(dev),
        tile_(hw::TileParams{}, hw::PeripheryParams{}, dev, n, n, 1, 0, scheme.clone()),
        zero_(Matrix::Zero(n, n)),
        xs_(n, kPairs),
        ds_(n, kPairs),
        x_(n, 1),
        d_(n, 1) {
    Rng data(2, Stream::data, uint32_t(n));
    for (Index j = 0; j < kPairs; ++j)
      for (Index i = 0; i < n; ++i) {
        xs_(i, j) = Scalar(2 * data.uniform() - 1);
        ds_(i, j) = Scalar(2 * data.uniform() - 1);
      }
  }

  // Keeps the devices inside their bounds, where training keeps them: d alternates sign (pair
  // k/2 with +d, then −d), so the mean drift cancels, and every 64 updates the weights are
  // reprogrammed to 0 (timed too: one pass over W per 64 updates). Without this the repeated
  // pairs would drive the weights to the bounds, which is not what the figure is about.
  void step() {
    if (k_ % 64 == 0) tile_.set_weights(zero_);
    x_ = xs_.col((k_ / 2) % kPairs);
    d_ = ds_.col((k_ / 2) % kPairs);
    if (k_ % 2) d_ = -d_;
    ++k_;
    hw::UpdateRequest req;
    req.x = &x_;
    req.d = &d_;
    req.lr = dev_->granularity() * kBl;
    req.report_dw = false;
    const hw::UpdateReport rep = tile_.update(req);
    pulses_ += rep.pulses_up + rep.pulses_down;
    ++updates_;
  }
  double coincidences_per_update() const { return double(pulses_) / double(updates_); }

 private:
  static constexpr int kPairs = 16;
  std::shared_ptr<const hw::DeviceModel> dev_;
  hw::Tile tile_;
  Matrix zero_;
  BatchMatrix xs_, ds_, x_, d_;
  long k_ = 0;
  uint64_t pulses_ = 0, updates_ = 0;
};

UpdateTime time_update(int n, const std::shared_ptr<const hw::DeviceModel>& dev,
                       const hw::UpdateScheme& scheme, double window) {
  UpdateLoop loop(n, dev, scheme);
  UpdateTime t;
  t.us = 1e6 * seconds_per_call([&] { loop.step(); }, window);
  t.coincidences = loop.coincidences_per_update();
  return t;
}

// One mini-batch update (16 samples) of an n × n soft-bounds tile through `scheme`, in µs: what
// a transfer scheme adds per mini-batch (its fast update plus one transfer, amortised as it
// comes) against the plain pulsed update of the same batch.
double time_batch_update(int n, const std::string& scheme_yaml, double window) {
  const int batch = 16;
  Rng data(3, Stream::data, uint32_t(n));
  BatchMatrix x(n, batch), d(n, batch);
  for (Index j = 0; j < batch; ++j)
    for (Index i = 0; i < n; ++i) {
      x(i, j) = Scalar(2 * data.uniform() - 1);
      d(i, j) = Scalar(2 * data.uniform() - 1);
    }
  const auto dev = make_device("soft_bounds");
  Config cfg = Config::from_string("scheme: " + scheme_yaml, "bench");
  hw::Tile tile(hw::TileParams{}, hw::PeripheryParams{}, dev, n, n, 1, 0,
                hw::scheme_registry().create(Scope(cfg, "scheme")));
  const Matrix zero = Matrix::Zero(n, n);
  long k = 0;
  return 1e6 * seconds_per_call(
                   [&] {
                     if (k % 64 == 0) tile.set_weights(zero);  // as time_update
                     hw::UpdateRequest req;
                     req.x = &x;
                     req.d = &d;
                     req.lr = (k++ % 2 ? -1 : 1) * dev->granularity() * kBl / batch;
                     req.report_dw = false;
                     tile.update(req);
                   },
                   window);
}

// Reads of an n × n tile with the default periphery, and plain single-threaded Eigen on the
// same data (the limit the tile's reads are compared with): one vector and a batch of 100.
class ReadCase {
 public:
  ReadCase(int n, const std::shared_ptr<const hw::DeviceModel>& dev)
      : data_(1, Stream::data, uint32_t(n)),
        w_(uniform(n, n) * Scalar(0.3)),
        x1_(uniform(n, 1)),
        xb_(uniform(n, kBatch)),
        xv_(x1_.col(0)),
        yv_(n),
        yb_(n, kBatch),
        tile_(hw::TileParams{}, hw::PeripheryParams{}, dev, n, n, 1, 0) {
    tile_.set_weights(w_);
  }
  void gemv() { yv_.noalias() = w_ * xv_; }
  void gemm() { yb_.noalias() = w_ * xb_; }
  void forward() { tile_.forward(x1_, y_); }
  void forward_batch() { tile_.forward(xb_, y_); }
  // With 0.3·U(-1, 1) weights the output std grows as sqrt(in): at 2048 inputs most samples
  // saturate the ADC (±out_bound) and iterative bound management reads them again with the
  // input halved, i.e. the periphery itself doubles the work there (aihwkit semantics).
  double bm_rereads_per_read() const {
    return double(tile_.read_stats().bm_rereads) /
           double(std::max<uint64_t>(1, tile_.read_stats().reads));
  }

 private:
  static constexpr int kBatch = 100;
  BatchMatrix uniform(Index r, Index c) {
    BatchMatrix m(r, c);
    for (Index j = 0; j < c; ++j)
      for (Index i = 0; i < r; ++i) m(i, j) = Scalar(2 * data_.uniform() - 1);
    return m;
  }
  Rng data_;
  Matrix w_;
  BatchMatrix x1_, xb_;
  Vector xv_, yv_;
  BatchMatrix yb_, y_;
  hw::Tile tile_;
};

struct ReadTimes {
  double gemv_us = 0, forward_us = 0, gemm_us = 0, forward_batch_us = 0;
  double forward_ratio = 0, forward_batch_ratio = 0;  // paired (timing.h)
  double bm_rereads_per_read = 0;                     // bound-management re-reads per sample
};

ReadTimes time_reads(int n, const std::shared_ptr<const hw::DeviceModel>& dev, double window) {
  ReadCase c(n, dev);
  ReadTimes t;
  const PairedTimes one = paired_seconds([&] { c.forward(); }, [&] { c.gemv(); }, window);
  const PairedTimes batch =
      paired_seconds([&] { c.forward_batch(); }, [&] { c.gemm(); }, window);
  t.forward_us = 1e6 * one.a_s;
  t.gemv_us = 1e6 * one.b_s;
  t.forward_ratio = one.ratio;
  t.forward_batch_us = 1e6 * batch.a_s;
  t.gemm_us = 1e6 * batch.b_s;
  t.forward_batch_ratio = batch.ratio;
  t.bm_rereads_per_read = c.bm_rereads_per_read();
  return t;
}

// A conv layer's batched forward read: its patch rows (im2col, layer_plan.h) of a batch of 16
// images read by one tile with the default periphery, against the Eigen GEMM of the same
// product; and the whole layer as a network runs it (im2col in double, then the tile layer's
// read with its conversions).
struct ConvTimes {
  std::string name;
  Index rows = 0, fan_in = 0, out = 0;
  double gemm_us = 0, forward_us = 0, im2col_us = 0, layer_us = 0;
  double forward_ratio = 0;  // paired (timing.h)
};

// A tile of `out` x `fan_in` weights uniform in ±0.3, with the default periphery.
hw::Tile read_tile(const std::shared_ptr<const hw::DeviceModel>& dev, Index out, Index fan_in,
                   Rng& data) {
  Matrix w(out, fan_in);
  for (Index i = 0; i < w.size(); ++i) w.data()[i] = Scalar(0.3 * (2 * data.uniform() - 1));
  hw::Tile tile(hw::TileParams{}, hw::PeripheryParams{}, dev, out, fan_in, 1, 0);
  tile.set_weights(w);
  return tile;
}

// The tile's batched read of the patches x (one per column) against Eigen's GEMM of the same
// product, paired.
PairedTimes time_patch_read(hw::Tile& tile, const BatchMatrix& x, double window) {
  const Matrix w = tile.weights();
  BatchMatrix y(w.rows(), x.cols()), yt;
  return paired_seconds([&] { tile.forward(x, yt); }, [&] { y.noalias() = w * x; }, window);
}

// The periphery adds work per sample in proportion to its inputs (noise management, DAC) and
// to its outputs (output noise, ADC), against fan_in x out multiply-adds of the product, so a
// read's ratio to the GEMM is about 1 + a/out + b/fan_in. Timed over a grid of patch-read
// shapes (1600 patches, as LeNet-5's second layer on 16 images) and fitted by least squares:
// a and b are the periphery's cost per input and per output value in multiply-adds.
struct ConvGrid {
  struct Cell {
    Index out, fan_in;
    double ratio;
  };
  std::vector<Cell> cells;
  double per_input = 0, per_output = 0;  // a, b
};

ConvGrid time_conv_grid(const std::shared_ptr<const hw::DeviceModel>& dev, double window) {
  ConvGrid g;
  Rng data(1, Stream::data, 8);
  for (Index fan_in : {150, 288, 576})
    for (Index out : {16, 32, 64, 128}) {
      BatchMatrix x(fan_in, 1600);
      for (Index i = 0; i < x.size(); ++i) x.data()[i] = Scalar(data.uniform());
      hw::Tile tile = read_tile(dev, out, fan_in, data);
      g.cells.push_back({out, fan_in, time_patch_read(tile, x, window).ratio});
    }
  // Least squares of ratio - 1 on (1/out, 1/fan_in), no intercept.
  Eigen::MatrixX2d basis(Index(g.cells.size()), 2);
  Eigen::VectorXd excess(basis.rows());
  for (Index k = 0; k < basis.rows(); ++k) {
    const ConvGrid::Cell& c = g.cells[std::size_t(k)];
    basis.row(k) << 1.0 / double(c.out), 1.0 / double(c.fan_in);
    excess(k) = c.ratio - 1;
  }
  const Eigen::Vector2d cost = basis.colPivHouseholderQr().solve(excess);
  g.per_input = cost(0);
  g.per_output = cost(1);
  return g;
}

ConvTimes time_conv(const std::string& name, rules::Shape in, Index out, Index k, Index pad,
                    const std::shared_ptr<const hw::DeviceModel>& dev, double window) {
  rules::LayerGeometry g;
  g.conv = true;
  g.in = in;
  g.kernel = k;
  g.padding = pad;
  g.out = {out, in.h + 2 * pad - k + 1, in.w + 2 * pad - k + 1};
  const Index batch = 16;
  Rng data(1, Stream::data, 7);
  MatrixD images(batch, in.size());
  for (Index i = 0; i < images.size(); ++i) images.data()[i] = data.uniform();
  const MatrixD patches = rules::im2col(g, images);
  const BatchMatrix x = patches.transpose().cast<Scalar>();  // one patch per column
  ConvTimes t{name, patches.rows(), g.fan_in(), out};
  hw::Tile tile = read_tile(dev, out, g.fan_in(), data);
  const PairedTimes p = time_patch_read(tile, x, window);
  t.forward_us = 1e6 * p.a_s;
  t.gemm_us = 1e6 * p.b_s;
  t.forward_ratio = p.ratio;
  MatrixD cols;
  t.im2col_us = 1e6 * seconds_per_call([&] { cols = rules::im2col(g, images); }, window);
  rules::TileLayer layer(std::move(tile));
  MatrixD yd;
  t.layer_us = 1e6 * seconds_per_call([&] { yd = layer.forward(rules::im2col(g, images)); }, window);
  return t;
}

// Nanoseconds per standard normal drawn as the devices draw their c2c noise: fill_normal_fast
// on per-row streams, one block per row, rows split over the threads like the update.
double ns_per_normal(int n, double window) {
  Array g(n, n);
  const Rng cycle(1, Stream::cycle, 0);
  uint64_t event = 0;
  const double us = 1e6 * seconds_per_call(
                              [&] {
                                const uint64_t e = event++;
                                parallel_rows(n, [&](Index r0, Index r1) {
                                  for (Index r = r0; r < r1; ++r) {
                                    Rng rr = cycle.at(e, uint32_t(r));
                                    fill_normal_fast(rr, &g(r, 0), n);
                                  }
                                }, 16);
                              },
                              window);
  return 1e3 * us / (double(n) * double(n));
}

struct Point {
  int n = 0, threads = 0;
  ReadTimes reads;
  double normal_ns = 0;
  std::map<std::string, UpdateTime> updates;  // law → time
};

std::vector<std::string> checked_laws(const std::vector<std::string>& asked) {
  const std::vector<std::string> all = hw::device_registry().names();
  if (asked.empty()) return all;
  for (const std::string& l : asked)
    if (std::find(all.begin(), all.end(), l) == all.end()) {
      std::string names;
      for (const auto& a : all) names += (names.empty() ? "" : ", ") + a;
      throw ConfigError("bench --law " + l + ": no such device law; one of " + names);
    }
  return asked;
}

std::string cpu_model() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("model name", 0) == 0) return line.substr(line.find(':') + 2);
  return "unknown";
}

}  // namespace

int command_bench(const BenchArgs& args) {
  // Refuse bad filters and an unwritable --json before minutes of measuring, not after.
  const std::vector<std::string> laws = checked_laws(args.laws);
  if (!args.json.empty()) {
    const std::string probe = args.json + ".probe";
    if (!std::ofstream(probe))
      throw ConfigError("bench --json " + args.json + ": cannot write the file");
    std::remove(probe.c_str());
  }
  std::vector<int> sizes = args.sizes;
  if (sizes.empty())
    sizes = args.quick ? std::vector<int>{128, 512} : std::vector<int>{256, 512, 2048};
  std::vector<int> thread_counts = args.threads.empty() ? std::vector<int>{1, 2} : args.threads;
  const double window = args.quick ? 0.05 : 0.25;
  const bool filtered = !args.sizes.empty() || !args.threads.empty() || !args.laws.empty();

  Config scfg = Config::from_string(
      "scheme: {type: stochastic_pulse, desired_bl: " + std::to_string(kBl) + "}", "bench");
  const auto scheme = hw::scheme_registry().create(Scope(scfg, "scheme"));
  std::map<std::string, std::shared_ptr<const hw::DeviceModel>> devices;
  for (const auto& l : laws) devices[l] = make_device(l);
  const auto read_device = make_device("constant_step");

  std::cout << "xbarsim " << kVersion << " (" << build_description() << "), " << cpu_model()
            << "\nstochastic_pulse BL " << kBl << ", lr = the law's step x BL"
            << ", default periphery; wall-clock medians of 3 windows; times in microseconds\n";
  std::vector<Point> points;
  for (int n : sizes)
    for (int t : thread_counts) {
      set_threads(t);
      Point p;
      p.n = n;
      p.threads = t;
      p.reads = time_reads(n, read_device, window);
      p.normal_ns = ns_per_normal(n, window);
      std::cout << std::fixed << std::setprecision(2) << "\n" << n << "x" << n << ", " << t
                << " thread" << (t > 1 ? "s" : "") << ": gemv " << p.reads.gemv_us
                << ", forward " << p.reads.forward_us << " (x"
                << p.reads.forward_ratio << "), gemm100 " << p.reads.gemm_us
                << ", forward100 " << p.reads.forward_batch_us << " (x"
                << p.reads.forward_batch_ratio << "), normal "
                << p.normal_ns << " ns\n";
      std::cout << "  " << std::left << std::setw(24) << "law" << std::right << std::setw(12)
                << "update" << std::setw(10) << "coinc/dev" << std::setw(9) << "ns/coin"
                << std::setw(12) << "vs floor\n";
      for (const auto& l : laws) {
        const UpdateTime u = time_update(n, devices[l], *scheme, window);
        p.updates[l] = u;
        std::cout << "  " << std::left << std::setw(24) << l << std::right << std::setw(12)
                  << u.us << std::setw(10) << u.coincidences / (double(n) * n) << std::setw(9)
                  << u.ns_per_coincidence() << std::setw(11)
                  << u.ns_per_coincidence() / p.normal_ns << "\n";
      }
      points.push_back(p);
    }
  set_threads(1);

  auto find = [&](int n, int t) -> const Point* {
    for (const auto& p : points)
      if (p.n == n && p.threads == t) return &p;
    return nullptr;
  };
  nlohmann::json j;
  j["version"] = kVersion;
  j["build"] = build_description();
  j["build_flags"] = kBuildFlags;
  j["cpu"] = cpu_model();
  j["lr"] = "the law's step at the reference point (granularity) x desired_bl";
  j["desired_bl"] = kBl;
  j["timer"] = "wall clock, median of 3 windows of many calls";
  j["rng_floor"] = "one standard normal per coincidence (fill_normal_fast, per-row streams, "
                   "same threads)";
  // Headline keys at 512², one thread.
  if (const Point* p = find(512, 1)) {
    j["forward_ratio_vs_gemv"] = p->reads.forward_ratio;
    j["forward_batch_ratio_vs_gemm"] = p->reads.forward_batch_ratio;
    if (p->updates.count("constant_step")) {
      const UpdateTime& u = p->updates.at("constant_step");
      j["update_ns_per_coincidence"] = u.ns_per_coincidence();
      j["update_ratio_vs_rng_floor"] = u.ns_per_coincidence() / p->normal_ns;
      // The floor of earlier versions: one normal per device (constant_step draws one per
      // pulsed device, which the scheme's trains and the bookkeeping then dominate).
      j["update_ratio_vs_rng_floor_per_device"] = u.us / (1e-3 * p->normal_ns * 512.0 * 512.0);
    }
    for (const auto& [law, u] : p->updates)
      j["update_by_law"][law] = {{"ns_per_coincidence", u.ns_per_coincidence()},
                                 {"ratio_vs_rng_floor", u.ns_per_coincidence() / p->normal_ns}};
  }
  // Two threads against one at 2048², in paired windows (timing.h): the update of every law
  // (the headline is the worst law) and the batched read. Beside them, what the machine gives
  // two threads during the same run: the plain Eigen GEMM of the batched read split in two
  // row halves (compute-bound), and one read-modify-write pass over a 2048² float array
  // (bandwidth-bound, as the ideal law's update is).
  if (find(2048, 1) && find(2048, 2)) {
    std::cout << "\n2048x2048, two threads against one (paired windows)\n";
    double worst = 1e300;
    for (const auto& l : laws) {
      UpdateLoop loop(2048, devices[l], *scheme);
      const double s = thread_speedup([&] { loop.step(); }, 1, 2, window).ratio;
      j["thread_speedup_update_by_law"][l] = s;
      worst = std::min(worst, s);
      std::cout << "  update " << std::left << std::setw(24) << l << std::right << " x" << s
                << "\n";
    }
    if (!laws.empty()) j["thread_speedup_update"] = worst;
    ReadCase reads(2048, read_device);
    j["thread_speedup_forward_batch"] =
        thread_speedup([&] { reads.forward_batch(); }, 1, 2, window).ratio;
    const Matrix w = Matrix::Random(2048, 2048);
    const BatchMatrix x = BatchMatrix::Random(2048, 100);
    BatchMatrix y(2048, 100);
    j["thread_speedup_reference_gemm"] =
        thread_speedup([&] {
          parallel_rows(2048, [&](Index r0, Index r1) {
            y.middleRows(r0, r1 - r0).noalias() = w.middleRows(r0, r1 - r0) * x;
          }, 1024);
        }, 1, 2, window).ratio;
    Array a = Array::Zero(2048, 2048);
    j["thread_speedup_reference_stream"] =
        thread_speedup([&] {
          parallel_rows(2048, [&](Index r0, Index r1) {
            a.middleRows(r0, r1 - r0) += Scalar(1e-7);
          }, 64);
        }, 1, 2, window).ratio;
    std::cout << "  forward100 x" << j["thread_speedup_forward_batch"].get<double>()
              << "; machine: Eigen GEMM in two halves x"
              << j["thread_speedup_reference_gemm"].get<double>() << ", 16 MB stream x"
              << j["thread_speedup_reference_stream"].get<double>() << "\n";
  }
  // Growth with the array: exponent of update time vs devices from the smallest to the largest
  // size (1.0 = proportional to rows × cols).
  const Point* lo = find(sizes.front(), 1);
  const Point* hi = find(sizes.back(), 1);
  if (lo && hi && lo != hi)
    for (const auto& [law, u] : hi->updates)
      j["update_cost_exponent_vs_devices"][law] =
          std::log(u.us / lo->updates.at(law).us) /
          std::log(double(hi->n) * hi->n / (double(lo->n) * lo->n));
  j["table"] = nlohmann::json::array();
  for (const auto& p : points) {
    nlohmann::json row = {{"size", p.n},
                          {"threads", p.threads},
                          {"gemv_us", p.reads.gemv_us},
                          {"forward_us", p.reads.forward_us},
                          {"forward_ratio_vs_gemv", p.reads.forward_ratio},
                          {"gemm_b100_us", p.reads.gemm_us},
                          {"forward_b100_us", p.reads.forward_batch_us},
                          {"forward_batch_ratio_vs_gemm", p.reads.forward_batch_ratio},
                          {"forward_bm_rereads_per_read", p.reads.bm_rereads_per_read},
                          {"ns_per_normal", p.normal_ns}};
    for (const auto& [law, u] : p.updates)
      row["update"][law] = {{"us", u.us},
                            {"coincidences", u.coincidences},
                            {"ns_per_coincidence", u.ns_per_coincidence()},
                            {"ratio_vs_rng_floor", u.ns_per_coincidence() / p.normal_ns}};
    j["table"].push_back(row);
  }
  // Conv layers at one thread (LeNet-5's second layer; a VGG-style 3x3 layer), in every run
  // that times one thread and is not restricted to some laws.
  if (args.laws.empty() && std::find(thread_counts.begin(), thread_counts.end(), 1) != thread_counts.end()) {
    set_threads(1);
    std::cout << "\nconv layers, batch 16, 1 thread: tile forward on the patch rows vs Eigen "
                 "GEMM; im2col; the whole layer (im2col + tile layer read)\n";
    double worst = 0;
    for (const ConvTimes& c :
         {time_conv("lenet_conv2_6x14x14_k5_16", {6, 14, 14}, 16, 5, 0, read_device, window),
          time_conv("vgg_conv_32x14x14_k3_64", {32, 14, 14}, 64, 3, 1, read_device, window)}) {
      std::cout << "  " << std::left << std::setw(28) << c.name << std::right << " rows " << c.rows
                << " x " << c.fan_in << " -> " << c.out << ": gemm " << c.gemm_us << ", forward "
                << c.forward_us << " (x" << c.forward_ratio << "), im2col " << c.im2col_us
                << ", layer " << c.layer_us << "\n";
      j["conv"][c.name] = {{"patch_rows", c.rows},       {"fan_in", c.fan_in},
                           {"out_channels", c.out},      {"gemm_us", c.gemm_us},
                           {"forward_us", c.forward_us}, {"im2col_us", c.im2col_us},
                           {"layer_us", c.layer_us},
                           {"forward_ratio_vs_gemm", c.forward_ratio}};
      worst = std::max(worst, c.forward_ratio);
    }
    j["conv_forward_ratio_vs_gemm"] = worst;
    const ConvGrid grid = time_conv_grid(read_device, window / 2);
    std::cout << "  patch reads (1600 patches) / GEMM by fan_in (rows) and out channels "
                 "(columns 16 32 64 128):\n";
    for (std::size_t k = 0; k < grid.cells.size(); ++k) {
      const ConvGrid::Cell& c = grid.cells[k];
      if (k % 4 == 0) std::cout << "    fan_in " << std::setw(4) << c.fan_in << ":";
      std::cout << " " << std::fixed << std::setprecision(2) << c.ratio << std::defaultfloat
                << std::setprecision(6) << (k % 4 == 3 ? "\n" : "");
      j["conv_grid"].push_back(
          {{"fan_in", c.fan_in}, {"out_channels", c.out}, {"forward_ratio_vs_gemm", c.ratio}});
    }
    std::cout << "  fit: ratio = 1 + " << grid.per_input << "/out + " << grid.per_output
              << "/fan_in\n";
    j["conv_grid_fit"] = {{"per_input_value", grid.per_input},
                          {"per_output_value", grid.per_output}};
  }
  // The transfer family per mini-batch at 512², one thread, against stochastic_pulse.
  if (find(512, 1) && args.laws.empty()) {
    set_threads(1);
    const std::string plain = "{type: stochastic_pulse, desired_bl: " + std::to_string(kBl) + "}";
    const double base = time_batch_update(512, plain, window);
    std::cout << "\n512x512, 1 thread, mini-batch of 16 on soft_bounds: stochastic_pulse "
              << base << " us\n";
    for (const char* t : {"transfer", "buffered_transfer", "chopped_transfer",
                          "dynamic_transfer"}) {
      const double us = time_batch_update(512, std::string("{type: ") + t + "}", window);
      std::cout << "  " << std::left << std::setw(24) << t << std::right << std::setw(12) << us
                << " (x" << us / base << ")\n";
      j["transfer_update_ratio_by_scheme"][t] = us / base;
    }
    j["transfer_update_ratio"] = j["transfer_update_ratio_by_scheme"]["buffered_transfer"];
    // The scheme presets (sim/presets/schemes): the TTv2 family reads a column per sample, 16
    // per mini-batch here.
    for (const std::string& name : scheme_preset_names()) {
      std::ifstream in(scheme_preset_dir() + "/" + name + ".yaml");
      std::string yaml = "\n", line;
      while (std::getline(in, line)) yaml += "  " + line + "\n";
      const double us = time_batch_update(512, yaml, window);
      std::cout << "  preset " << std::left << std::setw(17) << name << std::right
                << std::setw(12) << us << " (x" << us / base << ")\n";
      j["transfer_update_ratio_by_preset"][name] = us / base;
    }
  }
  // Timed-mode (SystemC shell) overhead on the default training run, process CPU time; only
  // in the full run (a filtered run measures what it was asked for).
  if (!filtered) {
    const TimedBench tb = bench_timed_vs_functional("", args.quick ? 1 : 3);
    j["timed_vs_functional_ratio"] = tb.ratio();
    j["timed_bench_functional_s"] = tb.functional_s;
    j["timed_bench_timed_s"] = tb.timed_s;
  }
  std::cout << "\n";
  for (const char* key : {"forward_ratio_vs_gemv", "forward_batch_ratio_vs_gemm",
                          "conv_forward_ratio_vs_gemm", "update_ns_per_coincidence", "update_ratio_vs_rng_floor",
                          "thread_speedup_update", "thread_speedup_forward_batch",
                          "thread_speedup_reference_gemm", "thread_speedup_reference_stream",
                          "transfer_update_ratio", "timed_vs_functional_ratio"})
    if (j.contains(key)) std::cout << key << " " << j[key].get<double>() << "\n";
  if (!args.json.empty()) write_file_atomic(args.json, j.dump(2) + "\n");
  return 0;
}

}  // namespace xb::sim
