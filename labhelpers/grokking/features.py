"""Initial features of Eq. 15's wide network, and their picture as arrows in function space (Sec. 7, App. C).

Book: chapter 5, "Aligned and anti-aligned features: the exact solution" (Sec. gk-exact), whose starts these
are, and "Features as arrows: rich and lazy" (Sec. gk-features; the paper's Fig. 7 and Fig. 9).

A feature of :class:`~labhelpers.grokking.WideScalarNetwork` is the function ``(a_i b_i / Z) x``: aligned when
``a_i b_i > 0``, anti-aligned when ``a_i b_i < 0``. The initialisations set where the features start
(:func:`sign_init`: a chosen number aligned, the rest anti-aligned; :func:`gaussian_init`; :func:`ntk_init`,
the lazy limit; :func:`mirrored_init`, a zero output whatever the scale), and :func:`feature_arrows` draws
them head to tail, so that the chain ends at the output.
"""

from __future__ import annotations

import numpy as np

from ..core import validation as check
from .scalar import WideScalarNetwork


def _batch_shape(batch_shape) -> tuple[int, ...]:
    if isinstance(batch_shape, (int, np.integer)) and not isinstance(batch_shape, bool):
        batch_shape = (batch_shape,)
    if not isinstance(batch_shape, tuple) or not all(
        isinstance(n, (int, np.integer)) and not isinstance(n, bool) and n >= 1 for n in batch_shape
    ):
        raise ValueError(f"batch_shape must be a tuple of positive integers; got {check._describe(batch_shape)}")
    return tuple(int(n) for n in batch_shape)


def _weights_fit(width: int, batch_shape: tuple[int, ...]) -> None:
    """Refuse, before drawing, weights ``a`` and ``b`` of shape ``(*batch_shape, width)`` too large for memory."""
    size = float(width) * np.prod(batch_shape, dtype=float)
    check.fits_in_memory(f"the weights a and b (width={width}, batch_shape={batch_shape})", 4.0 * size)


def sign_init(width: int, n_aligned: int, scale: float = 1.0) -> dict[str, np.ndarray]:
    """Structured start: ``n_aligned`` aligned features (``a_i = b_i = scale``), the rest anti-aligned (``b_i = -a_i``).

    Paper: Eq. 16.

    Aligned features grow by ``sqrt(gamma)`` and anti-aligned ones shrink by it (Theorem I.1, App. I),
    so this start shows the two motions separately. ``A = n_aligned scale^2 / Z`` and
    ``B = (width - n_aligned) scale^2 / Z``; ``n_aligned = width`` has ``B = 0`` (logistic growth) and
    ``n_aligned = 0`` has ``A = 0``.
    """
    p = check.positive_int("width", width)
    n = check.positive_int("n_aligned", n_aligned, minimum=0)
    if n > p:
        raise ValueError(f"n_aligned must be at most width={p}; got {n}")
    scale = check.positive_scalar("scale", scale)
    _weights_fit(p, ())
    a = np.full(p, scale)
    b = np.where(np.arange(p) < n, scale, -scale)
    return {"a": a, "b": b}


def gaussian_init(width: int, scale: float, *, batch_shape=(), seed: int = 0) -> dict[str, np.ndarray]:
    """Independent ``N(0, scale^2)`` entries for ``a`` and ``b``, shape ``(*batch_shape, width)``.

    Then ``Sigma_0 ~ width scale^2 / Z`` and ``beta_0 ~ sqrt(width) scale^2 / Z``: the weight-to-target
    ratio is set by ``scale``, ``width``, ``Z`` and ``S`` together (Sec. 7).
    """
    p = check.positive_int("width", width)
    scale = check.positive_scalar("scale", scale)
    rng = check.rng("seed", seed)
    shape = _batch_shape(batch_shape) + (p,)
    _weights_fit(p, shape[:-1])
    return {"a": scale * rng.standard_normal(shape), "b": scale * rng.standard_normal(shape)}


def ntk_init(width: int, *, batch_shape=(), seed: int = 0) -> tuple[WideScalarNetwork, dict[str, np.ndarray]]:
    """NTK initialisation: ``N(0, 1)`` weights and ``Z = sqrt(width)`` (Sec. 7).

    The output ``beta_0`` stays ``O(1)`` as the width grows, while ``Sigma_0 ~ sqrt(width)``: the
    weight-to-target ratio grows without bound, ``gamma+ -> 1``, and each weight moves only
    ``O(1/sqrt(width))`` — the lazy regime.

    Returns
    -------
    model : WideScalarNetwork
        With ``Z = sqrt(width)``.
    params : dict
        ``{"a": ..., "b": ...}`` of shape ``(*batch_shape, width)``.
    """
    p = check.positive_int("width", width)
    _weights_fit(p, _batch_shape(batch_shape))
    return WideScalarNetwork(p, np.sqrt(p)), gaussian_init(p, 1.0, batch_shape=batch_shape, seed=seed)


