"""The four models (labhelpers.core.models): end-to-end maps, losses, and flows checked against autograd.

Stated tolerances: a model's ``flow`` equals minus the torch-autograd gradient (float64) of the
population loss to FLOW_RTOL = 1e-12 relative (atol 1e-12 times the gradient's scale); that autograd
gradient equals central finite differences of ``Model.loss`` to FD_TOL = 1e-8 of the gradient's scale. Gradient descent
on samples (torch) equals gradient descent on their empirical moments (numpy) to SAMPLES_TOL = 1e-10.
"""

from __future__ import annotations

import numpy as np
import pytest

import labhelpers as lh

FLOW_RTOL = 1e-12
FD_TOL = 1e-8
SAMPLES_TOL = 1e-10

MODELS = {
    "linear": lh.LinearModel(4, 3),
    "diagonal": lh.DiagonalLinearNetwork(4),
    "two-layer": lh.LinearNetwork(4, 5, 3),
    "deep": lh.DeepLinearNetwork((4, 5, 2, 6, 3)),
}


def _data(model, n=40, seed=0):
    """Correlated inputs and noisy linear targets of the model's sizes."""
    rng = np.random.default_rng(seed)
    d, c = model.input_dim, model.output_dim
    X = rng.standard_normal((n, d)) @ (np.eye(d) + 0.4 * rng.standard_normal((d, d)))
    Y = X @ rng.standard_normal((d, c)) + 0.3 * rng.standard_normal((n, c))
    return X, Y


def _finite_difference_flow(model, params, moments, h=1e-4):
    """-dL/dparams by central differences of Model.loss (numpy), entry by entry, all runs at once.

    The loss is quadratic in any single entry (P is linear in each layer), so central differences are
    exact up to rounding, about eps * L / h ~ 1e-11 here.
    """
    flow = {}
    for name, value in params.items():
        grad = np.empty_like(value)
        for index in np.ndindex(*model.shapes()[name]):
            where = (Ellipsis,) + index
            up, down = {**params, name: value.copy()}, {**params, name: value.copy()}
            up[name][where] += h
            down[name][where] -= h
            grad[where] = (model.loss(up, moments) - model.loss(down, moments)) / (2 * h)
        flow[name] = -grad
    return flow


@pytest.mark.parametrize("name", MODELS)
@pytest.mark.parametrize("batch_shape", [(), (3,), (2, 3)])
@pytest.mark.paper("Eq. 6", "Eq. 7", "Eqs. 26-29", "Eqs. 32-35", "Eqs. 40-45")
def test_flow_is_minus_the_autograd_gradient(name, batch_shape):
    model = MODELS[name]
    moments = lh.empirical_moments(*_data(model))
    params = model.random_init(0.8, batch_shape=batch_shape, seed=len(batch_shape))
    reference = lh.autograd_flow(model, params, moments)
    flow = model.flow(params, moments)
    assert set(flow) == set(reference) == set(model.param_names)
    for key in model.param_names:
        gradient = reference[key]
        assert flow[key].shape == gradient.shape == params[key].shape
        np.testing.assert_allclose(flow[key], gradient, rtol=FLOW_RTOL, atol=FLOW_RTOL * np.max(np.abs(gradient)))


@pytest.mark.parametrize("name", MODELS)
def test_autograd_flow_matches_finite_differences(name):
    """autograd_flow is itself checked against a method that shares nothing with it (numpy differences)."""
    model = MODELS[name]
    moments = lh.random_moments(model.input_dim, model.output_dim, seed=4)
    params = model.random_init(0.6, batch_shape=(2,), seed=5)
    reference = lh.autograd_flow(model, params, moments)
    differences = _finite_difference_flow(model, params, moments)
    for key in model.param_names:
        scale = np.max(np.abs(differences[key]))
        np.testing.assert_allclose(reference[key], differences[key], rtol=0, atol=FD_TOL * scale)
        # The comparison discriminates: a flow off by one part in 1e5 fails it.
        assert np.max(np.abs(reference[key] * (1 + 1e-5) - differences[key])) > FD_TOL * scale


