"""The config is checked before any job; each bad value gives one line naming its key."""

from __future__ import annotations

import copy
import subprocess

import pytest
import yaml

from advsal.config import ConfigError, resolve, validate
from advsal.config.load import merge
from advsal.plan import Plan
from advsal.plan.instances import complete
from advsal.tokens import eps_token
from tests.helpers import DEFAULT, ROOT, config_with, snakemake_command


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
    given = validate(copy.deepcopy(DEFAULT))
    # the user's config gets the schema's defaults and nothing derived: that is the plan's copy
    assert "fitted_to" not in given["detectors"]["jsd"] and "type" not in given["detectors"]["jsd"]
    assert "against_fit" not in given["attacks"]["dynamic"]
    cfg = complete(given)
    assert given == validate(copy.deepcopy(DEFAULT))  # completing it wrote nothing into it
    assert cfg["detectors"]["jsd"]["betas"] == [0.9, 0.999]
    assert cfg["detectors"]["jsd"]["saliency"] == "gradient"
    assert "saliency" not in cfg["detectors"]["id"]  # id reads no saliency
    # an attack without `classifier:` is on the first; the ResNet's attacks name theirs
    unnamed = [a for a, s in DEFAULT["attacks"].items() if "classifier" not in s]
    assert {cfg["attacks"][a]["classifier"] for a in unnamed} == {"mnist_net"}
    assert cfg["detectors"]["metzen"]["classifier"] == "resnet"
    assert ("bim_l2", "4.5") in Plan(given).grid


PRESETS = sorted((ROOT / "config").glob("*.yaml"))


def _contains(resolved, given, key=""):
    """Every value the file gives is the resolved value (defaults may only add keys)."""
    if isinstance(given, dict):
        for k, v in given.items():
            assert k in resolved, f"{key}.{k} lost"
            _contains(resolved[k], v, f"{key}.{k}")
    else:
        assert resolved == given, f"{key}: file says {given!r}, resolved {resolved!r}"


@pytest.mark.parametrize("preset", PRESETS, ids=lambda p: p.name)
def test_a_preset_is_the_whole_config(preset, tmp_path):
    given = yaml.safe_load(preset.read_text())
    # a preset on a user's image folder needs that folder to exist
    on_folder = given["dataset"]["name"] == "imagefolder"
    folder = {"dataset": {"root": str(tmp_path)}} if on_folder else {}
    cfg = resolve([preset], folder)
    given = merge(given, folder)
    _contains(cfg, given)
    for section in ("classifiers", "attacks", "saliency", "detectors"):
        if section in given:  # no instance of config.yaml comes along
            assert list(cfg[section]) == list(given[section]), section


def test_the_bench_cut_overlays_change_only_what_they_say():
    cuts = [ROOT / "bench" / "cuts" / name for name in ("lean.yaml", "quick.yaml")]
    cfg = resolve([ROOT / "config.yaml", *cuts])
    given = merge(*(yaml.safe_load(p.read_text()) for p in cuts))
    _contains(cfg, given)
    assert cfg["run"] == "mnist5k_quick"  # its own results/<run>/, not the default's
    for section in ("classifiers", "attacks", "saliency", "detectors"):
        assert list(cfg[section]) == list(DEFAULT[section]), section
    # what the overlays leave alone stays the default's
    assert cfg["classifiers"]["mnist_net"]["lr"] == DEFAULT["classifiers"]["mnist_net"]["lr"]
    assert cfg["attacks"]["dynamic"]["steps"] == DEFAULT["attacks"]["dynamic"]["steps"]
    assert cfg["dataset"]["split"]["train"] == DEFAULT["dataset"]["split"]["train"]


def test_paper_preset_does_not_inherit_the_default_deepfool_cut():
    cfg = resolve([ROOT / "config" / "paper_mnist.yaml"])
    assert "candidates" not in cfg["attacks"]["deepfool"]  # the attack's own default: all


def test_no_configfile_means_config_yaml_and_overrides_are_typed():
    cfg = resolve([], {"classifiers": {"mnist_net": {"epochs": "11"}}, "seed": 3})
    assert cfg["classifiers"]["mnist_net"]["epochs"] == 11 and cfg["seed"] == 3
    assert list(cfg["attacks"]) == list(DEFAULT["attacks"])


def test_an_empty_attack_map_is_an_error_not_ignored(tmp_path):
    cfg = copy.deepcopy(DEFAULT)
    cfg["attacks"] = {}
    (tmp_path / "c.yaml").write_text(yaml.safe_dump(cfg))
    with pytest.raises(ConfigError, match=r"^config error at attacks: .*(empty|non-empty)"):
        resolve([tmp_path / "c.yaml"])


