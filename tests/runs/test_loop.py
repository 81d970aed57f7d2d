"""The training scaffold (labhelpers.runs.loop): records, throughput, batches and the optimiser step."""

import numpy as np
import pytest
import torch

from labhelpers.core.divergence import DivergenceError, DivergenceGuard
from labhelpers.runs import loop


def test_train_loop_steps_measures_and_times_only_training():
    calls = []

    def step(unit):
        calls.append(("step", unit))
        return 10

    def measure(unit):
        calls.append(("measure", unit))
        return {"unit_squared": unit**2}

    records, throughput = loop.train_loop(5, step, measure, recorded={2, 5}, flops_per_sample=4e9)
    assert calls == [("measure", 0), ("step", 1), ("step", 2), ("measure", 2), ("step", 3), ("step", 4),
                     ("step", 5), ("measure", 5)]  # fmt: skip
    assert records.units == [0, 2, 5] and records.values == {"unit_squared": [0, 4, 25]}
    assert throughput.samples == 50 and throughput.train_seconds > 0
    assert throughput.samples_per_second == pytest.approx(50 / throughput.train_seconds)
    assert throughput.gflops_per_second == pytest.approx(4 * throughput.samples_per_second)
    assert set(throughput.as_dict()) == {"train_seconds", "samples", "samples_per_second", "gflops_per_second"}


def test_measure_may_keep_its_own_records_and_must_be_consistent():
    records, throughput = loop.train_loop(3, lambda unit: 1, lambda unit: None, recorded=range(4))
    assert records.units == [] and throughput.gflops_per_second is None
    changing = iter([{"a": 1}, {"b": 2}])
    with pytest.raises(ValueError, match="same names at every unit: unit 1"):
        loop.train_loop(2, lambda unit: 1, lambda unit: next(changing), recorded={1})


@pytest.mark.parametrize("units", [-1, 2.0, True])
def test_train_loop_refuses_bad_unit_counts(units):
    with pytest.raises(ValueError, match="units must be an integer"):
        loop.train_loop(units, lambda unit: 1)


def test_show_progress_takes_the_default_or_a_real_bool():
    assert loop.show_progress(None, True) and not loop.show_progress(False, True)
    with pytest.raises(ValueError, match="progress must be True or False"):
        loop.show_progress(1, False)


def test_epoch_batches_cover_a_seeded_permutation():
    batches = list(loop.epoch_batches(torch, 10, 4, torch.Generator().manual_seed(3), "cpu"))
    assert [len(b) for b in batches] == [4, 4, 2]
    order = torch.cat(batches)
    assert sorted(order.tolist()) == list(range(10))
    assert torch.equal(order, torch.randperm(10, generator=torch.Generator().manual_seed(3)))


def test_optimizer_step_matches_a_hand_written_step_and_stops_divergence():
    torch.manual_seed(0)
    w = torch.randn(3, 2, requires_grad=True)
    w_ref = w.detach().clone().requires_grad_(True)
    opt, opt_ref = torch.optim.SGD([w], lr=0.1), torch.optim.SGD([w_ref], lr=0.1)
    losses = (w**2).sum(dim=1)  # one loss per stacked run
    loop.optimizer_step(opt, losses, DivergenceGuard("test", lr=0.1), step=1)
    opt_ref.zero_grad()
    (w_ref**2).sum().backward()
    opt_ref.step()
    np.testing.assert_array_equal(w.detach().numpy(), w_ref.detach().numpy())
    with pytest.raises(DivergenceError, match="diverged at step 7"):
        loop.optimizer_step(opt, torch.tensor([1.0, float("inf")], requires_grad=True), DivergenceGuard("t"), 7)
