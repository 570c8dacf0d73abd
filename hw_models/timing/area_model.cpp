// SPDX-License-Identifier: MIT
#include "hw_models/timing/area_model.h"

#include <cmath>

namespace xb::timing {

void AreaParams::validate(const Scope& s) const {
  s.require(std::isfinite(feature_size) && feature_size >= 1e-9 && feature_size <= 1e-6,
            "feature_size", feature_size, "must be a node from 1 nm to 1 µm");
  s.require(std::isfinite(cell_f2) && cell_f2 >= 1 && cell_f2 <= 1e4, "cell_f2", cell_f2,
            "must be from 1 to 1e4 F²");
  for (const auto& [key, v] : {std::pair<const char*, double>{"adc", adc}, {"dac", dac},
                               {"sample_hold", sample_hold}, {"driver", driver}})
    s.require(std::isfinite(v) && v >= 0 && v <= 1e-6, key, v, "must be an area from 0 to 1 mm²");
}

nlohmann::ordered_json TileArea::to_json_um2() const {
  nlohmann::ordered_json j;
  j["array"] = array * 1e12;
  j["adc"] = adc * 1e12;
  j["dac"] = dac * 1e12;
  j["sample_hold"] = sample_hold * 1e12;
  j["drivers"] = drivers * 1e12;
  j["total"] = total() * 1e12;
  return j;
}

TileArea tile_area(Index rows, Index cols, int devices, bool backward, int adc_share,
                   const AreaParams& p) {
  TileArea a;
  const double r = double(rows), c = double(cols);
  a.array = r * c * double(devices) * p.cell_f2 * p.feature_size * p.feature_size;
  // Forward: inputs on the columns, outputs on the rows; backward the other way round.
  double adcs = std::ceil(r / adc_share), in_lines = c, out_lines = r;
  if (backward) adcs += std::ceil(c / adc_share), in_lines += r, out_lines += c;
  a.adc = adcs * p.adc;
  a.dac = in_lines * p.dac;
  a.sample_hold = out_lines * p.sample_hold;
  a.drivers = (r + c) * p.driver;  // every row and column line drives update pulses
  return a;
}

}  // namespace xb::timing
