"""A 2-layer ReLU network on the multitask sparse parity problem, many runs trained as one computation.

The network of the paper's Fig. 4 (Nam et al. 2024a; Michaud et al. 2023):

``f(x) = sum_j w2_j relu(w1_j . x + b1_j) + b2``,

trained on the ±1 parity labels (times a target scale ``S``) of :mod:`labhelpers.emergence` with the
loss ``L = 1/2 mean_batch (f(x) - y)^2``: Eq. 2 with the sample mean, *with* the factor 1/2
(``torch.nn.MSELoss`` has none, which doubles every gradient).

:func:`train_mlp_batched` trains ``R`` runs at once: their parameters are stacked along a leading run
axis (``W1`` of shape ``(R, d, width)``, ...) and every step is a handful of batched matrix products
(``torch.baddbmm``). Runs may differ in seed, width (narrower runs are padded with hidden units whose
weights are zero and whose activations are masked, so they never move) and training-set size (run ``r``
trains on the first ``n_train[r]`` samples of one shared pool). Adam and SGD act element by element,
so the stacked update is exactly the update of each run. :func:`train_mlp_loop` does the same
computation one run at a time with plain matrix products, for comparison and benchmarking.

Skill strength (what is recorded): on held-out data where only task ``k`` is asked
(:meth:`~labhelpers.emergence.SparseParity.single_skill_data`),

``R_k = mean(f(x) y(x)) / mean(y(x)^2)``,

the coefficient of the network's output along the target on that task: the fraction of skill ``k``
learned. It is the MLP's counterpart of ``theta_k / S`` in the skill model (Eq. 11), starts near 0, and
is 1 when the network outputs the target on task ``k``.

The defaults show emergence on a CPU: with ``SparseParity(n_tasks=5, n_bits=20, bits_per_task=3,
alpha=0.5)`` and ``seeds=range(8)``, the five skills rise sigmoidally, one after another in order of
frequency (half strength near steps 300, 650, 1100, 1600, 2050), in about 10 s on 2 CPU cores.

Both trainers run on the course's training scaffold (:func:`labhelpers.runs.train_loop`) with one shared
step (``_train_step``); their setup (validated arguments, seeds, weights, data) is in
:mod:`labhelpers.emergence.mlp_setup`.

Book: chapter 2, "A two-layer network learns the same skills" (Sec. em-mlp) and "Batched training".
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..core import validation as check
from ..runs.loop import Records, Throughput, optimizer_step, train_loop
from .mlp_setup import (  # noqa: F401  (OPTIMIZERS, MAX_SAMPLE_PASSES: this module's public constants before the split)
    _PARAM_NAMES,
    MAX_SAMPLE_PASSES,
    OPTIMIZERS,
    _batched_forward,
    _data,
    _flops_per_sample,
    _guard,
    _index_stream,
    _init_params,
    _optimizer,
    _run_forward,
    _run_seeds,
    _setup,
    _stack,
    _trainable,
)
from .parity import SparseParity

_RECORDED = ("skill_strength", "test_loss", "train_loss")  # what _measure returns, in its order


@dataclass
class MLPTrajectory:
    """Record of a batch of MLP runs; time (the step) is the first axis of every array.

    - ``steps``, shape ``(T,)``: the optimiser steps at which the record was taken (0 = initialisation).
    - ``skill_strength``, shape ``(T, R, n_tasks)``: ``R_k`` of each run (see the module docstring).
    - ``train_loss``, shape ``(T, R)``: ``1/2 mean (f - y)^2`` over the run's training set (its first
      ``n_probe`` samples when larger).
    - ``test_loss``, shape ``(T, R)``: the population loss ``sum_k p_k 1/2 mean_k (f - y)^2``, estimated on
      the held-out single-skill data of every task (stratified by task, so rare tasks count exactly ``p_k``).
    - ``final_params``: dict of the final parameters, stacked and padded: ``W1`` ``(R, d, width)``,
      ``b1`` ``(R, width)``, ``W2`` ``(R, width)``, ``b2`` ``(R,)``, and ``mask`` ``(R, width)`` (1 for a
      real hidden unit of that run).
    - ``info``: the configuration (seeds, widths, n_train, optimiser, ...) and the wall time.
    - ``throughput``: how fast the training steps ran (:class:`labhelpers.runs.Throughput`: samples per
      second, measurements excluded, and GFLOP/s at about 6 FLOPs per weight and sample), or None.
    """

    steps: np.ndarray
    skill_strength: np.ndarray
    train_loss: np.ndarray
    test_loss: np.ndarray
    final_params: dict[str, np.ndarray]
    info: dict[str, Any] = field(default_factory=dict)
    throughput: Throughput | None = None

    def __len__(self) -> int:
        return len(self.steps)

    @property
    def times(self) -> np.ndarray:
        """The recorded steps, as floats (the time axis plotting helpers expect)."""
        return self.steps.astype(float)

    @property
    def loss(self) -> np.ndarray:
        """The test loss, shape ``(T, R)`` (the loss plotting helpers expect)."""
        return self.test_loss


def _measure(torch, output_eval, output_probe, data, config, problem, n_train):
    """Skill strengths (R, n_tasks), test and train losses (R,) from network outputs on eval and probe data."""
    n_runs = output_eval.shape[0]
    y_eval = data["y_eval"].reshape(problem.n_tasks, config["n_eval"])
    f_eval = output_eval.reshape(n_runs, problem.n_tasks, config["n_eval"])
    strength = (f_eval * y_eval).mean(dim=-1) / (y_eval**2).mean(dim=-1)
    per_task_loss = 0.5 * ((f_eval - y_eval) ** 2).mean(dim=-1)
    p = torch.as_tensor(problem.frequencies, dtype=per_task_loss.dtype, device=per_task_loss.device)
    test_loss = per_task_loss @ p
    # Train loss over each run's own probe: its first min(n_train, n_probe) pool samples.
    n_probe = output_probe.shape[1]
    sizes = torch.as_tensor([min(n, n_probe) for n in n_train], device=output_probe.device)
    inside = (torch.arange(n_probe, device=output_probe.device)[None, :] < sizes[:, None]).to(output_probe.dtype)
    squared = (output_probe - data["y"][:n_probe][None, :]) ** 2
    train_loss = 0.5 * (squared * inside).sum(dim=1) / sizes.to(output_probe.dtype)
    return [t.detach().cpu().numpy().astype(float) for t in (strength, test_loss, train_loss)]


def _result(config, values, params, mask, wall, method, device, throughput):
    strengths, test_losses, train_losses = (np.stack(values[name]) for name in _RECORDED)
    final = {name: params[name].detach().cpu().numpy().astype(float) for name in _PARAM_NAMES}
    final["mask"] = mask
    info = {key: value for key, value in config.items() if key != "recorded_steps"}
    info.update(
        {
            "method": method,
            "device": str(device),
            "loss": "1/2 mean (f - y)^2 (with the 1/2; torch.nn.MSELoss has none)",
            "wall_time_s": wall,
        }
    )
    return MLPTrajectory(
        steps=np.asarray(config["recorded_steps"]),
        skill_strength=strengths,
        train_loss=train_losses,
        test_loss=test_losses,
        final_params=final,
        info=info,
        throughput=throughput,
    )


# ---------------------------------------------------------------------------- the shared training step
def _train_step(forward, data: dict, draw, optimizer, guard):
    """The step both trainers share: draw a minibatch, take one optimiser step on ``1/2 mean (f - y)^2``.

    ``draw()`` gives the minibatch indices, ``(R, B)`` for stacked runs or ``(B,)`` for one run, and the
    loss is the mean over the last axis: one loss per run, or one loss. The losses are checked before the
    update (:func:`labhelpers.runs.optimizer_step`). Returns the step function for
    :func:`labhelpers.runs.train_loop`, which counts the samples it trained on.
    """

    def step(unit: int) -> int:
        index = draw()
        residual = forward(data["X"][index]) - data["y"][index]
        losses = 0.5 * (residual**2).mean(dim=-1)  # one loss per run
        optimizer_step(optimizer, losses, guard, unit)
        return index.numel()

    return step


def _measurer(torch, outputs, data, config, problem, n_train, guard):
    """The measurement at a recorded step: skill strengths and losses of the networks ``outputs`` computes
    (shape ``(R, n)``), with the test loss checked for overflow after training has started."""
    n_probe_used = min(config["n_probe"], data["X"].shape[0])

    def measure(unit: int) -> dict:
        with torch.no_grad():
            values = _measure(
                torch, outputs(data["X_eval"]), outputs(data["X"][:n_probe_used]), data, config, problem, n_train
            )
        if unit > 0:
            guard.check_values(unit, "the test loss", values[1])
        return dict(zip(_RECORDED, values))

    return measure


def _train(torch, forward, outputs, optimizer, draw, guard, data, config, problem, n_train, **loop):
    """Train on the scaffold: ``_train_step`` for ``config["steps"]`` steps, measured at the recorded steps.

    ``forward`` is the network in training (its loss is the mean over the last axis), ``outputs`` the same
    networks' outputs ``(R, n)`` for the measurements. ``loop`` goes to :func:`labhelpers.runs.train_loop`
    (``desc``, ``progress``, ``flops_per_sample``). Returns its records and throughput.
    """
    step = _train_step(forward, data, draw, optimizer, guard)
    measure = _measurer(torch, outputs, data, config, problem, n_train, guard)
    return train_loop(config["steps"], step, measure, recorded=config["recorded_steps"], **loop)


# ---------------------------------------------------------------------------- batched training
def train_mlp_batched(
    problem: SparseParity,
    *,
    seeds=(0,),
    widths=256,
    n_train=100_000,
    steps: int = 3000,
    batch_size: int = 256,
    lr: float = 1e-3,
    optimizer: str = "adam",
    init_scale: float = 0.3,
    target_scale: float = 1.0,
    weight_decay: float = 0.0,
    record_every: int = 50,
    n_eval: int = 500,
    n_probe: int = 2000,
    data_seed: int = 0,
    eval_seed: int = 1_000_000,
    device="cpu",
    dtype="float32",
    progress: bool | None = None,
) -> MLPTrajectory:
    """Train ``R = len(seeds)`` two-layer ReLU networks on sparse parity as one batched computation.

    Paper: Fig. 4.

    Each step draws, for every run, a minibatch of ``batch_size`` samples uniformly (with replacement)
    from its training set, and takes one optimiser step on ``1/2 mean (f - y)^2``. The runs' parameters
    are stacked along a leading axis; the loss summed over runs gives each run its own gradient, and the
    element-wise optimiser makes the stacked update exact. Seeds fix the initial weights and the
    minibatch order, so a run gives the same result alone, in any batch, and in :func:`train_mlp_loop`.

    Cost: ``runs x (steps x batch_size + records x (n_tasks x n_eval + n_probe))`` sample passes, refused up
    front beyond ``MAX_SAMPLE_PASSES`` or when the arrays cannot fit in memory. Every step's minibatch
    loss is checked (``labhelpers.core.DivergenceGuard``): a run that diverges stops with a
    ``DivergenceError`` naming the step and the likely cause (learning rate, or init or target scale).

    Parameters
    ----------
    problem : SparseParity
        The task (:class:`labhelpers.emergence.SparseParity`).
    seeds : sequence of int
        One seed per run (initial weights and minibatch order).
    widths : int or sequence of int
        Hidden width, shared or per run (narrower runs are padded with masked units).
    n_train : int or sequence of int
        Training-set size, shared or per run: run ``r`` uses the first ``n_train[r]`` samples of one pool
        drawn with ``data_seed``, so larger training sets contain the smaller ones.
    steps, batch_size : int
        Number of optimiser steps and minibatch size.
    lr : float
        Learning rate.
    optimizer : {"adam", "sgd"}
        ``torch.optim.Adam`` or plain ``torch.optim.SGD`` on the stacked parameters.
    init_scale : float
        Multiplies PyTorch's default initialisation (default 0.3; smaller: a richer regime, longer
        plateaus and sharper emergence).
    target_scale : float
        ``S``: the labels are ``S`` times the ±1 parities.
    weight_decay : float
        L2 penalty of the optimiser.
    record_every : int
        Record every ``record_every`` steps (and at step 0 and the last step).
    n_eval : int
        Held-out samples per task for the skill strengths and the test loss.
    n_probe : int
        At most this many training samples for the recorded train loss.
    data_seed, eval_seed : int
        Seeds of the training pool and of the held-out data (task ``k`` uses ``eval_seed + k``, wrapped
        modulo ``2**63`` so that any seed up to ``2**63 - 1`` is accepted).
    device : str or torch.device
        Where to train: "cpu" (default), "cuda", "cuda:N", "mps" or "auto" (see
        ``labhelpers.core.device``); the results come back as numpy arrays.
    dtype : {"float32", "float64"}
        Floating-point type of the computation.
    progress : bool, optional
        Show a progress bar (default: for 2000 steps or more).

    Returns
    -------
    MLPTrajectory
        Recorded steps, skill strengths ``(T, R, n_tasks)``, train and test losses ``(T, R)``.
    """
    import torch

    config, dtype, device, show = _setup(torch, problem, locals())
    started = time.perf_counter()
    data = _data(torch, problem, config, device, dtype)
    n_runs, d = len(config["seeds"]), problem.input_dim

    inits = [
        _init_params(torch, _run_seeds(seed)[0], d, w, config["init_scale"], dtype)
        for seed, w in zip(config["seeds"], config["widths"])
    ]
    params, mask = _stack(torch, inits, config["widths"], d, dtype)
    params = _trainable(params, device)
    forward = _batched_forward(torch, params, torch.as_tensor(mask, dtype=dtype, device=device))
    opt = _optimizer(torch, [params[n] for n in _PARAM_NAMES], config)
    streams = [
        _index_stream(torch, _run_seeds(s)[1], n, config["batch_size"], config["steps"])
        for s, n in zip(config["seeds"], config["n_train"])
    ]

    def draw():
        return torch.stack([next(stream) for stream in streams]).to(device)  # (R, B)

    guard = _guard(config, f"MLP training ({n_runs} runs batched)")
    records, throughput = _train(
        torch, forward, forward, opt, draw, guard, data, config, problem, config["n_train"],
        desc=f"MLP, {n_runs} runs batched", progress=show,
        flops_per_sample=_flops_per_sample(d, max(config["widths"])),  # padded units are computed too
    )  # fmt: skip
    wall = time.perf_counter() - started
    method = "batched (stacked runs, torch.baddbmm)"
    return _result(config, records.values, params, mask, wall, method, device, throughput)


# ---------------------------------------------------------------------------- one run at a time
def train_mlp_loop(
    problem: SparseParity,
    *,
    seeds=(0,),
    widths=256,
    n_train=100_000,
    steps: int = 3000,
    batch_size: int = 256,
    lr: float = 1e-3,
    optimizer: str = "adam",
    init_scale: float = 0.3,
    target_scale: float = 1.0,
    weight_decay: float = 0.0,
    record_every: int = 50,
    n_eval: int = 500,
    n_probe: int = 2000,
    data_seed: int = 0,
    eval_seed: int = 1_000_000,
    device="cpu",
    dtype="float32",
    progress: bool | None = None,
) -> MLPTrajectory:
    """The computation of :func:`train_mlp_batched`, one run after another with plain matrix products.

    Same arguments, same seeds, same data and the same result up to floating-point rounding; it exists
    to check the batched version and to time the difference. The final parameters are padded to the
    largest width, as in the batched result. Cost and divergence checks are those of the batched version.

    The two agree to ~1e-6 in float32 over tens of steps. Over thousands of steps the rounding
    differences (sums taken in another order) are amplified where a skill emerges, as for any change of
    the last bit: the curves then agree in shape and emergence step (within about one record interval),
    not digit by digit. On 2 CPU cores the batched version is about 2.5-3.5 times faster for 8 runs.
    """
    import torch

    config, dtype, device, show = _setup(torch, problem, locals())
    started = time.perf_counter()
    data = _data(torch, problem, config, device, dtype)
    n_runs, d = len(config["seeds"]), problem.input_dim

    runs, run_records, throughputs = [], [], []
    for r, (seed, w, n) in enumerate(zip(config["seeds"], config["widths"], config["n_train"])):
        init_seed, batch_seed = _run_seeds(seed)
        params = _trainable(_init_params(torch, init_seed, d, w, config["init_scale"], dtype), device)
        opt = _optimizer(torch, [params[name] for name in _PARAM_NAMES], config)
        forward = _run_forward(torch, params)
        stream = _index_stream(torch, batch_seed, n, config["batch_size"], config["steps"])
        guard = _guard(config, f"MLP training (run {r + 1} of {n_runs}, seed {seed})")
        records, throughput = _train(
            torch, forward, _one_of_a_batch(forward), opt, _drawer(stream, device), guard, data, config, problem, [n],
            desc=f"MLP, run {r + 1}/{n_runs}", progress=show, flops_per_sample=_flops_per_sample(d, w),
        )  # fmt: skip
        runs.append(params)
        run_records.append(records)
        throughputs.append(throughput)

    # Put the runs side by side, as the batched version records them.
    values = _side_by_side(run_records)
    finals = [{name: value.detach().cpu() for name, value in run.items()} for run in runs]
    stacked, mask = _stack(torch, finals, config["widths"], d, dtype)
    wall = time.perf_counter() - started
    method = "loop (one run at a time, torch.matmul)"
    return _result(config, values, stacked, mask, wall, method, device, _total(throughputs))


def _one_of_a_batch(forward):
    """One network's outputs as a batch of one run, ``(1, n)``, for the measurements."""
    return lambda X: forward(X)[None]


