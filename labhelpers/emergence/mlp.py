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
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from tqdm.auto import tqdm

from ..core import validation as check
from ..core.divergence import DivergenceGuard
from .parity import SparseParity

OPTIMIZERS = ("adam", "sgd")
_INDEX_CHUNK = 256  # minibatch indices are drawn this many steps at a time, per run
_PARAM_NAMES = ("W1", "b1", "W2", "b2")
MAX_SAMPLE_PASSES = 10**11
"""The most sample passes a call may cost, each one forward and backward pass through one network, counted
as runs x (steps x batch_size + records x evaluated samples). About a day on 2 CPU cores at width 256; the
book's runs take 10^6 to 10^8."""


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
    """

    steps: np.ndarray
    skill_strength: np.ndarray
    train_loss: np.ndarray
    test_loss: np.ndarray
    final_params: dict[str, np.ndarray]
    info: dict[str, Any] = field(default_factory=dict)

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


# ---------------------------------------------------------------------------- validation
def _per_run(name: str, value, n_runs: int) -> list[int]:
    """An integer, or one integer per run, as a list of ``n_runs`` integers >= 1."""
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return [check.positive_int(name, value)] * n_runs
    try:
        values = list(value)
    except TypeError as error:
        raise ValueError(f"{name} must be an integer or a sequence of {n_runs} integers; got {value!r}") from error
    if len(values) != n_runs:
        raise ValueError(f"{name} must have one entry per run ({n_runs}, the length of seeds); got {len(values)}")
    return [check.positive_int(f"{name}[{r}]", v) for r, v in enumerate(values)]


def _seeds(seeds) -> list[int]:
    """One seed per run, each in ``[0, 2**63 - 1]``; a single integer means one run."""
    if isinstance(seeds, (int, np.integer)) and not isinstance(seeds, bool):
        seeds = [seeds]
    if isinstance(seeds, (str, bytes, dict)):
        raise ValueError(f"seeds must be a sequence of integers >= 0, one per run; got {check._describe(seeds)}")
    try:
        seeds = list(seeds)
    except TypeError as error:
        raise ValueError(f"seeds must be a sequence of integers >= 0, one per run; got {seeds!r}") from error
    if not seeds:
        raise ValueError("seeds must list at least one run; got an empty sequence")
    return [check.seed(f"seeds[{r}]", seed) for r, seed in enumerate(seeds)]


def _config(problem, **settings) -> dict:
    """Validate the training arguments shared by both trainers; per-run ones become lists of length R."""
    if not isinstance(problem, SparseParity):
        raise ValueError(f"problem must be a labhelpers.emergence.parity.SparseParity; got {type(problem).__name__}")
    seeds = _seeds(settings["seeds"])
    n_runs = len(seeds)
    config = {
        "seeds": seeds,
        "widths": _per_run("widths", settings["widths"], n_runs),
        "n_train": _per_run("n_train", settings["n_train"], n_runs),
        "steps": check.positive_int("steps", settings["steps"]),
        "batch_size": check.positive_int("batch_size", settings["batch_size"]),
        "lr": check.positive_scalar("lr", settings["lr"]),
        "optimizer": check.one_of("optimizer", settings["optimizer"], OPTIMIZERS),
        "init_scale": check.positive_scalar("init_scale", settings["init_scale"]),
        "target_scale": check.positive_scalar("target_scale", settings["target_scale"]),
        "weight_decay": check.positive_scalar("weight_decay", settings["weight_decay"], allow_zero=True),
        "record_every": check.positive_int("record_every", settings["record_every"]),
        "n_eval": check.positive_int("n_eval", settings["n_eval"]),
        "n_probe": check.positive_int("n_probe", settings["n_probe"]),
        "data_seed": check.seed("data_seed", settings["data_seed"]),
        "eval_seed": check.seed("eval_seed", settings["eval_seed"]),
    }  # fmt: skip
    n_train = config["n_train"]
    # Beyond the run's length (or the pool) these change nothing: keep what the record shows a plain int.
    config["record_every"] = min(config["record_every"], config["steps"])
    config["n_probe"] = min(config["n_probe"], max(n_train))
    _check_cost(problem, config)
    record = list(range(0, config["steps"] + 1, config["record_every"]))
    if record[-1] != config["steps"]:
        record.append(config["steps"])
    config["recorded_steps"] = record
    return config


def _check_cost(problem: SparseParity, config: dict) -> None:
    """Refuse up front a run beyond :data:`MAX_SAMPLE_PASSES`, or one whose arrays cannot fit in memory.

    The cost is ``runs x (steps x batch_size + records x (n_tasks x n_eval + n_probe))`` sample passes.
    """
    n_runs, width, d = len(config["seeds"]), max(config["widths"]), problem.input_dim
    n_records = config["steps"] // config["record_every"] + 2
    n_evaluated = problem.n_tasks * config["n_eval"] + min(config["n_probe"], max(config["n_train"]))
    passes = n_runs * (config["steps"] * config["batch_size"] + n_records * n_evaluated)
    if passes > MAX_SAMPLE_PASSES:
        raise ValueError(
            f"runs x (steps x batch_size + records x evaluated samples) = {n_runs} x ({config['steps']} x "
            f"{config['batch_size']} + {n_records} x {n_evaluated}) = {passes:.3g} sample passes is beyond the "
            f"{MAX_SAMPLE_PASSES:.0e} this trainer runs (days of CPU time); lower steps, batch_size, seeds or "
            "n_eval, or raise record_every"
        )
    check.fits_in_memory("n_train", (max(config["n_train"]) + n_evaluated) * (d + 2), bytes_per_value=4)
    # parameters with gradients and Adam's two moments, and the hidden units of the largest forward pass
    hidden = n_runs * width * (4 * (d + 3) + max(config["batch_size"], n_evaluated))
    check.fits_in_memory("widths", hidden, bytes_per_value=4)
    check.fits_in_memory("record_every", n_records * n_runs * (problem.n_tasks + 2))


# ---------------------------------------------------------------------------- shared pieces
def _run_seeds(seed: int) -> tuple[int, int]:
    """Two independent seeds (initial weights, minibatch order) derived from one run seed."""
    init, batches = np.random.SeedSequence(seed).spawn(2)
    return int(init.generate_state(1)[0]), int(batches.generate_state(1)[0])


def _init_params(torch, seed: int, input_dim: int, width: int, init_scale: float, dtype) -> dict:
    """PyTorch's default ``nn.Linear`` initialisation, ``U(-1/sqrt(fan_in), 1/sqrt(fan_in))``, times ``init_scale``.

    Drawn on the CPU from the run's own generator, so a run starts from the same weights on any device,
    alone or in a batch.
    """
    generator = torch.Generator().manual_seed(seed)

    def uniform(shape, fan_in):
        return (2.0 * torch.rand(shape, generator=generator, dtype=torch.float64) - 1.0) * (init_scale / fan_in**0.5)

    params = {
        "W1": uniform((input_dim, width), input_dim),
        "b1": uniform((width,), input_dim),
        "W2": uniform((width,), width),
        "b2": uniform((), width),
    }
    return {name: value.to(dtype) for name, value in params.items()}


def _stack(torch, runs: list[dict], widths: list[int], input_dim: int, dtype) -> tuple[dict, np.ndarray]:
    """Stack per-run parameters along a leading run axis, padding narrower runs with zero hidden units.

    Returns the stacked CPU tensors and the mask ``(R, max width)``, 1 for a run's real units.
    """
    n_runs, width = len(runs), max(widths)
    stacked = {
        "W1": torch.zeros(n_runs, input_dim, width, dtype=dtype),
        "b1": torch.zeros(n_runs, width, dtype=dtype),
        "W2": torch.zeros(n_runs, width, dtype=dtype),
        "b2": torch.zeros(n_runs, dtype=dtype),
    }
    mask = np.zeros((n_runs, width))
    for r, (run, w) in enumerate(zip(runs, widths)):
        stacked["W1"][r, :, :w] = run["W1"]
        stacked["b1"][r, :w] = run["b1"]
        stacked["W2"][r, :w] = run["W2"]
        stacked["b2"][r] = run["b2"]
        mask[r, :w] = 1.0
    return stacked, mask


def _optimizer(torch, tensors, config):
    if config["optimizer"] == "adam":
        return torch.optim.Adam(tensors, lr=config["lr"], weight_decay=config["weight_decay"])
    return torch.optim.SGD(tensors, lr=config["lr"], weight_decay=config["weight_decay"])


def _index_stream(torch, seed: int, n_train: int, batch_size: int, steps: int):
    """Minibatch indices of one run, step by step: uniform with replacement from its first ``n_train`` samples."""
    generator = torch.Generator().manual_seed(seed)
    for start in range(0, steps, _INDEX_CHUNK):
        block = torch.randint(0, n_train, (min(_INDEX_CHUNK, steps - start), batch_size), generator=generator)
        yield from block


def _eval_seed(eval_seed: int, task: int) -> int:
    """Seed of task ``task``'s held-out data: ``eval_seed + task``, wrapped into ``[0, 2**63 - 1]``."""
    return (eval_seed + task) % (check.MAX_SEED + 1)


