"""Setting up the parity MLP trainers: validated arguments, cost limits, seeds, initial weights, data, optimiser.

Book: chapter 2, "A two-layer network learns the same skills" (Sec. em-mlp). The pieces that
:func:`~labhelpers.emergence.train_mlp_batched` and :func:`~labhelpers.emergence.train_mlp_loop` share before
their first step (:mod:`labhelpers.emergence.mlp` trains): every argument checked once, a run refused up front
beyond ``MAX_SAMPLE_PASSES``, each run's two seeds (initial weights, minibatch order), PyTorch's default
initialisation drawn on the CPU, the shared training pool and held-out single-skill data, the networks
(stacked and padded, or one at a time) with their FLOP count, and the divergence check of a training loop.
"""

from __future__ import annotations

from typing import Any

import numpy as np

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
    """Refuse up front a run beyond ``MAX_SAMPLE_PASSES``, or one whose arrays cannot fit in memory.

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


# ---------------------------------------------------------------------------- the networks
def _flops_per_sample(input_dim: int, width: int) -> float:
    """About 6 FLOPs per weight and sample for the forward and backward pass (2 forward, 4 backward)."""
    return 6.0 * (input_dim * width + 2 * width + 1)


def _trainable(params: dict, device) -> dict:
    return {name: value.to(device).requires_grad_(True) for name, value in params.items()}


def _batched_forward(torch, params: dict, mask_t):
    """The stacked networks' outputs ``(R, n)`` on inputs ``(R, n, d)`` (one batch per run) or ``(n, d)`` (shared)."""
    n_runs = params["W1"].shape[0]

    def forward(X):
        if X.ndim == 2:
            X = X.expand(n_runs, *X.shape)
        hidden = torch.relu(torch.baddbmm(params["b1"][:, None, :], X, params["W1"]))
        # Masking the output weights silences padded units and zeroes every gradient that reaches them;
        # the product-and-sum is cheaper on the CPU than a batched matrix-vector product.
        return (hidden * (params["W2"] * mask_t)[:, None, :]).sum(dim=-1) + params["b2"][:, None]

    return forward


def _run_forward(torch, params: dict):
    """One network's outputs ``(n,)`` on inputs ``(n, d)``, with plain matrix products."""

    def forward(X):
        return torch.relu(X @ params["W1"] + params["b1"]) @ params["W2"] + params["b2"]

    return forward


# ---------------------------------------------------------------------------- the trainers' arguments
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
