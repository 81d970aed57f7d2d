"""Hardening of the chapter-1 core (issue 11): edge domains of product_mode, divergence and cost of descent.

product_mode is compared with an independent 1000-digit evaluation (tests/core/modes_reference.py). The
tolerance is ``1e-11 |reference| + 2e-15 * scale``, where ``scale = max(|S|, |theta0|, |C|)``: a relative
error of 1e-11, with an absolute floor of ten rounding units of the problem's scale where theta crosses
zero. Measured on this grid: worst relative error 3.5e-13 (where |theta| > 1e-3 scale; margin 29x), and
worst absolute error 1.5e-16 of the scale where theta is near zero (margin 13x).
"""

from __future__ import annotations

import itertools
import time

import numpy as np
import pytest
from modes_reference import product_mode_reference

import labhelpers as lh
from labhelpers.core.divergence import DivergenceError

CASES = list(
    itertools.product(
        [1.0, 0.0, -1.0, 1e-3],  # S
        [-1.0, -0.3, 0.0, 1e-9, 0.2, 1.0, 3.0],  # theta0
        [0.0, 1e-320, 1e-100, 1e-20, 1e-3, 1.0, 1e80],  # C
    )
)
TIMES = (0.0, 0.1, 7.0, 1e3, 1e9)
SCALES = (1e-310, 1e-150, 1.0, 1e150, 1e300)


@pytest.mark.parametrize("scale", SCALES)
def test_product_mode_is_finite_and_accurate_at_every_scale(scale):
    """Scaling S, theta0, C by k and t by 1/k scales theta by k (the flow is homogeneous)."""
    for S, theta0, C in CASES:
        with np.errstate(over="ignore", under="ignore"):
            args = np.array([S, theta0, C]) * scale
            times = np.array(TIMES) / scale
        if not np.all(np.isfinite(args)) or np.max(np.abs(args)) > 1e307:
            continue
        times = times[np.isfinite(times)]
        got = lh.product_mode(times, args[0], args[1], imbalance=args[2])
        assert np.all(np.isfinite(got))
        size = np.max(np.abs(args))
        for t, value in zip(times, got):
            reference = product_mode_reference(t, *args)
            assert abs(value - reference) <= 1e-11 * abs(reference) + 2e-15 * size + 1e-322, (S, theta0, C, t, scale)


def test_tiny_imbalance_no_longer_gives_nan():
    """The issue's example: C = 1e-100 from theta0 = -1 was NaN at every t."""
    t = np.array([0.0, 1.0, 30.0, 300.0])
    got = lh.product_mode(t, 1, -1, imbalance=1e-100)
    expected = [product_mode_reference(x, 1, -1, 1e-100) for x in t]
    np.testing.assert_allclose(got, expected, rtol=1e-11, atol=0)  # measured 2e-15
    assert got[-1] == pytest.approx(1.0)  # the mode escapes the saddle around t = 115 and saturates


def test_product_mode_huge_time_and_variance_stay_finite():
    got = lh.product_mode([0.0, 1e300, 1.7e308], 1.0, 0.1, variance=1e300)
    assert got[0] == pytest.approx(0.1, rel=1e-15) and np.all(got[1:] == 1.0)


@pytest.mark.parametrize("on", ["moments", "samples"])
def test_three_steps_at_a_huge_lr_stop_at_the_step(on):
    model = lh.DiagonalLinearNetwork(2)
    moments = lh.teacher_moments([1.0, 1.0], [1.0, 2.0])
    X = lh.gaussian_features(50, [1.0, 1.0])
    data = {"moments": moments} if on == "moments" else {"X": X, "Y": lh.teacher_targets(X, [1.0, 2.0])}
    params = {"a": np.full(2, 0.5), "b": np.full(2, 0.5)}
    with pytest.raises(DivergenceError, match=r"diverged at step 1: .*learning rate"):
        lh.gradient_descent(model, params, lr=1e3, steps=3, **data)


def test_descent_refuses_absurd_cost_quickly_and_checks_flags():
    model = lh.DiagonalLinearNetwork(2)
    moments = lh.teacher_moments([1.0, 1.0], [1.0, 2.0])
    params = {"a": np.full(2, 0.5), "b": np.full(2, 0.5)}
    started = time.perf_counter()
    with pytest.raises(ValueError, match="steps=1000000000000 .*MAX_DESCENT_WORK"):
        lh.gradient_descent(model, params, lr=0.1, steps=10**12, moments=moments)
    assert time.perf_counter() - started < 1.0
    for bad in (1, "yes", np.array([True])):
        with pytest.raises(ValueError, match="progress"):
            lh.gradient_descent(model, params, lr=0.1, steps=2, moments=moments, progress=bad)
    X = lh.gaussian_features(20, [1.0, 1.0])
    for bad in ("gpu", 1, "cuda:x"):
        with pytest.raises(ValueError, match="device"):
            lh.gradient_descent(model, params, lr=0.1, steps=2, X=X, Y=X[:, 0], device=bad)