def test_eps_tokens_are_exact_and_unique():
    assert eps_token(0.1) == "0.1" and eps_token(0.1000001) == "0.1000001"
    assert float(eps_token(1 / 255)) == 1 / 255
    assert eps_token(None) == "none" and eps_token(2) == "2.0"
    with pytest.raises(ConfigError, match=r"attacks\.fgsm\.eps\[1\]: budget 0\.1 is listed twice"):
        validate(_bad("attacks.fgsm.eps", [0.1, 0.1, 0.3]))
    with pytest.raises(ConfigError, match=r"attacks\.bim\.eps\[0\]: an l_inf budget above 1"):
        validate(_bad("attacks.bim.eps", [1.5]))
    validate(_bad("attacks.bim_l2.eps", [1.5]))  # an l_2 budget may exceed 1


@pytest.mark.parametrize(
    "section,name,key",
    [
        ("attacks", "../../../../x", "attacks"),
        ("attacks", "fg(sm", "attacks"),
        ("detectors", "a/b", "detectors"),
        ("classifiers", "0net", "classifiers"),
        ("saliency", "g.rad", "saliency"),
    ],
)
def test_unsafe_instance_names_are_refused(section, name, key):
    cfg = copy.deepcopy(DEFAULT)
    first = next(iter(cfg[section]))
    cfg[section][name] = (
        cfg[section].pop(first) if section != "attacks" else {"type": "fgsm", "eps": [0.1]}
    )
    with pytest.raises(ConfigError, match=rf"^config error at {key}: .* does not match"):
        validate(cfg)


@pytest.mark.parametrize("run", ["..", "../x", "a/b", ".hidden", ""])
def test_unsafe_run_names_are_refused(run):
    with pytest.raises(ConfigError, match=r"^config error at run:"):
        validate(_bad("run", run))


def test_instance_references_are_checked():
    cfg = _bad("attacks.bim_jsd", {"type": "bim", "eps": [0.3], "against": "jsd"})
    cfg = complete(validate(cfg))
    assert cfg["attacks"]["bim_jsd"]["against_fit"] == "bim"
    with pytest.raises(ConfigError, match=r"attacks\.x\.against: no detector named 'nope'"):
        validate(_bad("attacks.x", {"type": "bim", "eps": [0.2], "against": "nope"}))
    msg = r"attacks\.x\.eps\[0\]: 'jsd' is not fitted to 'bim' at 0\.25"
    with pytest.raises(ConfigError, match=msg):
        validate(_bad("attacks.x", {"type": "bim", "eps": [0.25], "against": "jsd"}))
    with pytest.raises(ConfigError, match=r"attacks\.fgsm\.classifier: no classifier named 'g'"):
        validate(_bad("attacks.fgsm.classifier", "g"))
    with pytest.raises(ConfigError, match=r"detectors\.jsd\.saliency: no saliency instance"):
        validate(_bad("detectors.jsd", {"saliency": "nope"}))


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
        ("saliency.gradient.method", "smoothgrad", "saliency.gradient.method", "unknown saliency"),
        ("classifiers.mnist_net.lr", "fast", "classifiers.mnist_net.lr", "not of type"),
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
        snakemake_command(tmp_path, tmp_path / "bad.yaml", "-n", "--cores", "1"),
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
    grid = Plan(validate(copy.deepcopy(DEFAULT))).grid
    assert ("cw", "none") in grid and ("jsma", "none") in grid


def test_a_dynamic_attack_meets_every_detector_of_its_classifier(tmp_path):
    plan = Plan(resolve(config_with(tmp_path)))
    cfg = plan.done
    assert cfg["attacks"]["dynamic"]["against"] == ["jsd", "id"]
    assert cfg["attacks"]["dynamic"]["against_fit"] == "bim"
    assert cfg["attacks"]["dynamic_resnet"]["against"] == ["metzen"]
    assert cfg["attacks"]["dynamic_resnet"]["against_fit"] == "resnet_bim"
    assert cfg["attacks"]["dynamic"]["sigma"] == DEFAULT["attacks"]["dynamic"]["sigma"]
    assert ("dynamic", "0.2", "jsd", 0) in plan.dynamic
    given = copy.deepcopy(DEFAULT)
    del given["attacks"]["dynamic"]["sigma"]
    (tmp_path / "p.yaml").write_text(yaml.safe_dump(given, sort_keys=False))
    paper_grid = complete(resolve([tmp_path / "p.yaml"]))  # no sigma: the paper's grid
    assert paper_grid["attacks"]["dynamic"]["sigma"] == [round(0.1 * i, 1) for i in range(11)]
    assert all(a not in ("dynamic", "dynamic_resnet") for a, _ in plan.grid)


