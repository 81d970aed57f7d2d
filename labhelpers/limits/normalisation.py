"""Normalisation and non-linearity as a perturbation: two ways back to the solvable model (App. J.2 and Sec. 8).

Normalisation. A linear network on inputs with covariance ``Sigma`` and a linear teacher ``y = M^T x`` sees the
correlation ``sigma_xy = Sigma M``. When ``Sigma = V diag(lam) V^T`` shares its eigenvectors with the teacher's
input modes, mode ``k`` is the book's sigmoid with variance ``lam_k`` (Eq. 9): rate ``2 lam_k s_k``, target ``s_k``.
Normalising the input, ``x~ = A x`` with ``A Sigma A^T = I`` (whitening, ``A = Sigma^{-1/2}``), makes the inputs
white and Eq. 12 exact, with singular values ``s_k sqrt(lam_k)`` (book Eq. lm-normalised-rates). Batch
normalisation without its non-linearity divides each coordinate by its standard deviation,
``A = diag(Sigma)^{-1/2}`` (:func:`normalised_moments` with ``"standardise"``): it whitens only uncorrelated
coordinates, and leaves the correlation matrix ``diag(Sigma)^{-1/2} Sigma diag(Sigma)^{-1/2}``.

Perturbation. With ``phi(z) = tanh(g z)/g = z - g^2 z^3/3 + O(g^4)``, the tanh network's flow is the linear
network's plus ``g^2`` times a smooth field (book theorem lm-thm-tanh-perturbation), so on a fixed window of time
its mode strengths differ from the linear network's by ``C g^2 + O(g^4)`` in units of the targets.
:func:`perturbation_deviation` measures that difference with :func:`~labhelpers.limits.train_network`,
and :func:`power_law_slope` fits the exponent on log-log axes.

Book: chapter 6, Limits and research directions, section Normalisation and non-linearity as a perturbation
(``lm-normalisation``).
"""

from __future__ import annotations

import numpy as np

from ..collapse.saxe import mode_strengths
from ..core import validation as check
from ..core.data import Moments
from .nonlinear import linear_prediction, mirrored_init, train_network

METHODS = ("standardise", "whiten")


def _covariance(name, value) -> np.ndarray:
    C = check.as_array(name, value, ndim=2)
    if C.shape[0] != C.shape[1] or C.shape[0] == 0:
        raise ValueError(f"{name} must be a non-empty square matrix; got shape {C.shape}")
    if not np.allclose(C, C.T, rtol=1e-12, atol=1e-12 * np.max(np.abs(C))):
        raise ValueError(f"{name} must be symmetric; got {check._describe(C)}")
    values = np.linalg.eigvalsh((C + C.T) / 2.0)
    if not values[0] > 1e-12 * values[-1]:
        raise ValueError(f"{name} must be positive definite; its smallest eigenvalue is {values[0]:.3g}")
    return (C + C.T) / 2.0


def equicorrelated_covariance(variances, correlation) -> np.ndarray:
    """``Sigma = D^{1/2} ((1 - rho) I + rho 1 1^T) D^{1/2}``: variances ``D`` and one correlation ``rho``.

    Parameters
    ----------
    variances : array_like, shape (d,)
        The coordinates' variances, ``> 0``.
    correlation : float
        The correlation ``rho`` of every pair, in ``(-1/(d-1), 1)`` so that ``Sigma`` is positive definite.

    Returns
    -------
    numpy.ndarray
        Shape (d, d).
    """
    var = check.positive("variances", variances)
    if var.ndim != 1:
        raise ValueError(f"variances must be 1-D; got {check._describe(var)}")
    d = var.size
    rho = check.scalar("correlation", correlation)
    low = -1.0 / (d - 1) if d > 1 else -np.inf
    if not (low < rho < 1.0):
        raise ValueError(f"correlation must lie in ({low:g}, 1) for {d} coordinates; got {rho!r}")
    check.fits_in_memory("variances", 2.0 * d * d)
    root = np.sqrt(var)
    R = (1.0 - rho) * np.eye(d) + rho
    with np.errstate(over="ignore"):
        C = root[:, None] * R * root[None, :]
    if not np.all(np.isfinite(C)):
        raise ValueError("variances are too large: the covariance overflows")
    return C


def linear_teacher_moments(sigma_xx, teacher) -> Moments:
    """Moments of inputs with covariance ``Sigma`` and the linear teacher ``y = M^T x``.

    ``sigma_xy = Sigma M`` and ``sigma_yy = M^T Sigma M`` (the book's ``x^T W`` convention, Eq. 4).

    Parameters
    ----------
    sigma_xx : array_like, shape (d, d)
        Symmetric positive definite input covariance.
    teacher : array_like, shape (d, c)
        The teacher ``M``.

    Returns
    -------
    Moments
    """
    C = _covariance("sigma_xx", sigma_xx)
    M = check.as_array("teacher", teacher, ndim=2)
    if M.shape[0] != C.shape[0]:
        raise ValueError(f"teacher must have {C.shape[0]} rows (one per input); got shape {M.shape}")
    with np.errstate(over="ignore", invalid="ignore"):
        sxy = C @ M
        syy = M.T @ sxy
    if not (np.all(np.isfinite(sxy)) and np.all(np.isfinite(syy))):
        raise ValueError("sigma_xx or teacher is too large: the moments overflow")
    return Moments(C, sxy, (syy + syy.T) / 2.0)


