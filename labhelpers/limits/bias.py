"""Biases and skip connections: the paths that bypass the product of a diagonal network (the paper's App. J.3).

Bias. The diagonal network with a last-layer bias, ``f(x) = sum_i a_i b_i x_i + c``, is the book's network on the
input ``(x, 1)``: the bias is a weight on a constant feature. Its flow is ``dc/dt = E[y - f(x)]``, the mean
residual (book Eq. lm-bias-flow). The bias multiplies nothing that learns, so the rate of its equation is the
constant ``E[1^2] = 1``: with centred inputs and a target offset ``c*`` it relaxes exponentially,

    c(t) = c* + (c(0) - c*) exp(-t)                                           (book Eq. lm-bias-relax)

while each product mode keeps its sigmoid (the paper's Eq. 9).

Skip. A linear skip beside each product, ``f(x) = sum_i (a_i b_i + s_i) x_i``, with the skip trained at the
rate ``eta`` (``ds/dt = eta * dL/ds`` with the sign of descent; ``eta = 0`` is a fixed skip). From a balanced start
``a = b`` the product ``theta = a b`` and the skip share one residual ``e = E[x^2](S - theta - s)``:

    dtheta/dt = 2 theta e,    ds/dt = eta e                                   (book Eq. lm-skip-flow)

so ``theta = theta0 exp(2 (s - s0) / eta)`` is conserved along the flow (book Eq. lm-skip-law), and the product
ends at ``theta_inf = (eta/2) W((2 theta0/eta) exp(2 (S - s0)/eta))`` with W the Lambert function
(book Eq. lm-skip-share).

Book: chapter 6, Limits and research directions, section Biases and skip connections.
"""

from __future__ import annotations

import numpy as np
from scipy.integrate import solve_ivp
from scipy.special import lambertw

from ..core import validation as check
from ..core.data import Moments
from ..core.models import Model, Params

MAX_STIFFNESS = 1e6
"""The most relaxation times (``variance * (skip_rate + 2 target_scale) * t[-1]``) :func:`skip_mode` integrates."""


def offset_moments(means, variances, target_scales, offset=0.0) -> Moments:
    """Moments of the input ``(x, 1)`` for a biased network: independent ``x_i`` and an offset teacher.

    The inputs ``x_i`` are independent with mean ``means[i]`` and variance ``variances[i]``; the target is
    ``y = sum_i S_i x_i + offset`` (the paper's Eq. 1 plus a constant). The constant feature 1 is appended as the
    last input coordinate, so that the bias of :class:`BiasedDiagonalNetwork` is the weight on it
    (book Eq. lm-bias-flow).

    Parameters
    ----------
    means : array_like, shape (d,)
        The input means ``E[x_i]`` (zero for centred inputs).
    variances : array_like, shape (d,)
        The input variances ``Var[x_i] > 0``.
    target_scales : array_like, shape (d,)
        The teacher weights ``S_i``.
    offset : float
        The teacher's constant ``c*``.

    Returns
    -------
    Moments
        Second moments of dimension ``d + 1`` (the constant feature last) and one output.
    """
    var = check.positive("variances", variances)
    if var.ndim != 1:
        raise ValueError(f"variances must be 1-D; got shape {var.shape}")
    d = var.size
    mu = check.as_array("means", means, ndim=1)
    S = check.as_array("target_scales", target_scales, ndim=1)
    for name, value in (("means", mu), ("target_scales", S)):
        if value.size != d:
            raise ValueError(f"{name} must have {d} entries (one per input variance); got shape {value.shape}")
    offset = check.scalar("offset", offset)
    check.fits_in_memory("variances", 2.0 * (d + 1) ** 2)
    mean = np.append(mu, 1.0)
    with np.errstate(over="ignore", invalid="ignore"):
        sigma_xx = np.outer(mean, mean)
        sigma_xx[:d, :d] += np.diag(var)
        teacher = np.append(S, offset)
        sigma_xy = (sigma_xx @ teacher)[:, None]
        sigma_yy = np.atleast_2d(teacher @ sigma_xx @ teacher)
    if not (np.all(np.isfinite(sigma_xx)) and np.all(np.isfinite(sigma_yy))):
        raise ValueError("target_scales, means or offset are too large: E[y^2] overflows the float range")
    return Moments(sigma_xx, sigma_xy, sigma_yy)