def test_autograd_flow_rejects_bad_input():
    model = lh.LinearNetwork(2, 3)
    moments = lh.teacher_moments([1.0, 1.0], [1.0, 0.5])
    params = model.random_init(1.0)
    with pytest.raises(ValueError, match="model must be a labhelpers.core.models.Model"):
        lh.autograd_flow("two-layer", params, moments)
    with pytest.raises(ValueError, match=r"params must be a dict with keys \['W1', 'W2'\]"):
        lh.autograd_flow(model, {"W1": params["W1"]}, moments)
    with pytest.raises(ValueError, match=r"params\['W2'\] must end in shape \(3, 1\)"):
        lh.autograd_flow(model, {**params, "W2": np.ones((3, 2))}, moments)
    with pytest.raises(ValueError, match="moments are for inputs/outputs"):
        lh.autograd_flow(model, params, lh.teacher_moments([1.0], [1.0]))
    with pytest.raises(ValueError, match="moments must be a labhelpers.core.data.Moments"):
        lh.autograd_flow(model, params, None)


def test_flow_vanishes_at_the_teacher_and_not_elsewhere():
    model = lh.DiagonalLinearNetwork(3)
    moments = lh.teacher_moments([1.0, 2.0, 0.5], [1.0, -2.0, 0.5])
    at_minimum = model.flow({"a": np.array([1.0, 2.0, 0.5]), "b": np.array([1.0, -1.0, 1.0])}, moments)
    assert all(np.max(np.abs(v)) < 1e-15 for v in at_minimum.values())
    assert model.loss({"a": np.array([1.0, 2.0, 0.5]), "b": np.array([1.0, -1.0, 1.0])}, moments) < 1e-15
    away = model.flow({"a": np.array([0.5, 2.0, 0.5]), "b": np.array([1.0, -1.0, 1.0])}, moments)
    np.testing.assert_allclose(away["a"], [0.5, 0.0, 0.0], atol=1e-15)  # b_0 E[x_0^2] (S_0 - a_0 b_0)


@pytest.mark.paper("Eq. 6")
def test_diagonal_flow_is_eq6():
    model = lh.DiagonalLinearNetwork(2)
    variances, S = np.array([0.5, 3.0]), np.array([2.0, -1.0])
    a, b = np.array([0.3, -0.7]), np.array([1.1, 0.2])
    flow = model.flow({"a": a, "b": b}, lh.teacher_moments(variances, S))
    # The same formula evaluated in another order: rounding only (1.2e-16 measured; rtol 1e-14 leaves 80x).
    np.testing.assert_allclose(flow["a"], b * variances * (S - a * b), rtol=1e-14)
    np.testing.assert_allclose(flow["b"], a * variances * (S - a * b), rtol=1e-14)


def test_deep_network_with_two_layers_is_the_linear_network():
    deep, shallow = lh.DeepLinearNetwork((4, 5, 3)), lh.LinearNetwork(4, 5, 3)
    moments = lh.empirical_moments(*_data(shallow))
    params = shallow.random_init(0.5, batch_shape=(2,), seed=1)
    assert deep.param_names == shallow.param_names
    for key, value in deep.flow(params, moments).items():
        np.testing.assert_allclose(value, shallow.flow(params, moments)[key], rtol=1e-14)


@pytest.mark.parametrize("name", MODELS)
@pytest.mark.paper("Eqs. 2-5")
def test_end_to_end_and_loss_match_samples(name):
    model = MODELS[name]
    X, Y = _data(model, n=30, seed=2)
    params = model.random_init(0.6, batch_shape=(2,), seed=3)
    P = model.end_to_end(params)
    assert P.shape == (2, model.input_dim, model.output_dim)
    sample_loss = 0.5 * np.mean(np.sum((Y[None] - X @ P) ** 2, axis=-1), axis=-1)
    np.testing.assert_allclose(model.loss(params, lh.empirical_moments(X, Y)), sample_loss, rtol=1e-12)


@pytest.mark.parametrize("name", MODELS)
def test_gradient_descent_on_samples_matches_moments(name):
    model = MODELS[name]
    X, Y = _data(model, n=25, seed=5)
    params0 = model.random_init(0.5, batch_shape=(2,), seed=6)
    kwargs = dict(lr=0.02, steps=60, record_every=20)
    on_samples = lh.gradient_descent(model, params0, X=X, Y=Y, **kwargs)
    on_moments = lh.gradient_descent(model, params0, moments=lh.empirical_moments(X, Y), **kwargs)
    np.testing.assert_array_equal(on_samples.times, on_moments.times)
    for key in model.param_names:
        np.testing.assert_allclose(on_samples.params[key], on_moments.params[key], rtol=SAMPLES_TOL, atol=SAMPLES_TOL)
    np.testing.assert_allclose(on_samples.loss, on_moments.loss, rtol=SAMPLES_TOL)
    assert on_samples.loss[-1, 0] < 0.9 * on_samples.loss[0, 0]  # the runs did move


