// SPDX-License-Identifier: MIT
// A network as a list of layers, planned against the task's input shape.
//
// `network.layers` is a YAML list of maps, e.g. LeNet-5 on 1x28x28 images:
//   - {type: conv2d, channels: 6, kernel: 5, padding: 2}
//   - {type: max_pool, kernel: 2}
//   - {type: conv2d, channels: 16, kernel: 5}
//   - {type: max_pool, kernel: 2}
//   - {type: flatten}
//   - {type: linear, width: 120}
//   - {type: linear, width: 84}
//   - {type: linear}                 # the output layer: its width is the task's
// `network.hidden: [h1, h2]` stays as the shorthand for linear layers on the flattened input.
//
// Every parameter layer (conv2d, linear) is one matrix product W (fan_out x fan_in) on "rows":
// a linear layer has one row per sample; a conv2d layer has one row per sample and output
// position, holding that position's input patch (im2col, Chellapilla et al. 2006), so a conv
// layer maps onto a tile as out_channels x (kernel·kernel·in_channels) and one batch of images
// is one batched read. Every parameter layer but the last is followed by the network's
// activation and then by its pooling layers.
//
// Tensors are channel-last (height, width, channel; TensorFlow's NHWC): sample b of a tensor
// is one matrix row, element (y, x, c) at column (y·W + x)·C + c. A conv layer's output rows
// (sample b, position p) x channels are then the same numbers, in the same order, as the
// tensor: reshaping costs nothing. Patch columns are ordered (ky, kx, c), so each patch is
// `kernel` contiguous runs of kernel·C inputs. (PyTorch orders weights (c, ky, kx): a weight
// imported from it must be permuted.)
#pragma once

#include <string>
#include <vector>

#include "hw_models/core/params.h"
#include "hw_models/core/types.h"

namespace xb::rules {

// A tensor's shape per sample: channels x height x width (a flat vector is n x 1 x 1).
struct Shape {
  Index c = 1, h = 1, w = 1;
  Index size() const { return c * h * w; }
  bool flat() const { return h == 1 && w == 1; }
  std::string str() const;
};

// Max or average over kernel x kernel windows, `stride` apart, per channel (no padding).
struct Pooling {
  bool max = true;
  Index kernel = 2, stride = 2;
  Shape in, out;
};

// One parameter layer: conv2d (im2col rows) or linear (one row per sample).
struct LayerGeometry {
  bool conv = false;
  Shape in;  // the input tensor
  Index kernel = 1, stride = 1, padding = 0;
  Shape out;  // the output tensor, before pooling
  bool analog = false;
  std::vector<Pooling> pools;  // after the activation
  Index positions() const { return out.h * out.w; }  // rows per sample
  Index fan_in() const { return conv ? kernel * kernel * in.c : in.size(); }
  Index fan_out() const { return out.c; }
  Index units() const { return out.size(); }  // outputs per sample before pooling
  // The tensor passed on to the next layer.
  Shape next() const { return pools.empty() ? out : pools.back().out; }
};

// Checks the form of every record (types, keys, values); shapes are checked by plan_layers,
// which knows the input. Errors name `network.layers[i].key`.
void validate_layer_records(const Scope& s, const std::string& name, const Records& layers);

// The parameter layers of `layers` (or, when it is empty, of the `hidden` shorthand) on inputs
// of shape `input` with `outputs` outputs. `analog` is the default of layers that do not set
// their own. Fails through `s` when a layer does not fit its input, naming `name`[i].
std::vector<LayerGeometry> plan_layers(const Scope& s, const Records& layers,
                                       const std::vector<int>& hidden, bool analog, Shape input,
                                       Index outputs, const std::string& name = "layers");

}  // namespace xb::rules
