"""Plotting (labhelpers.plotting), on the Agg backend (set in conftest.py; figures closed after each test).

theory_vs_simulation must report the exact largest relative error and draw one line per theory curve,
one marker series per simulated curve, and two legend proxies; phase_portrait's dashed curves must lie
on the conserved hyperbolas a^2 - b^2 = C (to 1e-12) and its solid curve on the minima ab = S;
convergence_plot must recover the exponent of an exact power law to 1e-12. glue must hand its value to
myst_nb when that is installed, and print it otherwise.
"""

from __future__ import annotations

import sys
import types

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pytest

import labhelpers as lh
from labhelpers import plotting

SLOPE_TOL = 1e-12


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


@pytest.mark.paper("Eq. 6", "Eq. 8")
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


def test_theory_vs_simulation_default_labels_and_legend_choices():
    times = np.linspace(0, 1, 5)
    ax, _ = lh.plotting.theory_vs_simulation(times, times, times)
    assert ax.get_ylabel() == r"$\theta(t)$"
    assert ax.get_legend()._loc == 0  # "best"
    ax, _ = lh.plotting.theory_vs_simulation(times, times, times, legend="upper left")
    assert ax.get_legend()._loc == 2
    ax, _ = lh.plotting.theory_vs_simulation(times, times, times, legend=False)
    assert ax.get_legend() is None


def test_phase_portrait_draws_trajectories_and_places_its_legend():
    a = np.column_stack([np.linspace(0.1, 1.0, 7), np.linspace(1.5, 1.2, 7)])
    b = np.column_stack([np.linspace(0.1, 1.0, 7), np.linspace(0.2, 0.8, 7)])
    ax = lh.plotting.phase_portrait(1.0, imbalances=[0.0], density=5, trajectories=(a, b), legend="below")
    paths = [line for line in ax.lines if len(line.get_xdata()) == 7]
    assert len(paths) == 2
    for k, line in enumerate(paths):
        np.testing.assert_array_equal(line.get_xdata(), a[:, k])
        np.testing.assert_array_equal(line.get_ydata(), b[:, k])
    starts = [line for line in ax.lines if line.get_marker() == "o" and len(line.get_xdata()) == 2]
    np.testing.assert_array_equal(starts[0].get_xdata(), a[0])
    legend = ax.get_legend()
    assert [t.get_text() for t in legend.get_texts()][-1] == "trajectories (dot: start)"
    assert legend._loc == 9 and legend._ncols == 2  # "upper center" of a box under the axes
    assert lh.plotting.phase_portrait(1.0, density=5, legend=False).get_legend() is None
    assert lh.plotting.phase_portrait(1.0, density=5).get_legend()._loc == 4  # "lower right"


@pytest.mark.parametrize("order", [1.0, 1.5])
def test_convergence_plot_recovers_the_exponent(order):
    steps = np.array([0.5, 0.2, 0.1, 0.05, 0.01])
    errors = 3.0 * steps**order
    ax, slope = lh.plotting.convergence_plot(steps, errors, order=order, label="error")
    assert slope == pytest.approx(order, abs=SLOPE_TOL)
    measured, reference = ax.lines
    np.testing.assert_array_equal(measured.get_ydata(), errors)
    np.testing.assert_allclose(reference.get_ydata(), errors, rtol=1e-12)  # reference through the smallest step
    assert measured.get_label() == f"error (slope {order:.2f})"
    assert ax.get_xscale() == ax.get_yscale() == "log"
    # The fit discriminates: errors one order lower give a slope one lower.
    assert lh.plotting.convergence_plot(steps, errors / steps)[1] == pytest.approx(order - 1, abs=SLOPE_TOL)


def test_glue_hands_values_to_myst_nb(monkeypatch):
    calls = []
    fake = types.ModuleType("myst_nb")
    fake.glue = lambda name, value, display=True: calls.append((name, value, display))
    monkeypatch.setitem(sys.modules, "myst_nb", fake)
    lh.plotting.glue("fb_slope", np.float64(1.25))
    lh.plotting.glue("fb_count", np.int64(7))
    lh.plotting.glue("fb_gap", np.array(3e-9))
    assert calls == [("fb_slope", 1.25, False), ("fb_count", 7, False), ("fb_gap", 3e-9, False)]
    assert type(calls[0][1]) is float and type(calls[1][1]) is int


def test_glue_prints_without_myst_nb(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "myst_nb", None)  # import myst_nb now raises ImportError
    lh.plotting.glue("fb_slope", np.float64(0.987654))
    lh.plotting.glue("fb_count", 7)
    assert capsys.readouterr().out == "fb_slope = 0.988\nfb_count = 7\n"