@pytest.mark.parametrize(
    ("attacks", "message"),
    [
        ({"fgsm": {"sigma": [0.5]}}, r"attacks\.fgsm\.sigma: only a retraining attack"),
        ({"bim": {"against": ["jsd"]}}, r"attacks\.bim\.against: name one detector"),
        (
            {"dynamic": {"eps": [0.25]}},
            r"attacks\.dynamic\.eps\[0\]: 'jsd' is not fitted to 'bim' at 0\.25",
        ),
        ({"dynamic": {"sigma": [1.5]}}, r"attacks\.dynamic\.sigma\[0\]"),
        ({"dynamic": {"against": ["metzen"]}}, r"attacks\.dynamic\.against: detector 'metzen'"),
    ],
)
def test_dynamic_attack_errors_name_the_key(tmp_path, attacks, message):
    with pytest.raises(ConfigError, match=message):
        resolve(config_with(tmp_path, attacks=attacks))


def test_metzen_detector_and_classifier_settings_are_checked(tmp_path):
    with pytest.raises(ConfigError, match=r"classifiers\.resnet\.params: .*depth"):
        resolve(config_with(tmp_path, classifiers={"resnet": {"params": {"depth": 3}}}))
    with pytest.raises(ConfigError, match=r"classifiers\.resnet\.optimizer"):
        resolve(config_with(tmp_path, classifiers={"resnet": {"optimizer": "rmsprop"}}))


def test_the_certified_section_fills_its_defaults_and_names_a_bad_key():
    cfg = validate(_bad("certified", {"side": 5}))
    assert cfg["certified"]["attack"]["eps"] == 15.0 and cfg["certified"]["sdp_limit"] == 2
    assert validate(_bad("certified", None))["certified"] is None
    with pytest.raises(ConfigError, match=r"^config error at certified"):
        validate(_bad("certified", {"side": 1}))
    with pytest.raises(ConfigError, match=r"^config error at certified"):
        validate(_bad("certified", {"attack": {"budget": 3}}))


def test_an_overlay_alone_says_how_to_layer_it_and_layered_it_loads(tmp_path):
    mine = tmp_path / "mine.yaml"
    mine.write_text("seed: 3\nclassifiers: {mnist_net: {epochs: 2}}\n")
    with pytest.raises(ConfigError) as err:
        resolve([mine])
    msg = str(err.value)
    assert "no 'dataset'" in msg and f"config.yaml {mine}" in msg  # the command to type
    assert "\n" not in msg
    layered = resolve([ROOT / "config.yaml", mine])
    assert layered["seed"] == 3 and layered["classifiers"]["mnist_net"]["epochs"] == 2
    assert layered["dataset"] == resolve()["dataset"]  # the rest from config.yaml


@pytest.mark.parametrize(
    ("dataset", "words"),
    [
        ({"name": "mnist5k", "split": {"train": 4800, "val": 150, "test": 300}}, "does not fit"),
        ({"name": "mnist5k", "split": {"test": 6000}}, "more than mnist5k's 5000 images"),
        ({"name": "cifar10", "split": {"test": 20000}}, "10000 test images are available"),
    ],
)
def test_a_split_larger_than_a_builtin_dataset_is_refused_before_any_job(dataset, words):
    cfg = _bad("dataset", dataset)
    with pytest.raises(ConfigError, match=r"^config error at dataset\.split: ") as err:
        validate(cfg)
    assert words in str(err.value)


def test_an_attacks_pipeline_keys_are_declared_once_in_the_schema():
    """advsal.attacks reads the schema: a key marked there is the pipeline's, the rest (and
    the x-constructor ones) reach the attack's constructor."""
    from advsal.attacks import attack_params, pipeline_keys
    from advsal.config.check import load_schema

    props = load_schema()["properties"]["attacks"]["additionalProperties"]["properties"]
    assert set(pipeline_keys()) == set(props) - {"detector_weight"}
    assert set(pipeline_keys(retraining_only=True)) == {"seeds", "sigma", "training", "test_limit"}
    spec = {"type": "bim", "eps": [0.1], "against": "jsd", "steps": 5, "detector_weight": 2.0}
    assert attack_params(spec) == {"steps": 5, "detector_weight": 2.0}