def _data(torch, problem, config, device, dtype):
    """The shared training pool and the held-out single-skill data, as tensors on ``device``."""
    S = config["target_scale"]
    pool = problem.sample(max(config["n_train"]), seed=config["data_seed"])
    evals = [
        problem.single_skill_data(k, config["n_eval"], seed=_eval_seed(config["eval_seed"], k))
        for k in range(problem.n_tasks)
    ]

    def tensor(array):
        return torch.as_tensor(np.asarray(array), dtype=dtype, device=device)

    return {
        "X": tensor(pool.X),
        "y": tensor(S * pool.y),
        "X_eval": tensor(np.concatenate([e.X for e in evals])),
        "y_eval": tensor(S * np.concatenate([e.y for e in evals])),
    }


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


def _result(config, history, params, mask, wall, method, device):
    strengths, test_losses, train_losses = (np.stack(h) for h in zip(*history))
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
    )


def _torch_dtype(torch, dtype):
    choices = {"float32": torch.float32, "float64": torch.float64}
    if isinstance(dtype, torch.dtype) and dtype in choices.values():
        return dtype
    if not isinstance(dtype, str) or dtype not in choices:
        raise ValueError(f"dtype must be 'float32' or 'float64' (or the torch dtype); got {check._describe(dtype)}")
    return choices[dtype]