def _drawer(stream, device):
    """The next minibatch indices ``(B,)`` of one run's stream, on ``device``."""
    return lambda: next(stream).to(device)


def _side_by_side(run_records: list[Records]) -> dict[str, list[np.ndarray]]:
    """The records of runs trained one after another, joined along the run axis at each recorded step."""
    return {
        name: [np.concatenate(parts) for parts in zip(*(records.values[name] for records in run_records))]
        for name in _RECORDED
    }


def _total(throughputs: list[Throughput]) -> Throughput:
    """The throughput of runs trained one after another; FLOPs per sample averaged over the samples."""
    samples = sum(t.samples for t in throughputs)
    flops = sum(t.samples * t.flops_per_sample for t in throughputs)
    return Throughput(sum(t.train_seconds for t in throughputs), samples, flops / samples if samples else None)


def mlp_output(params: dict, X, *, device="cpu") -> np.ndarray:
    """Outputs of stacked networks (e.g. ``trajectory.final_params``) on inputs ``X``, shape ``(R, n)``.

    Parameters
    ----------
    params : dict
        ``W1`` ``(R, d, width)``, ``b1`` ``(R, width)``, ``W2`` ``(R, width)``, ``b2`` ``(R,)`` and optionally
        ``mask`` ``(R, width)``.
    X : array_like, shape (n, d)
        Inputs, e.g. from :meth:`labhelpers.emergence.SparseParity.sample`.
    device : str or torch.device
        Where to compute.
    """
    import torch

    if not isinstance(params, dict) or not set(_PARAM_NAMES) <= set(params):
        got = sorted(params) if isinstance(params, dict) else type(params).__name__
        raise ValueError(f"params must be a dict with keys {list(_PARAM_NAMES)} (and optionally 'mask'); got {got}")
    arrays = {name: check.as_array(f"params['{name}']", params[name]) for name in _PARAM_NAMES}
    if arrays["W1"].ndim != 3:
        raise ValueError(f"params['W1'] must have shape (runs, input_dim, width); got {arrays['W1'].shape}")
    n_runs, d, width = arrays["W1"].shape
    expected = {"b1": (n_runs, width), "W2": (n_runs, width), "b2": (n_runs,)}
    for name, shape in expected.items():
        if arrays[name].shape != shape:
            raise ValueError(
                f"params['{name}'] must have shape {shape} to match W1 {arrays['W1'].shape}; got {arrays[name].shape}"
            )
    mask = check.as_array("params['mask']", params.get("mask", np.ones((n_runs, width))))
    if mask.shape != (n_runs, width):
        raise ValueError(f"params['mask'] must have shape {(n_runs, width)}; got {mask.shape}")
    X = check.as_array("X", X, ndim=2)
    if X.shape[1] != d:
        raise ValueError(f"X must have {d} columns (the networks' input size); got shape {X.shape}")
    check.fits_in_memory("X", 2.0 * n_runs * X.shape[0] * width)  # the hidden units of every run
    device = check.device("device", device)
    t = {name: torch.as_tensor(value, dtype=torch.float64, device=device) for name, value in arrays.items()}
    Xt = torch.as_tensor(X, dtype=torch.float64, device=device)
    hidden = torch.relu(torch.einsum("nd,rdw->rnw", Xt, t["W1"]) + t["b1"][:, None, :])
    hidden = hidden * torch.as_tensor(mask, dtype=torch.float64, device=device)[:, None, :]
    return (torch.einsum("rnw,rw->rn", hidden, t["W2"]) + t["b2"][:, None]).cpu().numpy()
