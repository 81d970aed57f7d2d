"""The manifest of the public API: one valid baseline call and the kind of every argument, per callable.

Every public function and class of ``labhelpers`` (the names the package and its submodules export,
without a leading underscore) has either an :class:`Entry` here or an exemption with its reason in
:data:`EXEMPT`; ``tests/test_api_fuzz.py`` fails when one has neither, or when an entry misses one of its
callable's parameters. A baseline builds fresh, small arguments and runs well under a second.
"""

from __future__ import annotations

import copy
import functools
import importlib
import inspect
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from . import kinds as k
from .kinds import scratch_dir

# Kinds used by many entries.
REAL, POS, NONNEG, FRACTION = k.real(), k.positive(), k.positive(zero_ok=True), k.fraction()
LEVEL = k.fraction(one_ok=True)  # an accuracy level, a decay or safety factor: 1 is legal
OPT_POS = k.positive(optional=True)
ARRAY, TIMES = k.array(), k.array(low=0.0)
POS_ARRAY = k.array(low=0.0, low_open=True)
NONNEG_ARRAY = k.array(low=0.0)  # e.g. a singular value: 0 is legal (regimes, "theta0 (>= 0)")
SIZE, COUNT, OPT_SIZE = k.size(), k.size(minimum=0), k.size(optional=True)
SEED, FLAG, OPT_FLAG, DEVICE = k.seed(), k.flag(), k.flag(optional=True), k.device()
MATRIX, VECTOR = k.array(ndim=2), k.array(ndim=1)
TEXT, OPT_TEXT = k.text(), k.text(optional=True)
MOMENTS, PARAMS, MODEL = k.moments(), k.params(), k.record("Model")
LABELS = k.labels()
FREQUENCIES = k.array(low=0.0)  # a skill may have frequency 0 (never asked for)
AXES = k.fixed("a matplotlib Axes to draw into; None makes a new figure")
LEGEND = k.fixed("a matplotlib legend location, passed through")
COLORS = k.fixed("matplotlib colours, passed through")


@dataclass(frozen=True)
class Entry:
    """A public callable, a builder of its valid baseline arguments, and the kind of each argument.

    ``nan_ok`` and ``inf_ok`` declare the documented sentinel results, output by output: a path into the
    result as :func:`api_fuzz.worker.non_finite` spells it (``"result"``, ``"result.loss"``,
    ``"result['W1']"``) mapped to the reason NaN, or ``+inf``, is a meaningful answer there. Such a
    result counts as accepted; NaN or inf anywhere else (or ``-inf``, or NaN where only ``+inf`` is
    declared) is still a silent failure. Keep these few, and quote the docstring that promises them.
    """

    target: str
    build: Callable[[], dict[str, Any]]
    kinds: dict[str, k.Kind]
    nan_ok: dict[str, str] = field(default_factory=dict)
    inf_ok: dict[str, str] = field(default_factory=dict)

    @property
    def module(self) -> str:
        """The submodule that defines the target, e.g. ``labhelpers.core.modes``."""
        return self.target.rsplit(".", 1)[0]

    @functools.cached_property
    def function(self) -> Callable:
        module, _, name = self.target.partition(".")[2].partition(".")
        obj: Any = importlib.import_module(f"labhelpers.{module}")
        for part in name.split("."):
            obj = getattr(obj, part)
        return obj

    def invoke(self, kwargs: dict[str, Any]) -> Any:
        """Call the target, spreading a ``*args`` parameter given by its name."""
        parameters = inspect.signature(self.function).parameters
        star = next((p for p in parameters.values() if p.kind is p.VAR_POSITIONAL), None)
        if star is not None and star.name in kwargs:
            rest = {name: value for name, value in kwargs.items() if name != star.name}
            return self.function(*kwargs[star.name], **rest)
        return self.function(**kwargs)

    def judged(self, argument: str, variant: k.Variant) -> k.Variant:
        """The variant with its expectation settled against the signature: ``None`` for a parameter whose
        default is ``None`` is legal. It must be accepted where the baseline leaves the parameter out
        (then it is the baseline call itself), and may be accepted or clearly refused where the baseline
        sets it (``moments=None`` with no samples to fall back on has nothing to work with)."""
        if variant.value is not None or variant.expect == k.ACCEPT:
            return variant
        parameter = inspect.signature(self.function).parameters.get(argument)
        if parameter is None or parameter.default is not None:
            return variant
        return variant._replace(expect=k.EITHER if argument in self.build() else k.ACCEPT)

    def baseline(self, argument: str) -> Any:
        """The argument's baseline value, or its default when the baseline leaves it out."""
        built = self.build()
        if argument in built:
            return built[argument]
        parameter = inspect.signature(self.function).parameters.get(argument)
        return None if parameter is None or parameter.default is inspect.Parameter.empty else parameter.default


SUBPACKAGES = (
    "core",
    "emergence",
    "collapse",
    "regimes",
    "grokking",
    "limits",
    "runs",
    "widgets",
    "plotting",
    "checks",
)


def public_callables() -> dict[str, Callable]:
    """Every public function and class of ``labhelpers``, by the name a user reaches it under:
    ``labhelpers.<subpackage>.<name>`` for the names in a subpackage's ``__all__`` (the core's names are also
    re-exported at the top, under the same objects). Keying on the public name, not on the file that
    defines it, lets a subpackage move code between its modules without touching this manifest."""
    found = {}
    for package in SUBPACKAGES:
        module = importlib.import_module(f"labhelpers.{package}")
        names = getattr(module, "__all__", None) or [n for n in vars(module) if not n.startswith("_")]
        for name in names:
            obj = getattr(module, name, None)
            home = getattr(obj, "__module__", "") or ""
            if callable(obj) and not inspect.ismodule(obj) and home.startswith("labhelpers."):
                found[f"labhelpers.{package}.{name}"] = obj
    return found


def _cached(builder: Callable[[], Any]) -> Callable[[], Any]:
    """Build once per process; hand out deep copies, so that no call sees another's edits."""
    store = functools.lru_cache(maxsize=None)(builder)
    return lambda: copy.deepcopy(store())


# Shared small inputs.
def _rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


@_cached
def _moments():
    from labhelpers.core import data

    return data.teacher_moments([1.0, 0.5], [2.0, 1.0])


@_cached
def _net_and_params():
    from labhelpers.core import models

    net = models.LinearNetwork(2, 3, 1)
    return net, net.random_init(0.3, seed=0)


@_cached
def _trajectory():
    from labhelpers.core import simulate

    net, params = _net_and_params()
    return simulate.gradient_flow(net, params, _moments(), t_max=2.0, n_times=11)


@_cached
def _ufm_trajectory():
    from labhelpers import collapse

    return collapse.train_ufm(3, 4, 3, init_scale=0.1, t_max=2.0, n_times=11)


@_cached
def _regression():
    X = _rng(1).normal(size=(8, 3))
    return X, X @ np.array([[1.0], [-0.5], [0.2]])


@_cached
def _features():
    labels = np.repeat(np.arange(3), 4)
    means = np.eye(3, 4) * 3.0
    features = means[labels] + 0.1 * _rng(2).normal(size=(12, 4))
    return features, labels, means[:3]


@_cached
def _problem():
    from labhelpers.emergence import parity

    return parity.SparseParity(4, 12, 3, alpha=0.4, seed=0)


@_cached
def _mnist_like():
    from labhelpers.core.mnist import MnistData

    rng = _rng(3)
    y_train, y_test = np.arange(20) % 10, np.arange(10) % 10
    X_train = rng.random((20, 16)).astype(np.float32)
    X_test = rng.random((10, 16)).astype(np.float32)
    return MnistData(X_train, y_train, X_test, y_test, source="synthetic", message="fuzz")


GROKKING_SETTINGS = {"epochs": 2, "width": 8, "depth": 2, "batch_size": 10, "lr": 1e-3, "weight_decay": 1e-4}


@_cached
def _grokking_history():
    from labhelpers.grokking import mnist as gm

    return gm.train_grokking(_mnist_like(), gm.PAPER_CONFIGS[:2], progress=False, **GROKKING_SETTINGS)


@_cached
def _grokking_results_file():
    from labhelpers import grokking as gm

    path = os.path.join(scratch_dir(), "grokking.json")
    gm.run_and_save(path, gm.PAPER_CONFIGS[:2], data=_mnist_like(), progress=False, **GROKKING_SETTINGS)
    return path


@_cached
def _images():
    from labhelpers.collapse import resnet

    return resnet.random_images(16, 8, n_classes=4, channels=1, size=8, seed=0)


def _train_config(**changes):
    from labhelpers.collapse import resnet

    settings = dict(
        dataset="random", epochs=1, batch_size=8, width=2, eval_batch_size=16, lr=0.01, amp=False, channels_last=False
    )
    return resnet.TrainConfig(**{**settings, **changes})


