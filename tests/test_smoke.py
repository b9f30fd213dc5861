"""The presets smoke's parts (advsal.smoke, advsal.data.fixtures), and every preset's bad input
stopped before any job with one line naming the key and the preset file. The smoke runs
themselves are `make presets-smoke` (CI runs it)."""

from __future__ import annotations

import copy
import subprocess
import threading
import time

import numpy as np
import pytest
import yaml

from advsal import smoke
from advsal.config import ConfigError, load, locate, resolve
from advsal.data import fixtures
from advsal.data.base import DataUnavailable, load_dataset
from advsal.plan import run_name
from tests.helpers import ROOT, snakemake_command

PRESETS = smoke.presets()


def _preset(name: str) -> dict:
    return yaml.safe_load((ROOT / "config" / f"{name}.yaml").read_text())


def test_every_preset_has_an_overlay_that_cuts_only_sizes():
    assert len(PRESETS) == 11
    for name in PRESETS:
        overlay = yaml.safe_load(smoke.overlay_path(name).read_text())
        smoke.check_overlay(load([ROOT / "config" / f"{name}.yaml"]), overlay)
    assert sorted(p.stem for p in smoke.OVERLAYS.glob("*.yaml")) == PRESETS


def test_the_smoke_cuts_image_sizes_and_budget_grids_and_full_size_undoes_them():
    cut_any = set()
    for name in PRESETS:
        overlay = yaml.safe_load(smoke.overlay_path(name).read_text())
        preset = _preset(name)
        want = []
        if "image_size" in overlay.get("dataset", {}):  # CI's smoke: VGG16 at 64 px, not 224
            assert overlay["dataset"]["image_size"] < preset["dataset"]["image_size"]
            want.append(f"dataset={{image_size: {preset['dataset']['image_size']}}}")
            cut_any.add("image_size")
        if "side" in (overlay.get("certified") or {}):  # SDPs of 1 + 20 + 49 rows, not + 196
            assert overlay["certified"]["side"] < preset["certified"]["side"]
            want.append(f"certified={{side: {preset['certified']['side']}}}")
            cut_any.add("side")
        grids = {a: s["eps"] for a, s in overlay.get("attacks", {}).items() if "eps" in s}
        for attack, eps in grids.items():  # a grid cut to its two ends
            assert len(eps) == 2 < len(preset["attacks"][attack]["eps"])
            cut_any.add("eps")
        undo = smoke.full_size(name)
        assert undo[:1] == (["--config"] if want or grids else [])
        assert undo[1 : 1 + len(want)] == want
        if grids:  # Snakemake's --config reads YAML: the preset's whole grids come back
            back = yaml.safe_load(undo[-1].split("=", 1)[1])
            assert back == {a: {"eps": preset["attacks"][a]["eps"]} for a in grids}
    assert cut_any == {"image_size", "side", "eps"}
    preset = load([ROOT / "config" / "assira.yaml"])  # 112 px
    smoke.check_overlay(preset, {"dataset": {"image_size": 64}})
    with pytest.raises(ValueError, match="no cut of the preset's 112"):
        smoke.check_overlay(preset, {"dataset": {"image_size": 224}})


