"""The chapter's simulations (grokking.simulations) and panels (grokking.figures).

Tolerances. ``compare_with_flow`` integrates with DOP853 at rtol 1e-12: the chapter's runs agree with
Theorem I.1 to about 1e-9 in the weights and 1e-10 in the conserved quantity, so we require 1e-7 and 1e-9
(a hundredfold margin, still far below any modelling error). ``measured_growth_factor`` converges to
``gamma+`` to 1e-12 in the chapter; we require 1e-8. ``compare_cure`` matches the reference problem to about
1e-9; we require 1e-7, and check that the window covers the learning so that agreement is not trivial.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from labhelpers import grokking as gk  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.mark.parametrize(
    "w0, S, Z",
    [
        (gk.sign_init(8, 3, 0.2), 1.0, 1.0),
        (gk.gaussian_init(50, 0.2, seed=2), 3.0, 10.0),
        (gk.ntk_init(100, seed=4)[1], 1.0, 10.0),
    ],
)
@pytest.mark.paper("Eqs. 73-98")
def test_compare_with_flow_agrees_with_theorem_i1(w0, S, Z):
    check = gk.compare_with_flow(w0, S, Z, t_max=30.0, n_times=40)
    assert check.times.shape == check.slope.shape == check.exact.shape == (41,)
    assert check.times[0] == 0 and np.isclose(check.times[-1], 30.0, rtol=1e-12)
    assert check.weight_error < 1e-7 and check.drift < 1e-9
    np.testing.assert_allclose(check.slope, check.exact, rtol=1e-7, atol=1e-9)
    # the window covers the learning: the slope ends at the target
    assert abs(check.exact[-1] - 1.0) < 1e-3 and abs(check.exact[0] - 1.0) > 0.05


def test_compare_with_flow_sees_a_wrong_closed_form(monkeypatch):
    """The comparison can fail: a closed form with the wrong rate gives a large error."""
    from labhelpers.grokking import simulations

    real = simulations.exact_solution
    monkeypatch.setattr(simulations, "exact_solution", lambda t, a, b, S, Z: real(1.5 * t, a, b, S, Z))
    check = gk.compare_with_flow(gk.sign_init(8, 4, 0.2), 1.0)
    assert check.weight_error > 0.1


@pytest.mark.parametrize("ratio", [0.01, 0.3, 10.0])
@pytest.mark.parametrize("Z_is_ntk", [False, True])
def test_measured_growth_factor_is_gamma_plus(ratio, Z_is_ntk):
    p = 16
    Z = np.sqrt(p) if Z_is_ntk else 1.0
    w0 = gk.mirrored_init(p, 1.0, seed=3)
    S = float(gk.weight_scale(w0, Z)) / ratio
    measured = gk.measured_growth_factor(w0, S, Z)
    np.testing.assert_allclose(measured, gk.gamma_plus_from_ratio(ratio), rtol=1e-8)


@pytest.mark.parametrize(
    "knob",
    [{}, {"weight_scale": 0.2}, {"target_scale": 25.0}, {"input_scale": 0.04}, {"output_scale": 0.04}],
)
def test_compare_cure_follows_the_reference_problem(knob):
    w0 = gk.mirrored_init(16, 1.0, seed=0)
    w0 = {k: v * np.sqrt(4.0 / gk.weight_scale(w0)) for k, v in w0.items()}  # ratio 4
    hat_t = np.r_[0, np.geomspace(1e-2, 40, 30)]
    cure = gk.compare_cure(w0, 1.0, 1.0, hat_t, **knob)
    assert np.isclose(cure.ratio, 4.0 if not knob else 0.16, rtol=1e-12)
    expected_unit = {"target_scale": 0.02, "input_scale": 12.5, "output_scale": 12.5}
    unit = next((v for k, v in expected_unit.items() if k in knob), 0.5)
    assert np.isclose(cure.time_unit, unit, rtol=1e-12)
    assert cure.error < 1e-7
    assert cure.slope[0] == 0 and cure.slope[-1] > 0.99  # the window covers the learning


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: gk.compare_with_flow([1.0], 1.0), "w0 must be a dict"),
        (lambda: gk.compare_with_flow({"a": np.ones(3), "b": np.ones(2)}, 1.0), r"w0\['a'\] and w0\['b'\]"),
        (lambda: gk.compare_with_flow(gk.sign_init(4, 2), 0.0), "S must be strictly positive"),
        (lambda: gk.compare_with_flow(gk.sign_init(4, 2), 1.0, t_max=1e-4), "t_max must exceed"),
        (lambda: gk.measured_growth_factor({"a": np.zeros(2), "b": np.zeros(2)}, 1.0), "all zeros"),
        (lambda: gk.compare_cure(gk.sign_init(4, 2), 1.0, 1.0, [0, 1], depth=2), "unknown knobs"),
        (lambda: gk.compare_cure(gk.sign_init(4, 3), 1.0, 1.0, [0, 1]), "zero output"),
    ],
)
def test_simulations_reject_bad_input_naming_the_argument(call, match):
    with pytest.raises(ValueError, match=match):
        call()


# ------------------------------------------------------------------ figures


@pytest.fixture(scope="module")
def run():
    data = gk.sparse_teacher(20, 10, 2, n_test=50, seed=1)
    s0 = np.sqrt(0.05)
    return gk.train_diagonal(
        data, init_scale=[s0, s0 / 5, s0, s0 / 2], weight_decay=[0, 0, 1e-2, 0], steps=400, n_records=20
    )


def test_plot_ntk_scaling_draws_the_four_averages():
    widths = np.array([16, 64, 256])
    averages = {"Sigma0": widths**0.5, "beta0": np.ones(3), "gamma": widths**-0.5, "move": 0.5 * widths**-0.5}
    fig, ax = plt.subplots()
    gk.plot_ntk_scaling(ax, widths, averages)
    lines = ax.get_lines()
    assert len(lines) == 4 and ax.get_xscale() == ax.get_yscale() == "log"
    np.testing.assert_allclose(lines[0].get_ydata(), widths**0.5)
    assert [t.get_text() for t in ax.get_legend().get_texts()] == list(gk.figures.NTK_CURVES.values())
    with pytest.raises(ValueError, match="averages must be a dict with the keys"):
        gk.plot_ntk_scaling(ax, widths, {"Sigma0": widths})
    with pytest.raises(ValueError, match="one value per width"):
        gk.plot_ntk_scaling(ax, widths, {**averages, "move": np.ones(2)})


def test_plot_growth_factor_draws_the_curve_and_the_measurements():
    rho = np.array([0.01, 1.0, 100.0])
    fig, ax = plt.subplots()
    gk.plot_growth_factor(ax, rho, gk.gamma_plus_from_ratio(rho))
    curve, rich, lazy, measured = ax.get_lines()
    np.testing.assert_allclose(curve.get_ydata(), gk.gamma_plus_from_ratio(curve.get_xdata()), rtol=1e-12)
    assert np.all(rich.get_xdata() < 1) and np.all(lazy.get_xdata() > 1)
    np.testing.assert_array_equal(measured.get_xdata(), rho)
    assert "3 simulated networks" in [t.get_text() for t in ax.get_legend().get_texts()]
    with pytest.raises(ValueError, match="one value each"):
        gk.plot_growth_factor(ax, rho, [1.0, 2.0])
    with pytest.raises(ValueError, match="ax must be a matplotlib Axes"):
        gk.plot_growth_factor(None, rho, rho)


def test_plot_delayed_generalisation_draws_test_and_training_loss(run):
    fig, ax = plt.subplots()
    gk.plot_delayed_generalisation(ax, run, {"lazy": 0, "rich": 1})
    lines = ax.get_lines()
    assert len(lines) == 5  # test and training loss per run, and the legend's dashed entry
    np.testing.assert_allclose(lines[0].get_ydata(), run.test_loss[:, 0] / run.test_loss[0, 0])
    np.testing.assert_allclose(lines[3].get_ydata(), run.train_loss[:, 1] / run.train_loss[0, 1])
    assert lines[0].get_color() != lines[2].get_color()
    with pytest.raises(ValueError, match="curves must be an integer <= 3"):
        gk.plot_delayed_generalisation(ax, run, {"missing": 7})
    with pytest.raises(ValueError, match="run must be a GrokkingRun"):
        gk.plot_delayed_generalisation(ax, {"steps": []}, {"lazy": 0})


def test_plot_generalisation_vs_ratio_marks_the_final_test_loss(run):
    fig, ax = plt.subplots()
    gk.plot_generalisation_vs_ratio(ax, run, runs=[0, 1, 3], marked={"default": 0}, colors=["C2"])
    dots, square = ax.get_lines()
    final = run.test_loss[-1] / run.test_loss[0]
    np.testing.assert_allclose(dots.get_xdata(), run.ratio[[0, 1, 3]])
    np.testing.assert_allclose(dots.get_ydata(), final[[0, 1, 3]])
    assert square.get_ydata()[0] == final[0] and square.get_markeredgecolor() == "C2"
    with pytest.raises(ValueError, match="one colour per marked run"):
        gk.plot_generalisation_vs_ratio(ax, run, runs=[0], marked={"a": 0, "b": 1}, colors=["k"])