# ---------------------------------------------------------------------------- the other closed forms of modes.py
# Each is compared with its 1000-digit reference over scales 1e-310 .. 1e300 of every argument (the flow is
# homogeneous: scaling S, theta0, C by k and t by 1/k scales theta by k, and a time by 1/k). A value beyond the
# float range must be a clear error; everything else finite and within the stated tolerance.
MODE_SCALES = (1e-310, 1e-200, 1e-100, 1.0, 1e100, 1e200, 1e300)


def _variances(variance, scale):
    return [v for v in (variance, variance / scale, variance * scale) if 0 < v < 1.7e308]


def _worst(errors):
    return max(errors) if errors else 0.0


def test_linear_mode_at_every_scale():
    """Tolerance 1e-14 relative (results below 1e-300 aside); measured worst 6.2e-16: margin 16x."""
    from modes_reference import linear_mode_reference

    errors = []
    cases = [(1.0, 0.0, 1.0), (1.0, -1.0, 2.0), (-2.0, 1.0, 0.5), (1.0, 0.999, 1.0), (1.0, -1.0, 1.0)]
    for scale, (S, theta0, variance) in itertools.product(MODE_SCALES, cases):
        for var in _variances(variance, scale):
            times = np.array([0.0, 1e-300, 1e-3, 1.0, 30.0, 1e300, 1.7e308])
            got = lh.linear_mode(times, S * scale, variance=var, theta0=theta0 * scale)
            assert np.all(np.isfinite(got))
            for t, value in zip(times, got):
                reference = linear_mode_reference(t, S * scale, var, theta0 * scale)
                if abs(reference) > 1e-300:
                    errors.append(abs(value - reference) / abs(reference))
    assert _worst(errors) < 1e-14
    # E[x^2] t = 1e-400 underflows: theta = S E[x^2] t = 1e-100 all the same.
    assert lh.linear_mode(1e-200, 1e300, variance=1e-200) == pytest.approx(1e-100, rel=1e-15)
    # theta0 - S overflows, theta does not: it lies between theta0 and S.
    assert lh.linear_mode(0.0, -1.5e308, theta0=1.5e308) == 1.5e308
    assert lh.linear_mode(np.log(2.0), -1.5e308, theta0=1.5e308) == pytest.approx(0.0, abs=1e293)


def test_sigmoidal_mode_at_every_scale():
    """Tolerance 1e-13 relative; measured worst 4.6e-15: margin 21x.

    The largest errors are where S/theta0 overflows and the logistic is evaluated in logarithms.
    """
    from modes_reference import sigmoidal_mode_reference

    errors = []
    cases = [
        (1.0, 1e-3, 1.0),
        (-1.0, -1e-6, 2.0),
        (1.0, 0.999, 1.0),
        (1.0, 1e-300, 1.0),
        (1.0, 5e-324, 1.0),
        (1.0, 3.0, 1.0),
        (1.0, 1e160, 1.0),  # from far beyond the target: 1 + (S/theta0 - 1) e^{-x} would cancel
        (-1e-300, -1e10, 1.0),  # ... with S/theta0 subnormal
    ]
    times = np.array([0.0, 1e-300, 1e-3, 1.0, 30.0, 400.0, 1e300, 1.7e308])
    for scale, (S, theta0, variance) in itertools.product(MODE_SCALES, cases):
        for var in _variances(variance, scale):
            if theta0 * scale == 0 or not abs(theta0 * scale) < 1.7e308 or S * scale == 0:
                continue
            got = lh.sigmoidal_mode(times, S * scale, theta0 * scale, variance=var)
            assert np.all(np.isfinite(got))
            for t, value in zip(times, got):
                reference = sigmoidal_mode_reference(t, S * scale, theta0 * scale, var)
                if abs(reference) > 1e-300:
                    errors.append(abs(value - reference) / abs(reference))
    assert _worst(errors) < 1e-13
    # From 1.7e308 towards S = 1e-320 at t = 1e-320: x = 2e-640 underflows, (theta0/S) x = 3.4e-12 does not.
    expected = sigmoidal_mode_reference(1e-320, 1e-320, 1.7e308)
    assert lh.sigmoidal_mode(1e-320, 1e-320, 1.7e308) == pytest.approx(expected, rel=1e-15)
    # A product S * theta0 that underflows is not a sign error.
    assert lh.sigmoidal_mode(0.0, -1e-200, -1e-206) == -1e-206


