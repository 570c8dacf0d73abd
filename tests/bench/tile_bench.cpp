// SPDX-License-Identifier: MIT
// Google Benchmark suite for the tile kernels (not run by ctest; `xbarsim bench` gives the
// headline ratios). Run: build-*/tests/tile_bench [--benchmark_filter=Forward]
#include <benchmark/benchmark.h>

#include <memory>

#include "hw_models/core/config.h"
#include "hw_models/core/parallel.h"
#include "hw_models/crossbar/tile.h"
#include "hw_models/devices/device_model.h"
#include "hw_models/update/update_scheme.h"

namespace {

using namespace xb;

std::shared_ptr<const hw::DeviceModel> device(const char* type) {
  const char* t = hw::device_registry().find(type) ? type : "ideal";
  Config cfg = Config::from_string(std::string("device: {type: ") + t + "}", "bench");
  return std::shared_ptr<const hw::DeviceModel>(hw::device_registry().create(Scope(cfg, "device")));
}

BatchMatrix uniform(Index r, Index c, uint64_t seed) {
  Rng rng(seed, Stream::data);
  BatchMatrix m(r, c);
  for (Index j = 0; j < c; ++j)
    for (Index i = 0; i < r; ++i) m(i, j) = Scalar(2 * rng.uniform() - 1);
  return m;
}

// Args: size, batch, threads.
void BM_EigenGemm(benchmark::State& st) {
  const Index n = st.range(0), b = st.range(1);
  const Matrix w = uniform(n, n, 1);
  const BatchMatrix x = uniform(n, b, 2);
  BatchMatrix y(n, b);
  for (auto _ : st) {
    y.noalias() = w * x;
    benchmark::DoNotOptimize(y.data());
  }
}
BENCHMARK(BM_EigenGemm)
    ->Args({512, 1, 1})
    ->Args({512, 100, 1})
    ->Args({2048, 1, 1})
    ->Unit(benchmark::kMicrosecond);

// Args: size, batch, threads, perfect periphery (0/1).
void BM_TileForward(benchmark::State& st) {
  const Index n = st.range(0), b = st.range(1);
  set_threads(int(st.range(2)));
  hw::PeripheryParams pp;
  pp.is_perfect = st.range(3) != 0;
  hw::Tile tile(hw::TileParams{}, pp, device("ideal"), n, n, 1, 0);
  tile.set_weights(uniform(n, n, 1) * Scalar(0.3));
  const BatchMatrix x = uniform(n, b, 2);
  BatchMatrix y;
  for (auto _ : st) {
    tile.forward(x, y);
    benchmark::DoNotOptimize(y.data());
  }
  set_threads(1);
}
BENCHMARK(BM_TileForward)
    ->Args({512, 1, 1, 0})
    ->Args({512, 100, 1, 0})
    ->Args({2048, 1, 1, 0})
    ->Args({2048, 1, 1, 1})
    ->Args({2048, 1, 2, 0})
    ->Args({2048, 100, 2, 0})
    ->Unit(benchmark::kMicrosecond);

// Plain GEMV on the tile's own weight matrix: separates the periphery from memory effects.
void BM_TileWeightsGemv(benchmark::State& st) {
  const Index n = st.range(0);
  hw::Tile tile(hw::TileParams{}, hw::PeripheryParams{}, device("ideal"), n, n, 1, 0);
  tile.set_weights(uniform(n, n, 1) * Scalar(0.3));
  const Vector x = uniform(n, 1, 2);
  Vector y(n);
  for (auto _ : st) {
    y.noalias() = tile.weights() * x;
    benchmark::DoNotOptimize(y.data());
  }
}
BENCHMARK(BM_TileWeightsGemv)->Arg(2048)->Unit(benchmark::kMicrosecond);

void BM_StochasticPulseUpdate(benchmark::State& st) {
  const Index n = st.range(0);
  set_threads(int(st.range(1)));
  Config cfg = Config::from_string("scheme: {type: stochastic_pulse}", "bench");
  hw::Tile tile(hw::TileParams{}, hw::PeripheryParams{}, device("constant_step"), n, n, 1, 0,
                hw::scheme_registry().create(Scope(cfg, "scheme")));
  const BatchMatrix x = uniform(n, 1, 3), d = uniform(n, 1, 4);
  hw::UpdateRequest req;
  req.x = &x;
  req.d = &d;
  // lr = dw_min·BL, the peer's pulse density (~7.8 coincidences per device, see sim/bench.cpp);
  // its sign alternates so that the repeated sample does not drive the weights to the bounds.
  req.lr = 0.001 * 31;
  req.report_dw = false;
  uint64_t coincidences = 0;
  for (auto _ : st) {
    req.lr = -req.lr;
    const hw::UpdateReport rep = tile.update(req);
    coincidences += rep.pulses_up + rep.pulses_down;
  }
  st.counters["coincidences"] =
      benchmark::Counter(double(coincidences), benchmark::Counter::kIsRate);
  set_threads(1);
}
BENCHMARK(BM_StochasticPulseUpdate)
    ->Args({512, 1})
    ->Args({512, 2})
    ->Args({2048, 2})
    ->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
