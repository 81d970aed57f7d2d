"""The shared argument checks (labhelpers.core.validation) and the divergence guard (labhelpers.core.divergence)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from labhelpers.core import divergence as _divergence
from labhelpers.core import validation as check

NOT_NUMBERS = [
    (True, "booleans"),
    (np.bool_(False), "booleans"),
    (np.array([True, False]), "booleans"),
    ("1.0", "not a string"),
    ("abc", "not a string"),
    (b"1", "not a string"),
    (1 + 2j, "complex"),
    (np.array([1.0, 2j]), "complex"),
    (None, "None"),
    (np.array([1.0, None], dtype=object), "Python objects"),
    ([1.0, "2"], "strings"),
    ([[1.0, 2.0], [3.0]], "regular array"),
    (10**400, "Python objects"),
]


@pytest.mark.parametrize("value, why", NOT_NUMBERS)
def test_as_array_refuses_what_is_not_a_real_number(value, why):
    with pytest.raises(ValueError, match=rf"^lr must .*{why}"):
        check.as_array("lr", value)


@pytest.mark.parametrize("value", [1, np.int64(3), np.float32(0.5), [1, 2], np.arange(3, dtype=np.uint8)])
def test_as_array_takes_real_numbers_as_float64(value):
    array = check.as_array("x", value)
    assert array.dtype == np.float64
    np.testing.assert_array_equal(array, np.asarray(value, dtype=float))


def test_as_array_takes_a_torch_tensor_and_refuses_non_finite():
    np.testing.assert_array_equal(check.as_array("x", torch.tensor([1.0, 2.0], requires_grad=True)), [1.0, 2.0])
    for bad in (np.nan, np.inf, [1.0, -np.inf], 1e400):
        with pytest.raises(ValueError, match="x must contain only finite numbers"):
            check.as_array("x", bad)


def test_scalar_bounds():
    assert check.scalar("q", 0.5, low=0, high=1) == 0.5
    with pytest.raises(ValueError, match=r"q must lie in \[0, 1\]; got 1.5"):
        check.scalar("q", 1.5, low=0, high=1)
    with pytest.raises(ValueError, match="q must be a single number"):
        check.scalar("q", [0.5, 0.5])


@pytest.mark.parametrize("value", [3, np.int64(3), np.uint8(3), np.int32(3)])
def test_integers_accept_numpy_integers(value):
    assert check.positive_int("n", value) == 3 and type(check.positive_int("n", value)) is int


@pytest.mark.parametrize("value", [True, 3.0, "3", None, np.float64(3), 2.5, [3]])
def test_integers_refuse_everything_else(value):
    with pytest.raises(ValueError, match="n must be an integer"):
        check.positive_int("n", value)


def test_integer_ranges_and_seeds():
    with pytest.raises(ValueError, match="n must be an integer >= 1; got 0"):
        check.positive_int("n", 0)
    with pytest.raises(ValueError, match="n must be an integer <= 10; got 11"):
        check.positive_int("n", 11, maximum=10)
    assert check.seed("seed", np.int64(3)) == 3
    for bad in (-1, 2**63, 2**100, True, 1.0):
        with pytest.raises(ValueError, match="seed must be an integer"):
            check.seed("seed", bad)
    # The generator is the one numpy makes from the same seed.
    assert check.rng("seed", np.int64(5)).random() == np.random.default_rng(5).random()


def test_flags_are_real_booleans():
    assert check.flag("progress", True) is True and check.flag("progress", np.bool_(False)) is False
    assert check.optional_flag("progress", None) is None
    for bad in (1, 0, "yes", "False", None, np.array([True])):
        with pytest.raises(ValueError, match="progress must be True or False"):
            check.flag("progress", bad)


def test_one_of_is_type_exact():
    assert check.one_of("loss", "mse", ("mse", "ce")) == "mse"
    for bad in ("gpu", 1, True, np.array(["mse"]), None):
        with pytest.raises(ValueError, match="loss must be one of"):
            check.one_of("loss", bad, ("mse", "ce"))
    with pytest.raises(ValueError, match="flag must be one of"):
        check.one_of("flag", 1, (True, False))  # 1 == True, but it is not a bool


def test_device_resolver():
    assert check.device("device", "cpu") == torch.device("cpu")
    assert check.device("device", torch.device("cpu")) == torch.device("cpu")
    assert check.device("device", "auto").type in ("cpu", "cuda", "mps")
    for bad in ("gpu", "tpu", "cuda:x", "cpu:0:1", "", 1, None, True):
        with pytest.raises(ValueError, match=r"device must be one of \('auto', 'cpu', 'cuda', 'mps'\)"):
            check.device("device", bad)
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="CUDA is not available here"):
            check.device("device", "cuda")


def test_sizes_that_cannot_fit_are_refused_before_allocating():
    check.fits_in_memory("n_samples", 1e6)
    with pytest.raises(ValueError, match=r"n_samples asks for about .* GiB"):
        check.fits_in_memory("n_samples", 1e15)


# ---------------------------------------------------------------------------- divergence guard
def test_guard_passes_a_converging_run_and_catches_growth_at_its_step():
    guard = _divergence.DivergenceGuard("gradient descent", lr=0.5)
    for step, loss in enumerate([1.0, 0.5, 0.1, 0.01]):
        guard.check(step, loss)
    guard = _divergence.DivergenceGuard("gradient descent", lr=50.0)
    with pytest.raises(_divergence.DivergenceError, match=r"diverged at step 3: .*learning rate \(lr\).*lr=50"):
        for step, loss in enumerate([1.0, 1e3, 1e5, 1e7]):
            guard.check(step, loss)


@pytest.mark.parametrize("loss", [math.nan, math.inf, np.array([1.0, np.nan]), torch.tensor([1.0, math.inf])])
def test_guard_catches_non_finite_losses(loss):
    guard = _divergence.DivergenceGuard("sgd", lr=0.1)
    guard.check(0, 1.0)
    with pytest.raises(_divergence.DivergenceError, match="diverged at step 1"):
        guard.check(1, loss)


def test_guard_blames_the_start_when_the_first_loss_is_already_bad():
    guard = _divergence.DivergenceGuard("adam", lr=1e-3, init_scale=1e20)
    with pytest.raises(_divergence.DivergenceError, match=r"step 0: .*from the start.*init_scale=1e\+20"):
        guard.check(0, 1e40)


def test_guard_checks_parameter_values():
    guard = _divergence.DivergenceGuard("ufm", lr=1.0)
    guard.check_values(0, "W", np.ones(3))
    with pytest.raises(_divergence.DivergenceError, match="step 4: W overflowed"):
        guard.check_values(4, "W", torch.tensor([1.0, math.inf]))


def test_guard_names_the_run_of_a_batch_that_diverged():
    guard = _divergence.DivergenceGuard("grid", lr=1.0)
    guard.check(0, np.array([1.0, 1.0, 1.0]))
    with pytest.raises(_divergence.DivergenceError, match=r"step 1 \(run \(2,\) of the batch\)"):
        guard.check(1, np.array([0.5, 0.5, np.inf]))
