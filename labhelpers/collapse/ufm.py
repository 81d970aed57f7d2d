"""The unconstrained feature model (Mixon et al. 2020) and the simplex ETF it collapses to.

The features of the ``N`` training samples are free parameters ``H`` (N x D), the classifier is ``W``
(C x D), and the outputs ``H W^T`` are fitted to one-hot labels. It is the linear network of Eq. 13 with the
identity as input matrix, so Eq. 12 applies verbatim (:class:`UnconstrainedFeatures`, :func:`train_ufm`, and
the limit it reaches, :func:`ufm_limit`); :func:`simplex_etf` is the ideal geometry of NC2.

Book: chapter 3, "The unconstrained feature model" (Sec. nc-ufm; the paper's Sec. 5.2, Eq. 13).
"""

from __future__ import annotations

import math

import numpy as np

from ..core import validation as check
from ..core.data import Moments, whitened_moments
from ..core.descent import gradient_descent
from ..core.divergence import DivergenceError, DivergenceGuard
from ..core.models import Model, _swap
from ..core.simulate import MAX_EVALUATIONS, Trajectory, gradient_flow
from .metrics import _labels
from .saxe import _orthonormal_columns


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

    Paper: Eq. 13.

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

    Paper: Eq. 13, Fig. 5.

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
    C, n, D, sigma = _ufm_sizes(n_classes, n_per_class, feature_dim, init_scale)
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
    params0 = _ufm_start(model, sigma, seed)
    lr = _ufm_lr(lr, method)
    trajectory = _run_ufm(
        model,
        params0,
        moments,
        method=method,
        t_max=t_max,
        n_times=n_times,
        lr=lr,
        sigma=sigma,
        max_evaluations=max_evaluations,
        default_time=default_time,
    )
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


def _ufm_sizes(n_classes, n_per_class, feature_dim, init_scale) -> tuple[int, int, int, float]:
    """The checked ``C``, ``n``, ``D`` and ``sigma`` of :func:`train_ufm` (``D >= C``, ``sigma`` not huge)."""
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
    return C, n, D, sigma


def _ufm_start(model: UnconstrainedFeatures, sigma: float, seed: int) -> dict[str, np.ndarray]:
    """``H`` and ``W`` with independent ``N(0, sigma^2)`` entries (``H`` drawn first), and ``b`` at 0."""
    C, D = model.n_classes, model.feature_dim
    rng = check.rng("seed", seed)
    params0 = {"H": sigma * rng.standard_normal((model.n_samples, D)), "W": sigma * rng.standard_normal((C, D))}
    if model.bias:
        params0["b"] = np.zeros(C)
    return params0


def _ufm_lr(lr, method: str) -> float | None:
    """The checked ``lr`` (None: the default of ``method="descent"``); refused with gradient flow."""
    if lr is not None:
        lr = check.positive_scalar("lr", lr)
        if method == "flow":
            raise ValueError(
                f"lr is for method='descent' (gradient flow has no step); got lr={lr:.3g} with method='flow'"
            )
    return lr


def _run_ufm(
    model, params0, moments, *, method, t_max, n_times, lr, sigma, max_evaluations, default_time
) -> Trajectory:
    """Gradient flow (or descent) from ``params0``; a flow that cannot start, or that overflows, is blamed on
    ``init_scale`` (as is a spent budget at the default ``t_max``)."""
    try:
        if method == "flow":
            return gradient_flow(model, params0, moments, t_max=t_max, n_times=n_times, max_evaluations=max_evaluations)
        return _ufm_descent(model, params0, moments, t_max, n_times, lr, sigma)
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


def _ufm_descent(model, params0, moments, t_max: float, n_times: int, lr: float | None, sigma: float) -> Trajectory:
    """Gradient descent for ``method="descent"``, each recorded loss checked for divergence.

    The default step is a tenth of the stability limit at convergence, ``0.2 / (2 sqrt(n) + N)`` with bias
    and ``0.2 / (2 sqrt(n))`` without."""
    if lr is None:
        s = np.sqrt(model.n_samples // model.n_classes)
        lr = 0.2 / (2.0 * s + (model.n_samples if model.bias else 0.0))
    lr = check.positive_scalar("lr", lr)
    record_every = _descent_record_every(t_max, lr, n_times)
    trajectory = gradient_descent(
        model, params0, lr=lr, steps=record_every * (n_times - 1), moments=moments, record_every=record_every
    )
    guard = DivergenceGuard("gradient descent on the unconstrained feature model", lr=lr, init_scale=sigma)
    for step, loss in zip(trajectory.info["recorded_steps"], trajectory.loss):
        guard.check(step, loss)
    return trajectory


def simplex_etf(n_classes: int, dim: int, *, scale: float = 1.0, seed: int = 0) -> np.ndarray:
    """A simplex equiangular tight frame: ``C`` vectors in ``R^D`` with equal norms and cosines ``-1/(C-1)``.

    Paper: Eq. 66.

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
