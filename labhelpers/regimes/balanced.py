"""Lazy and rich regimes (Sec. 6, App. G): lambda-balanced networks and their modes.

A two-layer linear network ``f(x) = x^T W1 W2`` (``W1`` of shape (d, p), ``W2`` of shape (p, c)) is
*lambda-balanced* when

``W2 W2^T - W1^T W1 = lambda I_p``  (Eq. 14, with the sign of Eq. 8 and :func:`~labhelpers.core.imbalance`).

Gradient flow conserves this matrix, so ``lambda`` is a fixed *relative scale* of the layers: ``lambda > 0``
makes the second layer heavier, ``lambda < 0`` the first. On whitened inputs, with the layers aligned to the
singular vectors of ``sigma_xy``, every mode obeys ``theta' = sqrt(lambda^2 + 4 theta^2) (s - theta)``
(Eq. 69): sigmoidal (rich) as ``lambda -> 0``, exponential at rate ``|lambda|`` (lazy) as ``|lambda|`` grows.
Which of the two a network is in is measured by its tangent kernel (:mod:`labhelpers.regimes.kernels`).

Here: lambda-balanced starts (:func:`lambda_balanced`, aligned with a task; :func:`random_lambda_balanced`),
a zero-output start with a layer imbalance (:func:`symmetric_init`, for Fig. 6b) and the mode dynamics
(:func:`lambda_mode`).

Construction used here (for both :func:`lambda_balanced` and :func:`random_lambda_balanced`). With
``m = min(d, p, c)`` modes of strengths ``theta0`` (>= 0), orthogonal frames ``U`` (d x d), ``V`` (c x c),
``R`` (p x p) and rectangular diagonal matrices ``S1`` (d x p), ``S2`` (p x c),

``W1 = U S1 R^T``,  ``W2 = R S2 V^T``,  so that  ``W1 W2 = U (S1 S2) V^T``  and
``W2 W2^T - W1^T W1 = R (S2 S2^T - S1^T S1) R^T``.

The hidden direction ``j`` (column ``j`` of ``R``) gets singular values ``sigma1_j`` (in ``S1``) and
``sigma2_j`` (in ``S2``) with ``sigma2_j^2 - sigma1_j^2 = lambda`` for every ``j = 1..p``:

- a mode (``j <= m``): ``sigma1 sigma2 = theta0_j``, i.e. ``sigma_{1,2} = sqrt((sqrt(lambda^2 + 4 theta0^2) -+ lambda)/2)``
  (computed by :func:`~labhelpers.core.layers_from_product`, without cancellation);
- a spare hidden direction (``j > m``, only when ``p > min(d, c)``): it has no output (``j > c``, so
  ``sigma2_j = 0`` and ``sigma1_j = sqrt(-lambda)``, which needs ``lambda <= 0``) or no input (``j > d``,
  so ``sigma1_j = 0`` and ``sigma2_j = sqrt(lambda)``, which needs ``lambda >= 0``). It adds nothing to
  ``W1 W2``. Hence ``p > c`` requires ``lambda <= 0``, ``p > d`` requires ``lambda >= 0``, and a hidden
  layer wider than both input and output is lambda-balanced only for ``lambda = 0``; other cases raise.

The imbalance is then exactly ``lambda I_p`` (to rounding) and ``W1 W2`` has singular values ``theta0``.
A bottleneck (``p < min(d, c)``) is allowed: only ``p`` modes exist.

Book: chapter 4, Sec. "Layer imbalance: lambda-balanced networks" (``rg-balanced``) and Sec. "The modes of a
lambda-balanced network" (``rg-modes``); App. G of the paper.
"""

from __future__ import annotations

import numpy as np

from ..core import validation as check
from ..core.feedback import layers_from_product
from ..core.modes import product_mode


# ---------------------------------------------------------------------------- lambda-balanced weights
def _orthogonal(rng: np.random.Generator, n: int) -> np.ndarray:
    """A Haar-random orthogonal n x n matrix (QR of a Gaussian matrix, signs fixed by the diagonal of R)."""
    Q, R = np.linalg.qr(rng.standard_normal((n, n)))
    return Q * np.where(np.diag(R) < 0, -1.0, 1.0)


