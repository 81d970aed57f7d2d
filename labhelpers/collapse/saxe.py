"""Greedy low-rank dynamics (Eq. 12, Saxe et al. 2014): one mode of the input-output correlation at a time.

For whitened inputs and an input-output correlation ``sigma_xy = U S V^T``, a two-layer linear network started
small, balanced and aligned with the singular vectors learns one mode ``theta_a = u_a^T W1 W2 v_a`` per
singular value ``s_a``, each along the sigmoid of Eq. 9 with ``E[x^2] = 1`` and ``S = s_a``: the strongest
mode first. Here: two correlations to learn (:func:`hierarchical_correlation`, :func:`random_correlation`),
the aligned start (:func:`aligned_init`), the modes of a simulation (:func:`mode_strengths`) and of the
theory (:func:`saxe_modes`), and two ranks of a matrix (:func:`effective_rank`, :func:`numerical_rank`).

The rest of the chapter's helpers live beside this module: the unconstrained feature model in :mod:`.ufm`,
NC1-NC4 in :mod:`.metrics` and the pictures of the collapse in :mod:`.plots`.

Book: chapter 3, "Greedy dynamics: one mode at a time" and "Small and large initialisations" (Sec. nc-greedy
and nc-init; the paper's Sec. 5.1).
"""

from __future__ import annotations

import numpy as np

from ..core import floats as _floats
from ..core import validation as check
from ..core.simulate import Trajectory

MAX_LEVELS = 60
"""Deepest tree of :func:`hierarchical_correlation`: 2^59 items are far beyond any memory anyway."""


def hierarchical_correlation(n_levels: int = 3) -> np.ndarray:
    """Input-output correlation of a hierarchy of items and properties (after Saxe et al. 2019).

    Items are the ``P = 2^(L-1)`` leaves of a complete binary tree with ``L = n_levels`` levels; every node
    of the tree (``F = 2^L - 1`` of them, listed level by level from the root) is a property, and an item has
    the properties of all nodes on its path to the root (e.g. *living thing*, *animal*, *fish*,
    *salmon*). With one-hot items as whitened inputs (``sigma_xx = I``), the correlation is the item-property
    matrix: entry ``(i, f) = 1`` when item ``i`` lies below node ``f``, else 0.

    Its singular values follow the levels of the tree. Writing the Gram matrix as a sum over nodes of the
    indicator of their leaves, one finds the eigenvectors (Haar wavelets) and

    - ``sqrt(2^L - 1)`` once (the constant mode: what all items share),
    - ``sqrt(2^(L-1-k) - 1)`` with multiplicity ``2^k``, for ``k = 0 .. L-2`` (the split of a node at depth ``k``
      into its two children),

    so broad distinctions have larger singular values and are learned first (Eq. 12); for ``L = 3``:
    ``sqrt(7), sqrt(3), 1, 1``.

    Parameters
    ----------
    n_levels : int
        Levels of the tree, root included (at least 2).

    Returns
    -------
    numpy.ndarray
        Shape ``(2^(L-1), 2^L - 1)``: ``sigma_xy`` for :func:`labhelpers.core.whitened_moments`.
    """
    L = check.positive_int("n_levels", n_levels, minimum=2, maximum=MAX_LEVELS)
    n_items = 2 ** (L - 1)
    check.fits_in_memory("n_levels", float(n_items) * (2.0**L - 1.0))
    columns = []
    for depth in range(L):
        leaves_below = 2 ** (L - 1 - depth)
        for node in range(2**depth):
            column = np.zeros(n_items)
            column[node * leaves_below : (node + 1) * leaves_below] = 1.0
            columns.append(column)
    return np.stack(columns, axis=1)


def hierarchical_singular_values(n_levels: int = 3) -> np.ndarray:
    """The singular values of :func:`hierarchical_correlation` in closed form, largest first."""
    L = check.positive_int("n_levels", n_levels, minimum=2, maximum=MAX_LEVELS)
    check.fits_in_memory("n_levels", 2.0 ** (L - 1) * 8)  # the list of values, as Python floats
    values = [np.sqrt(2.0**L - 1.0)]
    for k in range(L - 1):
        values += [np.sqrt(2.0 ** (L - 1 - k) - 1.0)] * 2**k
    return np.sort(np.asarray(values))[::-1]


