"""The batched 2-layer ReLU MLP on sparse parity (labhelpers.emergence.mlp).

Stated tolerances: the batched and the one-run-at-a-time computations agree to FLOAT32_TOL = 1e-5
(absolute, on skill strengths and losses of order 1, and on the final weights) over a few dozen steps in
float32; they differ only in the order of floating-point sums. Every test here runs in well under 10 s
on 2 CPU cores.
"""

from __future__ import annotations

import numpy as np
import pytest

from labhelpers.emergence import mlp, parity

FLOAT32_TOL = 1e-5


@pytest.fixture(scope="module")
def tiny():
    return parity.SparseParity(n_tasks=3, n_bits=6, bits_per_task=2, alpha=0.5, seed=0)


def _tiny_kwargs(**changes):
    kwargs = dict(
        seeds=[0, 1, 2],
        widths=[8, 16, 12],
        n_train=[64, 200, 500],
        steps=40,
        batch_size=16,
        lr=1e-2,
        record_every=10,
        n_eval=50,
        n_probe=300,
        progress=False,
    )
    kwargs.update(changes)
    return kwargs


def test_shapes_and_record(tiny):
    run = mlp.train_mlp_batched(tiny, **_tiny_kwargs(steps=25))
    np.testing.assert_array_equal(run.steps, [0, 10, 20, 25])  # the last step is always recorded
    assert run.skill_strength.shape == (4, 3, 3)
    assert run.train_loss.shape == run.test_loss.shape == (4, 3)
    assert run.final_params["W1"].shape == (3, 9, 16) and run.final_params["W2"].shape == (3, 16)
    np.testing.assert_array_equal(run.final_params["mask"].sum(axis=1), [8, 16, 12])
    assert len(run) == 4 and run.times.dtype == float and run.loss is run.test_loss
    assert run.info["optimizer"] == "adam" and run.info["widths"] == [8, 16, 12]


@pytest.mark.parametrize("optimizer, lr", [("adam", 1e-2), ("sgd", 0.1)])
def test_batched_equals_loop(tiny, optimizer, lr):
    kwargs = _tiny_kwargs(optimizer=optimizer, lr=lr)
    batched = mlp.train_mlp_batched(tiny, **kwargs)
    loop = mlp.train_mlp_loop(tiny, **kwargs)
    for name in ("skill_strength", "train_loss", "test_loss"):
        np.testing.assert_allclose(getattr(batched, name), getattr(loop, name), rtol=0, atol=FLOAT32_TOL)
    for name, value in batched.final_params.items():
        np.testing.assert_allclose(value, loop.final_params[name], rtol=0, atol=FLOAT32_TOL)
    # The runs moved: agreement is not that of two frozen networks.
    assert np.max(np.abs(batched.final_params["W1"])) > 0 and np.all(batched.test_loss[-1] != batched.test_loss[0])


def test_a_run_is_the_same_alone_or_in_a_batch(tiny):
    together = mlp.train_mlp_batched(tiny, **_tiny_kwargs(widths=12, n_train=200))
    alone = mlp.train_mlp_batched(tiny, **_tiny_kwargs(seeds=[1], widths=12, n_train=200))
    np.testing.assert_allclose(together.skill_strength[:, 1], alone.skill_strength[:, 0], atol=FLOAT32_TOL)
    np.testing.assert_allclose(together.final_params["W1"][1], alone.final_params["W1"][0], atol=FLOAT32_TOL)


def test_padded_units_stay_silent(tiny):
    run = mlp.train_mlp_batched(tiny, **_tiny_kwargs())
    padded = run.final_params["mask"] == 0
    assert np.all(run.final_params["W2"][padded] == 0) and np.all(run.final_params["b1"][padded] == 0)
    assert np.all(np.transpose(run.final_params["W1"], (0, 2, 1))[padded] == 0)


def test_skill_strength_definition(tiny):
    # R_k = mean(f y) / mean(y^2) on the held-out single-skill data of task k (seed eval_seed + k).
    S = 2.0
    run = mlp.train_mlp_batched(tiny, **_tiny_kwargs(target_scale=S, eval_seed=7))
    for k in range(tiny.n_tasks):
        X, _, parity_k = tiny.single_skill_data(k, 50, seed=7 + k)
        y = S * parity_k
        f = mlp.mlp_output(run.final_params, X)
        np.testing.assert_allclose(run.skill_strength[-1, :, k], (f * y).mean(axis=1) / (y**2).mean(), atol=FLOAT32_TOL)


@pytest.mark.paper("Fig. 4")
def test_training_learns_the_skills():
    problem = parity.SparseParity(n_tasks=2, n_bits=6, bits_per_task=2, alpha=0.5, seed=1)
    run = mlp.train_mlp_batched(
        problem, seeds=[0, 1], widths=32, n_train=2000, steps=300, batch_size=64, lr=1e-2, record_every=50,
        n_eval=200, progress=False,
    )  # fmt: skip
    assert np.all(run.test_loss[-1] < 0.1 * run.test_loss[0])
    assert np.all(run.train_loss[-1] < 0.1 * run.train_loss[0])
    assert np.all(np.abs(run.skill_strength[0]) < 0.3) and np.all(run.skill_strength[-1] > 0.8)


