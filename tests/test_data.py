"""Datasets: the shipped MNIST digits, torchvision's download path offline, a user folder."""

from __future__ import annotations

import functools
import gzip
import hashlib
import http.server
import threading

import numpy as np
import pytest
import torch

from advsal.data import DataUnavailable, load_dataset
from advsal.data.fixtures import idx_bytes


def test_mnist5k_splits_are_shuffled_disjoint_and_seeded():
    opts = {"split": {"train": 300, "val": 50, "test": 100}}
    a = load_dataset("mnist5k", opts, seed=1)
    b = load_dataset("mnist5k", opts, seed=1)
    c = load_dataset("mnist5k", opts, seed=2)
    assert a.x["train"].shape == (300, 1, 28, 28) and a.x["train"].dtype == torch.uint8
    assert torch.equal(a.x["test"], b.x["test"]) and not torch.equal(a.x["test"], c.x["test"])
    # the file is sorted by label; a shuffled 300-image split holds every digit
    assert len(a.y["train"].unique()) == 10 and len(a.y["test"].unique()) == 10
    flat = {bytes(t.numpy()) for s in ("train", "val", "test") for t in a.x[s]}
    assert len(flat) == 450  # no image in two splits


def test_split_that_does_not_fit_is_refused():
    with pytest.raises(DataUnavailable, match="does not fit"):
        load_dataset("mnist5k", {"split": {"train": 4900, "val": 500, "test": 100}}, seed=0)


@pytest.fixture
def idx_server(tmp_path):
    """Serve small, real-format gzipped IDX files on 127.0.0.1; yields (url, resources, data)."""
    rng = np.random.default_rng(0)
    served = tmp_path / "served"
    served.mkdir()
    data = {
        "train": (
            rng.integers(0, 256, (60, 28, 28), dtype=np.uint8),
            np.arange(60, dtype=np.uint8) % 10,
        ),
        "t10k": (
            rng.integers(0, 256, (20, 28, 28), dtype=np.uint8),
            np.arange(20, dtype=np.uint8) % 10,
        ),
    }
    resources = []
    for prefix, (img, lab) in data.items():
        for kind, payload in (("images-idx3", idx_bytes(img)), ("labels-idx1", idx_bytes(lab))):
            name = f"{prefix}-{kind}-ubyte.gz"
            blob = gzip.compress(payload)
            (served / name).write_bytes(blob)
            resources.append((name, hashlib.md5(blob).hexdigest()))
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(served))
    handler.log_message = lambda *a, **k: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/", resources, data
    server.shutdown()


def test_mnist_download_through_torchvision_from_a_local_mirror(idx_server, tmp_path, monkeypatch):
    from torchvision.datasets import MNIST

    url, resources, data = idx_server
    monkeypatch.setattr(MNIST, "resources", resources)
    opts = {"root": str(tmp_path / "data"), "mirror": url, "split": {"val": 10, "test": 20}}
    s = load_dataset("mnist", opts, seed=0)
    assert [len(s.y[k]) for k in ("train", "val", "test")] == [50, 10, 20]
    assert (tmp_path / "data" / "MNIST" / "raw" / "train-images-idx3-ubyte").is_file()
    served = {bytes(a) for a in data["t10k"][0]}
    assert {bytes(t[0].numpy()) for t in s.x["test"]} == served


def test_checksum_mismatch_is_refused(idx_server, tmp_path, monkeypatch):
    from torchvision.datasets import MNIST

    url, resources, _ = idx_server
    monkeypatch.setattr(MNIST, "resources", [(n, "0" * 32) for n, _ in resources])
    with pytest.raises(DataUnavailable):
        load_dataset("mnist", {"root": str(tmp_path), "mirror": url, "split": {}}, seed=0)


def test_offline_download_fails_with_one_line_naming_the_files(tmp_path):
    import socket

    with socket.socket() as sock:  # a port with nothing listening
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    opts = {"root": str(tmp_path), "mirror": f"http://127.0.0.1:{port}/", "split": {}}
    with pytest.raises(DataUnavailable) as err:
        load_dataset("mnist", opts, seed=0)
    msg = str(err.value)
    assert "\n" not in msg
    assert "train-images-idx3-ubyte.gz" in msg and str(tmp_path / "MNIST" / "raw") in msg


def test_imagefolder_reads_a_user_directory(tmp_path):
    from PIL import Image

    rng = np.random.default_rng(0)
    for cls in ("cat", "dog"):
        (tmp_path / cls).mkdir()
        for i in range(6):
            arr = rng.integers(0, 256, (20, 24, 3), dtype=np.uint8)
            Image.fromarray(arr).save(tmp_path / cls / f"{i}.png")
    s = load_dataset(
        "imagefolder",
        {"root": str(tmp_path), "image_size": 16, "split": {"train": 6, "val": 2, "test": 4}},
        seed=0,
    )
    assert s.x["train"].shape == (6, 3, 16, 16) and s.classes == ["cat", "dog"]


def test_a_sources_declarations_are_read_before_loading_by_name_alone(tmp_path, monkeypatch):
    """Class count, family and folder come from what a source declares (no name ladder): a new
    source is checked like the built-in ones, and an image folder counts its class folders."""
    from advsal.data import DATASETS
    from advsal.data.base import dataset_classes, dataset_family, dataset_folder, source

    @source(shape=(1, 8, 8), classes=lambda ds: ds["k"], family="letters", folder="where")
    def letters(options, seed):
        raise AssertionError("declarations are read without loading")

    monkeypatch.setitem(DATASETS._entries, "letters", letters)
    ds = {"name": "letters", "k": 26, "where": str(tmp_path)}
    assert (dataset_classes(ds), dataset_family(ds), dataset_folder(ds)) == (26, "letters", "where")
    assert dataset_family({**ds, "family": "emnist"}) == "emnist"  # the config's name wins
    for cls in ("a", "b", "c"):
        (tmp_path / "train" / cls).mkdir(parents=True)
    folder = {"name": "imagefolder", "root": str(tmp_path)}
    assert dataset_classes(folder) == 1  # no test/ beside train/: the root holds one class
    (tmp_path / "test").mkdir()
    assert dataset_classes(folder) == 3 and dataset_folder(folder) == "root"
    assert dataset_family(folder) is None and dataset_classes({"name": "cifar10"}) == 10