def bias_relaxation(t, offset, bias0=0.0):
    """The last-layer bias with centred inputs, ``c(t) = c* + (c(0) - c*) exp(-t)`` (book Eq. lm-bias-relax).

    Its rate is 1, the second moment of the constant feature, whatever the weights, the data's variances or the
    bias itself: linear dynamics, no feedback. (Time in the units of the book's gradient flow on Eq. 2.)

    Parameters
    ----------
    t : array_like
        Times ``t >= 0``.
    offset : array_like
        The teacher's constant ``c*``.
    bias0 : array_like
        The initial bias ``c(0)``.

    Returns
    -------
    numpy.ndarray
        ``c(t)``, broadcast over the arguments.
    """
    t, offset, bias0 = check.broadcastable(t=t, offset=offset, bias0=bias0)
    check.positive("t", t, allow_zero=True)
    with np.errstate(under="ignore"):
        return offset + (bias0 - offset) * np.exp(-t)


class BiasedDiagonalNetwork(Model):
    """Diagonal network with a last-layer bias, ``f(x) = sum_i a_i b_i x_i + c`` (the paper's App. J.3).

    It acts on the input ``(x, 1)`` of :func:`offset_moments`, so ``input_dim`` of the model is ``features + 1``
    and the end-to-end map is ``(a*b, c)``. Flow: ``a' = b * E[:d]``, ``b' = a * E[:d]`` and ``c' = E[d]``, the
    mean residual (book Eq. lm-bias-flow), with ``E = sigma_xy - sigma_xx P``. Parameters ``a``, ``b`` of shape
    (features,) and ``c`` of shape (1,). Integrate it with :func:`labhelpers.core.gradient_flow`.
    """

    param_names = ("a", "b", "c")
    output_dim = 1

    def __init__(self, features: int):
        self.features = check.positive_int("features", features)
        self.input_dim = self.features + 1

    def __repr__(self) -> str:
        return f"BiasedDiagonalNetwork(features={self.features})"

    def shapes(self):
        return {"a": (self.features,), "b": (self.features,), "c": (1,)}

    def end_to_end(self, params: Params):
        self.validate(params)
        a, b, c = params["a"], params["b"], params["c"]
        with np.errstate(over="ignore", invalid="ignore"):
            if hasattr(a, "detach"):  # torch, for autograd checks
                import torch

                product = torch.cat([a * b, c], dim=-1)
            else:
                product = np.concatenate([a * b, c], axis=-1)
        return self._finite("end_to_end", product[..., None], params)

    def flow(self, params: Params, moments: Moments) -> Params:
        params = self._arrays(params)
        E = self.residual(params, moments)[..., 0]
        d = self.features
        with np.errstate(over="ignore", invalid="ignore"):
            velocity = {"a": params["b"] * E[..., :d], "b": params["a"] * E[..., :d], "c": E[..., d:].copy()}
        return self._finite_flow(velocity, params)


class SkipDiagonalNetwork(Model):
    """Diagonal network with a linear skip, ``f(x) = sum_i (a_i b_i + s_i) x_i`` (the paper's App. J.3).

    Flow (book Eq. lm-skip-flow, for any input covariance): ``a' = b * E``, ``b' = a * E`` and
    ``s' = skip_rate * E`` with ``E = sigma_xy - sigma_xx (a*b + s)``. ``skip_rate = 1`` is plain gradient flow on
    all three; another rate is gradient flow on ``s = sqrt(skip_rate) * sigma`` in the parameter ``sigma``, and
    ``skip_rate = 0`` freezes the skip. Parameters ``a``, ``b``, ``s``, each of shape (input_dim,).
    """

    param_names = ("a", "b", "s")
    output_dim = 1

    def __init__(self, input_dim: int, skip_rate=1.0):
        self.input_dim = check.positive_int("input_dim", input_dim)
        self.skip_rate = check.positive_scalar("skip_rate", skip_rate, allow_zero=True)

    def __repr__(self) -> str:
        return f"SkipDiagonalNetwork(input_dim={self.input_dim}, skip_rate={self.skip_rate:g})"

    def shapes(self):
        return {name: (self.input_dim,) for name in self.param_names}

    def end_to_end(self, params: Params):
        self.validate(params)
        with np.errstate(over="ignore", invalid="ignore"):
            product = params["a"] * params["b"] + params["s"]
        return self._finite("end_to_end", product[..., None], params)

    def flow(self, params: Params, moments: Moments) -> Params:
        params = self._arrays(params)
        E = self.residual(params, moments)[..., 0]
        with np.errstate(over="ignore", invalid="ignore"):
            velocity = {"a": params["b"] * E, "b": params["a"] * E, "s": self.skip_rate * E}
        return self._finite_flow(velocity, params)