def _setup(torch, problem, settings: dict) -> tuple[dict, Any, Any, bool]:
    """Validated config, torch dtype and device, and whether to show progress, from a trainer's arguments."""
    settings = {key: value for key, value in settings.items() if key not in ("torch", "problem")}
    device, dtype, progress = settings.pop("device"), settings.pop("dtype"), settings.pop("progress")
    config = _config(problem, **settings)
    progress = check.optional_flag("progress", progress)
    show = config["steps"] >= 2000 if progress is None else progress
    dtype = _torch_dtype(torch, dtype)
    for name in ("lr", "weight_decay"):  # the optimiser multiplies tensors of this dtype by them
        if config[name] > torch.finfo(dtype).max:
            raise ValueError(
                f"{name} must be at most {torch.finfo(dtype).max:.3g} for dtype {dtype}; got {config[name]:.3g}"
            )
    _check_target_scale(config["target_scale"], torch.finfo(dtype))
    return config, dtype, check.device("device", device), show


def _check_target_scale(S: float, finfo) -> None:
    """Refuse a target scale whose square leaves the normal range of the dtype.

    The skill strength divides by ``mean(y^2) = S^2`` (module docstring): below ``sqrt(tiny)`` it is 0/0, above
    ``sqrt(max)`` inf/inf.
    """
    low, high = float(finfo.tiny) ** 0.5, float(finfo.max) ** 0.5
    if not low <= S <= high:
        raise ValueError(
            f"target_scale must lie in [{low:.3g}, {high:.3g}] for dtype {finfo.dtype}: the skill strength divides "
            f"by the mean square of the targets, S^2, which must stay a normal number; got {S!r}"
        )


