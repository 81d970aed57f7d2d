"""Gradient descent, on the population loss or on samples: the discrete counterpart of gradient flow.

Each step is the explicit Euler step of gradient flow (Eq. 2); the result is a
:class:`~labhelpers.core.Trajectory` whose times are ``step * lr``, so descent and flow curves line up.
Book: chapter 1 (the feedback principle in discrete time, and the step-size experiments).
"""

from __future__ import annotations

import numpy as np
from tqdm.auto import tqdm

from . import validation as check
from .data import Moments, _population_loss, _validated
from .divergence import DivergenceGuard
from .models import Model, ParameterOverflowError
from .simulate import Trajectory, _as_params


def gradient_descent(
    model: Model,
    params0: dict,
    *,
    lr,
    steps: int,
    moments: Moments | None = None,
    X=None,
    Y=None,
    record_every: int = 1,
    device: str = "cpu",
    progress: bool | None = None,
) -> Trajectory:
    """Discrete gradient descent, on the population loss (``moments``) or on samples (``X``, ``Y``).

    Each step is the explicit Euler step of gradient flow, ``params += lr * (-dL/dparams)``. On samples
    the loss is ``1/(2n) sum_n ||y_n - f(x_n)||^2`` (Eq. 2 with the expectation replaced by the sample
    mean; note the 1/2 and the sum over outputs, unlike ``torch.nn.MSELoss``), and the gradient comes
    from torch autograd on ``device``.

    Every step feeds the loss to a ``labhelpers.core.DivergenceGuard``: a run whose loss
    stops being finite or grows a millionfold stops with a ``DivergenceError`` naming the step. The cost is
    bounded up front: ``steps * (number of runs) * (parameters per run + samples)`` may not exceed
    ``MAX_DESCENT_WORK`` (1e11, minutes of work), and the recorded history must fit in memory.

    Parameters
    ----------
    model : Model
        One of :mod:`labhelpers.core`.
    params0 : dict of array_like
        Initial parameters; leading batch dimensions run several descents at once.
    lr : float or array_like
        Step size(s), strictly positive. An array must broadcast to the batch shape of ``params0``:
        run ``k`` then steps with ``lr[k]``, e.g. to sweep step sizes in one call.
    steps : int
        Number of steps.
    moments : Moments, optional
        Population loss (give this, or both ``X`` and ``Y``).
    X, Y : array_like, optional
        Samples, shapes ``(n, d)`` and ``(n,)`` or ``(n, c)``.
    record_every : int
        Record every ``record_every``-th step (the last step is always recorded).
    device : str
        Torch device for the sample loss, resolved by ``labhelpers.core.device``.
    progress : bool, optional
        Show a progress bar (default: for 20 000 steps or more).

    Returns
    -------
    Trajectory
        ``times`` is the gradient-flow time ``step * lr`` reached by each recorded step: shape ``(T,)``
        for a scalar ``lr``, and ``(T, *batch)`` for an array ``lr`` (each run's own times, so
        ``trajectory.times[:, k]`` and ``trajectory.end_to_end[:, k]`` plot run ``k`` against time).
        ``info["recorded_steps"]`` lists the step numbers.
    """
    params0 = _as_params(model, params0)
    batch_shape = model.validate(params0, argument="params0")
    steps = check.positive_int("steps", steps)
    record_every = check.positive_int("record_every", record_every)
    lr, lr_batch = _checked_lr(lr, batch_shape)
    _check_loss_source(moments, X, Y)
    progress = check.optional_flag("progress", progress)
    if not (isinstance(device, str) and device == "cpu"):  # the default needs no torch import to check
        device = check.device("device", device)
    show = steps >= 20_000 if progress is None else progress
    _refuse_costly_descent(model, batch_shape, steps, record_every, X, Y)
    _refuse_overflowing_clock(lr, steps)
    record_steps = list(range(0, steps + 1, record_every))
    if record_steps[-1] != steps:
        record_steps.append(steps)

    if moments is not None:
        model._check_moments(_validated("moments", moments))
        _refuse_infinite_start(model, params0, moments)
        history = _descend_numpy(model, params0, moments, lr_batch, steps, set(record_steps), show)
        loss_of = moments.loss
        info = {"method": "gradient descent on the population loss"}
    else:
        device = check.device("device", device)
        history, loss_of = _descend_torch(model, params0, X, Y, lr_batch, steps, set(record_steps), device, show)
        info = {"method": "gradient descent on samples (torch)", "device": str(device)}
    info.update(
        {"lr": lr.tolist(), "steps": steps, "record_every": record_every, "recorded_steps": record_steps,
         "model": repr(model)}
    )  # fmt: skip
    return _trajectory(model, history, record_steps, lr, lr_batch, batch_shape, loss_of, info)


