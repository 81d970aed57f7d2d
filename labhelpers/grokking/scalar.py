"""Weight-to-target ratio and grokking (Sec. 7, App. H, App. I): a wide network with scalar input.

The model of Eq. 15 has one input, one output and ``p`` hidden units,

``f(x) = (1/Z) sum_i a_i b_i x``,  target ``f*(x) = S x``,  ``E[x^2] = 1``,

with an output normalisation ``Z`` (``Z = 1`` standard, ``Z = sqrt(p)`` NTK). Its state is summarised by the
learned slope ``beta = (1/Z) sum_i a_i b_i`` and the weight scale ``Sigma = (1/2Z) sum_i (a_i^2 + b_i^2)``;
``Sigma_0 / S`` is the *weight-to-target ratio*. Gradient flow gives ``beta' = (2/Z) Sigma (S - beta)`` and
``Sigma' = (2/Z) beta (S - beta)``, so ``Sigma^2 - beta^2`` is conserved.

Exact solution (Theorem I.1, App. I; notation of the course). With ``u_i = a_i + b_i`` and
``v_i = a_i - b_i``, every aligned component grows and every anti-aligned one shrinks by one common factor,
``u_i(t) = u_i(0) sqrt(gamma(t))``, ``v_i(t) = v_i(0) / sqrt(gamma(t))``. With
``A = (1/4Z) sum_i u_i(0)^2`` and ``B = (1/4Z) sum_i v_i(0)^2`` (so ``A + B = Sigma_0``, ``A - B = beta_0``),
``gamma`` solves the Riccati equation ``gamma' = (2/Z)(-A gamma^2 + S gamma + B)``, ``gamma(0) = 1``:

``gamma(t) = (gamma+ - Q gamma- e^{-rt}) / (1 - Q e^{-rt})``,  ``gamma+- = (S +- sqrt(S^2 + 4AB)) / (2A)``,
``Q = (1 - gamma+) / (1 - gamma-)``,  ``r = (2/Z) sqrt(S^2 + 4AB)``,  and  ``beta(t) = A gamma - B / gamma``.

The final growth factor ``gamma+`` says how unequally the features move: ``gamma+ ~ 1`` when
``Sigma_0 >> S`` (lazy: nothing moves much) and ``gamma+ >> 1`` when ``Sigma_0 << S`` (rich: the aligned
features take over). Here: the model (:class:`WideScalarNetwork`), its summaries (:func:`slope`,
:func:`weight_scale`, :func:`aligned_scales`), the closed forms (:func:`growth_factors`,
:func:`growth_factor`, :func:`exact_slope`, :func:`exact_solution`, :func:`gamma_plus_from_ratio`) and
initialisations (:func:`sign_init`, :func:`gaussian_init`, :func:`ntk_init`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..core import validation as check
from ..core.data import Moments, teacher_moments
from ..core.divergence import DivergenceGuard
from ..core.models import Model, Params


class WideScalarNetwork(Model):
    """Scalar-input network of width ``p`` (Eq. 15): ``f(x) = (1/Z) sum_i a_i b_i x``.

    Parameters ``a`` and ``b`` have shape ``(..., p)`` (leading batch dimensions allowed). The
    end-to-end map is the slope ``beta`` as a ``(..., 1, 1)`` array (``d = c = 1``), so the population
    loss (Eq. 2) and :func:`labhelpers.core.gradient_flow` apply unchanged. Flow, for input variance
    ``E[x^2]`` and residual ``E = sigma_xy - sigma_xx beta`` (``= S - beta`` when ``E[x^2] = 1``):
    ``a' = E b / Z``, ``b' = E a / Z``.

    Parameters
    ----------
    width : int
        Number of hidden units ``p`` (>= 1).
    Z : float
        Output normalisation (> 0): 1 for the standard parametrisation, ``sqrt(p)`` for NTK.
    """

    param_names = ("a", "b")
    input_dim = 1
    output_dim = 1

    def __init__(self, width: int, Z: float = 1.0):
        self.width = check.positive_int("width", width)
        self.Z = check.positive_scalar("Z", Z)

    def shapes(self):
        return {"a": (self.width,), "b": (self.width,)}

    def end_to_end(self, params: Params):
        self.validate(params)
        return ((params["a"] * params["b"]).sum(-1) / self.Z)[..., None, None]

    def flow(self, params: Params, moments: Moments) -> Params:
        params = self._arrays(params)
        E = self.residual(params, moments)[..., 0, 0][..., None] / self.Z
        return {"a": E * params["b"], "b": E * params["a"]}


MAX_TARGET_SCALE = 1e150
"""Largest ``|S|`` of :func:`target_moments`: ``S^2`` stays well inside the float range."""


def target_moments(target_scale: float) -> Moments:
    """Moments of Eq. 15's task: ``E[x^2] = 1`` and ``f*(x) = S x`` (``target_scale = S``)."""
    S = check.as_array("target_scale", target_scale)
    if S.ndim != 0:
        raise ValueError(f"target_scale must be a single number; got {check._describe(S)}")
    S = float(S)  # any sign: S < 0 is a falling teacher, S = 0 the zero target
    if abs(S) > MAX_TARGET_SCALE:
        raise ValueError(
            f"|target_scale| must be at most {MAX_TARGET_SCALE:.0e}, or E[y^2] = S^2 overflows; got {S:.3g}"
        )
    return teacher_moments([1.0], [S])


