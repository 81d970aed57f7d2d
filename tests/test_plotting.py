"""Plotting (labhelpers.plotting), on the Agg backend (set in conftest.py; figures closed after each test).

theory_vs_simulation must report the exact largest relative error and draw one line per theory curve,
one marker series per simulated curve, and two legend proxies; phase_portrait's dashed curves must lie
on the conserved hyperbolas a^2 - b^2 = C (to 1e-12) and its solid curve on the minima ab = S.
"""

from __future__ import annotations

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pytest

import labhelpers as lh
from labhelpers import plotting


def test_backend_is_headless():
    assert matplotlib.get_backend().lower() == "agg"


def test_relative_error_is_the_largest_pointwise_relative_deviation():
    theory = np.array([1.0, -2.0, 4.0, 0.5])
    simulation = theory * np.array([1.0, 1.0 + 3e-7, 1.0 - 1e-6, 1.0 + 2e-7])
    assert plotting.relative_error(simulation, theory) == pytest.approx(1e-6, rel=1e-6)
    # Where the theory is zero, the floor stands in for |theory|.
    assert plotting.relative_error([1e-9], [0.0], floor=1e-6) == pytest.approx(1e-3, rel=1e-12)


@pytest.mark.parametrize("n_curves", [1, 3])
def test_theory_vs_simulation_error_and_lines(n_curves):
    times = np.linspace(0, 5, 51)
    theory = lh.sigmoidal_mode(times[:, None], np.arange(1, n_curves + 1), 0.01)
    perturbation = np.zeros_like(theory)
    perturbation[20, -1] = 2e-5  # one known relative deviation
    simulation = theory * (1 + perturbation)
    if n_curves == 1:
        theory, simulation = theory[:, 0], simulation[:, 0]
    ax, error = lh.plotting.theory_vs_simulation(times, simulation, theory, every=4)
    assert error == pytest.approx(2e-5, rel=1e-9)
    assert len(ax.lines) == 2 * n_curves + 2  # theory lines, simulation markers, two legend proxies
    theory_lines, marker_lines = ax.lines[0 : 2 * n_curves : 2], ax.lines[1 : 2 * n_curves : 2]
    for k, (line, markers) in enumerate(zip(theory_lines, marker_lines)):
        column = theory if n_curves == 1 else theory[:, k]
        np.testing.assert_array_equal(line.get_ydata(), column)
        assert len(markers.get_xdata()) == 13  # every 4th of 51 points
        assert markers.get_linestyle() == "None" and line.get_color() == markers.get_color()
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["theory", "simulation"]


def test_theory_vs_simulation_draws_on_given_axes_with_labels():
    fig, ax = plt.subplots()
    times = np.linspace(0, 1, 5)
    curves = np.column_stack([times, 2 * times + 1])
    returned, error = lh.plotting.theory_vs_simulation(times, curves, curves, ax=ax, labels=["one", "two"])
    assert returned is ax and error == 0.0
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["one", "two", "theory", "simulation"]
    assert ax.get_xlabel() == "time $t$"


def test_phase_portrait_draws_the_conserved_hyperbolas_and_minima():
    S, imbalances, extent = 0.8, [-1.0, 0.0, 0.5, 1e-3], 2.0
    ax = lh.plotting.phase_portrait(S, imbalances=imbalances, extent=extent, density=11)
    assert len(ax.collections) > 0  # the streamplot of the flow field
    minima, *branches, proxy = ax.lines
    assert len(branches) == 2 * len(imbalances)
    a, b = minima.get_xdata(), minima.get_ydata()
    drawn = np.isfinite(a)
    np.testing.assert_allclose(a[drawn] * b[drawn], S, rtol=1e-12)
    for k, C in enumerate(imbalances):
        for line in branches[2 * k : 2 * k + 2]:
            a, b = line.get_xdata(), line.get_ydata()
            np.testing.assert_allclose(a**2 - b**2, C, atol=1e-12 * np.max(a**2 + b**2))
            # Each branch leaves the plotted square (even for small C): its whole visible part is drawn.
            assert np.max(np.abs(a)) >= extent and np.max(np.abs(b)) >= extent
    assert ax.get_xlim() == (-extent, extent) and ax.get_ylim() == (-extent, extent)
    assert proxy.get_label().startswith("conserved")


def test_use_style_sets_the_palette():
    with matplotlib.rc_context():
        lh.plotting.use_style()
        assert plt.rcParams["axes.prop_cycle"].by_key()["color"] == list(lh.plotting.PALETTE)
        assert plt.rcParams["legend.frameon"] is False


# ---------------------------------------------------------------------------- bad input
def test_relative_error_rejects_bad_input():
    with pytest.raises(ValueError, match="simulation and theory must have the same shape"):
        plotting.relative_error([1.0, 2.0], [1.0])
    with pytest.raises(ValueError, match="simulation and theory must not be empty"):
        plotting.relative_error([], [])
    with pytest.raises(ValueError, match="floor must be strictly positive"):
        plotting.relative_error([1.0], [0.0], floor=0.0)
    with pytest.raises(ValueError, match="theory must contain only finite"):
        plotting.relative_error([1.0], [np.nan])


def test_theory_vs_simulation_rejects_bad_input():
    times = np.linspace(0, 1, 5)
    good = np.ones((5, 2))
    draw = lh.plotting.theory_vs_simulation
    with pytest.raises(ValueError, match=r"times \(5,\), simulation \(4, 2\) and theory \(5, 2\)"):
        draw(times, good[:4], good)
    with pytest.raises(ValueError, match=r"times \(4,\)"):
        draw(times[:4], good, good)
    with pytest.raises(ValueError, match="simulation and theory|theory"):
        draw(times, good, np.ones((5, 3)))
    with pytest.raises(ValueError, match="times must be 1-D"):
        draw(good, good, good)
    with pytest.raises(ValueError, match="simulation must be 1-D or 2-D"):
        draw(times, np.ones((5, 2, 1)), good)
    with pytest.raises(ValueError, match="simulation must contain only finite"):
        draw(times, np.full((5, 2), np.nan), good)
    with pytest.raises(ValueError, match="every must be an integer >= 1"):
        draw(times, good, good, every=0)
    with pytest.raises(ValueError, match=r"labels must list one label per curve \(2\)"):
        draw(times, good, good, labels=["only one"])
    with pytest.raises(ValueError, match="labels must list one label per curve"):
        draw(times, good, good, labels="ab")
    with pytest.raises(ValueError, match="colors must list at least one colour"):
        draw(times, good, good, colors=[])


def test_phase_portrait_rejects_bad_input():
    with pytest.raises(ValueError, match="target_scale must be 0-D"):
        lh.plotting.phase_portrait([1.0, 2.0])
    with pytest.raises(ValueError, match="target_scale must contain only finite"):
        lh.plotting.phase_portrait(np.nan)
    for extent in (0.0, -1.0):
        with pytest.raises(ValueError, match="extent must be strictly positive"):
            lh.plotting.phase_portrait(1.0, extent=extent)
    with pytest.raises(ValueError, match="density must be an integer >= 5"):
        lh.plotting.phase_portrait(1.0, density=2)
    with pytest.raises(ValueError, match="imbalances must contain only finite"):
        lh.plotting.phase_portrait(1.0, imbalances=[0.5, np.inf])
    with pytest.raises(ValueError, match="imbalances must be 0-D or 1-D"):
        lh.plotting.phase_portrait(1.0, imbalances=np.ones((2, 2)))
