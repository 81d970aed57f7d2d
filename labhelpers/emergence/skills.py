"""The skill model: exact skill strengths in time, data and parameters, its loss and its simulation.

Book: chapter 2, "The skill model" (Sec. em-skill-model) and the skill model's side of "Emergence in time",
"Emergence in data" and "Emergence in parameters" (Sec. em-mlp); the paper's Sec. 4.3-4.4 and App. E
(Nam et al. 2024a).

The skill model (Eq. 11) is a diagonal linear network whose features are the skill functions ``g_k``
of the multitask sparse parity problem (:mod:`labhelpers.emergence`):

``f(x) = sum_k a_k b_k g_k(x)``, target ``f*(x) = S sum_k g_k(x)``, loss ``L = 1/2 E[(f* - f)^2]``.

Because ``E[g_k g_l] = δ_kl p_k``, the skills are independent modes with input variance ``p_k``: each
``theta_k = a_k b_k`` follows Eq. 9 with ``E[x_i^2] -> p_k``, and the *skill strength*
``R_k = theta_k / S`` rises sigmoidally at a time ``∝ 1/p_k ∝ k^(alpha+1)``. The loss is

``L = S^2/2 sum_k p_k (1 - R_k)^2``                                            (:func:`skill_loss`)

Limiting one resource at a time (App. E): in time, :func:`skill_strength` (Eq. 9); in data, a skill is
learned iff the training set holds it (:func:`skill_strength_in_data`); in parameters, iff it is among the
model's first ``N`` skills (:func:`skill_strength_in_parameters`). The losses these give, and their power
laws, are in :mod:`labhelpers.emergence.scaling`; the calibration of a trained network against the skill
model is in :mod:`labhelpers.emergence.calibration`. :func:`simulate_skill_model` integrates the flow of
the layers numerically, to test the closed forms against.

Skills are indexed from 0 as in :mod:`labhelpers.emergence`. Every closed form is vectorised numpy.
"""

from __future__ import annotations

import numpy as np
from scipy.special import betainc, expit

from ..core import floats as _floats
from ..core import validation as check
from ..core.data import Moments, _validated, empirical_moments, teacher_moments
from ..core.models import DiagonalLinearNetwork
from ..core.simulate import MAX_EVALUATIONS, Trajectory, gradient_flow
from .parity import ParityData, SparseParity

_FLOW_WORK = 1e11  # multiply-adds one simulate_skill_model call may spend (a minute or two on a laptop)
_TEMPORARIES = 12.0  # float64 arrays of the broadcast shape a closed form holds at once
_LEARNED = -7.0  # log-odds below which 1 - R_k is taken from the log-odds (R_k > 0.999; see _strength_gap)


def _frequencies(frequencies, *, allow_zero: bool = False) -> np.ndarray:
    p = check.positive("frequencies", frequencies, allow_zero=allow_zero)
    if p.ndim != 1 or p.size == 0:
        raise ValueError(f"frequencies must be a non-empty 1-D array (one p_k per skill); got {check._describe(p)}")
    return _probabilities("frequencies", p)


def _probabilities(name: str, value) -> np.ndarray:
    array = check.positive(name, value, allow_zero=True)
    if np.any(array > 1):
        raise ValueError(f"{name} must be probabilities in [0, 1]; got a maximum of {array.max()}")
    return array


# ---------------------------------------------------------------------------- skill strengths
def _log_odds0(S: np.ndarray, theta0: np.ndarray) -> np.ndarray:
    """``ln(S/theta0 - 1)``, the initial log-odds against a skill (Eq. 9), accurate for any ``0 < theta0 < S``.

    Directly where ``S/theta0`` is moderate; as ``ln(S - theta0) - ln(theta0)`` where it overflows (a
    subnormal ``theta0``); as ``log1p((S - 2 theta0)/theta0)`` for ``theta0 > S/4``, where the
    subtraction is exact and the odds are near 1.
    """
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        direct = np.log(S / theta0 - 1.0)
        far = np.log(S - theta0) - np.log(theta0)
        near = np.log1p((S - 2.0 * theta0) / theta0)
    return np.where(theta0 > S / 4, near, np.where(np.isfinite(direct), direct, far))


