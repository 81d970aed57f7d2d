"""Neural collapse metrics (Papyan, Han & Donoho 2020; App. F, Eq. 62-68) for any features, labels and classifier.

:func:`nc1` to :func:`nc4`, all at once with :func:`collapse_metrics` (a :class:`CollapseMetrics`), and the
class means they start from (:func:`class_means`). The two torch trainers of the chapter
(:func:`~labhelpers.collapse.train_collapse_mlp`, :func:`~labhelpers.collapse.train_collapse`) record the same
per-epoch numbers, ``COLLAPSE_KEYS``, through ``collapse_values``.

Conventions. Features are rows: ``features`` has shape (..., N, D) for N samples of dimension D, with any
leading batch dimensions (a stack of snapshots over training, (T, N, D), is one call). ``labels`` (N,)
are integers ``0..C-1`` shared by the whole batch, and every class needs at least one sample. The
classifier ``W`` has one row per class, shape (..., C, D), and ``bias`` shape (..., C), so the network
outputs ``W h + b``.

Book: chapter 3, "Measuring neural collapse: NC1-NC4" (Sec. nc-metrics; App. F).
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from ..core import floats as _floats
from ..core import validation as check
from ..core.models import _swap

DEFAULT_RCOND = 1e-10
COLLAPSE_KEYS = ("nc1", "equinorm", "angle_std", "angle_shift", "etf_distance", "self_duality", "ncc_mismatch")
"""The collapse metrics a trainer records per epoch: the fields of :class:`CollapseMetrics`, in order."""


def _labels(labels, n_samples: int | None, n_classes) -> tuple[np.ndarray, int, np.ndarray]:
    """Integer labels ``0..C-1`` with every class present; returns ``(labels, C, counts)``."""
    array = np.asarray(labels)
    if array.ndim != 1:
        raise ValueError(f"labels must be 1-D (one class per sample); got shape {array.shape}")
    if array.size == 0:
        raise ValueError("labels must have at least one sample; got an empty array")
    if array.dtype.kind in "iu":
        y = array.astype(np.int64)
    elif (
        array.dtype.kind == "f"
        and np.all(np.isfinite(array))
        and np.all(array == np.round(array))
        and np.all(np.abs(array) < 2.0**53)
    ):
        y = array.astype(np.int64)
    else:
        raise ValueError(f"labels must be integers 0..C-1; got dtype {array.dtype} ({check._describe(array)})")
    if n_samples is not None and y.size != n_samples:
        raise ValueError(f"labels must have one entry per sample (features has {n_samples}); got {y.size}")
    if y.min() < 0:
        raise ValueError(f"labels must be integers >= 0; got minimum {y.min()}")
    C = int(y.max()) + 1 if n_classes is None else check.positive_int("n_classes", n_classes)
    if y.max() >= C:
        raise ValueError(f"labels must lie in 0..n_classes-1 = 0..{C - 1}; got maximum {y.max()}")
    if C < 2:
        raise ValueError(f"neural collapse needs at least 2 classes; labels give C = {C}")
    if C > y.size:
        raise ValueError(f"n_classes must be at most the number of samples ({y.size}), one per class; got {C}")
    counts = np.bincount(y, minlength=C)
    empty = np.flatnonzero(counts == 0)
    if empty.size:
        raise ValueError(
            f"labels: class {empty[0]} has no samples (counts per class {counts.tolist()[:12]}); "
            f"every class 0..{C - 1} needs at least one"
        )
    return y, C, counts


def _features(features, name: str = "features") -> np.ndarray:
    H = check.as_array(name, features)
    if H.ndim < 2 or 0 in H.shape[-2:]:
        raise ValueError(f"{name} must have shape (..., N, D) with N, D >= 1; got shape {H.shape}")
    return H


def _classifier(classifier, bias, n_classes: int, dim: int) -> tuple[np.ndarray, np.ndarray | None]:
    W = check.as_array("classifier", classifier)
    if W.ndim < 2 or W.shape[-2:] != (n_classes, dim):
        raise ValueError(
            f"classifier must have shape (..., C, D) = (..., {n_classes}, {dim}), one row per class; got {W.shape}"
        )
    if bias is None:
        return W, None
    b = check.as_array("bias", bias)
    if b.ndim < 1 or b.shape[-1] != n_classes:
        raise ValueError(f"bias must have shape (..., C) = (..., {n_classes}); got {b.shape}")
    return W, b


@dataclass(frozen=True)
class _Geometry:
    """Class means and residuals of one batch of features, computed once for all metrics."""

    features: np.ndarray  # (..., N, D)
    labels: np.ndarray  # (N,)
    n_classes: int
    means: np.ndarray  # (..., C, D)
    centred: np.ndarray  # (..., C, D): M, rows mu_c - mu_G
    norms: np.ndarray  # (..., C)
    exponent: int = 0  # features = 2^-exponent (the features given), see _rescaled


def _rescaled(array: np.ndarray) -> tuple[np.ndarray, int]:
    """``(array 2^-e, e)``, exact, when the largest entry lies outside the safe range (``labhelpers.core.floats``).
    NC1-NC3 and the effective rank do not depend on the scale, so very large or subnormal inputs give the
    values of moderate ones instead of overflowing squares (or squares that underflow to zero)."""
    return _floats.rescaled(array)


def _means(H: np.ndarray, y: np.ndarray, C: int, counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    indicator = np.zeros((C, y.size))
    indicator[y, np.arange(y.size)] = 1.0
    with np.errstate(over="ignore", invalid="ignore"):
        means, global_mean = (indicator @ H) / counts[:, None], H.mean(axis=-2)
    if np.all(np.isfinite(means)) and np.all(np.isfinite(global_mean)):
        return means, global_mean
    # Features near the float limit: their sums overflow although every mean is finite. Average at a
    # scale smaller by an exact power of two (2**-16 per factor of N), then scale back exactly.
    shift = 16 + int(np.ceil(np.log2(max(y.size, 2))))
    scaled = np.ldexp(H, -shift)
    return np.ldexp((indicator @ scaled) / counts[:, None], shift), np.ldexp(scaled.mean(axis=-2), shift)


def _classifier_rows(classifier, n_classes, dim: int) -> int | None:
    """``C`` from the classifier's rows (checked against ``n_classes`` and the feature dimension), else
    ``n_classes``; so that a classifier of the wrong shape is blamed, not the labels."""
    if classifier is None:
        return n_classes
    W = check.as_array("classifier", classifier)
    if W.ndim < 2 or W.shape[-1] != dim or W.shape[-2] < 2:
        raise ValueError(
            f"classifier must have shape (..., C, D) with C >= 2 rows (one per class) and D = {dim} columns "
            f"like the features; got shape {W.shape}"
        )
    rows = W.shape[-2]
    if n_classes is not None and n_classes != rows:
        raise ValueError(
            f"classifier must have shape (..., C, D) with one row per class; got {rows} rows for n_classes = {n_classes}"
        )
    return rows


def _geometry(features, labels, n_classes, classifier=None) -> _Geometry:
    H, exponent = _rescaled(_features(features))
    if n_classes is not None:
        n_classes = check.positive_int("n_classes", n_classes, minimum=2)
    if classifier is not None and n_classes is None:
        _labels(labels, H.shape[-2], None)  # blame the labels for what is wrong with them alone
        n_classes = _classifier_rows(classifier, None, H.shape[-1])
        try:
            y, C, counts = _labels(labels, H.shape[-2], n_classes)
        except ValueError as error:
            raise ValueError(
                f"{error} (C = {n_classes} is the number of rows of classifier; check its shape)"
            ) from error
    else:
        n_classes = _classifier_rows(classifier, n_classes, H.shape[-1])
        y, C, counts = _labels(labels, H.shape[-2], n_classes)
    means, global_mean = _means(H, y, C, counts)
    centred = means - global_mean[..., None, :]
    norms = np.linalg.norm(centred, axis=-1)
    if np.any(norms == 0):
        raise ValueError(
            "features: a class mean coincides with the global mean (between-class spread zero), so the angles "
            "and NC1 are undefined; check that the features differ between classes"
        )
    return _Geometry(H, y, C, means, centred, norms, exponent)


def class_means(features, labels, *, n_classes: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Class means ``mu_c`` (App. F, Eq. 62) and global mean ``mu_G`` (Eq. 63) of features.

    Paper: Eqs. 62-63.

    ``mu_G`` is the mean over all samples (for balanced classes, the mean of the class means).

    Parameters
    ----------
    features : array_like, shape (..., N, D)
        Feature vectors (rows), with optional batch dimensions.
    labels : array_like, shape (N,)
        Integer classes ``0..C-1``, every class present.
    n_classes : int, optional
        ``C``; default ``max(labels) + 1``.

    Returns
    -------
    tuple of numpy.ndarray
        ``means`` (..., C, D) and ``global_mean`` (..., D).
    """
    H = _features(features)
    y, C, counts = _labels(labels, H.shape[-2], n_classes)
    return _means(H, y, C, counts)


