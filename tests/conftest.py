from __future__ import annotations

import pytest
import torch

from advsal.data import load_dataset
from advsal.models import build
from advsal.training import as_float, fit_classifier


@pytest.fixture(scope="session")
def mnist_small():
    """600 real digits from the shipped mnist5k file, split 400/100/100."""
    return load_dataset("mnist5k", {"split": {"train": 400, "val": 100, "test": 100}}, seed=0)


@pytest.fixture(scope="session")
def trained_model(mnist_small):
    """A small MNIST-NET trained for two epochs: accurate enough for attacks to have work to do."""
    torch.manual_seed(0)
    model = build("mnist_net", (1, 28, 28), n_out=10, dropout=0.0)
    s = mnist_small
    fit_classifier(
        model,
        s.x["train"],
        s.y["train"],
        s.x["val"],
        s.y["val"],
        epochs=2,
        lr=1e-3,
        batch_size=50,
        device="cpu",
        seed=0,
    )
    return model.eval()


@pytest.fixture(scope="session")
def images(mnist_small):
    return as_float(mnist_small.x["test"][:32]), mnist_small.y["test"][:32]