def _rate_time(S: np.ndarray, p: np.ndarray, t: np.ndarray) -> np.ndarray:
    """``2 S p t`` (Eq. 9's exponent): as written, or scaled where the plain product over- or underflows."""
    with np.errstate(over="ignore", under="ignore", invalid="ignore"):
        direct = 2.0 * S * p * t
    plain = np.isfinite(direct) & ((direct >= np.finfo(float).tiny) | (direct == 0) & ((p == 0) | (t == 0)))
    return np.where(plain, direct, _floats.exact_product(np.float64(2.0), S, p, t))


def _strength_gap(t, p, S, theta0) -> tuple[np.ndarray, np.ndarray]:
    """``R_k(t)`` and ``1 - R_k(t)`` of Eq. 9 (``E[x^2] -> p_k``), finite and accurate on the whole domain.

    ``R = 1 / (1 + x)`` with ``x = (S/theta0 - 1) e^{-2 S p t}``, evaluated as written (the book's
    numbers) wherever that is finite, else as the logistic of the log-odds ``ln x`` (subnormal
    ``theta0`` or ``S``, or ``S p`` beyond float range). ``1 - R = x / (1 + x)`` comes from the log-odds once the
    skill is nearly learned (``x < e^-7``), where ``1 - R`` would lose its relative precision.
    """
    present = p > 0
    with np.errstate(over="ignore", invalid="ignore", under="ignore"):
        ratio = S / theta0 - 1.0
        theta = S / (1.0 + ratio * np.exp(-2.0 * np.abs(S) * np.where(present, p, 1.0) * t))
        direct = np.where(present, theta, theta0) / S
    log_odds = _log_odds0(S, theta0) - _rate_time(S, p, t)  # ln x
    # The direct form divides by S twice: a subnormal S would round theta = S / (1 + x) to few digits.
    plain = np.isfinite(ratio) & np.isfinite(direct) & (S >= np.finfo(float).tiny)
    strength = np.where(plain, direct, expit(-log_odds))
    gap = np.where(log_odds < _LEARNED, expit(log_odds), 1.0 - strength)
    return strength, gap


def _strength_arguments(t, frequencies, target_scale, theta0) -> tuple[np.ndarray, ...]:
    t, p, S, theta0 = check.broadcastable(t=t, frequencies=frequencies, target_scale=target_scale, theta0=theta0)
    check.fits_in_memory("t (broadcast against frequencies)", _TEMPORARIES * t.size)
    check.positive("frequencies", p, allow_zero=True)
    check.positive("target_scale", S)
    check.positive("t", t, allow_zero=True)
    if np.any(theta0 <= 0) or np.any(theta0 >= S):
        raise ValueError(
            f"theta0 must lie in (0, target_scale) for a skill that rises from small; got {check._describe(theta0)}"
        )
    return t, p, S, theta0


def skill_strength(t, frequencies, *, target_scale=1.0, theta0=1e-3) -> np.ndarray:
    """Strength ``R_k(t) = theta_k(t) / S`` of each skill under gradient flow (Eq. 9 with ``E[x^2] -> p_k``).

    Paper: Eq. 9, Eq. 11.

    ``R_k(t) = 1 / (1 + (S/theta0 - 1) exp(-2 S p_k t))``: a sigmoid in ``log t``, delayed until
    ``t ≈ ln(S/theta0) / (2 S p_k)``. A skill with ``p_k = 0`` (absent from a finite training set, with
    empirical frequencies in place of ``p_k``) never moves: ``R_k = theta0 / S``. Finite over the whole
    domain (subnormal ``theta0``, huge ``t`` or ``S``): see ``_strength_gap``.

    Parameters
    ----------
    t : array_like
        Times ``>= 0``; broadcast against ``frequencies`` (use ``t[:, None]`` for a (T, n_skills) table).
    frequencies : array_like
        Skill frequencies ``p_k >= 0`` (e.g. :func:`labhelpers.emergence.power_law_frequencies`, or
        :meth:`labhelpers.emergence.SparseParity.empirical_frequencies` of a training set).
    target_scale : float or array_like
        Target scale ``S > 0`` of every skill.
    theta0 : float or array_like
        Initial ``theta_k = a_k(0) b_k(0)`` from a balanced start, ``0 < theta0 < S``.

    Returns
    -------
    numpy.ndarray
        ``R_k(t)``, the broadcast shape of the arguments, values in ``[theta0/S, 1]`` (``theta0/S`` may
        underflow to 0, and ``R_k`` round to 1).
    """
    return _strength_gap(*_strength_arguments(t, frequencies, target_scale, theta0))[0]


