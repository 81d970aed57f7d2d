"""The multitask sparse parity problem (Michaud et al. 2023; Nam et al. 2024a; the paper's Eq. 11).

An input has two parts: ``n_tasks`` *control bits*, one-hot, that say which task is asked, followed by
``n_bits`` random bits. Task ``k`` asks for the parity of a fixed subset ``M_k`` of ``bits_per_task`` of
the random bits, and tasks are drawn with power-law frequencies ``p_k ∝ k^-(alpha+1)``.

Encoding (chosen here, used everywhere in the package):

- control bits are 0 or 1, exactly one of them is 1;
- random bits are **±1** (the bit ``b_j ∈ {0, 1}`` is stored as ``x_j = (-1)^{b_j}``), so that the parity
  ``(-1)^{sum_{j in M_k} b_j}`` is the product ``prod_{j in M_k} x_j`` of the chosen coordinates;
- labels are ±1: ``y = prod_{j in M_task} x_j``.

The *skill functions* of Eq. 11 are ``g_k(x) = 1[control = k] prod_{j in M_k} x_j``. At most one of them is
nonzero on any input, so they are orthogonal, ``E[g_k g_l] = δ_kl p_k``, and the label is their sum,
``y = sum_k g_k(x)``.

Tasks are indexed from 0 in code: task ``k`` has frequency rank ``k + 1`` (the paper's ``k + 1``), so
``frequencies[0]`` is the most frequent task.

Book: chapter 2, From amplifying dynamics to emergence (the parity MLP), and lesson 2.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np

from ..core import validation as check


def power_law_frequencies(n_tasks: int, alpha) -> np.ndarray:
    """Normalised task frequencies ``p_k = k^-(alpha+1) / sum_j j^-(alpha+1)``, ``k = 1..n_tasks`` (Eq. 11).

    Paper: Eq. 11.

    Parameters
    ----------
    n_tasks : int
        Number of tasks (skills), at least 1.
    alpha : float
        Power-law exponent, ``alpha >= 0``. The resource laws of App. E have exponents
        ``-alpha/(alpha+1)`` (time, data) and ``-alpha`` (parameters).

    Returns
    -------
    numpy.ndarray, shape (n_tasks,)
        Decreasing frequencies summing to 1; entry ``k`` belongs to task ``k`` (rank ``k + 1``).
    """
    n_tasks = check.positive_int("n_tasks", n_tasks)
    alpha = check.positive_scalar("alpha", alpha, allow_zero=True)
    check.fits_in_memory("n_tasks", 3.0 * n_tasks)  # ranks, log-weights and weights
    ranks = np.arange(1, n_tasks + 1, dtype=float)
    # In logs, so that large alpha and many tasks neither overflow nor underflow to an all-zero tail.
    with np.errstate(over="ignore", under="ignore"):  # a huge alpha leaves only the first task: [1, 0, ...]
        log_weights = -(alpha + 1.0) * np.log(ranks)
        weights = np.exp(log_weights - log_weights.max())
    return weights / weights.sum()


class ParityData(NamedTuple):
    """Samples of the sparse parity problem; unpacks as ``X, task, y = problem.sample(...)``.

    - ``X``, shape ``(n, n_tasks + n_bits)``: one-hot control bits, then ±1 random bits.
    - ``task``, shape ``(n,)``, integers in ``[0, n_tasks)``: the task asked.
    - ``y``, shape ``(n,)``, ±1: the parity of the task's subset.
    """

    X: np.ndarray
    task: np.ndarray
    y: np.ndarray


@dataclass(frozen=True)
class SparseParity:
    """A multitask sparse parity problem: task frequencies and the subset of bits each task reads.

    Parameters
    ----------
    n_tasks : int
        Number of tasks ``n_s`` (and control bits), at least 1.
    n_bits : int
        Number of random bits ``n_b``, at least ``bits_per_task``.
    bits_per_task : int
        Size ``m`` of each task's subset ``M_k``, at least 1.
    alpha : float
        Exponent of the task frequencies ``p_k ∝ k^-(alpha+1)``, ``alpha >= 0``.
    seed : int
        Seed of the subsets: the same seed gives the same problem. Sampling has its own seeds.

    Attributes
    ----------
    frequencies : numpy.ndarray, shape (n_tasks,)
        ``p_k`` from :func:`power_law_frequencies`.
    subsets : numpy.ndarray of int, shape (n_tasks, bits_per_task)
        Row ``k`` lists the random-bit indices (0-based, within the ``n_bits`` random bits) of ``M_k``,
        sorted; each row is drawn uniformly among the subsets of size ``m``, independently across tasks.

    Examples
    --------
    >>> problem = SparseParity(n_tasks=5, n_bits=20, bits_per_task=3, alpha=0.4)
    >>> X, task, y = problem.sample(1000, seed=1)
    >>> G = problem.skills(X)            # (1000, 5), y == G.sum(axis=1)
    """

    n_tasks: int
    n_bits: int
    bits_per_task: int = 3
    alpha: float = 0.4
    seed: int = 0
    frequencies: np.ndarray = field(init=False, repr=False, compare=False)
    subsets: np.ndarray = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        n_tasks = check.positive_int("n_tasks", self.n_tasks)
        n_bits = check.positive_int("n_bits", self.n_bits)
        m = check.positive_int("bits_per_task", self.bits_per_task)
        if m > n_bits:
            raise ValueError(f"bits_per_task must be at most n_bits={n_bits} (a subset of the random bits); got {m}")
        alpha = check.positive_scalar("alpha", self.alpha, allow_zero=True)
        seed = check.seed("seed", self.seed)
        check.fits_in_memory("n_tasks x n_bits", 2.0 * n_tasks * n_bits)  # uniforms and their argsort, per task and bit
        rng = np.random.default_rng(seed)
        # A random permutation of the bits per task (argsort of uniforms); its first m entries are M_k.
        subsets = np.sort(np.argsort(rng.random((n_tasks, n_bits)), axis=1)[:, :m], axis=1)
        settings = (("n_tasks", n_tasks), ("n_bits", n_bits), ("bits_per_task", m), ("alpha", alpha), ("seed", seed))
        for name, value in settings:
            object.__setattr__(self, name, value)
        object.__setattr__(self, "frequencies", power_law_frequencies(n_tasks, alpha))
        object.__setattr__(self, "subsets", subsets)

    @property
    def input_dim(self) -> int:
        """Length ``n_tasks + n_bits`` of an input."""
        return self.n_tasks + self.n_bits

    # ------------------------------------------------------------------ sampling
    def _sample_size(self, n, dtype) -> tuple[int, np.dtype]:
        """Check a sample size and a dtype that can hold the inputs' values (0, 1 and -1)."""
        n = check.positive_int("n", n)
        if dtype is None or isinstance(dtype, bool):
            raise ValueError(f"dtype must be a float or signed integer numpy dtype; got {dtype!r}")
        try:
            dtype = np.dtype(dtype)
        except TypeError as error:
            raise ValueError(f"dtype must be a float or signed integer numpy dtype; got {dtype!r}") from error
        if dtype.kind not in "fi":
            raise ValueError(
                f"dtype must be a float or signed integer dtype, which holds the ±1 bits exactly; got {dtype} "
                "(an unsigned or boolean dtype would turn -1 into another value)"
            )
        check.fits_in_memory("n", float(n) * self.input_dim, bytes_per_value=dtype.itemsize + 1)
        return n, dtype

    def _inputs(self, task: np.ndarray, rng: np.random.Generator, dtype) -> ParityData:
        n = task.shape[0]
        X = np.zeros((n, self.input_dim), dtype=dtype)
        X[np.arange(n), task] = 1
        bits = (1 - 2 * rng.integers(0, 2, size=(n, self.n_bits), dtype=np.int8)).astype(dtype)
        X[:, self.n_tasks :] = bits
        y = np.prod(np.take_along_axis(bits, self.subsets[task], axis=1), axis=1)
        return ParityData(X, task, y)

    def sample(self, n: int, seed: int = 0, *, dtype=np.float32) -> ParityData:
        """Draw ``n`` inputs: a task ``k`` with probability ``p_k``, then independent uniform ±1 bits.

        Parameters
        ----------
        n : int
            Number of samples, at least 1.
        seed : int
            Seed of this draw (independent of the problem's own seed).
        dtype : numpy dtype
            Dtype of ``X`` and ``y``: a float (default float32, ready for torch) or a signed integer dtype;
            the values 0 and ±1 are exact in any of them. Unsigned and boolean dtypes are refused.

        Returns
        -------
        ParityData
            ``(X, task, y)``; see :class:`ParityData`.
        """
        n, dtype = self._sample_size(n, dtype)
        rng = check.rng("seed", seed)
        cumulative = np.cumsum(self.frequencies)
        cumulative[-1] = 1.0  # rounding must not leave a gap above the last task
        task = np.searchsorted(cumulative, rng.random(n), side="right")
        return self._inputs(np.minimum(task, self.n_tasks - 1), rng, dtype)

    def single_skill_data(self, k: int, n: int, seed: int = 0, *, dtype=np.float32) -> ParityData:
        """Held-out data where only task ``k`` is asked, to measure the strength of skill ``k``.

        Parameters
        ----------
        k : int
            Task index in ``[0, n_tasks)`` (frequency rank ``k + 1``).
        n : int
            Number of samples, at least 1.
        seed : int
            Seed of the random bits.
        dtype : numpy dtype
            Dtype of ``X`` and ``y``.

        Returns
        -------
        ParityData
            Inputs with control bit ``k`` set, ``task`` all equal to ``k``, labels ``y = g_k(x)``.
        """
        k = self._task_index("k", k)
        n, dtype = self._sample_size(n, dtype)
        rng = check.rng("seed", seed)
        return self._inputs(np.full(n, k, dtype=np.intp), rng, dtype)

    # ------------------------------------------------------------------ skills
    def _task_index(self, name: str, k) -> int:
        if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not 0 <= k < self.n_tasks:
            raise ValueError(
                f"{name} must be a task index, an integer in [0, {self.n_tasks}); got {check._describe(k)}"
            )
        return int(k)

    def _check_inputs(self, X) -> tuple[np.ndarray, np.ndarray]:
        X = check.as_array("X", X, ndim=2)
        if X.shape[1] != self.input_dim:
            raise ValueError(
                f"X must have n_tasks + n_bits = {self.input_dim} columns (control bits, then random bits); "
                f"got shape {X.shape}"
            )
        control, bits = X[:, : self.n_tasks], X[:, self.n_tasks :]
        if np.any((control != 0) & (control != 1)) or np.any(control.sum(axis=1) != 1):
            raise ValueError("X must start with one-hot control bits (exactly one 1, the rest 0, in each row)")
        if np.any(np.abs(bits) != 1):
            raise ValueError(
                "X must end with random bits encoded as ±1 (see the labhelpers.emergence.parity docstring)"
            )
        return np.argmax(control, axis=1), bits

    def skills(self, X) -> np.ndarray:
        """Skill functions ``g_k(x) = 1[control = k] prod_{j in M_k} x_j`` of Eq. 11.

        Paper: Eq. 11.

        Parameters
        ----------
        X : array_like, shape (n, n_tasks + n_bits)
            Inputs in this module's encoding (one-hot control, ±1 bits).

        Returns
        -------
        numpy.ndarray, shape (n, n_tasks)
            ``G[i, k] = g_k(x_i)``: zero except in the column of the task asked, where it is the ±1
            parity. Its rows sum to the labels, and ``G.T @ G / n`` is the diagonal of empirical task
            frequencies.
        """
        task, bits = self._check_inputs(X)
        G = np.zeros((bits.shape[0], self.n_tasks))
        G[np.arange(bits.shape[0]), task] = np.prod(np.take_along_axis(bits, self.subsets[task], axis=1), axis=1)
        return G

    def labels(self, X) -> np.ndarray:
        """Parity labels ``y = prod_{j in M_task} x_j`` (±1) of inputs ``X``: the target ``sum_k g_k(x)``."""
        return self.skills(X).sum(axis=1)

    def empirical_frequencies(self, task) -> np.ndarray:
        """Fraction of samples asking each task, shape (n_tasks,), from an array of task indices."""
        try:
            task = np.asarray(task)
        except (TypeError, ValueError) as error:  # ragged lists and the like
            raise ValueError(
                f"task must be a 1-D integer array of task indices; got {check._describe(task)}"
            ) from error
        if task.ndim != 1 or task.size == 0 or not np.issubdtype(task.dtype, np.integer):
            raise ValueError(f"task must be a non-empty 1-D integer array of task indices; got {check._describe(task)}")
        if task.min() < 0 or task.max() >= self.n_tasks:
            raise ValueError(
                f"task must hold indices in [0, {self.n_tasks}); got values in [{task.min()}, {task.max()}]"
            )
        return np.bincount(task, minlength=self.n_tasks) / task.size
