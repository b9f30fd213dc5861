"""advsal.stages.retraining: the batches of dynamic adversary training."""

from __future__ import annotations

import torch
from torch import nn

from advsal.attacks import ATTACKS
from advsal.stages.retraining import _adversary, _mixed_batch


def test_dynamic_training_attacks_with_the_true_labels_where_the_preset_says_so():
    # Metzen's presets attack J_cls(x, y_true) (attack_options.label: true); the training
    # batches must hand the true labels to the adversary (found by the presets smoke)
    torch.manual_seed(0)
    model = nn.Sequential(nn.Flatten(), nn.Linear(16, 3)).eval()
    x, y = torch.rand(6, 1, 4, 4), torch.tensor([0, 1, 2, 0, 1, 2])
    settings = {"type": "bim", "steps": 2, "rel_stepsize": 0.5}

    def atk_of(sigma):
        return _adversary(settings, model, None, None, 0.1, sigma, "true")

    x_in, is_adv, _ = _mixed_batch(atk_of, None, x, y, torch.Generator().manual_seed(0), 1.0)
    assert is_adv.all()
    bim = ATTACKS.get("bim")
    assert torch.equal(x_in, bim(model, eps=0.1, label="true", steps=2, rel_stepsize=0.5)(x, y))
    predicted = bim(model, eps=0.1, label="predicted", steps=2, rel_stepsize=0.5)(x)
    assert not torch.equal(x_in, predicted)  # f's own labels differ from y here
