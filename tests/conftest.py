from __future__ import annotations

import os

from advsal import numerics

# the tests' own process runs torch at the pipeline's default numerics (portable: AVX2 kernels),
# set before torch loads (the imports below load it)
numerics.apply(os.environ.get(numerics.MODE_ENV, "portable"))  # native on a host without AVX2

import pytest  # noqa: E402

from advsal.data import load_dataset  # noqa: E402
from advsal.training import as_float  # noqa: E402
from tests.helpers import train_small  # noqa: E402


@pytest.fixture(scope="session")
def mnist_small():
    """600 real digits from the shipped mnist5k file, split 400/100/100."""
    return load_dataset("mnist5k", {"split": {"train": 400, "val": 100, "test": 100}}, seed=0)


@pytest.fixture(scope="session")
def trained_model(mnist_small):
    """A small MNIST-NET trained for two epochs: accurate enough for attacks to have work to do."""
    return train_small("mnist_net", mnist_small, epochs=2, lr=1e-3, dropout=0.0)


@pytest.fixture(scope="session")
def images(mnist_small):
    return as_float(mnist_small.x["test"][:32]), mnist_small.y["test"][:32]