def test_random_init_shapes_scale_and_seed():
    model = lh.DeepLinearNetwork((3, 4, 2))
    params = model.random_init(0.1, batch_shape=(500,), seed=7)
    assert {k: v.shape for k, v in params.items()} == {"W1": (500, 3, 4), "W2": (500, 4, 2)}
    # 6000 N(0, 0.01) draws: the sample standard deviation is within 5 standard errors of 0.1.
    sample = np.concatenate([v.ravel() for v in params.values()])
    assert abs(np.std(sample) - 0.1) < 5 * 0.1 / np.sqrt(2 * sample.size)
    again = model.random_init(0.1, batch_shape=(500,), seed=7)
    assert all(np.array_equal(params[k], again[k]) for k in params)
    assert not np.array_equal(params["W1"], model.random_init(0.1, batch_shape=(500,), seed=8)["W1"])
    assert model.random_init(1.0, batch_shape=4)["W1"].shape == (4, 3, 4)


def test_shapes_and_validate():
    assert lh.LinearModel(3, 2).shapes() == {"theta": (3, 2)}
    assert lh.DiagonalLinearNetwork(3).shapes() == {"a": (3,), "b": (3,)}
    assert lh.LinearNetwork(3, 5).shapes() == {"W1": (3, 5), "W2": (5, 1)}
    assert lh.DeepLinearNetwork((3, 5, 4, 2)).depth == 3
    model = lh.LinearNetwork(3, 5, 2)
    assert model.validate({"W1": np.zeros((7, 2, 3, 5)), "W2": np.zeros((7, 2, 5, 2))}) == (7, 2)
    assert "LinearNetwork" in repr(model)


# ---------------------------------------------------------------------------- bad input
@pytest.mark.parametrize(
    ("factory", "match"),
    [
        (lambda: lh.LinearModel(0), "input_dim must be an integer >= 1"),
        (lambda: lh.LinearModel(3, 2.0), "output_dim must be an integer >= 1"),
        (lambda: lh.DiagonalLinearNetwork(-1), "input_dim"),
        (lambda: lh.DiagonalLinearNetwork(True), "input_dim"),
        (lambda: lh.LinearNetwork(3, 0), "hidden_dim"),
        (lambda: lh.LinearNetwork(3, 2, "1"), "output_dim"),
        (lambda: lh.DeepLinearNetwork((3, 2)), "widths must list at least 3 sizes"),
        (lambda: lh.DeepLinearNetwork((3, 0, 2)), r"widths\[1\] must be an integer"),
        (lambda: lh.DeepLinearNetwork((3, 2, 1.5)), r"widths\[2\]"),
        (lambda: lh.DeepLinearNetwork(3), "widths must be a sequence"),
    ],
)
def test_constructors_reject_bad_sizes(factory, match):
    with pytest.raises(ValueError, match=match):
        factory()


@pytest.mark.parametrize("name", MODELS)
def test_methods_reject_bad_params(name):
    model = MODELS[name]
    moments = lh.empirical_moments(*_data(model))
    good = model.random_init(1.0, seed=0)
    first = model.param_names[0]
    wrong_keys = {**good, "extra": np.zeros(1)}
    wrong_shape = {**good, first: np.zeros(good[first].shape + (2,))}
    not_finite = {**good, first: np.full(good[first].shape, np.nan)}
    mixed_batch = {k: (np.stack([v, v]) if k == first else np.stack([v, v, v])) for k, v in good.items()}
    for method in (
        lambda p: model.flow(p, moments),
        lambda p: model.loss(p, moments),
        lambda p: model.residual(p, moments),
        model.end_to_end,
        model.validate,
    ):
        with pytest.raises(ValueError, match="params must be a dict with keys"):
            method(wrong_keys)
        with pytest.raises(ValueError, match="params must be a dict with keys"):
            method(list(good.values()))
        with pytest.raises(ValueError, match=rf"params\['{first}'\] must end in shape"):
            method(wrong_shape)
        if len(good) > 1:
            with pytest.raises(ValueError, match="all parameters must share one batch shape"):
                method(mixed_batch)
    for method in (lambda p: model.flow(p, moments), lambda p: model.loss(p, moments)):
        with pytest.raises(ValueError, match=rf"params\['{first}'\] must contain only finite"):
            method(not_finite)
        with pytest.raises(ValueError, match=rf"params\['{first}'\] must be"):
            method({**good, first: [[["a"]]]})


