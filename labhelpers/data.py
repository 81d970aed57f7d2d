"""Data for the layerwise linear models: Gaussian inputs, teachers, second moments, whitening.

The setup of the paper (Sec. 2): inputs ``x`` in R^d with independent zero-mean Gaussian
coordinates of chosen variances E[x_i^2], and a linear teacher ``f*(x) = S^T x`` (Eq. 1).
Gradient flow on the population loss (Eq. 2) only needs the second moments of (x, y),
collected in :class:`Moments`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import _validation as check


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
        if sxx.shape != (d, d):
            raise ValueError(f"sigma_xx must have shape {(d, d)} to match sigma_xy {sxy.shape}; got {sxx.shape}")
        if syy.shape != (c, c):
            raise ValueError(f"sigma_yy must have shape {(c, c)} to match sigma_xy {sxy.shape}; got {syy.shape}")
        for name, matrix in (("sigma_xx", sxx), ("sigma_yy", syy)):
            if not np.allclose(matrix, matrix.T):
                raise ValueError(f"{name} must be symmetric (a second moment E[v v^T]); got {check._describe(matrix)}")
            if np.any(np.diag(matrix) < 0):
                raise ValueError(f"{name} must have a non-negative diagonal (mean squares); got {np.diag(matrix)}")
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
        """Population loss (Eq. 2) of end-to-end maps of shape (..., d, c) or (..., d) for c = 1."""
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
        cross = np.einsum("...dc,dc->...", P, self.sigma_xy)
        quad = np.einsum("...dc,de,...ec->...", P, self.sigma_xx, P)
        return 0.5 * (np.trace(self.sigma_yy) - 2 * cross + quad)


def teacher_moments(variances, target_scales) -> Moments:
    """Moments of the paper's setup: independent inputs with ``E[x_i^2] = variances[i]`` and Eq. 1.

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
    sigma_xx = np.diag(var)
    sigma_xy = sigma_xx @ S
    return Moments(sigma_xx, sigma_xy, S.T @ sigma_xx @ S)


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
    A, B = rng.standard_normal((d, d)), rng.standard_normal((d, c))
    sigma_xx = A @ A.T / d + np.eye(d)
    return Moments((sigma_xx + sigma_xx.T) / 2, B, B.T @ B + np.eye(c))


def whitened_moments(sigma_xy) -> Moments:
    """Moments for whitened inputs (``sigma_xx = I``) and a given input-output correlation."""
    sxy = check.as_array("sigma_xy", sigma_xy, ndim=2)
    return Moments(np.eye(sxy.shape[0]), sxy, sxy.T @ sxy)


def gaussian_features(n_samples: int, variances, *, seed: int = 0) -> np.ndarray:
    """Draw ``n_samples`` inputs with independent N(0, variances[i]) coordinates, shape (n, d)."""
    n = check.positive_int("n_samples", n_samples)
    var = check.positive("variances", variances)
    if var.ndim != 1:
        raise ValueError(f"variances must be 1-D; got shape {var.shape}")
    rng = check.rng("seed", seed)
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
    Y = X @ S
    if noise > 0:
        Y = Y + noise * rng.standard_normal(Y.shape)
    return Y


def empirical_moments(X, Y) -> Moments:
    """Sample second moments of data ``X`` (n, d) and targets ``Y`` (n,) or (n, c)."""
    X, Y = check.samples(X, Y)
    n = X.shape[0]
    return Moments(X.T @ X / n, X.T @ Y / n, Y.T @ Y / n)


def whiten(X, *, eps: float = 1e-10) -> tuple[np.ndarray, np.ndarray]:
    """Whiten centred data so that its sample covariance is the identity (ZCA).

    Returns ``(X_white, W)`` with ``X_white = (X - mean) @ W`` and ``X_white^T X_white / n = I``.
    Directions with variance below ``eps`` raise an error: they cannot be whitened.
    """
    X = check.as_array("X", X, ndim=2)
    eps = check.positive_scalar("eps", eps)
    if X.shape[0] < 2:
        raise ValueError(f"X needs at least 2 samples to whiten; got {X.shape[0]}")
    Xc = X - X.mean(axis=0)
    cov = Xc.T @ Xc / X.shape[0]
    eigval, eigvec = np.linalg.eigh(cov)
    if eigval.min() < eps:
        raise ValueError(
            f"X has a direction of variance {eigval.min():.3g} < eps={eps}: the covariance is singular "
            "(more features than samples, or duplicated features); it cannot be whitened"
        )
    W = eigvec @ np.diag(eigval**-0.5) @ eigvec.T
    return Xc @ W, W
