# SPDX-License-Identifier: MIT
"""xbarsim from Python: memristive crossbar tiles, device models and learning-rule runs.

The same simulator as the `xbarsim` command line (docs/python.md):

    import xbarsim
    r = xbarsim.run("sim/configs/quickstart.yaml", out="runs/py", seed=1)
    r.summary["weights_sha256"], r.metrics["test_loss"]

    tile = xbarsim.Tile(64, 32, device=xbarsim.Device("reram_sb"), scheme="stochastic_pulse")
    y = tile.forward(x)            # x: (batch, 32) float32, y: (batch, 64)
    tile.update(x, d, lr=0.01)     # W <- W - lr d x^T through pulses

Bad input raises ValueError (the CLI's exit 2, same message) or KeyError (an unknown name).
"""
import builtins
import csv
import json
import os
import tempfile

import numpy as np

from ._xbarsim import Device, Tile, __version__
from . import _xbarsim

__all__ = ["run", "validate", "list", "describe", "sweep", "device_response", "Device", "Tile",
           "Result", "SweepResult", "__version__"]


def read_csv(path):
    """A CSV table as a NumPy record array: numeric columns as float64, others as text."""
    with open(path, newline="") as f:
        rows = builtins.list(csv.reader(f))
    if not rows:
        return np.rec.array(np.zeros(0, dtype=[]))
    header, body = rows[0], rows[1:]
    columns = []
    for j, name in enumerate(header):
        cells = [r[j] if j < len(r) else "" for r in body]
        try:
            columns.append(np.array([float(c) if c != "" else np.nan for c in cells]))
        except ValueError:
            columns.append(np.array(cells, dtype=str))
    return np.rec.fromarrays(columns, names=header) if body else np.rec.array(
        np.zeros(0, dtype=[(h, "f8") for h in header]))


class Result:
    """A finished run: its folder, `summary` (summary.json as a dict), `metrics` (metrics.csv
    as a record array, or None), `config` (the effective config.yaml text) and `exit_code`
    (0, or 3 after a numerical failure, as the CLI)."""

    def __init__(self, path, exit_code):
        self.path = path
        self.exit_code = exit_code
        with open(os.path.join(path, "summary.json")) as f:
            self.summary = json.load(f)
        metrics = os.path.join(path, "metrics.csv")
        self.metrics = read_csv(metrics) if os.path.exists(metrics) else None
        with open(os.path.join(path, "config.yaml")) as f:
            self.config = f.read()

    @property
    def status(self):
        return self.summary.get("status")

    def __repr__(self):
        return f"xbarsim.Result({self.path!r}, status={self.status!r})"


class SweepResult:
    """A finished sweep: its folder and its tables (`results`, `results_mean`) as record arrays."""

    def __init__(self, path, exit_code):
        self.path = path
        self.exit_code = exit_code
        self.results = read_csv(os.path.join(path, "results.csv"))
        self.results_mean = read_csv(os.path.join(path, "results_mean.csv"))

    def __repr__(self):
        return f"xbarsim.SweepResult({self.path!r})"


def config_argument(config):
    """(text or path, is_text): a dict is passed as JSON text (JSON is YAML), a str or path-like
    names a YAML file."""
    if isinstance(config, dict):
        return json.dumps(config), True
    if isinstance(config, (str, os.PathLike)):
        return os.fspath(config), False
    raise TypeError("config must be a dict or the path of a YAML file")


def overrides(set):
    """--set KEY=VALUE pairs from a dict {dotted key: value}; values are written as YAML."""
    if set is None:
        return []
    return [f"{k}={json.dumps(v) if not isinstance(v, str) else v}" for k, v in set.items()]


def run(config, out=None, seed=None, mode="functional", set=None, trace=False, threads=1,
        force=False):
    """Runs one experiment config, as `xbarsim run`, and returns its Result.

    config: a dict (the YAML document as Python values) or the path of a YAML file.
    out:    the run folder; None makes a new temporary folder (Result.path names it).
    seed:   the master seed (overrides the config's `seed`).
    mode:   "functional" or "timed" (SystemC cycle-level timing; trace=True writes trace.vcd).
    set:    overrides {dotted key: value}, as --set.
    """
    text, is_text = config_argument(config)
    if out is None:
        out = tempfile.mkdtemp(prefix="xbarsim-run-")
        force = True
    code = _xbarsim.run(text, is_text, os.fspath(out), overrides(set),
                        "" if seed is None else str(int(seed)), mode, trace, threads, force)
    return Result(os.fspath(out), code)


def validate(config, set=None):
    """The effective config (YAML text) after overrides and presets, or ValueError."""
    text, is_text = config_argument(config)
    return _xbarsim.validate(text, is_text, overrides(set))


def list(what):
    """Registered names: devices, rules, schemes, tasks, experiments, presets, ..."""
    return _xbarsim.list(what)


def describe(name):
    """The parameters of a model or experiment as a list of dicts (name, default, unit,
    description, kind); a preset gives an empty list (its file is Device(name).config)."""
    return _xbarsim.describe(name)


def sweep(sweep_file, out=None, jobs=1, resume=False, force=False):
    """Runs a design-study sweep file, as `xbarsim sweep`, and returns its SweepResult."""
    if out is None:
        out = tempfile.mkdtemp(prefix="xbarsim-sweep-")
        os.rmdir(out)  # the sweep creates its folder
    code = _xbarsim.sweep(os.fspath(sweep_file), os.fspath(out), jobs, resume, force)
    if code != 0:  # a run of the sweep failed; its message was printed to stderr
        raise RuntimeError(f"sweep {sweep_file}: a run failed (exit code {code}); see stderr")
    return SweepResult(os.fspath(out), code)


def device_response(device, n_up=100, n_down=100, cycles=1, rows=4, cols=4, seed=1, **params):
    """A device's pulse response (the `device_response` experiment): the weights of a small
    array after each of n_up up and n_down down pulses, as a record array of metrics.

    device: a preset or law name, or a dict {type or preset: ..., parameters...}.
    """
    section = dict(device) if isinstance(device, dict) else (
        {"preset": device} if device in _xbarsim.list("presets") else {"type": device})
    section.update(params)
    config = {"experiment": {"type": "device_response", "n_up": n_up, "n_down": n_down,
                             "cycles": cycles, "rows": rows, "cols": cols},
              "device": section, "seed": seed}
    with tempfile.TemporaryDirectory(prefix="xbarsim-response-") as tmp:
        return run(config, out=os.path.join(tmp, "run")).metrics
