"""Lesson 5's exercises (grokking, Eq. 15's toy model): reference answers, visible and hidden test cases,
tables of common mistakes, and the registry ``EXERCISES`` whose ``self_check`` the lesson's check cells call.

Book: lessons/lesson05_grokking (its self-checks) and the grader (:mod:`labhelpers.grade`).
"""

from __future__ import annotations

import re

import numpy as np

from .. import grokking as gk
from ..checks import (
    INCORRECT,
    Exercise,
    Exercises,
    Verdict,
    check,
    check_function,
    differs_at,
    make_verdict,
    word_answers,
)

__all__ = [
    "BASE",
    "CONSERVED_CASES",
    "CONSERVED_MISTAKES",
    "EXERCISES",
    "EXPECTED_RICH",
    "GROWTH_CASES",
    "GROWTH_MISTAKES",
    "P_WIDTH",
    "RATIO_CASES",
    "RATIO_MISTAKES",
    "REGIME_HINTS",
    "RICH_ABOVE",
    "RICH_OR_LAZY",
    "SHARE_CASES",
    "SHARE_MISTAKES",
    "SIGMA_UNIT",
    "STARTS",
    "START_NAMES",
    "START_WEIGHTS",
    "TAKEOVER_CASES",
    "TAKEOVER_MISTAKES",
    "final_share_theory",
    "reference_conserved",
    "reference_growth",
    "reference_ratio",
    "reference_share",
    "reference_takeover",
    "self_check",
]

# The lesson's Setup constants (same values as there).
P_WIDTH = 50  # hidden units p
SIGMA_UNIT = 0.2  # weight scale Sigma_0 of BASE (with Z = 1)
RICH_ABOVE = 0.9  # rich: aligned components end with > 90% of Sigma


