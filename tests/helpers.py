"""Helpers shared by test modules (tests/ is a package: ``from tests.helpers import ...``)."""

from __future__ import annotations

import copy
import shutil
import sys
from pathlib import Path

import torch
import yaml

from advsal.models import build
from advsal.training import fit_classifier

ROOT = Path(__file__).resolve().parents[1]


# the default and the tiny config as written (yaml, not resolved)
DEFAULT = yaml.safe_load((ROOT / "config.yaml").read_text())
TINY = yaml.safe_load((ROOT / "config" / "tiny.yaml").read_text())

# a run's setting (advsal.paper.run_setting): MNIST, MNIST-NET f and a ResNet-8 r
SETTING = {
    "dataset": "mnist",
    "dataset_name": "mnist5k",
    "shape": [1, 28, 28],
    "test_images": 300,
    "classifiers": {
        "f": {"arch": "mnist_net", "params": {}},
        "r": {"arch": "resnet", "params": {"blocks": 1, "width": 8}},
    },
    "detectors": {
        "jsd": {"type": "jsd", "classifier": "f"},
        "id": {"type": "id", "classifier": "f"},
        "metzen": {"type": "metzen", "classifier": "r"},
    },
    "attacks": {
        "fgsm": {"type": "fgsm", "classifier": "f"},
        "bim": {"type": "bim", "classifier": "f"},
        "bim2020": {"type": "bim", "classifier": "f"},
        "deepfool": {"type": "deepfool", "classifier": "f"},
        "jsma": {"type": "jsma", "classifier": "f"},
        "rfgsm": {"type": "fgsm", "classifier": "r"},
        "rbim": {"type": "bim", "classifier": "r"},
    },
    "certified": {"side": 7, "flow_budget": 15.0, "images": 300},
}


def config_with(tmp_path: Path, **sections) -> list[Path]:
    """The default config with ``sections`` merged in, written to ``tmp_path/c.yaml``."""
    from advsal.config.load import merge

    cfg = copy.deepcopy(DEFAULT)
    merge(cfg, sections)
    (tmp_path / "c.yaml").write_text(yaml.safe_dump(cfg, sort_keys=False))
    return [tmp_path / "c.yaml"]


# what a clone of the workflow holds besides the library (installed from src/)
WORKFLOW_FILES = ("Snakefile", "workflow", "envs", "profiles")


def clone_workflow(to: Path) -> Path:
    """A copy of the workflow's files in ``to``, as another clone of the repository has them."""
    for name in WORKFLOW_FILES:
        src = ROOT / name
        if src.is_dir():
            shutil.copytree(src, to / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(src, to / name)
    return to


def snakemake_command(workdir, configfile, *args: str, snakefile=None) -> list[str]:
    """A Snakefile (this repository's, or a clone's) run in ``workdir`` on ``configfile`` (the
    whole config)."""
    return [
        sys.executable,
        "-m",
        "snakemake",
        "-s",
        str(snakefile or ROOT / "Snakefile"),
        "--directory",
        str(workdir),
        "--configfile",
        str(configfile),
        *args,
    ]


def job_stats(text: str) -> dict:
    """The 'Job stats' table of a Snakemake dry run: rule -> count."""
    lines = text.splitlines()
    start = lines.index("Job stats:") + 3  # title, header, dashes
    out = {}
    for line in lines[start:]:
        parts = line.split()
        if len(parts) != 2 or parts[0] == "total":
            break
        out[parts[0]] = int(parts[1])
    return out


def train_small(arch: str, splits, epochs: int, lr: float, **params):
    """``arch`` trained on ``splits`` (seeded, batch 50, CPU), returned in eval mode."""
    torch.manual_seed(0)
    model = build(arch, (1, 28, 28), n_out=10, **params)
    kw = dict(epochs=epochs, lr=lr, batch_size=50, device="cpu", seed=0)
    fit_classifier(
        model, splits.x["train"], splits.y["train"], splits.x["val"], splits.y["val"], **kw
    )
    return model.eval()


def paper_rows(
    item: dict, frames: dict, setting: dict, published: dict | None = None
) -> list[dict]:
    """One paper-reference item compared on ``frames`` (table name -> DataFrame) for a run of
    ``setting`` (advsal.paper.run_setting's shape); ``published``: the setting the reference
    declares (none: every row is like-for-like)."""
    from advsal.paper import Context, load_reference
    from advsal.paper.compare import compare
    from advsal.paper.kinds import Tables

    ctx = Context(setting, load_reference())
    entry = {"setting": published or {}, "items": [{"target": "T", "text": "a result", **item}]}
    return compare(entry, Tables(frames, ctx.attack_types, ctx.features), ctx)


def bench_module(name: str):
    """A script of bench/ as a module (bench/ is no package), for its functions' tests."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(name, ROOT / "bench" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