@pytest.mark.parametrize(
    "overlay,words",
    [
        ({"classifiers": {"cifar_net": {"arch": "resnet"}}}, "not a size"),
        ({"classifiers": {"cifar_net": {"epochs": 101}}}, "no cut"),
        ({"classifiers": {"other": {"epochs": 1}}}, "not in the preset"),
        ({"attacks": {"fgsm": {"eps": [0.5]}}}, "not a subset"),
        ({"attacks": {"fgsm": {"eps": []}}}, "no cut of the preset's grid"),
        ({"attacks": {"fgsm": {"eps": 0.00392156862745098}}}, "no cut of the preset's grid"),
        ({"attacks": {"jsma": {"eps": [0.1]}}}, "no cut of the preset's grid"),  # JSMA: no eps
        ({"attacks": {"bim": {"steps": 2, "abs_stepsize": 0.1}}}, "not a size"),
        ({"dataset": {"split": {"train": None}}}, "no cut"),
        ({"attacks": {"fgsm": {"steps": 3}}}, "no count to cut"),  # FGSM has no steps
        ({"attacks": {"bim": {"steps": [1]}}}, "not of the preset's kind"),
        ({"classifiers": {"cifar_net": {"gamma": 0.01}}}, "not a size"),  # JSMA's, not an lr's
        ({"certified": {"side": 7}}, "no count to cut"),  # cifar10 certifies nothing
    ],
)
def test_an_overlay_that_changes_more_than_sizes_is_refused(overlay, words):
    preset = load([ROOT / "config" / "cifar10.yaml"])
    with pytest.raises(ValueError, match=words):
        smoke.check_overlay(preset, overlay)
    smoke.check_overlay(preset, {"attacks": {"bim": {"steps": 2}}})  # a cut is fine
    smoke.check_overlay(preset, {"attacks": {"jsma": {"gamma": 0.02}}})  # fewer JSMA iterations
    with pytest.raises(ValueError, match="no cut of the preset's 0.1"):
        smoke.check_overlay(preset, {"attacks": {"jsma": {"gamma": 0.2}}})
    smoke.check_overlay(preset, {"attacks": {"bim": {"eps": preset["attacks"]["bim"]["eps"][1:3]}}})
    metzen = load([ROOT / "config" / "metzen_cifar10.yaml"])
    smoke.check_overlay(metzen, {"attacks": {"dynamic": {"sigma": [0.0, 1.0]}}})  # code's grid
    with pytest.raises(ValueError, match="not a subset"):
        smoke.check_overlay(metzen, {"attacks": {"dynamic": {"sigma": [0.05]}}})
    metzen["attacks"]["deepfool"].pop("steps")  # DeepFool's own default then: 50
    smoke.check_overlay(metzen, {"attacks": {"deepfool": {"steps": 2}}})
    with pytest.raises(ValueError, match="no cut of the preset's 50"):
        smoke.check_overlay(metzen, {"attacks": {"deepfool": {"steps": 60}}})


def test_presets_write_to_runs_of_their_own():
    runs = [run_name(load([ROOT / "config" / f"{name}.yaml"])) for name in PRESETS]
    assert len(set(runs)) == len(runs), runs


def test_stand_in_data_loads_through_the_real_loaders(tmp_path):
    fixtures.write_mnist(tmp_path, n_train=300, n_test=100)
    fixtures.write_cifar10(tmp_path, per_batch=20, n_test=30)
    fixtures.write_imagefolder(
        tmp_path / "in", fixtures.IMAGENET10_ZHANG, 40, {"train": 2, "test": 1}
    )
    fixtures.write_imagefolder(tmp_path / "assira", fixtures.ASSIRA, 24, {"": 5})
    split = {"train": 50, "val": 10, "test": 20}
    mnist = load_dataset("mnist", {"root": str(tmp_path), "split": split}, 0)
    assert mnist.x["train"].shape == (50, 1, 28, 28) and len(mnist.classes) == 10
    cifar = load_dataset("cifar10", {"root": str(tmp_path), "verify": False, "split": split}, 0)
    assert cifar.x["test"].shape == (20, 3, 32, 32) and cifar.classes[0] == "airplane"
    assert set(cifar.y["train"].tolist()) == set(range(10))
    with pytest.raises(DataUnavailable, match="CIFAR10 is not available offline"):
        load_dataset("cifar10", {"root": str(tmp_path), "download": False, "split": split}, 0)
    folder = {"root": str(tmp_path / "in"), "image_size": 40, "split": {"val": 4}}
    inet = load_dataset("imagefolder", folder, 0)
    assert inet.x["train"].shape == (16, 3, 40, 40) and inet.classes == fixtures.IMAGENET10_ZHANG
    flat = {"root": str(tmp_path / "assira"), "image_size": 24, "split": {"val": 2, "test": 4}}
    cats = load_dataset("imagefolder", flat, 0)
    assert cats.classes == ["cat", "dog"] and cats.x["test"].shape == (4, 3, 24, 24)
    # learnable: each class its own pattern, so a nearest-pattern rule beats chance
    x = cifar.x["train"].float().flatten(1).numpy()
    y = cifar.y["train"].numpy()
    means = np.stack([x[y == k].mean(0) for k in range(10)])
    nearest = ((x[:, None] - means[None]) ** 2).sum(-1).argmin(1)
    assert (nearest == y).mean() > 0.5


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    """The presets' image folders (class folders only: the checks read no image)."""
    root = tmp_path_factory.mktemp("data")
    for folder, classes in (
        ("imagenet10", fixtures.IMAGENET10_METZEN),
        ("imagenet10_zhang", fixtures.IMAGENET10_ZHANG),
        ("assira", fixtures.ASSIRA),
    ):
        for cls in classes:
            for part in ("train", "test"):
                (root / folder / part / cls).mkdir(parents=True)
    return root


