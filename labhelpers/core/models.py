"""The models of the paper (Sec. 2): a linear model and three layerwise linear models.

Every model maps its parameters to an *end-to-end* linear map ``P`` of shape (d, c), so that
``f(x) = x^T P``; the population loss (Eq. 2) depends on the parameters only through ``P``.
What differs is the parametrisation, and with it the gradient flow:

============================== ======================== ===================
model                          output f(x)              paper
============================== ======================== ===================
:class:`LinearModel`           ``x^T theta``            Eq. 5, flow Eq. 7
:class:`DiagonalLinearNetwork` ``sum_i a_i b_i x_i``    Eq. 3, flow Eq. 6
:class:`LinearNetwork`         ``x^T W1 W2``            Eq. 4, flow Eq. 45
:class:`DeepLinearNetwork`     ``x^T W1 W2 ... WL``     Sec. 8 (depth)
============================== ======================== ===================

Parameters are dictionaries of arrays. Every array may carry leading *batch* dimensions, so
one call handles many runs at once (a sweep is one array computation, not a Python loop).
``end_to_end`` uses only ``@``, ``*`` and indexing, so it works on numpy arrays and torch
tensors alike; ``autograd_flow(model, params, moments)`` uses this to check every
hand-derived ``flow`` against automatic differentiation.

Book: chapter 1, The dynamical feedback principle (the models), used by every chapter.
"""

from __future__ import annotations

from functools import reduce
from typing import Any

import numpy as np

from . import validation as check
from .data import Moments, _population_loss, _validated

Params = dict[str, Any]


class ParameterOverflowError(ValueError):
    """A model quantity (end-to-end map, flow or loss) left the float range: the parameters are too large."""


