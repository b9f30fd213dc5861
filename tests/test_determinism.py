"""Two runs of the same config give the same numbers on CPU."""

from __future__ import annotations

import json

import torch
import yaml

from advsal import stages
from advsal.config import validate
from tests.test_pipeline import TINY


def _run(tmp, config):
    data = tmp / "splits.pt"
    stages.make_data(config, data)
    stages.train_classifier(config, data, tmp / "m.pt", tmp / "m.json", tmp / "h.csv", threads=2)
    stages.make_attack(
        config, "bim", "0.2", "test", data, tmp / "m.pt", tmp / "a.pt", tmp / "a.json", threads=2
    )
    return (
        json.loads((tmp / "m.json").read_text()),
        json.loads((tmp / "a.json").read_text()),
        torch.load(tmp / "a.pt", weights_only=True)["x_adv"],
    )


def test_same_config_same_metrics_on_cpu(tmp_path):
    config = validate(yaml.safe_load(yaml.safe_dump(TINY)))
    config["classifier"]["epochs"] = 1
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first, second = _run(tmp_path / "a", config), _run(tmp_path / "b", config)
    assert first[0] == second[0] and first[1] == second[1]
    assert torch.equal(first[2], second[2])