@_cached
def _collapse_history():
    from labhelpers.collapse import resnet

    return resnet.train_collapse(_images(), _train_config(epochs=2), progress=False)


@_cached
def _collapse_results_file():
    from labhelpers.collapse import resnet

    path = os.path.join(scratch_dir(), "collapse.json")
    resnet.run_and_save(_train_config(), path, data=_images(), progress=False)
    return path


@_cached
def _collapse_run():
    from labhelpers.collapse import mnist_mlp as ct

    X, y = _features()[0].astype(np.float32), _features()[1]
    return ct.train_collapse_mlp(X, y, X, y, hidden=(4,), epochs=2, batch_size=6, progress=False)


def _grokking_params():
    from labhelpers import grokking

    return grokking.mirrored_init(4, 0.5, seed=0)


def _two_layer():
    rng = _rng(4)
    return {"W1": 0.3 * rng.normal(size=(2, 3)), "W2": 0.3 * rng.normal(size=(3, 1)), "X": rng.normal(size=(5, 2))}


def _relu_inputs():
    rng = _rng(5)
    return {"W1": rng.normal(size=(2, 4)), "a": rng.normal(size=4), "X": rng.normal(size=(6, 2))}


def _problem_with_data():
    problem = _problem()
    return {"problem": problem, "data": problem.sample(50, seed=0)}


def _mlp_settings():
    return dict(problem=_problem(), seeds=(0,), widths=8, n_train=64, steps=2, batch_size=16, lr=1e-3,
                record_every=2, n_eval=50, n_probe=50, progress=False)  # fmt: skip


MLP_KINDS = dict(
    problem=k.record("SparseParity"), seeds=k.fixed("a sequence of seeds; each is checked as a seed"),
    widths=k.fixed("an int or a sequence of widths"), n_train=SIZE, steps=SIZE, batch_size=SIZE, lr=POS,
    optimizer=k.choice("adam", "sgd"), init_scale=POS, target_scale=POS, weight_decay=NONNEG,
    record_every=SIZE, n_eval=SIZE, n_probe=SIZE, data_seed=SEED, eval_seed=SEED, device=DEVICE,
    dtype=k.choice("float32", "float64"), progress=OPT_FLAG,
)  # fmt: skip

GRID_KINDS = dict(steps=SIZE, lr=POS, target_divisor=POS, backend=k.choice("torch", "numpy"), device=DEVICE,
                  progress=OPT_FLAG)  # fmt: skip

GROKKING_KINDS = dict(epochs=SIZE, width=SIZE, depth=k.size(minimum=2), batch_size=SIZE, lr=POS, weight_decay=NONNEG)


def _e(target: str, build: Callable[[], dict], *, nan_ok=None, inf_ok=None, **kinds: k.Kind) -> Entry:
    return Entry(f"labhelpers.{target}", build, kinds, nan_ok or {}, inf_ok or {})


def _small_figure():
    from matplotlib.figure import Figure

    fig = Figure(figsize=(2, 2))
    fig.add_subplot().plot([0, 1], label="a line")
    return fig


def _cnn_digits():
    images = _rng(5).uniform(0.0, 1.0, size=(6, 784))
    return dict(X_train=images, y_train=np.array([0, 1, 2, 0, 1, 2]), X_test=images[:3], y_test=np.array([0, 1, 2]))


MODULAR_SETTINGS = {"steps": 4, "width": 6, "eval_every": 2}
MODULAR_KINDS = dict(steps=SIZE, width=SIZE, lr=POS, weight_decay=NONNEG, seed=SEED, eval_every=SIZE)


@_cached
def _modular_data():
    from labhelpers import grokking

    return grokking.modular_dataset(5, 0.6, seed=0)


@_cached
def _modular_history():
    from labhelpers import grokking

    return grokking.train_modular(_modular_data(), grokking.MODULAR_CONFIGS[:2], **MODULAR_SETTINGS)


@_cached
def _modular_results_file():
    from labhelpers.grokking import MODULAR_CONFIGS, modular_results

    path = os.path.join(scratch_dir(), "modular.json")
    modular_results.run_and_save(path, MODULAR_CONFIGS[:2], p=5, progress=False, **MODULAR_SETTINGS)
    return path


def _modular_params():
    from labhelpers import grokking

    return grokking.init_modular(grokking.MODULAR_CONFIGS[:2], 5, 6, seed=0)


def _modular_pairs():
    import torch

    return dict(a=torch.tensor([0, 1, 4]), b=torch.tensor([2, 3, 4]), output_scales=torch.ones(2, 1, 1))


def _t(n: int = 5, t_max: float = 3.0) -> np.ndarray:
    return np.linspace(0.0, t_max, n)


