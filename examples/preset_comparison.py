# SPDX-License-Identifier: MIT
"""A design study from Python: the quick-start network (16-32-4, backprop, stochastic pulses)
trained on four device presets with two seeds each through xbarsim.run, final test loss as a bar
chart with the seed range. Writes preset_comparison.png."""
import os

import matplotlib.pyplot as plt
import numpy as np

import xbarsim

out = os.environ.get("XBARSIM_EXAMPLE_OUT", ".")
here = os.path.dirname(os.path.abspath(__file__))
config = os.path.join(here, "..", "sim", "configs", "quickstart.yaml")
presets = ["gokmen_vlasov", "reram_sb", "reram_es", "ecram"]
losses = []
for preset in presets:
    per_seed = []
    for seed in (1, 2):
        r = xbarsim.run(config, seed=seed, set={"device.preset": preset, "plot": False,
                                                 "experiment.epochs": 4})
        per_seed.append(r.summary["final_test_loss"])
    losses.append(per_seed)
losses = np.array(losses)
fig, ax = plt.subplots(figsize=(6, 4))
mean = losses.mean(1)
ax.bar(presets, mean, yerr=[mean - losses.min(1), losses.max(1) - mean], capsize=4)
ax.set_ylabel("final test loss (2 seeds)")
fig.tight_layout()
fig.savefig(os.path.join(out, "preset_comparison.png"), dpi=100)
for p, l in zip(presets, losses):
    print(f"{p:14s} {l.mean():.4f}")
