// SPDX-License-Identifier: MIT
#include "hw_models/periphery/periphery.h"

#include <cmath>

namespace xb::hw {

void PeripheryParams::validate(const Scope& s) const {
  s.require(std::isfinite(inp_bound), "inp_bound", inp_bound, "must be finite");
  s.require(std::isfinite(out_bound), "out_bound", out_bound, "must be finite");
  s.require(inp_res < 1.0, "inp_res", inp_res, "must be < 1 (a fraction of the range; <= 0: off)");
  s.require(out_res < 1.0, "out_res", out_res, "must be < 1 (a fraction of the range; <= 0: off)");
  s.require(!(inp_res > 0 && inp_bound <= 0), "inp_res", inp_res,
            "needs inp_bound > 0 (quantisation steps are fractions of the range)");
  s.require(!(out_res > 0 && out_bound <= 0), "out_res", out_res,
            "needs out_bound > 0 (quantisation steps are fractions of the range)");
  s.require_ge("out_noise", out_noise, 0.0);
  s.require_ge("w_noise", w_noise, 0.0);
  s.require_in("ir_drop", ir_drop, 0.0, 1.0);
  s.require_one_of("noise_management", noise_management, {"none", "abs_max"});
  s.require_one_of("bound_management", bound_management, {"none", "iterative"});
  s.require_ge("max_bm_factor", max_bm_factor, 1.0);
}

}  // namespace xb::hw