def _skip_arguments(target_scale, theta0, skip_rate, skip0):
    S, theta0, eta, s0 = check.broadcastable(target_scale=target_scale, theta0=theta0, skip_rate=skip_rate, skip0=skip0)
    check.positive("theta0", theta0)
    check.positive("skip_rate", eta, allow_zero=True)
    if np.any(theta0 + s0 >= S):
        raise ValueError(
            "target_scale must exceed theta0 + skip0 (the start must lie below the target); got "
            f"target_scale={check._describe(S)}, theta0={check._describe(theta0)}, skip0={check._describe(s0)}"
        )
    return S, theta0, eta, s0


def skip_product_share(target_scale, theta0, skip_rate, *, skip0=0.0):
    """The fraction of the target that the product ends with, ``theta_inf / S`` (book Eq. lm-skip-share).

    From the conservation law ``theta = theta0 exp(2 (s - s0)/eta)`` (Eq. lm-skip-law) and ``theta + s = S`` at
    the end: ``theta_inf = (eta/2) W((2 theta0/eta) exp(2 (S - s0)/eta))``, evaluated in logarithms so that
    ``exp(2 S/eta)`` never overflows. ``skip_rate = 0`` (a fixed skip ``s0``) gives ``1 - s0/S``. The balanced
    start ``a(0) = b(0)`` is assumed; the share does not depend on the input variance.

    Parameters
    ----------
    target_scale : array_like
        The mode's target ``S``, above ``theta0 + skip0``.
    theta0 : array_like
        The initial product ``theta0 > 0``.
    skip_rate : array_like
        The skip's learning rate ``eta >= 0`` relative to the layers.
    skip0 : array_like
        The initial (or, for ``eta = 0``, fixed) skip ``s0``.

    Returns
    -------
    numpy.ndarray
        ``theta_inf / S``, broadcast over the arguments.
    """
    S, theta0, eta, s0 = _skip_arguments(target_scale, theta0, skip_rate, skip0)
    safe = np.where(eta > 0, eta, 1.0)
    with np.errstate(over="ignore", under="ignore", divide="ignore", invalid="ignore"):
        # W(x) with log x = log(2 theta0/eta) + 2 (S - s0)/eta; for huge x use W ~ log x - log log x iterated.
        log_x = np.log(2.0 * theta0 / safe) + 2.0 * (S - s0) / safe
        big = log_x >= 500.0
        w = np.where(big, log_x - np.log(np.where(big, log_x, 1.0)), lambertw(np.exp(np.minimum(log_x, 500.0))).real)
        for _ in range(6):  # Newton on w + log w = log x, only where the direct form would overflow
            w = np.where(big, w - (w + np.log(np.where(big, w, 1.0)) - log_x) / (1.0 + 1.0 / w), w)
        # a rate so small that exp(2 S/eta) is beyond every float: the fixed-skip limit S - s0
        theta_inf = np.where((eta > 0) & np.isfinite(w), 0.5 * safe * w, S - s0)
    return theta_inf / S