def _break(name: str, kind: str, data) -> tuple[dict, str]:
    """The preset with one deliberate error of ``kind``, and the key the error must name."""
    cfg = copy.deepcopy(_preset(name))
    if cfg["dataset"]["name"] == "imagefolder":
        cfg["dataset"]["root"] = str(data / cfg["dataset"]["root"].split("/", 1)[1])
    first = next(iter(cfg["classifiers"]))
    clf = cfg["classifiers"][first]
    if kind == "unknown key":
        clf["epochz"] = 3
        return cfg, f"classifiers.{first}"
    if kind == "layer":
        metzen = [d for d, s in cfg.get("detectors", {}).items() if d == "metzen"]
        if metzen:
            cfg["detectors"]["metzen"]["params"]["layer"] = "pool9"
            return cfg, "detectors.metzen.params"
        study = cfg.setdefault("layer_study", {"classifier": first, "layers": {}})
        study["layers"]["deep"] = "relu99"
        return cfg, "layer_study.layers.deep"
    if kind == "shape":
        if cfg["dataset"]["name"] == "imagefolder":  # too small for VGG16 / ASSIRA's net
            cfg["dataset"]["image_size"] = 8
            return cfg, f"classifiers.{first}"
        if cfg["dataset"]["name"] in ("mnist", "mnist5k"):  # 28 x 28 halves to 0 in VGG16
            clf["arch"], clf["params"] = "vgg16", {}
            return cfg, f"classifiers.{first}"
        # CIFAR: every registered network takes 32 x 32 x 3; Metzen's convolutional
        # detector attached where the classifier's features are flat cannot
        spec = {"classifier": first, "params": {"layer": "flatten"}}
        cfg.setdefault("detectors", {}).setdefault("metzen", spec)["params"]["layer"] = "flatten"
        return cfg, "detectors.metzen.params"
    if kind == "classes":  # the data has 10 (2 for ASSIRA); the preset says otherwise
        if clf["arch"] == "vgg16" and "classes" in clf.get("params", {}):
            clf["params"]["classes"] = clf["params"]["classes"][:9]
        else:
            clf.setdefault("params", {})["n_out"] = 7
        return cfg, f"classifiers.{first}"
    raise AssertionError(kind)


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["unknown key", "layer", "shape", "classes"])
@pytest.mark.parametrize("name", PRESETS)
def test_bad_preset_stops_with_one_line_naming_key_and_file(tmp_path, folders, name, kind):
    cfg, key = _break(name, kind, folders)
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(cfg))
    with pytest.raises(ConfigError) as err:
        resolve([path])
    line = locate(err.value, [path])
    assert line.startswith(f"{path}: config error at {key}"), line
    assert "\n" not in line


