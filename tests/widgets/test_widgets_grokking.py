"""Tests for the grokking explorer (Sec. 7): its curves are Theorem I.1's closed forms, its frames render."""

from __future__ import annotations

import struct

import numpy as np
import pytest

import labhelpers as lh
from labhelpers import grokking as grok


def png_size(png: bytes) -> tuple[int, int]:
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", png[16:24])


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"ratios": (0.0, 1.0)}, r"ratios must be strictly positive"),
        ({"ratios": (1.0, 1.0)}, r"ratios must not repeat values"),
        ({"Zs": (-1.0,)}, r"Zs must be strictly positive"),
        ({"widths": (3, 8)}, r"widths must be even integers from 2 to 128"),
        ({"widths": (256,)}, r"widths must be even integers from 2 to 128"),
        ({"target_scale": 0.0}, r"target_scale must be strictly positive"),
    ],
)
def test_grokking_explorer_rejects_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        lh.widgets.grokking_explorer(**kwargs)


def test_grokking_curves_are_the_closed_forms():
    S = 2.0
    curves = lh.grokking.grokking_curves((0.01, 100.0), (1.0, 5.0), (4,), target_scale=S, n_times=121)
    t = curves["times"]
    assert curves["slope"].shape == (121, 2, 2) and np.all(np.diff(np.log(t)) > 0)
    # gain of the aligned features + retreat of the anti-aligned ones = slope (beta_0 = 0), and both are Theorem I.1
    np.testing.assert_allclose(curves["gain"] + curves["retreat"], curves["slope"], atol=1e-12)
    half = 100.0 * S / 2
    np.testing.assert_allclose(
        curves["slope"][:, 1, 1], grok.exact_slope(t, half, half, S, 5.0) / S, rtol=1e-12, atol=1e-15
    )
    # the window covers the learning for every combination, and starts before it
    assert np.all(np.abs(curves["slope"][-1] - 1) < 1e-3) and np.all(curves["slope"][0] < 0.1)
    # rich: the aligned features do all the work; lazy: the work is split evenly (gamma+ ~ 1 + 1/rho)
    assert curves["gain"][-1, 0, 0] > 0.99 and curves["retreat"][-1, 0, 0] < 0.01
    # gamma+ ~ 1 + 1/rho is a lazy-limit approximation: at rho = 100 the split is 0.5025 (Theorem I.1 exactly),
    # a deterministic quarter of the tolerance.
    np.testing.assert_allclose(curves["gain"][-1, 1], 0.5, atol=0.01)
    # Two routes to the same number differ by rounding only: 2.5e-15 measured, so rtol 1e-13 (a 40x margin).
    np.testing.assert_allclose(curves["gamma_plus"], grok.gamma_plus_from_ratio([0.01, 100.0]), rtol=1e-13)
    # Z changes only the clock: the curves for Z = 5 are those for Z = 1 at 5 times the time
    late = t[t * 5 <= t[-1]]
    np.testing.assert_allclose(
        np.interp(5 * late, t, curves["slope"][:, 0, 1]), np.interp(late, t, curves["slope"][:, 0, 0]), atol=2e-2
    )


def test_grokking_explorer_frames():
    explorer = lh.widgets.grokking_explorer(ratios=(0.1, 10.0), Zs=(1.0,), widths=(2, 8), dpi=30)
    assert explorer.names == ("ratio", "Z_value", "width") and explorer.shape == (2, 1, 2)
    assert explorer.initial == {"ratio": 0.1, "Z_value": 1.0, "width": 8}
    frames = explorer.frames()
    assert len(set(frames)) == 4 and {png_size(f) for f in frames} == {(228, 132)}
    assert "ratio Σ₀/S" in explorer.to_html()
