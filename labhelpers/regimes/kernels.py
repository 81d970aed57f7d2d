"""The tangent kernel of a two-layer linear network, and the kernel distance that tells lazy from rich.

How far the network ``f(x) = x^T W1 W2`` moves from its linearisation is measured by the neural tangent
kernel (NTK) and the kernel distance of Fort et al. (2020) between the kernel at initialisation and after
training: near 0 in the lazy regime, large in the rich one. :mod:`labhelpers.regimes` trains whole grids of
networks to map this distance (the paper's Fig. 6).

Here: the tangent kernel in closed form (:func:`ntk`) and by autodiff (:func:`ntk_autodiff`), the kernel
distance (:func:`kernel_distance`), and the kernel distance of an aligned start from its mode strengths
alone (:func:`aligned_kernel_distance`, for the aligned lambda-balanced starts of
:mod:`labhelpers.regimes.balanced`, whose modes follow :func:`~labhelpers.regimes.lambda_mode`).

Book: chapter 4, Sec. "Lazy and rich, measured by a kernel" (``rg-kernel``) and Sec. "The tangent kernel of a
two-layer linear network" (``rg-ntk``); App. G of the paper.
"""

from __future__ import annotations

import numpy as np

from ..core import validation as check
from ..core.feedback import layers_from_product
from .balanced import _check_widths


# ---------------------------------------------------------------------------- tangent kernel
def _layers(W1, W2) -> tuple[np.ndarray, np.ndarray]:
    W1 = check.as_array("W1", W1)
    W2 = check.as_array("W2", W2)
    if W1.ndim < 2 or W2.ndim < 2:
        raise ValueError(f"W1 and W2 must be (batches of) matrices; got shapes {W1.shape} and {W2.shape}")
    if W1.shape[-1] != W2.shape[-2]:
        raise ValueError(
            f"W1 (..., d, p) and W2 (..., p, c) must share the hidden width p; got shapes {W1.shape} and {W2.shape}"
        )
    check.batch_dims_broadcast("W1", W1, 2, "W2", W2, 2)
    return W1, W2


def ntk(W1, W2, X) -> np.ndarray:
    """Neural tangent kernel of ``f(x) = x^T W1 W2`` on ``X``: Eq. (rg-ntk).

    ``K = J J^T``, with ``J`` the Jacobian of the ``n c`` outputs with
    respect to all weights. In closed form (App. G of the paper), with
    outputs indexed by ``k, l`` and samples by ``i, j``,

    ``K[(k, i), (l, j)] = delta_kl (X W1 W1^T X^T)_ij``
    ``+ (W2^T W2)_kl (X X^T)_ij``,

    i.e. ``K = I_c (x) X W1 W1^T X^T + W2^T W2 (x) X X^T`` (Kronecker
    products). The first term is the second layer's gradient, the second the
    first layer's. Rows and columns are ordered *output-major*: row
    ``k n + i`` is output ``k`` on sample ``i`` (``numpy.kron`` order), so
    the entry above is ``K.reshape(..., c, n, c, n)[..., k, i, l, j]``.

    Parameters
    ----------
    W1 : array_like, shape ``(..., d, p)``
        First layer; leading dimensions are a batch of networks.
    W2 : array_like, shape ``(..., p, c)``
        Second layer; its batch dimensions broadcast against ``W1``'s.
    X : array_like, shape ``(n, d)``
        Samples, one per row.

    Returns
    -------
    numpy.ndarray, shape ``(..., c n, c n)``
        Symmetric positive semi-definite kernels.

    See Also
    --------
    ntk_autodiff : the same kernel from torch's Jacobian, to check this.
    kernel_distance : how far two kernels are apart.
    """
    W1, W2 = _layers(W1, W2)
    X = check.as_array("X", X, ndim=2)
    if X.shape[1] != W1.shape[-2]:
        problem = f"X must have {W1.shape[-2]} columns (W1's input width)"
        raise ValueError(f"{problem}; got shape {X.shape}")
    n, c = X.shape[0], W2.shape[-1]
    batch = np.broadcast_shapes(W1.shape[:-2], W2.shape[:-2])
    size = 3.0 * np.prod(batch, dtype=float) * (c * n) ** 2
    check.fits_in_memory("the tangent kernels", size)
    # an overflow is refused by _finite_kernel, with a clear message
    with np.errstate(over="ignore", invalid="ignore"):
        hidden = X @ W1  # (..., n, p)
        from_second = hidden @ hidden.swapaxes(-1, -2)  # (..., n, n)
        from_first = W2.swapaxes(-1, -2) @ W2  # (..., c, c)
        K = np.einsum("...kl,ij->...kilj", from_first, X @ X.T)
        batch = np.broadcast_shapes(from_second.shape[:-2], K.shape[:-4])
        K = np.broadcast_to(K, batch + K.shape[-4:]).copy()
        for k in range(c):  # the delta_kl term
            K[..., k, :, k, :] += from_second
    return _finite_kernel(K.reshape(batch + (c * n, c * n)))