def _nc1(g: _Geometry, rcond: float) -> np.ndarray:
    # Sigma_B = M^T M / C = V diag(s^2/C) V^T, so Tr(Sigma_W Sigma_B^+)/C = sum_k (v_k^T Sigma_W v_k) / s_k^2:
    # no D x D matrix is formed, and v_k^T Sigma_W v_k = mean_i ((h_i - mu_yi) . v_k)^2.
    _, s, Vt = np.linalg.svd(g.centred, full_matrices=False)
    residual = g.features - g.means[..., g.labels, :]
    spread = ((residual @ _swap(Vt)) ** 2).mean(axis=-2)
    keep = s**2 > rcond * s[..., :1] ** 2
    return np.where(keep, spread / np.where(keep, s**2, 1.0), 0.0).sum(axis=-1)


def _nc2(g: _Geometry) -> dict[str, np.ndarray]:
    C = g.n_classes
    gram = g.centred @ _swap(g.centred)
    cosines = gram / (g.norms[..., :, None] * g.norms[..., None, :])
    upper = np.triu_indices(C, k=1)
    pairs = cosines[..., upper[0], upper[1]]
    ideal = (np.eye(C) - 1.0 / C) / np.sqrt(C - 1.0)
    normalised = gram / np.linalg.norm(gram, axis=(-2, -1), keepdims=True)
    return {
        "equinorm": g.norms.std(axis=-1) / g.norms.mean(axis=-1),
        "angle_std": pairs.std(axis=-1),
        "angle_shift": np.abs(pairs + 1.0 / (C - 1.0)).mean(axis=-1),
        "etf_distance": np.linalg.norm(normalised - ideal, axis=(-2, -1)),
    }