class Model:
    """Common interface. Subclasses set ``param_names`` and implement three methods."""

    param_names: tuple[str, ...] = ()
    input_dim: int
    output_dim: int

    def end_to_end(self, params: Params):
        """The map ``P`` with ``f(x) = x^T P``, shape (..., d, c)."""
        raise NotImplementedError

    def flow(self, params: Params, moments: Moments) -> Params:
        """Right-hand side of gradient flow on the population loss, ``-dL/dparams``."""
        raise NotImplementedError

    def shapes(self) -> dict[str, tuple[int, ...]]:
        """Shape of each parameter for a single run (without batch dimensions)."""
        raise NotImplementedError

    # ------------------------------------------------------------------ shared helpers
    def validate(self, params: Params, *, argument: str = "params") -> tuple[int, ...]:
        """Check names and shapes of ``params``; return their common batch shape.

        ``argument`` is the name the caller gave the dictionary (``params0`` in the simulators), so that an
        error reads ``params0['a'] must end in shape (3,)``.
        """
        if not isinstance(params, dict) or set(params) != set(self.param_names):
            got = sorted(params, key=str) if isinstance(params, dict) else type(params).__name__
            raise ValueError(f"{argument} must be a dict with keys {list(self.param_names)}; got {got}")
        batch_shapes = set()
        for name, shape in self.shapes().items():
            value = params[name]
            if not hasattr(value, "shape") or not hasattr(value, "ndim"):
                raise ValueError(f"{argument}['{name}'] must be an array (numpy or torch); got {type(value).__name__}")
            if tuple(value.shape[value.ndim - len(shape) :]) != shape or value.ndim < len(shape):
                raise ValueError(
                    f"{argument}['{name}'] must end in shape {shape} for {type(self).__name__}; "
                    f"got {tuple(value.shape)}"
                )
            batch_shapes.add(tuple(value.shape[: value.ndim - len(shape)]))
        if len(batch_shapes) > 1:
            shapes = ", ".join(f"{argument}['{n}'] {tuple(params[n].shape)}" for n in self.param_names)
            raise ValueError(f"all parameters must share one batch shape; got {sorted(batch_shapes)} ({shapes})")
        return batch_shapes.pop()

    def _finite(self, what: str, value, params: Params):
        """``value`` (numpy) if finite, else a :class:`ParameterOverflowError` naming the parameters' sizes.

        Torch tensors (autograd) pass through unchecked.
        """
        if hasattr(value, "detach"):
            return value
        if not np.all(np.isfinite(value)):
            sizes = ", ".join(
                f"params['{n}'] up to {float(np.max(np.abs(v))) if np.size(v) else 0.0:.3g}"
                for n, v in params.items()
                if not hasattr(v, "detach")
            )
            raise ParameterOverflowError(
                f"{type(self).__name__}.{what} is not finite: it overflows the float range (|value| > 1.8e308), "
                f"so the parameters are too large for this model and these moments ({sizes}); use a smaller scale"
            )
        return value

    def _arrays(self, params: Params, *, argument: str = "params") -> dict[str, np.ndarray]:
        """``params`` as finite float numpy arrays, after checking names and shapes."""
        if not isinstance(params, dict):
            raise ValueError(
                f"{argument} must be a dict with keys {list(self.param_names)}; got {type(params).__name__}"
            )
        converted = {name: check.as_array(f"{argument}['{name}']", value) for name, value in params.items()}
        self.validate(converted, argument=argument)
        return converted

    def residual(self, params: Params, moments: Moments) -> np.ndarray:
        """``E = sigma_xy - sigma_xx P``, minus the gradient of Eq. 2 with respect to ``P``."""
        self._check_moments(moments)
        params = self._arrays(params)
        with np.errstate(over="ignore", invalid="ignore"):
            residual = moments.sigma_xy - moments.sigma_xx @ self.end_to_end(params)
        return self._finite("residual", residual, params)

    def loss(self, params: Params, moments: Moments) -> np.ndarray:
        """Population loss (Eq. 2), one value per run in the batch.

        Paper: Eq. 2.
        """
        self._check_moments(moments)
        params = self._arrays(params)
        with np.errstate(over="ignore", invalid="ignore"):
            loss = _population_loss(moments, self.end_to_end(params))
        return self._finite("loss", loss, params)

    def _finite_flow(self, velocity: Params, params: Params) -> Params:
        for value in velocity.values():
            self._finite("flow", value, params)
        return velocity

    def random_init(self, scale: float, *, batch_shape: tuple[int, ...] = (), seed: int = 0) -> Params:
        """Independent N(0, scale^2) entries for every parameter."""
        scale = check.positive_scalar("scale", scale)
        if isinstance(batch_shape, (int, np.integer)):
            batch_shape = (batch_shape,)
        if not isinstance(batch_shape, tuple) or not all(
            isinstance(n, (int, np.integer)) and not isinstance(n, bool) and n >= 1 for n in batch_shape
        ):
            raise ValueError(f"batch_shape must be a tuple of positive integers; got {check._describe(batch_shape)}")
        rng = check.rng("seed", seed)
        runs = float(np.prod(batch_shape, dtype=float))
        check.fits_in_memory("batch_shape", runs * sum(float(np.prod(s)) for s in self.shapes().values()))
        with np.errstate(over="ignore"):
            params = {
                name: scale * rng.standard_normal(tuple(batch_shape) + shape) for name, shape in self.shapes().items()
            }
        if not all(np.all(np.isfinite(value)) for value in params.values()):
            raise ValueError(
                f"scale={scale:.3g} times a standard normal draw overflows the float range; use a smaller scale"
            )
        return params

    def _check_moments(self, moments: Moments) -> None:
        if not isinstance(moments, Moments):
            raise ValueError(f"moments must be a labhelpers.core.data.Moments; got {type(moments).__name__}")
        if moments.sigma_xy.shape != (self.input_dim, self.output_dim):
            raise ValueError(
                f"moments are for inputs/outputs {moments.sigma_xy.shape} but the model has "
                f"{(self.input_dim, self.output_dim)}"
            )

    def __repr__(self) -> str:
        return f"{type(self).__name__}({', '.join(f'{k}={v}' for k, v in vars(self).items())})"