ENTRY_LIST = [
    # modes: closed forms of one mode (Eq. 7-10)
    _e("core.half_rise_time", lambda: dict(target_scale=2.0, theta0=0.01, variance=1.0),
       target_scale=POS_ARRAY, theta0=POS_ARRAY, variance=POS_ARRAY),
    _e("core.linear_mode", lambda: dict(t=_t(), target_scale=2.0, variance=1.0, theta0=0.0),
       t=TIMES, target_scale=ARRAY, variance=POS_ARRAY, theta0=ARRAY),
    _e("core.linear_saturation_time", lambda: dict(fraction=0.9, variance=1.0), fraction=FRACTION, variance=POS_ARRAY),
    _e("core.product_mode", lambda: dict(t=_t(), target_scale=2.0, theta0=0.01, imbalance=0.5, variance=1.0),
       t=TIMES, target_scale=ARRAY, theta0=ARRAY, imbalance=ARRAY, variance=POS_ARRAY),
    _e("core.saturation_time", lambda: dict(fraction=0.9, target_scale=2.0, theta0=0.01, imbalance=0.0, variance=1.0),
       fraction=FRACTION, target_scale=POS_ARRAY, theta0=POS_ARRAY, imbalance=ARRAY, variance=POS_ARRAY),
    _e("core.sigmoidal_mode", lambda: dict(t=_t(), target_scale=2.0, theta0=0.01, variance=1.0),
       t=TIMES, target_scale=POS_ARRAY, theta0=POS_ARRAY, variance=POS_ARRAY),
    # feedback (Sec. 3)
    _e("core.conservation_drift", lambda: dict(model=_net_and_params()[0], trajectory=_trajectory()),
       model=MODEL, trajectory=k.dataset("Trajectory")),
    _e("core.imbalance_drift", lambda: dict(model=_net_and_params()[0], trajectory=_trajectory()),
       model=MODEL, trajectory=k.dataset("Trajectory")),
    _e("core.imbalance", lambda: dict(model=_net_and_params()[0], params=_net_and_params()[1]),
       model=MODEL, params=PARAMS),
    _e("core.layers_from_product", lambda: dict(theta0=0.5, imbalance=0.2), theta0=ARRAY, imbalance=ARRAY),
    _e("core.product_flow", lambda: dict(theta=0.5, target_scale=2.0, imbalance=0.2, variance=1.0),
       theta=ARRAY, target_scale=ARRAY, imbalance=ARRAY, variance=POS_ARRAY),
    # models and data (Eq. 3-5)
    _e("core.DeepLinearNetwork", lambda: dict(widths=(2, 3, 1)), widths=k.fixed("a sequence of layer sizes")),
    _e("core.DiagonalLinearNetwork", lambda: dict(input_dim=3), input_dim=SIZE),
    _e("core.LinearModel", lambda: dict(input_dim=3, output_dim=1), input_dim=SIZE, output_dim=SIZE),
    _e("core.LinearNetwork", lambda: dict(input_dim=2, hidden_dim=3, output_dim=1),
       input_dim=SIZE, hidden_dim=SIZE, output_dim=SIZE),
    _e("core.autograd_flow", lambda: dict(model=_net_and_params()[0], params=_net_and_params()[1], moments=_moments()),
       model=MODEL, params=PARAMS, moments=MOMENTS),
    _e("core.Moments", lambda: dict(sigma_xx=np.eye(2), sigma_xy=np.array([[1.0], [0.5]]), sigma_yy=np.array([[2.0]])),
       sigma_xx=MATRIX, sigma_xy=MATRIX, sigma_yy=MATRIX),
    _e("core.empirical_moments", lambda: dict(zip("XY", _regression())), X=MATRIX, Y=MATRIX),
    _e("core.gaussian_features", lambda: dict(n_samples=6, variances=[1.0, 0.5], seed=0),
       n_samples=SIZE, variances=POS_ARRAY, seed=SEED),
    _e("core.random_moments", lambda: dict(input_dim=3, output_dim=1, seed=0), input_dim=SIZE, output_dim=SIZE, seed=SEED),
    _e("core.teacher_moments", lambda: dict(variances=[1.0, 0.5], target_scales=[2.0, 1.0]),
       variances=POS_ARRAY, target_scales=ARRAY),
    _e("core.teacher_targets", lambda: dict(X=_regression()[0], target_scales=[1.0, 0.5, 0.2], noise=0.1, seed=0),
       X=MATRIX, target_scales=k.array(ndim=(1, 2)), noise=NONNEG, seed=SEED),
    _e("core.whiten", lambda: dict(X=_regression()[0], eps=1e-10), X=MATRIX, eps=POS),
    _e("core.whitened_moments", lambda: dict(sigma_xy=np.array([[1.0], [0.5]])), sigma_xy=MATRIX),
    # simulate
    _e("core.gradient_descent",
       lambda: dict(model=_net_and_params()[0], params0=_net_and_params()[1], lr=0.1, steps=5, moments=_moments(),
                    record_every=1, device="cpu", progress=False),
       model=MODEL, params0=PARAMS, lr=POS, steps=SIZE, moments=MOMENTS, X=k.array(ndim=2, optional=True),
       Y=k.array(ndim=2, optional=True), record_every=SIZE, device=DEVICE, progress=OPT_FLAG),
    _e("core.gradient_flow",
       lambda: dict(model=_net_and_params()[0], params0=_net_and_params()[1], moments=_moments(), t_max=2.0, n_times=5),
       model=MODEL, params0=PARAMS, moments=MOMENTS, t_max=POS, n_times=k.size(minimum=2),
       times=k.array(ndim=1, low=0.0, optional=True), rtol=POS, atol=POS, max_step=OPT_POS, max_evaluations=SIZE),
    # emergence (Sec. 5)
    _e("emergence.emergence_time", lambda: dict(frequencies=[0.5, 0.3, 0.2], target_scale=1.0, theta0=1e-3),
       frequencies=FREQUENCIES, target_scale=POS, theta0=POS),
    _e("emergence.fit_power_law", lambda: dict(x=[1.0, 2.0, 4.0, 8.0], y=[1.0, 0.5, 0.25, 0.125]),
       x=k.array(ndim=1, low=0.0, low_open=True), y=k.array(ndim=1, low=0.0, low_open=True),
       x_range=k.fixed("an optional (low, high) pair")),
    _e("emergence.loss_in_data", lambda: dict(n_samples=[10, 100], frequencies=[0.5, 0.3, 0.2], target_scale=1.0, shots=1),
       n_samples=TIMES, frequencies=FREQUENCIES, target_scale=POS, shots=k.at_least_one()),
    _e("emergence.loss_in_parameters", lambda: dict(n_skills=[1, 2], frequencies=[0.5, 0.3, 0.2], target_scale=1.0),
       n_skills=TIMES, frequencies=FREQUENCIES, target_scale=POS),
    _e("emergence.loss_in_time", lambda: dict(t=_t(), frequencies=[0.5, 0.3, 0.2], target_scale=1.0, theta0=1e-3),
       t=TIMES, frequencies=FREQUENCIES, target_scale=POS, theta0=POS),
    _e("emergence.scaling_exponents", lambda: dict(alpha=0.4), alpha=POS_ARRAY),
    _e("emergence.simulate_skill_model", lambda: dict(moments=_moments(), theta0=1e-3, t_max=5.0, n_times=5),
       moments=MOMENTS, theta0=POS, t_max=POS, n_times=k.size(minimum=2),
       times=k.array(ndim=1, low=0.0, optional=True), rtol=POS, atol=POS, max_evaluations=SIZE),
    _e("emergence.skill_loss", lambda: dict(strengths=[0.5, 0.1, 0.0], frequencies=[0.5, 0.3, 0.2], target_scale=1.0),
       strengths=ARRAY, frequencies=FREQUENCIES, target_scale=POS),
    _e("emergence.skill_moments", lambda: dict(frequencies=[0.5, 0.3, 0.2], target_scale=1.0),
       frequencies=FREQUENCIES, target_scale=POS),
    _e("emergence.skill_strength", lambda: dict(t=_t()[:, None], frequencies=[0.5, 0.3, 0.2], target_scale=1.0, theta0=1e-3),
       t=TIMES, frequencies=FREQUENCIES, target_scale=POS, theta0=POS),
    _e("emergence.crossing_time", lambda: dict(times=_t(), curves=np.linspace(0.0, 1.0, 5), level=0.5),
       times=VECTOR, curves=ARRAY, level=REAL,
       nan_ok={"result": "documented: 'NaN for [a curve] that never reaches [level]'; the book plots them as gaps"}),
    _e("emergence.empirical_skill_moments", lambda: {**_problem_with_data(), "target_scale": 1.0},
       problem=k.record("SparseParity"), data=k.record("ParityData"), target_scale=POS),
    _e("emergence.fit_threshold", lambda: dict(resource=[1.0, 2.0, 4.0, 8.0], strengths=[0.0, 0.1, 0.9, 1.0]),
       resource=POS_ARRAY, strengths=ARRAY,
       inf_ok={"result": "documented: '``inf`` if [no measurement counts as learned]', a threshold beyond the data"}),
    _e("emergence.fit_time_scale",
       lambda: dict(steps=np.arange(1.0, 21.0),
                    strengths=1 / (1 + 999 * np.exp(-2 * np.outer(np.arange(1.0, 21.0) * 2, [0.5, 0.3, 0.2]))),
                    frequencies=[0.5, 0.3, 0.2], target_scale=1.0),
       steps=VECTOR, strengths=MATRIX, frequencies=FREQUENCIES, target_scale=POS,
       skills=k.fixed("an optional list of skill indices"), window=k.fixed("a (low, high) pair of levels")),
    _e("emergence.skill_strength_in_data", lambda: dict(n_samples=[[10], [100]], frequencies=[0.5, 0.3, 0.2], shots=1),
       n_samples=TIMES, frequencies=FREQUENCIES, shots=k.at_least_one()),
    _e("emergence.skill_strength_in_parameters", lambda: dict(n_skills=[[1], [2]], n_tasks=3), n_skills=TIMES, n_tasks=SIZE),
    # parity and mlp (Sec. 5)
    _e("emergence.SparseParity", lambda: dict(n_tasks=4, n_bits=12, bits_per_task=3, alpha=0.4, seed=0),
       n_tasks=SIZE, n_bits=SIZE, bits_per_task=SIZE, alpha=NONNEG, seed=SEED),
    _e("emergence.power_law_frequencies", lambda: dict(n_tasks=5, alpha=0.4), n_tasks=SIZE, alpha=NONNEG),
    _e("emergence.train_mlp_batched", _mlp_settings, **MLP_KINDS),
    _e("emergence.train_mlp_loop", _mlp_settings, **MLP_KINDS),
    _e("emergence.mlp_output",
       lambda: dict(params=_mlp_params(), X=_problem().sample(5).X, device="cpu"),
       params=PARAMS, X=MATRIX, device=DEVICE),
    # regimes and ntk grids (Sec. 6)
    _e("regimes.kernel_distance", lambda: dict(K0=np.eye(3), Kt=np.eye(3) + 0.1), K0=MATRIX, Kt=MATRIX),
    _e("regimes.lambda_balanced", lambda: dict(lam=0.5, theta0=0.1, sigma_xy=np.array([[1.0, 0.0], [0.0, 0.5]]), seed=0),
       lam=REAL, theta0=NONNEG, sigma_xy=MATRIX, hidden_dim=OPT_SIZE, seed=SEED),
    _e("regimes.lambda_mode", lambda: dict(t=_t(), s=2.0, theta0=0.1, lam=0.5), t=TIMES, s=NONNEG_ARRAY,
       theta0=NONNEG_ARRAY, lam=ARRAY),
    _e("regimes.ntk", lambda: _two_layer(), W1=MATRIX, W2=MATRIX, X=MATRIX),
    _e("regimes.ntk_autodiff", lambda: {**_two_layer(), "device": "cpu"}, W1=MATRIX, W2=MATRIX, X=MATRIX, device=DEVICE),
    _e("regimes.random_lambda_balanced",
       lambda: dict(lam=0.5, theta0=0.1, input_dim=2, hidden_dim=1, output_dim=1, seed=0),
       lam=REAL, theta0=NONNEG, input_dim=SIZE, hidden_dim=SIZE, output_dim=SIZE, seed=SEED),
    _e("regimes.symmetric_init", lambda: dict(lam=0.5, input_dim=2, hidden_dim=4, output_dim=1, scale=0.1, seed=0),
       lam=REAL, input_dim=SIZE, hidden_dim=SIZE, output_dim=SIZE, scale=POS, seed=SEED),
    _e("regimes.aligned_kernel_distance",
       lambda: dict(theta=[[0.5], [1.0]], theta0=0.1, lam=0.5, input_dim=2, output_dim=1),
       theta=ARRAY, theta0=NONNEG, lam=REAL, input_dim=SIZE, output_dim=SIZE, hidden_dim=OPT_SIZE),
    _e("regimes.lambda_scale_grid",
       lambda: dict(lams=[-1.0, 0.0], scales=[0.1, 0.5], **dict(zip("XY", _regression())), steps=3, hidden_dim=3,
                    progress=False),
       lams=k.array(ndim=1), scales=k.array(ndim=1, low=0.0, low_open=True), X=MATRIX, Y=MATRIX,
       hidden_dim=OPT_SIZE, method=k.choice("batched", "loop"), seed=SEED, **GRID_KINDS),
    _e("regimes.train_grid", lambda: {**_grid_weights(), "steps": 3, "progress": False},
       W1=k.array(ndim=4), W2=k.array(ndim=4), X=MATRIX, Y=MATRIX, **GRID_KINDS),
    _e("regimes.train_grid_loop", lambda: {**_grid_weights(), "steps": 3, "progress": False},
       W1=k.array(ndim=4), W2=k.array(ndim=4), X=MATRIX, Y=MATRIX, steps=SIZE, lr=POS, target_divisor=POS,
       progress=OPT_FLAG),
    _e("regimes.weight_to_target_grid",
       lambda: dict(lams=[0.0, 1.0], ratios=[0.1, 1.0], **dict(zip("XY", _regression())), hidden_dim=4, steps=3,
                    progress=False),
       lams=k.array(ndim=1), ratios=k.array(ndim=1, low=0.0, low_open=True), X=MATRIX, Y=MATRIX, hidden_dim=SIZE,
       init_scale=POS, method=k.choice("batched", "loop"), seed=SEED,
       **{name: kind for name, kind in GRID_KINDS.items() if name != "target_divisor"}),
    _e("regimes.train_path", lambda: {**_two_layer_xy(), "steps": 4, "n_records": 3, "progress": False},
       W1=MATRIX, W2=MATRIX, X=MATRIX, Y=MATRIX, record_steps=k.fixed("optional list of steps"),
       n_records=k.size(minimum=2), **GRID_KINDS),
    _e("regimes.neuron_balanced", lambda: dict(lam=0.5, theta0=0.1, input_dim=2, width=4, seed=0),
       lam=REAL, theta0=POS, input_dim=SIZE, width=SIZE, seed=SEED),
    _e("regimes.neuron_imbalance", lambda: {key: v for key, v in _relu_inputs().items() if key != "X"}, W1=MATRIX, a=VECTOR),
    _e("regimes.outputs", _relu_inputs, W1=MATRIX, a=VECTOR, X=MATRIX, activation=k.choice("relu", "linear")),
    _e("regimes.relu_ntk", _relu_inputs, W1=MATRIX, a=VECTOR, X=MATRIX, activation=k.choice("relu", "linear")),
    _e("regimes.relu_ntk_autodiff", _relu_inputs, W1=MATRIX, a=VECTOR, X=MATRIX, activation=k.choice("relu", "linear")),
    _e("regimes.train_two_layer", lambda: {**_relu_inputs(), "y": np.linspace(-1, 1, 6), "steps": 4, "n_records": 3},
       W1=MATRIX, a=VECTOR, X=MATRIX, y=VECTOR, steps=SIZE, lr=POS, activation=k.choice("relu", "linear"),
       n_records=k.size(minimum=2)),
    # collapse (Sec. 8)
    _e("collapse.UnconstrainedFeatures", lambda: dict(n_samples=6, feature_dim=3, n_classes=3, bias=False),
       n_samples=SIZE, feature_dim=SIZE, n_classes=k.size(minimum=2), bias=FLAG),
    _e("collapse.aligned_init", lambda: dict(sigma_xy=np.array([[1.0, 0.0], [0.0, 0.5]]), hidden_dim=2, theta0=0.1, seed=0),
       sigma_xy=MATRIX, hidden_dim=SIZE, theta0=POS, seed=SEED),
    _e("collapse.collapse_metrics",
       lambda: dict(features=_features()[0], labels=_features()[1], classifier=_features()[2]),
       features=MATRIX, labels=LABELS, classifier=k.array(ndim=2, optional=True),
       bias=k.array(ndim=1, optional=True), n_classes=OPT_SIZE, rcond=POS),
    _e("collapse.effective_rank", lambda: dict(matrix=np.diag([3.0, 1.0, 0.1])), matrix=ARRAY),
    _e("collapse.hierarchical_correlation", lambda: dict(n_levels=2), n_levels=SIZE),
    _e("collapse.hierarchical_singular_values", lambda: dict(n_levels=2), n_levels=SIZE),
    _e("collapse.mode_strengths", lambda: dict(end_to_end=0.5 * np.eye(2), sigma_xy=np.diag([1.0, 0.5])),
       end_to_end=ARRAY, sigma_xy=MATRIX),
    _e("collapse.numerical_rank", lambda: dict(matrix=np.diag([3.0, 1.0, 1e-9]), rtol=1e-6, atol=0.0),
       matrix=ARRAY, rtol=NONNEG, atol=NONNEG),
    _e("collapse.random_correlation", lambda: dict(input_dim=3, output_dim=2, singular_values=[2.0, 1.0], seed=0),
       input_dim=SIZE, output_dim=SIZE, singular_values=k.array(ndim=1, low=0.0), seed=SEED),
    _e("collapse.saxe_modes", lambda: dict(t=_t(), sigma_xy=np.diag([2.0, 1.0]), theta0=0.01),
       t=TIMES, sigma_xy=MATRIX, theta0=POS_ARRAY),
    _e("collapse.simplex_etf", lambda: dict(n_classes=3, dim=3, scale=1.0, seed=0),
       n_classes=k.size(minimum=2), dim=SIZE, scale=POS, seed=SEED),
    _e("collapse.train_ufm", lambda: dict(n_classes=3, n_per_class=2, feature_dim=3, init_scale=0.1, t_max=2.0, n_times=5),
       n_classes=k.size(minimum=2), n_per_class=SIZE, feature_dim=SIZE, init_scale=POS, bias=FLAG, t_max=OPT_POS,
       n_times=k.size(minimum=2), method=k.choice("flow", "descent"), lr=OPT_POS, seed=SEED, max_evaluations=SIZE),
    _e("collapse.ufm_limit", lambda: dict(n_classes=3, n_per_class=2, bias=False),
       n_classes=k.size(minimum=2), n_per_class=SIZE, bias=FLAG),
    _e("collapse.class_means", lambda: dict(features=_features()[0], labels=_features()[1]),
       features=MATRIX, labels=LABELS, n_classes=OPT_SIZE),
    _e("collapse.class_plane", lambda: dict(features=_features()[0], labels=_features()[1]),
       features=MATRIX, labels=LABELS, reference=k.array(ndim=2, optional=True), n_classes=OPT_SIZE),
    _e("collapse.mode_basis", lambda: dict(sigma_xy=np.diag([2.0, 1.0])), sigma_xy=MATRIX),
    _e("collapse.nc1", lambda: dict(features=_features()[0], labels=_features()[1]),
       features=MATRIX, labels=LABELS, n_classes=OPT_SIZE, rcond=POS),
    _e("collapse.nc2", lambda: dict(features=_features()[0], labels=_features()[1]),
       features=MATRIX, labels=LABELS, n_classes=OPT_SIZE),
    _e("collapse.nc3", lambda: dict(features=_features()[0], labels=_features()[1], classifier=_features()[2]),
       features=MATRIX, labels=LABELS, classifier=MATRIX, n_classes=OPT_SIZE),
    _e("collapse.nc4", lambda: dict(features=_features()[0], labels=_features()[1], classifier=_features()[2]),
       features=MATRIX, labels=LABELS, classifier=MATRIX, bias=k.array(ndim=1, optional=True),
       n_classes=OPT_SIZE),
    _e("collapse.one_hot", lambda: dict(labels=[0, 1, 2, 1], n_classes=3),
       labels=LABELS, n_classes=OPT_SIZE),
    _e("collapse.plot_feature_snapshots", lambda: dict(trajectory=_ufm_trajectory(), times=[0.0, 2.0]),
       trajectory=k.dataset("Trajectory"), times=k.array(ndim=1, low=0.0), axes=AXES),
    _e("collapse.train_collapse_mlp",
       lambda: dict(X_train=_features()[0], y_train=_features()[1], X_test=_features()[0], y_test=_features()[1],
                    hidden=(4,), epochs=2, batch_size=6, progress=False),
       X_train=MATRIX, y_train=LABELS, X_test=MATRIX, y_test=LABELS,
       hidden=k.fixed("a sequence of layer widths"), epochs=SIZE, lr=POS, momentum=k.positive(zero_ok=True),
       weight_decay=NONNEG, batch_size=SIZE, loss=k.choice("mse", "cross_entropy"), init_scale=POS, device=DEVICE,
       seed=SEED, progress=OPT_FLAG),
    _e("collapse.plot_collapse_run", lambda: dict(run=_collapse_run(), title="run"),
       run=k.dataset("CollapseRun"), axes=AXES, title=OPT_TEXT),
    # grokking (Sec. 7)
    _e("grokking.WideScalarNetwork", lambda: dict(width=4, Z=1.0), width=SIZE, Z=POS),
    _e("grokking.aligned_scales", lambda: dict(params=_grokking_params(), Z=1.0), params=PARAMS, Z=POS_ARRAY),
    _e("grokking.exact_slope", lambda: dict(t=_t(), A=0.6, B=0.4, S=1.0, Z=1.0),
       t=TIMES, A=k.array(low=0.0), B=k.array(low=0.0), S=ARRAY, Z=POS_ARRAY),
    _e("grokking.exact_solution", lambda: dict(t=_t(), a0=[0.5, 0.3], b0=[0.5, -0.3], S=1.0, Z=1.0),
       t=TIMES, a0=ARRAY, b0=ARRAY, S=ARRAY, Z=POS_ARRAY),
    _e("grokking.gamma_plus_from_ratio", lambda: dict(ratio=[0.1, 1.0, 10.0]), ratio=k.array(low=0.0)),
    _e("grokking.gaussian_init", lambda: dict(width=4, scale=0.5, seed=0), width=SIZE, scale=POS,
       batch_shape=k.fixed("a shape tuple"), seed=SEED),
    _e("grokking.growth_factor", lambda: dict(t=_t(), A=0.6, B=0.4, S=1.0, Z=1.0),
       t=TIMES, A=k.array(low=0.0), B=k.array(low=0.0), S=ARRAY, Z=POS_ARRAY),
    _e("grokking.compare_with_flow", lambda: dict(w0=_grokking_params(), S=1.0, Z=1.0, t_max=3.0, n_times=5),
       w0=PARAMS, S=POS, Z=POS, t_max=POS, n_times=SIZE),
    _e("grokking.measured_growth_factor", lambda: dict(w0=_grokking_params(), S=1.0, Z=1.0),
       w0=PARAMS, S=POS, Z=POS),
    _e("grokking.compare_cure", lambda: dict(w0=_grokking_params(), S=1.0, Z=1.0, times=_t(), weight_scale=2.0),
       w0=PARAMS, S=POS, Z=POS, times=TIMES, knobs=k.fixed("the four scale factors, checked by rescaled_problem")),
    _e("grokking.growth_factors", lambda: dict(A=0.6, B=0.4, S=1.0), A=k.array(low=0.0), B=k.array(low=0.0), S=ARRAY),
    _e("grokking.mirrored_init", lambda: dict(width=4, scale=0.5, seed=0), width=SIZE, scale=POS,
       batch_shape=k.fixed("a shape tuple"), seed=SEED),
    _e("grokking.ntk_init", lambda: dict(width=4, seed=0), width=SIZE, batch_shape=k.fixed("a shape tuple"), seed=SEED),
    _e("grokking.rescaled_problem", lambda: dict(Sigma0=0.5, S=1.0, Z=1.0, weight_scale=2.0),
       Sigma0=POS_ARRAY, S=POS_ARRAY, Z=POS_ARRAY, weight_scale=POS_ARRAY, target_scale=POS_ARRAY,
       input_scale=POS_ARRAY, output_scale=POS_ARRAY),
    _e("grokking.sign_init", lambda: dict(width=4, n_aligned=2, scale=1.0), width=SIZE, n_aligned=COUNT, scale=POS),
    _e("grokking.slope", lambda: dict(params=_grokking_params(), Z=1.0), params=PARAMS, Z=POS_ARRAY),
    _e("grokking.sparse_teacher", lambda: dict(dim=6, n_train=4, n_relevant=2, n_test=5, seed=0),
       dim=SIZE, n_train=SIZE, n_relevant=SIZE, n_test=SIZE, seed=SEED),
    _e("grokking.target_moments", lambda: dict(target_scale=2.0), target_scale=REAL),  # any sign; 0: zero target
    _e("grokking.time_to_fraction", lambda: dict(fraction=0.5, A=0.6, B=0.4, S=1.0, Z=1.0),
       fraction=FRACTION, A=k.array(low=0.0), B=k.array(low=0.0), S=ARRAY, Z=POS_ARRAY),
    _e("grokking.train_diagonal",
       lambda: dict(data=_teacher(), init_scale=0.5, steps=4, n_records=2),
       data=k.record("sparse_teacher data"), init_scale=POS_ARRAY, target_scale=POS_ARRAY, input_scale=POS_ARRAY,
       output_scale=POS_ARRAY, weight_decay=k.array(low=0.0), steps=SIZE, n_records=k.size(minimum=2), safety=LEVEL),
    _e("grokking.weight_scale", lambda: dict(params=_grokking_params(), Z=1.0), params=PARAMS, Z=POS_ARRAY),
    _e("grokking.feature_arrows", lambda: dict(ax=_axes(), contributions=[0.5, -0.2, 0.1]),
       ax=k.fixed("a matplotlib Axes to draw into"), contributions=VECTOR, row=REAL, height=POS, colors=COLORS,
       total=FLAG),
    # grokking on MNIST (Sec. 7.2)
    _e("grokking.GrokkingConfig", lambda: dict(name="run", weight_scale=5.0, target_scale=3.0),
       name=TEXT, weight_scale=POS, target_scale=POS, input_scale=POS, output_scale=POS),
    _e("grokking.config_label", lambda: dict(config=_grokking_config()), config=k.record("GrokkingConfig")),
    _e("grokking.first_epoch", lambda: dict(history=_grokking_history(), split="train", level=0.01),
       history=k.dataset("GrokkingHistory"), split=k.choice("train", "test"), level=LEVEL,
       inf_ok={"result": "documented: 'First epoch at which [...] accuracy reaches level (inf if never)'"}),
    _e("grokking.generalisation_delay",
       lambda: dict(history=_grokking_history(), train_level=0.01, test_level=0.01),
       history=k.dataset("GrokkingHistory"), train_level=LEVEL, test_level=LEVEL,
       inf_ok={"result": "documented: '``inf`` when the test level is never reached within the run'"}),
    _e("grokking.forward",
       lambda: dict(params=_grokking_init(), **_torch_inputs()),
       params=k.record("stacked parameters"), X=MATRIX, input_scales=k.array(ndim=3, low=0.0, low_open=True),
       output_scales=k.array(ndim=3, low=0.0, low_open=True)),
    _e("grokking.init_params",
       lambda: dict(configs=_grokking_configs(), input_dim=16, settings={**_full_grokking_settings()}),
       configs=k.record("GrokkingConfig sequence"), input_dim=SIZE, settings=k.record("settings dict"), device=DEVICE),
    _e("grokking.load_results", lambda: dict(path=_grokking_results_file()), path=k.path_in()),
    _e("grokking.measured_epochs", lambda: dict(epochs=5, eval_every=2), epochs=SIZE, eval_every=SIZE),
    _e("grokking.plot_history", lambda: dict(history=_grokking_history(), title="run"),
       history=k.dataset("GrokkingHistory"), test_level=k.fraction(optional=True, one_ok=True), title=OPT_TEXT),
    _e("grokking.run_and_save",
       lambda: dict(path=os.path.join(scratch_dir(), "grokking-out.json"), configs=_grokking_configs(),
                    data=_mnist_like(), progress=False, **GROKKING_SETTINGS),
       path=k.path_out(), configs=k.record("GrokkingConfig sequence"), n_train=SIZE, n_test=SIZE,
       data=k.fixed("None loads MNIST, which a test cannot assume; fuzzed through train_grokking"), batched=FLAG,
        device=DEVICE, command=OPT_TEXT, progress=FLAG, **GROKKING_KINDS),
    _e("grokking.train_grokking",
       lambda: dict(data=_mnist_like(), configs=_grokking_configs(), progress=False, **GROKKING_SETTINGS),
       data=k.dataset("MnistData"), configs=k.record("GrokkingConfig sequence"), batched=FLAG, device=DEVICE,
       progress=FLAG, **GROKKING_KINDS),
    # mnist
    _e("core.balanced_sample", lambda: dict(labels=np.arange(20) % 10, n=10, rng=np.random.default_rng(0)),
       labels=LABELS, n=SIZE, rng=k.record("numpy Generator")),
    _e("core.one_hot", lambda: dict(labels=[0, 3, 9], n_classes=10, scale=1.0),
       labels=LABELS, n_classes=SIZE, scale=POS, dtype=k.fixed("a numpy float dtype")),
    # resnet (Sec. 8.3)
    _e("collapse.BasicBlock", lambda: dict(in_channels=2, out_channels=4, stride=2),
       in_channels=SIZE, out_channels=SIZE, stride=SIZE),
    _e("collapse.ResNet18", lambda: dict(num_classes=4, in_channels=1, width=2, blocks_per_stage=(1, 1, 1, 1)),
       num_classes=k.size(minimum=2), in_channels=SIZE, width=SIZE, blocks_per_stage=k.fixed("a tuple of block counts")),
    _e("collapse.TrainConfig", lambda: dict(epochs=2, batch_size=8, width=2),
       dataset=k.choice("cifar10", "mnist", "random"), data_root=TEXT, download=FLAG, epochs=SIZE, batch_size=SIZE,
       lr=POS, momentum=NONNEG, weight_decay=NONNEG, lr_decay_epochs=k.fixed("an increasing tuple of epochs"),
       lr_decay=LEVEL, loss=k.choice("cross_entropy", "mse"), width=SIZE, n_train=OPT_SIZE, n_test=OPT_SIZE,
       n_metric=OPT_SIZE, max_batches=OPT_SIZE, eval_batch_size=SIZE, seed=SEED, device=k.device(spelling_only=True), amp=FLAG,
       channels_last=FLAG),
    _e("collapse.random_images", lambda: dict(n_train=8, n_test=4, n_classes=4, channels=1, size=8, seed=0),
       n_train=SIZE, n_test=SIZE, n_classes=k.size(minimum=2), channels=SIZE, size=SIZE, seed=SEED),
    _e("collapse.train_collapse", lambda: dict(data=_images(), config=_train_config(), progress=False),
       data=k.dataset("ImageData"), config=k.record("TrainConfig"), progress=OPT_FLAG, pin_threads=FLAG),
    _e("collapse.run_and_save",
       lambda: dict(config=_train_config(), path=os.path.join(scratch_dir(), "collapse-out.json"), data=_images(),
                    progress=False),
       config=k.record("TrainConfig"), path=k.path_out(), data=k.dataset("ImageData"), command=OPT_TEXT,
       progress=OPT_FLAG, pin_threads=FLAG),
    _e("collapse.load_results", lambda: dict(path=_collapse_results_file()), path=k.path_in()),
    _e("collapse.terminal_phase", lambda: dict(history=_perfect_history()), history=k.dataset("CollapseHistory")),
    _e("collapse.plot_history", lambda: dict(history=_collapse_history(), title="run"),
       history=k.dataset("CollapseHistory"), title=OPT_TEXT),
    # plotting
    _e("runs.machine", dict),
    _e("runs.stored_runs", dict, folder=k.fixed("a folder of result files; None means labhelpers/results")),
    _e("plotting.convergence_plot", lambda: dict(step_sizes=[0.1, 0.05, 0.025], errors=[1e-2, 5e-3, 2.5e-3]),
       step_sizes=k.array(ndim=1, low=0.0, low_open=True), errors=k.array(ndim=1, low=0.0, low_open=True), ax=AXES,
       order=POS, label=TEXT, xlabel=TEXT, ylabel=TEXT, legend=LEGEND),
    _e("plotting.course_map", dict),
    _e("plotting.use_style", dict),
    _e("plotting.glue", lambda: dict(name="fuzz_value", value=1.5), name=TEXT,
       value=k.fixed("any value to show in the text")),
    _e("plotting.phase_portrait", lambda: dict(target_scale=1.0, density=5),
       target_scale=POS, ax=AXES, extent=POS, imbalances=k.array(ndim=1, optional=True), density=SIZE,
       trajectories=k.fixed("optional curves to overlay"), legend=LEGEND),
    _e("plotting.smallest_text_pt", lambda: dict(fig=_small_figure()), fig=k.fixed("a matplotlib Figure"),
       inf_ok={"result": "documented: '(inf if it shows none)', a figure without text"}),
    _e("plotting.relative_error", lambda: dict(simulation=[1.0, 2.0], theory=[1.0, 2.1], floor=1e-12),
       simulation=ARRAY, theory=ARRAY, floor=POS),
    _e("plotting.theory_vs_simulation",
       lambda: dict(times=_t(), simulation=np.linspace(0, 1, 5), theory=np.linspace(0, 1, 5)),
       times=VECTOR, simulation=ARRAY, theory=ARRAY, ax=AXES, labels=k.fixed("optional curve labels"), every=SIZE,
       xlabel=TEXT, ylabel=TEXT, colors=COLORS, legend=LEGEND),
    # limits: depth (chapter 6)
    _e("limits.deep_mode_rate", lambda: dict(theta=[0.1, 0.5], target_scale=1.0, depth=3, variance=1.0),
       theta=NONNEG_ARRAY, target_scale=POS_ARRAY, depth=k.size(minimum=2), variance=POS_ARRAY),
    _e("limits.deep_saturation_time",
       lambda: dict(fraction=0.9, target_scale=[1.0, 2.0], theta0=1e-3, depth=3, variance=1.0),
       fraction=FRACTION, target_scale=POS_ARRAY, theta0=POS_ARRAY, depth=k.size(minimum=2), variance=POS_ARRAY),
    _e("limits.deep_half_rise_time", lambda: dict(target_scale=[1.0, 2.0], theta0=1e-3, depth=4, variance=1.0),
       target_scale=POS_ARRAY, theta0=POS_ARRAY, depth=k.size(minimum=2), variance=POS_ARRAY),
    _e("limits.deep_mode", lambda: dict(t=_t(), target_scale=1.0, theta0=1e-3, depth=3, variance=1.0),
       t=TIMES, target_scale=POS_ARRAY, theta0=POS_ARRAY, depth=k.size(minimum=2), variance=POS_ARRAY),
    _e("limits.stage_overlap",
       lambda: dict(target_scales=[2.0, 1.5, 1.0], theta0=1e-2, depth=3, variance=1.0, level=0.9),
       target_scales=k.array(ndim=1, low=0.0, low_open=True), theta0=POS_ARRAY, depth=k.size(minimum=2),
       variance=POS_ARRAY, level=FRACTION),
    _e("limits.DeepDiagonalNetwork", lambda: dict(depth=3, input_dim=2), depth=k.size(minimum=2), input_dim=SIZE),
    # limits: biases and skip connections (chapter 6)
    _e("limits.offset_moments",
       lambda: dict(means=[0.0, 1.0], variances=[1.0, 0.5], target_scales=[1.0, 2.0], offset=0.5),
       means=VECTOR, variances=k.array(ndim=1, low=0.0, low_open=True), target_scales=VECTOR, offset=REAL),
    _e("limits.bias_relaxation", lambda: dict(t=_t(), offset=1.5, bias0=0.0), t=TIMES, offset=ARRAY, bias0=ARRAY),
    _e("limits.BiasedDiagonalNetwork", lambda: dict(features=2), features=SIZE),
    _e("limits.SkipDiagonalNetwork", lambda: dict(input_dim=2, skip_rate=1.0), input_dim=SIZE, skip_rate=NONNEG),
    _e("limits.skip_product_share", lambda: dict(target_scale=1.0, theta0=1e-3, skip_rate=[0.05, 0.5], skip0=0.0),
       target_scale=POS_ARRAY, theta0=POS_ARRAY, skip_rate=NONNEG_ARRAY, skip0=ARRAY),
    _e("limits.skip_crossover_rate", lambda: dict(target_scale=1.0, theta0=1e-3, skip0=0.0),
       target_scale=POS_ARRAY, theta0=POS_ARRAY, skip0=ARRAY),
    _e("limits.skip_mode",
       lambda: dict(t=_t(), target_scale=1.0, theta0=1e-3, skip_rate=0.3, variance=1.0, skip0=0.0),
       t=TIMES, target_scale=POS_ARRAY, theta0=POS_ARRAY, skip_rate=NONNEG_ARRAY, variance=POS_ARRAY, skip0=ARRAY),
    # limits: linear and non-linear networks; normalisation and perturbation (chapter 6)
    _e("limits.symmetric_gaussian_inputs", lambda: dict(n_pairs=8, input_dim=2, seed=0),
       n_pairs=k.size(minimum=2), input_dim=SIZE, seed=SEED),
    _e("limits.mirrored_init", lambda: dict(sigma_xy=np.diag([2.0, 1.0]), hidden_dim=4, theta0=1e-3),
       sigma_xy=k.array(ndim=2), hidden_dim=k.size(minimum=4), theta0=POS),
    _e("limits.random_init", lambda: dict(input_dim=2, hidden_dim=4, output_dim=1, scale=0.1, seed=0),
       input_dim=SIZE, hidden_dim=SIZE, output_dim=SIZE, scale=POS, seed=SEED),
    _e("limits.linear_prediction",
       lambda: dict(t=_t(), sigma_xy=np.diag([2.0, 1.0]), theta0=1e-3, activation="relu"),
       t=TIMES, sigma_xy=k.array(ndim=2), theta0=POS, activation=k.choice("linear", "tanh", "relu")),
    _e("limits.half_rise_times", lambda: dict(t=_t(), strengths=np.linspace(0, 1, 5)[:, None], target_scales=1.0),
       t=TIMES, strengths=ARRAY, target_scales=POS_ARRAY,
       nan_ok={"result": "documented: 'NaN where a curve never reaches s/2'"}),
    _e("limits.train_network",
       lambda: dict(X=np.array([[1.0, 0.0], [0.0, 1.0], [-1.0, 0.0], [0.0, -1.0]]),
                    Y=np.array([[1.0], [0.5], [-1.0], [-0.5]]),
                    params={"W1": np.full((2, 2), 0.1), "W2": np.full((2, 1), 0.1)},
                    activation="tanh", times=np.array([0.0, 0.1]), dt=0.05, gain=1.0),
       X=k.array(ndim=2), Y=k.array(ndim=2), params=k.fixed("a dict of W1 (..., d, p) and W2 (..., p, c)"),
       activation=k.choice("linear", "tanh", "relu"), times=k.fixed("multiples of dt"), dt=POS, gain=POS_ARRAY),
    _e("limits.equicorrelated_covariance", lambda: dict(variances=[1.0, 2.0], correlation=0.3),
       variances=k.array(ndim=1, low=0.0, low_open=True), correlation=REAL),
    _e("limits.linear_teacher_moments", lambda: dict(sigma_xx=np.eye(2), teacher=np.eye(2)),
       sigma_xx=k.array(ndim=2), teacher=k.array(ndim=2)),
    _e("limits.normalised_moments",
       lambda: dict(moments=_moments(), method="whiten"),
       moments=k.moments(), method=k.choice("standardise", "whiten")),
    _e("limits.perturbation_deviation",
       lambda: dict(X=np.vstack([np.eye(2), -np.eye(2)]) * np.sqrt(2), sigma_xy=np.diag([1.0, 0.5]), theta0=1e-2,
                    gains=[0.1, 0.2], times=np.array([0.0, 0.1]), dt=0.05),
       X=k.array(ndim=2), sigma_xy=k.array(ndim=2), theta0=POS_ARRAY, gains=k.array(ndim=1, low=0.0, low_open=True),
       times=k.fixed("multiples of dt"), dt=POS),
    _e("limits.power_law_slope", lambda: dict(x=[1.0, 2.0, 4.0], y=[1.0, 4.0, 16.0]),
       x=k.array(ndim=1, low=0.0, low_open=True), y=k.array(ndim=1, low=0.0, low_open=True)),    # regimes: upstream initialisation in a CNN (chapter 4, rg-cnn)
    _e("regimes.layer_scales", lambda: dict(scheme="upstream", alpha=4.0),
       scheme=k.choice("standard", "upstream", "downstream"), alpha=POS),
    _e("regimes.build_cnn", lambda: dict(scales=[0.5, 1.0, 2.0], channels=(2, 3), n_classes=3, seed=0),
       scales=k.array(ndim=1, low=0.0, low_open=True), channels=k.fixed("two numbers of filters (conv1, conv2)"),
       n_classes=k.size(minimum=2), seed=SEED, device=DEVICE),
    _e("regimes.train_cnn",
       lambda: {**_cnn_digits(), "scales": [0.5, 1.0, 2.0], "channels": (2, 3), "epochs": 1, "batch_size": 3,
                "probe": 2},
       X_train=k.array(ndim=(2, 3)), y_train=LABELS, X_test=k.array(ndim=(2, 3)), y_test=LABELS,
       scales=k.array(ndim=1, low=0.0, low_open=True), channels=k.fixed("two numbers of filters (conv1, conv2)"),
       epochs=SIZE, lr=POS, batch_size=SIZE, probe=COUNT, record_steps=k.fixed("optional list of steps"),
       device=DEVICE, seed=SEED, progress=FLAG,
       nan_ok={"result.kernel_distance": "the docstring: 'NaN everywhere when probe=0' (no kernel measured)"}),
    _e("regimes.filter_change", lambda: dict(initial=_rng(6).normal(size=(3, 5, 5)), final=_rng(7).normal(size=(3, 5, 5))),
       initial=k.array(ndim=3), final=k.array(ndim=3)),
    _e("regimes.filter_roughness", lambda: dict(filters=_rng(6).normal(size=(3, 5, 5))), filters=k.array(ndim=3)),
    _e("regimes.plot_filters", lambda: dict(filters={"a": _rng(6).normal(size=(3, 5, 5))}),
       filters=k.fixed("a dict of row label -> (c, h, w) filters"), fig=k.fixed("a matplotlib Figure to draw into")),
    # grokking: modular arithmetic (chapter 5, gk-modular)
    _e("grokking.ModularConfig", lambda: dict(name="run", embedding_scale=0.1),
       name=TEXT, embedding_scale=POS, readout_scale=POS, target_scale=POS, output_scale=POS),
    _e("grokking.modular_dataset", lambda: dict(p=7, train_fraction=0.5, seed=0),
       p=k.size(minimum=2), train_fraction=FRACTION, seed=SEED),
    _e("grokking.init_modular", lambda: dict(configs=__import__("labhelpers").grokking.MODULAR_CONFIGS[:2], p=5,
                                             width=6, seed=0),
       configs=k.record("ModularConfig sequence"), p=k.size(minimum=2), width=SIZE, seed=SEED, device=DEVICE),
    _e("grokking.modular_forward", lambda: dict(params=_modular_params(), **_modular_pairs()),
       params=k.record("stacked parameters"), a=k.fixed("an integer tensor of residues"),
       b=k.fixed("an integer tensor of residues"), output_scales=k.array(ndim=3, low=0.0, low_open=True)),
    _e("grokking.train_modular",
       lambda: dict(data=_modular_data(), configs=__import__("labhelpers").grokking.MODULAR_CONFIGS[:2],
                    **MODULAR_SETTINGS),
       data=k.dataset("ModularData"), configs=k.record("ModularConfig sequence"), device=DEVICE, progress=FLAG,
       pin_threads=FLAG, **MODULAR_KINDS),
    _e("grokking.first_step", lambda: dict(history=_modular_history(), split="train", level=0.01),
       history=k.dataset("ModularHistory"), split=k.choice("train", "test"), level=LEVEL,
       inf_ok={"result": "documented: 'First measured step at which [...] accuracy reaches level (inf if never)'"}),
    _e("grokking.grokking_delay", lambda: dict(history=_modular_history(), train_level=0.01, test_level=0.01),
       history=k.dataset("ModularHistory"), train_level=LEVEL, test_level=LEVEL,
       inf_ok={"result": "documented: '``inf`` when the test level is never reached'"}),
    _e("grokking.load_modular", lambda: dict(path=_modular_results_file()), path=k.path_in()),
    _e("grokking.plot_modular", lambda: dict(history=_modular_history(), title="run"),
       history=k.dataset("ModularHistory"), train_level=LEVEL, test_level=LEVEL, title=OPT_TEXT),
    # checks: self-checks never raise to a student (item 8)
    _e("checks.check", lambda: dict(name="q1", answer=[1.0, 2.0], expected=[1.0, 2.0], show=False),
       name=TEXT, answer=k.student(), expected=k.fixed("the instructor's reference value"), rtol=NONNEG, atol=NONNEG,
       hints=k.fixed("the instructor's hints"), show=FLAG),
    _e("checks.check_function",
       lambda: dict(name="q2", student_fn=np.square, reference_fn=np.square, cases=[(1.0,), (2.0,)], show=False),
       name=TEXT, student_fn=k.student(), reference_fn=k.fixed("the instructor's reference function"),
       cases=k.fixed("the instructor's test cases"), rtol=NONNEG, atol=NONNEG, hints=k.fixed("the instructor's hints"),
       show=FLAG, scalar_case=k.fixed("the instructor's scalar case")),
    _e("checks.differs_at", lambda: dict(indices=(0, 2)), indices=k.fixed("indices, each checked as an int")),
    _e("checks.ready", lambda: dict(verdicts=(_verdict(),)), verdicts=k.fixed("Verdicts from check()")),
    _e("checks.make_verdict", lambda: dict(name="q3", status="correct", message="ok", show=False),
       name=TEXT, status=k.choice("not attempted", "incorrect", "correct"), message=TEXT, show=FLAG),
    _e("checks.word_answers", lambda: dict(words=["rich", "lazy"], choices={"rich": 1.0, "lazy": 0.0}),
       words=k.student(), choices=k.fixed("the instructor's mapping")),
    # explore: the data behind each widgets explorer (Sec. 3-7), computed by the chapters; the explorers only draw
    _e("collapse.collapse_curves",
       lambda: dict(init_scales=(0.01, 0.1), snapshot_times=(0.0, 1.0), n_classes=3, n_per_class=2, feature_dim=3,
                    n_times=11),
       init_scales=k.array(ndim=1, low=0.0, low_open=True), snapshot_times=k.array(ndim=1, low=0.0),
       n_classes=k.size(minimum=2), n_per_class=SIZE, feature_dim=SIZE, n_times=k.size(minimum=2), seed=SEED),
    _e("emergence.emergence_curves",
       lambda: dict(alphas=(0.5, 1.0), initial_scales=(0.01, 0.001), n_shown=2, n_skills=10, n_times=11),
       alphas=k.array(ndim=1, low=0.0, low_open=True), initial_scales=k.array(ndim=1, low=0.0, low_open=True),
       n_shown=SIZE, n_skills=SIZE, target_scale=POS, n_times=k.size(minimum=2)),
    _e("core.feedback_curves",
       lambda: dict(target_scale=1.0, initial_scales=(0.01, 0.1), imbalances=(0.0, 1.0), n_times=11),
       target_scale=POS, initial_scales=k.array(ndim=1, low=0.0, low_open=True), imbalances=k.array(ndim=1),
       variance=POS, t_max=OPT_POS, n_times=k.size(minimum=2)),
    _e("grokking.grokking_curves", lambda: dict(ratios=(0.1, 1.0), Zs=(1.0,), widths=(4,), n_times=11),
       ratios=k.array(ndim=1, low=0.0, low_open=True), Zs=k.array(ndim=1, low=0.0, low_open=True),
       widths=k.fixed("a sequence of widths"), target_scale=POS, n_times=k.size(minimum=2)),
    _e("regimes.regimes_curves",
       lambda: dict(lams=(0.0, 1.0), initial_scales=(0.01, 0.1), target_scales=(2.0, 1.0), n_times=11),
       lams=k.array(ndim=1), initial_scales=k.array(ndim=1, low=0.0, low_open=True),
       target_scales=k.array(ndim=1, low=0.0, low_open=True), n_times=k.size(minimum=2)),
]  # fmt: skip


