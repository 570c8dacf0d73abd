// SPDX-License-Identifier: MIT
#include "learning_rules/conv_ops.h"

#include <algorithm>
#include <limits>

namespace xb::rules {

namespace {

// Calls f(b·P + p, ky, in_col, out_col, len) for every patch run of `kernel`·C inputs that lies
// inside the image (runs clipped at the padded borders): patch row, kernel row, first input
// column, first patch column, run length.
template <class F>
void for_each_run(const LayerGeometry& g, Index batch, F&& f) {
  const Index C = g.in.c, W = g.in.w, H = g.in.h, k = g.kernel;
  const Index P = g.positions();
  for (Index b = 0; b < batch; ++b)
    for (Index oy = 0; oy < g.out.h; ++oy)
      for (Index ox = 0; ox < g.out.w; ++ox) {
        const Index row = b * P + oy * g.out.w + ox;
        const Index x0 = ox * g.stride - g.padding;
        const Index kx0 = std::max<Index>(0, -x0), kx1 = std::min<Index>(k, W - x0);
        if (kx1 <= kx0) continue;
        for (Index ky = 0; ky < k; ++ky) {
          const Index iy = oy * g.stride - g.padding + ky;
          if (iy < 0 || iy >= H) continue;
          f(b, row, ((iy * W) + x0 + kx0) * C, (ky * k + kx0) * C, (kx1 - kx0) * C);
        }
      }
}

}  // namespace

MatrixD im2col(const LayerGeometry& g, const MatrixD& x) {
  const Index batch = x.rows();
  MatrixD cols(batch * g.positions(), g.fan_in());
  if (g.padding > 0) cols.setZero();  // else every entry is written below
  for_each_run(g, batch, [&](Index b, Index row, Index in, Index out, Index len) {
    cols.row(row).segment(out, len) = x.row(b).segment(in, len);
  });
  return cols;
}

MatrixD col2im(const LayerGeometry& g, const MatrixD& cols) {
  const Index batch = cols.rows() / g.positions();
  MatrixD x = MatrixD::Zero(batch, g.in.size());
  for_each_run(g, batch, [&](Index b, Index row, Index in, Index out, Index len) {
    x.row(b).segment(in, len) += cols.row(row).segment(out, len);
  });
  return x;
}

namespace {

// Calls f(b, o, i0) for every sample b and output element o = (oy·Wo + ox)·C + c of a pooling,
// i0 being the input column of its window's first element; the window's element (ky, kx) is
// column i0 + (ky·W + kx)·C.
template <class F>
void for_each_window(const Pooling& p, Index batch, F&& f) {
  const Index C = p.in.c, W = p.in.w;
  for (Index b = 0; b < batch; ++b)
    for (Index oy = 0; oy < p.out.h; ++oy)
      for (Index ox = 0; ox < p.out.w; ++ox)
        for (Index c = 0; c < C; ++c)
          f(b, (oy * p.out.w + ox) * C + c, (oy * p.stride * W + ox * p.stride) * C + c);
}

}  // namespace

MatrixD pool_forward(const Pooling& p, const MatrixD& x, PoolWinners& winners, bool reuse) {
  const Index batch = x.rows(), C = p.in.c, W = p.in.w, n = p.out.size();
  MatrixD y(batch, n);
  if (p.max && !reuse) winners.assign(std::size_t(batch * n), 0);
  const double inv = 1.0 / double(p.kernel * p.kernel);
  for_each_window(p, batch, [&](Index b, Index o, Index i0) {
    int32_t* win = p.max ? &winners[std::size_t(b * n + o)] : nullptr;
    if (p.max && reuse) return void(y(b, o) = x(b, *win));
    double acc = p.max ? -std::numeric_limits<double>::infinity() : 0.0;
    for (Index ky = 0; ky < p.kernel; ++ky)
      for (Index kx = 0; kx < p.kernel; ++kx) {
        const Index i = i0 + (ky * W + kx) * C;
        const double v = x(b, i);
        if (!p.max) {
          acc += v;
        } else if (v > acc) {  // the first of equal values wins
          acc = v;
          *win = int32_t(i);
        }
      }
    y(b, o) = p.max ? acc : acc * inv;
  });
  return y;
}

MatrixD pool_backward(const Pooling& p, const MatrixD& dy, const PoolWinners& winners) {
  const Index batch = dy.rows(), C = p.in.c, W = p.in.w, n = p.out.size();
  MatrixD dx = MatrixD::Zero(batch, p.in.size());
  const double inv = 1.0 / double(p.kernel * p.kernel);
  for_each_window(p, batch, [&](Index b, Index o, Index i0) {
    if (p.max) return void(dx(b, winners[std::size_t(b * n + o)]) += dy(b, o));
    for (Index ky = 0; ky < p.kernel; ++ky)
      for (Index kx = 0; kx < p.kernel; ++kx) dx(b, i0 + (ky * W + kx) * C) += dy(b, o) * inv;
  });
  return dx;
}

MatrixD reshaped(MatrixD m, Index rows, Index cols) {
  // Eigen keeps the storage (and so the row-major order) when the element count is unchanged.
  m.resize(rows, cols);
  return m;
}

}  // namespace xb::rules
