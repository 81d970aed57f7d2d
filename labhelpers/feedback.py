"""The dynamical feedback principle (Sec. 3): what the product of layers adds to gradient flow.

In the diagonal network ``a' = b E[x^2](S - ab)`` and ``b' = a E[x^2](S - ab)`` (Eq. 6): the size of
one layer sets the speed of the other. Two consequences live here: the conserved imbalance
(Eq. 8 and its matrix form) and the closed equation for the product ``theta = ab``.
"""

from __future__ import annotations

import numpy as np

from . import _validation as check
from .models import DeepLinearNetwork, DiagonalLinearNetwork, LinearNetwork, Model


def imbalance(model: Model, params):
    """The quantity that gradient flow conserves (Eq. 8 and App. D.3).

    - :class:`~labhelpers.models.DiagonalLinearNetwork`: ``C_i = a_i^2 - b_i^2``, shape (..., d).
    - :class:`~labhelpers.models.LinearNetwork`: ``W2 W2^T - W1^T W1``, shape (..., p, p).
    - :class:`~labhelpers.models.DeepLinearNetwork`: one matrix ``W(l+1) W(l+1)^T - Wl^T Wl`` per hidden
      layer, stacked along a new axis -3 when the hidden widths are equal, else returned as a list.
    """
    if not isinstance(model, (DiagonalLinearNetwork, LinearNetwork, DeepLinearNetwork)):
        raise ValueError(
            f"model must be a layerwise linear model (diagonal, two-layer or deep); got {type(model).__name__}"
        )
    params = model._arrays(params)
    if isinstance(model, DiagonalLinearNetwork):
        return params["a"] ** 2 - params["b"] ** 2
    if isinstance(model, LinearNetwork):
        W1, W2 = params["W1"], params["W2"]
        return W2 @ W2.swapaxes(-1, -2) - W1.swapaxes(-1, -2) @ W1
    layers = [params[name] for name in model.param_names]
    gaps = [nxt @ nxt.swapaxes(-1, -2) - cur.swapaxes(-1, -2) @ cur for cur, nxt in zip(layers, layers[1:])]
    shapes = {g.shape for g in gaps}
    return np.stack(gaps, axis=-3) if len(shapes) == 1 else gaps


def product_flow(theta, target_scale, *, imbalance=0.0, variance=1.0):
    """Closed equation for the product ``theta = ab``: ``theta' = sqrt(C^2 + 4 theta^2) E[x^2] (S - theta)``.

    The factor ``sqrt(C^2 + 4 theta^2) = a^2 + b^2`` is the feedback: it is small when both layers
    are small (slow start) and grows as the mode is learned. Compare the linear model, Eq. 7,
    where the factor is 1.
    """
    theta, S, C, var = check.broadcastable(
        theta=theta, target_scale=target_scale, imbalance=imbalance, variance=variance
    )
    check.positive("variance", var)
    return np.sqrt(C**2 + 4.0 * theta**2) * var * (S - theta)


def layers_from_product(theta0, imbalance=0.0):
    """Layer values ``(a, b)`` with ``a b = theta0`` and ``a^2 - b^2 = C``, choosing ``a + b >= 0``.

    ``a^2 = (sqrt(C^2 + 4 theta0^2) + C)/2`` and ``b^2 = (sqrt(C^2 + 4 theta0^2) - C)/2``. The smaller of
    the two is computed as ``|theta0|`` divided by the larger, which avoids cancellation when ``|C| >> |theta0|``.
    """
    theta0, C = check.broadcastable(theta0=theta0, imbalance=imbalance)
    radius = np.sqrt(C**2 + 4.0 * theta0**2)
    larger = np.sqrt((radius + np.abs(C)) / 2.0)
    smaller = np.abs(theta0) / np.where(larger > 0, larger, 1.0)
    a = np.where(C >= 0, larger, smaller)
    b = np.where(C >= 0, smaller, larger)
    # Signs: theta0 < 0 needs opposite signs; keep the larger magnitude positive so a + b >= 0.
    negative = theta0 < 0
    a_signed = np.where(negative & (a < b), -a, a)
    b_signed = np.where(negative & (a >= b), -b, b)
    return a_signed, b_signed


def _trajectory_params(trajectory) -> dict:
    """The parameters of a :class:`~labhelpers.simulate.Trajectory`, after checking it has >= 2 times."""
    params = getattr(trajectory, "params", None)
    if not isinstance(params, dict) or np.ndim(getattr(trajectory, "times", None)) < 1:
        raise ValueError(f"trajectory must be a labhelpers Trajectory; got {type(trajectory).__name__}")
    if len(trajectory.times) < 2:
        raise ValueError(f"trajectory must record at least 2 times to measure a drift; got {len(trajectory.times)}")
    return params


def imbalance_drift(model: Model, trajectory) -> np.ndarray:
    """How far the conserved imbalance has moved at each recorded time, run by run.

    Gradient flow keeps the imbalance of :func:`imbalance` constant (Eq. 8); gradient descent
    changes it by ``O(lr^2)`` per step. This returns the largest entry of ``|Q(t) - Q(0)|``, taken
    over the entries of the imbalance (coordinates, matrix entries, layers) but not over time or runs.

    Parameters
    ----------
    model : DiagonalLinearNetwork, LinearNetwork or DeepLinearNetwork
        The model that produced the trajectory.
    trajectory : Trajectory
        From :func:`~labhelpers.simulate.gradient_flow` or :func:`~labhelpers.simulate.gradient_descent`,
        with at least two recorded times.

    Returns
    -------
    numpy.ndarray, shape ``(T, *batch)``
        The absolute drift; zero at the first recorded time.

    See Also
    --------
    conservation_drift : one number for the whole trajectory, relative to the size of the weights.
    """
    params = _trajectory_params(trajectory)
    Q = imbalance(model, params)
    time_and_batch = len(model.validate(params))
    parts = Q if isinstance(Q, list) else [Q]
    drifts = [np.abs(q - q[:1]).reshape(q.shape[:time_and_batch] + (-1,)).max(axis=-1) for q in parts]
    return np.max(drifts, axis=0)


def conservation_drift(model: Model, trajectory) -> float:
    """Largest change of the conserved imbalance along a trajectory, relative to its scale.

    Returns ``max_t |Q(t) - Q(0)| / max(1, max |Q(0)|, max |params|^2)`` so that drift is compared with
    the size of the quantities being subtracted.
    """
    params = _trajectory_params(trajectory)
    Q = imbalance(model, params)
    if isinstance(Q, list):
        Q = np.concatenate([q.reshape(q.shape[0], -1) for q in Q], axis=1)
    scale = max(1.0, float(np.max(np.abs(Q[0]))), max(float(np.max(np.asarray(p) ** 2)) for p in params.values()))
    return float(np.max(np.abs(Q - Q[:1])) / scale)