def _mlp_params():
    from labhelpers.emergence import mlp

    return mlp.train_mlp_batched(**{**_mlp_settings(), "steps": 2}).final_params


def _grid_weights():
    rng = _rng(6)
    X, Y = _regression()
    return {"W1": 0.3 * rng.normal(size=(2, 2, 3, 3)), "W2": 0.3 * rng.normal(size=(2, 2, 3, 1)), "X": X, "Y": Y}


def _perfect_history():
    """A ResNet history whose last epoch reaches zero training error (what terminal_phase needs)."""
    history = _collapse_history()
    history.metrics["train_accuracy"] = np.array([0.5, 1.0])
    return history


def _torch_inputs():
    import torch

    X = torch.as_tensor(_mnist_like().X_train[:4])
    return {"X": X, "input_scales": torch.ones(2, 1, 1), "output_scales": torch.ones(2, 1, 1)}


def _two_layer_xy():
    weights = _two_layer()
    X = _rng(7).normal(size=(5, 2))
    return {"W1": weights["W1"], "W2": weights["W2"], "X": X, "Y": X[:, :1] - 0.5 * X[:, 1:]}


def _teacher():
    from labhelpers import grokking

    return grokking.sparse_teacher(dim=6, n_train=4, n_relevant=2, n_test=5, seed=0)