def _check_widths(lam: np.ndarray, d: int, p: int, c: int) -> None:
    """Raise unless a lambda-balanced network of widths (d, p, c) exists for every lambda (module docstring)."""
    if p > c and np.any(lam > 0):
        raise ValueError(
            f"lam must be <= 0 when hidden_dim > output_dim ({p} > {c}): the spare hidden directions have no "
            f"output weight, so W2 W2^T - W1^T W1 = -sigma1^2 there; got lam with maximum {lam.max():.4g}"
        )
    if p > d and np.any(lam < 0):
        raise ValueError(
            f"lam must be >= 0 when hidden_dim > input_dim ({p} > {d}): the spare hidden directions have no "
            f"input weight, so W2 W2^T - W1^T W1 = sigma2^2 there; got lam with minimum {lam.min():.4g}"
        )


def _weights_fit(n_networks: int, d: int, p: int, c: int, *, frames: bool = True) -> None:
    """Refuse, before allocating, a batch of weights (and the orthogonal frames) too large for memory."""
    values = float(n_networks) * (float(d) * p + float(p) * c)
    if frames:
        values += float(d) ** 2 + float(p) ** 2 + float(c) ** 2
    check.fits_in_memory(f"the batch of weights (input_dim={d}, hidden_dim={p}, output_dim={c})", 3.0 * values)


def _mode_strengths(lam, theta0, m: int) -> tuple[np.ndarray, np.ndarray]:
    """``lam`` of the batch shape and ``theta0`` of shape batch + (m,), checked and broadcast."""
    lam = check.as_array("lam", lam)
    theta0 = check.positive("theta0", theta0, allow_zero=True)
    if theta0.ndim and theta0.shape[-1] not in (1, m):
        raise ValueError(
            f"theta0 must be a number or end in an axis of length 1 or {m} (one strength per mode); "
            f"got shape {theta0.shape}"
        )
    batch_of_theta = theta0.shape[:-1] if theta0.ndim else ()
    try:
        batch = np.broadcast_shapes(lam.shape, batch_of_theta)
    except ValueError as error:
        raise ValueError(
            f"lam (shape {lam.shape}) and theta0 without its mode axis (shape {batch_of_theta}) must broadcast"
        ) from error
    lam = np.broadcast_to(lam, batch)
    theta0 = np.broadcast_to(theta0 if theta0.ndim else theta0[None], batch + (m,))
    return lam, theta0


def _assemble(lam, theta0, U, V, R) -> dict[str, np.ndarray]:
    """``W1 = U S1 R^T`` and ``W2 = R S2 V^T`` with the singular values of the module docstring."""
    d, c, p = U.shape[-1], V.shape[-1], R.shape[-1]
    m = min(d, p, c)
    batch = lam.shape
    sigma2_modes, sigma1_modes = layers_from_product(theta0, lam[..., None])  # a^2 - b^2 = lam, a b = theta0
    # Spare directions j >= m: sqrt(|lam|) on the layer that has them (index < d for S1, < c for S2);
    # _check_widths guaranteed the sign of lam, and the diagonal slots below drop the other layer's entry.
    spare = np.sqrt(np.abs(lam))[..., None] * np.ones(p - m)
    sigma1 = np.concatenate([sigma1_modes, spare], axis=-1)
    sigma2 = np.concatenate([sigma2_modes, spare], axis=-1)
    S1 = np.zeros(batch + (d, p))
    S2 = np.zeros(batch + (p, c))
    S1[..., np.arange(min(d, p)), np.arange(min(d, p))] = sigma1[..., : min(d, p)]
    S2[..., np.arange(min(p, c)), np.arange(min(p, c))] = sigma2[..., : min(p, c)]
    return {"W1": U @ S1 @ R.T, "W2": R @ S2 @ V.T}