def emergence_time(frequencies, *, target_scale=1.0, theta0=1e-3) -> np.ndarray:
    """Time at which each skill reaches half strength, ``ln(S/theta0 - 1) / (2 S p_k)`` (from Eq. 9).

    Proportional to ``1/p_k ∝ k^(alpha+1)`` for power-law frequencies; :func:`labhelpers.core.half_rise_time`
    with ``E[x^2] -> p_k``. Needs ``p_k > 0`` and ``0 < theta0 < S/2``. Computed through logs where
    ``2 S p_k`` leaves the normal float range; a time beyond the float range raises an error.
    """
    p, S, theta0 = check.broadcastable(frequencies=_frequencies(frequencies), target_scale=target_scale, theta0=theta0)
    check.fits_in_memory("theta0 (broadcast against frequencies)", _TEMPORARIES * p.size)
    check.positive("target_scale", S)
    if np.any(theta0 <= 0) or np.any(theta0 >= S / 2):
        raise ValueError(
            "theta0 must lie in (0, target_scale/2) for a skill to rise through half strength; "
            f"got theta0={check._describe(theta0)}"
        )
    log_odds = _log_odds0(S, theta0)
    with np.errstate(over="ignore", under="ignore", divide="ignore"):
        rate = 2.0 * S * p
        direct = log_odds / rate
        # divided by mantissas and exponents apart: no intermediate leaves the float range
        (S_mantissa, S_exponent), (p_mantissa, p_exponent) = np.frexp(S), np.frexp(p)
        scaled = np.ldexp(log_odds / (2.0 * S_mantissa * p_mantissa), -(S_exponent + p_exponent))
    plain = np.isfinite(rate) & (rate >= np.finfo(float).tiny) & np.isfinite(direct)
    times = np.where(plain, direct, scaled)
    if not np.all(np.isfinite(times)):
        raise ValueError(
            "emergence_time overflows: target_scale x frequencies is so small that a skill takes more than "
            f"1e308 time units to emerge; got target_scale={check._describe(S)}"
        )
    return times


def skill_strength_in_data(n_samples, frequencies, *, shots=1) -> np.ndarray:
    """Expected strength of each skill after training to convergence on ``n_samples`` samples (App. E, Eq. 60).

    Paper: Eq. 60.

    Assumption (Nam et al. 2024a): a skill is learned (``R_k = 1``) iff the training set holds at least
    ``shots`` samples that ask for it, and not at all otherwise. The skill model itself learns every
    skill it sees once (``shots = 1``: with ``D`` independent samples the probability is
    ``1 - (1 - p_k)^D``); a network that needs several examples of a skill to generalise is described by a
    larger ``shots``, the probability that a binomial ``Bin(D, p_k)`` count reaches it. Because each
    ``R_k`` is 0 or 1, the expected loss is ``S^2/2 sum_k p_k (1 - E[R_k])`` (:func:`loss_in_data`), not
    ``skill_loss`` of the expected strengths. For one given training set, use its empirical frequencies
    in :func:`skill_strength` instead.

    Parameters
    ----------
    n_samples : array_like
        Training-set sizes ``D >= 0``; broadcast against ``frequencies`` (``D[:, None]`` for a table).
        Non-integer sizes interpolate smoothly (through the regularised incomplete beta function).
    frequencies : array_like
        Skill frequencies ``p_k`` in ``[0, 1]``.
    shots : float
        Samples of a skill needed to learn it, ``>= 1`` (default 1, the skill model).

    Returns
    -------
    numpy.ndarray
        ``P(Bin(D, p_k) >= shots)`` in the broadcast shape; ``1 - (1 - p_k)^D`` for ``shots = 1``.
    """
    D, p = check.broadcastable(n_samples=n_samples, frequencies=frequencies)
    check.fits_in_memory("n_samples (broadcast against frequencies)", _TEMPORARIES * D.size)
    check.positive("n_samples", D, allow_zero=True)
    _probabilities("frequencies", p)
    shots = _shots(shots)
    if shots == 1.0:
        certain = p >= 1.0
        # -expm1 keeps full precision for rare skills, where 1 - (1 - p)^D ≈ D p is tiny.
        return np.where(certain, (D > 0).astype(float), -np.expm1(D * np.log1p(-np.where(certain, 0.0, p))))
    enough = D >= shots
    # I_p(shots, D - shots + 1) is the upper binomial tail itself: no cancellation when it is tiny.
    return np.where(enough, betainc(shots, np.where(enough, D - shots + 1.0, 1.0), p), 0.0)