def _finite_kernel(K: np.ndarray) -> np.ndarray:
    """``K``, unless huge weights or inputs pushed its entries (products of squares) past the float range."""
    if not np.all(np.isfinite(K)):
        raise ValueError(
            "the tangent kernel overflows the float range (|X W1|^2 or |W2|^2 |X|^2 above 1e308): rescale W1, W2 or X"
        )
    return K


def ntk_autodiff(W1, W2, X, *, device="cpu") -> np.ndarray:
    """The tangent kernel ``J J^T`` of ``f(x) = x^T W1 W2`` from torch's automatic Jacobian (float64).

    An independent check of :func:`ntk`: the outputs ``f_k(x_i)`` are flattened output-major (index
    ``k n + i``, as there), ``torch.func.jacrev`` gives their Jacobian with respect to ``W1`` and ``W2``,
    and the kernel is the sum of the two ``J J^T``. Batches of networks are handled by ``torch.func.vmap``.

    Parameters
    ----------
    W1, W2, X : array_like
        As in :func:`ntk`; here the batch dimensions of ``W1`` and ``W2`` must be equal.
    device : str or torch.device
        Where to compute (default CPU).

    Returns
    -------
    numpy.ndarray, shape ``(..., c n, c n)``
    """
    import torch

    W1, W2 = _layers(W1, W2)
    X = check.as_array("X", X, ndim=2)
    if X.shape[1] != W1.shape[-2]:
        raise ValueError(f"X must have {W1.shape[-2]} columns (the input width of W1); got shape {X.shape}")
    if W1.shape[:-2] != W2.shape[:-2]:
        raise ValueError(f"W1 and W2 must have the same batch shape here; got {W1.shape[:-2]} and {W2.shape[:-2]}")
    batch = W1.shape[:-2]
    device = check.device("device", device)
    outputs_per_network = W2.shape[-1] * X.shape[0]
    weights_per_network = W1.shape[-2] * W1.shape[-1] + W2.shape[-2] * W2.shape[-1]
    per_network = outputs_per_network * (outputs_per_network + weights_per_network)  # kernel and Jacobian
    check.fits_in_memory("the Jacobians and kernels", 3.0 * np.prod(batch, dtype=float) * per_network)

    def as_tensor(a):
        return torch.as_tensor(a, dtype=torch.float64, device=device)

    Xt = as_tensor(X)

    def outputs(w1, w2):
        return (Xt @ w1 @ w2).T.reshape(-1)  # output-major: index k n + i

    def kernel(w1, w2):
        J1, J2 = torch.func.jacrev(outputs, argnums=(0, 1))(w1, w2)
        J1, J2 = J1.reshape(J1.shape[0], -1), J2.reshape(J2.shape[0], -1)
        return J1 @ J1.T + J2 @ J2.T

    w1 = as_tensor(W1).reshape((-1,) + W1.shape[-2:])
    w2 = as_tensor(W2).reshape((-1,) + W2.shape[-2:])
    K = torch.func.vmap(kernel)(w1, w2)
    return _finite_kernel(K.cpu().numpy().reshape(batch + K.shape[-2:]))


