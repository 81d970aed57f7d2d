"""The multitask sparse parity problem (labhelpers.emergence.parity).

Statistical checks use seeded samples and a tolerance of Z = 5 standard errors: an empirical mean of
``n`` draws is accepted within ``5 sqrt(var / n)`` of its expectation (a false alarm has probability
below 1e-6 per check, and the seeds make every run identical anyway). Exact properties (labels, the
disjoint support of the skills, shapes, reproducibility) are checked exactly.
"""

from __future__ import annotations

import time

import numpy as np
import pytest

from labhelpers.emergence import parity

Z = 5.0  # standard errors allowed in statistical checks


@pytest.fixture(scope="module")
def problem():
    return parity.SparseParity(n_tasks=10, n_bits=24, bits_per_task=3, alpha=0.4, seed=3)


@pytest.fixture(scope="module")
def big_sample(problem):
    return problem.sample(200_000, seed=11)


# ---------------------------------------------------------------------------- the problem
@pytest.mark.paper("Eq. 11")
def test_power_law_frequencies():
    for alpha in (0.0, 0.4, 1.0, 3.0):
        p = parity.power_law_frequencies(50, alpha)
        k = np.arange(1, 51)
        np.testing.assert_allclose(p.sum(), 1.0, rtol=1e-14)
        np.testing.assert_allclose(p / p[0], k ** -(alpha + 1.0), rtol=1e-12)
        assert np.all(np.diff(p) < 0)
    np.testing.assert_allclose(parity.power_law_frequencies(1, 0.7), [1.0])


def test_subsets_are_fixed_by_the_seed(problem):
    subsets = problem.subsets
    assert subsets.shape == (10, 3)
    assert subsets.min() >= 0 and subsets.max() < 24
    assert np.all(np.diff(subsets, axis=1) > 0)  # sorted and without repeats
    again = parity.SparseParity(n_tasks=10, n_bits=24, bits_per_task=3, alpha=0.4, seed=3)
    np.testing.assert_array_equal(again.subsets, subsets)
    other = parity.SparseParity(n_tasks=10, n_bits=24, bits_per_task=3, alpha=0.4, seed=4)
    assert not np.array_equal(other.subsets, subsets)
    np.testing.assert_allclose(problem.frequencies, parity.power_law_frequencies(10, 0.4))


def test_subsets_cover_the_bits_uniformly():
    # Each bit belongs to a task's subset with probability m / n_b.
    many = parity.SparseParity(n_tasks=20_000, n_bits=8, bits_per_task=3, alpha=1.0, seed=0)
    counts = np.bincount(many.subsets.ravel(), minlength=8) / many.n_tasks
    q = 3 / 8
    assert np.all(np.abs(counts - q) < Z * np.sqrt(q * (1 - q) / many.n_tasks))


# ---------------------------------------------------------------------------- sampling
def test_sample_layout_and_reproducibility(problem):
    X, task, y = problem.sample(500, seed=1)
    assert X.shape == (500, 34) and task.shape == (500,) and y.shape == (500,)
    assert X.dtype == np.float32
    control, bits = X[:, :10], X[:, 10:]
    np.testing.assert_array_equal(control, np.eye(10)[task])
    assert set(np.unique(bits)) == {-1.0, 1.0}
    assert set(np.unique(y)) <= {-1.0, 1.0}
    X2, task2, y2 = problem.sample(500, seed=1)
    np.testing.assert_array_equal(X, X2)
    np.testing.assert_array_equal(task, task2)
    assert not np.array_equal(problem.sample(500, seed=2).X, X)
    assert problem.sample(3, seed=0, dtype=np.float64).X.dtype == np.float64


def test_task_frequencies_follow_the_power_law(problem, big_sample):
    n = big_sample.task.size
    empirical = problem.empirical_frequencies(big_sample.task)
    p = problem.frequencies
    assert np.all(np.abs(empirical - p) < Z * np.sqrt(p * (1 - p) / n))


def test_random_bits_are_fair(big_sample, problem):
    bits = big_sample.X[:, problem.n_tasks :]
    assert np.all(np.abs(bits.mean(axis=0)) < Z / np.sqrt(bits.shape[0]))


def test_labels_are_the_parity_of_the_claimed_subset(problem):
    X, task, y = problem.sample(300, seed=5)
    zero_one_bits = ((1 - X[:, problem.n_tasks :]) / 2).astype(int)  # x = (-1)^b
    for i in range(300):
        parity_bit = zero_one_bits[i, problem.subsets[task[i]]].sum() % 2
        assert y[i] == (-1) ** parity_bit
        # Flipping one bit of the subset flips the label; flipping a bit outside does not.
        inside, outside = problem.subsets[task[i]][0], np.setdiff1d(np.arange(24), problem.subsets[task[i]])[0]
        for j, change in ((inside, -1), (outside, 1)):
            flipped = X[i : i + 1].copy()
            flipped[0, problem.n_tasks + j] *= -1
            assert problem.labels(flipped)[0] == change * y[i]
    np.testing.assert_array_equal(problem.labels(X), y)


