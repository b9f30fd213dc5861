"""Two runs of the same config give the same numbers and bytes on CPU, wherever they write."""

from __future__ import annotations

import json

import torch
import yaml

from advsal.config import validate
from advsal.plan import Plan
from advsal.stages.attack import make_attack
from advsal.stages.classifier import train_classifier
from advsal.stages.common import Job
from advsal.stages.data import make_data
from tests.helpers import TINY


def _run(tmp, config):
    data = tmp / "splits.pt"
    rt = {"seed": config["seed"], "device": "cpu", "threads": 2}
    make_data(config["dataset"], config["seed"], data)
    settings = dict(config["classifiers"]["net"], epochs=1)
    train_classifier("net", settings, data, tmp / "m.pt", tmp / "m.json", tmp / "h.csv", **rt)
    files = {"data": data, "classifier": tmp / "m.pt"}
    job = Job("bim", Plan(config).attack_settings("bim"), **rt, files=files)
    make_attack(
        job, "0.2", [("test", tmp / "a.pt", tmp / "a.json")], options=config["attack_options"]
    )
    return (
        json.loads((tmp / "m.json").read_text()),
        json.loads((tmp / "a.json").read_text()),
        torch.load(tmp / "a.pt", weights_only=True)["x_adv"],
    )


def test_same_config_same_metrics_and_checkpoint_bytes_on_cpu(tmp_path):
    config = validate(yaml.safe_load(yaml.safe_dump(TINY)))
    # the second run writes under another folder and file names: the seed is not the path
    (tmp_path / "a").mkdir()
    (tmp_path / "other" / "place").mkdir(parents=True)
    first = _run(tmp_path / "a", config)
    second = _run(tmp_path / "other" / "place", config)
    assert first[0] == second[0] and first[1] == second[1]
    assert torch.equal(first[2], second[2])
    for f in ("m.pt", "a.pt", "splits.pt"):
        a, b = (tmp_path / "a" / f).read_bytes(), (tmp_path / "other" / "place" / f).read_bytes()
        assert a == b, f"{f} differs byte for byte"