def kernel_distance(K0, Kt) -> np.ndarray:
    """Kernel distance of Fort et al. (2020): ``d = 1 - <K0, Kt>_F / (||K0||_F ||Kt||_F)`` (App. G).

    One minus the cosine of the angle between the two kernels seen as vectors: 0 when ``Kt`` is a
    positive multiple of ``K0`` (only the kernel's shape matters, not its size), at most 1 for
    positive semi-definite kernels (their Frobenius inner product is >= 0), symmetric in its arguments.
    Near 0 the network stayed lazy; a large value means its features moved (rich).

    It is computed as ``||K0/||K0|| - Kt/||Kt||||_F^2 / 2``, equal to the formula above but free of the
    cancellation in ``1 - cos`` for nearby kernels: it is never negative and resolves distances far
    below the rounding error of the cosine (the lazy end of the paper's Fig. 6, plotted on a log scale).

    Parameters
    ----------
    K0, Kt : array_like, shape ``(..., N, N)``
        Kernels (any two arrays whose last two axes agree); leading dimensions broadcast, one distance
        per pair.

    Returns
    -------
    numpy.ndarray, shape ``(...)``
        The distances.
    """
    K0 = check.as_array("K0", K0)
    Kt = check.as_array("Kt", Kt)
    if K0.ndim < 2 or Kt.ndim < 2 or K0.shape[-2:] != Kt.shape[-2:]:
        raise ValueError(
            f"K0 and Kt must be (batches of) matrices of the same size; got shapes {K0.shape} and {Kt.shape}"
        )
    check.batch_dims_broadcast("K0", K0, 2, "Kt", Kt, 2)
    norms = []
    for name, K in (("K0", K0), ("Kt", Kt)):
        norm = np.linalg.norm(K, axis=(-2, -1))
        if np.any(norm == 0):
            raise ValueError(
                f"{name} must be nonzero: the kernel distance of a zero kernel is undefined; "
                f"got {int(np.sum(norm == 0))} zero kernel(s) among {norm.size}"
            )
        norms.append(norm[..., None, None])
    gap = K0 / norms[0] - Kt / norms[1]
    return 0.5 * np.sum(gap**2, axis=(-2, -1))


# ---------------------------------------------------------------------------- the kernel along a mode trajectory
def _aligned_spectra(theta, lam, d: int, p: int, c: int) -> tuple[np.ndarray, np.ndarray]:
    """Eigenvalues of ``W1 W1^T`` (length d) and ``W2^T W2`` (length c) of an aligned lambda-balanced network.

    With ``W1 = U S1 R^T`` and ``W2 = R S2 V^T`` (the construction of :mod:`labhelpers.regimes.balanced`),
    ``W1 W1^T = U (S1 S1^T) U^T`` and ``W2^T W2 = V (S2^T S2) V^T``: only the singular values move, and they
    are fixed by the mode strengths ``theta`` and ``lam`` (``sigma2^2 - sigma1^2 = lam``,
    ``sigma1 sigma2 = theta``).
    """
    m = min(d, p, c)
    sigma2, sigma1 = layers_from_product(theta, lam[..., None])
    spare = np.abs(lam)[..., None] * np.ones(p - m)  # squared singular values of the spare directions
    first = np.concatenate([sigma1**2, spare], axis=-1)
    second = np.concatenate([sigma2**2, spare], axis=-1)
    batch = first.shape[:-1]
    A, B = np.zeros(batch + (d,)), np.zeros(batch + (c,))
    A[..., : min(d, p)] = first[..., : min(d, p)]
    B[..., : min(p, c)] = second[..., : min(p, c)]
    return A, B