@pytest.mark.parametrize("name", MODELS)
def test_methods_reject_bad_moments(name):
    model = MODELS[name]
    params = model.random_init(1.0, seed=0)
    wrong_dims = lh.teacher_moments(np.ones(model.input_dim + 1), np.ones((model.input_dim + 1, model.output_dim)))
    for method in (model.flow, model.loss, model.residual):
        with pytest.raises(ValueError, match="moments are for inputs/outputs"):
            method(params, wrong_dims)
        with pytest.raises(ValueError, match="moments must be a labhelpers.core.data.Moments"):
            method(params, {"sigma_xx": np.eye(model.input_dim)})


def test_random_init_rejects_bad_input():
    model = lh.LinearNetwork(2, 3)
    for scale in (0.0, -1.0, np.nan, [1.0, 2.0]):
        with pytest.raises(ValueError, match="scale"):
            model.random_init(scale)
    for batch_shape in ((0,), (2, -1), (2.0,), "abc", (True,)):
        with pytest.raises(ValueError, match="batch_shape must be a tuple of positive integers"):
            model.random_init(1.0, batch_shape=batch_shape)
    with pytest.raises(ValueError, match="seed must be an integer >= 0"):
        model.random_init(1.0, seed=-1)


# ---------------------------------------------------------------------------- overflow is an error, never inf
@pytest.mark.parametrize("name", MODELS)
def test_overflow_raises_a_clear_error_naming_the_params(name):
    model = MODELS[name]
    moments = lh.random_moments(model.input_dim, model.output_dim, seed=1)
    # P ~ 1e240 (1e480 for the deep net), so the loss ~ P^2 and the flows overflow; the linear model's P is
    # theta itself: at 1e200 its flow is still finite but its loss is not.
    huge = model.random_init(1e200 if name == "linear" else 1e120, seed=0)
    first = model.param_names[0]
    methods = (model.loss,) if name == "linear" else (model.flow, model.loss)
    methods += (lambda params, m: lh.autograd_flow(model, params, m),)
    for method in methods:
        with pytest.raises(lh.ParameterOverflowError, match=rf"params\['{first}'\] up to \d\.\d+e\+\d\d\d"):
            method(huge, moments)
    if name in ("two-layer", "diagonal"):
        with pytest.raises(ValueError, match=r"end_to_end is not finite.*too large"):
            model.end_to_end(model.random_init(1e160, seed=0))
    # Just below the edge everything is finite.
    moderate = model.random_init(1e20, seed=0)
    assert np.isfinite(model.loss(moderate, moments))
    assert all(np.all(np.isfinite(v)) for v in model.flow(moderate, moments).values())


def test_tiny_parameters_give_finite_flows():
    model = lh.DiagonalLinearNetwork(3)
    moments = lh.teacher_moments([1.0, 2.0, 3.0], [1.0, -1.0, 0.5])
    tiny = {"a": np.full(3, 1e-310), "b": np.full(3, -1e-310)}
    flow = model.flow(tiny, moments)
    # a' = b * E with E = E[x^2] S at P ~ 0: exactly -1e-310 * var * S (subnormal, still exact to 1 ulp of 1e-310).
    np.testing.assert_allclose(flow["a"], -1e-310 * np.array([1.0, -2.0, 1.5]), rtol=1e-10, atol=0)


def test_validate_names_the_argument_it_is_given():
    model = lh.DiagonalLinearNetwork(3)
    with pytest.raises(ValueError, match=r"params0\['b'\] must end in shape \(3,\)"):
        model.validate({"a": np.zeros(3), "b": np.zeros(2)}, argument="params0")
    with pytest.raises(ValueError, match=r"params0 must be a dict with keys \['a', 'b'\]"):
        model.validate({"a": np.zeros(3)}, argument="params0")
    with pytest.raises(ValueError, match=r"one batch shape.*params\['a'\] \(2, 3\)"):
        model.validate({"a": np.zeros((2, 3)), "b": np.zeros((4, 3))})


def test_random_init_refuses_absurd_batches_and_overflowing_scales():
    with pytest.raises(ValueError, match="batch_shape asks for"):
        lh.LinearModel(100, 10).random_init(0.1, batch_shape=(10**6, 10**3))
    with pytest.raises(ValueError, match="scale=1e.308 times a standard normal draw overflows"):
        lh.LinearModel(100, 10).random_init(1e308)
