"""Data for the layerwise linear models: Gaussian inputs, teachers, second moments, whitening.

The setup of the paper (Sec. 2): inputs ``x`` in R^d with independent zero-mean Gaussian
coordinates of chosen variances E[x_i^2], and a linear teacher ``f*(x) = S^T x`` (Eq. 1).
Gradient flow on the population loss (Eq. 2) only needs the second moments of (x, y),
collected in :class:`Moments`.

Book: chapter 1 (the setup of the teacher and its moments), used by every chapter.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import validation as check


@dataclass(frozen=True)
class Moments:
    """Second moments of inputs ``x`` (d) and targets ``y`` (c) that define the population loss.

    ``sigma_xx = E[x x^T]`` (d x d), ``sigma_xy = E[x y^T]`` (d x c), ``sigma_yy = E[y y^T]`` (c x c).
    With these, Eq. 2 reads ``L(P) = 1/2 tr(sigma_yy - 2 P^T sigma_xy + P^T sigma_xx P)`` for an
    end-to-end linear map ``P`` (d x c).
    """

    sigma_xx: np.ndarray
    sigma_xy: np.ndarray
    sigma_yy: np.ndarray

    def __post_init__(self) -> None:
        sxx = check.as_array("sigma_xx", self.sigma_xx, ndim=2)
        sxy = check.as_array("sigma_xy", self.sigma_xy, ndim=2)
        syy = check.as_array("sigma_yy", self.sigma_yy, ndim=2)
        d, c = sxy.shape
        if d == 0 or c == 0:
            raise ValueError(f"sigma_xy must have at least one row and one column; got shape {sxy.shape}")
        if sxx.shape != (d, d):
            raise ValueError(f"sigma_xx must have shape {(d, d)} to match sigma_xy {sxy.shape}; got {sxx.shape}")
        if syy.shape != (c, c):
            raise ValueError(f"sigma_yy must have shape {(c, c)} to match sigma_xy {sxy.shape}; got {syy.shape}")
        for name, matrix in (("sigma_xx", sxx), ("sigma_yy", syy)):
            _check_second_moment(name, matrix)
        _check_joint(sxx, sxy, syy)
        object.__setattr__(self, "sigma_xx", sxx)
        object.__setattr__(self, "sigma_xy", sxy)
        object.__setattr__(self, "sigma_yy", syy)

    @property
    def input_dim(self) -> int:
        return self.sigma_xy.shape[0]

    @property
    def output_dim(self) -> int:
        return self.sigma_xy.shape[1]

    def loss(self, end_to_end: np.ndarray) -> np.ndarray:
        """Population loss (Eq. 2) of end-to-end maps of shape (..., d, c) or (..., d) for c = 1.

        Paper: Eq. 2.
        """
        P = check.as_array("end_to_end", end_to_end)
        if P.ndim == 0:
            raise ValueError(
                f"end_to_end must be an array ending in shape {self.sigma_xy.shape}; got {check._describe(P)}"
            )
        if (
            P.shape[-1] == self.input_dim
            and self.output_dim == 1
            and (P.ndim == 1 or P.shape[-2:] != (self.input_dim, 1))
        ):
            P = P[..., None]
        if P.shape[-2:] != self.sigma_xy.shape:
            raise ValueError(f"end_to_end must end in shape {self.sigma_xy.shape}; got {P.shape}")
        with np.errstate(over="ignore", invalid="ignore"):
            loss = _population_loss(self, P)
        return _finite("end_to_end", loss, "the population loss (Eq. 2) of end_to_end")


def _population_loss(moments: Moments, P):
    """Eq. 2 for end-to-end maps ``P`` of shape (..., d, c), unchecked (may overflow to inf)."""
    cross = np.einsum("...dc,dc->...", P, moments.sigma_xy)
    quad = np.einsum("...dc,de,...ec->...", P, moments.sigma_xx, P)
    return 0.5 * (np.trace(moments.sigma_yy) - 2 * cross + quad)


def _validated(name: str, moments) -> Moments:
    """``moments`` after checking it is a :class:`Moments` whose arrays still pass its checks.

    A Moments is checked when it is built; an in-place edit afterwards (``moments.sigma_xx[0, 0] = -1``) is
    caught here, at the entry of the simulators, with an error naming the argument.
    """
    if not isinstance(moments, Moments):
        raise ValueError(f"{name} must be a labhelpers.core.data.Moments; got {type(moments).__name__}")
    try:
        Moments(moments.sigma_xx, moments.sigma_xy, moments.sigma_yy)
    except ValueError as error:
        raise ValueError(f"{name} is no longer valid (edited after it was built?): {error}") from None
    return moments


def teacher_moments(variances, target_scales) -> Moments:
    """Moments of the paper's setup: independent inputs with ``E[x_i^2] = variances[i]`` and Eq. 1.

    Paper: Eq. 1.

    Parameters
    ----------
    variances : array_like, shape (d,)
        Input variances E[x_i^2], strictly positive.
    target_scales : array_like, shape (d,) or (d, c)
        Teacher weights S (Eq. 1): ``y = S^T x``.
    """
    var = check.positive("variances", variances)
    if var.ndim != 1:
        raise ValueError(f"variances must be 1-D; got shape {var.shape}")
    S = check.as_array("target_scales", target_scales, ndim=(1, 2))
    if S.ndim == 1:
        S = S[:, None]
    if S.shape[0] != var.shape[0]:
        raise ValueError(f"target_scales must have {var.shape[0]} rows (one per input variance); got shape {S.shape}")
    check.fits_in_memory("variances", 2.0 * var.size**2 + 2.0 * S.size + S.shape[1] ** 2)
    sigma_xx = np.diag(var)
    with np.errstate(over="ignore", invalid="ignore"):
        sigma_xy = sigma_xx @ S
        sigma_yy = S.T @ sigma_xx @ S
    _finite("target_scales", sigma_yy, "E[y y^T] = S^T diag(variances) S")
    return Moments(sigma_xx, sigma_xy, sigma_yy)


def random_moments(input_dim: int, output_dim: int = 1, *, seed: int = 0) -> Moments:
    """Random second moments with correlated inputs, to test flows beyond the diagonal teacher setup.

    ``sigma_xx = A A^T / d + I`` and ``sigma_xy = B`` with standard normal ``A`` (d x d) and ``B``
    (d x c), and ``sigma_yy = B^T B + I``. Because ``sigma_xx >= I``, the Schur complement
    ``sigma_yy - sigma_xy^T sigma_xx^{-1} sigma_xy >= I``: the joint second-moment matrix of ``(x, y)`` is
    positive definite, so these are the moments of a real distribution (targets not fully
    explained by a linear map of the inputs).

    Parameters
    ----------
    input_dim, output_dim : int
        Sizes ``d`` and ``c``.
    seed : int
        Seed of the random generator.

    Returns
    -------
    Moments
    """
    d = check.positive_int("input_dim", input_dim)
    c = check.positive_int("output_dim", output_dim)
    rng = check.rng("seed", seed)
    check.fits_in_memory("input_dim and output_dim", 4.0 * d * d + 2.0 * d * c + c * c)
    A, B = rng.standard_normal((d, d)), rng.standard_normal((d, c))
    sigma_xx = A @ A.T / d + np.eye(d)
    return Moments((sigma_xx + sigma_xx.T) / 2, B, B.T @ B + np.eye(c))


def whitened_moments(sigma_xy) -> Moments:
    """Moments for whitened inputs (``sigma_xx = I``) and a given input-output correlation."""
    sxy = check.as_array("sigma_xy", sigma_xy, ndim=2)
    d, c = sxy.shape
    check.fits_in_memory("sigma_xy", 2.0 * d * d + 3.0 * c * c)
    with np.errstate(over="ignore", invalid="ignore"):
        sigma_yy = sxy.T @ sxy
    return Moments(np.eye(d), sxy, _finite("sigma_xy", sigma_yy, "sigma_yy = sigma_xy^T sigma_xy"))


def gaussian_features(n_samples: int, variances, *, seed: int = 0) -> np.ndarray:
    """Draw ``n_samples`` inputs with independent N(0, variances[i]) coordinates, shape (n, d)."""
    n = check.positive_int("n_samples", n_samples)
    var = check.positive("variances", variances)
    if var.ndim != 1:
        raise ValueError(f"variances must be 1-D; got shape {var.shape}")
    rng = check.rng("seed", seed)
    check.fits_in_memory("n_samples x len(variances)", 2.0 * n * var.shape[0])
    return rng.standard_normal((n, var.shape[0])) * np.sqrt(var)


def teacher_targets(X, target_scales, *, noise: float = 0.0, seed: int = 0) -> np.ndarray:
    """Targets of the linear teacher (Eq. 1), ``Y = X S`` plus optional Gaussian label noise.

    Returns shape (n,) for a vector ``target_scales`` and (n, c) for a (d, c) matrix.
    """
    X = check.as_array("X", X, ndim=2)
    S = check.as_array("target_scales", target_scales, ndim=(1, 2))
    if S.shape[0] != X.shape[1]:
        raise ValueError(f"target_scales must have {X.shape[1]} rows to match X {X.shape}; got shape {S.shape}")
    noise = check.positive_scalar("noise", noise, allow_zero=True)
    rng = check.rng("seed", seed)
    check.fits_in_memory("target_scales", 2.0 * X.shape[0] * (S.shape[1] if S.ndim == 2 else 1))
    with np.errstate(over="ignore", invalid="ignore"):
        Y = X @ S
        if noise > 0:
            Y = Y + noise * rng.standard_normal(Y.shape)
    return _finite("X, target_scales or noise", Y, "the targets X @ target_scales (+ noise)")


def empirical_moments(X, Y) -> Moments:
    """Sample second moments of data ``X`` (n, d) and targets ``Y`` (n,) or (n, c)."""
    X, Y = check.samples(X, Y)
    n, d = X.shape
    check.fits_in_memory("X", 2.0 * (d + Y.shape[1]) ** 2)
    with np.errstate(over="ignore", invalid="ignore"):
        moments = X.T @ X / n, X.T @ Y / n, Y.T @ Y / n
    for name, value in zip(("X", "X and Y", "Y"), moments):
        _finite(name, value, "the sample second moments")
    return Moments(*moments)


def whiten(X, *, eps: float = 1e-10) -> tuple[np.ndarray, np.ndarray]:
    """Whiten centred data so that its sample covariance is the identity (ZCA).

    Returns ``(X_white, W)`` with ``X_white = (X - mean) @ W`` and ``X_white^T X_white / n = I``.
    Directions with variance below ``eps`` times the largest variance raise an error: they cannot be
    whitened. The test is relative, so the scale of ``X`` (1e-100 or 1e100) does not matter.
    """
    X = check.as_array("X", X, ndim=2)
    eps = check.positive_scalar("eps", eps)
    n, d = X.shape
    if n < 2:
        raise ValueError(f"X needs at least 2 samples to whiten; got {n}")
    if d >= n:  # centring leaves rank <= n - 1: checked before the O(d^3) eigendecomposition
        raise ValueError(
            f"X has a direction of variance 0 < eps={eps}: the covariance is singular (more features ({d}) "
            f"than samples minus one ({n - 1})); it cannot be whitened"
        )
    check.fits_in_memory("X", 4.0 * d * d + n * d)
    with np.errstate(over="ignore", invalid="ignore"):
        Xc = X - X.mean(axis=0)
        cov = _finite("X", Xc.T @ Xc / n, "the sample covariance")
    eigval, eigvec = np.linalg.eigh(cov)
    # Relative to the largest variance, so that data at any scale can be whitened (and a normal float floor).
    floor = max(eps * eigval.max(), np.finfo(float).tiny)
    if eigval.min() < floor:
        raise ValueError(
            f"X has a direction of variance {eigval.min():.3g} < eps={eps} x the largest variance "
            f"({eigval.max():.3g}): the covariance is singular (more features than samples, or duplicated "
            "features); it cannot be whitened"
        )
    W = eigvec @ np.diag(eigval**-0.5) @ eigvec.T
    return Xc @ W, W


PSD_RTOL = 1e-8
"""Tolerance of the positive semi-definite checks, per dimension, on matrices scaled to a unit diagonal.

