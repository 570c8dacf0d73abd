# SPDX-License-Identifier: MIT
"""A device's pulse response: mean weight of a small array after each of 200 up and 200 down
pulses, for three device presets (the curves that Gokmen & Vlasov 2016, Fig. 2, and the peers'
device plots show). Writes device_pulse_response.png."""
import os

import matplotlib.pyplot as plt

import xbarsim

out = os.environ.get("XBARSIM_EXAMPLE_OUT", ".")
fig, ax = plt.subplots(figsize=(6, 4))
for preset in ("gokmen_vlasov", "reram_sb", "ecram"):
    m = xbarsim.device_response(preset, n_up=200, n_down=200, rows=8, cols=8)
    ax.plot(m["pulse"] + (m["direction"] == "down") * 200, m["w_mean"], label=preset)
ax.set_xlabel("pulse (200 up, then 200 down)")
ax.set_ylabel("mean weight")
ax.legend()
fig.tight_layout()
fig.savefig(os.path.join(out, "device_pulse_response.png"), dpi=100)
print("wrote", os.path.join(out, "device_pulse_response.png"))