def _shots(value) -> float:
    shots = check.positive_scalar("shots", value)
    if shots < 1:
        raise ValueError(f"shots must be at least 1 (samples of a skill needed to learn it); got {shots:g}")
    return shots


def skill_strength_in_parameters(n_skills, n_tasks: int) -> np.ndarray:
    """Strength of each skill after training to convergence with only the first ``n_skills`` in the model.

    Paper: Eq. 60.

    ``R_k = 1`` for ``k < N`` and ``0`` otherwise (App. E, Eq. 60): a skill the model lacks is never
    learned, one it has is learned fully.

    Parameters
    ----------
    n_skills : array_like of int
        Numbers ``N`` of skills in the model, ``0 <= N``; broadcast against the skill axis (``N[:, None]``
        for a table).
    n_tasks : int
        Number of skills of the problem.

    Returns
    -------
    numpy.ndarray
        Shape ``broadcast(N, (n_tasks,))``, entries 0 or 1.
    """
    n_tasks = check.positive_int("n_tasks", n_tasks)
    N = _counts("n_skills", n_skills)
    check.fits_in_memory("n_tasks", 2.0 * n_tasks * max(N.size, 1))
    return (np.arange(n_tasks) < N).astype(float)


def _counts(name: str, value) -> np.ndarray:
    array = check.positive(name, value, allow_zero=True)
    if np.any(array != np.round(array)):
        raise ValueError(f"{name} must hold whole numbers; got {check._describe(value)}")
    return array


# ---------------------------------------------------------------------------- losses
def skill_loss(strengths, frequencies, *, target_scale=1.0) -> np.ndarray:
    """Population loss of the skill model from its skill strengths: ``L = S^2/2 sum_k p_k (1 - R_k)^2``.

    Follows from Eq. 2 and ``E[g_k g_l] = δ_kl p_k``. The last axis of ``strengths`` is the skill axis.

    Parameters
    ----------
    strengths : array_like, shape (..., n_skills)
        Skill strengths ``R_k``.
    frequencies : array_like, shape (n_skills,)
        Skill frequencies ``p_k``.
    target_scale : float
        Target scale ``S > 0``.

    Returns
    -------
    numpy.ndarray, shape (...)
    """
    R = check.as_array("strengths", strengths)
    p = _frequencies(frequencies, allow_zero=True)
    S = np.float64(check.positive_scalar("target_scale", target_scale))
    if R.ndim == 0 or R.shape[-1] != p.size:
        raise ValueError(f"strengths must end in the skill axis of length {p.size}; got shape {R.shape}")
    with np.errstate(over="ignore", invalid="ignore"):
        loss = 0.5 * S**2 * ((1.0 - R) ** 2 @ p)
    if not np.all(np.isfinite(loss)):
        raise ValueError(
            f"the loss overflows float64 for strengths up to {np.abs(R).max():.3g} and target_scale={S:.3g}; "
            "strengths are fractions of the target (near [0, 1])"
        )
    return loss