Rounding in ``X^T X / n`` or ``S^T diag(var) S`` leaves eigenvalues of order ``1e-16`` (in these units)
below zero; real impossibilities (a correlation above 1) are of order one.
"""


def _finite(name: str, value: np.ndarray, what: str) -> np.ndarray:
    """``value`` if it is finite, else an error blaming the argument ``name`` for the overflow."""
    if not np.all(np.isfinite(value)):
        raise ValueError(f"{what} overflows the float range (|value| > 1.8e308): {name} is too large; rescale it")
    return value


def _is_diagonal(matrix: np.ndarray) -> bool:
    return np.count_nonzero(matrix) == np.count_nonzero(np.diagonal(matrix))


def _unit_scales(diagonal: np.ndarray) -> np.ndarray:
    """Square roots of a non-negative diagonal, with 1 where it is zero: divide by them to get correlations."""
    return np.sqrt(np.where(diagonal > 0, diagonal, 1.0))


def _positive_semidefinite(matrix: np.ndarray, tol: float) -> bool:
    """Whether the symmetric ``matrix`` has no eigenvalue below ``-tol`` (one Cholesky factorisation)."""
    try:
        np.linalg.cholesky(matrix + tol * np.eye(matrix.shape[0]))
    except np.linalg.LinAlgError:
        return False
    return True


def _extreme_eigenvalues(matrix: np.ndarray) -> tuple[float, float]:
    """Smallest and largest eigenvalue, computed on the matrix divided by its largest entry (no overflow)."""
    size = float(np.max(np.abs(matrix)))
    eigenvalues = np.linalg.eigvalsh(matrix / size) * size
    return float(eigenvalues[0]), float(eigenvalues[-1])


def _check_second_moment(name: str, matrix: np.ndarray) -> None:
    """A second moment ``E[v v^T]``: symmetric, non-negative diagonal, positive semi-definite (Sec. 2)."""
    diagonal = _is_diagonal(matrix)
    if not diagonal:
        size = float(np.max(np.abs(matrix)))
        if not np.allclose(matrix / size, matrix.T / size):  # relative to the largest entry, whatever the scale
            raise ValueError(f"{name} must be symmetric (a second moment E[v v^T]); got {check._describe(matrix)}")
    if np.any(np.diag(matrix) < 0):
        raise ValueError(f"{name} must have a non-negative diagonal (mean squares); got {np.diag(matrix)}")
    if diagonal:
        return
    scales = _unit_scales(np.diag(matrix))
    unit = matrix / scales[:, None] / scales[None, :]
    if not _positive_semidefinite((unit + unit.T) / 2, PSD_RTOL * matrix.shape[0]):
        smallest, largest = _extreme_eigenvalues((matrix + matrix.T) / 2)
        raise ValueError(
            f"{name} must be positive semi-definite (a second moment E[v v^T]); its smallest eigenvalue is "
            f"{smallest:.3g} (largest {largest:.3g}), got {check._describe(matrix)}"
        )


def _check_joint(sxx: np.ndarray, sxy: np.ndarray, syy: np.ndarray) -> None:
    """The joint second moment ``[[sigma_xx, sigma_xy], [sigma_xy^T, sigma_yy]]`` of ``(x, y)`` must be PSD.

    Otherwise ``sigma_xy`` breaks Cauchy-Schwarz (a correlation above one): no distribution has these moments.
    Checked on correlations (unit diagonal) so that inputs and targets of very different scales are fair.
    """
    with np.errstate(over="ignore", invalid="ignore"):  # an overflow here is a correlation far above one
        joint_ok = _joint_is_psd(sxx, sxy, syy)
        worst = np.max(np.abs(sxy / _unit_scales(np.diag(sxx))[:, None] / _unit_scales(np.diag(syy))[None, :]))
    if not joint_ok:
        raise ValueError(
            "sigma_xy is impossible with sigma_xx and sigma_yy: the joint second moment "
            "[[sigma_xx, sigma_xy], [sigma_xy^T, sigma_yy]] is not positive semi-definite (Cauchy-Schwarz: "
            "|E[x_i y_j]| <= sqrt(E[x_i^2] E[y_j^2]); Schur complement sigma_yy - sigma_xy^T sigma_xx^+ sigma_xy "
            f">= 0); largest |correlation| {worst:.3g}, got sigma_xy {check._describe(sxy)}"
        )


def _joint_is_psd(sxx: np.ndarray, sxy: np.ndarray, syy: np.ndarray) -> bool:
    sx, sy = _unit_scales(np.diag(sxx)), _unit_scales(np.diag(syy))
    cxy = sxy / sx[:, None] / sy[None, :]
    cyy = syy / sy[:, None] / sy[None, :]
    tol = PSD_RTOL * (sxy.shape[0] + sxy.shape[1])
    if not np.all(np.isfinite(cxy)):
        return False
    if _is_diagonal(sxx):  # the paper's setup: the Schur complement is only c x c
        variance = np.diag(sxx) / sx**2
        silent = variance == 0
        if np.any(np.abs(cxy[silent]) > tol):
            i = int(np.flatnonzero(silent)[np.argmax(np.max(np.abs(cxy[silent]), axis=1))])
            raise ValueError(
                f"sigma_xy is impossible with sigma_xx: input {i} has E[x_i^2] = 0 but E[x_i y] = {sxy[i].tolist()} "
                "(Cauchy-Schwarz needs |E[x_i y_j]| <= sqrt(E[x_i^2] E[y_j^2]))"
            )
        kept = cxy[~silent]
        schur = cyy - kept.T @ (kept / variance[~silent, None])
        return bool(np.all(np.isfinite(schur))) and _positive_semidefinite((schur + schur.T) / 2, tol)
    cxx = sxx / sx[:, None] / sx[None, :]
    joint = np.block([[cxx, cxy], [cxy.T, cyy]])
    return _positive_semidefinite((joint + joint.T) / 2, tol)
