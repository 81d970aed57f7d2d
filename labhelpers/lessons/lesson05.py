"""Lesson 5's reference answers, test cases and tables of common mistakes (grokking, Eq. 15's toy model).

Book: lessons/lesson05_grokking (its self-checks).
"""

from __future__ import annotations

import numpy as np

from .. import grokking as gk
from ..checks import differs_at

__all__ = [
    "BASE",
    "CONSERVED_CASES",
    "CONSERVED_MISTAKES",
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
    (*_pair(gk.sign_init(6, 4, 0.8)), 0.5),
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


# ---------------------------------------------------------------- Exercise 2
def reference_growth(a0, b0, S, Z):
    """Exercise 2: the final growth factor gamma_+ of Theorem I.1, from the initial weights a0, b0."""
    A, B = gk.aligned_scales({"a": a0, "b": b0}, Z)
    return gk.growth_factors(A, B, S)[0]


def _growth_with(a0, b0, S, Z, sign=1.0, swap=False, four=4.0, norm=1.0):
    u2, v2 = np.sum((a0 + b0) ** 2, -1), np.sum((a0 - b0) ** 2, -1)
    A, B = u2 / (4 * Z) * norm, v2 / (4 * Z) * norm
    A, B = (B, A) if swap else (A, B)
    return (S + sign * np.sqrt(S**2 + four * A * B)) / (2 * A)


GROWTH_CASES = [
    (*_pair(_start(5, 0.7, 4)), 1.0, 1.0),
    (*_pair(_start(30, 0.2, 5)), 2.0, 3.0),
    (*_pair(_start(3, 1.0, 6)), 0.5, 1.0),
    (*_pair(gk.sign_init(6, 4, 0.3)), 1.5, 2.0),
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
}


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


# ---------------------------------------------------------------- Exercise 5
def reference_ratio(w, S, kappa, c, sigma_unit):
    """Exercise 5: the effective weight-to-target ratio Sigma_0 / S of the configuration (w, S, kappa, c)."""
    return w**2 * kappa * c * sigma_unit / S


RATIO_CASES = [
    (5.0, 1.0, 1.0, 1.0, 0.2),
    (1.0, 3.0, 1.0, 1.0, 0.5),
    (2.0, 30.0, 0.5, 1.0, 0.1),
    (3.0, 3.0, 0.01, 0.1, 1.0),
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
    "The ratio is Σ₀/S, with S to the first power.": lambda w, S, k, c, s: w**2 * k * c * s / S**2,
}


# ---------------------------------------------------------------- Exercise 6
def reference_takeover(times, a, b, level):
    """Exercise 6: the first recorded time at which the aligned share (Exercise 3) reaches `level`."""
    return times[np.argmax(reference_share(a, b) >= level)]


def _takeover_case(w, S, seed, level):
    start = {k: w * v for k, v in BASE.items()} if seed is None else _start(20, w, seed)
    times = np.geomspace(1e-3, 40.0, 80)
    run = gk.exact_solution(times, start["a"], start["b"], S)
    return times, run["a"], run["b"], level


TAKEOVER_CASES = [
    _takeover_case(1.0, 1.0, None, 0.9),
    _takeover_case(0.1, 1.0, 7, 0.9),
    _takeover_case(0.3, 2.0, 8, 0.8),
    _takeover_case(0.5, 1.0, None, 0.95),
]


def _first_index(times, a, b, level):
    return float(np.argmax(reference_share(a, b) >= level))


TAKEOVER_MISTAKES = {
    "That is the index of the time in `times`; return the time itself.": _first_index,
    "One step too early: that is the last time *below* the level. Return "
    "the first time at which the share is at least the level.": (
        lambda t, a, b, level: t[int(_first_index(t, a, b, level)) - 1]
    ),
    "Your share goes above 1: use your aligned_share of Exercise 3.": (
        lambda t, a, b, level: t[np.argmax(2 * reference_share(a, b) >= level)]
    ),
    "That is the last recorded time. You need the *first* one at which the share reaches the level.": (
        lambda t, a, b, level: t[-1]
    ),
}