def normalised_moments(moments, method: str) -> Moments:
    """The moments seen by a network behind a normalisation ``x~ = A x`` of its input (book Eq. lm-normalised-rates).

    ``"whiten"``: ``A = Sigma^{-1/2}`` (symmetric square root), so ``E[x~ x~^T] = I`` whatever the correlations.
    ``"standardise"``: ``A = diag(Sigma)^{-1/2}``, batch normalisation of each coordinate without its learnable
    scale and with population statistics (the inputs are centred); ``E[x~ x~^T]`` is the correlation matrix.

    Parameters
    ----------
    moments : Moments
        Input covariance ``sigma_xx`` (positive definite), ``sigma_xy`` and ``sigma_yy``.
    method : {"standardise", "whiten"}
        The normalisation.

    Returns
    -------
    Moments
        ``(A Sigma A^T, A sigma_xy, sigma_yy)``.
    """
    if not isinstance(moments, Moments):
        raise ValueError(f"moments must be a Moments record; got {check._describe(moments)}")
    method = check.one_of("method", method, METHODS)
    C = _covariance("moments.sigma_xx", moments.sigma_xx)
    if method == "whiten":
        values, vectors = np.linalg.eigh(C)
        A = (vectors / np.sqrt(values)) @ vectors.T
    else:
        A = np.diag(1.0 / np.sqrt(np.diag(C)))
    sxx = A @ C @ A.T
    return Moments((sxx + sxx.T) / 2.0, A @ np.asarray(moments.sigma_xy, float), np.asarray(moments.sigma_yy, float))


def perturbation_deviation(X, sigma_xy, theta0, gains, times, *, dt: float = 0.02):
    """How far the tanh network's modes stray from the linear network's, for each gain (book Eq. lm-tanh-order).

    Trains the linear network and tanh networks of gains ``g`` (:func:`~labhelpers.limits.train_network`)
    from the mirrored, aligned start of :func:`~labhelpers.limits.mirrored_init` (width ``2 m``) on the
    teacher ``Y = X sigma_xy``, and returns ``max_t max_k |theta_k^tanh - theta_k^lin| / s_k`` over ``times``. By
    the scaling of the module docstring the gain ``g`` is the weight scale of a plain tanh network whose target and
    initial modes are ``g^2`` times smaller, watched on a clock ``g^2`` times slower.

    Parameters
    ----------
    X : array_like, shape (n, d)
        Whitened inputs (e.g. :func:`~labhelpers.limits.symmetric_gaussian_inputs`).
    sigma_xy : array_like, shape (d, c)
        The teacher, and the correlation whose modes are read.
    theta0 : float or array_like
        Initial mode strengths; an array adds a batch dimension (one start per entry).
    gains : array_like, shape (G,)
        Tanh gains ``g > 0``.
    times : array_like
        Recording times, multiples of ``dt``.
    dt : float
        Runge-Kutta step.

    Returns
    -------
    deviation : numpy.ndarray
        Shape ``theta0.shape + (G,)``.
    linear_error : numpy.ndarray
        Shape ``theta0.shape``: the linear network's own largest deviation from Eq. 12 (the integration error).
    """
    g = check.positive("gains", gains)
    if g.ndim != 1 or g.size == 0:
        raise ValueError(f"gains must be a non-empty 1-D array; got {check._describe(g)}")
    starts = check.positive("theta0", theta0)
    sxy = check.as_array("sigma_xy", sigma_xy, ndim=2)
    m = min(sxy.shape)
    flat = starts.ravel()
    inits = [mirrored_init(sxy, 2 * m, float(th)) for th in flat]
    W1 = np.stack([p["W1"] for p in inits])  # (K, d, p)
    W2 = np.stack([p["W2"] for p in inits])
    X = check.as_array("X", X, ndim=2)
    if X.shape[1] != sxy.shape[0]:
        raise ValueError(f"X must have {sxy.shape[0]} columns to match sigma_xy; got shape {X.shape}")
    Y = X @ sxy
    t = check.as_array("times", times, ndim=1)
    s = np.linalg.svd(sxy, compute_uv=False)
    try:
        linear = train_network(X, Y, {"W1": W1, "W2": W2}, "linear", t, dt=dt)
        tanh = train_network(X, Y, {"W1": W1[:, None], "W2": W2[:, None]}, "tanh", t, dt=dt, gain=g[None, :])
    except ValueError as error:
        if "diverged" not in str(error):
            raise
        raise ValueError(
            f"perturbation_deviation: the teacher sigma_xy (largest singular value {np.linalg.norm(sxy, 2):.3g}) "
            f"is too large for the step dt = {dt!r}; scale sigma_xy down or use a smaller dt"
        ) from error
    lin_modes = mode_strengths(linear.linear_map, sxy)  # (T, K, m)
    tanh_modes = mode_strengths(tanh.linear_map, sxy)  # (T, K, G, m)
    deviation = np.max(np.abs(tanh_modes - lin_modes[:, :, None]) / s, axis=(0, 3))
    linear_error = np.array(
        [np.max(np.abs(lin_modes[:, k] - linear_prediction(t, sxy, th, "linear")) / s) for k, th in enumerate(flat)]
    )
    return deviation.reshape(starts.shape + (g.size,)), linear_error.reshape(starts.shape)


def power_law_slope(x, y) -> float:
    """The least-squares slope of ``log y`` against ``log x``: the exponent ``q`` of ``y ~ C x^q``.

    Parameters
    ----------
    x, y : array_like, shape (k,)
        At least two positive values each, ``x`` not all equal.

    Returns
    -------
    float
    """
    x = check.positive("x", x)
    y = check.positive("y", y)
    if x.ndim != 1 or x.shape != y.shape or x.size < 2 or np.ptp(x) == 0:
        raise ValueError(f"x and y must be 1-D of one length >= 2, x not constant; got {x.shape} and {y.shape}")
    return float(np.polyfit(np.log(x), np.log(y), 1)[0])