def lambda_balanced(lam, theta0, sigma_xy, *, hidden_dim: int | None = None, seed: int = 0) -> dict[str, np.ndarray]:
    """Weights satisfying Eq. 14, aligned with the task: ``W1 = U S1 R^T``, ``W2 = R S2 V^T``.

    Paper: Eq. 14.

    ``U`` and ``V`` are the singular vectors of ``sigma_xy = U S V^T`` (full SVD, singular values in
    decreasing order) and ``R`` is a random orthogonal matrix, so that ``W1 W2 = U diag(theta0) V^T``:
    mode ``i`` starts at strength ``theta0[i]`` along the ``i``-th singular direction of the task, and
    on whitened inputs it follows :func:`lambda_mode` with ``s = S[i]`` (Theorem G.2, Eq. 69). See the
    module docstring for the singular values and for hidden widths other than the number of modes.

    Parameters
    ----------
    lam : float or array_like
        The relative scale ``lambda`` of Eq. 14 (``W2 W2^T - W1^T W1 = lambda I``); an array gives a batch
        of networks (leading dimensions of the result).
    theta0 : float or array_like, shape ``(..., m)``
        Initial mode strengths (singular values of ``W1 W2``), >= 0; a number, or one per mode
        (``m = min(d, p, c)``), optionally with batch dimensions that broadcast against ``lam``.
    sigma_xy : array_like, shape ``(d, c)``
        Input-output correlation of the task; only its singular vectors are used.
    hidden_dim : int, optional
        Hidden width ``p`` (default ``min(d, c)``, one hidden unit per mode).
    seed : int
        Seed of the random hidden frame ``R`` (shared by the whole batch).

    Returns
    -------
    dict
        ``{"W1": (..., d, p), "W2": (..., p, c)}``, the parameters of
        :class:`~labhelpers.core.LinearNetwork` ``(d, p, c)``.

    See Also
    --------
    random_lambda_balanced : the same construction with random input and output frames.
    """
    sxy = check.as_array("sigma_xy", sigma_xy, ndim=2)
    d, c = sxy.shape
    p = min(d, c) if hidden_dim is None else check.positive_int("hidden_dim", hidden_dim)
    lam, theta0 = _mode_strengths(lam, theta0, min(d, p, c))
    _check_widths(lam, d, p, c)
    _weights_fit(lam.size, d, p, c)
    U, _, Vt = np.linalg.svd(sxy, full_matrices=True)
    R = _orthogonal(check.rng("seed", seed), p)
    return _assemble(lam, theta0, U, Vt.T, R)


def random_lambda_balanced(
    lam, theta0, input_dim: int, hidden_dim: int, output_dim: int, *, seed: int = 0
) -> dict[str, np.ndarray]:
    """Random weights satisfying Eq. 14 exactly, with every singular value of ``W1 W2`` prescribed.

    Paper: Eq. 14.

    The construction of :func:`lambda_balanced` with Haar-random orthogonal frames ``U`` (d x d),
    ``R`` (p x p) and ``V`` (c x c) in place of the task's singular vectors: the initial network is not
    aligned with any task. One draw of the frames is shared by the whole batch, so that a sweep over
    ``lam`` and ``theta0`` changes nothing else. What holds: ``W2 W2^T - W1^T W1 = lam I_p`` to rounding,
    and ``W1 W2`` has the singular values ``theta0`` (``min(d, p, c)`` of them; any others are 0).

    Parameters
    ----------
    lam : float or array_like
        The relative scale ``lambda`` (Eq. 14); an array gives a batch of networks.
    theta0 : float or array_like, shape ``(..., m)``
        Singular values of ``W1 W2`` (>= 0), a number or one per mode, ``m = min(d, p, c)``.
    input_dim, hidden_dim, output_dim : int
        Widths ``d``, ``p``, ``c``. ``p > c`` needs ``lam <= 0`` and ``p > d`` needs ``lam >= 0``
        (see the module docstring).
    seed : int
        Seed of the random frames.

    Returns
    -------
    dict
        ``{"W1": (..., d, p), "W2": (..., p, c)}``.
    """
    d = check.positive_int("input_dim", input_dim)
    p = check.positive_int("hidden_dim", hidden_dim)
    c = check.positive_int("output_dim", output_dim)
    lam, theta0 = _mode_strengths(lam, theta0, min(d, p, c))
    _check_widths(lam, d, p, c)
    _weights_fit(lam.size, d, p, c)
    rng = check.rng("seed", seed)
    U, R, V = _orthogonal(rng, d), _orthogonal(rng, p), _orthogonal(rng, c)
    return _assemble(lam, theta0, U, V, R)


