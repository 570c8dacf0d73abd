# SPDX-License-Identifier: MIT
"""What a call from Python adds to a tile read (docs/python.md): Tile.forward on a 64 x 64 tile
called from a Python loop against the same call in a C++ loop (Tile.forward_loop_seconds), one
sample and a batch of 100, default and perfect periphery; best of 7 rounds each.
Run: PYTHONPATH=build/python python3 sim/bench/python_overhead.py"""
import timeit

import numpy as np

import xbarsim


def best_of(f, repeats, rounds=7):
    return min(timeit.repeat(f, number=repeats, repeat=rounds)) / repeats


print(f"{'periphery':10s} {'batch':>5s} {'C++ us':>8s} {'Python us':>10s} {'added us':>9s}")
for periphery in ({}, {"is_perfect": True}):
    tile = xbarsim.Tile(64, 64, device="gokmen_vlasov", periphery=periphery, seed=1)
    for batch in (1, 100):
        x = np.random.default_rng(0).uniform(-1, 1, (batch, 64)).astype(np.float32)
        repeats = 20000 if batch == 1 else 2000
        cpp = min(tile.forward_loop_seconds(x, repeats) for _ in range(7))
        py = best_of(lambda: tile.forward(x), repeats)
        name = "perfect" if periphery else "default"
        print(f"{name:10s} {batch:5d} {cpp * 1e6:8.2f} {py * 1e6:10.2f} {(py - cpp) * 1e6:9.2f}")