def _nc3(g: _Geometry, W: np.ndarray) -> np.ndarray:
    W, _ = _rescaled(W)  # NC3 does not depend on the classifier's scale
    W_norm = np.linalg.norm(W, axis=(-2, -1), keepdims=True)
    if np.any(W_norm == 0):
        raise ValueError("classifier is zero, so its direction (NC3) is undefined")
    M = g.centred / np.linalg.norm(g.centred, axis=(-2, -1), keepdims=True)
    return np.linalg.norm(W / W_norm - M, axis=(-2, -1))


def _nc4(g: _Geometry, W: np.ndarray, b: np.ndarray | None) -> np.ndarray:
    with np.errstate(over="ignore", invalid="ignore"):
        logits = g.features @ _swap(W)
        if g.exponent:  # back to the features given, for the bias to weigh as it should
            logits = np.ldexp(logits, g.exponent)
        if b is not None:
            logits = logits + b[..., None, :]
    if not np.all(np.isfinite(logits)):
        raise ValueError(
            "classifier: the logits W h + b overflow for these features and classifier, so NC4 is undefined; "
            "rescale the features or the classifier"
        )
    # ||h - mu_c||^2 = ||h||^2 - 2 h.mu_c + ||mu_c||^2; the first term does not depend on c.
    distances = (g.means**2).sum(axis=-1)[..., None, :] - 2.0 * g.features @ _swap(g.means)
    distances, logits = np.broadcast_arrays(distances, logits)
    return (logits.argmax(axis=-1) != distances.argmin(axis=-1)).mean(axis=-1)


def _scalar(value):
    value = np.asarray(value, dtype=float)
    return float(value) if value.ndim == 0 else value


