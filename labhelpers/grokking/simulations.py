"""The chapter's checks of Eq. 15's closed forms against numerical gradient flow (Sec. 7, App. I).

Book: chapter 5, "Aligned and anti-aligned features: the exact solution" (Theorem I.1 against the flow,
:func:`compare_with_flow`), "One number for the regime" (the final growth factor measured from simulated
weights, :func:`measured_growth_factor`) and "Grokking as lazy, then rich" (each of the four cures against
one reference problem, :func:`compare_cure`). Each simulates with :func:`labhelpers.core.gradient_flow` and
returns a small result object or number; the closed forms live in :mod:`.scalar` and :mod:`.diagonal`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..core import validation as check
from ..core.data import teacher_moments
from ..core.simulate import gradient_flow
from .diagonal import rescaled_problem
from .scalar import (
    WideScalarNetwork,
    aligned_scales,
    exact_slope,
    exact_solution,
    slope,
    target_moments,
    weight_scale,
)


def _initial_weights(w0) -> dict[str, np.ndarray]:
    """``w0`` as a dict of two 1-D arrays ``a``, ``b`` of the same width (one network)."""
    if not isinstance(w0, dict) or set(w0) != {"a", "b"}:
        raise ValueError(f"w0 must be a dict with the weights 'a' and 'b'; got {check._describe(w0)}")
    a = check.as_array("w0['a']", w0["a"], ndim=1)
    b = check.as_array("w0['b']", w0["b"], ndim=1)
    if a.shape != b.shape or a.size == 0:
        raise ValueError(f"w0['a'] and w0['b'] must be non-empty and of one width; got {a.shape} and {b.shape}")
    with np.errstate(over="ignore"):
        squares = float(np.sum(a * a) + np.sum(b * b))
    if not np.isfinite(squares):
        raise ValueError(
            f"w0's weights are too large: their squares overflow the float range (largest |a|, |b|: "
            f"{np.max(np.abs(a)):.3g}, {np.max(np.abs(b)):.3g})"
        )
    return {"a": a, "b": b}


@dataclass
class FlowComparison:
    """Gradient flow of one network of Eq. 15 against Theorem I.1 (:func:`compare_with_flow`).

    - ``times``, shape ``(T,)``: the recorded times in units of ``tau = Z / 2S`` (the first is 0);
    - ``slope`` and ``exact``, shape ``(T,)``: the simulated and the closed-form slope ``beta(t) / S``;
    - ``weight_error``: the largest relative error of the weights ``a`` and ``b`` against
      :func:`~labhelpers.grokking.exact_solution` (entries below 1e-3 of the largest are compared absolutely);
    - ``drift``: the largest change of the conserved ``Sigma^2 - beta^2``, relative to ``Sigma_0^2``.
    """

    times: np.ndarray
    slope: np.ndarray
    exact: np.ndarray
    weight_error: float
    drift: float


#: The longest span :func:`compare_with_flow` simulates, in time constants ``tau = Z / 2S``.
MAX_T = 1e4


def _flow(S: float, Z: float, *args, **kwargs):
    """``gradient_flow``; a run it refuses as too long is blamed on ``S`` and ``Z``, which set its clock."""
    try:
        return gradient_flow(*args, **kwargs)
    except ValueError as error:
        if "max_evaluations" not in str(error):
            raise
        raise ValueError(
            f"S={S:g} and Z={Z:g} set the time constant tau = Z / 2S = {Z / (2 * S):.3g}: the network would have "
            f"to be simulated too long ({error})"
        ) from error


def compare_with_flow(w0, S: float, Z: float = 1.0, *, t_max: float = 30.0, n_times: int = 60):
    """Integrate gradient flow of Eq. 15's network and compare it with Theorem I.1 (Eqs. gk-uv, gk-gamma).

    Parameters
    ----------
    w0 : dict
        Initial weights ``{"a": (p,), "b": (p,)}``, e.g. from :func:`~labhelpers.grokking.gaussian_init`.
    S : float
        Target slope (> 0).
    Z : float
        Output normalisation (> 0).
    t_max : float
        Last time, in units of ``tau = Z / 2S``; the times are ``0`` and ``n_times`` log-spaced ones from
        ``1e-3`` to ``t_max``.
    n_times : int
        Number of log-spaced times.

    Returns
    -------
    FlowComparison
    """
    from ..plotting import relative_error

    w0 = _initial_weights(w0)
    S = check.positive_scalar("S", S)
    Z = check.positive_scalar("Z", Z)
    t_max = check.positive_scalar("t_max", t_max)
    n_times = check.positive_int("n_times", n_times, minimum=2, maximum=10_000)
    if t_max <= 1e-3:
        raise ValueError(f"t_max must exceed 1e-3 (in units of Z / 2S); got {t_max:g}")
    if t_max > MAX_T:
        raise ValueError(
            f"t_max must be at most {MAX_T:g} time constants Z / 2S (minutes of simulation); got {t_max:g}"
        )
    tau = Z / (2.0 * S)
    times = tau * np.r_[0.0, np.geomspace(1e-3, t_max, n_times)]
    model = WideScalarNetwork(w0["a"].size, Z)
    flow = _flow(S, Z, model, w0, target_moments(S), times=times, rtol=1e-12, atol=1e-14)
    exact = exact_solution(times, w0["a"], w0["b"], S, Z)
    weight_error = max(relative_error(flow.params[k], exact[k], floor=1e-3) for k in "ab")
    invariant = weight_scale(flow.params, Z) ** 2 - slope(flow.params, Z) ** 2
    drift = np.abs(invariant - invariant[0]).max() / weight_scale(w0, Z) ** 2
    return FlowComparison(
        times=times / tau,
        slope=slope(flow.params, Z) / S,
        exact=exact_slope(times, *aligned_scales(w0, Z), S, Z) / S,
        weight_error=float(weight_error),
        drift=float(drift),
    )


def measured_growth_factor(w0, S: float, Z: float = 1.0) -> float:
    """Final growth factor ``gamma+`` of a simulated network: ``|u(T)|^2 / |u(0)|^2`` with ``u = a + b``.

    Gradient flow of Eq. 15 runs until the slope has converged (30 time constants ``1/r`` of Eq. gk-gamma
    after the rich plateau of length ``tau ln(4 / ratio)``), so the result is ``gamma+`` of Theorem I.1
    measured from the weights, not computed from it.

    Parameters
    ----------
    w0 : dict
        Initial weights ``{"a": (p,), "b": (p,)}`` with a zero initial output, such as
        :func:`~labhelpers.grokking.mirrored_init` or ``sign_init(p, p // 2)``.
    S, Z : float
        Target slope and output normalisation (> 0).
    """
    w0 = _initial_weights(w0)
    S = check.positive_scalar("S", S)
    Z = check.positive_scalar("Z", Z)
    ratio = float(weight_scale(w0, Z)) / S
    if not ratio > 0:
        raise ValueError("w0 must not be all zeros (the network would never move)")
    rate = 2.0 * np.hypot(S, ratio * S) / Z  # r of Theorem I.1 with A = B = Sigma_0 / 2
    t_end = Z / (2.0 * S) * max(np.log(4.0 / ratio), 0.0) + 30.0 / rate
    if not (np.isfinite(t_end) and t_end > 0):
        raise ValueError(
            f"S={S:g} and Z={Z:g} give a time constant tau = Z / 2S = {Z / (2 * S):.3g} that cannot be simulated"
        )
    model = WideScalarNetwork(w0["a"].size, Z)
    flow = _flow(S, Z, model, w0, target_moments(S), times=[0.0, t_end], rtol=1e-12)
    u = flow.params["a"] + flow.params["b"]
    return float(np.sum(u[-1] ** 2) / np.sum(u[0] ** 2))


@dataclass
class CureComparison:
    """One cure of Theorem gk-thm-knobs, simulated and compared with the reference problem (:func:`compare_cure`).

    - ``ratio`` and ``time_unit``: the rescaled problem's weight-to-target ratio and clock ``tau'``;
    - ``slope``, shape ``(T,)``: the simulated ``beta / S'`` at the times ``t / tau'`` asked for;
    - ``error``: its largest deviation from the reference closed form (``S = Z = E[x^2] = 1``, same ratio).
    """

    ratio: float
    time_unit: float
    slope: np.ndarray
    error: float


def compare_cure(w0, S: float, Z: float, times, **knobs) -> CureComparison:
    """Simulate Eq. 15 with one or more of the four knobs turned and compare with Eq. gk-knobs.

    The weights ``w0`` (zero initial output) are multiplied by ``weight_scale``, the target by
    ``target_scale``, the inputs by ``input_scale`` and the output by ``output_scale``; the network is
    trained on the resulting model and data moments by gradient flow. Theorem gk-thm-knobs says that its
    ``beta / S'`` at time ``t = tau' * times`` is the slope of the reference problem (``S = Z = 1``, unit
    input variance, ``tau = 1/2``, ``A = B = ratio' / 2``) at time ``times / 2``.

    Parameters
    ----------
    w0 : dict
        Initial weights ``{"a": (p,), "b": (p,)}`` before the change, with ``sum a b = 0``.
    S, Z : float
        Target slope and output normalisation before the change (> 0).
    times : array_like
        Times in units of the rescaled clock ``tau'`` (>= 0, increasing).
    **knobs
        ``weight_scale``, ``target_scale``, ``input_scale``, ``output_scale`` (see
        :func:`~labhelpers.grokking.rescaled_problem`).
    """
    w0 = _initial_weights(w0)
    S = check.positive_scalar("S", S)
    Z = check.positive_scalar("Z", Z)
    hat_t = check.as_array("times", times, ndim=1)
    check.positive("times", hat_t, allow_zero=True)
    unknown = set(knobs) - {"weight_scale", "target_scale", "input_scale", "output_scale"}
    if unknown:
        raise ValueError(f"unknown knobs {sorted(unknown)}; use weight_scale, target_scale, input_scale, output_scale")
    A, B = aligned_scales(w0, Z)
    if not np.isclose(A, B, rtol=1e-9, atol=0.0):
        raise ValueError(f"w0 must start with a zero output (A = B); got A = {float(A):.3g}, B = {float(B):.3g}")
    new = {k: float(v) for k, v in rescaled_problem(A + B, S, Z, **knobs).items()}
    w = knobs.get("weight_scale", 1.0)
    scaled = {k: v * w for k, v in w0.items()}
    moments = teacher_moments([new["variance"]], [new["S"]])
    model = WideScalarNetwork(w0["a"].size, new["Z"])
    flow = _flow(S, Z, model, scaled, moments, times=hat_t * new["time_unit"], rtol=1e-12)
    simulated = flow.end_to_end[:, 0, 0] / new["S"]
    half = new["ratio"] / 2.0
    reference = exact_slope(hat_t / 2.0, half, half, 1.0)
    return CureComparison(
        ratio=new["ratio"],
        time_unit=new["time_unit"],
        slope=simulated,
        error=float(np.abs(simulated - reference).max()),
    )
