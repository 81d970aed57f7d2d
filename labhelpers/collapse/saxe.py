"""From greedy low-rank dynamics to neural collapse (Sec. 5, App. D.4, App. F).

Three parts, in the order of the chapter:

1. **Greedy dynamics** (Eq. 12, Saxe et al. 2014). For whitened inputs and an input-output correlation
   ``sigma_xy = U S V^T``, a two-layer linear network started small, balanced and aligned with the singular
   vectors learns one mode ``theta_a = u_a^T W1 W2 v_a`` per singular value ``s_a``, each along the sigmoid
   of Eq. 9 with ``E[x^2] = 1`` and ``S = s_a``: the strongest mode first. Here: two correlations to learn
   (:func:`hierarchical_correlation`, :func:`random_correlation`), the aligned start
   (:func:`aligned_init`), the modes of a simulation (:func:`mode_strengths`) and of the theory
   (:func:`saxe_modes`), and two ranks of a matrix (:func:`effective_rank`, :func:`numerical_rank`).
2. **The unconstrained feature model** (Mixon et al. 2020): the features of the ``N`` training samples are
   free parameters ``H`` (N x D), the classifier is ``W`` (C x D), and the outputs ``H W^T`` are fitted to
   one-hot labels. It is the linear network of Eq. 13 with the identity as input matrix, so Eq. 12 applies
   verbatim (:class:`UnconstrainedFeatures`, :func:`train_ufm`, and the limit it reaches,
   :func:`ufm_limit`).
3. **Neural collapse metrics** (Papyan, Han & Donoho 2020; App. F), for any features, labels and
   classifier: :func:`nc1` to :func:`nc4`, all at once with :func:`collapse_metrics`, and the ideal
   geometry :func:`simplex_etf`.
4. **Pictures of the collapse**: features seen in the plane of their class means (:func:`class_plane`),
   drawn by :func:`draw_feature_plane`, and snapshots of a training run (:func:`plot_feature_snapshots`).

Conventions. Features are rows: ``features`` has shape (..., N, D) for N samples of dimension D, with any
leading batch dimensions (a stack of snapshots over training, (T, N, D), is one call). ``labels`` (N,)
are integers ``0..C-1`` shared by the whole batch, and every class needs at least one sample. The
classifier ``W`` has one row per class, shape (..., C, D), and ``bias`` shape (..., C), so the network
outputs ``W h + b``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields

import numpy as np

from ..core import floats as _floats
from ..core import validation as check
from ..core.data import Moments, whitened_moments
from ..core.divergence import DivergenceError, DivergenceGuard
from ..core.models import Model, _swap
from ..core.simulate import MAX_EVALUATIONS, Trajectory, gradient_descent, gradient_flow

DEFAULT_RCOND = 1e-10
MAX_LEVELS = 60
"""Deepest tree of :func:`hierarchical_correlation`: 2^59 items are far beyond any memory anyway."""

# ============================================================================ greedy dynamics (Eq. 12)


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
    scaled, shift = _rescaled(sxy)
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
    """Eq. 12: every mode of ``sigma_xy`` along its sigmoid, ``theta_a(t) = s_a / (1 + (s_a/theta0 - 1) e^{-2 s_a t})``.

    The sigmoid of :func:`labhelpers.core.sigmoidal_mode` with ``S = s_a`` and ``E[x^2] = 1`` (whitened
    inputs), valid from the aligned balanced start of :func:`aligned_init`. It is evaluated as
    ``s theta0 / (theta0 + (s - theta0) e^{-2 s t})``, which also covers a mode that starts at zero (it stays
    there) and a zero singular value (``theta' = -2 theta^2``, so ``theta = theta0 / (1 + 2 theta0 t)``).

    Parameters
    ----------
    t : array_like, shape (T,)
        Times, non-negative.
    sigma_xy : array_like, shape (d, c)
        Input-output correlation.
    theta0 : float or array_like, shape (r,)
        Initial mode strengths, non-negative and not all zero, in the order of :func:`mode_basis`
        (``r = min(d, c)``).

    Returns
    -------
    numpy.ndarray
        Shape (T, r), columns in the order of :func:`mode_basis`.
    """
    _, s, _ = mode_basis(sigma_xy)
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
    theta0 = np.broadcast_to(theta0, s.shape)
    with np.errstate(over="ignore", invalid="ignore", under="ignore"):
        decay = np.exp(-2.0 * s * times[:, None])
        denominator = theta0 + (s - theta0) * decay
        rising = s * theta0 / np.where(denominator > 0, denominator, 1.0)
        # s theta0 or the denominator overflows for huge s and theta0: divide through by s first
        ratio = theta0 / np.where(s > 0, s, 1.0)
        rescaled = theta0 / (ratio + (1.0 - ratio) * decay)
        rising = np.where(np.isfinite(rising), rising, np.where(denominator > 0, rescaled, 0.0))
        decaying = theta0 / (1.0 + 2.0 * theta0 * times[:, None])
    modes = np.where(s > 0, rising, decaying)
    if not np.all(np.isfinite(modes)):
        raise ValueError("theta0 and sigma_xy are too large: the mode strengths overflow; rescale them")
    return modes


def _singular_values(name: str, matrix, *, rescale: bool = False) -> np.ndarray:
    """Singular values, largest first; ``rescale`` by an exact power of two first, for scale-free uses."""
    array = check.as_array(name, matrix)
    if array.ndim < 2:
        raise ValueError(f"{name} must be a matrix or a stack of matrices (at least 2-D); got shape {array.shape}")
    if 0 in array.shape[-2:]:
        raise ValueError(f"{name} must have at least one row and one column; got shape {array.shape}")
    if rescale:
        array, _ = _rescaled(array)
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


# ============================================================================ unconstrained feature model


def one_hot(labels, n_classes: int | None = None) -> np.ndarray:
    """One-hot rows ``Y`` (N, C) of integer labels ``0..C-1`` (every class needs a sample)."""
    y, C, _ = _labels(labels, None, n_classes)
    check.fits_in_memory("n_classes", float(y.size) * C)
    Y = np.zeros((y.size, C))
    Y[np.arange(y.size), y] = 1.0
    return Y


class UnconstrainedFeatures(Model):
    """The unconstrained feature model (Mixon et al. 2020) as a layerwise linear model.

    The ``N`` training features are free parameters ``H`` (N x D) and the classifier is ``W`` (C x D), with
    an optional bias ``b`` (C). The outputs of all samples are the rows of ``P = H W^T + 1 b^T`` (N x C).
    Sample ``i`` is the one-hot input ``e_i``, so ``f(e_i) = e_i^T P`` and ``P`` is the end-to-end map
    of :mod:`labhelpers.core`; with :func:`labhelpers.core.whitened_moments` of the one-hot labels ``Y``
    the loss (Eq. 2) is ``1/2 ||P - Y||_F^2``, summed over samples. Without bias this is
    :class:`~labhelpers.core.LinearNetwork` with ``W1 = H``, ``W2 = W^T`` and ``X = I`` (Eq. 13).

    Flow, with ``E = sigma_xy - sigma_xx P``: ``H' = E W``, ``W' = E^T H``, ``b' = E^T 1``. As in Eq. 8,
    ``H^T H - W^T W`` is conserved (the bias does not enter it).
    """

    def __init__(self, n_samples: int, feature_dim: int, n_classes: int, *, bias: bool = False):
        self.n_samples = check.positive_int("n_samples", n_samples)
        self.feature_dim = check.positive_int("feature_dim", feature_dim)
        self.n_classes = check.positive_int("n_classes", n_classes, minimum=2)  # one class has nothing to separate
        self.bias = check.flag("bias", bias)
        self.input_dim, self.output_dim = self.n_samples, self.n_classes
        self.param_names = ("H", "W", "b") if self.bias else ("H", "W")

    def shapes(self):
        shapes = {"H": (self.n_samples, self.feature_dim), "W": (self.n_classes, self.feature_dim)}
        if self.bias:
            shapes["b"] = (self.n_classes,)
        return shapes

    def end_to_end(self, params):
        self.validate(params)
        outputs = params["H"] @ _swap(params["W"])
        if self.bias:
            outputs = outputs + params["b"][..., None, :]
        return outputs

    def flow(self, params, moments):
        params = self._arrays(params)
        E = self.residual(params, moments)
        velocity = {"H": E @ params["W"], "W": _swap(E) @ params["H"]}
        if self.bias:
            velocity["b"] = E.sum(axis=-2)
        return velocity


def ufm_limit(n_classes: int, n_per_class: int, *, bias: bool = False) -> dict[str, float]:
    """What the unconstrained feature model reaches from a small start (the derivation below).

    Setting: :func:`train_ufm`, ``C`` balanced classes of ``n`` samples, one-hot targets ``Y`` (N x C),
    loss ``1/2 ||H W^T + 1 b^T - Y||_F^2``, feature dimension ``D >= C``, gradient flow from a small
    start (scale ``sigma``).

    **Without bias.** The loss reaches zero, ``H W^T = Y``, and the conserved ``H^T H - W^T W`` (Eq. 8)
    stays ``O(sigma^2)``: the layers end *balanced*. Then ``Y Y^T = H W^T W H^T = (H H^T)^2`` and
    ``Y^T Y = (W W^T)^2``, so (up to ``O(sigma^2)``)

    - ``H H^T = (Y Y^T)^(1/2) = Y Y^T / sqrt(n)``, because ``Y Y^T`` has eigenvalues ``n`` (C times) and 0:
      ``h_i . h_j = 1/sqrt(n)`` within a class and 0 across. Same-class features coincide (NC1 = 0),
      class means are orthogonal with norm ``n^(-1/4)``, and the feature matrix has rank C (Eq. 13).
    - Centring orthogonal equinorm vectors gives a simplex ETF (NC2 = 0), with
      ``||mu_c - mu_G||^2 = (1 - 1/C) / sqrt(n)``.
    - ``W W^T = (Y^T Y)^(1/2) = sqrt(n) I``: classifier rows orthogonal with norm ``n^(1/4)``, and
      ``w_c = sqrt(n) mu_c`` (from ``h_i . w_c = Y_ic``). The classifier is dual to the *uncentred* means.
      With orthonormal ``r_c`` such that ``w_c`` is proportional to ``r_c``, the centred means are
      proportional to ``r_c - mean_c' r_c'``; the two normalised matrices have inner product
      ``sqrt(1 - 1/C)``, so NC3 ``= ||W/||W|| - M/||M|| ||_F = sqrt(2 - 2 sqrt(1 - 1/C))``, not 0 (0.518
      for C = 4): without a bias the classifier must also carry the global mean.
    - NC4 = 0: the classifier and the nearest class mean agree on every sample.

    **With bias.** The bias is a linear mode (Eq. 10, rate N) and is fitted long before the product
    leaves its plateau: ``b = 1/C`` (the mean target). The product then learns the centred targets
    ``Y - 1 1^T / C``, with singular value ``sqrt(n)`` of multiplicity ``C - 1``. The same argument gives
    ``h_i . h_j = ([y_i = y_j] - 1/C) / sqrt(n)``: the features themselves form a
    simplex ETF centred at 0, of rank ``C - 1``, the classifier rows are ``w_c = sqrt(n) mu_c`` with
    norm ``sqrt(1 - 1/C) n^(1/4)``, and NC3 = 0 as well.

    Parameters
    ----------
    n_classes, n_per_class : int
        ``C >= 2`` and ``n >= 1``.
    bias : bool
        With or without the bias ``b``.

    Returns
    -------
    dict
        ``rank``, ``feature_norm`` (each ``h_i``), ``centred_mean_norm``, ``classifier_norm`` (each row
        ``w_c``), ``classifier_to_mean`` (``w_c = k mu_c``: the factor ``k``), ``bias`` (each entry; 0 without),
        ``nc1``, ``etf_distance``, ``self_duality`` (NC3), ``ncc_mismatch`` (NC4) and ``loss``.
    """
    C = check.positive_int("n_classes", n_classes, minimum=2, maximum=2**53)
    n = check.positive_int("n_per_class", n_per_class, maximum=2**53)
    check.flag("bias", bias)
    kept = math.sqrt(1.0 - 1.0 / C)  # the part of a unit vector left after removing the global mean
    # sqrt(2 - 2 kept), without the cancellation of 2 - 2 kept when C is large: 2 - 2 kept = (2/C) / (1 + kept)
    self_duality = math.sqrt(2.0 - 2.0 * kept) if C <= 1000 else math.sqrt(2.0 / C / (1.0 + kept))
    return {
        "rank": C - 1 if bias else C,
        "feature_norm": kept * n**-0.25 if bias else n**-0.25,
        "centred_mean_norm": kept * n**-0.25,
        "classifier_norm": kept * n**0.25 if bias else n**0.25,
        "classifier_to_mean": math.sqrt(n),
        "bias": 1.0 / C if bias else 0.0,
        "nc1": 0.0,
        "etf_distance": 0.0,
        "self_duality": 0.0 if bias else self_duality,
        "ncc_mismatch": 0.0,
        "loss": 0.0,
    }


MAX_INIT_SCALE = 1e100
"""Largest ``init_scale`` of :func:`train_ufm`; far beyond it the squared scale overflows."""

MAX_DESCENT_STEPS = 1_000_000
"""Step budget of :func:`train_ufm` with ``method="descent"`` (the chapter's runs take a few hundred)."""


def _ufm_time(t_max, s: float, sigma: float) -> float:
    """``t_max``, or by default three half-rise times of Eq. 12, ``1.5 ln(s / sigma^2) / s`` (at least ``ln 2``)."""
    if t_max is not None:
        return check.positive_scalar("t_max", t_max)
    with np.errstate(over="ignore", divide="ignore"):
        ratio = s / np.float64(sigma) ** 2
    if np.isfinite(ratio) and ratio > 0:
        return 1.5 * np.log(max(ratio, 2.0)) / s
    # sigma^2 underflows or overflows: the same formula in log space
    return 1.5 * max(np.log(s) - 2.0 * np.log(sigma), np.log(2.0)) / s


def _descent_record_every(t_max: float, lr: float, n_times: int) -> int:
    """Steps between records so that ``n_times`` records span ``t_max``; refuses more than the step budget."""
    steps_per_record = max(1.0, np.ceil(t_max / lr / (n_times - 1)))
    if steps_per_record * (n_times - 1) > MAX_DESCENT_STEPS:
        raise ValueError(
            f"t_max={t_max:.3g} at lr={lr:.3g} needs about {steps_per_record * (n_times - 1):.3g} descent steps, "
            f"beyond the budget of {MAX_DESCENT_STEPS}; shorten t_max or raise lr"
        )
    return int(steps_per_record)


def _check_ufm_memory(C: int, n: int, D: int, n_times: int) -> None:
    """Refuse, before allocating, a run of :func:`train_ufm` whose arrays cannot fit, naming the size to blame.

    The arrays are ``sigma_xx`` and the targets (``N x N`` and ``N x C``, ``N = C n``), one snapshot of
    ``H`` and ``W`` (``(N + C) x D``), and ``n_times`` records of ``H``, ``W`` and the outputs.
    """
    N = float(C) * n
    check.fits_in_memory("n_classes x n_per_class", N * N + N * C)
    check.fits_in_memory("feature_dim", (N + C) * D)
    per_record = (N + C) * D + N * C
    check.fits_in_memory("n_times", n_times * per_record)
    check.fits_in_memory("n_times (with n_classes, n_per_class and feature_dim)", N * N + n_times * per_record)


def train_ufm(
    n_classes: int,
    n_per_class: int,
    feature_dim: int,
    *,
    init_scale: float = 1e-3,
    bias: bool = False,
    t_max: float | None = None,
    n_times: int = 101,
    method: str = "flow",
    lr: float | None = None,
    seed: int = 0,
    max_evaluations: int = MAX_EVALUATIONS,
) -> Trajectory:
    """Train the unconstrained feature model on one-hot targets from a small random start.

    ``C`` classes of ``n`` samples each (labels in blocks, ``0 .. 0, 1 .. 1, ...``); ``H`` and ``W`` start
    with independent ``N(0, init_scale^2)`` entries and ``b`` at 0; the loss is
    ``1/2 ||H W^T + 1 b^T - Y||_F^2`` (see :class:`UnconstrainedFeatures`). The one-hot targets have ``C``
    equal singular values ``sqrt(n)``, so all modes rise together on the sigmoid of Eq. 12 with
    ``s = sqrt(n)``; :func:`ufm_limit` derives where they end.

    Parameters
    ----------
    n_classes, n_per_class, feature_dim : int
        ``C >= 2``, ``n >= 1`` and ``D >= C`` (the features must be able to fit ``C`` classes).
    init_scale : float
        Standard deviation ``sigma`` of the initial entries; small means balanced and greedy.
    bias : bool
        Train a classifier bias as well.
    t_max : float, optional
        Training time (gradient-flow time). Default: three times the half-rise time of Eq. 12 for
        ``S = sqrt(n)`` from ``theta0 = sigma^2``, i.e. ``1.5 ln(sqrt(n)/sigma^2) / sqrt(n)``: well into
        the converged phase.
    n_times : int
        Number of recorded times (at least 2).
    method : {"flow", "descent"}
        :func:`labhelpers.core.gradient_flow` (accurate) or explicit gradient descent
        (:func:`labhelpers.core.gradient_descent`) with step ``lr``.
    lr : float, optional
        Step of gradient descent; default a tenth of the stability limit at convergence,
        ``0.2 / (2 sqrt(n) + N)`` with bias and ``0.2 / (2 sqrt(n))`` without.
    seed : int
        Seed of the initial features and classifier.
    max_evaluations : int
        Cost budget of ``method="flow"`` (:func:`labhelpers.core.gradient_flow`); ``method="descent"``
        runs at most ``MAX_DESCENT_STEPS`` steps. A longer run is refused up front, or when the budget is spent.

    Returns
    -------
    Trajectory
        ``params["H"]`` (T, N, D), ``params["W"]`` (T, C, D), and ``params["b"]`` (T, C) with bias;
        ``end_to_end`` are the outputs (T, N, C) and ``loss`` (T,). ``info["labels"]`` holds the labels,
        so ``collapse_metrics(tr.params["H"], tr.info["labels"], tr.params["W"])`` gives the metrics
        over training in one call.
    """
    C = check.positive_int("n_classes", n_classes, minimum=2)
    n = check.positive_int("n_per_class", n_per_class)
    D = check.positive_int("feature_dim", feature_dim)
    if D < C:
        raise ValueError(
            f"feature_dim must be >= n_classes = {C} for the features to fit one-hot targets (Eq. 13); got {D}"
        )
    sigma = check.positive_scalar("init_scale", init_scale)
    if sigma > MAX_INIT_SCALE:
        raise ValueError(f"init_scale must be at most {MAX_INIT_SCALE:.0e} (its square must stay finite); got {sigma}")
    method = check.one_of("method", method, ("flow", "descent"))
    n_times = check.positive_int("n_times", n_times, minimum=2)
    default_time = t_max is None
    seed = check.seed("seed", seed)
    model = UnconstrainedFeatures(C * n, D, C, bias=bias)
    _check_ufm_memory(C, n, D, n_times)
    s = np.sqrt(n)
    t_max = _ufm_time(t_max, s, sigma)
    if np.any(np.diff(np.linspace(0.0, t_max, n_times)) <= 0):
        raise ValueError(f"t_max is too small to hold n_times = {n_times} distinct recorded times; got {t_max:.3g}")
    labels = np.repeat(np.arange(C), n)
    moments: Moments = whitened_moments(one_hot(labels, C))
    rng = check.rng("seed", seed)
    params0 = {"H": sigma * rng.standard_normal((C * n, D)), "W": sigma * rng.standard_normal((C, D))}
    if model.bias:
        params0["b"] = np.zeros(C)

    if lr is not None:
        lr = check.positive_scalar("lr", lr)
        if method == "flow":
            raise ValueError(
                f"lr is for method='descent' (gradient flow has no step); got lr={lr:.3g} with method='flow'"
            )
    try:
        if method == "flow":
            trajectory = gradient_flow(
                model, params0, moments, t_max=t_max, n_times=n_times, max_evaluations=max_evaluations
            )
        else:
            if lr is None:
                lr = 0.2 / (2.0 * s + (C * n if model.bias else 0.0))
            lr = check.positive_scalar("lr", lr)
            record_every = _descent_record_every(t_max, lr, n_times)
            trajectory = gradient_descent(
                model, params0, lr=lr, steps=record_every * (n_times - 1), moments=moments, record_every=record_every
            )
            guard = DivergenceGuard("gradient descent on the unconstrained feature model", lr=lr, init_scale=sigma)
            for step, loss in zip(trajectory.info["recorded_steps"], trajectory.loss):
                guard.check(step, loss)
    except DivergenceError:
        raise
    except ValueError as error:
        blame_start = "params0" in str(error) or "overflow" in str(error)
        if method == "descent" or not (blame_start or (default_time and "max_evaluations" in str(error))):
            raise
        raise ValueError(
            f"train_ufm could not run from init_scale={sigma:.3g}: {error}. Choose a smaller init_scale "
            "(the model's rates grow with its square)"
        ) from error
    trajectory.info.update(
        {
            "labels": labels,
            "n_classes": C,
            "n_per_class": n,
            "feature_dim": D,
            "init_scale": sigma,
            "bias": model.bias,
            "seed": seed,
            "loss": "1/2 ||H W^T + 1 b^T - Y||_F^2, summed over samples (whitened one-hot inputs)",
        }
    )
    return trajectory


# ============================================================================ neural collapse metrics


def simplex_etf(n_classes: int, dim: int, *, scale: float = 1.0, seed: int = 0) -> np.ndarray:
    """A simplex equiangular tight frame: ``C`` vectors in ``R^D`` with equal norms and cosines ``-1/(C-1)``.

    Rows ``m_c = scale sqrt(C/(C-1)) R e_c'`` where the ``e_c'`` are the standard basis vectors of ``R^C``
    projected off the all-ones direction and ``R`` maps that ``(C-1)``-dimensional space isometrically into
    ``R^D`` along random directions. So ``M M^T = scale^2 C/(C-1) (I - 1 1^T / C)``: unit rows (times
    ``scale``), zero sum, the geometry class means reach under neural collapse (NC2).

    Parameters
    ----------
    n_classes : int
        ``C >= 2``.
    dim : int
        ``D >= C - 1``.
    scale : float
        Norm of each vector.
    seed : int
        Seed of the random embedding.

    Returns
    -------
    numpy.ndarray
        Shape (C, D).
    """
    C = check.positive_int("n_classes", n_classes, minimum=2)
    D = check.positive_int("dim", dim)
    if D < C - 1:
        raise ValueError(f"dim must be >= n_classes - 1 = {C - 1} to hold a simplex ETF of {C} vectors; got {D}")
    scale = check.positive_scalar("scale", scale)
    check.fits_in_memory("n_classes x dim", float(C) * (C + D))
    centring = np.eye(C) - 1.0 / C
    _, vectors = np.linalg.eigh(centring)
    basis = vectors[:, 1:]  # eigenvalue 0 first (the all-ones direction), then C-1 eigenvalues 1
    embedding = _orthonormal_columns(check.rng("seed", seed), D, C - 1)
    with np.errstate(over="ignore", invalid="ignore"):
        etf = scale * np.sqrt(C / (C - 1.0)) * basis @ embedding.T
        if not np.all(np.isfinite(etf)):  # scale near the largest float: the unit frame first, then the scale
            etf = scale * (np.sqrt(C / (C - 1.0)) * basis @ embedding.T)
    if not np.all(np.isfinite(etf)):
        raise ValueError(f"scale is too large: the frame's entries overflow; got {scale}")
    return etf


def _labels(labels, n_samples: int | None, n_classes) -> tuple[np.ndarray, int, np.ndarray]:
    """Integer labels ``0..C-1`` with every class present; returns ``(labels, C, counts)``."""
    array = np.asarray(labels)
    if array.ndim != 1:
        raise ValueError(f"labels must be 1-D (one class per sample); got shape {array.shape}")
    if array.size == 0:
        raise ValueError("labels must have at least one sample; got an empty array")
    if array.dtype.kind in "iu":
        y = array.astype(np.int64)
    elif (
        array.dtype.kind == "f"
        and np.all(np.isfinite(array))
        and np.all(array == np.round(array))
        and np.all(np.abs(array) < 2.0**53)
    ):
        y = array.astype(np.int64)
    else:
        raise ValueError(f"labels must be integers 0..C-1; got dtype {array.dtype} ({check._describe(array)})")
    if n_samples is not None and y.size != n_samples:
        raise ValueError(f"labels must have one entry per sample (features has {n_samples}); got {y.size}")
    if y.min() < 0:
        raise ValueError(f"labels must be integers >= 0; got minimum {y.min()}")
    C = int(y.max()) + 1 if n_classes is None else check.positive_int("n_classes", n_classes)
    if y.max() >= C:
        raise ValueError(f"labels must lie in 0..n_classes-1 = 0..{C - 1}; got maximum {y.max()}")
    if C < 2:
        raise ValueError(f"neural collapse needs at least 2 classes; labels give C = {C}")
    if C > y.size:
        raise ValueError(f"n_classes must be at most the number of samples ({y.size}), one per class; got {C}")
    counts = np.bincount(y, minlength=C)
    empty = np.flatnonzero(counts == 0)
    if empty.size:
        raise ValueError(
            f"labels: class {empty[0]} has no samples (counts per class {counts.tolist()[:12]}); "
            f"every class 0..{C - 1} needs at least one"
        )
    return y, C, counts


def _features(features, name: str = "features") -> np.ndarray:
    H = check.as_array(name, features)
    if H.ndim < 2 or 0 in H.shape[-2:]:
        raise ValueError(f"{name} must have shape (..., N, D) with N, D >= 1; got shape {H.shape}")
    return H


def _classifier(classifier, bias, n_classes: int, dim: int) -> tuple[np.ndarray, np.ndarray | None]:
    W = check.as_array("classifier", classifier)
    if W.ndim < 2 or W.shape[-2:] != (n_classes, dim):
        raise ValueError(
            f"classifier must have shape (..., C, D) = (..., {n_classes}, {dim}), one row per class; got {W.shape}"
        )
    if bias is None:
        return W, None
    b = check.as_array("bias", bias)
    if b.ndim < 1 or b.shape[-1] != n_classes:
        raise ValueError(f"bias must have shape (..., C) = (..., {n_classes}); got {b.shape}")
    return W, b


@dataclass(frozen=True)
class _Geometry:
    """Class means and residuals of one batch of features, computed once for all metrics."""

    features: np.ndarray  # (..., N, D)
    labels: np.ndarray  # (N,)
    n_classes: int
    means: np.ndarray  # (..., C, D)
    centred: np.ndarray  # (..., C, D): M, rows mu_c - mu_G
    norms: np.ndarray  # (..., C)
    exponent: int = 0  # features = 2^-exponent (the features given), see _rescaled


def _rescaled(array: np.ndarray) -> tuple[np.ndarray, int]:
    """``(array 2^-e, e)``, exact, when the largest entry lies outside the safe range (``labhelpers.core.floats``).
    NC1-NC3 and the effective rank do not depend on the scale, so very large or subnormal inputs give the
    values of moderate ones instead of overflowing squares (or squares that underflow to zero)."""
    return _floats.rescaled(array)


def _means(H: np.ndarray, y: np.ndarray, C: int, counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    indicator = np.zeros((C, y.size))
    indicator[y, np.arange(y.size)] = 1.0
    with np.errstate(over="ignore", invalid="ignore"):
        means, global_mean = (indicator @ H) / counts[:, None], H.mean(axis=-2)
    if np.all(np.isfinite(means)) and np.all(np.isfinite(global_mean)):
        return means, global_mean
    # Features near the float limit: their sums overflow although every mean is finite. Average at a
    # scale smaller by an exact power of two (2**-16 per factor of N), then scale back exactly.
    shift = 16 + int(np.ceil(np.log2(max(y.size, 2))))
    scaled = np.ldexp(H, -shift)
    return np.ldexp((indicator @ scaled) / counts[:, None], shift), np.ldexp(scaled.mean(axis=-2), shift)


def _classifier_rows(classifier, n_classes, dim: int) -> int | None:
    """``C`` from the classifier's rows (checked against ``n_classes`` and the feature dimension), else
    ``n_classes``; so that a classifier of the wrong shape is blamed, not the labels."""
    if classifier is None:
        return n_classes
    W = check.as_array("classifier", classifier)
    if W.ndim < 2 or W.shape[-1] != dim or W.shape[-2] < 2:
        raise ValueError(
            f"classifier must have shape (..., C, D) with C >= 2 rows (one per class) and D = {dim} columns "
            f"like the features; got shape {W.shape}"
        )
    rows = W.shape[-2]
    if n_classes is not None and n_classes != rows:
        raise ValueError(
            f"classifier must have shape (..., C, D) with one row per class; got {rows} rows for n_classes = {n_classes}"
        )
    return rows


def _geometry(features, labels, n_classes, classifier=None) -> _Geometry:
    H, exponent = _rescaled(_features(features))
    if n_classes is not None:
        n_classes = check.positive_int("n_classes", n_classes, minimum=2)
    if classifier is not None and n_classes is None:
        _labels(labels, H.shape[-2], None)  # blame the labels for what is wrong with them alone
        n_classes = _classifier_rows(classifier, None, H.shape[-1])
        try:
            y, C, counts = _labels(labels, H.shape[-2], n_classes)
        except ValueError as error:
            raise ValueError(
                f"{error} (C = {n_classes} is the number of rows of classifier; check its shape)"
            ) from error
    else:
        n_classes = _classifier_rows(classifier, n_classes, H.shape[-1])
        y, C, counts = _labels(labels, H.shape[-2], n_classes)
    means, global_mean = _means(H, y, C, counts)
    centred = means - global_mean[..., None, :]
    norms = np.linalg.norm(centred, axis=-1)
    if np.any(norms == 0):
        raise ValueError(
            "features: a class mean coincides with the global mean (between-class spread zero), so the angles "
            "and NC1 are undefined; check that the features differ between classes"
        )
    return _Geometry(H, y, C, means, centred, norms, exponent)


def class_means(features, labels, *, n_classes: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Class means ``mu_c`` (App. F, Eq. 62) and global mean ``mu_G`` (Eq. 63) of features.

    ``mu_G`` is the mean over all samples (for balanced classes, the mean of the class means).

    Parameters
    ----------
    features : array_like, shape (..., N, D)
        Feature vectors (rows), with optional batch dimensions.
    labels : array_like, shape (N,)
        Integer classes ``0..C-1``, every class present.
    n_classes : int, optional
        ``C``; default ``max(labels) + 1``.

    Returns
    -------
    tuple of numpy.ndarray
        ``means`` (..., C, D) and ``global_mean`` (..., D).
    """
    H = _features(features)
    y, C, counts = _labels(labels, H.shape[-2], n_classes)
    return _means(H, y, C, counts)


def _nc1(g: _Geometry, rcond: float) -> np.ndarray:
    # Sigma_B = M^T M / C = V diag(s^2/C) V^T, so Tr(Sigma_W Sigma_B^+)/C = sum_k (v_k^T Sigma_W v_k) / s_k^2:
    # no D x D matrix is formed, and v_k^T Sigma_W v_k = mean_i ((h_i - mu_yi) . v_k)^2.
    _, s, Vt = np.linalg.svd(g.centred, full_matrices=False)
    residual = g.features - g.means[..., g.labels, :]
    spread = ((residual @ _swap(Vt)) ** 2).mean(axis=-2)
    keep = s**2 > rcond * s[..., :1] ** 2
    return np.where(keep, spread / np.where(keep, s**2, 1.0), 0.0).sum(axis=-1)


def _nc2(g: _Geometry) -> dict[str, np.ndarray]:
    C = g.n_classes
    gram = g.centred @ _swap(g.centred)
    cosines = gram / (g.norms[..., :, None] * g.norms[..., None, :])
    upper = np.triu_indices(C, k=1)
    pairs = cosines[..., upper[0], upper[1]]
    ideal = (np.eye(C) - 1.0 / C) / np.sqrt(C - 1.0)
    normalised = gram / np.linalg.norm(gram, axis=(-2, -1), keepdims=True)
    return {
        "equinorm": g.norms.std(axis=-1) / g.norms.mean(axis=-1),
        "angle_std": pairs.std(axis=-1),
        "angle_shift": np.abs(pairs + 1.0 / (C - 1.0)).mean(axis=-1),
        "etf_distance": np.linalg.norm(normalised - ideal, axis=(-2, -1)),
    }


def _nc3(g: _Geometry, W: np.ndarray) -> np.ndarray:
    W, _ = _rescaled(W)  # NC3 does not depend on the classifier's scale
    W_norm = np.linalg.norm(W, axis=(-2, -1), keepdims=True)
    if np.any(W_norm == 0):
        raise ValueError("classifier is zero, so its direction (NC3) is undefined")
    M = g.centred / np.linalg.norm(g.centred, axis=(-2, -1), keepdims=True)
    return np.linalg.norm(W / W_norm - M, axis=(-2, -1))


def _nc4(g: _Geometry, W: np.ndarray, b: np.ndarray | None) -> np.ndarray:
    with np.errstate(over="ignore", invalid="ignore"):
        logits = g.features @ _swap(W)
        if g.exponent:  # back to the features given, for the bias to weigh as it should
            logits = np.ldexp(logits, g.exponent)
        if b is not None:
            logits = logits + b[..., None, :]
    if not np.all(np.isfinite(logits)):
        raise ValueError(
            "classifier: the logits W h + b overflow for these features and classifier, so NC4 is undefined; "
            "rescale the features or the classifier"
        )
    # ||h - mu_c||^2 = ||h||^2 - 2 h.mu_c + ||mu_c||^2; the first term does not depend on c.
    distances = (g.means**2).sum(axis=-1)[..., None, :] - 2.0 * g.features @ _swap(g.means)
    distances, logits = np.broadcast_arrays(distances, logits)
    return (logits.argmax(axis=-1) != distances.argmin(axis=-1)).mean(axis=-1)


def _scalar(value):
    value = np.asarray(value, dtype=float)
    return float(value) if value.ndim == 0 else value


def nc1(features, labels, *, n_classes: int | None = None, rcond: float = DEFAULT_RCOND):
    """NC1, within-class variability relative to between-class spread: ``(1/C) Tr(Sigma_W Sigma_B^+)`` (Eq. 65).

    ``Sigma_W = (1/N) sum_i (h_i - mu_yi)(h_i - mu_yi)^T`` and ``Sigma_B = (1/C) sum_c (mu_c - mu_G)(mu_c - mu_G)^T``.
    The pseudo-inverse keeps the eigenvalues of ``Sigma_B`` above ``rcond`` times the largest (``Sigma_B`` has
    rank at most ``C - 1``, and only those directions count). Invariant to scaling, translating and rotating
    the features and to relabelling the classes; 0 when every feature equals its class mean.

    Parameters
    ----------
    features : array_like, shape (..., N, D)
        Feature vectors (rows), with optional batch dimensions.
    labels : array_like, shape (N,)
        Integer classes ``0..C-1``, every class present.
    n_classes : int, optional
        ``C``; default ``max(labels) + 1``.
    rcond : float
        Relative cut-off of the pseudo-inverse, in (0, 1).

    Returns
    -------
    float or numpy.ndarray
        One value per batch element.
    """
    rcond = _rcond(rcond)
    return _scalar(_nc1(_geometry(features, labels, n_classes), rcond))


def nc2(features, labels, *, n_classes: int | None = None) -> dict:
    """NC2, convergence of the centred class means ``M`` (rows ``mu_c - mu_G``) to a simplex ETF (Eq. 66).

    Four numbers, all 0 for a simplex ETF and invariant to scaling the features and relabelling:

    - ``equinorm``: coefficient of variation (std / mean) of the norms ``||mu_c - mu_G||``;
    - ``angle_std``: standard deviation of the cosines between pairs of centred means;
    - ``angle_shift``: mean of ``abs(cos + 1/(C-1))`` over pairs, the distance to the ETF angle;
    - ``etf_distance``: ``||M M^T / ||M M^T||_F - (I - 1 1^T/C) / sqrt(C-1)||_F``, both shape and size in one.

    Parameters
    ----------
    features : array_like, shape (..., N, D)
        Feature vectors (rows), with optional batch dimensions.
    labels : array_like, shape (N,)
        Integer classes ``0..C-1``, every class present.
    n_classes : int, optional
        ``C``; default ``max(labels) + 1``.

    Returns
    -------
    dict
        ``equinorm``, ``angle_std``, ``angle_shift``, ``etf_distance``: one value per batch element.
    """
    return {name: _scalar(value) for name, value in _nc2(_geometry(features, labels, n_classes)).items()}


def nc3(features, labels, classifier, *, n_classes: int | None = None):
    """NC3, self-duality: ``||W/||W||_F - M/||M||_F||_F`` (Eq. 67), ``W`` (C, D) and ``M`` the centred means.

    0 when the classifier rows are proportional to the centred class means. Invariant to scaling
    features and classifier and to relabelling (rows of ``W`` permuted with the classes).

    Parameters
    ----------
    features : array_like, shape (..., N, D)
        Feature vectors (rows), with optional batch dimensions.
    labels : array_like, shape (N,)
        Integer classes ``0..C-1``, every class present.
    classifier : array_like, shape (..., C, D)
        Last-layer weights, one row per class (the ``weight`` of ``torch.nn.Linear``).
    n_classes : int, optional
        ``C``; default the number of rows of ``classifier``.

    Returns
    -------
    float or numpy.ndarray
        One value per batch element.
    """
    g = _geometry(features, labels, n_classes, classifier)
    W, _ = _classifier(classifier, None, g.n_classes, g.features.shape[-1])
    return _scalar(_nc3(g, W))


def nc4(features, labels, classifier, bias=None, *, n_classes: int | None = None):
    """NC4, the fraction of samples where ``argmax_c (W h + b)_c`` differs from the nearest class mean (Eq. 68).

    Ties go to the lowest class index in both rules.

    Parameters
    ----------
    features : array_like, shape (..., N, D)
        Feature vectors (rows), with optional batch dimensions.
    labels : array_like, shape (N,)
        Integer classes ``0..C-1``, every class present (they define the class means).
    classifier : array_like, shape (..., C, D)
        Last-layer weights, one row per class.
    bias : array_like, shape (..., C), optional
        Last-layer bias.
    n_classes : int, optional
        ``C``; default ``max(labels) + 1``.

    Returns
    -------
    float or numpy.ndarray
        Fractions in [0, 1], one per batch element.
    """
    g = _geometry(features, labels, n_classes, classifier)
    W, b = _classifier(classifier, bias, g.n_classes, g.features.shape[-1])
    return _scalar(_nc4(g, W, b))


def _rcond(rcond) -> float:
    rcond = check.positive_scalar("rcond", rcond)
    if rcond >= 1:
        raise ValueError(f"rcond must lie in (0, 1); got {rcond}")
    return rcond


@dataclass(frozen=True)
class CollapseMetrics:
    """The neural collapse metrics of one set of features (or a batch of them), see :func:`collapse_metrics`.

    Attributes
    ----------
    nc1 : float or ndarray
        :func:`nc1`.
    equinorm, angle_std, angle_shift, etf_distance : float or ndarray
        The four parts of :func:`nc2`.
    self_duality : float or ndarray or None
        :func:`nc3`; None without a classifier.
    ncc_mismatch : float or ndarray or None
        :func:`nc4`; None without a classifier.
    """

    nc1: float | np.ndarray
    equinorm: float | np.ndarray
    angle_std: float | np.ndarray
    angle_shift: float | np.ndarray
    etf_distance: float | np.ndarray
    self_duality: float | np.ndarray | None = None
    ncc_mismatch: float | np.ndarray | None = None

    def as_dict(self) -> dict:
        """The metrics as a plain dict (arrays become lists), e.g. to save as JSON."""
        out = {}
        for item in fields(self):
            value = getattr(self, item.name)
            out[item.name] = value.tolist() if isinstance(value, np.ndarray) else value
        return out


def collapse_metrics(
    features,
    labels,
    classifier=None,
    bias=None,
    *,
    n_classes: int | None = None,
    rcond: float = DEFAULT_RCOND,
) -> CollapseMetrics:
    """All neural collapse metrics (NC1-NC4, App. F) from one computation of the class means.

    Parameters
    ----------
    features : array_like, shape (..., N, D)
        Feature vectors (rows); batch dimensions, e.g. (T, N, D) for snapshots over training, give one
        value per snapshot.
    labels : array_like, shape (N,)
        Integer classes ``0..C-1``, every class present.
    classifier : array_like, shape (..., C, D), optional
        Last-layer weights (rows per class); needed for NC3 and NC4.
    bias : array_like, shape (..., C), optional
        Last-layer bias (NC4).
    n_classes : int, optional
        ``C``; default the number of rows of ``classifier``, else ``max(labels) + 1``.
    rcond : float
        Relative cut-off of the pseudo-inverse in NC1.

    Returns
    -------
    CollapseMetrics
        ``nc1``, ``equinorm``, ``angle_std``, ``angle_shift``, ``etf_distance``, ``self_duality`` (NC3) and
        ``ncc_mismatch`` (NC4); floats, or arrays of the batch shape.
    """
    rcond = _rcond(rcond)
    if classifier is None and bias is not None:
        raise ValueError("bias was given without classifier; give both (or neither)")
    g = _geometry(features, labels, n_classes, classifier)
    values = {"nc1": _nc1(g, rcond), **_nc2(g)}
    if classifier is not None:
        W, b = _classifier(classifier, bias, g.n_classes, g.features.shape[-1])
        values["self_duality"] = _nc3(g, W)
        values["ncc_mismatch"] = _nc4(g, W, b)
    return CollapseMetrics(**{name: _scalar(value) for name, value in values.items()})


# ============================================================================ pictures of the collapse


def class_plane(features, labels, *, reference=None, n_classes: int | None = None) -> np.ndarray:
    """Centred features in the plane of the two leading directions of the centred class means, rescaled.

    The plane is spanned by the two leading right singular vectors of the centred class means ``M`` (rows
    ``mu_c - mu_G``) of ``reference`` (default: the last snapshot of ``features``), so that every snapshot of a
    training run is seen in one frame. For ``C = 3`` classes the plane holds all of ``M``, and a collapsed
    snapshot shows the simplex ETF as an equilateral triangle. Each snapshot is then divided by the root mean
    square length of its projected points, so shape, not size, is compared: a tiny random start and a
    trained network are drawn at the same scale.

    Parameters
    ----------
    features : array_like, shape (..., N, D)
        Features (rows), with optional batch dimensions such as time.
    labels : array_like, shape (N,)
        Integer classes ``0..C-1``, every class present.
    reference : array_like, shape (N, D), optional
        The features that define the plane (their class means must differ); default ``features[..., -1]``
        flattened to the last snapshot.
    n_classes : int, optional
        ``C``; default ``max(labels) + 1``.

    Returns
    -------
    numpy.ndarray
        Shape (..., N, 2): coordinates of ``h_i - mu_G`` in the plane, with unit root mean square length.
    """
    H, _ = _rescaled(_features(features))  # the output is normalised: the scale does not matter
    ref = H.reshape(-1, *H.shape[-2:])[-1] if reference is None else _features(reference, "reference")
    if ref.shape != H.shape[-2:]:
        raise ValueError(f"reference must have shape (N, D) = {H.shape[-2:]}; got {ref.shape}")
    if H.shape[-1] < 2:
        raise ValueError(f"features must have at least 2 dimensions to draw a plane; got D = {H.shape[-1]}")
    g = _geometry(ref, labels, n_classes)
    _, _, Vt = np.linalg.svd(g.centred, full_matrices=False)
    basis = Vt[:2].T  # min(C, D) >= 2 rows
    coords = (H - H.mean(axis=-2, keepdims=True)) @ basis
    size = np.sqrt((coords**2).sum(axis=-1).mean(axis=-1))[..., None, None]
    if np.any(size == 0):
        raise ValueError("features: a snapshot has all its features at the global mean; nothing to draw")
    return coords / size


def draw_feature_plane(ax, coords, labels, *, title: str | None = None, legend: bool = False) -> None:
    """Draw one snapshot of :func:`class_plane`: features as dots and class means as stars, one colour a class.

    Parameters
    ----------
    ax : matplotlib Axes
        Where to draw (it is set to equal aspect, limits ``[-2, 2]``).
    coords : array_like, shape (N, 2)
        One snapshot of :func:`class_plane`.
    labels : array_like, shape (N,)
        Integer classes ``0..C-1``.
    title : str, optional
        Axes title.
    legend : bool
        Add a legend naming the classes.
    """
    from ..plotting import PALETTE

    legend = check.flag("legend", legend)
    title = None if title is None else check.text("title", title)
    xy = check.as_array("coords", coords, ndim=2)
    if xy.shape[1] != 2:
        raise ValueError(f"coords must have shape (N, 2), one point per sample; got {xy.shape}")
    y, C, counts = _labels(labels, xy.shape[0], None)
    means, _ = _means(xy, y, C, counts)
    for c in range(C):
        color = PALETTE[c % len(PALETTE)]
        ax.scatter(*xy[y == c].T, s=14, color=color, alpha=0.55, lw=0, label=f"class {c}")
        ax.scatter(*means[c], s=160, marker="*", color=color, edgecolor="k", lw=0.8, zorder=3)
    ax.set_xlim(-2.0, 2.0)
    ax.set_ylim(-2.0, 2.0)
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.grid(False)
    for spine in ax.spines.values():
        spine.set_visible(True)
        spine.set_color("0.7")
    if title is not None:
        ax.set_title(title)
    if legend:
        ax.legend(loc="lower right", fontsize=8, markerscale=1.2)


def _ufm_run(trajectory) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(times, H, labels)`` of a :func:`train_ufm` run, refusing a record that is broken or edited:
    non-finite or decreasing times, or arrays whose lengths do not match."""
    if not isinstance(trajectory, Trajectory) or "H" not in trajectory.params or "labels" not in trajectory.info:
        raise ValueError(f"trajectory must be a train_ufm run (a Trajectory with H and labels); got {trajectory!r}")
    times = check.as_array("trajectory.times", trajectory.times, ndim=1)
    H = check.as_array("trajectory.params['H']", trajectory.params["H"], ndim=3)
    if times.size == 0 or np.any(np.diff(times) < 0) or times[0] < 0:
        raise ValueError(f"trajectory.times must be non-negative and non-decreasing; got {check._describe(times)}")
    if H.shape[0] != times.size:
        raise ValueError(
            f"trajectory is inconsistent: {times.size} times but {H.shape[0]} snapshots of params['H']; "
            "pass the Trajectory that train_ufm returned"
        )
    try:
        labels, _, _ = _labels(trajectory.info["labels"], H.shape[1], None)
    except ValueError as error:
        raise ValueError(f"trajectory.info['labels'] do not fit the run: {error}") from error
    return times, H, labels


def plot_feature_snapshots(trajectory: Trajectory, times, *, axes=None) -> np.ndarray:
    """Snapshots of an unconstrained-feature-model run (:func:`train_ufm`) in the plane of :func:`class_plane`.

    Parameters
    ----------
    trajectory : Trajectory
        A :func:`train_ufm` run (its ``params["H"]`` and ``info["labels"]``).
    times : array_like, shape (K,)
        Times to show; each is drawn at the nearest recorded time.
    axes : sequence of K matplotlib Axes, optional
        Where to draw (a new 1 x K figure by default).

    Returns
    -------
    numpy.ndarray of matplotlib Axes
    """
    import matplotlib.pyplot as plt

    recorded, H, labels = _ufm_run(trajectory)
    wanted = check.positive("times", check.as_array("times", times, ndim=1), allow_zero=True)
    if wanted.size == 0:
        raise ValueError("times must list at least one time; got an empty array")
    index = np.abs(recorded[:, None] - wanted[None, :]).argmin(axis=0)
    coords = class_plane(H[index], labels, reference=H[-1])
    nc = nc1(H[index], labels)
    if axes is None:
        _, axes = plt.subplots(1, wanted.size, figsize=(2.3 * wanted.size, 2.6), layout="constrained")
    axes = np.atleast_1d(np.asarray(axes, dtype=object)).ravel()
    if axes.size != wanted.size:
        raise ValueError(f"axes must hold one Axes per time ({wanted.size}); got {axes.size}")
    for k, ax in enumerate(axes):
        title = f"t = {recorded[index[k]]:.3g}\nNC1 = {np.atleast_1d(nc)[k]:.1e}"
        draw_feature_plane(ax, coords[k], labels, title=title)
    return axes
