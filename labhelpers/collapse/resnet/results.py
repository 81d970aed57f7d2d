"""Storing and reading a ResNet18 run: :func:`run_and_save` / :func:`load_results`, and what a run shows.

One run is saved as a small JSON file with its provenance (device, date, command, wall time, library
versions) and, for runs trained since the training scaffold, its throughput; :func:`load_results` is the
validating loader the book reads it with. :func:`terminal_phase` finds when training error first reaches
zero and how far NC1 falls after it, and :func:`plot_history` draws NC1-NC4 and the accuracies per epoch.

Book: chapter 3, "Neural collapse in ResNet18" (Sec. nc-resnet).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from ...core import validation as check
from ...runs import provenance as provenance_
from ...runs import schema as results_schema
from ...runs.loop import Throughput
from .config import TrainConfig
from .data import ImageData, load_data
from .train import HISTORY_KEYS, CollapseHistory, train_collapse


def run_and_save(
    config: TrainConfig,
    path,
    *,
    data: ImageData | None = None,
    command: str | None = None,
    progress: bool | None = None,
    pin_threads: bool = True,
) -> CollapseHistory:
    """Load the data, train (:func:`train_collapse`) and write the history with its provenance as JSON.

    The file holds ``format``, ``config``, ``history`` (one list per name in ``HISTORY_KEYS``) and
    ``provenance``: ``device`` (e.g. the GPU's name), ``date`` (UTC, ISO 8601), ``command``,
    ``wall_time_s``, ``versions`` (python, numpy, torch, labhelpers, cuda, cudnn, torchvision),
    ``platform``, ``data`` (the data set's name) and ``data_message`` (where its images came from), and
    ``throughput`` (:meth:`labhelpers.runs.Throughput.as_dict`: training seconds and samples per second, the
    evaluation excluded). It is written to a temporary file first and then renamed, so a crash never leaves
    half a file. Read it with :func:`load_results`.

    Parameters
    ----------
    config : TrainConfig
        Settings of the run.
    path : str or path
        Output file (``.json``); parent folders are created.
    data : ImageData, optional
        Data to use instead of :func:`load_data` of ``config``.
    command : str, optional
        How the run was started, for the record (default: the process's command line).
    progress : bool, optional
        Progress bar, as in :func:`train_collapse`.
    pin_threads : bool
        One torch thread on the CPU, as in :func:`train_collapse` (the command line turns it off).

    Returns
    -------
    CollapseHistory
        The history, with ``provenance`` as saved.
    """
    provenance_.check_path(path)
    started = time.perf_counter()
    date = provenance_.utc_now()
    command = provenance_.command_line(command)
    data = load_data(config) if data is None else data
    history = train_collapse(data, config, progress=progress, pin_threads=check.flag("pin_threads", pin_threads))
    history.provenance = provenance_.record(
        history.provenance["device"],
        date,
        time.perf_counter() - started,
        command,
        torch_threads=torch.get_num_threads(),
        data=data.name,
        data_message=data.message,
    )
    provenance_.write_json(history.to_dict(), path)
    return history


def load_results(path) -> CollapseHistory:
    """Read and check a file written by :func:`run_and_save`.

    The file must match ``RESNET_RUN_SCHEMA`` (``labhelpers.runs.schema``): the format tag, every
    config entry and history list with its type and range (losses, times and collapse metrics never
    negative, accuracies and the NC4 fraction in [0, 1], every number finite) and the provenance (device,
    date, command, wall time, versions). The config must then be a valid :class:`TrainConfig`, and the
    history must agree with it (``_check_stored_history``). Any failure raises ``ValueError`` naming the
    file and the problem; an empty, truncated or binary file gets its own message. The ``throughput`` is
    optional (runs stored before the training scaffold lack it: then ``history.throughput`` is None).

    Parameters
    ----------
    path : str or path
        A JSON file from :func:`run_and_save`.

    Returns
    -------
    CollapseHistory
    """
    document = results_schema.read_results(path, "collapse-run")
    path = Path(path)
    try:
        config = TrainConfig.from_dict(document["config"])
    except (ValueError, TypeError) as error:
        raise results_schema.invalid(path, "collapse-run", f"config: {error}") from error
    provenance = document["provenance"]
    throughput = _stored_throughput(document.get("throughput"))
    _check_stored_history(path, config, document["history"], provenance, throughput)
    columns = {key: np.asarray(document["history"][key], dtype=float) for key in HISTORY_KEYS}
    epochs = columns.pop("epoch")
    return CollapseHistory(epochs.astype(int), columns, config.as_dict(), provenance, throughput)


def _stored_throughput(stored: dict | None) -> Throughput | None:
    """The :class:`~labhelpers.runs.Throughput` a file records (None when it has none), its FLOP count per
    sample recovered from the GFLOP/s where one was recorded."""
    if stored is None:
        return None
    gflops, rate = stored["gflops_per_second"], stored["samples_per_second"]
    flops = None if gflops is None or rate == 0 else gflops * 1e9 / rate
    return Throughput(stored["train_seconds"], stored["samples"], flops)


def _check_stored_history(
    path: Path, config: TrainConfig, history: dict, provenance: dict, throughput: Throughput | None = None
) -> None:
    """What a schema cannot state: the history lists agree in length and with the config and the provenance.

    The learning rate of epoch ``e`` must be ``lr * lr_decay ** (number of milestones < e)`` (the
    ``MultiStepLR`` schedule of :func:`train_collapse`, to a relative 1e-9), the epochs must increase and not
    pass ``config['epochs']``, the sizes the data message records must be the configured ones, and the epochs
    together cannot have taken longer than the whole run, nor can its training (``throughput``, if recorded).
    """

    def agree(condition, problem):
        results_schema.agree(path, "collapse-run", condition, problem)

    lengths = {key: len(history[key]) for key in HISTORY_KEYS}
    agree(len(set(lengths.values())) == 1, f"history lists differ in length: {lengths}")
    epochs = history["epoch"]
    agree(all(b > a for a, b in zip(epochs, epochs[1:])), "history['epoch'] must increase")
    agree(epochs[-1] <= config.epochs, f"history runs to epoch {epochs[-1]}, past config['epochs'] = {config.epochs}")
    for epoch, lr in zip(epochs, history["lr"]):
        expected = config.lr * config.lr_decay ** sum(m < epoch for m in config.milestones)
        agree(
            math.isclose(lr, expected, rel_tol=1e-9),
            f"history['lr'] is {lr} at epoch {epoch}, but lr, lr_decay and lr_decay_epochs in config give {expected}",
        )
    recorded = provenance.get("data", config.dataset)
    agree(recorded == config.dataset, f"provenance['data'] is {recorded!r} but config['dataset'] is {config.dataset!r}")
    sizes = results_schema.recorded_sizes(provenance.get("data_message", ""))
    for name, size in zip(("n_train", "n_test"), sizes or ()):
        setting = getattr(config, name)
        agree(setting in (None, size), f"config[{name!r}] is {setting}, but the data message records {size}")
    n_train = config.n_train or (sizes[0] if sizes else None)
    agree(
        None in (config.n_metric, n_train) or config.n_metric <= n_train,
        f"config['n_metric'] = {config.n_metric} is more than the {n_train} training samples",
    )
    spent, wall = sum(history["epoch_seconds"]), provenance["wall_time_s"]
    agree(spent <= wall * (1 + 1e-9), f"the epochs took {spent} s in all, more than the run's wall time {wall} s")
    if throughput is not None:
        trained = throughput.train_seconds
        agree(trained <= wall * (1 + 1e-9), f"the training took {trained} s, more than the run's wall time {wall} s")


# ============================================================================ reading a run


@dataclass(frozen=True)
class TerminalPhase:
    """Where the terminal phase of training starts in a :class:`CollapseHistory`, and what NC1 does in it.

    Attributes
    ----------
    zero_error_epoch : int
        First epoch whose training accuracy (on the metric samples) is exactly 1.
    nc1_at_zero_error, final_nc1 : float
        NC1 at that epoch and at the last epoch.
    nc1_fall : float
        ``nc1_at_zero_error / final_nc1``: how many times NC1 shrank during the terminal phase.
    epochs_past_zero_error : int
        Epochs trained after ``zero_error_epoch``.
    final_train_accuracy, final_test_accuracy : float
        Accuracies at the last epoch.
    """

    zero_error_epoch: int
    nc1_at_zero_error: float
    final_nc1: float
    nc1_fall: float
    epochs_past_zero_error: int
    final_train_accuracy: float
    final_test_accuracy: float


def _check_history(history) -> CollapseHistory:
    """Refuse what is not a usable :class:`CollapseHistory`: the wrong type, no epoch, epochs that are not
    increasing integers, or a metric that is not finite or not one value per epoch (a record edited by
    hand after :func:`train_collapse` or :func:`load_results` built it)."""
    if not isinstance(history, CollapseHistory):
        raise ValueError(
            f"history must be a labhelpers.collapse.resnet.CollapseHistory (from train_collapse or load_results); "
            f"got {type(history).__name__}"
        )
    epochs = check.as_array("history.epochs", history.epochs, ndim=1)
    if not isinstance(history.metrics, dict):
        raise ValueError(f"history.metrics must be a dict of per-epoch arrays; got {type(history.metrics).__name__}")
    missing = [name for name in ("train_accuracy", "test_accuracy", "nc1") if name not in history.metrics]
    if missing or epochs.size == 0:
        raise ValueError(f"history must hold at least one epoch with {missing or 'its metrics'}; it does not")
    if np.any(epochs != np.round(epochs)) or np.any(np.diff(epochs) <= 0):
        raise ValueError(f"history.epochs must be increasing whole numbers; got {epochs.tolist()[:8]}")
    for name, values in history.metrics.items():
        values = check.as_array(f"history.metrics[{name!r}]", values, ndim=1)
        if values.shape != epochs.shape:
            raise ValueError(
                f"history.metrics[{name!r}] has {values.size} values but history.epochs has {epochs.size}: "
                "one value per epoch is needed"
            )
    return history


def terminal_phase(history: CollapseHistory) -> TerminalPhase:
    """Summarise the terminal phase of a run: first epoch of zero training error, NC1 there and at the end.

    The terminal phase of training (Papyan, Han & Donoho 2020) starts when the training error reaches zero;
    neural collapse is the continued fall of NC1 (and NC2-NC4) after it. ``nc1_fall`` is the factor by which
    NC1 shrank from that epoch to the last one.

    Parameters
    ----------
    history : CollapseHistory
        A run (:func:`train_collapse`, :func:`load_results`).

    Returns
    -------
    TerminalPhase

    Raises
    ------
    ValueError
        When the run never reached zero training error (the message gives its best training accuracy).
    """
    history = _check_history(history)
    accuracy = history.metrics["train_accuracy"]
    perfect = np.flatnonzero(accuracy >= 1.0)
    if perfect.size == 0:
        raise ValueError(
            f"history never reaches zero training error (best training accuracy {accuracy.max():.4f} in "
            f"{len(history)} epochs), so it has no terminal phase; train longer"
        )
    start = int(perfect[0])
    nc1 = history.metrics["nc1"]
    if nc1[-1] <= 0:
        raise ValueError(f"history's final NC1 must be positive to form the fall factor; got {nc1[-1]}")
    return TerminalPhase(
        zero_error_epoch=int(history.epochs[start]),
        nc1_at_zero_error=float(nc1[start]),
        final_nc1=float(nc1[-1]),
        nc1_fall=float(nc1[start] / nc1[-1]),
        epochs_past_zero_error=int(history.epochs[-1] - history.epochs[start]),
        final_train_accuracy=float(accuracy[-1]),
        final_test_accuracy=float(history.metrics["test_accuracy"][-1]),
    )


# NC metric, its label in the plot; NC2 shows both equinorm and equiangularity (Papyan et al.'s Fig. 6).
_PLOTTED_COLLAPSE = (
    ("equinorm", "NC2: norms (std/mean)"),
    ("angle_std", "NC2: angles (std of cos)"),
    ("self_duality", "NC3: self-duality"),
    ("ncc_mismatch", "NC4: NCC mismatch"),
)


def plot_history(history: CollapseHistory, *, title: str | None = None):
    """Plot a neural-collapse run per epoch: accuracies, NC1, and NC2-NC4 (log axes).

    Three panels in a 2 x 2 figure sized for the book's column, the fourth place holding one legend for
    all of them: (a) train and test accuracy, (b) NC1 = Tr(Sigma_W Sigma_B^+)/C, (c) the NC2 equinorm and
    equiangularity measures, NC3 (distance between the normalised classifier and class-mean matrices) and
    NC4 (fraction of samples where the network and the nearest class mean disagree; epochs where it is
    exactly 0 cannot be shown on a log axis and are left out). A dashed line marks the first epoch of zero
    training error (:func:`terminal_phase`), thin dotted lines the learning-rate decays.

    Parameters
    ----------
    history : CollapseHistory
        A run (:func:`train_collapse`, :func:`load_results`).
    title : str, optional
        Figure title.

    Returns
    -------
    fig, axes
        The figure and its three axes.
    """
    from matplotlib.ticker import NullFormatter

    from ...plotting import PALETTE
    from ..plots import _panels_and_key

    history = _check_history(history)
    if title is not None and not isinstance(title, str):
        raise ValueError(f"title must be a string or None; got {title!r}")
    epochs = history.epochs
    metrics = history.metrics
    fig, key, axes = _panels_and_key()  # (a) (b) / (c) and one legend for all three
    ax_acc, ax_nc1, ax_rest = axes
    ax_acc.plot(epochs, metrics["train_accuracy"], color=PALETTE[0], label="train")
    ax_acc.plot(epochs, metrics["test_accuracy"], color=PALETTE[1], label="test")
    ax_acc.set(xlabel="epoch", ylabel="accuracy", title="(a) accuracy", ylim=(0, 1.02))
    ax_nc1.semilogy(epochs, metrics["nc1"], color=PALETTE[0])
    ax_nc1.set(xlabel="epoch", ylabel="NC1", title=r"(b) NC1: Tr$(\Sigma_W \Sigma_B^+)/C$")
    for (name, label), color in zip(_PLOTTED_COLLAPSE, PALETTE[1:]):
        if name in metrics:
            values = np.where(metrics[name] > 0, metrics[name], np.nan)
            ax_rest.semilogy(epochs, values, color=color, label=label)
    ax_rest.set(xlabel="epoch", title="(c) NC2-NC4")
    for ax in (ax_nc1, ax_rest):  # whole decades, labelled: a short run may span less than one
        shown = np.concatenate([line.get_ydata() for line in ax.lines])
        shown = shown[np.isfinite(shown) & (shown > 0)]
        if shown.size:
            ax.set_ylim(10 ** np.floor(np.log10(0.9 * shown.min())), 10 ** np.ceil(np.log10(1.1 * shown.max())))
        ax.yaxis.set_minor_formatter(NullFormatter())

    decays = epochs[1:][np.diff(metrics["lr"]) != 0] if "lr" in metrics else []
    try:
        zero_error = terminal_phase(history).zero_error_epoch
    except ValueError:  # no terminal phase: nothing to mark
        zero_error = None
    for ax in axes:
        for k, epoch in enumerate(decays):
            ax.axvline(epoch - 0.5, color="0.6", lw=0.8, ls=":", label="lr decay" if k == 0 else None)
        if zero_error is not None:
            ax.axvline(zero_error, color="0.2", lw=1.0, ls="--", label=f"zero train error (epoch {zero_error})")
    handles = {line.get_label(): line for ax in (ax_acc, ax_rest) for line in ax.lines}
    shown = {label: line for label, line in handles.items() if not label.startswith("_")}
    key.legend(handles=list(shown.values()), loc="center", frameon=False)
    if title is not None:
        fig.suptitle(title)
    return fig, axes