def _orthonormal_columns(rng: np.random.Generator, rows: int, cols: int) -> np.ndarray:
    """A random ``rows x cols`` matrix with orthonormal columns (Haar distributed, sign-corrected QR)."""
    Q, R = np.linalg.qr(rng.standard_normal((rows, cols)))
    return Q * np.where(np.diag(R) < 0, -1.0, 1.0)


def random_correlation(input_dim: int, output_dim: int, singular_values, *, seed: int = 0) -> np.ndarray:
    """A random correlation ``sigma_xy = U diag(s) V^T`` with prescribed singular values.

    ``U`` (d x r) and ``V`` (c x r) have random orthonormal columns, so the modes point in generic
    directions while their strengths ``s`` are chosen: well-separated values (e.g. ``[3, 2, 1, 0.5]``)
    give well-separated learning times in Eq. 12.

    Parameters
    ----------
    input_dim, output_dim : int
        ``d`` and ``c``.
    singular_values : array_like, shape (r,)
        Strictly positive, ``r <= min(d, c)``.
    seed : int
        Seed of the random directions.

    Returns
    -------
    numpy.ndarray
        Shape (d, c).
    """
    d = check.positive_int("input_dim", input_dim)
    c = check.positive_int("output_dim", output_dim)
    s = check.positive("singular_values", singular_values)
    if s.ndim != 1 or s.size > min(d, c):
        raise ValueError(
            f"singular_values must be 1-D with at most min(input_dim, output_dim) = {min(d, c)} entries; "
            f"got {check._describe(s)}"
        )
    check.fits_in_memory("input_dim x output_dim", float(d) * c + float(d + c) * s.size)
    rng = check.rng("seed", seed)
    U = _orthonormal_columns(rng, d, s.size)
    V = _orthonormal_columns(rng, c, s.size)
    with np.errstate(over="ignore", invalid="ignore"):
        sigma_xy = (U * s) @ V.T
    if not np.all(np.isfinite(sigma_xy)):
        raise ValueError(f"singular_values are too large: the correlation overflows; got {check._describe(s)}")
    return sigma_xy