# ---------------------------------------------------------------------------- summaries of the weights
def _weights(params: Any, Z: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    if not isinstance(params, dict) or not {"a", "b"} <= set(params):
        got = sorted(params) if isinstance(params, dict) else type(params).__name__
        raise ValueError(f"params must be a dict with keys 'a' and 'b' (arrays of shape (..., p)); got {got}")
    a = check.as_array("params['a']", params["a"])
    b = check.as_array("params['b']", params["b"])
    _check_pair(a, b, "params['a']", "params['b']")
    Z = check.positive("Z", Z)
    return a, b, Z


def _check_pair(a: np.ndarray, b: np.ndarray, name_a: str, name_b: str) -> None:
    if a.ndim == 0 or a.shape[-1] == 0:
        raise ValueError(f"{name_a} must have a last axis of width p >= 1; got shape {a.shape}")
    if a.shape != b.shape:
        raise ValueError(f"{name_a} and {name_b} must have the same shape; got {a.shape} and {b.shape}")


def slope(params: Params, Z: float = 1.0) -> np.ndarray:
    """Learned slope ``beta = (1/Z) sum_i a_i b_i`` (Eq. 15), one value per run (and time).

    Parameters
    ----------
    params : dict
        ``{"a": ..., "b": ...}``, arrays of shape ``(..., p)``, e.g. ``trajectory.params``.
    Z : float or array_like
        Output normalisation (> 0), broadcasting with the leading axes.

    Returns
    -------
    numpy.ndarray
        Shape ``(...)``.
    """
    a, b, Z = _weights(params, Z)
    with np.errstate(over="ignore", invalid="ignore"):  # refused by _finite_summary
        beta = (a * b).sum(-1) / Z
    return _finite_summary("the slope beta", beta)


def weight_scale(params: Params, Z: float = 1.0) -> np.ndarray:
    """Weight scale ``Sigma = (1/2Z) sum_i (a_i^2 + b_i^2)`` (Sec. 7); ``Sigma_0 / S`` is the weight-to-target ratio."""
    a, b, Z = _weights(params, Z)
    with np.errstate(over="ignore", invalid="ignore"):  # refused by _finite_summary
        sigma = (a**2 + b**2).sum(-1) / (2.0 * Z)
    return _finite_summary("the weight scale Sigma", sigma)


def aligned_scales(params: Params, Z: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """``A = (1/4Z) sum (a_i + b_i)^2`` and ``B = (1/4Z) sum (a_i - b_i)^2`` (Theorem I.1, App. I).

    ``A + B = Sigma`` and ``A - B = beta``; at ``t = 0`` they fix the whole trajectory.
    """
    a, b, Z = _weights(params, Z)
    with np.errstate(over="ignore", invalid="ignore"):  # refused by _finite_summary
        A, B = ((a + b) ** 2).sum(-1) / (4.0 * Z), ((a - b) ** 2).sum(-1) / (4.0 * Z)
    return _finite_summary("A", A), _finite_summary("B", B)


def _finite_summary(what: str, value: np.ndarray) -> np.ndarray:
    """``value``, unless squares of huge weights or a tiny ``Z`` pushed it past the float range."""
    _overflow("params and Z", what, value, "weights too large for their Z, or Z too small")
    return value


# ---------------------------------------------------------------------------- closed forms
def _scales(A, B, S) -> tuple[np.ndarray, ...]:
    A, B, S = check.broadcastable(A=A, B=B, S=S)
    check.positive("A", A, allow_zero=True)
    check.positive("B", B, allow_zero=True)
    return A, B, S


def _unit(A, B, S) -> np.ndarray:
    """A power of two ``m`` with ``max(A, B, |S|) / m`` in ``[1, 2)`` (1 where all three vanish).

    The Riccati equation of Theorem I.1 is covariant: ``A, B, S -> A/m, B/m, S/m`` with ``t -> m t`` leaves
    ``gamma`` unchanged. Dividing by a power of two is exact, so ordinary inputs give bit-identical results,
    while huge or tiny scales no longer overflow or underflow in ``S^2 + 4AB``.
    """
    largest = np.maximum(np.maximum(A, B), np.abs(S))
    _, exponent = np.frexp(np.where(largest > 0, largest, 1.0))
    return np.ldexp(1.0, exponent - 1)


def _root_terms(A, B, S) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``root = sqrt(S^2 + 4AB)``, ``P = root + S`` and ``D = root - S`` (both >= 0), without cancellation.

    ``P D = 4AB``: the smaller of the two is formed from the product instead of a difference.
    """
    root = np.sqrt(S**2 + 4.0 * A * B)
    big = root + np.abs(S)
    small = 4.0 * A * B / np.where(big > 0, big, 1.0)
    P = np.where(S >= 0, big, small)
    D = np.where(S >= 0, small, big)
    return root, P, D


def _overflow(name: str, what: str, value: np.ndarray, cause: str) -> None:
    """Raise a clear error where a closed form truly leaves the floating-point range."""
    if not np.all(np.isfinite(value)):
        raise ValueError(f"{what} overflows the floating-point range ({cause}); check {name}")


def growth_factors(A, B, S) -> tuple[np.ndarray, np.ndarray]:
    """Roots ``gamma+ >= 0 >= gamma-`` of ``-A gamma^2 + S gamma + B`` (Theorem I.1, App. I).

    ``gamma+- = (S +- sqrt(S^2 + 4AB)) / (2A)``. ``gamma+`` is the final growth factor: aligned
    components end ``sqrt(gamma+)`` times larger, anti-aligned ones ``sqrt(gamma+)`` times smaller.
    Computed as ``gamma+ = (root + S)/(2A) = 2B/(root - S)`` (whichever has no cancellation) and
    ``gamma- = -B/(A gamma+)``, on ``A, B, S`` divided by a common power of two (so any finite scale
    works). ``B = 0`` gives ``gamma+ = max(S, 0)/A`` (logistic growth). Where ``A`` is so small next to
    ``S`` that ``gamma+`` exceeds the floating-point range, a ``ValueError`` says so.

    Parameters
    ----------
    A : array_like
        Aligned scale (> 0). ``A = 0`` (no aligned component) has no finite ``gamma+`` for ``S > 0``:
        use :func:`growth_factor`, which handles it.
    B : array_like
        Anti-aligned scale (>= 0).
    S : array_like
        Target scale; all three broadcast together.

    Returns
    -------
    gamma_plus, gamma_minus : numpy.ndarray
    """
    A, B, S = _scales(A, B, S)
    if np.any(A <= 0):
        raise ValueError(
            f"A must be strictly positive for finite growth factors (A = 0 means a = -b: no aligned part); "
            f"got {check._describe(A)}; growth_factor(t, ...) handles A = 0"
        )
    unit = _unit(A, B, S)
    A, B, S = A / unit, B / unit, S / unit
    _, P, D = _root_terms(A, B, S)
    with np.errstate(over="ignore", under="ignore"):
        gamma_plus = np.where(S >= 0, P / (2.0 * A), 2.0 * B / np.where(D > 0, D, 1.0))
        gamma_minus = np.where(S >= 0, -2.0 * B / np.where(P > 0, P, 1.0), -D / (2.0 * A))
    cause = "A is too small next to S and B: the aligned features would grow by more than 1e308"
    _overflow("A", "gamma+ or gamma-", np.stack([gamma_plus, gamma_minus]), cause)
    return gamma_plus, gamma_minus


def _riccati(t, A, B, S, Z) -> tuple[np.ndarray, ...]:
    """``gamma(t) = num / den`` (both >= 0, see :func:`growth_factor`), with ``A`` and ``B`` broadcast."""
    t, A, B, S, Z = check.broadcastable(t=t, A=A, B=B, S=S, Z=Z)
    check.positive("t", t, allow_zero=True)
    check.positive("A", A, allow_zero=True)
    check.positive("B", B, allow_zero=True)
    check.positive("Z", Z)
    unit = _unit(A, B, S)
    a, b, s = A / unit, B / unit, S / unit
    root, P, D = _root_terms(a, b, s)
    with np.errstate(over="ignore", divide="ignore", under="ignore", invalid="ignore"):
        rate = 2.0 * (root * unit) / Z  # may overflow to inf: then the solution has converged
        exponent = np.where(t == 0, 0.0, rate * t)
        decay = np.exp(-exponent)
        rise = -np.expm1(-exponent)  # 1 - e^{-rt}, accurate for small rt
        numerator = np.where(root > 0, P + D * decay + 2.0 * b * rise, 1.0 + 2.0 * B * t / Z)
        denominator = np.where(root > 0, D + P * decay + 2.0 * a * rise, 1.0 + 2.0 * A * t / Z)
    return numerator, denominator, A, B


def growth_factor(t, A, B, S, Z: float = 1.0) -> np.ndarray:
    """Common growth factor ``gamma(t)`` of the aligned components (Theorem I.1, App. I; Eq. 15).

    Solves ``gamma' = (2/Z)(-A gamma^2 + S gamma + B)``, ``gamma(0) = 1``:
    ``gamma(t) = (gamma+ - Q gamma- e^{-rt}) / (1 - Q e^{-rt})`` with ``Q = (1 - gamma+)/(1 - gamma-)``
    and ``r = (2/Z) sqrt(S^2 + 4AB)``. Evaluated in the equivalent form

    ``gamma = (P + D e - 2B expm1(-rt)) / (D + P e - 2A expm1(-rt))``,  ``e = e^{-rt}``,
    ``P, D = sqrt(S^2 + 4AB) +- S``,

    a ratio of non-negative terms (on ``A, B, S`` divided by a common power of two), so it is finite for
    every ``A, B >= 0`` and ``t >= 0``: ``B = 0`` gives the logistic ``gamma = S / (S e + A (1 - e))``,
    ``A = 0`` the linear equation's solution, and ``S^2 + 4AB = 0`` the limit
    ``(1 + 2Bt/Z) / (1 + 2At/Z)``. Where ``gamma`` itself leaves the floating-point range (``A = 0`` and
    ``S > 0`` at large ``t``: exponential growth) a ``ValueError`` says so; :func:`exact_slope` and
    :func:`exact_solution` stay finite there.

    Parameters
    ----------
    t : array_like
        Times (>= 0).
    A, B : array_like
        Aligned and anti-aligned scales (>= 0), e.g. from :func:`aligned_scales` at ``t = 0``.
    S : array_like
        Target scale.
    Z : array_like
        Output normalisation (> 0). All arguments broadcast together.

    Returns
    -------
    numpy.ndarray
        ``gamma(t)``, with ``gamma(0) = 1``.
    """
    numerator, denominator, _, _ = _riccati(t, A, B, S, Z)
    with np.errstate(over="ignore", divide="ignore"):
        gamma = numerator / denominator
    cause = "A = 0 or A tiny next to S: the aligned part grows without bound; exact_slope stays finite"
    _overflow("t and A", "gamma(t)", gamma, cause)
    return gamma


def exact_slope(t, A, B, S, Z: float = 1.0) -> np.ndarray:
    """Slope ``beta(t) = A gamma(t) - B / gamma(t)`` (Theorem I.1, App. I; Eq. 15).

    Starts at ``beta_0 = A - B`` and tends to ``S`` (for ``A > 0`` or ``S <= 0``). A zero ``A`` or
    ``B`` contributes exactly zero, and where ``gamma`` leaves the floating-point range the products
    are formed as ``A num / den`` and ``B den / num`` instead (``gamma = num / den``), so the slope stays
    finite for every finite input. Arguments as in :func:`growth_factor`.
    """
    numerator, denominator, A, B = _riccati(t, A, B, S, Z)
    with np.errstate(over="ignore", divide="ignore", invalid="ignore", under="ignore"):
        gamma = numerator / denominator
        aligned = A * gamma
        aligned = np.where(np.isfinite(aligned), aligned, A * numerator / denominator)
        anti = B / gamma
        anti = np.where(np.isfinite(anti), anti, B * denominator / numerator)
        beta = np.where(A == 0, 0.0, aligned) - np.where(B == 0, 0.0, anti)
    _overflow("A, B and S", "beta(t)", beta, "the scales are too close to the floating-point limit")
    return beta


def exact_solution(t, a0, b0, S, Z: float = 1.0) -> dict[str, np.ndarray]:
    """Weights ``a(t), b(t)`` of Eq. 15's network under gradient flow, in closed form (Theorem I.1, App. I).

    ``u = a + b`` and ``v = a - b`` evolve as ``u(t) = u(0) sqrt(gamma(t))`` and ``v(t) = v(0) / sqrt(gamma(t))``
    with :func:`growth_factor` ``gamma`` built from ``A = sum u(0)^2 / 4Z`` and ``B = sum v(0)^2 / 4Z``;
    then ``a = (u + v)/2``, ``b = (u - v)/2``. Components that start at zero stay exactly zero, and an
    anti-aligned part that decays (``A = 0``) stays finite however large ``gamma`` grows.

    Parameters
    ----------
    t : array_like
        Times (>= 0), a number or a 1-D array of length ``T``.
    a0, b0 : array_like
        Initial weights, the same shape ``(..., p)`` (leading axes are independent runs).
    S : array_like
        Target scale, a number or one per run (broadcasting with the leading axes of ``a0``).
    Z : array_like
        Output normalisation (> 0), likewise.

    Returns
    -------
    dict
        ``{"a": ..., "b": ...}`` of shape ``(T, ..., p)`` (no ``T`` axis for scalar ``t``), laid out as
        ``Trajectory.params`` of :func:`labhelpers.core.gradient_flow`; :func:`slope` turns it into ``beta(t)``.
    """
    a0 = check.as_array("a0", a0)
    b0 = check.as_array("b0", b0)
    _check_pair(a0, b0, "a0", "b0")
    t = check.as_array("t", t, ndim=(0, 1))
    check.positive("t", t, allow_zero=True)
    batch = a0.shape[:-1]
    check.fits_in_memory("exact_solution's result (a and b at every time)", 4.0 * max(t.size, 1) * a0.size)
    S = check.as_array("S", S)
    Z = check.positive("Z", Z)
    try:
        S, Z = (np.broadcast_to(x, batch) for x in (S, Z))
    except ValueError as error:
        raise ValueError(f"S {S.shape} and Z {Z.shape} must broadcast to the runs' shape {batch}") from error
    with np.errstate(over="ignore"):
        u0, v0 = a0 + b0, a0 - b0
        A = (u0**2).sum(-1) / (4.0 * Z)
        B = (v0**2).sum(-1) / (4.0 * Z)
    _overflow("a0, b0 and Z", "A = sum (a0 + b0)^2 / 4Z or B", np.stack([A, B]), "the weights are too large")
    time = t.reshape(t.shape + (1,) * len(batch))
    numerator, denominator, _, _ = _riccati(time, A, B, S, Z)
    numerator, denominator = numerator[..., None], denominator[..., None]
    with np.errstate(over="ignore", divide="ignore", invalid="ignore", under="ignore"):
        root = np.sqrt(numerator / denominator)
        u = u0 * root
        u = np.where(u0 == 0, 0.0, np.where(np.isfinite(u), u, u0 * np.sqrt(numerator) / np.sqrt(denominator)))
        v = v0 / root
        v = np.where(v0 == 0, 0.0, np.where(np.isfinite(v), v, v0 * np.sqrt(denominator) / np.sqrt(numerator)))
    _overflow("t, a0 and b0", "a(t) or b(t)", np.stack([u, v]), "the aligned weights grow beyond 1e308")
    return {"a": (u + v) / 2.0, "b": (u - v) / 2.0}


def gamma_plus_from_ratio(ratio) -> np.ndarray:
    """Final growth factor for a zero-output start (``beta_0 = 0``) from the weight-to-target ratio ``Sigma_0/S``.

    With ``beta_0 = 0``, ``A = B = Sigma_0 / 2`` and ``gamma+ = (S + sqrt(S^2 + Sigma_0^2)) / Sigma_0``
    (Theorem I.1, App. I), i.e. with ``rho = Sigma_0 / S``:
    ``gamma+ = (1 + sqrt(1 + rho^2)) / rho``. Lazy limit ``rho >> 1``: ``gamma+ ~ 1 + 1/rho``;
    rich limit ``rho << 1``: ``gamma+ ~ 2/rho`` (a ``ValueError`` below ``rho ~ 1e-308``, where that
    exceeds the floating-point range).

    Parameters
    ----------
    ratio : array_like
        ``Sigma_0 / S`` (> 0; take ``S > 0``, the sign of ``S`` is a relabelling ``b -> -b``).
    """
    rho = check.positive("ratio", ratio)
    with np.errstate(over="ignore"):
        gamma_plus = (1.0 + np.hypot(1.0, rho)) / rho
    _overflow("ratio", "gamma+ ~ 2 / ratio", gamma_plus, "the ratio is below about 1e-308")
    return gamma_plus


# ---------------------------------------------------------------------------- initialisations
def _batch_shape(batch_shape) -> tuple[int, ...]:
    if isinstance(batch_shape, (int, np.integer)) and not isinstance(batch_shape, bool):
        batch_shape = (batch_shape,)
    if not isinstance(batch_shape, tuple) or not all(
        isinstance(n, (int, np.integer)) and not isinstance(n, bool) and n >= 1 for n in batch_shape
    ):
        raise ValueError(f"batch_shape must be a tuple of positive integers; got {check._describe(batch_shape)}")
    return tuple(int(n) for n in batch_shape)


def _weights_fit(width: int, batch_shape: tuple[int, ...]) -> None:
    """Refuse, before drawing, weights ``a`` and ``b`` of shape ``(*batch_shape, width)`` too large for memory."""
    size = float(width) * np.prod(batch_shape, dtype=float)
    check.fits_in_memory(f"the weights a and b (width={width}, batch_shape={batch_shape})", 4.0 * size)


def sign_init(width: int, n_aligned: int, scale: float = 1.0) -> dict[str, np.ndarray]:
    """Structured start: ``n_aligned`` aligned features (``a_i = b_i = scale``), the rest anti-aligned (``b_i = -a_i``).

    Aligned features grow by ``sqrt(gamma)`` and anti-aligned ones shrink by it (Theorem I.1, App. I),
    so this start shows the two motions separately. ``A = n_aligned scale^2 / Z`` and
    ``B = (width - n_aligned) scale^2 / Z``; ``n_aligned = width`` has ``B = 0`` (logistic growth) and
    ``n_aligned = 0`` has ``A = 0``.
    """
    p = check.positive_int("width", width)
    n = check.positive_int("n_aligned", n_aligned, minimum=0)
    if n > p:
        raise ValueError(f"n_aligned must be at most width={p}; got {n}")
    scale = check.positive_scalar("scale", scale)
    _weights_fit(p, ())
    a = np.full(p, scale)
    b = np.where(np.arange(p) < n, scale, -scale)
    return {"a": a, "b": b}


def gaussian_init(width: int, scale: float, *, batch_shape=(), seed: int = 0) -> dict[str, np.ndarray]:
    """Independent ``N(0, scale^2)`` entries for ``a`` and ``b``, shape ``(*batch_shape, width)``.

    Then ``Sigma_0 ~ width scale^2 / Z`` and ``beta_0 ~ sqrt(width) scale^2 / Z``: the weight-to-target
    ratio is set by ``scale``, ``width``, ``Z`` and ``S`` together (Sec. 7).
    """
    p = check.positive_int("width", width)
    scale = check.positive_scalar("scale", scale)
    rng = check.rng("seed", seed)
    shape = _batch_shape(batch_shape) + (p,)
    _weights_fit(p, shape[:-1])
    return {"a": scale * rng.standard_normal(shape), "b": scale * rng.standard_normal(shape)}


def ntk_init(width: int, *, batch_shape=(), seed: int = 0) -> tuple[WideScalarNetwork, dict[str, np.ndarray]]:
    """NTK initialisation: ``N(0, 1)`` weights and ``Z = sqrt(width)`` (Sec. 7).

    The output ``beta_0`` stays ``O(1)`` as the width grows, while ``Sigma_0 ~ sqrt(width)``: the
    weight-to-target ratio grows without bound, ``gamma+ -> 1``, and each weight moves only
    ``O(1/sqrt(width))`` — the lazy regime.

    Returns
    -------
    model : WideScalarNetwork
        With ``Z = sqrt(width)``.
    params : dict
        ``{"a": ..., "b": ...}`` of shape ``(*batch_shape, width)``.
    """
    p = check.positive_int("width", width)
    _weights_fit(p, _batch_shape(batch_shape))
    return WideScalarNetwork(p, np.sqrt(p)), gaussian_init(p, 1.0, batch_shape=batch_shape, seed=seed)


def mirrored_init(width: int, scale: float, *, batch_shape=(), seed: int = 0) -> dict[str, np.ndarray]:
    """Gaussian weights in mirrored pairs, ``(a_i, b_i)`` and ``(a_i, -b_i)``: the output starts at exactly zero.

    The symmetrised initialisation of Chizat et al. (2019) for Eq. 15: ``beta_0 = 0`` whatever the scale, so
    ``A = B = Sigma_0 / 2`` and the whole trajectory depends on the weight-to-target ratio ``Sigma_0 / S``
    alone (:func:`gamma_plus_from_ratio`). ``Sigma_0 ~ width scale^2 / Z``.

    Parameters
    ----------
    width : int
        Number of hidden units ``p``, even (``p / 2`` pairs).
    scale : float
        Standard deviation of the entries (> 0).
    batch_shape : int or tuple of int
        Leading axes (independent runs).
    seed : int
        Seed of the random generator.
    """
    p = check.positive_int("width", width, minimum=2)
    if p % 2:
        raise ValueError(f"width must be even (units come in mirrored pairs); got {p}")
    _weights_fit(p, _batch_shape(batch_shape))
    half = gaussian_init(p // 2, scale, batch_shape=batch_shape, seed=seed)
    return {"a": np.concatenate([half["a"], half["a"]], -1), "b": np.concatenate([half["b"], -half["b"]], -1)}


def _log_cosine_sum(x, X, y, Y, k) -> np.ndarray:
    """``ln(X Y + x y)`` with ``X = hypot(x, k)``, ``Y = hypot(y, k)``, free of cancellation (>= ``k^2`` > 0).

    Where ``x y < 0`` it uses ``(X Y + x y)(X Y - x y) = k^2 (x^2 + y^2 + k^2)``, in log space so that a
    tiny ``k^2`` cannot underflow.
    """
    with np.errstate(divide="ignore", invalid="ignore", under="ignore"):
        direct = np.log(X * Y + x * y)
        indirect = 2.0 * np.log(k) + np.log(x**2 + y**2 + k**2) - np.log(X * Y - x * y)
    return np.where(x * y >= 0, direct, indirect)


def _time_general(fraction, a, b, s, Z) -> np.ndarray:
    """Time to ``fraction`` for ``a, b > 0`` (``K = 4ab > 0``), from the integral of ``beta' = (2/Z) Sigma (S - beta)``.

    With ``k = sqrt(K)``, ``R = hypot(S, k)``, ``Sigma = hypot(beta, k)`` and ``G(beta) = R Sigma + S beta + K``,
    ``t = (Z / 2R) ln(1 + x)``, ``x = f R N / ((1 - f)(Sigma* + Sigma_0) G(beta_0))``, where
    ``N = (G(beta*) - K) + (G(beta_0) - K) + (Sigma_0 Sigma* - beta_0 beta*) + K`` is a sum of
    non-negative terms. Every term is formed in log space without cancellation.
    """
    k = 2.0 * np.sqrt(a) * np.sqrt(b)
    beta0 = a - b
    beta = beta0 + fraction * (s - beta0)
    R, sigma0, sigma = np.hypot(s, k), np.hypot(beta0, k), np.hypot(beta, k)
    log_k2 = 2.0 * np.log(k)
    terms = np.stack(
        [
            _log_cosine_sum(s, R, beta, sigma, k),
            _log_cosine_sum(s, R, beta0, sigma0, k),
            _log_cosine_sum(-beta0, sigma0, beta, sigma, k),
            np.broadcast_to(log_k2, np.shape(beta)),
        ]
    )
    log_N = np.logaddexp.reduce(terms, axis=0)
    log_G0 = np.logaddexp(_log_cosine_sum(s, R, beta0, sigma0, k), log_k2)
    log_x = np.log(fraction) + np.log(R) + log_N - np.log1p(-fraction) - np.log(sigma + sigma0) - log_G0
    with np.errstate(over="ignore", under="ignore"):
        log1p_x = np.where(log_x > 0, log_x + np.log1p(np.exp(-np.abs(log_x))), np.log1p(np.exp(np.minimum(log_x, 0))))
    return Z / (2.0 * R) * log1p_x


def _time_one_sided(fraction, a, b, s, Z) -> np.ndarray:
    """Time to ``fraction`` when ``A = 0`` or ``B = 0`` (``K = 0``): ``beta' = (2/Z) |beta| (S - beta)``.

    Its solution gives ``t = (Z / 2|beta_0|) (f / (1 - f)) ln(1 + x) / x`` with ``x = f S / ((1 - f) beta_0)``
    (``ln(1 + x)/x -> 1`` as ``x -> 0``: the case ``S = 0``). The slope cannot cross zero, so a fraction
    with ``x <= -1`` is never reached.
    """
    beta0 = a - b
    x = fraction * s / ((1.0 - fraction) * beta0)
    if np.any(x <= -1):
        raise ValueError(
            f"fraction={check._describe(fraction)} is never reached: with A = 0 or B = 0 the slope cannot cross 0, "
            "and S has the other sign (or is 0), so it only decays towards 0; choose a smaller fraction"
        )
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(x == 0, 1.0, np.log1p(x) / np.where(x == 0, 1.0, x))
    return Z / (2.0 * np.abs(beta0)) * fraction / (1.0 - fraction) * ratio


def time_to_fraction(fraction, A, B, S, Z: float = 1.0) -> np.ndarray:
    """Time at which the slope has covered ``fraction`` of its way, ``beta = beta_0 + fraction (S - beta_0)``.

    Inverts Theorem I.1 (App. I): ``beta = A gamma - B / gamma`` gives the growth factor needed,
    ``gamma* = (beta + sqrt(beta^2 + 4AB)) / (2A)``, and ``gamma(t) = gamma*`` is solved by
    ``t = (1/r) ln[(1 - gamma+)(gamma* - gamma-) / ((1 - gamma-)(gamma* - gamma+))]`` with
    ``r = (2/Z) sqrt(S^2 + 4AB)``. With ``A = B = Sigma_0/2`` the result, in units of ``tau = Z / (2S)``,
    depends on ``rho = Sigma_0 / S`` alone; half the way is reached at ``~ ln(2 / rho)`` in the rich limit
    ``rho << 1`` (a plateau, then a sigmoidal rise) and at ``~ ln(2) / rho`` in the lazy limit
    (exponential approach at the fast rate ``2 Sigma_0 / Z``).

    Parameters
    ----------
    fraction : array_like
        Strictly between 0 and 1.
    A, B : array_like
        Aligned and anti-aligned scales (>= 0, not both 0). With ``A = 0`` or ``B = 0`` the slope cannot
        cross zero, and a fraction it never reaches is refused.
    S : array_like
        Target scale, different from ``beta_0 = A - B`` (otherwise nothing moves).
    Z : array_like
        Output normalisation (> 0). All arguments broadcast together.

    Returns
    -------
    numpy.ndarray
        The times (>= 0).
    """
    fraction, A, B, S, Z = check.broadcastable(fraction=fraction, A=A, B=B, S=S, Z=Z)
    if np.any((fraction <= 0) | (fraction >= 1)):
        raise ValueError(f"fraction must lie strictly between 0 and 1; got {check._describe(fraction)}")
    check.positive("A", A, allow_zero=True)
    check.positive("B", B, allow_zero=True)
    check.positive("Z", Z)
    if np.any((A == 0) & (B == 0)):
        raise ValueError("A and B must not both be zero: zero weights never move (the flow is at rest)")
    beta0 = A - B
    if np.any(np.isclose(S, beta0, rtol=1e-12, atol=0.0)):
        raise ValueError(
            f"S must differ from the initial slope beta_0 = A - B = {check._describe(beta0)}; got S = {check._describe(S)}"
        )
    unit = _unit(A, B, S)
    a, b, s = A / unit, B / unit, S / unit
    both = (a > 0) & (b > 0)
    one = np.where(both, 0.5, fraction), np.where(both, 1.0, a), np.where(both, 0.0, b)
    with np.errstate(over="ignore", under="ignore"):
        general = _time_general(fraction, np.where(both, a, 1.0), np.where(both, b, 1.0), s, Z)
        one_sided = _time_one_sided(*one, np.where(both, 0.0, s), Z)
        times = np.where(both, general, one_sided) / unit
    _overflow("A, B, S and Z", "the time", times, "the scales make the flow slower than 1e308 time units")
    return times


# ---------------------------------------------------------------------------- the four cures (Sec. 7.2)
def rescaled_problem(
    Sigma0,
    S,
    Z=1.0,
    *,
    weight_scale=1.0,
    target_scale=1.0,
    input_scale=1.0,
    output_scale=1.0,
) -> dict[str, np.ndarray]:
    """How the four knobs of Sec. 7.2 change Eq. 15's problem: its weight-to-target ratio and its clock.

    Multiply the initial weights by ``w`` (``weight_scale``), the target function by ``k``
    (``target_scale``), the inputs by ``alpha`` (``input_scale``; the target stays a function of the
    original input) and the network's output by ``c`` (``output_scale``, i.e. ``Z -> Z / c``). Seen by the
    network, the inputs then have variance ``alpha^2``, the slope to learn is ``S' = k S / alpha``, and

    ``Sigma_0' = c w^2 Sigma_0``,  ``Z' = Z / c``,  ratio ``rho' = rho w^2 c alpha / k``,
    time unit ``tau' = Z' / (2 alpha^2 S') = tau / (c alpha k)`` with ``tau = Z / (2S)``.

    Gradient flow then gives ``beta / S'`` as a function of ``t / tau'`` that depends only on ``rho'``
    (and ``beta_0' / S'``): smaller weights, a larger target, smaller inputs and a smaller output all lower
    the ratio. Every argument broadcasts.

    Parameters
    ----------
    Sigma0 : array_like
        Initial weight scale ``Sigma_0 = (1/2Z) sum (a_i^2 + b_i^2)`` before the change (> 0).
    S : array_like
        Target slope before the change (> 0).
    Z : array_like
        Output normalisation before the change (> 0).
    weight_scale, target_scale, input_scale, output_scale : array_like
        The factors ``w, k, alpha, c`` (> 0); 1 leaves a knob alone.

    Returns
    -------
    dict
        ``Sigma0``, ``S`` (the slope to learn), ``Z``, ``variance`` (``E[x^2] = alpha^2``), ``ratio``
        (``Sigma_0' / S'``) and ``time_unit`` (``tau'``), each an array.
    """
    values = check.broadcastable(
        Sigma0=Sigma0,
        S=S,
        Z=Z,
        weight_scale=weight_scale,
        target_scale=target_scale,
        input_scale=input_scale,
        output_scale=output_scale,
    )
    names = ("Sigma0", "S", "Z", "weight_scale", "target_scale", "input_scale", "output_scale")
    for name, value in zip(names, values):
        check.positive(name, value)
    Sigma0, S, Z, w, k, alpha, c = values
    with np.errstate(over="ignore", under="ignore", divide="ignore", invalid="ignore"):
        Sigma0_new, S_new, Z_new = c * w**2 * Sigma0, k * S / alpha, Z / c
        result = {
            "Sigma0": Sigma0_new,
            "S": S_new,
            "Z": Z_new,
            "variance": alpha**2,
            "ratio": Sigma0_new / S_new,
            "time_unit": Z_new / (2.0 * alpha**2 * S_new),
        }
    for key, value in result.items():
        if not np.all(np.isfinite(value) & (value > 0)):
            raise ValueError(f"the rescaled {key} leaves the floating-point range; check {', '.join(names)}")
    return result


# ---------------------------------------------------------------------------- a linear network that groks
MAX_WORK = 1e13
"""Most multiply-adds :func:`train_diagonal` takes on (steps x runs x ``3 n d``); larger runs are refused."""


@dataclass
class GrokkingRun:
    """Record of a batch of diagonal networks trained on a sparse teacher; the record index is the first axis.

    - ``steps``, shape ``(T,)``: gradient-descent steps at which the record was taken (0 = initialisation).
    - ``times``, shape ``(T, R)``: gradient-flow time ``step * lr`` of each run (runs have their own step size).
    - ``train_loss``, ``test_loss``, shape ``(T, R)``: ``1/2 mean (f - y)^2`` on the training and test sets,
      without the weight-decay term; both start at ``1/2 mean y^2`` (the output starts at zero).
    - ``coefficients``, shape ``(T, R, d)``: the learned linear map in the original input coordinates,
      ``f(x) = coefficients . x``.
    - ``ratio``, shape ``(R,)``: the initial weight-to-target ratio of the relevant coordinates.
    - ``info``: the configuration (scales, weight decay, step sizes) and the wall time.
    """

    steps: np.ndarray
    times: np.ndarray
    train_loss: np.ndarray
    test_loss: np.ndarray
    coefficients: np.ndarray
    ratio: np.ndarray
    info: dict[str, Any] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.steps)

    def first_step_below(self, level: float, which: str = "test") -> np.ndarray:
        """First recorded step at which ``loss / loss[0]`` falls below ``level``, per run (``-1``: never)."""
        level = check.positive_scalar("level", level)
        loss = {"train": self.train_loss, "test": self.test_loss}[check.one_of("which", which, ("train", "test"))]
        below = loss / loss[0] < level
        return np.where(below.any(0), self.steps[np.argmax(below, axis=0)], -1)


def sparse_teacher(
    dim: int = 100, n_train: int = 40, n_relevant: int = 3, *, n_test: int = 1000, seed: int = 0
) -> dict[str, np.ndarray]:
    """A sparse linear regression task: ``y = w . x`` with ``n_relevant`` unit entries of ``w``, ``x ~ N(0, I)``.

    With fewer samples than inputs (``n_train < dim``) many coefficient vectors fit the training set exactly;
    only the sparse one generalises. Returns ``X_train`` ``(n_train, dim)``, ``y_train``, ``X_test``,
    ``y_test`` and ``teacher`` ``(dim,)``.
    """
    dim = check.positive_int("dim", dim)
    n_train = check.positive_int("n_train", n_train)
    n_test = check.positive_int("n_test", n_test)
    n_relevant = check.positive_int("n_relevant", n_relevant)
    if n_relevant > dim:
        raise ValueError(f"n_relevant must be at most dim={dim}; got {n_relevant}")
    rng = check.rng("seed", seed)
    check.fits_in_memory("the data set (dim x (n_train + n_test))", 2.0 * (n_train + n_test) * (dim + 1))
    teacher = np.zeros(dim)
    teacher[:n_relevant] = 1.0
    X_train, X_test = rng.standard_normal((n_train, dim)), rng.standard_normal((n_test, dim))
    return {
        "X_train": X_train,
        "y_train": X_train @ teacher,
        "X_test": X_test,
        "y_test": X_test @ teacher,
        "teacher": teacher,
    }


def train_diagonal(
    data: dict,
    *,
    init_scale=1.0,
    target_scale=1.0,
    input_scale=1.0,
    output_scale=1.0,
    weight_decay=0.0,
    steps: int = 20_000,
    n_records: int = 100,
    safety: float = 0.5,
) -> GrokkingRun:
    """Gradient descent with weight decay on a diagonal network with mirrored pairs (Eq. 15 per input, Sec. 7.2).

    Every input coordinate ``i`` has one aligned unit ``(a, b) = (s, s)`` and one anti-aligned unit
    ``(s, -s)`` (``s = init_scale``), so the output starts at zero: coordinate ``i`` is Eq. 15 with ``p = 2``
    and ``beta_0 = 0``. The network is ``f(x) = c sum_i (a_i b_i + a'_i b'_i) (alpha x_i)`` and the targets are
    ``k w . x``, with the knobs of :func:`rescaled_problem`: ``c = output_scale``, ``alpha = input_scale``,
    ``k = target_scale``. The loss is ``1/2 mean (f - y)^2 + (weight_decay/2) |params|^2``. Each knob may be
    a number or one value per run (they broadcast to ``R`` runs, trained together as one array computation).
    A relevant coordinate starts at the weight-to-target ratio ``2 c s^2 alpha / k`` (its ``Sigma_0 / S'``).

    Parameters
    ----------
    data : dict
        From :func:`sparse_teacher`.
    init_scale, target_scale, input_scale, output_scale : array_like
        The four knobs (> 0), numbers or 1-D arrays of one length ``R``.
    weight_decay : array_like
        Coefficient of the L2 penalty (>= 0), a number or one per run.
    steps : int
        Number of gradient steps.
    n_records : int
        Number of records, log-spaced in the step (step 0 included).
    safety : float
        Step size as a fraction of ``1 / L``, with ``L`` an estimate of the largest curvature along the run
        (at initialisation and at the sparse solution); in ``(0, 1]``.

    Returns
    -------
    GrokkingRun
    """
    import time

    if not isinstance(data, dict) or not {"X_train", "y_train", "X_test", "y_test", "teacher"} <= set(data):
        raise ValueError("data must be the dict returned by sparse_teacher (X_train, y_train, X_test, y_test, teacher)")
    X, y = check.samples(data["X_train"], data["y_train"])
    X_test, y_test = check.samples(data["X_test"], data["y_test"])
    y, y_test = y[:, 0], y_test[:, 0]
    teacher = check.as_array("data['teacher']", data["teacher"], ndim=1)
    names = ("init_scale", "target_scale", "input_scale", "output_scale", "weight_decay")
    given = (init_scale, target_scale, input_scale, output_scale, weight_decay)
    for name, value in zip(names, given):
        value = check.positive(name, value, allow_zero=name == "weight_decay")
        if value.ndim > 1:
            raise ValueError(
                f"{name} must be a number or a 1-D array (one value per run); got {check._describe(value)}"
            )
    knobs = check.broadcastable(**dict(zip(names, given)))
    s, k, alpha, c, weight_decay = (np.atleast_1d(v) for v in knobs)
    steps = check.positive_int("steps", steps)
    n_records = check.positive_int("n_records", n_records, minimum=2)
    check.fits_in_memory("the record schedule (n_records)", 3.0 * n_records)
    safety = check.positive_scalar("safety", safety)
    if safety > 1:
        raise ValueError(f"safety must be at most 1; got {safety}")
    runs, (n, d) = s.size, X.shape
    work = float(steps) * runs * 3.0 * n * d
    if work > MAX_WORK:
        raise ValueError(
            f"steps={steps} for {runs} run(s) with n={n}, d={d} is about {work:.2g} multiply-adds, more than "
            f"train_diagonal takes on ({MAX_WORK:.0e}); use fewer steps or runs"
        )
    check.fits_in_memory("the records", 2.0 * n_records * runs * (d + 2))

    spectrum = np.linalg.eigvalsh(X.T @ X / n)[-1]
    with np.errstate(over="ignore", under="ignore"):
        curvature = spectrum * np.maximum(4 * (c * alpha * s) ** 2, 4 * c * alpha * k * np.abs(teacher).max())
        lr = safety / (curvature + weight_decay)  # (R,)
    if not np.all(np.isfinite(curvature)):
        raise ValueError(
            "init_scale, target_scale, input_scale and output_scale are too large together: the curvature "
            f"(about 4 (c alpha s)^2 |X|^2) overflows, so no step size is stable; got max curvature {curvature.max():.3g}"
        )
    if not np.all(lr > 0):
        raise ValueError(
            f"safety={safety:.3g} divided by the curvature {curvature.max():.3g} underflows to a step size of 0; "
            "raise safety, or lower init_scale, target_scale, input_scale and output_scale"
        )
    ratio = _initial_ratio(s, k, alpha, c, teacher)
    guard = DivergenceGuard(
        "gradient descent on the diagonal networks",
        safety=safety,
        init_scale=float(s.max()),
        target_scale=float(k.max()),
        input_scale=float(alpha.max()),
        output_scale=float(c.max()),
    )
    R = lr.size
    a = np.broadcast_to(s[:, None, None], (R, 2, d)).copy()  # units: [aligned, anti-aligned]
    b = a * np.array([1.0, -1.0])[None, :, None]
    record_at = np.unique(np.r_[0, np.geomspace(1, steps, n_records - 1).round().astype(int)])
    train, test, coefs = [], [], []
    decay = weight_decay[:, None, None]
    scale = (c * alpha)[:, None]  # f(x) = x . (scale * sum_units a b)
    start = time.perf_counter()
    for step in range(steps + 1):
        theta = scale * (a * b).sum(1)  # (R, d), in original input coordinates
        residual = theta @ X.T - k[:, None] * y  # (R, n)
        guard.check(step, float(np.max(residual * residual)))  # NaN and inf propagate
        if len(train) < record_at.size and step == record_at[len(train)]:
            train.append(0.5 * np.mean(residual**2, axis=1))
            test.append(0.5 * np.mean((theta @ X_test.T - k[:, None] * y_test) ** 2, axis=1))
            coefs.append(theta)
        if step == steps:
            break
        grad_theta = (scale * (residual @ X) / n)[:, None, :]  # dL/d(a b) per unit, (R, 1, d)
        a, b = (
            a - lr[:, None, None] * (grad_theta * b + decay * a),
            b - lr[:, None, None] * (grad_theta * a + decay * b),
        )
    wall = time.perf_counter() - start
    return GrokkingRun(
        steps=record_at,
        times=record_at[:, None] * lr[None, :],
        train_loss=np.array(train),
        test_loss=np.array(test),
        coefficients=np.array(coefs),
        ratio=ratio,
        info={
            "init_scale": s,
            "target_scale": k,
            "input_scale": alpha,
            "output_scale": c,
            "weight_decay": weight_decay,
            "lr": lr,
            "steps": steps,
            "seconds": wall,
        },
    )


def _initial_ratio(s, k, alpha, c, teacher) -> np.ndarray:
    """Weight-to-target ratio ``2 c s^2 alpha / (k max|w|)`` of the relevant coordinates (in logs if it overflows)."""
    relevant = np.abs(teacher).max()
    if relevant == 0:
        raise ValueError("data['teacher'] is all zeros: the task has no relevant coordinate (see sparse_teacher)")
    with np.errstate(over="ignore", divide="ignore", under="ignore"):
        direct = 2 * c * s**2 * alpha / (k * relevant)
    if np.all(np.isfinite(direct)):
        return direct
    log_ratio = np.log(2 * c) + 2 * np.log(s) + np.log(alpha) - np.log(k) - np.log(relevant)
    if np.any(log_ratio > np.log(np.finfo(float).max)):
        raise ValueError(
            "the weight-to-target ratio 2 output_scale init_scale^2 input_scale / target_scale exceeds 1e308: "
            "raise target_scale or lower the other scales"
        )
    return np.exp(log_ratio)


# ---------------------------------------------------------------------------- picture
def feature_arrows(ax, contributions, *, row: float = 0.0, height: float = 0.9, colors=None, total: bool = True):
    """Draw features as arrows in function space, head to tail, so that the chain ends at the output (App. C).

    Feature ``i`` of Eq. 15 is the function ``(a_i b_i / Z) x``; with a scalar input, function space is one
    axis (the slope) and the feature is an arrow of length ``a_i b_i / Z`` along it. Arrow ``i`` starts where
    arrow ``i - 1`` ends and sits at height ``row + height i / p``, so the chain ends at the slope ``beta``.

    Parameters
    ----------
    ax : matplotlib Axes
        Where to draw.
    contributions : array_like, shape (p,)
        ``a_i b_i / Z`` of each feature (e.g. in units of ``S``).
    row, height : float
        Vertical position and extent of the chain.
    colors : colour or sequence of colours, optional
        One colour for all arrows or one per feature (default: blue for positive, orange for negative).
    total : bool
        Also draw a vertical bar at the sum (the output).
    """
    from matplotlib.colors import to_hex

    from ..plotting import PALETTE

    sizes = check.as_array("contributions", contributions, ndim=1)
    row = check.scalar("row", row)
    height = check.positive_scalar("height", height)
    total = check.flag("total", total)
    if sizes.size == 0:
        raise ValueError("contributions must list at least one feature; got an empty array")
    p = sizes.size
    if colors is None:
        colors = np.where(sizes >= 0, PALETTE[0], PALETTE[1])
    elif isinstance(colors, str) or np.ndim(colors) == 1 and len(colors) in (3, 4) and not isinstance(colors[0], str):
        colors = [colors] * p
    if len(colors) != p:
        raise ValueError(f"colors must be one colour or one per feature ({p}); got {len(colors)}")
    colors = np.array([to_hex(c) for c in colors])
    starts = np.r_[0.0, np.cumsum(sizes)[:-1]]
    rows = row + height * np.arange(p) / p
    for color in dict.fromkeys(colors):  # one line and two marker sets per colour: fast to draw
        part = colors == color
        x = np.stack([starts[part], starts[part] + sizes[part], np.full(part.sum(), np.nan)], 1).ravel()
        ax.plot(x, np.repeat(rows[part], 3), color=color, lw=1.3)
        for marker, keep in ((">", sizes[part] >= 0), ("<", sizes[part] < 0)):
            ends = (starts[part] + sizes[part])[keep]
            ax.plot(ends, rows[part][keep], ls="none", marker=marker, ms=3.5, color=color)
    if total:
        ax.plot([sizes.sum()] * 2, [row - 0.05, row + height + 0.05], color="k", lw=1.2)
    return ax
