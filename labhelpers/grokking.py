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

from typing import Any

import numpy as np

from . import _validation as check
from .data import Moments, teacher_moments
from .models import Model, Params


class WideScalarNetwork(Model):
    """Scalar-input network of width ``p`` (Eq. 15): ``f(x) = (1/Z) sum_i a_i b_i x``.

    Parameters ``a`` and ``b`` have shape ``(..., p)`` (leading batch dimensions allowed). The
    end-to-end map is the slope ``beta`` as a ``(..., 1, 1)`` array (``d = c = 1``), so the population
    loss (Eq. 2) and :func:`labhelpers.simulate.gradient_flow` apply unchanged. Flow, for input variance
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


def target_moments(target_scale: float) -> Moments:
    """Moments of Eq. 15's task: ``E[x^2] = 1`` and ``f*(x) = S x`` (``target_scale = S``)."""
    S = check.as_array("target_scale", target_scale)
    if S.ndim != 0:
        raise ValueError(f"target_scale must be a single number; got {check._describe(S)}")
    return teacher_moments([1.0], [float(S)])


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
    return (a * b).sum(-1) / Z


def weight_scale(params: Params, Z: float = 1.0) -> np.ndarray:
    """Weight scale ``Sigma = (1/2Z) sum_i (a_i^2 + b_i^2)`` (Sec. 7); ``Sigma_0 / S`` is the weight-to-target ratio."""
    a, b, Z = _weights(params, Z)
    return (a**2 + b**2).sum(-1) / (2.0 * Z)