def _axes():
    import matplotlib.pyplot as plt

    return plt.figure().add_subplot()


def _grokking_config():
    from labhelpers.grokking import mnist as gm

    return gm.GrokkingConfig("run", weight_scale=5.0, target_scale=3.0)


def _grokking_configs():
    from labhelpers.grokking import mnist as gm

    return gm.PAPER_CONFIGS[:2]


def _full_grokking_settings():
    from labhelpers.grokking import mnist as gm

    return {**gm.DEFAULT_SETTINGS, **GROKKING_SETTINGS}


def _grokking_init():
    from labhelpers.grokking import mnist as gm

    return gm.init_params(_grokking_configs(), 16, _full_grokking_settings())


def _verdict():
    from labhelpers import checks

    return checks.check("q", 1.0, 1.0, show=False)


_RECORD = "a record the library returns (its fields are checked where it is built), not an input"
_DRAWS = "an interactive figure; its data comes from the matching *_curves function, fuzzed above"
_NEEDS_FILES = "reads MNIST or CIFAR-10 from disk or the internet, which a test cannot assume"

EXEMPT: dict[str, str] = {
    **{f"labhelpers.{name}": _RECORD for name in (
        "regimes.KernelGrid", "regimes.KernelPath", "collapse.CollapseMetrics", "emergence.MLPTrajectory",
        "emergence.ParityData", "core.Trajectory", "checks.Verdict", "collapse.CollapseRun",
        "collapse.PerEpochMetrics", "emergence.PowerLawFit", "emergence.ResourceExponents",
        "emergence.TimeCalibration", "grokking.GrokkingRun", "grokking.GrokkingHistory", "core.MnistData",
        "regimes.NeuronRun", "collapse.CollapseHistory", "collapse.ImageData", "collapse.TerminalPhase",
        "grokking.CureComparison", "grokking.FlowComparison", "limits.NonlinearRun", "regimes.CnnRun", "grokking.ModularData", "grokking.ModularHistory",
    )},
    **{f"labhelpers.grokking.{name}": "draws one panel of the grokking chapter into a caller's Axes, from data "
       "that compare_with_flow, measured_growth_factor or a GrokkingRun computed; tested in "
       "tests/grokking/test_grokking_simulations.py" for name in (
        "plot_delayed_generalisation", "plot_generalisation_vs_ratio", "plot_growth_factor", "plot_ntk_scaling")},
    **{f"labhelpers.runs.{name}": "the trainers' scaffold: it takes the trainer's own functions and tensors; tested "
       "in tests/runs/test_loop.py and through every trainer" for name in (
        "train_loop", "epoch_batches", "optimizer_step", "show_progress", "Records", "Throughput")},
    "labhelpers.runs.results_file": "the path of a file shipped in labhelpers/results; tested in tests/runs/test_results_files.py",
    "labhelpers.runs.read_results": "reads a stored run; its refusals are tested in tests/runs/test_results_files.py",
    "labhelpers.runs.write_json": "writes a trainer's results atomically; tested in tests/runs/test_results_files.py",
    "labhelpers.runs.record": "the provenance of the running process (no arguments that come from a user)",
    "labhelpers.runs.cpu_threads_pinned": "a context manager the trainers use; tested with their determinism",
    "labhelpers.checks.Exercise": "a lesson's exercise record (its fields are checked where it is built); tested in "
    "tests/checks/test_exercise_registry.py and, for every lesson, tests/lessons/test_exercises.py",
    "labhelpers.checks.Exercises": "a lesson's registry of Exercise records; tested in tests/checks/test_exercise_registry.py",
    "labhelpers.core.DivergenceError": "an exception type (a ValueError) raised by the trainers",
    "labhelpers.core.DivergenceGuard": "the trainers' shared step check, tested with them; not for users",
    "labhelpers.core.Model": "an abstract base class; every concrete model is fuzzed",
    **{f"labhelpers.widgets.{name}": _DRAWS for name in (
        "collapse_explorer", "emergence_explorer", "feedback_explorer", "grokking_explorer", "regimes_explorer",
    )},
    "labhelpers.widgets.SliderFigure": "a figure around a caller's draw function; tested in tests/widgets/test_widgets.py",
    "labhelpers.collapse.draw_feature_plane": "draws into a caller's Axes given coordinates from class_plane",
    "labhelpers.core.load_mnist": _NEEDS_FILES,
    "labhelpers.collapse.load_cifar10": _NEEDS_FILES,
    "labhelpers.collapse.mnist_images": _NEEDS_FILES,
    "labhelpers.collapse.load_data": _NEEDS_FILES,
    "labhelpers.grokking.benchmark": _NEEDS_FILES + " (and times two full trainings)",
    "labhelpers.grokking.load_benchmark": "needs a benchmark file, which only benchmark() (MNIST) writes",
    "labhelpers.grokking.main": "the command line; its options go through run_and_save, fuzzed above",
    "labhelpers.collapse.main": "the command line; its options go through TrainConfig, fuzzed above",
}  # fmt: skip

ENTRIES: dict[str, Entry] = {entry.target: entry for entry in ENTRY_LIST}


def exemptions() -> dict[str, str]:
    """:data:`EXEMPT`, plus every public exception type (raised by the library, never called by a user)."""
    errors = {
        name: "an exception type: the library raises it, a user never calls it"
        for name, obj in public_callables().items()
        if isinstance(obj, type) and issubclass(obj, BaseException)
    }
    return {**errors, **EXEMPT}