# ---------------------------------------------------------------------------- simulation of the skill model
def skill_moments(frequencies, *, target_scale=1.0) -> Moments:
    """Population second moments of the skill model: skills as inputs of variance ``p_k``, target ``S sum_k g_k``.

    Paper: Eq. 11.

    The skill model is the diagonal linear network (Eq. 3) on these moments (Eq. 11), i.e.
    :func:`labhelpers.core.teacher_moments` with variances ``p_k`` and target scales ``S``.
    """
    p = _frequencies(frequencies)
    S = _moment_scale(target_scale)
    check.fits_in_memory("frequencies", 2.0 * p.size**2)  # the dense moment matrices, n_skills^2 each
    return teacher_moments(p, np.full(p.size, S))


def _moment_scale(target_scale) -> float:
    """A target scale whose square (the target's second moment) is a float."""
    S = check.positive_scalar("target_scale", target_scale)
    if S > 1e150:
        raise ValueError(f"target_scale must be at most 1e150 (its square enters the moments); got {S:.3g}")
    return S


def empirical_skill_moments(problem: SparseParity, data: ParityData, *, target_scale=1.0) -> Moments:
    """Second moments of the skill functions on a finite sample (the skill model fitted to a training set).

    With ``G = problem.skills(X)`` and targets ``S y``: ``sigma_xx = G^T G / n`` is diagonal with the
    empirical task frequencies ``p̂_k`` and ``sigma_xy = S p̂_k``, so each skill follows Eq. 9 with
    ``p_k -> p̂_k`` (:func:`skill_strength` with empirical frequencies). Skills absent from the sample
    have zero moments and never move.

    Parameters
    ----------
    problem : SparseParity
        The problem that produced ``data``.
    data : ParityData
        A sample ``(X, task, y)``, e.g. ``problem.sample(D, seed)``.
    target_scale : float
        Target scale ``S > 0``.
    """
    if not isinstance(problem, SparseParity):
        raise ValueError(f"problem must be a labhelpers.emergence.parity.SparseParity; got {type(problem).__name__}")
    if not isinstance(data, ParityData):
        raise ValueError(
            f"data must be a labhelpers.emergence.parity.ParityData (from problem.sample); got {type(data).__name__}"
        )
    S = _moment_scale(target_scale)
    y = check.as_array("data.y", data.y, ndim=1)
    check.fits_in_memory("problem.n_tasks", 2.0 * problem.n_tasks**2 + 2.0 * y.size * problem.n_tasks)
    G = problem.skills(data.X)
    if G.shape[0] != y.size:
        raise ValueError(f"data.X and data.y must have the same number of samples; got {G.shape[0]} and {y.size}")
    return empirical_moments(G, S * y)