def aligned_kernel_distance(theta, theta0, lam, input_dim: int, output_dim: int, *, hidden_dim: int | None = None):
    """Kernel distance from the start of an aligned lambda-balanced network, from its mode strengths alone.

    For whitened training inputs (``X^T X = n I``) and the start :func:`~labhelpers.regimes.lambda_balanced`,
    the frames ``U``, ``V``, ``R`` never move under gradient flow; the tangent kernel of :func:`ntk`,
    ``K = I_c (x) X W1 W1^T X^T + W2^T W2 (x) X X^T``, then depends on time only through the squared
    singular values ``A_i`` of ``W1`` and ``B_k`` of ``W2``, and its Frobenius inner products reduce to

    ``<K, K'>_F / n^2 = c sum_i A_i A'_i + (sum_k B_k)(sum_i A'_i) + (sum_k B'_k)(sum_i A_i) + d sum_k B_k B'_k``.

    With the modes ``theta(t)`` of :func:`~labhelpers.regimes.lambda_mode` (Eq. 69) this gives the distance
    of Fort et al. (2020, App. G), ``1 - <K0, Kt> / (||K0|| ||Kt||)``, in closed form. It is evaluated as half
    the squared norm of the difference of the normalised kernels, so that it stays accurate (and >= 0) far
    below the rounding error of ``1 - cos``.

    Parameters
    ----------
    theta : array_like, shape ``(..., m)``
        Mode strengths (>= 0) at the times of interest, ``m = min(d, p, c)``; leading dimensions are times
        or a batch.
    theta0 : float or array_like, shape ``(m,)`` or broadcastable to ``theta``
        Mode strengths at initialisation (>= 0); a number sets every mode.
    lam : float or array_like
        The relative scale ``lambda`` (Eq. 14); broadcasts against the leading dimensions of ``theta``.
    input_dim, output_dim : int
        Widths ``d`` and ``c`` (``d`` >= 1 input directions, all whitened).
    hidden_dim : int, optional
        Hidden width ``p`` (default ``min(d, c)``); see :func:`~labhelpers.regimes.lambda_balanced` for the
        allowed ``lam``.

    Returns
    -------
    numpy.ndarray
        The kernel distance, shape: the leading dimensions of ``theta`` broadcast with ``lam``.

    See Also
    --------
    kernel_distance : the same number from two kernel matrices.
    """
    d = check.positive_int("input_dim", input_dim)
    c = check.positive_int("output_dim", output_dim)
    p = min(d, c) if hidden_dim is None else check.positive_int("hidden_dim", hidden_dim)
    m = min(d, p, c)
    theta = check.positive("theta", theta, allow_zero=True)
    theta0 = check.positive("theta0", theta0, allow_zero=True)
    lam = check.as_array("lam", lam)
    theta0 = theta0[None] if theta0.ndim == 0 else theta0  # one strength for every mode
    for name, value in (("theta", theta), ("theta0", theta0)):
        if value.ndim == 0 or value.shape[-1] not in (1, m):
            raise ValueError(
                f"{name} must end in an axis of length {m} (one strength per mode, m = min(d, p, c)); "
                f"got shape {value.shape}"
            )
    try:
        batch = np.broadcast_shapes(theta.shape[:-1], theta0.shape[:-1], lam.shape)
    except ValueError as error:
        raise ValueError(
            f"theta {theta.shape}, theta0 {theta0.shape} (without their mode axes) and lam {lam.shape} must broadcast"
        ) from error
    lam = np.broadcast_to(lam, batch)
    _check_widths(lam, d, p, c)
    theta = np.broadcast_to(theta, batch + (m,))
    theta0 = np.broadcast_to(theta0, batch + (m,))
    size = float(np.prod(batch, dtype=float))
    check.fits_in_memory(f"the layer spectra (input_dim={d}, output_dim={c}, hidden_dim={p})", 8.0 * size * (d + c + p))
    A, B = _aligned_spectra(theta, lam, d, p, c)
    A0, B0 = _aligned_spectra(theta0, lam, d, p, c)

    def inner(A, B, A2, B2):
        return (
            c * np.sum(A * A2, axis=-1)
            + np.sum(B, axis=-1) * np.sum(A2, axis=-1)
            + np.sum(B2, axis=-1) * np.sum(A, axis=-1)
            + d * np.sum(B * B2, axis=-1)
        )

    norm, norm0 = np.sqrt(inner(A, B, A, B)), np.sqrt(inner(A0, B0, A0, B0))
    if np.any(norm == 0) or np.any(norm0 == 0):
        raise ValueError("the tangent kernel is zero (lam = 0 with every theta = 0): the kernel distance is undefined")
    dA = A0 / norm0[..., None] - A / norm[..., None]
    dB = B0 / norm0[..., None] - B / norm[..., None]
    return 0.5 * inner(dA, dB, dA, dB)
