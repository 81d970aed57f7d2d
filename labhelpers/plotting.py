"""One plotting style for the whole course, and the figures every chapter reuses.

``use_style()`` sets fonts, sizes and a colour cycle; :func:`theory_vs_simulation` draws closed
forms as lines and simulations as markers and reports their agreement; :func:`phase_portrait`
draws the (a, b) plane of one mode with its conserved hyperbolas ``a^2 - b^2 = C`` (Eq. 8).
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from . import _validation as check

# Colours, in order: modes / runs / curves. Colour-blind safe (Okabe-Ito).
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442", "#000000")
THEORY_STYLE = {"lw": 2.0, "alpha": 0.9}
SIMULATION_STYLE = {"marker": "o", "ms": 4, "ls": "none", "mfc": "none", "mew": 1.2}


def use_style() -> None:
    """Apply the course's matplotlib style (call once at the top of a notebook)."""
    plt.rcParams.update(
        {
            "figure.figsize": (6.4, 3.6),
            "figure.dpi": 110,
            "savefig.dpi": 150,
            "savefig.bbox": "tight",
            "font.size": 11,
            "axes.titlesize": 11,
            "axes.labelsize": 11,
            "legend.fontsize": 9,
            "legend.frameon": False,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "axes.grid": True,
            "grid.alpha": 0.25,
            "axes.prop_cycle": plt.cycler(color=PALETTE),
        }
    )


def relative_error(simulation, theory, *, floor: float = 1e-12) -> float:
    """Largest relative deviation ``max |sim - theory| / max(|theory|, floor)``: the agreement we quote."""
    sim = check.as_array("simulation", simulation)
    ref = check.as_array("theory", theory)
    floor = check.positive_scalar("floor", floor)
    if sim.shape != ref.shape:
        raise ValueError(f"simulation and theory must have the same shape; got {sim.shape} and {ref.shape}")
    if sim.size == 0:
        raise ValueError(f"simulation and theory must not be empty; got shape {sim.shape}")
    return float(np.max(np.abs(sim - ref) / np.maximum(np.abs(ref), floor)))


def theory_vs_simulation(
    times,
    simulation,
    theory,
    *,
    ax=None,
    labels=None,
    every: int = 1,
    xlabel: str = "time $t$",
    ylabel: str = r"mode $\theta_i(t)$",
    colors=None,
):
    """Plot closed forms (lines) against simulations (markers), one column per curve.

    Parameters
    ----------
    times : array_like, shape (T,)
    simulation, theory : array_like, shape (T,) or (T, k)
        Simulated and predicted curves on the same time grid.
    every : int
        Plot every ``every``-th simulated point as a marker (lines are drawn in full).

    Returns
    -------
    ax, error : matplotlib Axes and the largest relative error between the two.
    """
    t = check.as_array("times", times, ndim=1)
    sim = check.as_array("simulation", simulation, ndim=(1, 2))
    ref = check.as_array("theory", theory, ndim=(1, 2))
    sim, ref = np.atleast_2d(sim.T).T, np.atleast_2d(ref.T).T
    if sim.shape != ref.shape or sim.shape[0] != t.size:
        raise ValueError(f"times {t.shape}, simulation {sim.shape} and theory {ref.shape} must share the time axis")
    every = check.positive_int("every", every)
    if labels is not None and (isinstance(labels, str) or len(labels) != sim.shape[1]):
        raise ValueError(f"labels must list one label per curve ({sim.shape[1]}); got {labels!r}")
    colors = PALETTE if colors is None else list(colors)
    if len(colors) == 0:
        raise ValueError("colors must list at least one colour; got an empty sequence")
    if ax is None:
        _, ax = plt.subplots()
    for k in range(sim.shape[1]):
        color = colors[k % len(colors)]
        label = labels[k] if labels is not None else None
        ax.plot(t, ref[:, k], color=color, label=label, **THEORY_STYLE)
        ax.plot(t[::every], sim[::every, k], color=color, **SIMULATION_STYLE)
    ax.plot([], [], color="0.3", label="theory", **THEORY_STYLE)
    ax.plot([], [], color="0.3", label="simulation", **SIMULATION_STYLE)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.legend()
    return ax, relative_error(sim, ref)


def phase_portrait(target_scale: float = 1.0, *, ax=None, extent: float = 2.0, imbalances=None, density: int = 25):
    """The (a, b) plane of one diagonal-network mode (Eq. 6) with arrows of the flow.

    Draws the flow field, the conserved hyperbolas ``a^2 - b^2 = C`` for the given imbalances
    (Eq. 8), and the two branches of global minima ``a b = S``. Trajectories can be added on top.
    """
    S = float(check.as_array("target_scale", target_scale, ndim=0))
    extent = check.positive_scalar("extent", extent)
    density = check.positive_int("density", density, minimum=5)
    imbalances = (-1.0, -0.25, 0.0, 0.25, 1.0) if imbalances is None else check.as_array("imbalances", imbalances, ndim=(0, 1))
    if ax is None:
        _, ax = plt.subplots(figsize=(4.6, 4.6))
    grid = np.linspace(-extent, extent, density)
    A, B = np.meshgrid(grid, grid)
    residual = S - A * B
    ax.streamplot(A, B, B * residual, A * residual, color="0.75", density=0.9, linewidth=0.7, arrowsize=0.8)
    fine = np.linspace(-extent, extent, 400)
    with np.errstate(divide="ignore"):
        minima_b = S / fine
    inside = np.abs(minima_b) <= extent
    ax.plot(np.where(inside, fine, np.nan), np.where(inside, minima_b, np.nan), color="k", lw=2, label=r"minima $ab=S$")
    for C in np.atleast_1d(imbalances):
        # Long enough that both coordinates leave the plotted square.
        s_max = np.arcsinh(extent / np.sqrt(abs(C))) + 0.1 if C != 0 else extent
        s = np.linspace(-s_max, s_max, 400)
        if C > 0:
            a_c, b_c = np.sqrt(C) * np.cosh(s), np.sqrt(C) * np.sinh(s)
        elif C < 0:
            a_c, b_c = np.sqrt(-C) * np.sinh(s), np.sqrt(-C) * np.cosh(s)
        else:
            a_c, b_c = s, s
        for sa, sb in ((1, 1), (-1, -1)) if C != 0 else ((1, 1), (1, -1)):
            ax.plot(sa * a_c, sb * b_c, color=PALETTE[2], lw=0.9, ls="--", alpha=0.8)
    ax.plot([], [], color=PALETTE[2], lw=0.9, ls="--", label=r"conserved $a^2-b^2=C$")
    ax.set_xlim(-extent, extent)
    ax.set_ylim(-extent, extent)
    ax.set_aspect("equal")
    ax.set_xlabel("first layer $a$")
    ax.set_ylabel("second layer $b$")
    ax.legend(loc="lower right")
    return ax