@pytest.mark.paper("Fig. 1")
def test_course_map_shows_the_four_phenomena():
    fig = lh.plotting.course_map()
    texts = {t.get_text() for ax in fig.axes for t in ax.texts}
    assert {"Emergence", "Neural collapse", "Lazy / rich regimes", "Grokking"} <= texts
    assert any(text.startswith("Chapter 1") for text in texts)
    assert len(fig.axes) == 5  # the canvas and one sketch per phenomenon
    assert not any("coming" in text for text in texts)  # the map names only chapters that exist


def test_course_map_is_readable_in_the_book_column():
    with matplotlib.rc_context():
        lh.plotting.use_style()
        fig = lh.plotting.course_map()
        smallest = lh.plotting.smallest_text_pt(fig)
        width_px = fig.get_tightbbox().width * fig.dpi  # the inline PNG's natural width
        # At a 1280-px window the book shows an image at most 688 CSS px wide.
        css_px = smallest * fig.dpi / 72 * min(1.0, 688 / width_px)
        plt.close(fig)
    assert smallest >= 9 and css_px >= 10, f"smallest text {smallest:g} pt shows at {css_px:.2f} CSS px"


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
    with pytest.raises(ValueError, match="target_scale must be a single number"):
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


def test_legend_choice_is_validated():
    times = np.linspace(0, 1, 5)
    for draw in (
        lambda legend: lh.plotting.theory_vs_simulation(times, times, times, legend=legend),
        lambda legend: lh.plotting.phase_portrait(1.0, density=5, legend=legend),
        lambda legend: lh.plotting.convergence_plot([0.1, 0.01], [1.0, 0.1], legend=legend),
    ):
        for legend in ("top", True, None, 3):
            with pytest.raises(ValueError, match="legend must be False or one of 'best'"):
                draw(legend)


def test_phase_portrait_rejects_bad_trajectories():
    with pytest.raises(ValueError, match=r"trajectories must be a pair \(a, b\)"):
        lh.plotting.phase_portrait(1.0, trajectories=np.ones((3, 2)))
    with pytest.raises(ValueError, match=r"trajectories \(a, b\) must have one non-empty shape"):
        lh.plotting.phase_portrait(1.0, trajectories=(np.ones((3, 2)), np.ones((3, 1))))
    with pytest.raises(ValueError, match=r"trajectories\[1\] must contain only finite"):
        lh.plotting.phase_portrait(1.0, trajectories=(np.ones(3), np.full(3, np.nan)))
    with pytest.raises(ValueError, match=r"trajectories\[0\] must be 1-D or 2-D"):
        lh.plotting.phase_portrait(1.0, trajectories=(np.ones((3, 2, 1)), np.ones((3, 2, 1))))


def test_convergence_plot_rejects_bad_input():
    draw = lh.plotting.convergence_plot
    with pytest.raises(ValueError, match="step_sizes must be strictly positive"):
        draw([0.1, 0.0], [1.0, 0.5])
    with pytest.raises(ValueError, match="errors must be strictly positive"):
        draw([0.1, 0.01], [1.0, 0.0])
    with pytest.raises(ValueError, match="step_sizes and errors must have one length of at least 2"):
        draw([0.1, 0.01], [1.0, 0.5, 0.2])
    with pytest.raises(ValueError, match="step_sizes and errors must have one length of at least 2"):
        draw([0.1], [1.0])
    with pytest.raises(ValueError, match="errors must be 1-D"):
        draw([0.1, 0.01], [[1.0, 0.5]])
    with pytest.raises(ValueError, match="order must be strictly positive"):
        draw([0.1, 0.01], [1.0, 0.5], order=0.0)


