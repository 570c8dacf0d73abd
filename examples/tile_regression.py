# SPDX-License-Identifier: MIT
"""A tile trained in a NumPy loop: the 16 x 8 tile learns a random linear map y = A x by SGD
through stochastic pulses (the rank-one update of Gokmen & Vlasov 2016), on an ideal device and
on a soft-bounded ReRAM preset. Writes tile_regression.png."""
import os

import matplotlib.pyplot as plt
import numpy as np

import xbarsim

out = os.environ.get("XBARSIM_EXAMPLE_OUT", ".")
rng = np.random.default_rng(0)
A = rng.uniform(-0.4, 0.4, (8, 16)).astype(np.float32)
X = rng.uniform(-1, 1, (2000, 16)).astype(np.float32)
Y = X @ A.T

fig, ax = plt.subplots(figsize=(6, 4))
for device in ("ideal", "reram_sb"):
    tile = xbarsim.Tile(8, 16, device=device, scheme="stochastic_pulse", seed=1)
    losses = []
    for step in range(0, len(X), 10):
        x, y = X[step:step + 10], Y[step:step + 10]
        d = (tile.forward(x) - y) / len(x)  # gradient of the mean squared error / 2
        tile.update(x, d, lr=0.5)
        losses.append(0.5 * float(np.mean(np.sum((tile.forward(X[:200]) - Y[:200]) ** 2, 1))))
    ax.semilogy(losses, label=f"{device}: {tile.ledger['pulses_up'] + tile.ledger['pulses_down']} pulses")
ax.set_xlabel("mini-batch (10 samples)")
ax.set_ylabel("test loss")
ax.legend()
fig.tight_layout()
fig.savefig(os.path.join(out, "tile_regression.png"), dpi=100)
print("wrote", os.path.join(out, "tile_regression.png"))
