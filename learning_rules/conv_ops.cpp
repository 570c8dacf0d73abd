// SPDX-License-Identifier: MIT
#include "learning_rules/conv_ops.h"

#include <algorithm>

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

// Calls f(b, o, i0) for every sample b and window position (oy, ox) of a pooling: o = (oy·Wo +
// ox)·C is the output column of its channel 0 and i0 the input column of its window's first
// element; channel c of the window's element (ky, kx) is input column i0 + (ky·W + kx)·C + c
// and output column o + c. A window's C channels are contiguous in both tensors.
template <class F>
void for_each_window(const Pooling& p, Index batch, F&& f) {
  const Index C = p.in.c, W = p.in.w;
  for (Index b = 0; b < batch; ++b)
    for (Index oy = 0; oy < p.out.h; ++oy)
      for (Index ox = 0; ox < p.out.w; ++ox)
        f(b, (oy * p.out.w + ox) * C, (oy * p.stride * W + ox * p.stride) * C);
}

}  // namespace

MatrixD pool_forward(const Pooling& p, const MatrixD& x, PoolWinners& winners, bool reuse) {
  const Index batch = x.rows(), C = p.in.c, W = p.in.w, n = p.out.size();
  MatrixD y(batch, n);
  if (p.max && reuse) {
    for (Index b = 0; b < batch; ++b)
      for (Index o = 0; o < n; ++o) y(b, o) = x(b, winners[std::size_t(b * n + o)]);
    return y;
  }
  if (p.max) winners.resize(std::size_t(batch * n));
  const double inv = 1.0 / double(p.kernel * p.kernel);
  // The window's channels side by side, element (ky, kx) of all of them at once and without
  // branches: a max decided by a branch per element was mispredicted about every other time and
  // took about 30 % of a LeNet forward pass. Max: the first element starts, a later one wins only if
  // strictly larger (the first of equal values wins). Average: summed in window order.
  for_each_window(p, batch, [&](Index b, Index o, Index i0) {
    const double* in = &x(b, 0);
    double* out = &y(b, o);
    if (p.max) {
      int32_t* win = &winners[std::size_t(b * n + o)];
      for (Index c = 0; c < C; ++c) out[c] = in[i0 + c], win[c] = int32_t(i0 + c);
      for (Index ky = 0; ky < p.kernel; ++ky)
        for (Index kx = ky == 0 ? 1 : 0; kx < p.kernel; ++kx) {
          const Index i = i0 + (ky * W + kx) * C;
          for (Index c = 0; c < C; ++c) {
            const bool larger = in[i + c] > out[c];
            out[c] = larger ? in[i + c] : out[c];
            win[c] = larger ? int32_t(i + c) : win[c];
          }
        }
    } else {
      for (Index c = 0; c < C; ++c) out[c] = 0.0;
      for (Index ky = 0; ky < p.kernel; ++ky)
        for (Index kx = 0; kx < p.kernel; ++kx)
          for (Index c = 0; c < C; ++c) out[c] += in[i0 + (ky * W + kx) * C + c];
      for (Index c = 0; c < C; ++c) out[c] *= inv;
    }
  });
  return y;
}

MatrixD pool_backward(const Pooling& p, const MatrixD& dy, const PoolWinners& winners) {
  const Index batch = dy.rows(), C = p.in.c, W = p.in.w, n = p.out.size();
  MatrixD dx = MatrixD::Zero(batch, p.in.size());
  const double inv = 1.0 / double(p.kernel * p.kernel);
  if (p.max) {
    for (Index b = 0; b < batch; ++b)
      for (Index o = 0; o < n; ++o) dx(b, winners[std::size_t(b * n + o)]) += dy(b, o);
    return dx;
  }
  for_each_window(p, batch, [&](Index b, Index o, Index i0) {
    for (Index ky = 0; ky < p.kernel; ++ky)
      for (Index kx = 0; kx < p.kernel; ++kx)
        for (Index c = 0; c < C; ++c) dx(b, i0 + (ky * W + kx) * C + c) += dy(b, o + c) * inv;
  });
  return dx;
}

MatrixD reshaped(MatrixD m, Index rows, Index cols) {
  // Eigen keeps the storage (and so the row-major order) when the element count is unchanged.
  m.resize(rows, cols);
  return m;
}

}  // namespace xb::rules
