"""Tests for the collapse explorer of labhelpers.widgets (Sec. 5): the UFM's features and NC1 over time."""

from __future__ import annotations

import struct

import numpy as np
import pytest

import labhelpers as lh
from labhelpers import collapse as co
from labhelpers.collapse import collapse_curves
from labhelpers.widgets import SliderFigure, collapse_explorer


def png_size(png: bytes) -> tuple[int, int]:
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", png[16:24])


@pytest.fixture(scope="module")
def curves():
    return collapse_curves((1e-3, 0.5), (0.0, 0.5, 8.0), n_times=161)


def test_collapse_curves_are_ufm_runs(curves):
    assert curves["times"].shape == (161,) and curves["nc1"].shape == (161, 2)
    assert curves["coords"].shape == (2, 3, 30, 2)
    np.testing.assert_allclose(curves["snapshot_times"], [0.0, 0.5, 8.0])
    # The same numbers as a direct train_ufm run and the collapse metrics.
    run = co.train_ufm(3, 10, 8, init_scale=0.5, t_max=8.0, n_times=161, seed=0)
    np.testing.assert_allclose(curves["nc1"][:, 1], co.nc1(run.params["H"], run.info["labels"]), rtol=1e-10)
    # Each snapshot is rescaled to unit root mean square length.
    rms = np.sqrt((curves["coords"] ** 2).sum(-1).mean(-1))
    np.testing.assert_allclose(rms, 1.0, rtol=1e-12)


def test_small_start_collapses_large_start_does_not(curves):
    nc1 = curves["nc1"]
    assert nc1[0, 0] > 1.0 and nc1[0, 1] > 1.0  # random starts: no collapse
    assert nc1[-1, 0] < 1e-12  # small start: NC1 down to rounding error
    assert 1e-3 < nc1[-1, 1] < 0.5  # large start: part of the random features is never trained away
    # The collapsed snapshot is a simplex ETF: class means at unit distance, 120 degrees apart, in the plane.
    # At t = 8 from scale 1e-3 the snapshot is still O(sigma^2) from the ETF (7e-7 measured, the same on any
    # CPU: it is the finite run time, not rounding), so the tolerance is 1e-5 (a 14x margin).
    means, _ = co.class_means(curves["coords"][0, -1], curves["labels"])
    np.testing.assert_allclose(np.linalg.norm(means, axis=1), 1.0, rtol=1e-5)
    cosines = (means @ means.T)[np.triu_indices(3, 1)]
    np.testing.assert_allclose(cosines, -0.5, atol=1e-5)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"init_scales": (0.0, 0.1)}, r"init_scales must be strictly positive"),
        ({"init_scales": ()}, r"init_scales must hold at least one value"),
        ({"snapshot_times": (0.0, 2.0, 1.0)}, r"snapshot_times must be non-negative and increasing"),
        ({"snapshot_times": (-1.0, 2.0)}, r"snapshot_times must be non-negative and increasing"),
        ({"snapshot_times": (0.0,)}, r"ending after 0"),
        ({"n_classes": 1}, r"n_classes must be an integer >= 2"),
    ],
)
def test_collapse_explorer_rejects_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        collapse_explorer(**kwargs)


def test_collapse_explorer_frames():
    explorer = collapse_explorer((1e-2, 0.5), (0.0, 1.0, 4.0), dpi=30)
    assert isinstance(explorer, SliderFigure)
    assert explorer.names == ("init_scale", "time") and explorer.shape == (2, 3)
    assert explorer.initial == {"init_scale": 1e-2, "time": 1.0}
    frames = explorer.frames()
    assert len(set(frames)) == 6 and len({png_size(f) for f in frames}) == 1
    assert 'data-param="init_scale"' in explorer.to_html()
    assert lh.widgets.collapse_explorer is collapse_explorer
