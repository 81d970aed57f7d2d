"""Simulators: gradient flow on the population loss, and gradient descent on samples or moments.

Both return a :class:`Trajectory`, the one result object of the package: times, parameters at
each time, the end-to-end map and the loss. Plotting and metric functions take any trajectory.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.integrate import solve_ivp
from tqdm.auto import tqdm

from . import validation as check
from .data import Moments, _population_loss, _validated
from .divergence import DivergenceGuard
from .models import Model, ParameterOverflowError


@dataclass
class Trajectory:
    """A simulation's record; every array has time as its first axis.

    - ``times``, shape ``(T,)``: gradient-flow time. For gradient descent, ``step * lr`` (so curves of
      both line up); with an array of step sizes every run has its own clock, and ``times`` has shape
      ``(T, *batch)``: ``times[:, k]`` belongs to run ``k``.
    - ``params``: dict of arrays, each parameter at each time, shape ``(T, *batch, *param_shape)``.
    - ``end_to_end``, shape ``(T, *batch, d, c)``: the end-to-end map ``P`` with ``f(x) = x^T P``.
    - ``loss``, shape ``(T, *batch)``: loss at each recorded time (population loss, or mean training
      loss for samples).
    - ``info``: dict saying how it was produced (method, tolerances, step size, ...).
    """

    times: np.ndarray
    params: dict[str, np.ndarray]
    end_to_end: np.ndarray
    loss: np.ndarray
    info: dict[str, Any] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.times)

    def at(self, index: int) -> dict[str, np.ndarray]:
        """Parameters at one recorded time index."""
        return {name: value[index] for name, value in self.params.items()}

    @property
    def final(self) -> dict[str, np.ndarray]:
        return self.at(-1)


def _flatten(params: dict[str, np.ndarray], names) -> np.ndarray:
    return np.concatenate([np.asarray(params[n], dtype=float).ravel() for n in names])


def _unflatten(vector: np.ndarray, shapes: dict[str, tuple[int, ...]]) -> dict[str, np.ndarray]:
    out, start = {}, 0
    for name, shape in shapes.items():
        size = int(np.prod(shape))
        out[name] = vector[start : start + size].reshape(shape)
        start += size
    return out


def _as_params(model: Model, params) -> dict[str, np.ndarray]:
    if not isinstance(model, Model):
        raise ValueError(f"model must be a labhelpers.core.models.Model; got {type(model).__name__}")
    if not isinstance(params, dict):
        raise ValueError(
            f"params0 must be a dict of arrays with keys {list(model.param_names)}; got {type(params).__name__}"
        )
    converted = {name: check.as_array(f"params0['{name}']", value) for name, value in params.items()}
    model.validate(converted, argument="params0")
    return converted


def _time_grid(t_max, n_times, times) -> np.ndarray:
    if (times is None) == (t_max is None):
        raise ValueError("give either t_max= (with n_times=) or times=, not both or neither")
    if times is not None:
        grid = check.as_array("times", times, ndim=1)
        if grid.size < 2 or np.any(np.diff(grid) <= 0) or grid[0] < 0:
            raise ValueError(f"times must be increasing, non-negative and have at least 2 entries; got {grid[:4]}...")
        return grid
    t_max = check.positive_scalar("t_max", t_max)
    n_times = check.positive_int("n_times", n_times, minimum=2)
    check.fits_in_memory("n_times", n_times)
    grid = np.linspace(0.0, t_max, n_times)
    if np.any(np.diff(grid) <= 0):
        raise ValueError(
            f"t_max={t_max!r} is too small to hold n_times={n_times} distinct times; use a larger t_max or fewer times"
        )
    return grid


MAX_EVALUATIONS = 500_000
"""Default evaluation budget of :func:`gradient_flow`: at most about a minute for the book's model sizes
(the chapters' runs take 10 000 to 40 000 evaluations)."""


class _BudgetSpent(Exception):
    def __init__(self, time: float) -> None:
        self.time = time


def _refuse_long_span(model, params0, moments, t_end, max_evaluations, max_step, span) -> None:
    """Refuse up front a span that no explicit solver can cover within the budget.

    DOP853 takes 12 evaluations a step and is stable for steps up to about ``6 / rate``. The fastest
    rate at the start is at least the largest entry of ``sigma_xx`` times the squared parameter scale, and
    near a learned fixed point at least the largest entry of ``sigma_xy`` (Eq. 9: ``2 |S| E[x^2]``). A span
    needing more steps than the budget allows cannot finish.
    """
    with np.errstate(over="ignore"):  # a scale of 1e200 squares to inf: then the span is refused below
        scale = max(float(np.max(np.abs(v)).astype(np.float64) ** 2) if v.size else 0.0 for v in params0.values())
    target = float(np.max(np.abs(moments.sigma_xy))) if moments.sigma_xy.size else 0.0
    rate = max(float(np.max(np.abs(moments.sigma_xx))) * scale, target)  # Python floats: inf, no warning
    if not np.isfinite(rate):
        raise ValueError(
            "params0 is too large for gradient flow: the squared parameter scale overflows, so the flow "
            f"cannot be integrated; got entries up to {max(float(np.max(np.abs(v))) for v in params0.values() if v.size):.3g}; "
            "use a smaller initial scale"
        )
    fewest_steps = float(t_end) * rate / 6.0
    if max_step is not None and float(t_end) / max_step > fewest_steps:
        fewest_steps = float(t_end) / max_step
        if 12.0 * fewest_steps > max_evaluations:
            raise ValueError(
                f"max_step={max_step:.3g} is too small to reach {span} within max_evaluations={max_evaluations} "
                f"(it needs at least {12 * fewest_steps:.3g} evaluations); use a larger max_step or a shorter span"
            )
    if 12.0 * fewest_steps > max_evaluations:
        raise ValueError(
            f"gradient flow cannot reach {span} within max_evaluations={max_evaluations}: the fastest rate at "
            f"the start is about {rate:.3g}, so it needs at least {12 * fewest_steps:.3g} evaluations; "
            "shorten the time span or raise max_evaluations"
        )


def gradient_flow(
    model: Model,
    params0: dict,
    moments: Moments,
    *,
    t_max: float | None = None,
    n_times: int = 201,
    times=None,
    rtol: float = 1e-10,
    atol: float = 1e-12,
    max_step: float | None = None,
    max_evaluations: int = MAX_EVALUATIONS,
) -> Trajectory:
    """Integrate gradient flow ``dparams/dt = -dL/dparams`` on the population loss (Eq. 2).

    Uses scipy's adaptive 8th-order Runge-Kutta (DOP853) with tight tolerances, so the result is
    accurate enough to test closed forms against: at the default ``rtol=1e-10`` the relative error of
    the chapters' runs is about 1e-9. Long runs over many time scales (a mode that waits a long time,
    then saturates) accumulate more: tighten ``rtol`` (e.g. 1e-12) there. Parameters may carry batch
    dimensions: the whole batch is integrated as one system.

    Parameters
    ----------
    model : Model
        One of :mod:`labhelpers.core`.
    params0 : dict of array_like
        Initial parameters, e.g. ``{"a": ..., "b": ...}``.
    moments : Moments
        Second moments of the data, e.g. from :func:`labhelpers.core.teacher_moments`.
    t_max, n_times : float, int
        Record ``n_times`` equally spaced times in ``[0, t_max]`` ...
    times : array_like, optional
        ... or exactly these times (increasing).
    rtol, atol : float
        Tolerances of the solver.
    max_step : float, optional
        Largest step the solver may take. Near a stable fixed point an explicit solver grows its step to
        its stability limit, where rounding (which differs between CPUs) rather than ``rtol`` sets the error;
        a step below ``1 / rate`` of the fastest mode keeps the error at the ``rtol`` level.
    max_evaluations : int
        The cost this call may spend: at most this many evaluations of the flow (each one model gradient).
        A run that would need more is refused, up front when the time span is evidently too long for the
        fastest rate at the start, otherwise as soon as the budget is spent, with an error naming ``t_max``.

    Returns
    -------
    Trajectory
        ``times`` of shape ``(T,)``; parameters, end-to-end maps and losses at those times.
    """
    params0 = _as_params(model, params0)
    model._check_moments(_validated("moments", moments))
    grid = _time_grid(t_max, n_times, times)
    rtol = check.positive_scalar("rtol", rtol)
    atol = check.positive_scalar("atol", atol)
    if not 1e-15 <= rtol <= 0.1:
        raise ValueError(f"rtol must lie in [1e-15, 0.1] (the solver cannot go below rounding); got {rtol!r}")
    options = {} if max_step is None else {"max_step": check.positive_scalar("max_step", max_step)}
    max_evaluations = check.positive_int("max_evaluations", max_evaluations, minimum=100)
    shapes = {name: params0[name].shape for name in model.param_names}
    # The solver's record, the parameters, end-to-end maps and losses, each at every recorded time.
    runs = float(np.prod(model.validate(params0, argument="params0"), dtype=float))
    per_time = sum(float(v.size) for v in params0.values()) * 3 + runs * (model.input_dim * model.output_dim + 1)
    check.fits_in_memory("n_times (the recorded trajectory)", float(grid.size) * per_time)
    span = f"t_max={grid[-1]:.6g}" if times is None else f"times up to {grid[-1]:.6g}"
    _refuse_long_span(model, params0, moments, grid[-1], max_evaluations, options.get("max_step"), span)
    evaluations = [0]

    def rhs(_t, vector):
        evaluations[0] += 1
        if evaluations[0] > max_evaluations:
            raise _BudgetSpent(_t)
        return _flatten(model.flow(_unflatten(vector, shapes), moments), model.param_names)

    y0 = _flatten(params0, model.param_names)
    try:
        with np.errstate(over="raise", invalid="raise"):
            solution = solve_ivp(
                rhs, (0.0, grid[-1]), y0, method="DOP853", t_eval=grid, rtol=rtol, atol=atol, **options
            )
    except _BudgetSpent as spent:
        raise ValueError(
            f"gradient flow needs more than max_evaluations={max_evaluations} gradient evaluations to reach "
            f"{span} (it had reached t={spent.time:.6g}); shorten the time span, or raise max_evaluations "
            "if you can wait (about 10-100 microseconds per evaluation for the chapters' sizes)"
        ) from None
    except (FloatingPointError, ParameterOverflowError) as error:
        raise ValueError(
            f"gradient flow overflowed before {span}: the parameters grow without bound from this start "
            "(check the scale of params0 and of the moments)"
        ) from error
    if not solution.success:
        raise RuntimeError(f"gradient flow integration failed: {solution.message}")
    records = [_unflatten(column, shapes) for column in solution.y.T]
    params = {name: np.stack([r[name] for r in records]) for name in model.param_names}
    end_to_end = model.end_to_end(params)
    return Trajectory(
        times=solution.t,
        params=params,
        end_to_end=end_to_end,
        loss=moments.loss(end_to_end),
        info={
            "method": "gradient flow (DOP853)",
            "rtol": rtol,
            "atol": atol,
            "model": repr(model),
            "nfev": solution.nfev,
        },
    )


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

    Every step feeds the loss to a ``labhelpers.core.DivergenceGuard``: a run whose loss
    stops being finite or grows a millionfold stops with a ``DivergenceError`` naming the step. The cost is
    bounded up front: ``steps * (number of runs) * (parameters per run + samples)`` may not exceed
    ``MAX_DESCENT_WORK`` (1e11, minutes of work), and the recorded history must fit in memory.

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
    lr = check.positive("lr", lr)
    try:
        lr_batch = np.broadcast_to(lr, batch_shape) if lr.ndim else lr
    except ValueError as error:
        raise ValueError(
            f"lr of shape {lr.shape} must broadcast to the batch shape {batch_shape} of params0"
        ) from error
    if (moments is None) == (X is None and Y is None) or (moments is None and (X is None or Y is None)):
        raise ValueError(
            "give either moments= (population loss) or both X= and Y= (samples), not both or neither; "
            f"got moments={'None' if moments is None else 'Moments'}, X={'None' if X is None else 'array'}, "
            f"Y={'None' if Y is None else 'array'}"
        )
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
    params = {name: np.stack([h[name] for h in history]) for name in model.param_names}
    end_to_end = model.end_to_end(params)
    recorded = np.asarray(record_steps, dtype=float)
    if lr.ndim:  # each run has its own clock: shape (T, *batch)
        times = recorded.reshape((-1,) + (1,) * len(batch_shape)) * lr_batch
    else:
        times = recorded * float(lr)
    info.update(
        {
            "lr": lr.tolist(),
            "steps": steps,
            "record_every": record_every,
            "recorded_steps": record_steps,
            "model": repr(model),
        }
    )
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
