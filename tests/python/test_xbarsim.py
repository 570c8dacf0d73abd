# SPDX-License-Identifier: MIT
# The Python module against the command line and against independent NumPy computations.
# Run by ctest (python_tests) with PYTHONPATH=<build>/python and XBARSIM=<build>/sim/xbarsim.
import json
import os
import subprocess
import sys
import textwrap
import threading

import numpy as np
import pytest

import xbarsim

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CLI = os.environ.get("XBARSIM", os.path.join(ROOT, "build", "sim", "xbarsim"))
QUICK = os.path.join(ROOT, "sim", "configs", "quickstart.yaml")
SHORT = {"plot": False, "experiment.epochs": 2}


def cli(*args):
    return subprocess.run([CLI, *args], capture_output=True, text=True)


def cli_summary(tmp_path, *args):
    out = tmp_path / "cli"
    r = cli("run", QUICK, "--out", str(out), "--quiet",
            *sum((["--set", f"{k}={str(v).lower() if isinstance(v, bool) else v}"]
                  for k, v in SHORT.items()), []), *args)
    assert r.returncode == 0, r.stderr
    return json.loads((out / "summary.json").read_text())


# ---- runs equal the command line's -------------------------------------------------------

def test_run_equals_cli_weights_hash(tmp_path):
    expected = cli_summary(tmp_path, "--seed", "3")
    r = xbarsim.run(QUICK, out=tmp_path / "py", seed=3, set=SHORT)
    assert r.exit_code == 0 and r.status == "ok"
    assert r.summary["weights_sha256"] == expected["weights_sha256"]
    assert r.summary["ledger"] == expected["ledger"]
    assert r.metrics.dtype.names[0] == "step"
    assert np.isfinite(r.metrics["test_loss"]).any()


def test_dict_config_equals_file_config(tmp_path):
    config = {
        "device": {"preset": "gokmen_vlasov"},
        "task": {"type": "student_teacher", "inputs": 16, "outputs": 4, "teacher_hidden": [16],
                 "teacher_activation": "relu", "samples": 512, "test_samples": 512},
        "network": {"hidden": [32], "activation": "relu", "analog": True},
        "rule": {"type": "backprop"}, "scheme": {"type": "stochastic_pulse"},
        "experiment": {"type": "train", "epochs": 2, "batch": 8, "lr": 0.05, "eval_every": 64},
    }
    from_dict = xbarsim.run(config, seed=5)
    from_file = xbarsim.run(QUICK, seed=5, set=SHORT)
    assert from_dict.summary["weights_sha256"] == from_file.summary["weights_sha256"]


def test_timed_mode_equals_functional(tmp_path):
    timed = xbarsim.run(QUICK, out=tmp_path / "t", mode="timed", set=SHORT)
    functional = xbarsim.run(QUICK, out=tmp_path / "f", set=SHORT)
    assert timed.summary["weights_sha256"] == functional.summary["weights_sha256"]
    assert timed.summary["cycles"] > 0


