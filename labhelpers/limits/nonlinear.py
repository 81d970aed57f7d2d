"""Linear and non-linear networks: the same two-layer network with a linear, tanh or ReLU hidden layer (Sec. 8).

The network, with ``p`` hidden units, input weights ``W1`` (d, p) and readout ``W2`` (p, c), is

    f(x) = phi(x^T W1) W2 ,   phi(z) = z,  tanh(g z) / g  or  max(z, 0),

trained by gradient flow on the sample loss ``L = 1/(2n) sum_i ||f(x_i) - y_i||^2`` (Eq. 2 with the sample mean).
The gain ``g`` of tanh is its pre-activation scale: the network with weights ``W`` and gain ``g`` computes
``f / g^2`` of the plain tanh network with weights ``g W``, and its gradient flow runs ``g^2`` times slower, so a
small gain is the plain network at weight scale ``g`` (book Eq. lm-tanh-expansion).

Inputs. :func:`symmetric_gaussian_inputs` draws Gaussian inputs, whitens them exactly (``X^T X / n = I``) and
adds every sample's mirror image ``-x``. On such a sample every odd function of ``x`` has mean zero, which is what
the two facts below need; the Saxe modes of a linear network then follow the paper's Eq. 12 exactly.

Mirrored ReLU units (book theorem lm-thm-relu-clock). If the hidden units come in pairs ``(w, a)`` and
``(-w, -a)`` and the teacher is linear, a pair computes ``a (relu(w.x) - relu(-w.x)) = a w.x``: the ReLU network
is a linear network, and it stays one under gradient flow. Each unit is active on half of the (symmetric) inputs,
so both of its gradients are half those of the linear network: the pairs follow the linear network's flow with
time ``t/2``. From :func:`mirrored_init`, the linear network starts its modes at ``theta0`` and the ReLU network at
``theta0 / 2``, and

    theta_relu(t) = theta_saxe(t / 2; theta0 / 2) ,   theta_saxe(t; theta0) = s / (1 + (s/theta0 - 1) e^{-2 s t})

(:func:`linear_prediction`). Tanh is odd with ``tanh'(0) = 1``: its mirrored pair computes ``2 a tanh(w.x)``,
the linear network up to ``O(||w||^2)`` (see :mod:`labhelpers.limits.normalisation`).

Conservation. For the linear and the ReLU networks (``phi(c z) = c phi(z)`` for ``c > 0``) every unit's
imbalance ``||W2[j]||^2 - ||W1[:, j]||^2`` is conserved (the diagonal of Eq. 8; book chapter 4); tanh conserves
nothing. :class:`NonlinearRun` records it.

:func:`train_network` integrates the flow of many networks at once (any leading batch dimensions of ``W1``,
``W2`` and the gain) with the classical Runge-Kutta method, in numpy float64; it records the best linear fit of
the network's function (:func:`labhelpers.collapse.mode_strengths` reads its Saxe modes), the share of the
function that no linear map explains, the loss and the unit imbalances.

Book: chapter 6, Limits and research directions, section Linear and non-linear networks (``lm-nonlinear``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..collapse.saxe import mode_basis, saxe_modes
from ..core import validation as check

ACTIVATIONS = ("linear", "tanh", "relu")
MAX_WORK = 3e10
"""Most multiply-adds :func:`train_network` takes on (4 evaluations x steps x networks x ``n p (2 d + 2 c)``)."""


def symmetric_gaussian_inputs(n_pairs: int, input_dim: int, *, seed: int = 0) -> np.ndarray:
    """A whitened Gaussian sample and its mirror image: ``X = [Z; -Z]`` with ``X^T X / (2 n) = I`` exactly.

    ``Z`` (n, d) is drawn from N(0, I) and whitened by its own second moment, so the rows of ``X`` have mean zero
    and identity second moment to rounding; on ``X`` the mean of every odd function of ``x`` vanishes. These are
    the whitened inputs of the paper's Eq. 12 (book: nc-saxe) and the symmetry the ReLU theorem needs
    (book theorem lm-thm-relu-clock).

    Parameters
    ----------
    n_pairs : int
        Number ``n >= input_dim`` of drawn samples; ``X`` has ``2 n`` rows.
    input_dim : int
        Input dimension ``d``.
    seed : int
        Seed of the draw.

    Returns
    -------
    numpy.ndarray
        Shape ``(2 n, d)``.
    """
    d = check.positive_int("input_dim", input_dim)
    n = check.positive_int("n_pairs", n_pairs)
    if n < d:
        raise ValueError(f"n_pairs must be at least input_dim = {d} (the sample is whitened); got n_pairs = {n}")
    check.fits_in_memory("n_pairs x input_dim", 6.0 * n * d)
    Z = check.rng("seed", seed).standard_normal((n, d))
    values, vectors = np.linalg.eigh(Z.T @ Z / n)
    Z = Z @ (vectors / np.sqrt(values)) @ vectors.T
    return np.concatenate([Z, -Z])


def mirrored_init(sigma_xy, hidden_dim: int, theta0) -> dict[str, np.ndarray]:
    """Mirrored, mode-aligned hidden units: unit ``k`` and unit ``k + m`` are ``(w, a)`` and ``(-w, -a)``.

    With the modes ``sigma_xy = U diag(s) V^T`` (:func:`labhelpers.collapse.mode_basis`), unit ``k < m`` has input
    weights ``sqrt(theta0/2) u_k`` and readout ``sqrt(theta0/2) v_k``, and unit ``k + m`` their negatives; further
    units are zero (and stay zero for every activation). The linear network then starts every mode at ``theta0``,
    balanced (Eq. 8 is zero), so Eq. 12 holds exactly; a ReLU network with the same weights computes half of it
    (book theorem lm-thm-relu-clock).

    Parameters
    ----------
    sigma_xy : array_like, shape (d, c)
        The input-output correlation whose modes the units align with.
    hidden_dim : int
        Width ``p``, at least twice the number ``m = min(d, c)`` of modes.
    theta0 : float
        The linear network's initial mode strength, ``> 0``.

    Returns
    -------
    dict
        ``{"W1": (d, p), "W2": (p, c)}``.
    """
    U, _, V = mode_basis(sigma_xy)
    m = U.shape[1]
    p = check.positive_int("hidden_dim", hidden_dim, minimum=2 * m)
    check.fits_in_memory("hidden_dim", float(p) * (U.shape[0] + V.shape[0]))
    root = np.sqrt(check.positive_scalar("theta0", theta0) / 2.0)
    W1, W2 = np.zeros((U.shape[0], p)), np.zeros((p, V.shape[0]))
    W1[:, :m], W1[:, m : 2 * m] = root * U, -root * U
    W2[:m], W2[m : 2 * m] = root * V.T, -root * V.T
    if not (np.all(np.isfinite(W1)) and np.all(np.isfinite(W2))):
        raise ValueError("theta0 is too large: the weights overflow")
    return {"W1": W1, "W2": W2}


def random_init(input_dim: int, hidden_dim: int, output_dim: int, scale, *, seed: int = 0) -> dict[str, np.ndarray]:
    """Independent Gaussian weights of standard deviation ``scale`` in both layers (no alignment, no mirroring).

    Parameters
    ----------
    input_dim, hidden_dim, output_dim : int
        ``d``, ``p`` and ``c``.
    scale : float
        Standard deviation of every weight, ``> 0``.
    seed : int
        Seed of the draw.

    Returns
    -------
    dict
        ``{"W1": (d, p), "W2": (p, c)}``.
    """
    d = check.positive_int("input_dim", input_dim)
    p = check.positive_int("hidden_dim", hidden_dim)
    c = check.positive_int("output_dim", output_dim)
    scale = check.positive_scalar("scale", scale)
    check.fits_in_memory("input_dim, hidden_dim and output_dim", 2.0 * p * (d + c))
    rng = check.rng("seed", seed)
    with np.errstate(over="ignore"):
        params = {"W1": scale * rng.standard_normal((d, p)), "W2": scale * rng.standard_normal((p, c))}
    if not all(np.all(np.isfinite(v)) for v in params.values()):
        raise ValueError(f"scale is too large: the weights overflow; got {scale!r}")
    return params


def linear_prediction(t, sigma_xy, theta0, activation: str) -> np.ndarray:
    """The linear theory's modes for a network started by :func:`mirrored_init` (Eq. 12, book lm-relu-clock).

    ``"linear"`` and ``"tanh"``: ``theta_saxe(t; theta0)``, exact for the linear network and the small-weight limit of
    tanh. ``"relu"``: ``theta_saxe(t/2; theta0/2)``, exact for mirrored ReLU units on symmetric whitened inputs.

    Parameters
    ----------
    t : array_like, shape (T,)
        Times ``t >= 0``.
    sigma_xy : array_like, shape (d, c)
        The input-output correlation (whitened inputs).
    theta0 : float
        The linear network's initial mode strength, as given to :func:`mirrored_init`.
    activation : {"linear", "tanh", "relu"}
        The hidden layer's non-linearity.

    Returns
    -------
    numpy.ndarray
        Shape (T, r), modes in the order of :func:`labhelpers.collapse.mode_basis`.
    """
    activation = check.one_of("activation", activation, ACTIVATIONS)
    theta0 = check.positive_scalar("theta0", theta0)
    t = check.as_array("t", t, ndim=1)
    check.positive("t", t, allow_zero=True)
    if activation == "relu":
        return saxe_modes(t / 2.0, sigma_xy, theta0 / 2.0)
    return saxe_modes(t, sigma_xy, theta0)


def half_rise_times(t, strengths, target_scales) -> np.ndarray:
    """The first time each curve reaches half its target, by linear interpolation between samples.

    Parameters
    ----------
    t : array_like, shape (T,)
        Increasing times.
    strengths : array_like, shape (T, ...)
        Curves ``theta(t)``, one per trailing index.
    target_scales : array_like
        Targets ``s > 0``, broadcast against ``strengths[0]``.

    Returns
    -------
    numpy.ndarray
        Shape ``strengths.shape[1:]``; NaN where a curve never reaches ``s/2``.
    """
    t = check.as_array("t", t, ndim=1)
    if t.size < 2 or np.any(np.diff(t) <= 0):
        raise ValueError(f"t must be strictly increasing with at least two entries; got {check._describe(t)}")
    theta = check.as_array("strengths", strengths)
    if theta.ndim < 1 or theta.shape[0] != t.size:
        raise ValueError(f"strengths must have len(t) = {t.size} rows; got shape {theta.shape}")
    s = check.positive("target_scales", target_scales)
    try:
        level = np.broadcast_to(s / 2.0, theta.shape[1:])
    except ValueError as error:
        raise ValueError(f"target_scales {s.shape} must broadcast against strengths[0] {theta.shape[1:]}") from error
    above = theta >= level
    first = np.argmax(above, axis=0)
    reached = above.any(axis=0) & (first > 0)
    k = np.where(reached, first, 1)
    lo = np.take_along_axis(theta, (k - 1)[None], axis=0)[0]
    hi = np.take_along_axis(theta, k[None], axis=0)[0]
    with np.errstate(divide="ignore", invalid="ignore"):
        frac = np.where(hi > lo, (level - lo) / (hi - lo), 0.0)
    times = t[k - 1] + frac * (t[k] - t[k - 1])
    return np.where(reached, times, np.nan)


@dataclass
class NonlinearRun:
    """What :func:`train_network` records, at the times ``t`` (T,), for networks of batch shape ``B``.

    Attributes
    ----------
    t : numpy.ndarray
        Recorded times, shape (T,).
    linear_map : numpy.ndarray
        Best linear fit of the network's function on the sample, ``(X^T X)^{-1} X^T f(X)``, shape ``(T, *B, d, c)``.
    nonlinear_share : numpy.ndarray
        ``||f - X linear_map||^2 / ||f||^2`` on the sample (0 for a linear function), shape ``(T, *B)``.
    loss : numpy.ndarray
        The sample loss ``1/(2n) sum ||f - y||^2``, shape ``(T, *B)``.
    unit_imbalance : numpy.ndarray
        ``||W2[j]||^2 - ||W1[:, j]||^2`` of every hidden unit, shape ``(T, *B, p)``.
    params : dict
        The final weights ``{"W1": (*B, d, p), "W2": (*B, p, c)}``.
    """

    t: np.ndarray
    linear_map: np.ndarray
    nonlinear_share: np.ndarray
    loss: np.ndarray
    unit_imbalance: np.ndarray
    params: dict


def _phi(Z, activation, gain):
    if activation == "linear":
        return Z, None
    if activation == "relu":
        return np.maximum(Z, 0.0), (Z > 0).astype(float)
    h = np.tanh(gain * Z)
    return h / gain, 1.0 - h * h


def _outputs(X, W1, W2, activation, gain):
    Z = X @ W1  # (*B, n, p)
    H, slope = _phi(Z, activation, gain)
    return H @ W2, H, slope


def _velocity(X, Y, W1, W2, activation, gain):
    F, H, slope = _outputs(X, W1, W2, activation, gain)
    R = (Y - F) / X.shape[0]  # (*B, n, c)
    back = R @ np.swapaxes(W2, -1, -2)  # (*B, n, p)
    if slope is not None:
        back = back * slope
    return X.T @ back, np.swapaxes(H, -1, -2) @ R


def train_network(X, Y, params, activation: str, times, *, dt: float = 0.02, gain=1.0) -> NonlinearRun:
    """Gradient flow of ``f(x) = phi(x^T W1) W2`` on the sample loss, for a batch of networks (Eq. 2).

    ``W1' = X^T [(R W2^T) * phi'(X W1)] / n`` and ``W2' = phi(X W1)^T R / n`` with ``R = Y - f(X)``, integrated with
    the classical fourth-order Runge-Kutta method at the step ``dt`` (its error per unit time is of order
    ``(dt * rate)^4``). ``phi`` is ``z``, ``tanh(g z)/g`` or ``max(z, 0)``; ReLU's derivative at 0 is taken as 0.

    Parameters
    ----------
    X : array_like, shape (n, d)
        Inputs, shared by all networks.
    Y : array_like, shape (n, c) or (*B, n, c)
        Targets, shared or one per network.
    params : dict
        ``{"W1": (*B, d, p), "W2": (*B, p, c)}`` with broadcastable batch shapes.
    activation : {"linear", "tanh", "relu"}
        The hidden non-linearity.
    times : array_like, shape (T,)
        Increasing recording times ``>= 0``, each a multiple of ``dt`` (to 1e-9 relative).
    dt : float
        The step, ``> 0``.
    gain : float or array_like
        Tanh's pre-activation scale ``g > 0``, broadcast against the batch shape (ignored by the others).

    Returns
    -------
    NonlinearRun
    """
    activation = check.one_of("activation", activation, ACTIVATIONS)
    X = check.as_array("X", X, ndim=2)
    if X.shape[0] < X.shape[1] or X.shape[1] == 0 or np.linalg.matrix_rank(X) < X.shape[1]:
        raise ValueError(f"X must have full column rank (at least d samples spanning the inputs); got shape {X.shape}")
    Y = check.as_array("Y", Y)
    if Y.ndim < 2 or Y.shape[-2] != X.shape[0]:
        raise ValueError(f"Y must have shape (..., n, c) with n = {X.shape[0]} rows; got shape {Y.shape}")
    if not isinstance(params, dict) or set(params) != {"W1", "W2"}:
        raise ValueError(f"params must be a dict with keys 'W1' and 'W2'; got {check._describe(params)}")
    W1 = check.as_array("params['W1']", params["W1"])
    W2 = check.as_array("params['W2']", params["W2"])
    if W1.ndim < 2 or W2.ndim < 2 or W1.shape[-2] != X.shape[1] or W2.shape[-2] != W1.shape[-1]:
        raise ValueError(
            f"params must have W1 (..., d={X.shape[1]}, p) and W2 (..., p, c); got {W1.shape} and {W2.shape}"
        )
    if W2.shape[-1] != Y.shape[-1]:
        raise ValueError(f"W2 has {W2.shape[-1]} outputs but Y has {Y.shape[-1]} columns")
    dt = check.positive_scalar("dt", dt)
    g = check.positive("gain", gain)
    try:
        batch = np.broadcast_shapes(W1.shape[:-2], W2.shape[:-2], Y.shape[:-2], g.shape)
    except ValueError as error:
        raise ValueError(
            f"the batch shapes of W1 {W1.shape[:-2]}, W2 {W2.shape[:-2]}, Y {Y.shape[:-2]} and gain {g.shape} "
            "do not broadcast"
        ) from error
    g = np.broadcast_to(g, batch)[..., None, None]
    t = check.as_array("times", times, ndim=1)
    check.positive("times", t, allow_zero=True)
    if t.size == 0 or np.any(np.diff(t) <= 0):
        raise ValueError(f"times must be a non-empty, strictly increasing 1-D array; got {check._describe(t)}")
    steps_at = np.rint(t / dt)
    if np.any(np.abs(steps_at * dt - t) > 1e-9 * np.maximum(t, dt)):
        raise ValueError(f"times must be multiples of dt = {dt!r}; got {check._describe(t)}")
    n, d = X.shape
    p, c = W1.shape[-1], W2.shape[-1]
    n_batch = float(np.prod(batch)) if batch else 1.0
    work = 4.0 * steps_at[-1] * n_batch * n * p * (2.0 * d + 2.0 * c)
    if not work <= MAX_WORK:
        raise ValueError(
            f"times, dt and the batch ask for {work:.3g} multiply-adds; train_network takes at most {MAX_WORK:.0e}: "
            "use fewer steps, networks or samples"
        )
    check.fits_in_memory("the batch", 8.0 * n_batch * n * (p + c) + t.size * n_batch * (d * c + p))
    W1 = np.broadcast_to(W1, batch + W1.shape[-2:]).copy()
    W2 = np.broadcast_to(W2, batch + W2.shape[-2:]).copy()
    gram = X.T @ X
    records = {"linear_map": [], "nonlinear_share": [], "loss": [], "unit_imbalance": []}

    def record():
        F = _outputs(X, W1, W2, activation, g)[0]
        M = np.linalg.solve(gram, X.T @ F)
        rest = F - X @ M
        power = np.sum(F * F, axis=(-2, -1))
        with np.errstate(divide="ignore", invalid="ignore"):
            share = np.where(power > 0, np.sum(rest * rest, axis=(-2, -1)) / np.where(power > 0, power, 1.0), 0.0)
        records["linear_map"].append(M)
        records["nonlinear_share"].append(share)
        records["loss"].append(0.5 * np.sum((F - Y) ** 2, axis=(-2, -1)) / n)
        records["unit_imbalance"].append(np.sum(W2 * W2, axis=-1) - np.sum(W1 * W1, axis=-2))

    step = 0
    with np.errstate(over="ignore", invalid="ignore"):
        for target in steps_at.astype(int):
            while step < target:
                k1 = _velocity(X, Y, W1, W2, activation, g)
                k2 = _velocity(X, Y, W1 + 0.5 * dt * k1[0], W2 + 0.5 * dt * k1[1], activation, g)
                k3 = _velocity(X, Y, W1 + 0.5 * dt * k2[0], W2 + 0.5 * dt * k2[1], activation, g)
                k4 = _velocity(X, Y, W1 + dt * k3[0], W2 + dt * k3[1], activation, g)
                W1 = W1 + dt / 6.0 * (k1[0] + 2.0 * k2[0] + 2.0 * k3[0] + k4[0])
                W2 = W2 + dt / 6.0 * (k1[1] + 2.0 * k2[1] + 2.0 * k3[1] + k4[1])
                step += 1
            if not (np.all(np.isfinite(W1)) and np.all(np.isfinite(W2))):
                raise ValueError(
                    f"train_network diverged before t = {step * dt:g}: the step dt = {dt!r} is too large for these "
                    "weights (params) and targets (Y); use a smaller dt"
                )
            record()
    return NonlinearRun(t=t, params={"W1": W1, "W2": W2}, **{k: np.stack(v) for k, v in records.items()})
