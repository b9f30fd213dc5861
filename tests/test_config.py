"""The config is checked before any job; each bad value gives one line naming its key."""

from __future__ import annotations

import copy
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from advsal.config import ConfigError, attack_grid, validate

ROOT = Path(__file__).resolve().parents[1]
DEFAULT = yaml.safe_load((ROOT / "config.yaml").read_text())


def _bad(path: str, value):
    cfg = copy.deepcopy(DEFAULT)
    *keys, last = path.split(".")
    node = cfg
    for k in keys:
        node = node[int(k)] if k.isdigit() else node[k]
    if value is _DELETE:
        del node[last]
    else:
        node[int(last) if last.isdigit() else last] = value
    return cfg


_DELETE = object()


def test_default_config_is_valid_and_gets_defaults():
    cfg = validate(copy.deepcopy(DEFAULT))
    assert cfg["detector_training"]["betas"] == [0.9, 0.999]
    assert ("bim_l2", "4") in attack_grid(cfg)


@pytest.mark.parametrize(
    "path,value,key,words",
    [
        ("dataset.name", "mnist_typo", "dataset.name", "unknown dataset"),
        ("attacks.fgsm.eps.0", -0.1, "attacks.fgsm.eps[0]", "minimum"),
        ("attacks.fgsm.eps.1", 0, "attacks.fgsm.eps[1]", "minimum"),
        ("attacks.fgsm.type", "fgsn", "attacks.fgsm.type", "unknown attack"),
        ("attacks.bim.steps", 0, "attacks.bim.eps[0]", "steps"),
        ("attacks.bim.stepz", 3, "attacks.bim.eps[0]", "stepz"),
        ("detectors.xyz", {}, "detectors.xyz.type", "unknown detector"),
        ("saliency.method", "smoothgrad?", "saliency.method", "unknown saliency"),
        ("classifier.lr", "fast", "classifier.lr", "not of type"),
        ("plots.format", "bmp", "plots.format", "is not one of"),
        ("dataset.colour", "red", "dataset", "colour"),
    ],
)
def test_bad_values_name_their_key(path, value, key, words):
    with pytest.raises(ConfigError) as err:
        validate(_bad(path, value))
    msg = str(err.value)
    assert msg.startswith(f"config error at {key}:"), msg
    assert words in msg and "\n" not in msg


def test_missing_image_folder_is_named(tmp_path):
    cfg = _bad("dataset", {"name": "imagefolder", "root": str(tmp_path / "nope")})
    with pytest.raises(ConfigError, match=r"dataset\.root: directory .* does not exist"):
        validate(cfg)


def test_snakemake_stops_before_any_job_with_one_line(tmp_path):
    cfg = _bad("attacks.bim.eps.0", -1)
    (tmp_path / "bad.yaml").write_text(yaml.safe_dump(cfg))
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "snakemake",
            "-n",
            "--cores",
            "1",
            "-s",
            str(ROOT / "Snakefile"),
            "--directory",
            str(tmp_path),
            "--configfile",
            str(tmp_path / "bad.yaml"),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode != 0
    out = proc.stdout + proc.stderr
    assert "config error at attacks.bim.eps[0]: -1 is less than or equal to the minimum of 0" in out
    assert "Traceback" not in out
    assert not (tmp_path / "results").exists()


def test_jsma_on_large_images_is_a_config_error(tmp_path):
    cfg = _bad("dataset", {"name": "imagefolder", "root": str(tmp_path), "image_size": 224})
    cfg["attacks"] = {"jsma": {"gamma": 0.1}}
    with pytest.raises(ConfigError, match=r"^config error at attacks\.jsma: JSMA refuses 150528"):
        validate(cfg)


def test_eps_rules_for_eps_less_and_eps_attacks():
    with pytest.raises(ConfigError, match=r"attacks\.cw\.eps: cw has no eps budget"):
        validate(_bad("attacks.cw.eps", [0.1]))
    with pytest.raises(ConfigError, match=r"attacks\.bim\.eps: bim needs a list of eps"):
        validate(_bad("attacks.bim.eps", _DELETE))
    cfg = validate(copy.deepcopy(DEFAULT))
    assert ("cw", "none") in attack_grid(cfg) and ("jsma", "none") in attack_grid(cfg)
