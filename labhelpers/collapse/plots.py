"""Pictures of the collapse: features in the plane of their class means, snapshots of a training run, and
the per-epoch record of a trained network.

:func:`class_plane` projects features onto the plane of the two leading directions of their centred class
means, :func:`draw_feature_plane` draws one such snapshot, and :func:`plot_feature_snapshots` draws several
times of an unconstrained-feature-model run (:func:`~labhelpers.collapse.train_ufm`).
:func:`plot_collapse_run` draws the accuracies and NC1-NC4 per epoch of a network trained past zero error
(:func:`~labhelpers.collapse.train_collapse_mlp`, or the ResNet18 history).

Book: chapter 3, "The unconstrained feature model" (Sec. nc-ufm: the paper's Fig. 5) and "Neural collapse in
an MLP on MNIST digits" (Sec. nc-mlp).
"""

from __future__ import annotations

import numpy as np

from ..core import validation as check
from ..core.simulate import Trajectory
from .metrics import _features, _geometry, _labels, _means, _rescaled, _zero_error_epoch, nc1


def class_plane(features, labels, *, reference=None, n_classes: int | None = None) -> np.ndarray:
    """Centred features in the plane of the two leading directions of the centred class means, rescaled.

    The plane is spanned by the two leading right singular vectors of the centred class means ``M`` (rows
    ``mu_c - mu_G``) of ``reference`` (default: the last snapshot of ``features``), so that every snapshot of a
    training run is seen in one frame. For ``C = 3`` classes the plane holds all of ``M``, and a collapsed
    snapshot shows the simplex ETF as an equilateral triangle. Each snapshot is then divided by the root mean
    square length of its projected points, so shape, not size, is compared: a tiny random start and a
    trained network are drawn at the same scale.

    Parameters
    ----------
    features : array_like, shape (..., N, D)
        Features (rows), with optional batch dimensions such as time.
    labels : array_like, shape (N,)
        Integer classes ``0..C-1``, every class present.
    reference : array_like, shape (N, D), optional
        The features that define the plane (their class means must differ); default ``features[..., -1]``
        flattened to the last snapshot.
    n_classes : int, optional
        ``C``; default ``max(labels) + 1``.

    Returns
    -------
    numpy.ndarray
        Shape (..., N, 2): coordinates of ``h_i - mu_G`` in the plane, with unit root mean square length.
    """
    H, _ = _rescaled(_features(features))  # the output is normalised: the scale does not matter
    ref = H.reshape(-1, *H.shape[-2:])[-1] if reference is None else _features(reference, "reference")
    if ref.shape != H.shape[-2:]:
        raise ValueError(f"reference must have shape (N, D) = {H.shape[-2:]}; got {ref.shape}")
    if H.shape[-1] < 2:
        raise ValueError(f"features must have at least 2 dimensions to draw a plane; got D = {H.shape[-1]}")
    g = _geometry(ref, labels, n_classes)
    _, _, Vt = np.linalg.svd(g.centred, full_matrices=False)
    basis = Vt[:2].T  # min(C, D) >= 2 rows
    coords = (H - H.mean(axis=-2, keepdims=True)) @ basis
    size = np.sqrt((coords**2).sum(axis=-1).mean(axis=-1))[..., None, None]
    if np.any(size == 0):
        raise ValueError("features: a snapshot has all its features at the global mean; nothing to draw")
    return coords / size


def draw_feature_plane(ax, coords, labels, *, title: str | None = None, legend: bool = False) -> None:
    """Draw one snapshot of :func:`class_plane`: features as dots and class means as stars, one colour a class.

    Parameters
    ----------
    ax : matplotlib Axes
        Where to draw (it is set to equal aspect, limits ``[-2, 2]``).
    coords : array_like, shape (N, 2)
        One snapshot of :func:`class_plane`.
    labels : array_like, shape (N,)
        Integer classes ``0..C-1``.
    title : str, optional
        Axes title.
    legend : bool
        Add a legend naming the classes.
    """
    from ..plotting import PALETTE

    legend = check.flag("legend", legend)
    title = None if title is None else check.text("title", title)
    xy = check.as_array("coords", coords, ndim=2)
    if xy.shape[1] != 2:
        raise ValueError(f"coords must have shape (N, 2), one point per sample; got {xy.shape}")
    y, C, counts = _labels(labels, xy.shape[0], None)
    means, _ = _means(xy, y, C, counts)
    for c in range(C):
        color = PALETTE[c % len(PALETTE)]
        ax.scatter(*xy[y == c].T, s=14, color=color, alpha=0.55, lw=0, label=f"class {c}")
        ax.scatter(*means[c], s=160, marker="*", color=color, edgecolor="k", lw=0.8, zorder=3)
    ax.set_xlim(-2.0, 2.0)
    ax.set_ylim(-2.0, 2.0)
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.grid(False)
    for spine in ax.spines.values():
        spine.set_visible(True)
        spine.set_color("0.7")
    if title is not None:
        ax.set_title(title)
    if legend:
        ax.legend(loc="lower right", markerscale=1.2)