def _swap(x):
    return x.swapaxes(-1, -2)


class LinearModel(Model):
    """Linear model ``f(x) = x^T theta`` (Eq. 5). Its flow is Eq. 7: ``theta' = sigma_xy - sigma_xx theta``.

    Paper: Eq. 5, Eq. 7, Eq. 21, Eqs. 26-29.
    """

    param_names = ("theta",)

    def __init__(self, input_dim: int, output_dim: int = 1):
        self.input_dim = check.positive_int("input_dim", input_dim)
        self.output_dim = check.positive_int("output_dim", output_dim)

    def shapes(self):
        return {"theta": (self.input_dim, self.output_dim)}

    def end_to_end(self, params):
        self.validate(params)
        return self._finite("end_to_end", params["theta"], params)

    def flow(self, params, moments):
        params = self._arrays(params)
        return {"theta": self.residual(params, moments)}  # checked finite by residual


class DiagonalLinearNetwork(Model):
    """Diagonal linear network ``f(x) = sum_i a_i b_i x_i`` (Eq. 3), scalar output.

    Paper: Eq. 3, Eq. 6, Eqs. 32-35.

    Flow (Eq. 6, for any input covariance): ``a' = b * E``, ``b' = a * E`` with
    ``E = sigma_xy - sigma_xx (a*b)``; for independent inputs ``E_i = E[x_i^2](S_i - a_i b_i)``.
    """

    param_names = ("a", "b")
    output_dim = 1

    def __init__(self, input_dim: int):
        self.input_dim = check.positive_int("input_dim", input_dim)

    def shapes(self):
        return {"a": (self.input_dim,), "b": (self.input_dim,)}

    def end_to_end(self, params):
        self.validate(params)
        with np.errstate(over="ignore", invalid="ignore"):
            product = (params["a"] * params["b"])[..., None]
        return self._finite("end_to_end", product, params)

    def flow(self, params, moments):
        params = self._arrays(params)
        E = self.residual(params, moments)[..., 0]
        with np.errstate(over="ignore", invalid="ignore"):
            velocity = {"a": params["b"] * E, "b": params["a"] * E}
        return self._finite_flow(velocity, params)


class LinearNetwork(Model):
    """Two-layer linear network ``f(x) = x^T W1 W2`` (Eq. 4), ``W1`` (d, p), ``W2`` (p, c).

    Paper: Eq. 4, Eqs. 40-45.

    Flow (App. D.3, Eq. 45): ``W1' = E W2^T``, ``W2' = W1^T E`` with ``E = sigma_xy - sigma_xx W1 W2``.
    """

    param_names = ("W1", "W2")

    def __init__(self, input_dim: int, hidden_dim: int, output_dim: int = 1):
        self.input_dim = check.positive_int("input_dim", input_dim)
        self.hidden_dim = check.positive_int("hidden_dim", hidden_dim)
        self.output_dim = check.positive_int("output_dim", output_dim)

    def shapes(self):
        return {"W1": (self.input_dim, self.hidden_dim), "W2": (self.hidden_dim, self.output_dim)}

    def end_to_end(self, params):
        self.validate(params)
        with np.errstate(over="ignore", invalid="ignore"):
            product = params["W1"] @ params["W2"]
        return self._finite("end_to_end", product, params)

    def flow(self, params, moments):
        params = self._arrays(params)
        E = self.residual(params, moments)
        with np.errstate(over="ignore", invalid="ignore"):
            velocity = {"W1": E @ _swap(params["W2"]), "W2": _swap(params["W1"]) @ E}
        return self._finite_flow(velocity, params)