def skip_crossover_rate(target_scale, theta0, *, skip0=0.0):
    """The skip rate at which the product ends with half the target, ``(S - 2 s0) / ln(S / (2 theta0))``.

    Eq. lm-skip-law with ``theta_inf = s_inf = S/2`` (book Eq. lm-skip-crossover): a slower skip leaves most of
    the target to the product, a faster one takes most of it. Needs ``theta0 < S/2`` and ``s0 < S/2``.

    Parameters
    ----------
    target_scale, theta0, skip0 : array_like
        The target ``S``, the initial product ``theta0 > 0`` and the initial skip ``s0``.

    Returns
    -------
    numpy.ndarray
        The crossover rate ``eta_half > 0``.
    """
    S, theta0, s0 = check.broadcastable(target_scale=target_scale, theta0=theta0, skip0=skip0)
    check.positive("theta0", theta0)
    if np.any(2.0 * theta0 >= S) or np.any(2.0 * s0 >= S):
        raise ValueError(
            "target_scale must exceed 2 theta0 and 2 skip0 for the product to reach half the target; "
            f"got target_scale={check._describe(S)}, theta0={check._describe(theta0)}, skip0={check._describe(s0)}"
        )
    return (S - 2.0 * s0) / np.log(S / (2.0 * theta0))


def skip_mode(t, target_scale, theta0, skip_rate, *, variance=1.0, skip0=0.0):
    """The product ``theta(t)`` and the skip ``s(t)`` of one balanced mode with a linear skip (Eq. lm-skip-flow).

    Integrates ``d ln(theta)/dt = 2 e``, ``ds/dt = eta e`` with ``e = E[x^2](S - theta - s)`` for all broadcast
    arguments at once (scipy's DOP853, relative tolerance 1e-11); the logarithm keeps a tiny ``theta0`` accurate.
    ``skip_rate = 0`` is a fixed skip, and then ``theta`` is the sigmoid of Eq. 9 with target ``S - s0``.
    The solver is explicit, so a run longer than ``MAX_STIFFNESS`` relaxation times is refused (ValueError).

    Parameters
    ----------
    t : array_like, 1-D
        Increasing times ``t >= 0``.
    target_scale, theta0, skip_rate, variance, skip0 : array_like
        ``S`` (above ``theta0 + s0``), ``theta0 > 0``, ``eta >= 0``, ``E[x^2] > 0`` and ``s0``, broadcast together.

    Returns
    -------
    theta, skip : numpy.ndarray
        Each of shape ``t.shape + broadcast shape``.
    """
    t = check.as_array("t", t, ndim=1)
    check.positive("t", t, allow_zero=True)
    if t.size == 0 or np.any(np.diff(t) <= 0):
        raise ValueError(f"t must be a non-empty, strictly increasing 1-D array; got {check._describe(t)}")
    S, theta0, eta, s0 = _skip_arguments(target_scale, theta0, skip_rate, skip0)
    S, theta0, eta, s0, var = check.broadcastable(
        target_scale=S, theta0=theta0, skip_rate=eta, skip0=s0, variance=variance
    )
    check.positive("variance", var)
    with np.errstate(over="ignore", invalid="ignore"):
        stiffness = float(np.max(var * (eta + 2.0 * np.abs(S) + np.abs(s0)), initial=0.0) * t[-1])
    if not stiffness <= MAX_STIFFNESS:
        raise ValueError(
            f"skip_rate, variance and t ask for {stiffness:.3g} relaxation times (variance * (skip_rate + 2 "
            f"target_scale) * t[-1]); skip_mode integrates at most {MAX_STIFFNESS:.0e}: shorten t or rescale"
        )
    shape, n = S.shape, S.size
    S, theta0, eta, s0, var = (v.ravel() for v in (S, theta0, eta, s0, var))

    def rhs(_, y):
        log_theta, s = y[:n], y[n:]
        e = var * (S - np.exp(log_theta) - s)
        return np.concatenate([2.0 * e, eta * e])

    y0 = np.concatenate([np.log(theta0), s0])
    span = (0.0, float(t[-1])) if t[-1] > 0 else (0.0, 1.0)
    scale = np.concatenate([np.ones(n), np.maximum(np.abs(S), np.abs(s0))])
    solution = solve_ivp(rhs, span, y0, t_eval=t, method="DOP853", rtol=1e-11, atol=1e-14 * scale)
    if not solution.success:
        raise ValueError(f"skip_mode: the integration failed ({solution.message}); check the arguments' scales")
    y = solution.y.T  # (len(t), 2n)
    theta = np.exp(y[:, :n]).reshape(t.shape + shape)
    skip = y[:, n:].reshape(t.shape + shape)
    return theta, skip