def _ufm_run(trajectory) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(times, H, labels)`` of a :func:`train_ufm` run, refusing a record that is broken or edited:
    non-finite or decreasing times, or arrays whose lengths do not match."""
    if not isinstance(trajectory, Trajectory) or "H" not in trajectory.params or "labels" not in trajectory.info:
        raise ValueError(f"trajectory must be a train_ufm run (a Trajectory with H and labels); got {trajectory!r}")
    times = check.as_array("trajectory.times", trajectory.times, ndim=1)
    H = check.as_array("trajectory.params['H']", trajectory.params["H"], ndim=3)
    if times.size == 0 or np.any(np.diff(times) < 0) or times[0] < 0:
        raise ValueError(f"trajectory.times must be non-negative and non-decreasing; got {check._describe(times)}")
    if H.shape[0] != times.size:
        raise ValueError(
            f"trajectory is inconsistent: {times.size} times but {H.shape[0]} snapshots of params['H']; "
            "pass the Trajectory that train_ufm returned"
        )
    try:
        labels, _, _ = _labels(trajectory.info["labels"], H.shape[1], None)
    except ValueError as error:
        raise ValueError(f"trajectory.info['labels'] do not fit the run: {error}") from error
    return times, H, labels


def plot_feature_snapshots(trajectory: Trajectory, times, *, axes=None) -> np.ndarray:
    """Snapshots of an unconstrained-feature-model run (:func:`train_ufm`) in the plane of :func:`class_plane`.

    Paper: Fig. 5.

    Parameters
    ----------
    trajectory : Trajectory
        A :func:`train_ufm` run (its ``params["H"]`` and ``info["labels"]``).
    times : array_like, shape (K,)
        Times to show; each is drawn at the nearest recorded time.
    axes : sequence of K matplotlib Axes, optional
        Where to draw. By default a new figure with rows of at most three snapshots, sized so that its
        text stays readable at the book's column width.

    Returns
    -------
    numpy.ndarray of matplotlib Axes
    """

    recorded, H, labels = _ufm_run(trajectory)
    wanted = check.positive("times", check.as_array("times", times, ndim=1), allow_zero=True)
    if wanted.size == 0:
        raise ValueError("times must list at least one time; got an empty array")
    index = np.abs(recorded[:, None] - wanted[None, :]).argmin(axis=0)
    coords = class_plane(H[index], labels, reference=H[-1])
    nc = nc1(H[index], labels)
    if axes is None:
        axes = _snapshot_grid(wanted.size)
    axes = np.atleast_1d(np.asarray(axes, dtype=object)).ravel()
    if axes.size != wanted.size:
        raise ValueError(f"axes must hold one Axes per time ({wanted.size}); got {axes.size}")
    for k, ax in enumerate(axes):
        title = f"t = {recorded[index[k]]:.3g}\nNC1 = {np.atleast_1d(nc)[k]:.2g}"
        draw_feature_plane(ax, coords[k], labels, title=title)
    return axes


SNAPSHOTS_PER_ROW = 3


def _snapshot_grid(count: int) -> np.ndarray:
    """``count`` square panels in rows of at most :data:`SNAPSHOTS_PER_ROW`, the unused slots removed."""
    import matplotlib.pyplot as plt

    columns = min(count, SNAPSHOTS_PER_ROW)
    rows = -(-count // columns)
    fig, axes = plt.subplots(rows, columns, figsize=(2.4 * columns, 2.75 * rows), layout="constrained")
    axes = np.atleast_1d(axes).ravel()
    for spare in axes[count:]:
        fig.delaxes(spare)
    return axes[:count]


PLOTTED_KEYS = ("train_accuracy", "test_accuracy", "nc1", "etf_distance", "self_duality", "ncc_mismatch")


def plot_collapse_run(run, *, axes=None, title: str | None = None):
    """Three panels of a run: accuracy, NC1, and NC2-NC4, against the epoch, with zero training error marked.

    Parameters
    ----------
    run : CollapseRun or any object with ``epochs`` (E,) and ``metrics`` (a dict of (E,) arrays)
        It needs ``metrics`` for ``train_accuracy``, ``test_accuracy``, ``nc1``, ``etf_distance`` (NC2),
        ``self_duality`` (NC3) and ``ncc_mismatch`` (NC4); a :class:`labhelpers.collapse.CollapseHistory` works.
    axes : sequence of three matplotlib Axes, optional
        Where to draw (each panel then carries its own legend). By default a new 2 x 2 figure sized for the
        book's column: the three panels and, in the fourth place, one legend for all of them.
    title : str, optional
        Title of the figure (only with a new figure).

    Returns
    -------
    numpy.ndarray of matplotlib Axes
        The three axes.
    """
    from matplotlib.lines import Line2D

    from ..plotting import PALETTE

    epochs, metrics = _run_arrays(run)
    title = None if title is None else check.text("title", title)
    key = None
    if axes is None:
        fig, key, axes = _panels_and_key()
        if title is not None:
            fig.suptitle(title)
    else:
        axes = np.asarray(axes).ravel()
        if axes.size != 3:
            raise ValueError(f"axes must hold three matplotlib Axes; got {axes.size}")
    accuracy, within, geometry = axes
    accuracy.plot(epochs, 1.0 - metrics["train_accuracy"], color=PALETTE[0], label="train error")
    accuracy.plot(epochs, 1.0 - metrics["test_accuracy"], color=PALETTE[1], label="test error")
    accuracy.set_yscale("symlog", linthresh=1e-3)
    accuracy.set(xlabel="epoch", ylabel="error rate", title="(a) classification error")
    within.semilogy(epochs, metrics["nc1"], color="k")
    within.set(xlabel="epoch", ylabel=r"NC1 $= \mathrm{Tr}(\Sigma_W\Sigma_B^+)/C$", title="(b) within-class spread")
    for name, label, color in (
        ("etf_distance", "NC2 (distance to simplex ETF)", PALETTE[2]),
        ("self_duality", "NC3 (self-duality)", PALETTE[3]),
        ("ncc_mismatch", "NC4 (mismatch with nearest mean)", PALETTE[4]),
    ):
        geometry.semilogy(epochs, np.maximum(metrics[name], 1e-4), color=color, label=label)
    geometry.set(xlabel="epoch", ylabel="metric (floored at 1e-4)", title="(c) geometry of the last layer")
    zero = _zero_error_epoch(epochs, metrics["train_accuracy"])
    marker = []
    if zero is not None:
        for ax in axes:
            ax.axvline(zero, color="0.5", ls=":", lw=1.2)
        marker = [Line2D([], [], color="0.5", ls=":", lw=1.2, label="zero training error")]
    if key is None:
        accuracy.legend(handles=[*accuracy.get_lines()[:2], *marker], loc="best")
        geometry.legend(loc="best")
    else:
        handles = [*accuracy.get_lines()[:2], *marker, *geometry.get_lines()[:3]]
        key.legend(handles=handles, loc="center", frameon=False)
    return axes


def _panels_and_key():
    """A new figure for three panels of a run: (a) and (b) on top, (c) below them, and the fourth place
    kept for one legend (an empty Axes without frame), 9 inches wide so that 10-point text stays readable
    at the book's column width."""
    import matplotlib.pyplot as plt

    fig = plt.figure(figsize=(9.0, 6.4), layout="constrained")
    grid = fig.subplot_mosaic([["a", "b"], ["c", "key"]])
    key = grid["key"]
    key.axis("off")
    return fig, key, np.array([grid["a"], grid["b"], grid["c"]], dtype=object)


def _run_arrays(run) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    if not hasattr(run, "epochs") or not isinstance(getattr(run, "metrics", None), dict):
        raise ValueError(f"run must have epochs and a metrics dict (a CollapseRun); got {type(run).__name__}")
    epochs = check.as_array("run.epochs", run.epochs, ndim=1)
    missing = [key for key in PLOTTED_KEYS if key not in run.metrics]
    if missing:
        raise ValueError(f"run.metrics must hold {list(PLOTTED_KEYS)}; missing {missing}")
    metrics = {key: check.as_array(f"run.metrics[{key!r}]", run.metrics[key], ndim=1) for key in PLOTTED_KEYS}
    if any(values.shape != epochs.shape for values in metrics.values()) or epochs.size == 0:
        raise ValueError(f"run.metrics arrays must have one entry per epoch ({epochs.size}); check the run")
    return epochs, metrics