def nc1(features, labels, *, n_classes: int | None = None, rcond: float = DEFAULT_RCOND):
    """NC1, within-class variability relative to between-class spread: ``(1/C) Tr(Sigma_W Sigma_B^+)`` (Eq. 65).

    Paper: Eqs. 64-65.

    ``Sigma_W = (1/N) sum_i (h_i - mu_yi)(h_i - mu_yi)^T`` and ``Sigma_B = (1/C) sum_c (mu_c - mu_G)(mu_c - mu_G)^T``.
    The pseudo-inverse keeps the eigenvalues of ``Sigma_B`` above ``rcond`` times the largest (``Sigma_B`` has
    rank at most ``C - 1``, and only those directions count). Invariant to scaling, translating and rotating
    the features and to relabelling the classes; 0 when every feature equals its class mean.

    Parameters
    ----------
    features : array_like, shape (..., N, D)
        Feature vectors (rows), with optional batch dimensions.
    labels : array_like, shape (N,)
        Integer classes ``0..C-1``, every class present.
    n_classes : int, optional
        ``C``; default ``max(labels) + 1``.
    rcond : float
        Relative cut-off of the pseudo-inverse, in (0, 1).

    Returns
    -------
    float or numpy.ndarray
        One value per batch element.
    """
    rcond = _rcond(rcond)
    return _scalar(_nc1(_geometry(features, labels, n_classes), rcond))


def nc2(features, labels, *, n_classes: int | None = None) -> dict:
    """NC2, convergence of the centred class means ``M`` (rows ``mu_c - mu_G``) to a simplex ETF (Eq. 66).

    Paper: Eq. 66.

    Four numbers, all 0 for a simplex ETF and invariant to scaling the features and relabelling:

    - ``equinorm``: coefficient of variation (std / mean) of the norms ``||mu_c - mu_G||``;
    - ``angle_std``: standard deviation of the cosines between pairs of centred means;
    - ``angle_shift``: mean of ``abs(cos + 1/(C-1))`` over pairs, the distance to the ETF angle;
    - ``etf_distance``: ``||M M^T / ||M M^T||_F - (I - 1 1^T/C) / sqrt(C-1)||_F``, both shape and size in one.

    Parameters
    ----------
    features : array_like, shape (..., N, D)
        Feature vectors (rows), with optional batch dimensions.
    labels : array_like, shape (N,)
        Integer classes ``0..C-1``, every class present.
    n_classes : int, optional
        ``C``; default ``max(labels) + 1``.

    Returns
    -------
    dict
        ``equinorm``, ``angle_std``, ``angle_shift``, ``etf_distance``: one value per batch element.
    """
    return {name: _scalar(value) for name, value in _nc2(_geometry(features, labels, n_classes)).items()}


def nc3(features, labels, classifier, *, n_classes: int | None = None):
    """NC3, self-duality: ``||W/||W||_F - M/||M||_F||_F`` (Eq. 67), ``W`` (C, D) and ``M`` the centred means.

    Paper: Eq. 67.

    0 when the classifier rows are proportional to the centred class means. Invariant to scaling
    features and classifier and to relabelling (rows of ``W`` permuted with the classes).

    Parameters
    ----------
    features : array_like, shape (..., N, D)
        Feature vectors (rows), with optional batch dimensions.
    labels : array_like, shape (N,)
        Integer classes ``0..C-1``, every class present.
    classifier : array_like, shape (..., C, D)
        Last-layer weights, one row per class (the ``weight`` of ``torch.nn.Linear``).
    n_classes : int, optional
        ``C``; default the number of rows of ``classifier``.

    Returns
    -------
    float or numpy.ndarray
        One value per batch element.
    """
    g = _geometry(features, labels, n_classes, classifier)
    W, _ = _classifier(classifier, None, g.n_classes, g.features.shape[-1])
    return _scalar(_nc3(g, W))


def nc4(features, labels, classifier, bias=None, *, n_classes: int | None = None):
    """NC4, the fraction of samples where ``argmax_c (W h + b)_c`` differs from the nearest class mean (Eq. 68).

    Paper: Eq. 68.

    Ties go to the lowest class index in both rules.

    Parameters
    ----------
    features : array_like, shape (..., N, D)
        Feature vectors (rows), with optional batch dimensions.
    labels : array_like, shape (N,)
        Integer classes ``0..C-1``, every class present (they define the class means).
    classifier : array_like, shape (..., C, D)
        Last-layer weights, one row per class.
    bias : array_like, shape (..., C), optional
        Last-layer bias.
    n_classes : int, optional
        ``C``; default ``max(labels) + 1``.

    Returns
    -------
    float or numpy.ndarray
        Fractions in [0, 1], one per batch element.
    """
    g = _geometry(features, labels, n_classes, classifier)
    W, b = _classifier(classifier, bias, g.n_classes, g.features.shape[-1])
    return _scalar(_nc4(g, W, b))