def mode_basis(sigma_xy) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The modes of a correlation: its thin SVD ``sigma_xy = U diag(s) V^T``, singular values largest first.

    Returns ``(U, s, V)`` with ``U`` (d, r), ``s`` (r,) and ``V`` (c, r), ``r = min(d, c)``. Every function
    here that needs the modes calls this one, so an aligned start and the modes read from a simulation
    use the same singular vectors, also when singular values repeat.
    """
    sxy = check.as_array("sigma_xy", sigma_xy, ndim=2)
    # An exact power-of-two rescale keeps the SVD finite for entries near the float limit.
    scaled, shift = _floats.rescaled(sxy)
    U, s, Vt = np.linalg.svd(scaled, full_matrices=False)
    with np.errstate(over="ignore"):
        s = np.ldexp(s, shift)
    if not np.all(np.isfinite(s)):
        raise ValueError(
            f"sigma_xy is too large: its largest singular value exceeds the float range; got {check._describe(sxy)}"
        )
    return U, s, Vt.T


def aligned_init(sigma_xy, hidden_dim: int, theta0, *, seed: int = 0) -> dict[str, np.ndarray]:
    """A balanced start of :class:`~labhelpers.core.LinearNetwork` aligned with the modes (App. D.4).

    Paper: Eqs. 49-51.

    ``W1 = U diag(sqrt(theta0)) R^T`` and ``W2 = R diag(sqrt(theta0)) V^T`` with ``R`` (p x m) a random matrix
    with orthonormal columns and ``m = min(r, p)`` modes. Then ``W1 W2 = U diag(theta0) V^T`` (each mode
    starts at ``theta0``) and ``W2 W2^T - W1^T W1 = 0`` (balanced, the conserved quantity of Eq. 8 is zero):
    the assumptions under which gradient flow on whitened inputs follows Eq. 12 exactly. When the hidden
    width ``p`` is smaller than the number of modes ``r``, only the ``p`` strongest modes are initialised;
    the others start, and stay, at zero (a width-``p`` network learns a rank-``p`` map).

    Parameters
    ----------
    sigma_xy : array_like, shape (d, c)
        Input-output correlation (inputs whitened).
    hidden_dim : int
        Hidden width ``p``.
    theta0 : float or array_like, shape (m,)
        Initial mode strength(s), strictly positive (small for the greedy regime).
    seed : int
        Seed of the rotation ``R`` (the hidden basis is arbitrary).

    Returns
    -------
    dict
        ``{"W1": (d, p), "W2": (p, c)}``, ready for :func:`labhelpers.core.gradient_flow`.
    """
    U, s, V = mode_basis(sigma_xy)
    p = check.positive_int("hidden_dim", hidden_dim)
    check.fits_in_memory("hidden_dim", float(p) * (U.shape[0] + V.shape[0] + s.size))
    m = min(s.size, p)
    theta0 = check.positive("theta0", theta0)
    if theta0.ndim > 1 or (theta0.ndim == 1 and theta0.size != m):
        raise ValueError(
            f"theta0 must be a number or have one entry per initialised mode ({m}); got {check._describe(theta0)}"
        )
    root = np.sqrt(np.broadcast_to(theta0, (m,)))
    R = _orthonormal_columns(check.rng("seed", seed), p, m)
    return {"W1": (U[:, :m] * root) @ R.T, "W2": (R * root) @ V[:, :m].T}


def mode_strengths(end_to_end, sigma_xy) -> np.ndarray:
    """Mode strengths ``theta_a = u_a^T W1 W2 v_a`` of end-to-end maps, in the modes of ``sigma_xy`` (Eq. 12).

    Paper: Eq. 12.

    Parameters
    ----------
    end_to_end : Trajectory or array_like, shape (..., d, c)
        A :class:`~labhelpers.core.Trajectory` (its ``end_to_end``, shape (T, d, c)) or maps ``P``.
    sigma_xy : array_like, shape (d, c)
        The correlation whose singular vectors define the modes (:func:`mode_basis`).

    Returns
    -------
    numpy.ndarray
        Shape (..., r), modes ordered by decreasing singular value: (T, r) for a trajectory.
    """
    if isinstance(end_to_end, Trajectory):
        end_to_end = end_to_end.end_to_end
    P = check.as_array("end_to_end", end_to_end)
    U, _, V = mode_basis(sigma_xy)
    if P.ndim < 2 or P.shape[-2:] != (U.shape[0], V.shape[0]):
        raise ValueError(f"end_to_end must end in shape {(U.shape[0], V.shape[0])} to match sigma_xy; got {P.shape}")
    with np.errstate(over="ignore", invalid="ignore"):
        strengths = np.einsum("da,...dc,ca->...a", U, P, V)
    if not np.all(np.isfinite(strengths)):
        raise ValueError("end_to_end is too large: its mode strengths overflow; rescale it")
    return strengths


def saxe_modes(t, sigma_xy, theta0) -> np.ndarray:
    """Every mode of ``sigma_xy`` on its sigmoid: the paper's Eq. 12 (book: nc-saxe).

    Paper: Eq. 12, Eqs. 57-59.

    ``theta_a(t) = s_a / (1 + (s_a / theta0_a - 1) exp(-2 s_a t))``, the sigmoid
    of :func:`labhelpers.core.sigmoidal_mode` with ``S = s_a`` and ``E[x^2] = 1``
    (whitened inputs), exact from the aligned balanced start of :func:`aligned_init`.
    It is evaluated as ``s theta0 / (theta0 + (s - theta0) exp(-2 s t))``, which also
    covers a mode that starts at zero (it stays there) and a zero singular value
    (``theta' = -2 theta^2``, so ``theta = theta0 / (1 + 2 theta0 t)``).

    Parameters
    ----------
    t : array_like, shape (T,)
        Times, non-negative.
    sigma_xy : array_like, shape (d, c)
        Input-output correlation.
    theta0 : float or array_like, shape (r,)
        Initial mode strengths, non-negative and not all zero, in the order of
        :func:`mode_basis` (``r = min(d, c)``).

    Returns
    -------
    numpy.ndarray
        Shape (T, r), columns in the order of :func:`mode_basis`.
    """
    _, s, _ = mode_basis(sigma_xy)
    times, theta0 = _times_and_start(t, theta0, s)
    with np.errstate(over="ignore", invalid="ignore", under="ignore"):
        decay = np.exp(-2.0 * s * times[:, None])
        denominator = theta0 + (s - theta0) * decay
        rising = s * theta0 / np.where(denominator > 0, denominator, 1.0)
        # s theta0 or the denominator overflows for huge s and theta0: divide by s first
        ratio = theta0 / np.where(s > 0, s, 1.0)
        rescaled = theta0 / (ratio + (1.0 - ratio) * decay)
        rescaled = np.where(denominator > 0, rescaled, 0.0)
        rising = np.where(np.isfinite(rising), rising, rescaled)
        decaying = theta0 / (1.0 + 2.0 * theta0 * times[:, None])
    modes = np.where(s > 0, rising, decaying)
    if not np.all(np.isfinite(modes)):
        raise ValueError("theta0 and sigma_xy are too large: the modes overflow")
    return modes


def _times_and_start(t, theta0, s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The checked times and initial strengths of :func:`saxe_modes`, ``theta0`` broadcast to ``s``."""
    times = check.as_array("t", t, ndim=1)
    check.positive("t", times, allow_zero=True)
    theta0 = check.positive("theta0", theta0, allow_zero=True)
    if theta0.ndim > 1 or (theta0.ndim == 1 and theta0.size != s.size):
        raise ValueError(
            f"theta0 must be a number or have one entry per mode ({s.size}); got {check._describe(theta0)}"
        )
    if not np.any(theta0 > 0):
        raise ValueError(
            f"theta0 must have at least one positive entry: from theta0 = 0 every mode stays at 0 (Eq. 12); "
            f"got {check._describe(theta0)}"
        )
    return times, np.broadcast_to(theta0, s.shape)


def _singular_values(name: str, matrix, *, rescale: bool = False) -> np.ndarray:
    """Singular values, largest first; ``rescale`` by an exact power of two first, for scale-free uses."""
    array = check.as_array(name, matrix)
    if array.ndim < 2:
        raise ValueError(f"{name} must be a matrix or a stack of matrices (at least 2-D); got shape {array.shape}")
    if 0 in array.shape[-2:]:
        raise ValueError(f"{name} must have at least one row and one column; got shape {array.shape}")
    if rescale:
        array, _ = _floats.rescaled(array)
    s = np.linalg.svd(array, compute_uv=False)
    if not np.all(np.isfinite(s)):
        raise ValueError(f"{name} is too large: its singular values overflow; rescale it")
    return s


def effective_rank(matrix) -> np.ndarray:
    """Entropy effective rank ``exp(-sum_k p_k ln p_k)``, ``p_k = s_k / sum_j s_j`` (Roy & Vetterli 2007).

    A smooth count of the directions a matrix uses: ``k`` equal nonzero singular values give exactly ``k``,
    and a dominant one gives close to 1. It depends only on the *shape* of the spectrum, not on its scale,
    so a tiny random start has a large effective rank. The zero matrix has effective rank 0.

    Parameters
    ----------
    matrix : array_like, shape (..., m, n)
        A matrix or a stack of them (e.g. ``trajectory.end_to_end``, (T, d, c)).

    Returns
    -------
    numpy.ndarray
        Shape (...): one value per matrix.
    """
    s = _singular_values("matrix", matrix, rescale=True)
    total = s.sum(axis=-1, keepdims=True)
    p = s / np.where(total > 0, total, 1.0)
    entropy = -(p * np.log(np.where(p > 0, p, 1.0))).sum(axis=-1)
    return np.where(total[..., 0] > 0, np.exp(entropy), 0.0)


def numerical_rank(matrix, *, rtol: float = 1e-6, atol: float = 0.0) -> np.ndarray:
    """Number of singular values above ``max(atol, rtol * s_max)``.

    Paper: Eq. 13.

    With ``atol`` set to a fixed level (e.g. half the smallest target singular value) it counts the modes
    learned so far, the staircase of greedy learning; with ``rtol`` it is the numerical rank (Eq. 13: the
    trained features have rank C). Unlike :func:`effective_rank` it ignores directions below the threshold.

    Parameters
    ----------
    matrix : array_like, shape (..., m, n)
        A matrix or a stack of them.
    rtol, atol : float
        Relative (to the largest singular value) and absolute thresholds, non-negative.

    Returns
    -------
    numpy.ndarray
        Integer counts, shape (...).
    """
    rtol = check.positive_scalar("rtol", rtol, allow_zero=True)
    atol = check.positive_scalar("atol", atol, allow_zero=True)
    s = _singular_values("matrix", matrix)
    threshold = np.maximum(atol, rtol * s[..., :1])
    return (s > threshold).sum(axis=-1)