def _base_start() -> dict[str, np.ndarray]:
    """The lesson's BASE: symmetrised Gaussian units (a, b) and (a, -b), so beta_0 = 0, at Sigma_0 = SIGMA_UNIT."""
    pairs = np.random.default_rng(5).standard_normal((2, P_WIDTH // 2))
    base = {"a": np.concatenate([pairs[0], pairs[0]]), "b": np.concatenate([pairs[1], -pairs[1]])}
    factor = np.sqrt(SIGMA_UNIT / gk.weight_scale(base))
    return {name: factor * w for name, w in base.items()}


#: The lesson's base start (built as in its Setup cell).
BASE = _base_start()


def _start(p, std, seed, batch=()):
    return gk.gaussian_init(p, std, batch_shape=batch, seed=seed)


def _pair(params):
    return params["a"], params["b"]


def _title(number: int, title: str) -> str:
    return f"Exercise {number}: {title}"


_BATCH_HINT = (
    "It works on one set of weights but not on this batch of shape {shape}: reduce the last axis only (the "
    "units), since later cells pass whole trajectories, one row per recorded time."
)


def _with_batch_hint(verdict: Verdict, cases: list, show: bool) -> Verdict:
    """Show ``verdict``, adding the batch hint when the first failure is a batched case that fails or has the
    wrong shape (a 1-D-only answer: ``np.dot``, ``a @ b``, a sum over all axes), not a wrong value."""
    match = re.match(r"Test input (\d+) of \d+ ", verdict.message)
    message = verdict.message
    if verdict.status == INCORRECT and match:
        first = cases[int(match.group(1)) - 1][0]
        wrong_shape = "raised" in message or re.search(r": the output should be (an array|a single number)", message)
        if np.ndim(first) > 1 and wrong_shape:
            message = f"{message} {_BATCH_HINT.format(shape=np.shape(first))}"
    return make_verdict(verdict.name, verdict.status, message, show=show)


def _gaussian_pair(rng, batch, p, std):
    return std * rng.standard_normal((*batch, p)), std * rng.standard_normal((*batch, p))


def _normalisation(rng, p):
    """A Z of each kind a student meets: a float, an integer, or the NTK's sqrt(p)."""
    kind = int(rng.integers(3))
    return float(rng.uniform(0.3, 4.0)) if kind == 0 else int(rng.integers(2, 6)) if kind == 1 else np.sqrt(p)


# ---------------------------------------------------------------- Exercise 1
def reference_conserved(a, b, Z):
    """Exercise 1: Sigma**2 - beta**2 of Eq. 15's network, conserved by gradient flow (last axis: units)."""
    weights = {"a": a, "b": b}
    return gk.weight_scale(weights, Z) ** 2 - gk.slope(weights, Z) ** 2


def _sigma_beta(a, b, Z):
    return (np.sum(a**2 + b**2, -1) / (2 * Z), np.sum(a * b, -1) / Z)


CONSERVED_CASES = [
    (*_pair(_start(5, 0.7, 1)), 1.0),
    (*_pair(_start(8, 0.5, 2, (3,))), 2.5),
    (*_pair(_start(20, 1.0, 3)), np.sqrt(20.0)),
    (*_pair(gk.sign_init(6, 4, 0.8)), 2),
]
CONSERVED_MISTAKES = {
    "Both Σ and β carry the output normalisation 1/Z (see their definitions under Eq. 15). "
    "Did you leave out Z?": lambda a, b, Z: reference_conserved(a, b, 1.0),
    "Look again at the prefactor of Σ in its definition: with it, Σ = β when every aᵢ = bᵢ.": (
        lambda a, b, Z: (2 * _sigma_beta(a, b, Z)[0]) ** 2 - _sigma_beta(a, b, Z)[1] ** 2
    ),
    "Square both: the conserved quantity is Σ² − β², not Σ − β.": (lambda a, b, Z: np.subtract(*_sigma_beta(a, b, Z))),
    "Σ² − β², in this order: it is never negative, since |β| ≤ Σ.": (lambda a, b, Z: -reference_conserved(a, b, Z)),
}


def _check_conserved(conserved_quantity, show=True):
    verdict = check_function(
        _title(1, "conserved_quantity"),
        conserved_quantity,
        reference_conserved,
        CONSERVED_CASES,
        hints=CONSERVED_MISTAKES,
        show=False,
    )
    return _with_batch_hint(verdict, CONSERVED_CASES, show)


def _hidden_conserved(conserved_quantity, rng):
    cases = []
    for batch in [(), (int(rng.integers(2, 6)),), (2, int(rng.integers(2, 4)))]:
        p = int(rng.integers(2, 40))
        cases.append((*_gaussian_pair(rng, batch, p, rng.uniform(0.1, 1.5)), _normalisation(rng, p)))
    a = rng.standard_normal(int(rng.integers(3, 12)))
    cases += [(a, a.copy(), int(rng.integers(2, 5))), (a, -a, rng.uniform(0.5, 3.0))]  # all aligned, anti-aligned
    return check_function(
        _title(1, "conserved_quantity"),
        conserved_quantity,
        reference_conserved,
        cases,
        hints=CONSERVED_MISTAKES,
        show=False,
    )


def _conserved_as_list(a, b, Z):
    return np.asarray(reference_conserved(a, b, Z)).tolist()


def _conserved_float32(a, b, Z):
    return np.float32(reference_conserved(a, b, Z)) if np.ndim(a) == 1 else reference_conserved(a, b, Z).astype("f4")


def _conserved_factored(a, b, Z):
    Sigma = (np.einsum("...i,...i->...", a, a) + np.einsum("...i,...i->...", b, b)) / (2 * Z)
    beta = np.einsum("...i,...i->...", a, b) / Z
    return (Sigma - beta) * (Sigma + beta)


def _conserved_all_axes(a, b, Z):
    return (np.sum(a**2 + b**2) / (2 * Z)) ** 2 - (np.sum(a * b) / Z) ** 2


def _conserved_dot(a, b, Z):
    return (np.dot(a, a) + np.dot(b, b)) ** 2 / (2 * Z) ** 2 - (np.dot(a, b) / Z) ** 2


def _conserved_no_square_of_Z(a, b, Z):
    Sigma, beta = _sigma_beta(a, b, 1.0)
    return (Sigma**2 - beta**2) / Z


# ---------------------------------------------------------------- Exercise 2
def reference_growth(a0, b0, S, Z):
    """Exercise 2: the final growth factor gamma_+ of Theorem I.1, from the initial weights a0, b0."""
    A, B = gk.aligned_scales({"a": a0, "b": b0}, Z)
    return gk.growth_factors(A, B, S)[0]


def _growth_with(a0, b0, S, Z, sign=1.0, swap=False, four=4.0, norm=1.0, half=2.0):
    u2, v2 = np.sum((a0 + b0) ** 2, -1), np.sum((a0 - b0) ** 2, -1)
    A, B = u2 / (4 * Z) * norm, v2 / (4 * Z) * norm
    A, B = (B, A) if swap else (A, B)
    return (S + sign * np.sqrt(S**2 + four * A * B)) / (half * A)


GROWTH_CASES = [
    (*_pair(_start(5, 0.7, 4)), 1.0, 1.0),
    (*_pair(_start(30, 0.2, 5)), 2.0, 3.0),
    (*_pair(_start(3, 1.0, 6)), 0.5, 1),
    (*_pair(gk.sign_init(6, 4, 0.3)), 2, 2),
]
GROWTH_MISTAKES = {
    "That is γ₋, the negative root of the quadratic. The growth factor is its positive root: "
    "check the sign in front of the square root.": (lambda a0, b0, S, Z: _growth_with(a0, b0, S, Z, sign=-1.0)),
    "A and B are the other way round: A belongs to the aligned components uᵢ = aᵢ + bᵢ, "
    "B to the anti-aligned vᵢ = aᵢ − bᵢ.": lambda a0, b0, S, Z: _growth_with(a0, b0, S, Z, swap=True),
    "Compare the term under the square root with the formula for γ₊, factor by factor.": (
        lambda a0, b0, S, Z: _growth_with(a0, b0, S, Z, four=1.0)
    ),
    "Check the normalisation of A and B: they must satisfy A + B = Σ₀ and A − B = β₀.": (
        lambda a0, b0, S, Z: _growth_with(a0, b0, S, Z, norm=4 * Z)
    ),
    "A and B both carry the output normalisation 1/(4Z): did you leave out Z?": (
        lambda a0, b0, S, Z: _growth_with(a0, b0, S, Z, norm=Z)
    ),
}


def _check_growth(final_growth, show=True):
    return check_function(
        _title(2, "final_growth"), final_growth, reference_growth, GROWTH_CASES, hints=GROWTH_MISTAKES, show=show
    )


def _hidden_growth(final_growth, rng):
    cases = []
    for _ in range(3):
        p = int(rng.integers(2, 40))
        S = float(rng.uniform(0.2, 5.0)) if rng.random() < 0.5 else int(rng.integers(1, 6))
        cases.append((*_gaussian_pair(rng, (), p, rng.uniform(0.05, 1.5)), S, _normalisation(rng, p)))
    a = rng.standard_normal(int(rng.integers(3, 12)))
    noise = 0.05 * rng.standard_normal(a.size)
    cases += [(a, a + noise, 1.0, 2), (a, noise - a, 3, 1.0)]  # nearly aligned (B small), nearly anti-aligned
    return check_function(
        _title(2, "final_growth"), final_growth, reference_growth, cases, hints=GROWTH_MISTAKES, show=False
    )


def _growth_other_root_form(a0, b0, S, Z):
    """The same root as 2B / (sqrt(S**2 + 4AB) - S), from Sigma_0 and beta_0."""
    Sigma0, beta0 = np.sum(a0**2 + b0**2) / (2 * Z), np.sum(a0 * b0) / Z
    A, B = (Sigma0 + beta0) / 2, (Sigma0 - beta0) / 2
    return 2 * B / (np.sqrt(S**2 + 4 * A * B) - S)


def _growth_float32(a0, b0, S, Z):
    return np.float32(reference_growth(a0, b0, S, Z))


# ---------------------------------------------------------------- Exercise 3
def reference_share(a, b):
    """Exercise 3: the share A / Sigma of the weight scale carried by the aligned components a + b."""
    return np.sum((a + b) ** 2, -1) / (2 * np.sum(a**2 + b**2, -1))


_g3 = np.random.default_rng(33)
SHARE_CASES = [
    (_g3.standard_normal(7), _g3.standard_normal(7)),
    (_g3.standard_normal((4, 9)), _g3.standard_normal((4, 9))),
    tuple(_g3.standard_normal((2, 3, 2, 5))),
]
SHARE_MISTAKES = {
    "Your share goes above 1, which a share cannot: count the denominator again. "
    "What do (aᵢ + bᵢ)² and (aᵢ − bᵢ)² add up to?": lambda a, b: 2 * reference_share(a, b),
    "You compared the norms themselves; Σ, A and B are sums of *squares*.": (
        lambda a, b: np.linalg.norm(a + b, axis=-1) / (np.linalg.norm(a + b, axis=-1) + np.linalg.norm(a - b, axis=-1))
    ),
    "That is the anti-aligned share, B/Σ. The aligned share uses aᵢ + bᵢ.": (lambda a, b: 1 - reference_share(a, b)),
}


def _check_share(aligned_share, show=True):
    verdict = check_function(
        _title(3, "aligned_share"), aligned_share, reference_share, SHARE_CASES, hints=SHARE_MISTAKES, show=False
    )
    return _with_batch_hint(verdict, SHARE_CASES, show)


def _hidden_share(aligned_share, rng):
    cases = [_gaussian_pair(rng, batch, int(rng.integers(2, 30)), 1.0) for batch in [(), (5,), (2, 3)]]
    a = rng.standard_normal((3, int(rng.integers(2, 10))))
    cases += [(a, np.zeros_like(a)), (a, a.copy()), (a, -a)]  # shares 1/2, 1 and 0
    return check_function(
        _title(3, "aligned_share"), aligned_share, reference_share, cases, hints=SHARE_MISTAKES, show=False
    )


def _share_from_slope(a, b):
    """(1 + beta / Sigma) / 2: the same share, since A = (Sigma + beta) / 2."""
    return (1 + 2 * np.sum(a * b, axis=-1) / np.sum(a**2 + b**2, axis=-1)) / 2


def _share_float32(a, b):
    return reference_share(a, b).astype(np.float32)


def _share_all_axes(a, b):
    return np.sum((a + b) ** 2) / np.sum((a + b) ** 2 + (a - b) ** 2)


def _share_matmul(a, b):
    return (a + b) @ (a + b) / ((a + b) @ (a + b) + (a - b) @ (a - b))


def _share_aligned_over_anti(a, b):
    return np.sum((a + b) ** 2, -1) / np.sum((a - b) ** 2, -1)


# ---------------------------------------------------------------- Exercise 4
#: Six starts (width p, std of the weights, Z, target S), named A to F.
START_NAMES = ["A", "B", "C", "D", "E", "F"]
STARTS = [
    (50, 0.1, 1.0, 2.0),
    (50, 0.1, 1.0, 0.02),
    (50, 1.0, 1.0, 2.0),
    (50, 1.0, 1.0, 500.0),
    (2500, 1.0, 50.0, 10.0),
    (16, 1.0, 4.0, 10.0),
]
START_WEIGHTS = [_start(p, std, seed=k) for k, (p, std, _, _) in enumerate(STARTS)]


def final_share_theory(Sigma0, beta0, S):
    """Final aligned share (1 + S / Sigma_inf) / 2 (conservation law)."""
    return 0.5 * (1 + S / np.sqrt(S**2 + Sigma0**2 - beta0**2))


_start_shares = [
    final_share_theory(gk.weight_scale(w, Z), gk.slope(w, Z), S) for w, (_, _, Z, S) in zip(START_WEIGHTS, STARTS)
]
EXPECTED_RICH = (np.array(_start_shares) > RICH_ABOVE).astype(float)

RICH_OR_LAZY = {"rich": 1.0, "lazy": 0.0}  # how word_answers scores the words

REGIME_HINTS = [
    (lambda a, e: np.any(a < 0), 'Write each answer as the word "lazy" or "rich", one per start.'),
    (
        differs_at(0, 1),
        "A and B have the same weights and differ only in the target. "
        "Estimate Σ₀ ≈ p·std²/Z for them and compare it with each target S.",
    ),
    (
        differs_at(2, 3),
        "C and D have the same, larger weights and differ only in the target. "
        "Estimate their Σ₀ and compare it with each target S.",
    ),
    (
        differs_at(4),
        "Look again at E, the NTK start at width 2500: with Z = √p, how large is Σ₀ next to its target S?",
    ),
    (
        differs_at(5),
        "Look again at F, the NTK start at width 16: with Z = √p, how large is Σ₀ next to its target S?",
    ),
    (
        lambda a, e: True,
        "For each start estimate Σ₀ ≈ p·std²/Z and compare it with S: rich "
        "when Σ₀/S is well below 1, lazy when it is well above.",
    ),
]


def _check_regimes(regimes, show=True):
    return check(
        _title(4, "lazy or rich"), word_answers(regimes, RICH_OR_LAZY), EXPECTED_RICH, hints=REGIME_HINTS, show=show
    )


def _hidden_regimes(regimes, rng):
    """The words against what makes them right: the final share by the conservation law, both from the estimate
    Sigma_0 = p std**2 / Z (beta_0 = 0) and from the very weights the lesson simulates (``rng`` is not needed)."""
    estimated = [final_share_theory(p * std**2 / Z, 0.0, S) for p, std, Z, S in STARTS]
    for shares in (estimated, _start_shares):
        verdict = check(
            _title(4, "lazy or rich"),
            word_answers(regimes, RICH_OR_LAZY),
            (np.array(shares) > RICH_ABOVE).astype(float),
            hints=REGIME_HINTS,
            show=False,
        )
        if not verdict.correct:
            return verdict
    return verdict


_REGIME_WORDS = ["rich", "lazy", "lazy", "rich", "lazy", "rich"]


def _flipped(*indices):
    return [("lazy" if w == "rich" else "rich") if k in indices else w for k, w in enumerate(_REGIME_WORDS)]


# ---------------------------------------------------------------- Exercise 5
def reference_ratio(w, S, kappa, c, sigma_unit):
    """Exercise 5: the effective weight-to-target ratio Sigma_0 / S of the configuration (w, S, kappa, c)."""
    return w**2 * kappa * c * sigma_unit / S


RATIO_CASES = [
    (5.0, 1.0, 1.0, 1.0, 0.2),
    (1.0, 3.0, 1.0, 1.0, 0.5),
    (2.0, 30.0, 0.5, 1.0, 0.1),
    (3.0, 3.0, 0.01, 0.1, 1.0),
    (5, 2, 1, 1, 1),
    (np.array([1.0, 5.0]), 3.0, np.array([1.0, 0.1]), 2.0, 0.2),
]
RATIO_MISTAKES = {
    "κ enters your ratio squared. E[x′²] = κ² is true, but the network sees κ through its output: "
    "write f(x′) in terms of x and read off Z_eff.": lambda w, S, k, c, s: w**2 * k**2 * c * s / S,
    "Your ratio is linear in w. How does Σ₀ change when a and b are both multiplied by w? "
    "Look at its definition.": lambda w, S, k, c, s: w * k * c * s / S,
    "A smaller output scale c must lower the ratio, and yours raises it. Which Z_eff does the "
    "factor c give, and how does Σ₀ depend on Z?": lambda w, S, k, c, s: w**2 * k * s / (c * S),
    "Downscaling the inputs must lower the ratio (it acts like a larger target), and yours "
    "raises it: check where κ enters Z_eff.": lambda w, S, k, c, s: w**2 * c * s / (k * S),
    "Smaller inputs and a smaller output must both lower the ratio, and yours raises it for both: "
    "how does Z_eff depend on c and κ, and Σ₀ on Z?": lambda w, S, k, c, s: w**2 * s / (k * c * S),
    "The ratio is Σ₀/S, with S to the first power.": lambda w, S, k, c, s: w**2 * k * c * s / S**2,
    "Your ratio ignores sigma_unit, the weight scale of the base start: Σ₀ is measured from it.": (
        lambda w, S, k, c, s: w**2 * k * c / S
    ),
}


def _check_ratio(effective_ratio, show=True):
    return check_function(
        _title(5, "effective_ratio"), effective_ratio, reference_ratio, RATIO_CASES, hints=RATIO_MISTAKES, show=show
    )


def _hidden_ratio(effective_ratio, rng):
    def draw(size=None):
        return (
            rng.uniform(0.2, 6.0, size),
            rng.uniform(0.1, 50.0, size),
            rng.uniform(0.01, 1.0, size),
            rng.uniform(0.05, 2.0, size),
            rng.uniform(0.05, 1.0),
        )

    cases = [tuple(float(x) for x in draw()) for _ in range(3)]
    cases.append(tuple(int(x) for x in (rng.integers(1, 7), rng.integers(1, 20), 1, 1, 1)))
    w, S, kappa, c, sigma_unit = draw(3)
    cases.append((w, S[0], kappa, c.reshape(3, 1), sigma_unit))  # broadcasts to (3, 3)
    return check_function(
        _title(5, "effective_ratio"), effective_ratio, reference_ratio, cases, hints=RATIO_MISTAKES, show=False
    )


def _ratio_via_z_eff(w, S, kappa, c, sigma_unit):
    Z_eff = 1 / (c * kappa)
    return np.square(w) * sigma_unit / Z_eff / S


def _ratio_float32(w, S, kappa, c, sigma_unit):
    return np.float32(1.0) * np.asarray(reference_ratio(w, S, kappa, c, sigma_unit), dtype=np.float32)


# ---------------------------------------------------------------- Exercise 6
def reference_takeover(times, a, b, level=RICH_ABOVE):
    """Exercise 6: the first recorded time at which the aligned share (Exercise 3) reaches `level`."""
    return times[np.argmax(reference_share(a, b) >= level)]


def _takeover_case(w, S, seed, level):
    if seed == "anti":  # a start nearly anti-aligned (b = -a + noise): the share starts near 0
        start = {"a": w * BASE["a"], "b": w * (0.5 * BASE["b"] - BASE["a"])}
    else:
        start = {k: w * v for k, v in BASE.items()} if seed is None else _start(20, w, seed)
    times = np.geomspace(1e-3, 40.0, 80)
    run = gk.exact_solution(times, start["a"], start["b"], S)
    return times, run["a"], run["b"], level


TAKEOVER_CASES = [
    _takeover_case(1.0, 1.0, None, 0.9),
    _takeover_case(0.1, 1.0, 7, 0.9),
    _takeover_case(0.3, 2.0, 8, 0.8),
    _takeover_case(0.5, 1.0, None, 0.95),
    _takeover_case(0.5, 1.0, "anti", RICH_ABOVE)[:3],  # the default level, as later cells call it
]


def _first_index(times, a, b, level=RICH_ABOVE):
    return float(np.argmax(reference_share(a, b) >= level))


TAKEOVER_MISTAKES = {
    "That is the index of the time in `times`; return the time itself.": _first_index,
    "One step too early: that is the last time *below* the level. Return "
    "the first time at which the share is at least the level.": (
        lambda t, a, b, level=RICH_ABOVE: t[int(_first_index(t, a, b, level)) - 1]
    ),
    "Your share goes above 1: use your aligned_share of Exercise 3.": (
        lambda t, a, b, level=RICH_ABOVE: t[np.argmax(2 * reference_share(a, b) >= level)]
    ),
    "That is the last recorded time. You need the *first* one at which the share reaches the level.": (
        lambda t, a, b, level=RICH_ABOVE: t[-1]
    ),
}


def _check_takeover(takeover_time, show=True):
    return check_function(
        _title(6, "takeover_time"),
        takeover_time,
        reference_takeover,
        TAKEOVER_CASES,
        hints=TAKEOVER_MISTAKES,
        show=show,
    )


def _hidden_takeover_case(rng, first=False, std=(0.05, 0.5)):
    """A run of a fresh Gaussian start, and a level between two recorded shares that differ (or below the first)."""
    while True:
        start = gk.gaussian_init(int(rng.integers(5, 30)), rng.uniform(*std), seed=int(rng.integers(1000)))
        times = np.geomspace(rng.uniform(1e-4, 1e-2), rng.uniform(20.0, 60.0), int(rng.integers(40, 120)))
        run = gk.exact_solution(times, start["a"], start["b"], rng.uniform(0.5, 3.0))
        share = reference_share(run["a"], run["b"])
        steps = np.flatnonzero(np.diff(share) > 1e-5) + 1
        if first:
            return times, run["a"], run["b"], share[0] - 0.01
        if steps.size:
            j = int(rng.choice(steps))
            return times, run["a"], run["b"], (share[j - 1] + share[j]) / 2


def _hidden_takeover(takeover_time, rng):
    cases = [_hidden_takeover_case(rng) for _ in range(3)] + [_hidden_takeover_case(rng, first=True)]
    cases.append(_hidden_takeover_case(rng, std=(0.03, 0.1))[:3])  # a rich start, at the default level
    return check_function(
        _title(6, "takeover_time"), takeover_time, reference_takeover, cases, hints=TAKEOVER_MISTAKES, show=False
    )


def _takeover_nonzero(times, a, b, level=RICH_ABOVE):
    return float(times[np.nonzero(reference_share(a, b) >= level)[0][0]])


def _takeover_loop(times, a, b, level=RICH_ABOVE):
    for t, share in zip(times, _share_from_slope(a, b)):
        if share >= level:
            return t
    return times[-1]


def _takeover_no_default(times, a, b, level):
    return reference_takeover(times, a, b, level)


def _takeover_time_of_max(times, a, b, level=RICH_ABOVE):
    return times[np.argmax(reference_share(a, b))]


def _takeover_anti_share(times, a, b, level=RICH_ABOVE):
    return times[np.argmax(1 - reference_share(a, b) >= level)]


# ---------------------------------------------------------------- the registry
EXERCISES = Exercises(
    [
        Exercise(
            1,
            "conserved_quantity",
            answers=("conserved_quantity",),
            check=_check_conserved,
            hidden=_hidden_conserved,
            minutes=10,
            reference=(reference_conserved,),
            valid=((_conserved_as_list,), (_conserved_float32,), (_conserved_factored,)),
            wrong=(
                *(((fn,), hint) for hint, fn in CONSERVED_MISTAKES.items()),
                ((_conserved_all_axes,), "reduce the last axis only"),
                ((_conserved_dot,), "reduce the last axis only"),
                ((_conserved_no_square_of_Z,), None),
            ),
        ),
        Exercise(
            2,
            "final_growth",
            answers=("final_growth",),
            check=_check_growth,
            hidden=_hidden_growth,
            minutes=15,
            reference=(reference_growth,),
            valid=((_growth_other_root_form,), (_growth_float32,), (lambda a0, b0, S, Z: _growth_with(a0, b0, S, Z),)),
            wrong=(
                *(((fn,), hint) for hint, fn in GROWTH_MISTAKES.items()),
                ((lambda a0, b0, S, Z: _growth_with(a0, b0, S, Z, half=1.0),), None),
            ),
        ),
        Exercise(
            3,
            "aligned_share",
            answers=("aligned_share",),
            check=_check_share,
            hidden=_hidden_share,
            minutes=10,
            reference=(reference_share,),
            valid=((_share_from_slope,), (_share_float32,)),
            wrong=(
                *(((fn,), hint) for hint, fn in SHARE_MISTAKES.items()),
                ((_share_all_axes,), "reduce the last axis only"),
                ((_share_matmul,), "reduce the last axis only"),
                ((_share_aligned_over_anti,), None),
            ),
        ),
        Exercise(
            4,
            "lazy or rich",
            answers=("regimes",),
            check=_check_regimes,
            hidden=_hidden_regimes,
            minutes=15,
            reference=(list(_REGIME_WORDS),),
            valid=(
                (tuple(_REGIME_WORDS),),
                ([w.upper() for w in _REGIME_WORDS],),
                ([f" {w.capitalize()} " for w in _REGIME_WORDS],),
                (np.array(_REGIME_WORDS),),
            ),
            wrong=(
                ((_flipped(0),), "A and B have the same weights"),
                ((_flipped(1),), "A and B have the same weights"),
                ((_flipped(2),), "C and D have the same, larger weights"),
                ((_flipped(3),), "C and D have the same, larger weights"),
                ((_flipped(4),), "Look again at E"),
                ((_flipped(5),), "Look again at F"),
                ((["rich", "lazy", "lazy", "rich", "lazy", "fast"],), 'as the word "lazy" or "rich"'),
                (([1, 0, 0, 1, 0, 1],), 'as the word "lazy" or "rich"'),
                ((["rich"] * 6,), "A and B have the same weights"),
                ((_REGIME_WORDS[:5],), None),
            ),
        ),
        Exercise(
            5,
            "effective_ratio",
            answers=("effective_ratio",),
            check=_check_ratio,
            hidden=_hidden_ratio,
            minutes=20,
            reference=(reference_ratio,),
            valid=((_ratio_via_z_eff,), (_ratio_float32,)),
            wrong=(
                *(((fn,), hint) for hint, fn in RATIO_MISTAKES.items()),
                ((lambda w, S, k, c, s: w**2 * k * c * s / (2 * S),), None),
            ),
        ),
        Exercise(
            6,
            "takeover_time",
            answers=("takeover_time",),
            check=_check_takeover,
            hidden=_hidden_takeover,
            minutes=10,
            reference=(reference_takeover,),
            valid=((_takeover_nonzero,), (_takeover_loop,)),
            wrong=(
                *(((fn,), hint) for hint, fn in TAKEOVER_MISTAKES.items()),
                ((_takeover_no_default,), "missing 1 required positional argument"),
                ((_takeover_time_of_max,), None),
                ((_takeover_anti_share,), None),
            ),
        ),
    ]
)
self_check = EXERCISES.self_check