@pytest.mark.parametrize(
    "changes, name",
    [
        ({"seeds": []}, "seeds"),
        ({"seeds": [0, -1]}, "seeds"),
        ({"widths": [8, 16]}, "widths"),
        ({"widths": 0}, "widths"),
        ({"n_train": [10, 0, 5]}, r"n_train\[1\]"),
        ({"steps": 0}, "steps"),
        ({"batch_size": 2.5}, "batch_size"),
        ({"lr": -1.0}, "lr"),
        ({"optimizer": "rmsprop"}, "optimizer"),
        ({"init_scale": 0.0}, "init_scale"),
        ({"weight_decay": -0.1}, "weight_decay"),
        ({"record_every": 0}, "record_every"),
        ({"dtype": "float16"}, "dtype"),
        ({"data_seed": -2}, "data_seed"),
    ],
)
def test_bad_inputs_raise(tiny, changes, name):
    with pytest.raises(ValueError, match=name):
        mlp.train_mlp_batched(tiny, **_tiny_kwargs(**changes))
    with pytest.raises(ValueError, match=name):
        mlp.train_mlp_loop(tiny, **_tiny_kwargs(**changes))


def test_bad_problem_and_params_raise(tiny):
    with pytest.raises(ValueError, match="problem"):
        mlp.train_mlp_batched("parity", seeds=[0])
    with pytest.raises(ValueError, match="params"):
        mlp.mlp_output({"W1": np.zeros((1, 9, 4))}, np.zeros((2, 9)))
    params = {"W1": np.zeros((2, 9, 4)), "b1": np.zeros((2, 4)), "W2": np.zeros((2, 4)), "b2": np.zeros(2)}
    with pytest.raises(ValueError, match="X must have 9 columns"):
        mlp.mlp_output(params, np.zeros((3, 8)))
    with pytest.raises(ValueError, match=r"params\['b1'\]"):
        mlp.mlp_output(dict(params, b1=np.zeros((2, 5))), np.zeros((3, 9)))
    assert mlp.mlp_output(params, np.zeros((3, 9))).shape == (2, 3)


def test_divergence_is_reported(tiny):
    with pytest.raises(ValueError, match="diverged"):
        mlp.train_mlp_batched(tiny, **_tiny_kwargs(optimizer="sgd", lr=1e6, init_scale=10.0))


def test_throughput_is_recorded(tiny):
    # Both trainers report the training samples they passed and about 6 FLOPs per weight and sample.
    kwargs = _tiny_kwargs()
    batched = mlp.train_mlp_batched(tiny, **kwargs)
    loop = mlp.train_mlp_loop(tiny, **kwargs)
    d = tiny.input_dim

    def flops(width):
        return 6.0 * (d * width + 2 * width + 1)

    assert batched.throughput.samples == loop.throughput.samples == 3 * 40 * 16
    assert batched.throughput.flops_per_sample == flops(16)  # the batch computes every run at the largest width
    assert loop.throughput.flops_per_sample == pytest.approx(np.mean([flops(w) for w in (8, 16, 12)]), rel=1e-12)
    for run in (batched, loop):
        assert run.throughput.train_seconds > 0 and run.throughput.gflops_per_second > 0
    bare = mlp.MLPTrajectory(np.arange(1), np.zeros((1, 1, 1)), np.zeros((1, 1)), np.zeros((1, 1)), {})
    assert bare.throughput is None  # the default, for trajectories built by hand


def test_the_shared_step_is_one_optimiser_step():
    # One step of plain SGD on 1/2 mean (f - y)^2, for one run (a 0-d loss) and for stacked runs (one loss each).
    import torch

    from labhelpers.core.divergence import DivergenceGuard

    data = {"X": torch.tensor([[1.0], [2.0], [3.0]]), "y": torch.tensor([1.0, 0.0, 2.0])}
    for shape in ((1,), (2, 1)):
        w = torch.full(shape, 0.5, requires_grad=True)
        opt = torch.optim.SGD([w], lr=0.1)
        index = torch.tensor([0, 2]).expand(*shape[:-1], 2) if len(shape) > 1 else torch.tensor([0, 2])

        def forward(X, w=w):
            return (X * w[..., None, :]).sum(dim=-1) if X.ndim == 3 else X @ w

        step = mlp._train_step(forward, data, lambda index=index: index, opt, DivergenceGuard("test"))
        assert step(1) == index.numel()
        # residuals 0.5 - 1 = -0.5 and 1.5 - 2 = -0.5: gradient mean(r x) = -1, so w = 0.5 + 0.1
        np.testing.assert_allclose(w.detach().numpy(), np.full(shape, 0.6), rtol=1e-6)
