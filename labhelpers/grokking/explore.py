"""What the grokking explorer draws (Sec. 7, App. I): Eq. 15's wide network for a grid of ratios, Z and widths.

:func:`grokking_curves` computes the curves that :func:`~labhelpers.widgets.grokking_explorer` only draws (the
compute / display split), from the exact solution of Theorem I.1.

Book: chapter 5 (grokking), "Interactive view" (Sec. 7, Eq. 15, Theorem I.1).
"""

from __future__ import annotations

import numpy as np

from ..core import validation as check
from ..core.explore import MAX_TIMES, _grid_axis, _moderate_scalar
from . import exact_slope, gamma_plus_from_ratio, growth_factor


def grokking_curves(
    ratios=(0.01, 0.1, 1.0, 10.0, 100.0),
    Zs=(1.0, 10.0),
    widths=(4, 32),
    *,
    target_scale: float = 1.0,
    n_times: int = 161,
) -> dict:
    """Everything :func:`~labhelpers.widgets.grokking_explorer` draws: Eq. 15's network for every (ratio, Z, width).

    Closed forms only (Theorem I.1, App. I). Each network starts from the paper's special case: half of its
    ``p`` features aligned (``a_i = b_i = s``) and half anti-aligned (``a_i = -b_i = s``), so ``beta_0 = 0``,
    ``A = B = Sigma_0 / 2``, with ``s = sqrt(ratio S Z / p)`` chosen to give the weight-to-target ratio
    ``Sigma_0 / S``. Then the aligned features carry ``A gamma(t)`` of the slope and the anti-aligned ones
    ``-B / gamma(t)``: the aligned features' gain ``A (gamma - 1)`` and the anti-aligned features' retreat
    ``B (1 - 1/gamma)`` add up to the slope ``beta(t)``. Every aligned feature ends at ``gamma+`` times, every
    anti-aligned one at ``1 / gamma+`` times its start.

    Parameters
    ----------
    ratios : sequence of float
        Weight-to-target ratios ``Sigma_0 / S`` (> 0).
    Zs : sequence of float
        Output normalisations ``Z`` (> 0).
    widths : sequence of int
        Widths ``p``: even integers from 2 to 128.
    target_scale : float
        Target slope ``S > 0``.
    n_times : int
        Number of log-spaced times, shared by every combination.

    Returns
    -------
    dict
        ``times`` (T,); ``gain`` and ``retreat`` (T, n_ratios, n_Z), what the aligned and the anti-aligned
        features have contributed to the slope since the start (in units of ``S``); ``slope`` (their sum,
        ``beta / S``); ``gamma_plus`` (n_ratios,); the grid as ``ratios``, ``Zs`` and ``widths``; ``target_scale``.
    """
    S = _moderate_scalar("target_scale", target_scale)
    rho = _grid_axis("ratios", ratios)
    if np.any(rho <= 0):
        raise ValueError(f"ratios must be strictly positive (Sigma_0 / S); got {rho.tolist()}")
    Z = _grid_axis("Zs", Zs)
    if np.any(Z <= 0):
        raise ValueError(f"Zs must be strictly positive; got {Z.tolist()}")
    p = _grid_axis("widths", widths)
    if np.any(p != np.round(p)) or np.any(p % 2) or np.any((p < 2) | (p > 128)):
        raise ValueError(
            f"widths must be even integers from 2 to 128 (half aligned, half anti-aligned); got {p.tolist()}"
        )
    n_times = check.positive_int("n_times", n_times, minimum=2, maximum=MAX_TIMES)
    tau = Z / (2.0 * S)
    times = np.geomspace(
        0.01 * tau.min() / max(rho.max(), 1.0), 30.0 * tau.max() * max(1.0, np.log(2 / rho.min())), n_times
    )
    t = times[:, None, None]
    half = rho[:, None] * S / 2.0  # A = B = Sigma_0 / 2
    gamma = growth_factor(t, half, half, S, Z[None, :])
    return {
        "times": times,
        "gain": half * (gamma - 1.0) / S,
        "retreat": half * (1.0 - 1.0 / gamma) / S,
        "slope": exact_slope(t, half, half, S, Z[None, :]) / S,
        "gamma_plus": gamma_plus_from_ratio(rho),
        "ratios": rho,
        "Zs": Z,
        "widths": p.astype(int),
        "target_scale": S,
    }
