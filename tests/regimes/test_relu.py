"""Two-layer ReLU networks (labhelpers.regimes.relu): per-unit imbalance, the tangent kernel, batched training.

Stated tolerances:
- the initialisation sets a_j^2 - ||w_j||^2 = lam and |a_j| ||w_j|| = theta0 to INIT_TOL = 1e-12 (relative);
- the closed-form kernel matches torch's Jacobian to KERNEL_TOL = 1e-12 relative to its norm;
- the batched trainer matches one-network-at-a-time training to BATCH_TOL = 1e-12;
- gradient descent leaks the conserved imbalance by O(lr): at most LEAK_TOL = 5e-3 here.
"""

from __future__ import annotations

import numpy as np
import pytest

from labhelpers.regimes import relu

INIT_TOL = 1e-12
KERNEL_TOL = 1e-12
BATCH_TOL = 1e-12
LEAK_TOL = 5e-3


def _task(seed=0, n=32, d=5):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    direction = rng.standard_normal(d)
    y = np.maximum(X @ direction / np.linalg.norm(direction), 0.0)
    return X, y - y.mean()


def test_neuron_balanced_sets_imbalance_and_product_of_every_unit():
    lam = np.array([-3.0, 0.0, 0.5, 8.0])
    params = relu.neuron_balanced(lam, 0.2, 5, 7, seed=1)
    assert params["W1"].shape == (4, 5, 7) and params["a"].shape == (4, 7)
    np.testing.assert_allclose(
        relu.neuron_imbalance(params["W1"], params["a"]), lam[:, None] + 0 * params["a"], rtol=INIT_TOL, atol=INIT_TOL
    )
    product = np.abs(params["a"]) * np.linalg.norm(params["W1"], axis=-2)
    np.testing.assert_allclose(product, 0.2, rtol=INIT_TOL)
    # Shared directions and signs: the batch differs only in how each unit's size is split.
    directions = params["W1"] / np.linalg.norm(params["W1"], axis=-2, keepdims=True)
    np.testing.assert_allclose(directions, np.broadcast_to(directions[0], directions.shape), atol=1e-15)
    np.testing.assert_array_equal(np.sign(params["a"]), np.broadcast_to(np.sign(params["a"][0]), (4, 7)))
    assert set(np.sign(params["a"][0])) == {-1.0, 1.0}


@pytest.mark.parametrize("activation", ["relu", "linear"])
def test_relu_ntk_matches_autodiff(activation):
    rng = np.random.default_rng(2)
    W1, a, X = rng.standard_normal((2, 3, 4, 6)), rng.standard_normal((2, 3, 6)), rng.standard_normal((5, 4))
    K = relu.relu_ntk(W1, a, X, activation=activation)
    assert K.shape == (2, 3, 5, 5)
    reference = relu.relu_ntk_autodiff(W1, a, X, activation=activation)
    assert np.abs(K - reference).max() <= KERNEL_TOL * np.linalg.norm(reference, axis=(-2, -1)).max()
    np.testing.assert_allclose(K, K.swapaxes(-1, -2), atol=1e-12)


def test_linear_kernel_ignores_the_direction_of_the_first_layer_and_relu_does_not():
    rng = np.random.default_rng(3)
    W1, a, X = rng.standard_normal((4, 6)), rng.standard_normal(6), rng.standard_normal((5, 4))
    Q, _ = np.linalg.qr(rng.standard_normal((4, 4)))
    tiny = 1e-6  # a first layer this small contributes only through the readout's a_j^2 term
    linear = [relu.relu_ntk(tiny * W, a, X, activation="linear") for W in (W1, Q @ W1)]
    np.testing.assert_allclose(linear[0], linear[1], rtol=1e-9)
    np.testing.assert_allclose(linear[0], np.sum(a**2) * X @ X.T, rtol=1e-9)
    rectified = [relu.relu_ntk(tiny * W, a, X) for W in (W1, Q @ W1)]
    assert np.abs(rectified[0] - rectified[1]).max() > 0.1 * np.abs(rectified[0]).max()


def test_outputs_are_the_network():
    rng = np.random.default_rng(4)
    W1, a, X = rng.standard_normal((3, 4)), rng.standard_normal(4), rng.standard_normal((6, 3))
    expected = np.array([sum(a[j] * max(x @ W1[:, j], 0.0) for j in range(4)) for x in X])
    np.testing.assert_allclose(relu.outputs(W1, a, X), expected, rtol=1e-14)
    np.testing.assert_allclose(relu.outputs(W1, a, X, activation="linear"), X @ W1 @ a, rtol=1e-13)


