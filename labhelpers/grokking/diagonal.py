"""Grokking as lazy, then rich (Sec. 7.2): the four cures of Eq. 15's problem, and a linear network that groks.

Book: chapter 5, "Grokking as lazy, then rich" (Sec. gk-grokking) and its "A linear network that groks".

:func:`rescaled_problem` says how the four knobs (weights, target, inputs, output) change the weight-to-target
ratio and the clock of Eq. 15. :func:`train_diagonal` trains diagonal networks (Eq. 15 for every input
coordinate, in mirrored pairs) on a sparse teacher (:func:`sparse_teacher`) by gradient descent with weight
decay: with a large ratio they fit the training set lazily and generalise only later, once weight decay has
made them rich (:class:`GrokkingRun` holds the record).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..core import validation as check
from ..core.divergence import DivergenceGuard


def rescaled_problem(
    Sigma0,
    S,
    Z=1.0,
    *,
    weight_scale=1.0,
    target_scale=1.0,
    input_scale=1.0,
    output_scale=1.0,
) -> dict[str, np.ndarray]:
    """How the four knobs of Sec. 7.2 change Eq. 15's problem: its weight-to-target ratio and its clock.

    Multiply the initial weights by ``w`` (``weight_scale``), the target function by ``k``
    (``target_scale``), the inputs by ``alpha`` (``input_scale``; the target stays a function of the
    original input) and the network's output by ``c`` (``output_scale``, i.e. ``Z -> Z / c``). Seen by the
    network, the inputs then have variance ``alpha^2``, the slope to learn is ``S' = k S / alpha``, and

    ``Sigma_0' = c w^2 Sigma_0``,  ``Z' = Z / c``,  ratio ``rho' = rho w^2 c alpha / k``,
    time unit ``tau' = Z' / (2 alpha^2 S') = tau / (c alpha k)`` with ``tau = Z / (2S)``.

    Gradient flow then gives ``beta / S'`` as a function of ``t / tau'`` that depends only on ``rho'``
    (and ``beta_0' / S'``): smaller weights, a larger target, smaller inputs and a smaller output all lower
    the ratio. Every argument broadcasts.

    Parameters
    ----------
    Sigma0 : array_like
        Initial weight scale ``Sigma_0 = (1/2Z) sum (a_i^2 + b_i^2)`` before the change (> 0).
    S : array_like
        Target slope before the change (> 0).
    Z : array_like
        Output normalisation before the change (> 0).
    weight_scale, target_scale, input_scale, output_scale : array_like
        The factors ``w, k, alpha, c`` (> 0); 1 leaves a knob alone.

    Returns
    -------
    dict
        ``Sigma0``, ``S`` (the slope to learn), ``Z``, ``variance`` (``E[x^2] = alpha^2``), ``ratio``
        (``Sigma_0' / S'``) and ``time_unit`` (``tau'``), each an array.
    """
    values = check.broadcastable(
        Sigma0=Sigma0,
        S=S,
        Z=Z,
        weight_scale=weight_scale,
        target_scale=target_scale,
        input_scale=input_scale,
        output_scale=output_scale,
    )
    names = ("Sigma0", "S", "Z", "weight_scale", "target_scale", "input_scale", "output_scale")
    for name, value in zip(names, values):
        check.positive(name, value)
    Sigma0, S, Z, w, k, alpha, c = values
    with np.errstate(over="ignore", under="ignore", divide="ignore", invalid="ignore"):
        Sigma0_new, S_new, Z_new = c * w**2 * Sigma0, k * S / alpha, Z / c
        result = {
            "Sigma0": Sigma0_new,
            "S": S_new,
            "Z": Z_new,
            "variance": alpha**2,
            "ratio": Sigma0_new / S_new,
            "time_unit": Z_new / (2.0 * alpha**2 * S_new),
        }
    for key, value in result.items():
        if not np.all(np.isfinite(value) & (value > 0)):
            raise ValueError(f"the rescaled {key} leaves the floating-point range; check {', '.join(names)}")
    return result


# ---------------------------------------------------------------------------- a linear network that groks
MAX_WORK = 1e13
"""Most multiply-adds :func:`train_diagonal` takes on (steps x runs x ``3 n d``); larger runs are refused."""


@dataclass
class GrokkingRun:
    """Record of a batch of diagonal networks trained on a sparse teacher; the record index is the first axis.

    - ``steps``, shape ``(T,)``: gradient-descent steps at which the record was taken (0 = initialisation).
    - ``times``, shape ``(T, R)``: gradient-flow time ``step * lr`` of each run (runs have their own step size).
    - ``train_loss``, ``test_loss``, shape ``(T, R)``: ``1/2 mean (f - y)^2`` on the training and test sets,
      without the weight-decay term; both start at ``1/2 mean y^2`` (the output starts at zero).
    - ``coefficients``, shape ``(T, R, d)``: the learned linear map in the original input coordinates,
      ``f(x) = coefficients . x``.
    - ``ratio``, shape ``(R,)``: the initial weight-to-target ratio of the relevant coordinates.
    - ``info``: the configuration (scales, weight decay, step sizes) and the wall time.
    """

    steps: np.ndarray
    times: np.ndarray
    train_loss: np.ndarray
    test_loss: np.ndarray
    coefficients: np.ndarray
    ratio: np.ndarray
    info: dict[str, Any] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.steps)

    def first_step_below(self, level: float, which: str = "test") -> np.ndarray:
        """First recorded step at which ``loss / loss[0]`` falls below ``level``, per run (``-1``: never)."""
        level = check.positive_scalar("level", level)
        loss = {"train": self.train_loss, "test": self.test_loss}[check.one_of("which", which, ("train", "test"))]
        below = loss / loss[0] < level
        return np.where(below.any(0), self.steps[np.argmax(below, axis=0)], -1)


def sparse_teacher(
    dim: int = 100, n_train: int = 40, n_relevant: int = 3, *, n_test: int = 1000, seed: int = 0
) -> dict[str, np.ndarray]:
    """A sparse linear regression task: ``y = w . x`` with ``n_relevant`` unit entries of ``w``, ``x ~ N(0, I)``.

    With fewer samples than inputs (``n_train < dim``) many coefficient vectors fit the training set exactly;
    only the sparse one generalises. Returns ``X_train`` ``(n_train, dim)``, ``y_train``, ``X_test``,
    ``y_test`` and ``teacher`` ``(dim,)``.
    """
    dim = check.positive_int("dim", dim)
    n_train = check.positive_int("n_train", n_train)
    n_test = check.positive_int("n_test", n_test)
    n_relevant = check.positive_int("n_relevant", n_relevant)
    if n_relevant > dim:
        raise ValueError(f"n_relevant must be at most dim={dim}; got {n_relevant}")
    rng = check.rng("seed", seed)
    check.fits_in_memory("the data set (dim x (n_train + n_test))", 2.0 * (n_train + n_test) * (dim + 1))
    teacher = np.zeros(dim)
    teacher[:n_relevant] = 1.0
    X_train, X_test = rng.standard_normal((n_train, dim)), rng.standard_normal((n_test, dim))
    return {
        "X_train": X_train,
        "y_train": X_train @ teacher,
        "X_test": X_test,
        "y_test": X_test @ teacher,
        "teacher": teacher,
    }


def train_diagonal(
    data: dict,
    *,
    init_scale=1.0,
    target_scale=1.0,
    input_scale=1.0,
    output_scale=1.0,
    weight_decay=0.0,
    steps: int = 20_000,
    n_records: int = 100,
    safety: float = 0.5,
) -> GrokkingRun:
    """Gradient descent with weight decay on a diagonal network with mirrored pairs (Eq. 15 per input, Sec. 7.2).

    Every input coordinate ``i`` has one aligned unit ``(a, b) = (s, s)`` and one anti-aligned unit
    ``(s, -s)`` (``s = init_scale``), so the output starts at zero: coordinate ``i`` is Eq. 15 with ``p = 2``
    and ``beta_0 = 0``. The network is ``f(x) = c sum_i (a_i b_i + a'_i b'_i) (alpha x_i)`` and the targets are
    ``k w . x``, with the knobs of :func:`rescaled_problem`: ``c = output_scale``, ``alpha = input_scale``,
    ``k = target_scale``. The loss is ``1/2 mean (f - y)^2 + (weight_decay/2) |params|^2``. Each knob may be
    a number or one value per run (they broadcast to ``R`` runs, trained together as one array computation).
    A relevant coordinate starts at the weight-to-target ratio ``2 c s^2 alpha / k`` (its ``Sigma_0 / S'``).

    Parameters
    ----------
    data : dict
        From :func:`sparse_teacher`.
    init_scale, target_scale, input_scale, output_scale : array_like
        The four knobs (> 0), numbers or 1-D arrays of one length ``R``.
    weight_decay : array_like
        Coefficient of the L2 penalty (>= 0), a number or one per run.
    steps : int
        Number of gradient steps.
    n_records : int
        Number of records, log-spaced in the step (step 0 included).
    safety : float
        Step size as a fraction of ``1 / L``, with ``L`` an estimate of the largest curvature along the run
        (at initialisation and at the sparse solution); in ``(0, 1]``.

    Returns
    -------
    GrokkingRun
    """
    X, y, X_test, y_test, teacher = _sparse_task(data)
    s, k, alpha, c, weight_decay = _knobs(init_scale, target_scale, input_scale, output_scale, weight_decay)
    steps, n_records, safety = _schedule(steps, n_records, safety)
    _affordable(steps, n_records, s.size, X.shape)
    lr = _step_sizes(X, teacher, s, k, alpha, c, weight_decay, safety)
    ratio = _initial_ratio(s, k, alpha, c, teacher)
    guard = DivergenceGuard(
        "gradient descent on the diagonal networks",
        safety=safety,
        init_scale=float(s.max()),
        target_scale=float(k.max()),
        input_scale=float(alpha.max()),
        output_scale=float(c.max()),
    )
    a, b = _mirrored_pairs(s, lr.size, X.shape[1])
    record_at = np.unique(np.r_[0, np.geomspace(1, steps, n_records - 1).round().astype(int)])
    task = _Task(X, k[:, None] * y, X_test, k[:, None] * y_test, (c * alpha)[:, None])
    start = time.perf_counter()
    records = _descend(task, a, b, lr[:, None, None], weight_decay[:, None, None], steps, record_at, guard)
    wall = time.perf_counter() - start
    return GrokkingRun(
        steps=record_at,
        times=record_at[:, None] * lr[None, :],
        train_loss=np.array(records["train"]),
        test_loss=np.array(records["test"]),
        coefficients=np.array(records["coefficients"]),
        ratio=ratio,
        info={
            "init_scale": s,
            "target_scale": k,
            "input_scale": alpha,
            "output_scale": c,
            "weight_decay": weight_decay,
            "lr": lr,
            "steps": steps,
            "seconds": wall,
        },
    )


# ---------------------------------------------------------------------------- train_diagonal's pieces
def _sparse_task(data) -> tuple[np.ndarray, ...]:
    """The training and test samples and the teacher of a :func:`sparse_teacher` task, checked."""
    if not isinstance(data, dict) or not {"X_train", "y_train", "X_test", "y_test", "teacher"} <= set(data):
        raise ValueError("data must be the dict returned by sparse_teacher (X_train, y_train, X_test, y_test, teacher)")
    X, y = check.samples(data["X_train"], data["y_train"])
    X_test, y_test = check.samples(data["X_test"], data["y_test"])
    teacher = check.as_array("data['teacher']", data["teacher"], ndim=1)
    return X, y[:, 0], X_test, y_test[:, 0], teacher


def _knobs(init_scale, target_scale, input_scale, output_scale, weight_decay) -> tuple[np.ndarray, ...]:
    """The four knobs and the weight decay, checked and broadcast to one 1-D array of ``R`` runs each."""
    names = ("init_scale", "target_scale", "input_scale", "output_scale", "weight_decay")
    given = (init_scale, target_scale, input_scale, output_scale, weight_decay)
    for name, value in zip(names, given):
        value = check.positive(name, value, allow_zero=name == "weight_decay")
        if value.ndim > 1:
            raise ValueError(
                f"{name} must be a number or a 1-D array (one value per run); got {check._describe(value)}"
            )
    return tuple(np.atleast_1d(v) for v in check.broadcastable(**dict(zip(names, given))))


def _schedule(steps, n_records, safety) -> tuple[int, int, float]:
    """The number of steps and of records (>= 2) and the safety factor (in ``(0, 1]``), checked."""
    steps = check.positive_int("steps", steps)
    n_records = check.positive_int("n_records", n_records, minimum=2)
    check.fits_in_memory("the record schedule (n_records)", 3.0 * n_records)
    safety = check.positive_scalar("safety", safety)
    if safety > 1:
        raise ValueError(f"safety must be at most 1; got {safety}")
    return steps, n_records, safety


def _affordable(steps: int, n_records: int, runs: int, shape: tuple[int, int]) -> None:
    """Refuse, up front, more than :data:`MAX_WORK` multiply-adds or records larger than the memory."""
    n, d = shape
    work = float(steps) * runs * 3.0 * n * d
    if work > MAX_WORK:
        raise ValueError(
            f"steps={steps} for {runs} run(s) with n={n}, d={d} is about {work:.2g} multiply-adds, more than "
            f"train_diagonal takes on ({MAX_WORK:.0e}); use fewer steps or runs"
        )
    check.fits_in_memory("the records", 2.0 * n_records * runs * (d + 2))


def _step_sizes(X, teacher, s, k, alpha, c, weight_decay, safety: float) -> np.ndarray:
    """Step size of each run, ``safety / (L + weight_decay)``, with ``L`` the largest curvature along the run.

    ``L`` is estimated at initialisation (``4 (c alpha s)^2``) and at the sparse solution (``4 c alpha k
    max|w|``), times the largest eigenvalue of ``X^T X / n``.
    """
    spectrum = np.linalg.eigvalsh(X.T @ X / X.shape[0])[-1]
    with np.errstate(over="ignore", under="ignore"):
        curvature = spectrum * np.maximum(4 * (c * alpha * s) ** 2, 4 * c * alpha * k * np.abs(teacher).max())
        lr = safety / (curvature + weight_decay)  # (R,)
    if not np.all(np.isfinite(curvature)):
        raise ValueError(
            "init_scale, target_scale, input_scale and output_scale are too large together: the curvature "
            f"(about 4 (c alpha s)^2 |X|^2) overflows, so no step size is stable; got max curvature {curvature.max():.3g}"
        )
    if not np.all(lr > 0):
        raise ValueError(
            f"safety={safety:.3g} divided by the curvature {curvature.max():.3g} underflows to a step size of 0; "
            "raise safety, or lower init_scale, target_scale, input_scale and output_scale"
        )
    return lr


def _mirrored_pairs(s: np.ndarray, runs: int, d: int) -> tuple[np.ndarray, np.ndarray]:
    """Init: weights ``a, b`` of shape (R, 2, d), an aligned unit ``(s, s)`` and an anti-aligned ``(s, -s)`` per input."""
    a = np.broadcast_to(s[:, None, None], (runs, 2, d)).copy()  # units: [aligned, anti-aligned]
    b = a * np.array([1.0, -1.0])[None, :, None]
    return a, b


@dataclass(frozen=True)
class _Task:
    """The samples, the targets ``k y`` of every run (R, n) and the output factor ``c alpha`` (R, 1)."""

    X: np.ndarray
    targets: np.ndarray
    X_test: np.ndarray
    test_targets: np.ndarray
    scale: np.ndarray


def _outputs(task: _Task, a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The learned map ``theta`` (R, d), in original input coordinates, and the training residuals (R, n)."""
    theta = task.scale * (a * b).sum(1)  # f(x) = x . (scale * sum_units a b)
    return theta, theta @ task.X.T - task.targets


def _gradient_step(task: _Task, a, b, residual, lr, decay) -> tuple[np.ndarray, np.ndarray]:
    """Step: one gradient-descent step on ``1/2 mean residual^2 + (decay/2) |a, b|^2`` (``lr``, ``decay``: (R, 1, 1))."""
    grad_theta = (task.scale * (residual @ task.X) / task.X.shape[0])[:, None, :]  # dL/d(a b) per unit, (R, 1, d)
    return a - lr * (grad_theta * b + decay * a), b - lr * (grad_theta * a + decay * b)


def _record(records: dict[str, list], task: _Task, theta: np.ndarray, residual: np.ndarray) -> None:
    """Record: training and test losses (without weight decay) and the learned map, one value per run."""
    records["train"].append(0.5 * np.mean(residual**2, axis=1))
    records["test"].append(0.5 * np.mean((theta @ task.X_test.T - task.test_targets) ** 2, axis=1))
    records["coefficients"].append(theta)


def _descend(task: _Task, a, b, lr, decay, steps: int, record_at: np.ndarray, guard: DivergenceGuard) -> dict:
    """Gradient descent for ``steps`` steps, checked for divergence at every step, recorded at ``record_at``."""
    records: dict[str, list] = {"train": [], "test": [], "coefficients": []}
    for step in range(steps + 1):
        theta, residual = _outputs(task, a, b)
        guard.check(step, float(np.max(residual * residual)))  # NaN and inf propagate
        if len(records["train"]) < record_at.size and step == record_at[len(records["train"])]:
            _record(records, task, theta, residual)
        if step == steps:
            break
        a, b = _gradient_step(task, a, b, residual, lr, decay)
    return records


def _initial_ratio(s, k, alpha, c, teacher) -> np.ndarray:
    """Weight-to-target ratio ``2 c s^2 alpha / (k max|w|)`` of the relevant coordinates (in logs if it overflows)."""
    relevant = np.abs(teacher).max()
    if relevant == 0:
        raise ValueError("data['teacher'] is all zeros: the task has no relevant coordinate (see sparse_teacher)")
    with np.errstate(over="ignore", divide="ignore", under="ignore"):
        direct = 2 * c * s**2 * alpha / (k * relevant)
    if np.all(np.isfinite(direct)):
        return direct
    log_ratio = np.log(2 * c) + 2 * np.log(s) + np.log(alpha) - np.log(k) - np.log(relevant)
    if np.any(log_ratio > np.log(np.finfo(float).max)):
        raise ValueError(
            "the weight-to-target ratio 2 output_scale init_scale^2 input_scale / target_scale exceeds 1e308: "
            "raise target_scale or lower the other scales"
        )
    return np.exp(log_ratio)