def _checked_lr(lr, batch_shape) -> tuple[np.ndarray, np.ndarray]:
    """``lr`` as a positive array, and broadcast to the batch shape when it is not a scalar."""
    lr = check.positive("lr", lr)
    try:
        lr_batch = np.broadcast_to(lr, batch_shape) if lr.ndim else lr
    except ValueError as error:
        raise ValueError(
            f"lr of shape {lr.shape} must broadcast to the batch shape {batch_shape} of params0"
        ) from error
    return lr, lr_batch


def _check_loss_source(moments, X, Y) -> None:
    """Exactly one loss: the population loss (``moments``) or the sample loss (both ``X`` and ``Y``)."""
    if (moments is None) == (X is None and Y is None) or (moments is None and (X is None or Y is None)):
        raise ValueError(
            "give either moments= (population loss) or both X= and Y= (samples), not both or neither; "
            f"got moments={'None' if moments is None else 'Moments'}, X={'None' if X is None else 'array'}, "
            f"Y={'None' if Y is None else 'array'}"
        )


def _trajectory(model, history, record_steps, lr, lr_batch, batch_shape, loss_of, info) -> Trajectory:
    """The recorded parameters as a :class:`Trajectory` whose times are ``step * lr`` (per run for an array lr)."""
    params = {name: np.stack([h[name] for h in history]) for name in model.param_names}
    end_to_end = model.end_to_end(params)
    recorded = np.asarray(record_steps, dtype=float)
    if lr.ndim:  # each run has its own clock: shape (T, *batch)
        times = recorded.reshape((-1,) + (1,) * len(batch_shape)) * lr_batch
    else:
        times = recorded * float(lr)
    return Trajectory(times, params, end_to_end, loss_of(end_to_end), info)


def _expand(lr, value):
    lr = np.asarray(lr)
    return lr.reshape(lr.shape + (1,) * (value.ndim - lr.ndim))


def _diverged(lr, step):
    return ValueError(
        f"gradient descent diverged (parameters overflowed) by step {step}: lr={check._describe(np.asarray(lr))} "
        "is too large for this loss; lower lr"
    )


MAX_DESCENT_WORK = 1e11
"""Largest ``steps * runs * (parameters per run + samples)`` :func:`gradient_descent` accepts (minutes of work)."""


def _refuse_infinite_start(model, params0, moments) -> None:
    """A start whose loss already overflows is the start's fault: say so, naming params0, before any step."""
    with np.errstate(over="ignore", invalid="ignore"):
        loss = _unchecked_loss(model, params0, moments)
    if not np.all(np.isfinite(loss)):
        largest = max(float(np.max(np.abs(v))) if v.size else 0.0 for v in params0.values())
        raise ValueError(
            f"params0 is too large: the loss at the start overflows the float range (entries up to {largest:.3g}); "
            "use a smaller initial scale"
        )


def _refuse_overflowing_clock(lr, steps: int) -> None:
    """The recorded times are ``step * lr``: refuse a product that leaves the float range."""
    largest = float(np.max(lr)) * float(steps)
    if not largest < np.finfo(float).max:
        raise ValueError(
            f"lr x steps = {float(np.max(lr)):.3g} x {steps} overflows the float range, so the gradient-flow "
            "times step * lr cannot be recorded; lower lr or steps"
        )