def _rcond(rcond) -> float:
    rcond = check.positive_scalar("rcond", rcond)
    if rcond >= 1:
        raise ValueError(f"rcond must lie in (0, 1); got {rcond}")
    return rcond


@dataclass(frozen=True)
class CollapseMetrics:
    """The neural collapse metrics of one set of features (or a batch of them), see :func:`collapse_metrics`.

    Attributes
    ----------
    nc1 : float or ndarray
        :func:`nc1`.
    equinorm, angle_std, angle_shift, etf_distance : float or ndarray
        The four parts of :func:`nc2`.
    self_duality : float or ndarray or None
        :func:`nc3`; None without a classifier.
    ncc_mismatch : float or ndarray or None
        :func:`nc4`; None without a classifier.
    """

    nc1: float | np.ndarray
    equinorm: float | np.ndarray
    angle_std: float | np.ndarray
    angle_shift: float | np.ndarray
    etf_distance: float | np.ndarray
    self_duality: float | np.ndarray | None = None
    ncc_mismatch: float | np.ndarray | None = None

    def as_dict(self) -> dict:
        """The metrics as a plain dict (arrays become lists), e.g. to save as JSON."""
        out = {}
        for item in fields(self):
            value = getattr(self, item.name)
            out[item.name] = value.tolist() if isinstance(value, np.ndarray) else value
        return out


def collapse_metrics(
    features,
    labels,
    classifier=None,
    bias=None,
    *,
    n_classes: int | None = None,
    rcond: float = DEFAULT_RCOND,
) -> CollapseMetrics:
    """All neural collapse metrics (NC1-NC4, App. F) from one computation of the class means.

    Paper: Eqs. 61-68.

    Parameters
    ----------
    features : array_like, shape (..., N, D)
        Feature vectors (rows); batch dimensions, e.g. (T, N, D) for snapshots over training, give one
        value per snapshot.
    labels : array_like, shape (N,)
        Integer classes ``0..C-1``, every class present.
    classifier : array_like, shape (..., C, D), optional
        Last-layer weights (rows per class); needed for NC3 and NC4.
    bias : array_like, shape (..., C), optional
        Last-layer bias (NC4).
    n_classes : int, optional
        ``C``; default the number of rows of ``classifier``, else ``max(labels) + 1``.
    rcond : float
        Relative cut-off of the pseudo-inverse in NC1.

    Returns
    -------
    CollapseMetrics
        ``nc1``, ``equinorm``, ``angle_std``, ``angle_shift``, ``etf_distance``, ``self_duality`` (NC3) and
        ``ncc_mismatch`` (NC4); floats, or arrays of the batch shape.
    """
    rcond = _rcond(rcond)
    if classifier is None and bias is not None:
        raise ValueError("bias was given without classifier; give both (or neither)")
    g = _geometry(features, labels, n_classes, classifier)
    values = {"nc1": _nc1(g, rcond), **_nc2(g)}
    if classifier is not None:
        W, b = _classifier(classifier, bias, g.n_classes, g.features.shape[-1])
        values["self_duality"] = _nc3(g, W)
        values["ncc_mismatch"] = _nc4(g, W, b)
    return CollapseMetrics(**{name: _scalar(value) for name, value in values.items()})


def collapse_values(h, labels, W, b, n_classes: int) -> dict[str, float]:
    """The ``COLLAPSE_KEYS`` of a trainer's penultimate features, as floats: what both torch trainers record.

    ``h`` (N, D), ``W`` (C, D) and ``b`` (C) are torch tensors (any device and float dtype); they are
    converted exactly to float64 numpy arrays for :func:`collapse_metrics`, with the integer ``labels`` (N,).
    """

    def numpy(tensor):
        return tensor.detach().double().cpu().numpy()

    metrics = collapse_metrics(numpy(h), labels, numpy(W), numpy(b), n_classes=n_classes)
    return {key: float(getattr(metrics, key)) for key in COLLAPSE_KEYS}


def _zero_error_epoch(epochs, train_accuracy) -> int | None:
    """The first epoch whose training accuracy is 1 (every training sample classified correctly), or None."""
    reached = np.flatnonzero(np.asarray(train_accuracy) >= 1.0)
    return int(np.asarray(epochs)[reached[0]]) if reached.size else None