class DeepLinearNetwork(Model):
    """Deep linear network ``f(x) = x^T W1 W2 ... WL`` with layer widths ``widths = (d, h1, ..., c)``.

    Flow: ``Wl' = (W1...W(l-1))^T E (W(l+1)...WL)^T`` with ``E = sigma_xy - sigma_xx W1...WL``;
    for two layers it is :class:`LinearNetwork`'s flow.
    """

    def __init__(self, widths):
        try:
            widths = tuple(widths)
        except TypeError as error:
            raise ValueError(
                f"widths must be a sequence of layer sizes (input, hidden..., output); got {widths!r}"
            ) from error
        if len(widths) < 3:
            raise ValueError(f"widths must list at least 3 sizes (input, hidden..., output); got {widths}")
        for k, w in enumerate(widths):
            check.positive_int(f"widths[{k}]", w)
        self.widths = widths
        self.input_dim, self.output_dim = widths[0], widths[-1]
        self.param_names = tuple(f"W{l + 1}" for l in range(len(widths) - 1))

    @property
    def depth(self) -> int:
        return len(self.widths) - 1

    def shapes(self):
        return {name: (self.widths[l], self.widths[l + 1]) for l, name in enumerate(self.param_names)}

    def _layers(self, params):
        return [params[name] for name in self.param_names]

    def end_to_end(self, params):
        self.validate(params)
        with np.errstate(over="ignore", invalid="ignore"):
            product = reduce(lambda A, B: A @ B, self._layers(params))
        return self._finite("end_to_end", product, params)

    def flow(self, params, moments):
        params = self._arrays(params)
        layers = self._layers(params)
        E = self.residual(params, moments)
        out = {}
        with np.errstate(over="ignore", invalid="ignore"):
            for l, name in enumerate(self.param_names):
                grad = E
                if l > 0:
                    grad = _swap(reduce(lambda A, B: A @ B, layers[:l])) @ grad
                if l < len(layers) - 1:
                    grad = grad @ _swap(reduce(lambda A, B: A @ B, layers[l + 1 :]))
                out[name] = grad
        return self._finite_flow(out, params)


def autograd_flow(model: Model, params: Params, moments: Moments) -> dict[str, np.ndarray]:
    """Minus the gradient of the population loss (Eq. 2), computed by torch automatic differentiation.

    An independent check of the hand-derived ``model.flow``: the loss is written from the moments as
    ``1/2 tr(sigma_yy - 2 P^T sigma_xy + P^T sigma_xx P)`` with ``P = model.end_to_end(params)`` and
    differentiated by torch in float64 (CPU). Runs in a batch are independent, so the gradient of the
    summed loss gives each run its own gradient.

    Parameters
    ----------
    model : Model
        One of :mod:`labhelpers.core`.
    params : dict of array_like
        Parameters, optionally with leading batch dimensions.
    moments : Moments
        Second moments of the data, of the model's input and output sizes.

    Returns
    -------
    dict of numpy.ndarray
        ``-dL/dparams``, with the shapes of ``params``; compare with ``model.flow(params, moments)``.
    """
    import torch

    if not isinstance(model, Model):
        raise ValueError(f"model must be a labhelpers.core.models.Model; got {type(model).__name__}")
    arrays = model._arrays(params)
    model._check_moments(_validated("moments", moments))
    tensors = {name: torch.tensor(value, dtype=torch.float64, requires_grad=True) for name, value in arrays.items()}
    sxx, sxy, syy = (
        torch.tensor(m, dtype=torch.float64) for m in (moments.sigma_xx, moments.sigma_xy, moments.sigma_yy)
    )
    P = model.end_to_end(tensors)
    cross = (P * sxy).sum(dim=(-2, -1))
    quad = (P * (sxx @ P)).sum(dim=(-2, -1))
    loss = 0.5 * (torch.trace(syy) - 2.0 * cross + quad)
    gradients = torch.autograd.grad(loss.sum(), list(tensors.values()))
    flow = {name: -gradient.numpy() for name, gradient in zip(tensors, gradients)}
    if not np.all(np.isfinite(loss.detach().numpy())):
        model._finite("loss (autograd_flow)", loss.detach().numpy(), arrays)
    return model._finite_flow(flow, arrays)