def aligned_scales(params: Params, Z: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """``A = (1/4Z) sum (a_i + b_i)^2`` and ``B = (1/4Z) sum (a_i - b_i)^2`` (Theorem I.1, App. I).

    ``A + B = Sigma`` and ``A - B = beta``; at ``t = 0`` they fix the whole trajectory.
    """
    a, b, Z = _weights(params, Z)
    return ((a + b) ** 2).sum(-1) / (4.0 * Z), ((a - b) ** 2).sum(-1) / (4.0 * Z)


# ---------------------------------------------------------------------------- closed forms
def _scales(A, B, S) -> tuple[np.ndarray, ...]:
    A, B, S = check.broadcastable(A=A, B=B, S=S)
    check.positive("A", A, allow_zero=True)
    check.positive("B", B, allow_zero=True)
    return A, B, S


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


def growth_factors(A, B, S) -> tuple[np.ndarray, np.ndarray]:
    """Roots ``gamma+ >= 0 >= gamma-`` of ``-A gamma^2 + S gamma + B`` (Theorem I.1, App. I).

    ``gamma+- = (S +- sqrt(S^2 + 4AB)) / (2A)``. ``gamma+`` is the final growth factor: aligned
    components end ``sqrt(gamma+)`` times larger, anti-aligned ones ``sqrt(gamma+)`` times smaller.
    Computed as ``gamma+ = (root + S)/(2A) = 2B/(root - S)`` (whichever has no cancellation) and
    ``gamma- = -B/(A gamma+)``. ``B = 0`` gives ``gamma+ = max(S, 0)/A`` (logistic growth).

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
    _, P, D = _root_terms(A, B, S)
    gamma_plus = np.where(S >= 0, P / (2.0 * A), 2.0 * B / np.where(D > 0, D, 1.0))
    gamma_minus = np.where(S >= 0, -2.0 * B / np.where(P > 0, P, 1.0), -D / (2.0 * A))
    return gamma_plus, gamma_minus


def growth_factor(t, A, B, S, Z: float = 1.0) -> np.ndarray:
    """Common growth factor ``gamma(t)`` of the aligned components (Theorem I.1, App. I; Eq. 15).

    Solves ``gamma' = (2/Z)(-A gamma^2 + S gamma + B)``, ``gamma(0) = 1``:
    ``gamma(t) = (gamma+ - Q gamma- e^{-rt}) / (1 - Q e^{-rt})`` with ``Q = (1 - gamma+)/(1 - gamma-)``
    and ``r = (2/Z) sqrt(S^2 + 4AB)``. Evaluated in the equivalent form

    ``gamma = (P + D e - 2B expm1(-rt)) / (D + P e - 2A expm1(-rt))``,  ``e = e^{-rt}``,
    ``P, D = sqrt(S^2 + 4AB) +- S``,

    a ratio of non-negative terms, so it is finite for every ``A, B >= 0`` and ``t >= 0``: ``B = 0``
    gives the logistic ``gamma = S / (S e + A (1 - e))``, ``A = 0`` the linear equation's solution
    (exponential growth when ``S > 0``; ``+inf`` only once that overflows), and ``S^2 + 4AB = 0`` the
    limit ``(1 + 2Bt/Z) / (1 + 2At/Z)``.

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
    t, A, B, S, Z = check.broadcastable(t=t, A=A, B=B, S=S, Z=Z)
    check.positive("t", t, allow_zero=True)
    check.positive("A", A, allow_zero=True)
    check.positive("B", B, allow_zero=True)
    check.positive("Z", Z)
    root, P, D = _root_terms(A, B, S)
    rate = 2.0 * root / Z
    with np.errstate(over="ignore", divide="ignore", under="ignore", invalid="ignore"):
        decay = np.exp(-rate * t)
        rise = -np.expm1(-rate * t)  # 1 - e^{-rt}, accurate for small rt
        numerator = P + D * decay + 2.0 * B * rise
        denominator = D + P * decay + 2.0 * A * rise
        general = numerator / denominator
    degenerate = (1.0 + 2.0 * B * t / Z) / (1.0 + 2.0 * A * t / Z)  # S = 0 and AB = 0: double root at 0
    return np.where(root > 0, general, degenerate)


def exact_slope(t, A, B, S, Z: float = 1.0) -> np.ndarray:
    """Slope ``beta(t) = A gamma(t) - B / gamma(t)`` (Theorem I.1, App. I; Eq. 15).

    Starts at ``beta_0 = A - B`` and tends to ``S`` (for ``A > 0`` or ``S <= 0``). A zero ``A`` or
    ``B`` contributes exactly zero, also where ``gamma`` has overflowed or underflowed.
    Arguments as in :func:`growth_factor`.
    """
    gamma = growth_factor(t, A, B, S, Z)
    A, B = np.broadcast_arrays(np.asarray(A, dtype=float), np.asarray(B, dtype=float))
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        aligned = np.where(A == 0, 0.0, A * gamma)
        anti = np.where(B == 0, 0.0, B / gamma)
    return aligned - anti


def exact_solution(t, a0, b0, S, Z: float = 1.0) -> dict[str, np.ndarray]:
    """Weights ``a(t), b(t)`` of Eq. 15's network under gradient flow, in closed form (Theorem I.1, App. I).

    ``u = a + b`` and ``v = a - b`` evolve as ``u(t) = u(0) sqrt(gamma(t))`` and ``v(t) = v(0) / sqrt(gamma(t))``
    with :func:`growth_factor` ``gamma`` built from ``A = sum u(0)^2 / 4Z`` and ``B = sum v(0)^2 / 4Z``;
    then ``a = (u + v)/2``, ``b = (u - v)/2``. Components that start at zero stay exactly zero.

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
        ``Trajectory.params`` of :func:`labhelpers.simulate.gradient_flow`; :func:`slope` turns it into ``beta(t)``.
    """
    a0 = check.as_array("a0", a0)
    b0 = check.as_array("b0", b0)
    _check_pair(a0, b0, "a0", "b0")
    t = check.as_array("t", t, ndim=(0, 1))
    check.positive("t", t, allow_zero=True)
    batch = a0.shape[:-1]
    S = check.as_array("S", S)
    Z = check.positive("Z", Z)
    try:
        S, Z = (np.broadcast_to(x, batch) for x in (S, Z))
    except ValueError as error:
        raise ValueError(f"S {S.shape} and Z {Z.shape} must broadcast to the runs' shape {batch}") from error
    u0, v0 = a0 + b0, a0 - b0
    A = (u0**2).sum(-1) / (4.0 * Z)
    B = (v0**2).sum(-1) / (4.0 * Z)
    time = t.reshape(t.shape + (1,) * len(batch))
    gamma = growth_factor(time, A, B, S, Z)[..., None]
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        root = np.sqrt(gamma)
        u = np.where(u0 == 0, 0.0, u0 * root)
        v = np.where(v0 == 0, 0.0, v0 / root)
    return {"a": (u + v) / 2.0, "b": (u - v) / 2.0}


def gamma_plus_from_ratio(ratio) -> np.ndarray:
    """Final growth factor for a zero-output start (``beta_0 = 0``) from the weight-to-target ratio ``Sigma_0/S``.

    With ``beta_0 = 0``, ``A = B = Sigma_0 / 2`` and ``gamma+ = (S + sqrt(S^2 + Sigma_0^2)) / Sigma_0``
    (Theorem I.1, App. I), i.e. with ``rho = Sigma_0 / S``:
    ``gamma+ = (1 + sqrt(1 + rho^2)) / rho``. Lazy limit ``rho >> 1``: ``gamma+ ~ 1 + 1/rho``;
    rich limit ``rho << 1``: ``gamma+ ~ 2/rho``.

    Parameters
    ----------
    ratio : array_like
        ``Sigma_0 / S`` (> 0; take ``S > 0``, the sign of ``S`` is a relabelling ``b -> -b``).
    """
    rho = check.positive("ratio", ratio)
    return (1.0 + np.hypot(1.0, rho)) / rho


# ---------------------------------------------------------------------------- initialisations
def _batch_shape(batch_shape) -> tuple[int, ...]:
    if isinstance(batch_shape, (int, np.integer)) and not isinstance(batch_shape, bool):
        batch_shape = (batch_shape,)
    if not isinstance(batch_shape, tuple) or not all(
        isinstance(n, (int, np.integer)) and not isinstance(n, bool) and n >= 1 for n in batch_shape
    ):
        raise ValueError(f"batch_shape must be a tuple of positive integers; got {check._describe(batch_shape)}")
    return tuple(int(n) for n in batch_shape)


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
    return WideScalarNetwork(p, np.sqrt(p)), gaussian_init(p, 1.0, batch_shape=batch_shape, seed=seed)