def test_batched_training_is_each_network_trained_alone():
    X, y = _task()
    params = relu.neuron_balanced(np.array([-2.0, 0.0, 2.0]), 0.1, 5, 8, seed=5)
    batch = relu.train_two_layer(params["W1"], params["a"], X, y, steps=300, lr=0.01, n_records=4)
    for k in range(3):
        alone = relu.train_two_layer(params["W1"][k], params["a"][k], X, y, steps=300, lr=0.01, n_records=4)
        assert np.abs(batch.final["W1"][k] - alone.final["W1"]).max() <= BATCH_TOL
        np.testing.assert_allclose(batch.kernel_distance[:, k], alone.kernel_distance, rtol=1e-10, atol=1e-16)
    np.testing.assert_array_equal(batch.steps, [0, 100, 200, 300])
    assert np.all(batch.kernel_distance[0] == 0) and np.all(batch.relative_change["W1"][0] == 0)


def test_one_step_is_the_gradient_of_the_loss():
    import torch

    X, y = _task(seed=6, n=10, d=3)
    params = relu.neuron_balanced(0.3, 0.5, 3, 4, seed=7)
    run = relu.train_two_layer(params["W1"], params["a"], X, y, steps=1, lr=0.1, n_records=2)
    w1 = torch.tensor(params["W1"], requires_grad=True)
    a = torch.tensor(params["a"], requires_grad=True)
    loss = 0.5 * torch.mean((torch.relu(torch.tensor(X) @ w1) @ a - torch.tensor(y)) ** 2)
    loss.backward()
    np.testing.assert_allclose(run.final["W1"], params["W1"] - 0.1 * w1.grad.numpy(), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(run.final["a"], params["a"] - 0.1 * a.grad.numpy(), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(run.loss[0], loss.item(), rtol=1e-12)


def test_upstream_relu_networks_learn_features_and_linear_ones_stay_lazy():
    """Sec. 6.2: with a heavy readout (lam > 0) the ReLU network's kernel moves far more than with a heavy
    first layer (lam < 0); the linear network with the same start barely moves its kernel either way. The
    light layer does the moving, and the imbalance is conserved up to the O(lr) leak of gradient descent."""
    X, y = _task(seed=8, n=48, d=6)
    lam = np.array([-4.0, 4.0])
    params = relu.neuron_balanced(lam, 0.05, 6, 24, seed=9)
    runs = {
        act: relu.train_two_layer(params["W1"], params["a"], X, y, steps=2000, lr=0.005, activation=act)
        for act in ("relu", "linear")
    }
    rectified, linear = runs["relu"], runs["linear"]
    assert rectified.kernel_distance[-1, 1] > 20 * rectified.kernel_distance[-1, 0]
    assert rectified.kernel_distance[-1, 1] > 1e-2
    assert linear.kernel_distance[-1].max() < 1e-4
    # Downstream moves the readout, upstream the first layer (relative to each layer's own size).
    assert rectified.relative_change["a"][-1, 0] > 10 * rectified.relative_change["W1"][-1, 0]
    assert rectified.relative_change["W1"][-1, 1] > 10 * rectified.relative_change["a"][-1, 1]
    drift = relu.neuron_imbalance(rectified.final["W1"], rectified.final["a"]) - lam[:, None]
    assert np.abs(drift).max() < LEAK_TOL
    assert rectified.loss[-1].max() < 0.2 * rectified.loss[0].max()


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: relu.neuron_balanced(0.0, 0.0, 3, 4), "theta0 must be strictly positive"),
        (lambda: relu.neuron_balanced([0.0, 1.0], [0.1, 0.2, 0.3], 3, 4), "do not broadcast"),
        (lambda: relu.neuron_balanced(0.0, 0.1, 0, 4), "input_dim must be an integer >= 1"),
        (lambda: relu.relu_ntk(np.ones((3, 4)), np.ones(5), np.ones((2, 3))), "must share the number of hidden"),
        (lambda: relu.relu_ntk(np.ones((3, 4)), np.ones(4), np.ones((2, 2))), "X must have 3 columns"),
        (lambda: relu.relu_ntk(np.ones((3, 4)), np.ones(4), np.ones((2, 3)), activation="tanh"), "activation"),
        (lambda: relu.outputs(np.ones((2, 3, 4)), np.ones((3, 4)), np.ones((2, 3))), "must broadcast"),
        (lambda: relu.train_two_layer(np.ones((3, 4)), np.ones(4), np.ones((5, 3)), np.ones(4)), "same number"),
        (lambda: relu.train_two_layer(np.zeros((3, 4)), np.ones(4), np.ones((5, 3)), np.ones(5)), "nonzero"),
        (lambda: relu.train_two_layer(np.ones((3, 4)), np.ones(4), np.ones((5, 3)), np.ones(5), lr=0), "lr must"),
        (lambda: relu.train_two_layer(np.ones((2, 3, 4)), np.ones((1, 4)), np.ones((5, 3)), np.ones(5)), "same batch"),
    ],
)
def test_bad_arguments_are_rejected(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_divergence_is_reported():
    X, y = _task()
    params = relu.neuron_balanced(0.0, 3.0, 5, 8)
    with pytest.raises(ValueError, match="diverged"):
        relu.train_two_layer(params["W1"], params["a"], X, 100 * y, steps=200, lr=1.0)
