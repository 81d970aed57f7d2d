"""Grokking on modular addition (labhelpers.grokking.modular and modular_results).

The data set is checked pair by pair; the trainer for determinism and for stacking (a configuration trained
alone gives the run it gets in the stack); one small run (p = 23, two configurations, about 2 s) checks that
the default groks late and the upstream initialisation shortens the delay; the results file is written,
read back and refused when broken. The shipped full-scale run is read and its delays checked.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from labhelpers import grokking as gk
from labhelpers.grokking import modular as gm
from labhelpers.grokking import modular_results as mr
from labhelpers.runs import results_file

pytestmark = pytest.mark.usefixtures("one_torch_thread")

SMALL = {"steps": 2000, "width": 192, "eval_every": 25}
TINY = {"steps": 30, "width": 16, "eval_every": 10}


@pytest.fixture(scope="module")
def small_run() -> gm.ModularHistory:
    return gk.train_modular(gk.modular_dataset(23, 0.6, seed=0), gk.MODULAR_CONFIGS[:2], **SMALL)


# ---------------------------------------------------------------------------- the data
@pytest.mark.parametrize("p", [2, 7, 23])
def test_dataset_holds_every_pair_once_with_its_sum(p):
    data = gk.modular_dataset(p, 0.5, seed=1)
    assert data.pairs.shape == (p * p, 2)
    assert len({tuple(pair) for pair in data.pairs.tolist()}) == p * p  # every pair, once
    np.testing.assert_array_equal(data.labels, (data.pairs[:, 0] + data.pairs[:, 1]) % p)
    assert data.n_train == round(0.5 * p * p) and data.n_train + data.n_test == p * p
    assert np.intersect1d(data.train, data.test).size == 0
    np.testing.assert_array_equal(np.sort(np.r_[data.train, data.test]), np.arange(p * p))


def test_dataset_split_is_seeded():
    first, again, other = (gk.modular_dataset(23, 0.6, seed=s) for s in (3, 3, 4))
    np.testing.assert_array_equal(first.train, again.train)
    assert not np.array_equal(first.train, other.train)


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"p": 1}, "p"),
        ({"p": 7.0}, "p"),
        ({"p": 2**13}, "p"),
        ({"train_fraction": 0.0}, "train_fraction"),
        ({"train_fraction": 1.0}, "train_fraction"),
        ({"train_fraction": 1.5}, "train_fraction"),
        ({"seed": -1}, "seed"),
    ],
)
def test_dataset_refuses_bad_arguments(kwargs, name):
    with pytest.raises(ValueError, match=name):
        gk.modular_dataset(**{"p": 7, "train_fraction": 0.5, **kwargs})


# ---------------------------------------------------------------------------- the model and trainer
def test_configs_ratio_factors():
    factors = {c.name: c.ratio_factor for c in gk.MODULAR_CONFIGS}
    assert factors["default"] == 1.0
    assert factors["upstream"] == pytest.approx(0.01, rel=1e-12)
    assert factors["upstream, same output"] == pytest.approx(1.0, rel=1e-12)  # only the balance changes
    assert factors["weight downscaling"] == pytest.approx(0.027, rel=1e-12)
    assert factors["target upscaling"] == pytest.approx(0.1) and factors["output downscaling"] == pytest.approx(0.1)


def test_forward_is_gromovs_quadratic_network():
    params = gk.init_modular(gk.MODULAR_CONFIGS[:2], 5, 8, seed=2)
    a, b = torch.tensor([0, 3, 4]), torch.tensor([1, 1, 2])
    out = gk.modular_forward(params, a, b, torch.tensor([1.0, 0.5]).view(2, 1, 1))
    U, V, W = (params[k].detach() for k in "UVW")
    for r, c in enumerate((1.0, 0.5)):
        for k in range(3):
            expected = c * ((U[r, a[k]] + V[r, b[k]]) ** 2) @ W[r]
            torch.testing.assert_close(out[r, k].detach(), expected, rtol=1e-6, atol=1e-6)
    torch.testing.assert_close(U[1], 0.1 * U[0])  # the upstream config scales the same draws


def test_initial_ratio_follows_the_scales(small_run):
    # measured RMS output / S of the default is about sqrt(12) (module docstring); upstream is 100 times less
    assert 2.5 < small_run.initial_ratio[0] < 5.0
    assert small_run.initial_ratio[1] / small_run.initial_ratio[0] == pytest.approx(0.01, rel=1e-5)


def test_trainer_is_deterministic_and_stacking_changes_nothing():
    data = gk.modular_dataset(11, 0.6, seed=0)
    first = gk.train_modular(data, gk.MODULAR_CONFIGS[:3], **TINY)
    again = gk.train_modular(data, gk.MODULAR_CONFIGS[:3], **TINY)
    np.testing.assert_array_equal(first.train_loss, again.train_loss)
    np.testing.assert_array_equal(first.steps, np.arange(0, 31, 10))
    alone = gk.train_modular(data, gk.MODULAR_CONFIGS[1], **TINY)
    np.testing.assert_allclose(alone.train_loss[0], first.train_loss[1], rtol=1e-4)


def test_default_groks_late_and_upstream_shortens_the_delay(small_run):
    fit = gk.first_step(small_run, "train", 0.99)
    general = gk.first_step(small_run, "test", 0.95)
    delay = gk.grokking_delay(small_run)
    np.testing.assert_array_equal(delay, general - fit)
    assert fit[0] <= 300 and delay[0] >= 1000  # measured: fits at 225, groks 1400 steps later
    assert delay[1] <= 0.5 * delay[0]  # measured: 550 against 1400
    assert small_run.test_accuracy[:, -1].min() > 0.99


@pytest.mark.parametrize(
    ("settings", "name"),
    [
        ({"steps": 0}, "steps"),
        ({"width": 2.5}, "width"),
        ({"lr": -1.0}, "lr"),
        ({"weight_decay": float("nan")}, "weight_decay"),
        ({"lr": 1.0, "weight_decay": 2.0}, "lr \\* weight_decay"),
        ({"eval_every": 0}, "eval_every"),
        ({"momentum": 0.9}, "unknown setting"),
        ({"steps": 10**9}, "multiply-adds"),
    ],
)
def test_trainer_refuses_bad_settings_up_front(settings, name):
    with pytest.raises(ValueError, match=name):
        gk.train_modular(gk.modular_dataset(7, 0.5), **settings)


def test_trainer_refuses_bad_data_configs_and_device():
    data = gk.modular_dataset(7, 0.5)
    with pytest.raises(ValueError, match="data"):
        gk.train_modular("data")
    with pytest.raises(ValueError, match="distinct names"):
        gk.train_modular(data, [gk.ModularConfig("a"), gk.ModularConfig("a")])
    with pytest.raises(ValueError, match="device"):
        gk.train_modular(data, device="tpu")
    with pytest.raises(ValueError, match="embedding_scale"):
        gk.ModularConfig("x", embedding_scale=0.0)
    with pytest.raises(ValueError, match="level"):
        gk.first_step(gk.train_modular(data, gk.MODULAR_CONFIGS[0], **TINY), "test", 1.5)


# ---------------------------------------------------------------------------- stored results
def test_results_file_round_trip(tmp_path):
    path = tmp_path / "run.json"
    saved = mr.run_and_save(path, gk.MODULAR_CONFIGS[:2], p=7, progress=False, command="pytest", **TINY)
    loaded = gk.load_modular(path)
    assert loaded.names == saved.names and loaded.settings == saved.settings
    np.testing.assert_allclose(loaded.test_accuracy, saved.test_accuracy, atol=1e-6)
    np.testing.assert_array_equal(loaded.steps, saved.steps)
    assert loaded.provenance["command"] == "pytest" and loaded.provenance["torch_threads"] >= 1
    raw = json.loads(path.read_text())
    raw["steps"][-1] = 999
    path.write_text(json.dumps(raw))
    with pytest.raises(ValueError, match="steps end at 999"):
        gk.load_modular(path)
    path.write_text("{")
    with pytest.raises(ValueError, match="run.json"):
        gk.load_modular(path)
    with pytest.raises(ValueError, match="does not exist"):
        gk.load_modular(tmp_path / "missing.json")


def test_shipped_full_scale_run_groks_and_upstream_helps():
    stored = gk.load_modular(results_file("grokking_modular_cpu.json"))
    delay = gk.grokking_delay(stored)
    upstream, default = stored.index("upstream"), stored.index("default")
    assert np.isfinite(delay[default]) and delay[upstream] < 0.5 * delay[default]
    assert stored.provenance["wall_time_s"] > 0 and stored.settings["p"] > 23
