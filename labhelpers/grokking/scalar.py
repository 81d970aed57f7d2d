"""Weight-to-target ratio and grokking (Sec. 7, App. H, App. I): a wide network with scalar input.

Book: chapter 5, "A wide network with one input" (Sec. gk-model) and "Aligned and anti-aligned features: the
exact solution" (Sec. gk-exact); the paper's Eq. 15, Theorem I.1 (App. I).

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
:func:`growth_factor`, :func:`exact_slope`, :func:`exact_solution`, :func:`gamma_plus_from_ratio`) and their
inversion (:func:`time_to_fraction`). The initialisations and the picture of the features are in
:mod:`.features`, the four cures and the diagonal network that groks in :mod:`.diagonal`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..core import validation as check
from ..core.data import Moments, teacher_moments
from ..core.models import Model, Params


class WideScalarNetwork(Model):
    """Scalar-input network of width ``p`` (Eq. 15): ``f(x) = (1/Z) sum_i a_i b_i x``.

    Paper: Eq. 15, Eqs. 17-18, Eq. 71, Eq. 78.

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
    """Moments of Eq. 15's task: ``E[x^2] = 1`` and ``f*(x) = S x`` (``target_scale = S``).

    Paper: Eq. 72.
    """
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

    Paper: Eq. 15.

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
    """Weight scale ``Sigma = (1/2Z) sum_i (a_i^2 + b_i^2)`` (Sec. 7); ``Sigma_0 / S`` is the weight-to-target ratio.

    Paper: Eq. 20.
    """
    a, b, Z = _weights(params, Z)
    with np.errstate(over="ignore", invalid="ignore"):  # refused by _finite_summary
        sigma = (a**2 + b**2).sum(-1) / (2.0 * Z)
    return _finite_summary("the weight scale Sigma", sigma)


def aligned_scales(params: Params, Z: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """``A = (1/4Z) sum (a_i + b_i)^2`` and ``B = (1/4Z) sum (a_i - b_i)^2`` (Theorem I.1, App. I).

    Paper: Eqs. 73-77.

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

    Paper: Eq. 19, Eq. 98.

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
    """Eq. (gk-gamma) as ``gamma = numerator / denominator``, and ``A, B``.

    With ``P, D = sqrt(S^2 + 4AB) +- S`` and ``e = e^{-rt}`` (see
    :func:`growth_factor`), Eq. (gk-gamma) reads
    ``gamma = (P + D e + 2B (1 - e)) / (D + P e + 2A (1 - e))``,
    a ratio of two non-negative numbers.
    """
    t, A, B, S, Z = check.broadcastable(t=t, A=A, B=B, S=S, Z=Z)
    check.positive("t", t, allow_zero=True)
    check.positive("A", A, allow_zero=True)
    check.positive("B", B, allow_zero=True)
    check.positive("Z", Z)
    unit = _unit(A, B, S)  # a power of two: the same gamma, no overflow
    a, b, s = A / unit, B / unit, S / unit
    root, P, D = _root_terms(a, b, s)
    quiet = {"over": "ignore", "divide": "ignore", "under": "ignore"}
    with np.errstate(invalid="ignore", **quiet):
        rate = 2.0 * (root * unit) / Z  # r; inf: the flow has converged
        exponent = np.where(t == 0, 0.0, rate * t)
        decay = np.exp(-exponent)
        rise = -np.expm1(-exponent)  # 1 - e^{-rt}, accurate for small rt
        numerator = np.where(
            root > 0,
            P + D * decay + 2.0 * b * rise,
            1.0 + 2.0 * B * t / Z,  # S^2 + 4AB = 0: the limit r -> 0
        )
        denominator = np.where(
            root > 0,
            D + P * decay + 2.0 * a * rise,
            1.0 + 2.0 * A * t / Z,
        )
    return numerator, denominator, A, B


def growth_factor(t, A, B, S, Z: float = 1.0) -> np.ndarray:
    """Growth factor ``gamma(t)`` of the aligned components: Eq. (gk-gamma).

    Paper: Eqs. 73-77, Eqs. 85-97.

    Theorem I.1 (App. I) for Eq. 15's network: ``gamma`` solves
    ``gamma' = (2/Z)(-A gamma^2 + S gamma + B)``, ``gamma(0) = 1``, so
    ``gamma(t) = (gamma+ - Q gamma- e^{-rt}) / (1 - Q e^{-rt})`` with
    ``Q = (1 - gamma+)/(1 - gamma-)`` and ``r = (2/Z) sqrt(S^2 + 4AB)``.
    Evaluated in the equivalent form

    ``gamma = (P + D e - 2B expm1(-rt)) / (D + P e - 2A expm1(-rt))``,
    ``e = e^{-rt}``, ``P, D = sqrt(S^2 + 4AB) +- S``,

    a ratio of non-negative terms (on ``A, B, S`` divided by a common
    power of two), so it is finite for every ``A, B >= 0`` and
    ``t >= 0``: ``B = 0`` gives the logistic
    ``gamma = S / (S e + A (1 - e))``, ``A = 0`` the linear equation's
    solution, and ``S^2 + 4AB = 0`` the limit
    ``(1 + 2Bt/Z) / (1 + 2At/Z)``. Where ``gamma`` itself leaves the
    floating-point range (``A = 0`` and ``S > 0`` at large ``t``:
    exponential growth) a ``ValueError`` says so; :func:`exact_slope`
    and :func:`exact_solution` stay finite there.

    Parameters
    ----------
    t : array_like
        Times (>= 0).
    A, B : array_like
        Aligned and anti-aligned scales (>= 0), e.g. from
        :func:`aligned_scales` at ``t = 0``.
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
    cause = "A = 0 or A tiny next to S: the aligned part grows unbounded"
    cause += "; exact_slope stays finite"
    _overflow("t and A", "gamma(t)", gamma, cause)
    return gamma


def exact_slope(t, A, B, S, Z: float = 1.0) -> np.ndarray:
    """Slope ``beta(t) = A gamma(t) - B / gamma(t)`` (Theorem I.1, App. I; Eq. 15).

    Paper: Eqs. 73-77.

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

    Paper: Eqs. 73-77, Eqs. 79-84.

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

    Paper: Eq. 19.

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