def symmetric_init(lam, input_dim: int, hidden_dim: int, output_dim: int, *, scale=0.1, seed: int = 0):
    """A zero-output start with a layer imbalance: two mirrored half-networks whose outputs cancel.

    With ``h = hidden_dim / 2`` (``hidden_dim`` must be even) and one draw of standard normal ``A`` (d x h)
    and ``B`` (h x c), shared by the whole batch,

    ``W1 = sigma1 [A, A]``  (d x p),   ``W2 = sigma2 [B; -B]``  (p x c),   so ``W1 W2 = sigma1 sigma2 (A B - A B) = 0``:

    the network computes ``f(x) = 0`` at initialisation (the symmetrised initialisation of Chizat et al.
    2019, used for the paper's Fig. 6b), while its tangent kernel is not zero. The layer imbalance enters
    through the standard deviations, ``sigma1 = scale + max(-lam, 0)`` and ``sigma2 = scale + max(lam, 0)``:
    ``lam > 0`` makes the second layer heavier, as in Eq. 8 and Eq. 14 (the paper's code uses the
    opposite sign). This ``lam`` is a relative scale but not Eq. 14's: a zero-output start cannot be
    lambda-balanced (in the hidden basis ``(h1 + h2, h1 - h2)`` the network splits into units with only
    a first layer and units with only a second, so ``W2 W2^T - W1^T W1`` has a negative and a positive
    block). Its expectation is ``diag(-2 d sigma1^2, 2 c sigma2^2)`` in that basis.

    Parameters
    ----------
    lam : float or array_like
        Layer imbalance through the standard deviations; an array gives a batch (leading dimensions).
    input_dim, hidden_dim, output_dim : int
        Widths ``d``, ``p`` (even), ``c``.
    scale : float or array_like
        Base standard deviation of both layers (> 0); broadcasts against ``lam``.
    seed : int
        Seed of ``A`` and ``B``.

    Returns
    -------
    dict
        ``{"W1": (..., d, p), "W2": (..., p, c)}`` with ``W1 @ W2`` zero up to rounding.
    """
    d = check.positive_int("input_dim", input_dim)
    p = check.positive_int("hidden_dim", hidden_dim, minimum=2)
    c = check.positive_int("output_dim", output_dim)
    if p % 2:
        raise ValueError(f"hidden_dim must be even (two mirrored halves); got {p}")
    lam, scale = check.broadcastable(lam=lam, scale=scale)
    check.positive("scale", scale)
    rng = check.rng("seed", seed)
    _weights_fit(lam.size, d, p, c, frames=False)
    A = rng.standard_normal((d, p // 2))
    B = rng.standard_normal((p // 2, c))
    sigma1 = (scale + np.maximum(-lam, 0.0))[..., None, None]
    sigma2 = (scale + np.maximum(lam, 0.0))[..., None, None]
    return {"W1": sigma1 * np.concatenate([A, A], axis=1), "W2": sigma2 * np.concatenate([B, -B], axis=0)}


# ---------------------------------------------------------------------------- mode dynamics
def lambda_mode(t, s, theta0, lam):
    """One mode of a lambda-balanced network on whitened inputs (Theorem G.2, Eq. 69).

    Paper: Eqs. 69-70.

    Solves ``theta' = sqrt(lambda^2 + 4 theta^2) (s - theta)``, ``theta(0) = theta0``. This is the product
    ``theta = a b`` of a diagonal mode with imbalance ``a^2 - b^2 = lambda`` and unit input variance, so it
    is :func:`~labhelpers.core.product_mode` with ``imbalance=lam`` and ``variance=1`` (the same closed
    form, not a second one). Limits: ``lam = 0`` gives the sigmoid of Eq. 9
    (:func:`~labhelpers.core.sigmoidal_mode`); for ``|lam| >> s`` the mode is the exponential of Eq. 7
    at rate ``|lam|``, ``s + (theta0 - s) exp(-|lam| t)`` (:func:`~labhelpers.core.linear_mode` with
    ``variance=|lam|``): the lazy regime.

    Parameters
    ----------
    t : array_like
        Times, >= 0.
    s : array_like
        Singular value of ``sigma_xy`` that the mode learns (the target).
    theta0 : array_like
        Initial strength (singular value of ``W1 W2`` along this mode).
    lam : array_like
        The relative scale ``lambda`` of Eq. 14.

    Returns
    -------
    numpy.ndarray
        ``theta(t)``, broadcast over all arguments.
    """
    t, s, theta0, lam = check.broadcastable(t=t, s=s, theta0=theta0, lam=lam)
    check.positive("t", t, allow_zero=True)
    check.positive("s", s, allow_zero=True)  # a singular value of sigma_xy
    check.positive("theta0", theta0, allow_zero=True)  # a singular value of W1 W2
    problem = "lam, s and theta0 must stay below about 1e307 in size: theta(t) is not finite for these"
    try:
        with np.errstate(over="ignore", invalid="ignore"):
            theta = product_mode(t, s, theta0, imbalance=lam, variance=1.0)
    except ValueError as error:  # the arguments were checked above: only its "not finite" remains
        raise ValueError(f"{problem} ({error})") from error
    if not np.all(np.isfinite(theta)):  # scales within a factor 2 of the float limit (the rescaling overflows)
        raise ValueError(problem)
    return theta