def simulate_skill_model(
    moments: Moments,
    *,
    theta0=1e-3,
    t_max=None,
    n_times: int = 201,
    times=None,
    rtol: float = 1e-12,
    atol: float = 1e-14,
    max_evaluations: int | None = None,
) -> Trajectory:
    """Gradient flow of the skill model (Eq. 11) from a balanced start ``a_k(0) = b_k(0) = sqrt(theta0)``.

    Paper: Eq. 11.

    Integrates the diagonal linear network's flow (Eq. 6) numerically with
    :func:`labhelpers.core.gradient_flow`, to test :func:`skill_strength` against. The moments are
    dense matrices: keep the number of skills to a few hundred.

    Parameters
    ----------
    moments : Moments
        From :func:`skill_moments` (population) or :func:`empirical_skill_moments` (a training set).
    theta0 : float
        Initial ``theta_k = a_k b_k > 0`` of every skill.
    t_max, n_times, times
        Recorded times, as in :func:`labhelpers.core.gradient_flow`.
    rtol, atol : float
        Solver tolerances. Tighter than :func:`~labhelpers.core.gradient_flow`'s defaults: frequent
        skills sit at their fixed point for a long time while rare ones rise. There an explicit solver left
        to its stability limit lets rounding errors of 1e-7 to 1e-6 (relative, depending on the CPU) build
        up, so the step is also capped at ``1 / rate`` of the fastest learned skill (``rate = 2 S p_k``,
        Eq. 9); the error then stays near 1e-12.
    max_evaluations : int, optional
        Evaluation budget of the solver (each evaluation costs ``n_skills^2`` multiply-adds). Default:
        ``labhelpers.core.MAX_EVALUATIONS``, lowered for many skills so that a call costs at most
        about ``1e11`` multiply-adds. A span that cannot finish within it is refused with an error naming
        ``t_max`` (or ``times``).

    Returns
    -------
    Trajectory
        ``end_to_end[:, k, 0]`` is ``theta_k(t)``; divide by ``S`` for the skill strengths.
    """
    moments = _checked_moments(moments)
    theta0 = check.positive_scalar("theta0", theta0)
    n_skills = moments.input_dim
    if times is None and t_max is not None:
        _distinct_times(t_max, n_times)
    budget = _evaluation_budget(n_skills, max_evaluations)
    if times is None and isinstance(n_times, (int, np.integer)) and not isinstance(n_times, bool):
        check.fits_in_memory("n_times", 6.0 * float(n_times) * n_skills)  # the recorded parameters and maps
    a0 = np.full(n_skills, np.sqrt(theta0))
    try:  # overflow in the up-front cost estimate of a huge span only means "refuse": no warning
        with np.errstate(over="ignore"):
            trajectory = gradient_flow(
                DiagonalLinearNetwork(n_skills),
                {"a": a0, "b": a0.copy()},
                moments,
                t_max=t_max,
                n_times=n_times,
                times=times,
                rtol=rtol,
                atol=atol,
                max_step=_stable_step(moments),
                max_evaluations=budget,
            )
    except ValueError as error:
        # The start sets the rate when theta0 exceeds the targets: then theta0, not the span, is to blame.
        start_rate = float(np.max(np.abs(moments.sigma_xx))) * theta0 if n_skills else 0.0
        target_rate = 2.0 * float(np.max(np.abs(moments.sigma_xy))) if n_skills else 0.0  # Eq. 9
        start_is_fast = "rate at the start" in str(error) and start_rate > target_rate
        if "params0" not in str(error) and not start_is_fast:
            raise
        raise ValueError(f"theta0={theta0:.3g} (the start a_k = b_k = sqrt(theta0)) is to blame: {error}") from error
    trajectory.info["model"] = f"skill model (Eq. 11), {n_skills} skills, theta0={theta0}"
    return trajectory


def _checked_moments(moments) -> Moments:
    """``moments`` checked again as when it was built (an in-place edit is caught and names ``moments``)."""
    return _validated("moments", moments)


def _distinct_times(t_max, n_times) -> None:
    """Refuse a ``t_max`` so small that ``n_times`` equally spaced times from 0 collapse onto each other."""
    t_max = check.positive_scalar("t_max", t_max)
    n_times = check.positive_int("n_times", n_times, minimum=2)
    check.fits_in_memory("n_times", n_times)
    if np.any(np.diff(np.linspace(0.0, t_max, n_times)) <= 0):
        raise ValueError(
            f"t_max={t_max!r} is too small to hold n_times={n_times} distinct times from 0 (they round onto "
            "each other); use a larger t_max or fewer n_times"
        )


def _evaluation_budget(n_skills: int, max_evaluations) -> int:
    """The solver's evaluation budget: as asked, or the default capped at ``_FLOW_WORK / n_skills^2``."""
    if max_evaluations is not None:
        return check.positive_int("max_evaluations", max_evaluations, minimum=100)
    budget = min(MAX_EVALUATIONS, int(_FLOW_WORK / n_skills**2))
    if budget < 100:
        raise ValueError(
            f"moments has {n_skills} skills: each flow evaluation costs n_skills^2 = {n_skills**2:.3g} "
            f"multiply-adds, too many for a bounded run; use at most {int((_FLOW_WORK / 100) ** 0.5)} skills "
            "(or pass max_evaluations explicitly)"
        )
    return budget


def _stable_step(moments: Moments) -> float | None:
    """``1 / rate`` of the fastest skill at its fixed point, ``rate = 2 |sigma_xy_k|`` (Eq. 9), or None."""
    fastest = 2.0 * float(np.max(np.abs(moments.sigma_xy))) if moments.sigma_xy.size else 0.0
    return 1.0 / fastest if fastest > 0 else None
