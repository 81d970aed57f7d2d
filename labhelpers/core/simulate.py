"""Gradient flow on the population loss (Eq. 2), and the trajectory record every simulator returns.

:class:`Trajectory` is the one result object of the simulators (this module's :func:`gradient_flow` and
:func:`~labhelpers.core.gradient_descent`): times, parameters at each time, the end-to-end map and the
loss. Plotting and metric functions take any trajectory.
Book: chapter 1 (every closed form of the book is checked against :func:`gradient_flow`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.integrate import solve_ivp

from . import validation as check
from .data import Moments, _validated
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
    rtol, atol, options, max_evaluations = _solver_settings(rtol, atol, max_step, max_evaluations)
    shapes = {name: params0[name].shape for name in model.param_names}
    _check_record_fits(model, params0, grid)
    span = f"t_max={grid[-1]:.6g}" if times is None else f"times up to {grid[-1]:.6g}"
    _refuse_long_span(model, params0, moments, grid[-1], max_evaluations, options.get("max_step"), span)
    solution = _solve(model, params0, moments, grid, shapes, rtol, atol, options, max_evaluations, span)
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


def _solver_settings(rtol, atol, max_step, max_evaluations) -> tuple[float, float, dict, int]:
    """The checked tolerances, solver options and evaluation budget of :func:`gradient_flow`."""
    rtol = check.positive_scalar("rtol", rtol)
    atol = check.positive_scalar("atol", atol)
    if not 1e-15 <= rtol <= 0.1:
        raise ValueError(f"rtol must lie in [1e-15, 0.1] (the solver cannot go below rounding); got {rtol!r}")
    options = {} if max_step is None else {"max_step": check.positive_scalar("max_step", max_step)}
    max_evaluations = check.positive_int("max_evaluations", max_evaluations, minimum=100)
    return rtol, atol, options, max_evaluations


def _check_record_fits(model, params0, grid) -> None:
    """Refuse a recorded trajectory (parameters, end-to-end maps, losses at every time) that cannot fit."""
    runs = float(np.prod(model.validate(params0, argument="params0"), dtype=float))
    per_time = sum(float(v.size) for v in params0.values()) * 3 + runs * (model.input_dim * model.output_dim + 1)
    check.fits_in_memory("n_times (the recorded trajectory)", float(grid.size) * per_time)


def _solve(model, params0, moments, grid, shapes, rtol, atol, options, max_evaluations, span):
    """DOP853 on the flattened parameters, within the evaluation budget; failures named in the caller's terms."""
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
    return solution