def test_glue_rejects_bad_names():
    for name in ("", "fb slope", "1st", 3, None):
        with pytest.raises(ValueError, match="name must be a Python identifier"):
            lh.plotting.glue(name, 1.0)


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda t: lh.plotting.theory_vs_simulation(t, t, t, ax="left"), "ax must be None or a matplotlib Axes"),
        (lambda t: lh.plotting.theory_vs_simulation(t, t, t, labels=[3]), r"labels\[0\] must be a string"),
        (lambda t: lh.plotting.theory_vs_simulation(t, t, t, colors="red"), "colors must list"),
        (lambda t: lh.plotting.theory_vs_simulation(t, t, t, colors=["nope"]), r"colors\[0\] must be a matplotlib"),
        (lambda t: lh.plotting.theory_vs_simulation(t, t, t, xlabel=None), "xlabel must be a string"),
        (lambda t: lh.plotting.theory_vs_simulation(t, t, t, legend=np.array(["best"])), "legend must be False"),
        (lambda t: lh.plotting.phase_portrait(1.0, ax=3), "ax must be None"),
        (lambda t: lh.plotting.phase_portrait(1.0, density=10**6), "density"),
        (lambda t: lh.plotting.phase_portrait(1.0, density=True), "density"),
        (lambda t: lh.plotting.phase_portrait(1.0, imbalances=np.linspace(-1, 1, 51)), "imbalances"),
        (lambda t: lh.plotting.convergence_plot([0.1, 0.01], [1.0, 0.1], label=1), "label must be a string"),
        (lambda t: lh.plotting.convergence_plot([0.1, 0.01], [1.0, 0.1], ylabel=b"e"), "ylabel must be a string"),
    ],
)
def test_plot_arguments_are_validated(call, match):
    with pytest.raises(ValueError, match=match):
        call(np.linspace(0, 1, 5))
    plt.close("all")


def test_labels_may_be_a_numpy_array_of_strings():
    t = np.linspace(0, 1, 5)
    ax, _ = lh.plotting.theory_vs_simulation(t, np.ones((5, 2)), np.ones((5, 2)), labels=np.array(["a", "b"]))
    assert [x.get_text() for x in ax.get_legend().get_texts()][:2] == ["a", "b"]
    plt.close("all")


# ---------------------------------------------------------------------------- API fuzz regressions (wave 2)
def test_relative_error_refuses_what_it_cannot_represent():
    # The difference overflows but the ratio does not: halved on both sides, exact (powers of two).
    assert plotting.relative_error([1e308], [-1e308]) == 2.0
    # The true ratio is 1e312: an error naming simulation, not inf.
    with pytest.raises(ValueError, match="simulation"):
        plotting.relative_error([1e300], [0.0])
    with pytest.raises(ValueError, match="simulation"):
        lh.plotting.theory_vs_simulation([0.0, 1.0], [1e300, 1.0], [0.0, 1.0])
    plt.close("all")


def test_phase_portrait_refuses_degenerate_planes():
    for S in (0.0, -1.0):  # S = 0: both axes are minima, which the drawing cannot show
        with pytest.raises(ValueError, match="target_scale must be strictly positive"):
            lh.plotting.phase_portrait(S)
    for extent in (5e-324, 1e-101, 1e101, 1e308):  # grid points that coincide, or a flow that overflows
        with pytest.raises(ValueError, match=r"extent must lie in \[1e-100, 1e\+100\]"):
            lh.plotting.phase_portrait(1.0, extent=extent)
    for extent in plotting.PORTRAIT_RANGE:
        lh.plotting.phase_portrait(1.0, extent=extent, density=5)
    plt.close("all")


def test_smallest_text_pt_finds_the_smallest_drawn_text():
    fig, (left, right) = plt.subplots(1, 2)
    left.plot([0, 1], label="line")
    left.legend(fontsize=7.5)
    left.set_xlabel("t", fontsize=12)
    right.text(0.5, 0.5, "note", fontsize=9.5)
    right.tick_params(labelsize=8.5)
    assert plotting.smallest_text_pt(fig) == 7.5
    left.get_legend().set_visible(False)  # hidden text does not count
    assert plotting.smallest_text_pt(fig) == 8.5
    right.axis("off")  # nor the tick labels of an axis that is not drawn
    assert plotting.smallest_text_pt(fig) == 9.5
    plt.close(fig)


def test_smallest_text_pt_of_a_figure_without_text_is_inf_and_bad_input_is_refused():
    fig, ax = plt.subplots()
    ax.axis("off")
    assert plotting.smallest_text_pt(fig) == float("inf")
    plt.close(fig)
    with pytest.raises(ValueError, match="fig must be a matplotlib Figure"):
        plotting.smallest_text_pt("figure.png")


def test_inline_pngs_record_their_smallest_text():
    import base64
    import io

    from PIL import Image

    plotting.use_style()
    fig, ax = plt.subplots(dpi=144)
    ax.plot([0, 1], label="line")
    ax.legend()
    png = base64.b64decode(plotting._png_with_text_size(fig))
    recorded = float(Image.open(io.BytesIO(png)).text[plotting.SMALLEST_TEXT_KEY])
    assert recorded == pytest.approx(10 * 144 / 72, abs=0.01)  # legend and ticks: 10 pt at 144 dpi
    plt.close(fig)