def test_locate_names_the_file_that_sets_the_key(tmp_path, monkeypatch):
    base, over = tmp_path / "preset.yaml", tmp_path / "overlay.yaml"
    base.write_text("attacks: {bim: {eps: [0.1], steps: 3}}\n")
    over.write_text("attacks: {bim: {steps: 0}}\n")
    err = ConfigError("config error at attacks.bim.steps: too few")
    assert locate(err, [base, over]).startswith(f"{over}: config error")
    err = ConfigError("config error at attacks.bim.eps[0]: no")
    assert locate(err, [base, over]).startswith(f"{base}: config error")
    assert locate(err, [base], {"attacks": "{bim: {eps: [2]}}"}).startswith("--config: ")
    err = ConfigError("config error at plots.dpi: schema default")  # set by no file
    assert locate(err, [base, over]).startswith(f"{over}: ")
    monkeypatch.chdir(tmp_path)  # shown as typed: relative to the working directory
    assert locate(err, [base, over]).startswith("overlay.yaml: config error at plots.dpi")


@pytest.mark.slow
def test_snakemake_names_the_preset_file_and_runs_nothing(tmp_path, folders):
    cfg, key = _break("metzen_imagenet10", "classes", folders)
    path = tmp_path / "metzen_imagenet10.yaml"
    path.write_text(yaml.safe_dump(cfg))
    proc = subprocess.run(
        snakemake_command(tmp_path, path, "--cores", "1"), capture_output=True, text=True
    )
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0
    lines = [line for line in out.splitlines() if "config error" in line]
    # Snakemake runs in tmp_path (--directory): the file is named as typed there
    msg = "classes lists 9 ImageNet indices for 10 classes"
    assert lines == [f"{path.name}: config error at {key}.params: {msg}"], out
    assert "Traceback" not in out and not (tmp_path / "results").exists()


def test_presets_at_once_keep_their_order_and_a_failure_starts_no_more(monkeypatch, tmp_path):
    started, running, most = [], set(), [0]
    lock = threading.Lock()

    def fake_run(name, workdir, cores, *extra):
        with lock:
            started.append(name)
            running.add(name)
            most[0] = max(most[0], len(running))
        time.sleep(0.05 if name == "cifar10" else 0.5)  # the failure comes first
        with lock:
            running.discard(name)
        return {"preset": name, "ok": name != "cifar10", "wall_s": 0.2, "jobs": 1}

    monkeypatch.setattr(smoke, "run", fake_run)
    monkeypatch.setattr(smoke, "make_fixtures", lambda workdir: workdir)
    names = ["assira", "cifar10", "metzen_cifar10", "paper_mnist", "zhang2018_mnist5k"]
    args = ["--workdir", str(tmp_path), "--parallel", "2"]
    assert smoke.main([*args, "--keep-going", *names]) == 1  # cifar10 failed
    assert sorted(started) == names and most[0] == 2
    with open(tmp_path / "presets-smoke.csv") as fh:
        assert [line.split(",")[0] for line in fh.read().splitlines()[1:]] == names
    started.clear()
    assert smoke.main([*args, *names]) == 1
    assert started == names[:2]  # the one beside cifar10 runs to its end; no other starts
    started.clear()
    assert smoke.main(["--workdir", str(tmp_path), "zhang2018_mnist5k", "paper_mnist"]) == 0
    assert started == ["zhang2018_mnist5k", "paper_mnist"]  # one at a time, in the given order


def test_only_the_rule_asking_far_more_memory_than_the_rest_runs_one_job_at_a_time(tmp_path):
    assert {name: smoke.alone(name) for name in PRESETS if smoke.alone(name)} == {
        "nguyen2018_mnist": ["certify"]  # the SDPs: 20,000 MB asked, ~9,000 taken in the smoke
    }
    cmd = smoke.snakemake_command("nguyen2018_mnist", tmp_path, 2)
    assert cmd[cmd.index("--set-resources") + 1] == "certify:alone=1"
    assert cmd[cmd.index("--resources") + 1] == "alone=1"
    assert "--set-resources" not in smoke.snakemake_command("cifar10", tmp_path, 2)