def test_half_rise_time_at_every_scale():
    """Tolerance 1e-14 relative; measured worst 2.1e-16: margin 47x. Times beyond 1.8e308 are errors."""
    from modes_reference import half_rise_time_reference

    errors, overflows = [], 0
    cases = [(1.0, 1e-3), (1.0, 0.49), (1.0, 1e-300), (2.0, 5e-324), (1.0, 0.5 - 1e-16), (3.0, 0.999)]
    for scale, (S, theta0) in itertools.product(MODE_SCALES, cases):
        for var in _variances(1.0, scale) + [1e-300, 1e300]:
            if theta0 * scale == 0 or theta0 * scale >= S * scale / 2:
                continue
            reference = half_rise_time_reference(S * scale, theta0 * scale, var)
            if not abs(reference) < 1.7976e308:
                overflows += 1
                with pytest.raises(ValueError, match="half_rise_time is beyond the float range"):
                    lh.half_rise_time(S * scale, theta0 * scale, variance=var)
                continue
            got = lh.half_rise_time(S * scale, theta0 * scale, variance=var)
            errors.append(abs(got - reference) / abs(reference) if reference else abs(got) / 5e-324)
    assert overflows > 0 and _worst(errors) < 1e-14


def test_linear_saturation_time_at_every_scale():
    """Tolerance 1e-14 relative; measured worst 0 (correctly rounded on this grid)."""
    from modes_reference import linear_saturation_time_reference

    errors = []
    for q, var in itertools.product([1e-300, 1e-10, 0.5, 1 - 1e-16, 1 - 1e-10], [1e-300, 1e-100, 1.0, 1e300]):
        reference = linear_saturation_time_reference(q, var)
        got = lh.linear_saturation_time(q, variance=var)
        errors.append(abs(got - reference) / reference if reference else abs(got) / 5e-324)  # 1e-600 -> 0
    assert _worst(errors) < 1e-14
    with pytest.raises(ValueError, match="linear_saturation_time is beyond the float range"):
        lh.linear_saturation_time(0.5, variance=1e-310)


SATURATION_CASES = [
    (0.5, 1.0, 1e-3, 0.0, 1.0),
    (0.9, 1.0, -0.5, 1e-3, 2.0),
    (0.5, 1.0, -1.0, 1e-100, 1.0),
    (0.99, 1.0, 0.1, 100.0, 1.0),
    (1 - 1e-12, 1.0, 1e-6, 0.0, 1.0),
    (1 - 1e-12, 3.0, 1e-6, 0.0, 1.0),  # S - q S would cancel: S (1 - q) does not
    (1e-3 + 1e-12, 1.0, 1e-3, 0.5, 1.0),  # just above the start: ill-conditioned, see the docstring
    (0.5, 1.0, 1e-300, 1e-300, 1.0),  # C^2 and theta0^2 underflow
    (0.5, 2.0, -3.0, 1e-30, 1.0),
]


def test_saturation_time_at_every_scale():
    """Error measured in units of the time scale ``1/(E[x^2] sqrt(4 S^2 + C^2))`` or relative to the time,
    whichever is larger (near the start the time is a difference of logarithms: only its absolute error is
    small). Tolerance 1e-14; measured worst 5.0e-16: margin 20x. Times beyond 1.8e308 are errors."""
    import mpmath
    from modes_reference import saturation_time_reference

    errors = []
    for scale, (q, S, theta0, C, variance) in itertools.product(MODE_SCALES, SATURATION_CASES):
        for var in _variances(variance, scale):
            args = (q, S * scale, theta0 * scale, C * scale, var)
            if args[2] <= 0 and args[3] == 0:
                with pytest.raises(ValueError, match="anti-aligned"):
                    lh.saturation_time(*args[:3], imbalance=args[3], variance=var)
                continue
            reference = saturation_time_reference(*args)
            if not abs(reference) < 1.7976e308:
                with pytest.raises(ValueError, match="saturation_time is beyond the float range"):
                    lh.saturation_time(*args[:3], imbalance=args[3], variance=var)
                continue
            got = lh.saturation_time(*args[:3], imbalance=args[3], variance=var)
            with mpmath.workdps(30):
                unit = float(
                    1 / (mpmath.mpf(var) * mpmath.sqrt(4 * mpmath.mpf(args[1]) ** 2 + mpmath.mpf(args[3]) ** 2))
                )
            errors.append(abs(got - reference) / max(abs(reference), unit, 1e-320))
    assert _worst(errors) < 1e-14