def test_labels_are_balanced_per_task(problem, big_sample):
    for k in range(problem.n_tasks):
        y_k = big_sample.y[big_sample.task == k]
        assert abs(y_k.mean()) < Z / np.sqrt(y_k.size)


def test_sampling_is_fast(problem):
    start = time.perf_counter()
    data = problem.sample(100_000, seed=0)
    problem.skills(data.X)
    assert time.perf_counter() - start < 2.0  # ~0.3 s on 2 CPU cores


# ---------------------------------------------------------------------------- skills
def test_skills_support_and_sum(problem):
    X, task, y = problem.sample(2000, seed=7)
    G = problem.skills(X)
    assert G.shape == (2000, problem.n_tasks)
    np.testing.assert_array_equal(np.count_nonzero(G, axis=1), 1)
    np.testing.assert_array_equal(np.argmax(np.abs(G), axis=1), task)
    np.testing.assert_array_equal(G.sum(axis=1), y)


@pytest.mark.paper("Eq. 11")
def test_skills_are_orthogonal_with_norms_p(problem, big_sample):
    G = problem.skills(big_sample.X)
    n = G.shape[0]
    gram = G.T @ G / n
    p = problem.frequencies
    off_diagonal = gram - np.diag(np.diag(gram))
    assert np.all(off_diagonal == 0)  # disjoint supports: exactly orthogonal
    assert np.all(np.abs(np.diag(gram) - p) < Z * np.sqrt(p * (1 - p) / n))
    # Zero mean: E[g_k] = 0 with Var = p_k.
    assert np.all(np.abs(G.mean(axis=0)) < Z * np.sqrt(p / n))


def test_single_skill_data(problem):
    for k in (0, 4, 9):
        X, task, y = problem.single_skill_data(k, 4000, seed=k)
        assert np.all(task == k) and np.all(X[:, k] == 1) and np.all(X[:, : problem.n_tasks].sum(axis=1) == 1)
        G = problem.skills(X)
        np.testing.assert_array_equal(G[:, k], y)
        assert np.count_nonzero(np.delete(G, k, axis=1)) == 0
        assert abs(y.mean()) < Z / np.sqrt(4000)
    np.testing.assert_array_equal(
        problem.single_skill_data(2, 10, seed=1).X, problem.single_skill_data(2, 10, seed=1).X
    )


def test_empirical_frequencies():
    small = parity.SparseParity(n_tasks=4, n_bits=5, bits_per_task=2, alpha=1.0)
    np.testing.assert_allclose(small.empirical_frequencies(np.array([0, 0, 3, 1])), [0.5, 0.25, 0.0, 0.25])


# ---------------------------------------------------------------------------- bad inputs
@pytest.mark.parametrize(
    "kwargs, name",
    [
        ({"n_tasks": 0, "n_bits": 5}, "n_tasks"),
        ({"n_tasks": 2.5, "n_bits": 5}, "n_tasks"),
        ({"n_tasks": 3, "n_bits": 0}, "n_bits"),
        ({"n_tasks": 3, "n_bits": 5, "bits_per_task": 6}, "bits_per_task"),
        ({"n_tasks": 3, "n_bits": 5, "bits_per_task": 0}, "bits_per_task"),
        ({"n_tasks": 3, "n_bits": 5, "alpha": -0.5}, "alpha"),
        ({"n_tasks": 3, "n_bits": 5, "alpha": float("nan")}, "alpha"),
        ({"n_tasks": 3, "n_bits": 5, "seed": -1}, "seed"),
    ],
)
def test_bad_problem_raises(kwargs, name):
    with pytest.raises(ValueError, match=name):
        parity.SparseParity(**kwargs)


def test_bad_calls_raise(problem):
    with pytest.raises(ValueError, match="alpha"):
        parity.power_law_frequencies(5, -1.0)
    with pytest.raises(ValueError, match="^n must be an integer"):
        problem.sample(0)
    with pytest.raises(ValueError, match="seed"):
        problem.sample(10, seed=-3)
    with pytest.raises(ValueError, match="k must be a task index"):
        problem.single_skill_data(10, 5)
    with pytest.raises(ValueError, match="k must be a task index"):
        problem.single_skill_data(1.0, 5)
    X = problem.sample(5, seed=0).X
    with pytest.raises(ValueError, match="X must have"):
        problem.skills(X[:, 1:])
    bad_control = X.copy()
    bad_control[0, :10] = 0
    with pytest.raises(ValueError, match="one-hot"):
        problem.skills(bad_control)
    zero_one = X.copy()
    zero_one[:, 10:] = (1 - zero_one[:, 10:]) / 2
    with pytest.raises(ValueError, match="±1"):
        problem.skills(zero_one)
    with pytest.raises(ValueError, match="task"):
        problem.empirical_frequencies(np.array([0, 10]))
    with pytest.raises(ValueError, match="task"):
        problem.empirical_frequencies(np.array([0.5]))