def mirrored_init(width: int, scale: float, *, batch_shape=(), seed: int = 0) -> dict[str, np.ndarray]:
    """Gaussian weights in mirrored pairs, ``(a_i, b_i)`` and ``(a_i, -b_i)``: the output starts at exactly zero.

    The symmetrised initialisation of Chizat et al. (2019) for Eq. 15: ``beta_0 = 0`` whatever the scale, so
    ``A = B = Sigma_0 / 2`` and the whole trajectory depends on the weight-to-target ratio ``Sigma_0 / S``
    alone (:func:`gamma_plus_from_ratio`). ``Sigma_0 ~ width scale^2 / Z``.

    Parameters
    ----------
    width : int
        Number of hidden units ``p``, even (``p / 2`` pairs).
    scale : float
        Standard deviation of the entries (> 0).
    batch_shape : int or tuple of int
        Leading axes (independent runs).
    seed : int
        Seed of the random generator.
    """
    p = check.positive_int("width", width, minimum=2)
    if p % 2:
        raise ValueError(f"width must be even (units come in mirrored pairs); got {p}")
    _weights_fit(p, _batch_shape(batch_shape))
    half = gaussian_init(p // 2, scale, batch_shape=batch_shape, seed=seed)
    return {"a": np.concatenate([half["a"], half["a"]], -1), "b": np.concatenate([half["b"], -half["b"]], -1)}


def feature_arrows(ax, contributions, *, row: float = 0.0, height: float = 0.9, colors=None, total: bool = True):
    """Draw features as arrows in function space, head to tail, so that the chain ends at the output (App. C).

    Paper: Eq. 25, Fig. 7, Fig. 9.

    Feature ``i`` of Eq. 15 is the function ``(a_i b_i / Z) x``; with a scalar input, function space is one
    axis (the slope) and the feature is an arrow of length ``a_i b_i / Z`` along it. Arrow ``i`` starts where
    arrow ``i - 1`` ends and sits at height ``row + height i / p``, so the chain ends at the slope ``beta``.

    Parameters
    ----------
    ax : matplotlib Axes
        Where to draw.
    contributions : array_like, shape (p,)
        ``a_i b_i / Z`` of each feature (e.g. in units of ``S``).
    row, height : float
        Vertical position and extent of the chain.
    colors : colour or sequence of colours, optional
        One colour for all arrows or one per feature (default: blue for positive, orange for negative).
    total : bool
        Also draw a vertical bar at the sum (the output).
    """
    from matplotlib.colors import to_hex

    from ..plotting import PALETTE

    sizes = check.as_array("contributions", contributions, ndim=1)
    row = check.scalar("row", row)
    height = check.positive_scalar("height", height)
    total = check.flag("total", total)
    if sizes.size == 0:
        raise ValueError("contributions must list at least one feature; got an empty array")
    p = sizes.size
    if colors is None:
        colors = np.where(sizes >= 0, PALETTE[0], PALETTE[1])
    elif isinstance(colors, str) or np.ndim(colors) == 1 and len(colors) in (3, 4) and not isinstance(colors[0], str):
        colors = [colors] * p
    if len(colors) != p:
        raise ValueError(f"colors must be one colour or one per feature ({p}); got {len(colors)}")
    colors = np.array([to_hex(c) for c in colors])
    starts = np.r_[0.0, np.cumsum(sizes)[:-1]]
    rows = row + height * np.arange(p) / p
    for color in dict.fromkeys(colors):  # one line and two marker sets per colour: fast to draw
        part = colors == color
        x = np.stack([starts[part], starts[part] + sizes[part], np.full(part.sum(), np.nan)], 1).ravel()
        ax.plot(x, np.repeat(rows[part], 3), color=color, lw=1.3)
        for marker, keep in ((">", sizes[part] >= 0), ("<", sizes[part] < 0)):
            ends = (starts[part] + sizes[part])[keep]
            ax.plot(ends, rows[part][keep], ls="none", marker=marker, ms=3.5, color=color)
    if total:
        ax.plot([sizes.sum()] * 2, [row - 0.05, row + height + 0.05], color="k", lw=1.2)
    return ax
