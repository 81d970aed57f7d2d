"""Exact power-of-two rescaling, shared by the closed forms and metrics that must stay finite at any scale.

Multiplying by a power of two changes only a float's exponent, so it is exact (away from subnormals).
Two tools follow from that:

- :func:`exact_product` multiplies factors as mantissas times a sum of exponents: no intermediate product
  over- or underflows (``1e-200 * 1e-200 * 1e300`` is 1e-100, not 0), and on the ordinary range the result
  is bit for bit the plain product.
- :func:`rescaled` brings an array whose largest entry lies outside :data:`SAFE_RANGE` to a largest entry
  near 1, for computations that do not depend on the scale (NC metrics, standardising) or whose scale is put
  back exactly afterwards (singular values).

Book: no section of its own; used by the closed forms of chapters 1-3 and 5 at extreme scales.
"""

from __future__ import annotations

import numpy as np

SAFE_RANGE = (1e-100, 1e100)
"""Largest magnitudes left as they are: their squares and products of a few of them stay normal floats."""


def exact_product(*factors) -> np.ndarray:
    """The product of the factors (broadcast), their mantissas and binary exponents multiplied apart."""
    mantissa, exponent = np.ones(np.broadcast(*factors).shape), 0
    for factor in factors:
        m, e = np.frexp(factor)
        mantissa, exponent = mantissa * m, exponent + e
    with np.errstate(over="ignore", under="ignore"):
        return np.ldexp(mantissa, exponent)


def rescale_exponent(array: np.ndarray) -> int:
    """An exponent ``e`` with ``max |array| 2^-e`` in [0.5, 1) when the largest entry lies outside
    :data:`SAFE_RANGE`; else 0 (and 0 for an empty or all-zero array)."""
    largest = float(np.max(np.abs(array))) if np.size(array) else 0.0
    if largest == 0.0 or SAFE_RANGE[0] <= largest <= SAFE_RANGE[1]:
        return 0
    return int(np.frexp(largest)[1])


def rescaled(array: np.ndarray) -> tuple[np.ndarray, int]:
    """``(array 2^-e, e)`` with ``e`` from :func:`rescale_exponent`; ``(array, 0)`` on the safe range."""
    exponent = rescale_exponent(array)
    return (array, 0) if exponent == 0 else (np.ldexp(array, -exponent), exponent)