def test_saturation_time_is_bit_identical_for_the_books_arguments():
    """The lessons call it with S = 1 (powers of two) and fraction 1/2: the unit-scale form changes no bit."""
    q, theta0, p = 0.5, 1e-3, np.array([0.5, 0.1, 1e-3])
    S, C = 1.0, 0.0
    radius = np.sqrt(C**2 + 4.0 * theta0**2)
    w0, w = radius + 2.0 * theta0, np.sqrt(C**2 + 4.0 * (q * S) ** 2) + 2.0 * q * S
    root = np.sqrt(4.0 * S**2 + C**2)
    w_minus = -(C**2) / (2.0 * S + root)
    log_ratio = np.log(w0 / w) + np.log((S - theta0) / (S - q * S)) + 2.0 * np.log((w - w_minus) / (w0 - w_minus))
    np.testing.assert_array_equal(lh.saturation_time(q, S, theta0, variance=p), log_ratio / (p * root))


def test_product_mode_at_the_top_of_the_float_range():
    """Arguments up to 1.7e308 (the power-of-two scale stops at 2^1023) and anti-aligned starts far beyond
    the target (|theta0| >> S with C = 0, where 1 + (S/theta0 - 1) e^y used to cancel to 0). Tolerance
    1e-11 relative (measured 2.9e-13: margin 35x) with an absolute floor of 1e-15 of the scale where theta
    crosses zero (measured 7.5e-17: margin 13x)."""
    times = np.array([0.0, 1e-320, 1e-308, 1e-300, 1.0, 1e300])
    values = [1.7e308, -1.7e308, 1e308, 0.0, 1.0]
    for S, theta0, C in itertools.product(values, [-1.7e308, -1e307, 0.0, 1.0, 1.7e308], [0.0, 1.0, 1.7e308]):
        size = max(abs(S), abs(theta0), abs(C))
        got = lh.product_mode(times, S, theta0, imbalance=C)
        assert np.all(np.isfinite(got))
        for t, value in zip(times, got):
            reference = product_mode_reference(t, S, theta0, C)
            assert abs(value - reference) <= 1e-11 * abs(reference) + 1e-15 * size + 1e-322, (S, theta0, C, t)


def test_mode_closed_forms_at_random_extreme_arguments():
    """60 seeded draws, every argument log-uniform over 1e-300 .. 1e300 (times down to 1e-320), against the
    1000-digit references. Tolerance 1e-13 (saturation_time in units of its time scale where larger);
    measured worst 3.9e-16 over these 231 comparisons (5.6e-16 over 400 draws): margin 180x."""
    import mpmath
    from modes_reference import (
        half_rise_time_reference,
        linear_mode_reference,
        saturation_time_reference,
        sigmoidal_mode_reference,
    )

    rng = np.random.default_rng(1)

    def log_uniform(low, high):
        return 10.0 ** rng.uniform(low, high)

    errors = []
    for _ in range(60):
        S, v = log_uniform(-300, 300) * rng.choice([-1.0, 1.0]), log_uniform(-300, 300)
        theta0, t = log_uniform(-300, 300) * np.sign(S), log_uniform(-320, 308) * rng.choice([0.0, 1.0, 1.0])
        reference = sigmoidal_mode_reference(t, S, theta0, v)
        if abs(reference) > 1e-300:
            errors.append(abs(lh.sigmoidal_mode(t, S, theta0, variance=v) - reference) / abs(reference))
        start = log_uniform(-300, 300) * rng.choice([-1.0, 1.0])
        reference = linear_mode_reference(t, S, v, start)
        floor = 1e-16 * max(abs(S), abs(start))  # theta crossing zero: the scale's rounding
        errors.append(abs(lh.linear_mode(t, S, variance=v, theta0=start) - reference) / max(abs(reference), floor))
        S = abs(S)
        small = max(S * log_uniform(-300, -0.31), 5e-324)
        reference = half_rise_time_reference(S, small, v)
        if abs(reference) < 1.7e308:
            errors.append(abs(lh.half_rise_time(S, small, variance=v) - reference) / max(abs(reference), 1e-320))
        q, C = rng.uniform(0.01, 0.999), log_uniform(-300, 300) * rng.choice([-1.0, 1.0])
        theta0 = S * q * rng.uniform(-3.0, 0.99)
        reference = saturation_time_reference(q, S, theta0, C, v)
        if abs(reference) < 1.7e308:
            got = lh.saturation_time(q, S, theta0, imbalance=C, variance=v)
            with mpmath.workdps(30):
                unit = float(1 / (mpmath.mpf(v) * mpmath.sqrt(4 * mpmath.mpf(S) ** 2 + mpmath.mpf(C) ** 2)))
            errors.append(abs(got - reference) / max(abs(reference), unit, 1e-320))
    assert len(errors) > 150 and _worst(errors) < 1e-13