def _refuse_costly_descent(model, batch_shape, steps, record_every, X, Y) -> None:
    """Refuse, before any step, a descent whose work, data or recorded history is absurd."""
    runs = int(np.prod(batch_shape, dtype=float))
    per_run = sum(int(np.prod(shape)) for shape in model.shapes().values())
    samples = int(np.shape(X)[0]) if X is not None and np.ndim(X) >= 1 else 0
    if samples:
        # Copies of X and Y as tensors, the residuals of every run, and the sample loss of every record.
        records = steps // record_every + 2
        data = 3.0 * samples * (model.input_dim + model.output_dim)
        check.fits_in_memory("X and Y", data + 4.0 * samples * model.output_dim * runs * records)
    work = float(steps) * runs * (per_run + samples)
    if work > MAX_DESCENT_WORK:
        raise ValueError(
            f"steps={steps} for {runs} run(s) of {per_run} parameters on {samples} samples is about {work:.3g} "
            f"operations, more than MAX_DESCENT_WORK={MAX_DESCENT_WORK:.0e}; use fewer steps or a smaller batch"
        )
    check.fits_in_memory("the recorded history (steps / record_every)", (steps // record_every + 2) * runs * per_run)


def _guard(lr, what):
    return DivergenceGuard(f"gradient descent on {what}", lr=float(np.max(lr)))


def _unchecked_loss(model, params, moments):
    """The population loss, possibly inf: the divergence guard, not an overflow error, reports it."""
    try:
        return _population_loss(moments, model.end_to_end(params))
    except ParameterOverflowError:
        return np.inf


def _descend_numpy(model, params, moments, lr, steps, record, show):
    params = {k: v.copy() for k, v in params.items()}
    history = [dict(params)] if 0 in record else []
    guard = _guard(lr, "the population loss")
    guard.check(0, _unchecked_loss(model, params, moments))
    for step in tqdm(range(1, steps + 1), disable=not show, desc="gradient descent"):
        with np.errstate(over="ignore", invalid="ignore"):
            try:
                velocity = model.flow(params, moments)
            except ParameterOverflowError:
                raise _diverged(lr, step) from None
            params = {k: params[k] + _expand(lr, params[k]) * velocity[k] for k in params}
        if not all(np.all(np.isfinite(v)) for v in params.values()):
            raise _diverged(lr, step)
        with np.errstate(over="ignore", invalid="ignore"):
            guard.check(step, _unchecked_loss(model, params, moments))
        if step in record:
            history.append(params)
    return history


def _descend_torch(model, params, X, Y, lr, steps, record, device, show):
    import torch

    X, Y = check.samples(X, Y)
    if X.shape[1] != model.input_dim or Y.shape[1] != model.output_dim:
        raise ValueError(
            f"X, Y of widths {X.shape[1]}, {Y.shape[1]} do not match the model's {model.input_dim}, {model.output_dim}"
        )
    as_tensor = lambda a: torch.as_tensor(a, dtype=torch.float64, device=device)  # noqa: E731
    Xt, Yt = as_tensor(X), as_tensor(Y)
    # A copy: torch.as_tensor would share memory with the caller's arrays and update them in place.
    theta = {k: as_tensor(v).clone().requires_grad_(True) for k, v in params.items()}
    lr_t = {k: as_tensor(_expand(lr, v)) for k, v in params.items()}
    history = [{k: v.detach().cpu().numpy().copy() for k, v in theta.items()}] if 0 in record else []
    n = X.shape[0]
    guard = _guard(lr, "samples")
    for step in tqdm(range(1, steps + 1), disable=not show, desc="gradient descent"):
        residual = Yt - Xt @ model.end_to_end(theta)
        # The loss each run reached after step - 1 (the start, for step 1).
        guard.check(step - 1, 0.5 * (residual.detach() ** 2).sum(dim=(-1, -2)) / n)
        loss = 0.5 * (residual**2).sum() / n  # summed over the batch of runs: each run gets its own gradient
        grads = torch.autograd.grad(loss, list(theta.values()))
        with torch.no_grad():
            for (k, value), grad in zip(theta.items(), grads):
                value -= lr_t[k] * grad
        if step in record:
            history.append({k: v.detach().cpu().numpy().copy() for k, v in theta.items()})
            if not all(np.all(np.isfinite(v)) for v in history[-1].values()):
                raise _diverged(lr, step)
    with torch.no_grad():
        guard.check(steps, 0.5 * ((Yt - Xt @ model.end_to_end(theta)) ** 2).sum(dim=(-1, -2)) / n)

    def sample_loss(P):
        residual = Y[None] - np.einsum("nd,...dc->...nc", X, P)
        return 0.5 * (residual**2).sum(axis=(-1, -2)) / n

    return history, sample_loss