def _guard(config: dict, what: str) -> DivergenceGuard:
    """The divergence check of one training loop, quoting the settings that can cause a divergence."""
    keys = ("optimizer", "lr", "init_scale", "target_scale", "weight_decay")
    return DivergenceGuard(what, **{key: config[key] for key in keys})


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

    Each step draws, for every run, a minibatch of ``batch_size`` samples uniformly (with replacement)
    from its training set, and takes one optimiser step on ``1/2 mean (f - y)^2``. The runs' parameters
    are stacked along a leading axis; the loss summed over runs gives each run its own gradient, and the
    element-wise optimiser makes the stacked update exact. Seeds fix the initial weights and the
    minibatch order, so a run gives the same result alone, in any batch, and in :func:`train_mlp_loop`.

    Cost: ``runs x (steps x batch_size + records x (n_tasks x n_eval + n_probe))`` sample passes, refused up
    front beyond :data:`MAX_SAMPLE_PASSES` or when the arrays cannot fit in memory. Every step's minibatch
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
    params = {name: value.to(device).requires_grad_(True) for name, value in params.items()}
    mask_t = torch.as_tensor(mask, dtype=dtype, device=device)
    opt = _optimizer(torch, [params[n] for n in _PARAM_NAMES], config)

    def forward(X):  # X: (R, B, d) per run, or (B, d) shared by all runs
        if X.ndim == 2:
            X = X.expand(n_runs, *X.shape)
        hidden = torch.relu(torch.baddbmm(params["b1"][:, None, :], X, params["W1"]))
        # Masking the output weights silences padded units and zeroes every gradient that reaches them;
        # the product-and-sum is cheaper on the CPU than a batched matrix-vector product.
        return (hidden * (params["W2"] * mask_t)[:, None, :]).sum(dim=-1) + params["b2"][:, None]

    n_probe_used = min(config["n_probe"], data["X"].shape[0])

    def measure():
        with torch.no_grad():
            return _measure(
                torch,
                forward(data["X_eval"]),
                forward(data["X"][:n_probe_used]),
                data,
                config,
                problem,
                config["n_train"],
            )

    streams = [
        _index_stream(torch, _run_seeds(s)[1], n, config["batch_size"], config["steps"])
        for s, n in zip(config["seeds"], config["n_train"])
    ]
    record = set(config["recorded_steps"])
    history = [measure()] if 0 in record else []
    guard = _guard(config, f"MLP training ({n_runs} runs batched)")
    for step in tqdm(range(1, config["steps"] + 1), disable=not show, desc=f"MLP, {n_runs} runs batched"):
        index = torch.stack([next(stream) for stream in streams]).to(device)  # (R, B)
        residual = forward(data["X"][index]) - data["y"][index]
        loss = 0.5 * (residual**2).mean(dim=1)  # one loss per run
        guard.check(step, loss)
        opt.zero_grad(set_to_none=True)
        loss.sum().backward()
        opt.step()
        if step in record:
            history.append(measure())
            guard.check_values(step, "the test loss", history[-1][1])
    wall = time.perf_counter() - started
    return _result(config, history, params, mask, wall, "batched (stacked runs, torch.baddbmm)", device)


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
    n_probe_used = min(config["n_probe"], data["X"].shape[0])
    record = set(config["recorded_steps"])

    runs, run_histories = [], []
    for r, (seed, w, n) in enumerate(zip(config["seeds"], config["widths"], config["n_train"])):
        init_seed, batch_seed = _run_seeds(seed)
        params = _init_params(torch, init_seed, d, w, config["init_scale"], dtype)
        params = {name: value.to(device).requires_grad_(True) for name, value in params.items()}
        opt = _optimizer(torch, [params[name] for name in _PARAM_NAMES], config)

        def forward(X, params=params):
            return torch.relu(X @ params["W1"] + params["b1"]) @ params["W2"] + params["b2"]

        def measure(forward=forward, n=n):
            with torch.no_grad():
                out_eval, out_probe = forward(data["X_eval"])[None], forward(data["X"][:n_probe_used])[None]
                return _measure(torch, out_eval, out_probe, data, config, problem, [n])

        history = [measure()] if 0 in record else []
        guard = _guard(config, f"MLP training (run {r + 1} of {n_runs}, seed {seed})")
        stream = _index_stream(torch, batch_seed, n, config["batch_size"], config["steps"])
        for step in tqdm(range(1, config["steps"] + 1), disable=not show, desc=f"MLP, run {r + 1}/{n_runs}"):
            index = next(stream).to(device)
            loss = 0.5 * ((forward(data["X"][index]) - data["y"][index]) ** 2).mean()
            guard.check(step, loss)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            if step in record:
                history.append(measure())
                guard.check_values(step, "the test loss", history[-1][1])
        runs.append(params)
        run_histories.append(history)

    # Put the runs side by side, as the batched version records them.
    history = [
        [np.concatenate(parts) for parts in zip(*(h[i] for h in run_histories))] for i in range(len(run_histories[0]))
    ]
    finals = [{name: value.detach().cpu() for name, value in run.items()} for run in runs]
    stacked, mask = _stack(torch, finals, config["widths"], d, dtype)
    wall = time.perf_counter() - started
    return _result(config, history, stacked, mask, wall, "loop (one run at a time, torch.matmul)", device)


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
