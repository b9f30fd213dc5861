"""advsal.training.fit, the one training loop: the epoch with the best validation number is
the one kept (highest accuracy, lowest loss), `select: None` keeps the last, a tie keeps the
earlier epoch, and the history has a row per epoch with what the step and val_metrics gave."""

from __future__ import annotations

import pytest
from torch import nn

from advsal.training import fit


def _run(values, select, key="val_acc"):
    """A one-weight model pushed up every step; ``val_metrics`` reports ``values`` in turn and
    remembers the weight after each epoch."""
    model = nn.Linear(1, 1, bias=False)
    nn.init.zeros_(model.weight)
    seen, it = [], iter(values)

    def step(rows, _gen):
        model.train()
        loss = -model.weight.sum() * len(rows)  # every step moves the weight up
        return loss, len(rows)

    def val_metrics():
        seen.append(model.weight.item())
        return {key: next(it)}

    history = fit(
        model, 4, step, val_metrics, epochs=len(values), lr=0.1, batch_size=2, seed=0, select=select
    )
    return model.weight.item(), seen, history


@pytest.mark.parametrize(
    ("values", "select", "kept"),
    [
        ([0.5, 0.9, 0.7], "val_acc", 1),  # the highest accuracy: epoch 2
        ([0.9, 0.9, 0.8], "val_acc", 0),  # a tie keeps the earlier epoch
        ([0.4, 0.3, 0.6], "val_loss", 1),  # the lowest loss
        ([0.5, 0.9, 0.7], None, 2),  # no selection: the last epoch's weights
    ],
)
def test_the_best_epoch_is_restored(values, select, kept):
    key = "val_loss" if select == "val_loss" else "val_acc"
    weight, seen, history = _run(values, select, key)
    assert len(set(seen)) == len(values)  # the weight moved every epoch
    assert weight == pytest.approx(seen[kept])
    assert [h["epoch"] for h in history] == list(range(1, len(values) + 1))
    assert [h[key] for h in history] == values
    assert all(h["train_acc"] == 1.0 for h in history)  # step's correct count over n


def test_the_loop_is_seeded_by_its_own_generator():
    orders = []
    for _ in range(2):
        model = nn.Linear(1, 1)

        def step(rows, _gen, model=model):
            orders.append(rows.tolist())
            return model.weight.sum() * 0, None

        fit(model, 6, step, dict, epochs=2, lr=0.1, batch_size=3, seed=7, select=None)
    assert orders[:4] == orders[4:]  # the same permutations for the same seed
    assert sorted(sum(orders[:2], [])) == list(range(6))  # every row once per epoch


def test_each_epoch_logs_its_training_cpu_for_the_resource_estimates(caplog):
    import logging
    import re

    with caplog.at_level(logging.INFO, logger="advsal.training"):
        _run([0.5, 0.6], "val_acc")
    lines = [r.getMessage() for r in caplog.records if " epoch " in r.getMessage()]
    assert len(lines) == 2
    assert all(re.search(r"epoch \d+/2: .*\(training cpu [\d.]+ s\)$", line) for line in lines)
