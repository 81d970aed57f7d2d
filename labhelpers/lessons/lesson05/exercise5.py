"""Lesson 5, Exercise 5: ``effective_ratio``, the effective weight-to-target ratio Sigma_0 / S of a
configuration (w, S, kappa, c). The reference answer, the visible cases and the common mistakes with their
hints, the self-check and the grader's hidden check, other valid forms and plausible wrong answers, and the
registry entry ``EXERCISE``.

Book: lessons/lesson05_grokking.md (Exercise 5).
"""

from __future__ import annotations

import numpy as np

from ...checks import Exercise, check_function
from .common import _title


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
        _title(5, "effective_ratio"),
        effective_ratio,
        reference_ratio,
        RATIO_CASES,
        hints=RATIO_MISTAKES,
        show=show,
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
        _title(5, "effective_ratio"),
        effective_ratio,
        reference_ratio,
        cases,
        hints=RATIO_MISTAKES,
        show=False,
    )


def _ratio_via_z_eff(w, S, kappa, c, sigma_unit):
    Z_eff = 1 / (c * kappa)
    return np.square(w) * sigma_unit / Z_eff / S


def _ratio_float32(w, S, kappa, c, sigma_unit):
    return np.float32(1.0) * np.asarray(reference_ratio(w, S, kappa, c, sigma_unit), dtype=np.float32)


EXERCISE = Exercise(
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
)