def test_bad_config_raises_value_error_with_the_cli_message(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("experiment: {type: train, epochs: -1}\n")
    r = cli("validate", str(bad))
    assert r.returncode == 2
    with pytest.raises(ValueError) as e:
        xbarsim.validate(str(bad))
    assert str(e.value) in r.stderr
    with pytest.raises(ValueError, match="lr"):
        xbarsim.run(QUICK, set={"experiment.lr": "fast"})
    with pytest.raises(ValueError, match="mode"):
        xbarsim.run(QUICK, mode="slow")


def test_numerical_failure_is_recorded_not_raised(tmp_path):
    r = xbarsim.run(QUICK, out=tmp_path / "nan", set={**SHORT, "experiment.lr": 1e200})
    assert r.exit_code == 3 and r.status == "diverged"


def test_list_and_describe():
    assert "soft_bounds" in xbarsim.list("devices")
    assert "reram_sb" in xbarsim.list("presets")
    rows = xbarsim.describe("soft_bounds")
    assert any(r["name"] == "dw_min" and r["kind"] == "device" for r in rows)
    with pytest.raises(KeyError, match="did you mean"):
        xbarsim.describe("soft_bound")
    with pytest.raises(KeyError):
        xbarsim.list("gadgets")


def test_sweep(tmp_path):
    base = tmp_path / "base.yaml"
    base.write_text(open(QUICK).read().replace("plot: true", "plot: false"))
    sweep = tmp_path / "s.yaml"
    sweep.write_text(textwrap.dedent(f"""\
        base: {base}
        axes: {{experiment.epochs: [1, 2]}}
        seeds: [1]
        """))
    r = xbarsim.sweep(sweep, out=tmp_path / "out")
    assert r.exit_code == 0 and len(r.results) == 2
    with pytest.raises(ValueError, match="cannot open"):
        xbarsim.sweep(tmp_path / "missing.yaml")


# ---- tiles against NumPy ------------------------------------------------------------------

def perfect_tile(rows=6, cols=5, **kw):
    return xbarsim.Tile(rows, cols, periphery={"is_perfect": True}, seed=7, **kw)


def test_tile_reads_equal_numpy():
    t = perfect_tile()
    w = np.random.default_rng(1).uniform(-0.5, 0.5, (6, 5)).astype(np.float32)
    t.set_weights(w)
    np.testing.assert_array_equal(t.weights, w)
    x = np.random.default_rng(2).standard_normal((3, 5)).astype(np.float32)
    np.testing.assert_allclose(t.forward(x), x @ w.T, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(t.forward(x[0]), w @ x[0], rtol=1e-5, atol=1e-6)
    d = np.random.default_rng(3).standard_normal((4, 6)).astype(np.float32)
    np.testing.assert_allclose(t.backward(d), d @ w, rtol=1e-5, atol=1e-6)


def test_dtypes_and_orders_give_the_same_result():
    t = perfect_tile()
    t.set_weights(np.full((6, 5), 0.25))
    x = np.arange(15, dtype=np.float32).reshape(3, 5) / 10
    y = t.forward(x)
    np.testing.assert_array_equal(t.forward(x.astype(np.float64)), y)
    np.testing.assert_array_equal(t.forward(np.asfortranarray(x)), y)
    np.testing.assert_array_equal(t.forward(x.tolist()), y)
    with pytest.raises(ValueError, match=r"shape \(3, 4\)"):
        t.forward(x[:, :4])
    with pytest.raises(ValueError, match="complex"):
        t.forward(x.astype(np.complex64))
    with pytest.raises(ValueError, match="shape"):
        t.set_weights(np.zeros((5, 6)))
    with pytest.raises(ValueError, match="NaN"):
        t.forward(np.full((1, 5), np.nan))
    with pytest.raises(ValueError, match="NaN"):
        t.set_weights(np.full((6, 5), np.inf))
    with pytest.raises(ValueError, match="lr"):
        t.update(x, np.ones((3, 6)), lr=float("nan"))


def test_ideal_update_equals_the_outer_product():
    t = perfect_tile()
    w0 = np.random.default_rng(4).uniform(-0.3, 0.3, (6, 5)).astype(np.float32)
    t.set_weights(w0)
    x = np.random.default_rng(5).standard_normal((2, 5)).astype(np.float32)
    d = np.random.default_rng(6).standard_normal((2, 6)).astype(np.float32)
    rep = t.update(x, d, lr=0.1, report=True)
    np.testing.assert_allclose(t.weights, w0 - 0.1 * d.T @ x, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(rep["intended"], -0.1 * d.T @ x, rtol=1e-5, atol=1e-6)


def test_pulsed_tile_counts_pulses_and_is_deterministic_by_seed():
    def trained(seed):
        t = xbarsim.Tile(8, 8, device=xbarsim.Device("gokmen_vlasov"),
                         scheme={"type": "stochastic_pulse", "desired_bl": 31}, seed=seed)
        x = np.random.default_rng(0).uniform(-1, 1, (4, 8)).astype(np.float32)
        d = np.random.default_rng(1).uniform(-1, 1, (4, 8)).astype(np.float32)
        rep = t.update(x, d, lr=0.05)
        t.forward(x)
        return t, rep
    a, rep = trained(11)
    b, _ = trained(11)
    c, _ = trained(12)
    assert rep["pulses_up"] + rep["pulses_down"] > 0
    np.testing.assert_array_equal(a.weights, b.weights)
    assert not np.array_equal(a.weights, c.weights)
    ledger = a.ledger
    assert ledger["pulses_up"] == rep["pulses_up"] and ledger["forward_passes"] == 4
    assert ledger["write_energy_J"] > 0 and ledger["read_energy_J"] > 0


def test_fork_shares_weights_and_draws_new_noise():
    t = xbarsim.Tile(8, 8, device="gokmen_vlasov", scheme="stochastic_pulse", seed=3)
    f = t.fork(1)
    np.testing.assert_array_equal(f.weights, t.weights)
    x = np.ones((1, 8), np.float32)
    assert not np.array_equal(f.forward(x), t.forward(x))  # read noise keyed by the fork
    assert f.ledger["forward_passes"] == 1


def test_scheme_presets_build_transfer_tiles():
    x = np.random.default_rng(1).uniform(-1, 1, (4, 6)).astype(np.float32)
    d = np.random.default_rng(2).uniform(-1, 1, (4, 5)).astype(np.float32)
    for scheme in ("ttv2", {"preset": "agad", "in_chop_prob": 0.5}):
        t = xbarsim.Tile(5, 6, device="reram_sb", scheme=scheme, seed=2)
        t.update(x, d, 0.1)
        assert t.ledger["transfers"] == 1  # one transfer of 4 columns (a column per sample)
    with pytest.raises(ValueError, match="unknown preset"):
        xbarsim.Tile(2, 2, scheme={"preset": "ttv3"})


def test_device_arguments_are_checked():
    d = xbarsim.Device("soft_bounds", dw_min=0.01)
    assert "dw_min: 0.01" in d.config
    assert d.law == "soft_bounds" and xbarsim.Device("reram_sb").law == "soft_bounds_reference"
    assert [r["name"] for r in d.parameters] == [r["name"] for r in xbarsim.describe("soft_bounds")]
    with pytest.raises(ValueError, match="dw_mn"):
        xbarsim.Device("soft_bounds", dw_mn=0.01)
    with pytest.raises(ValueError, match="soft_bound"):
        xbarsim.Device("soft_bound")
    with pytest.raises(ValueError, match="unknown scheme"):
        xbarsim.Tile(2, 2, scheme="stochastic")
    with pytest.raises(ValueError, match="out_noise"):
        xbarsim.Tile(2, 2, periphery={"out_noise": -1})
    with pytest.raises(TypeError):
        xbarsim.Tile(2, 2, seed="one")


def test_device_response():
    m = xbarsim.device_response("soft_bounds", n_up=20, n_down=20, dw_min=0.01)
    assert len(m) > 0 and np.all(np.isfinite(m["w_mean"]))


def test_tile_is_safe_to_share_between_threads():
    t = perfect_tile(64, 64)
    x = np.ones((16, 64), np.float32)
    errors = []

    def work():
        try:
            for _ in range(200):
                t.forward(x)
        except Exception as e:  # noqa: BLE001 - collected and asserted below
            errors.append(e)
    threads = [threading.Thread(target=work) for _ in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert not errors and t.ledger["forward_passes"] == 4 * 200 * 16


def test_help_lists_the_parameters():
    doc = xbarsim.Tile.__doc__
    for key in ("inp_res", "out_noise", "w_init", "stochastic_pulse", "e_pulse"):
        assert key in doc
    assert "reram_sb" in xbarsim.Device.__doc__


def test_float32_input_is_not_copied():
    # A 4096 x 4096 float32 batch (64 MiB) read by a perfect 8 x 4096 tile: the process's peak
    # memory must not grow by a copy of the input.
    code = textwrap.dedent("""\
        import resource, numpy as np, xbarsim
        t = xbarsim.Tile(8, 4096, periphery={"is_perfect": True})
        x = np.ones((4096, 4096), np.float32)
        t.forward(x[:2])
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        y = t.forward(x)
        after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        print((after - before) / 1024.0)
        """)
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                       env=os.environ)
    assert r.returncode == 0, r.stderr
    grown_mib = float(r.stdout)
    assert grown_mib < 16, f"peak memory grew by {grown_mib} MiB"


def test_examples_run(tmp_path):
    folder = os.path.join(ROOT, "examples")
    env = dict(os.environ, MPLBACKEND="Agg", XBARSIM_EXAMPLE_OUT=str(tmp_path))
    for name in sorted(os.listdir(folder)):
        if name.endswith(".py"):
            r = subprocess.run([sys.executable, os.path.join(folder, name)], capture_output=True,
                               text=True, env=env, cwd=tmp_path)
            assert r.returncode == 0, f"{name}: {r.stderr}"
    assert len([f for f in os.listdir(tmp_path) if f.endswith(".png")]) >= 3


# ---- weights.npz --------------------------------------------------------------------------

def test_weights_npz_is_numpy_readable_and_matches_the_hash(tmp_path):
    import hashlib
    summary = cli_summary(tmp_path, "--set", "experiment.save_devices=true")
    z = np.load(tmp_path / "cli" / "weights.npz")
    assert sorted(z.files) == ["W0", "W1", "b0", "b1", "dev0", "dev1"]
    assert z["W0"].shape == (32, 16) and z["W0"].dtype == np.float64
    assert z["dev0"].dtype == np.float32
    # weights_sha256 hashes the parameters as doubles, layer by layer: W row-major, then b.
    flat = np.concatenate([z["W0"].ravel(), z["b0"], z["W1"].ravel(), z["b1"]])
    assert hashlib.sha256(flat.astype("<f8").tobytes()).hexdigest() == summary["weights_sha256"]
    # A single-device tile reads its device weights directly.
    assert np.allclose(z["dev0"], z["W0"], atol=1e-6)


def test_inference_after_training_draws_its_figure(tmp_path):
    task = ("task: {type: student_teacher, inputs: 8, outputs: 2, teacher_hidden: [8], "
            "samples: 64, test_samples: 64}\n"
            "network: {hidden: [6], analog: false}\n")
    (tmp_path / "train.yaml").write_text(task + "experiment: {type: train, steps: 50, lr: 0.05}\n")
    r = cli("run", str(tmp_path / "train.yaml"), "--out", str(tmp_path / "trained"), "--quiet")
    assert r.returncode == 0, r.stderr
    (tmp_path / "inf.yaml").write_text(
        task + f"experiment: {{type: inference, repeats: 2, weights: {tmp_path / 'trained'}}}\n"
        "plot: true\n")
    r = cli("run", str(tmp_path / "inf.yaml"), "--out", str(tmp_path / "inf"), "--quiet")
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "inf" / "inference.png").stat().st_size > 0
    per_chip = np.genfromtxt(tmp_path / "inf" / "per_chip.csv", delimiter=",", names=True)
    assert len(per_chip) == 2 * 6 and np.all(np.isfinite(per_chip["test_loss"]))
