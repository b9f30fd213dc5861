"""The paper presets plan the whole DAG (a Snakemake dry run; nothing is downloaded or run)."""

from __future__ import annotations

import subprocess

import pytest
import yaml

from tests.helpers import ROOT, job_stats, snakemake_command


def _dry_run(tmp_path, preset, *extra) -> dict:
    """The preset's planned jobs per rule; every rule its resources block sizes among them (a
    block's row for a rule the preset no longer plans is stale, not a size anyone reads)."""
    cmd = snakemake_command(tmp_path, ROOT / "config" / preset, "-n", *extra)
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-3000:]
    jobs = job_stats(out)
    sized = yaml.safe_load((ROOT / "config" / preset).read_text())["resources"]["rules"]
    stale = sorted(sized.keys() - jobs.keys())
    assert not stale, f"{preset}: resources of rules it does not plan: {stale}"
    return jobs


@pytest.mark.slow
def test_metzen_cifar10_plans_every_figure(tmp_path):
    jobs = _dry_run(tmp_path, "metzen_cifar10.yaml")
    # fgsm, bim, bim_l2 at 4 budgets, deepfool and deepfool_linf: 14 detectors, 14 attack jobs
    assert jobs["train_detector"] == 14 and jobs["attack"] == 14
    assert jobs["depth_sweep"] == 1 and jobs["figure_depth_sweep"] == 1
    assert jobs["retrain_detector"] == 1 and jobs["retraining_attack"] == 2
    assert jobs["figure_dynamic"] == 1 and jobs["paper_comparison"] == 1


@pytest.mark.slow
def test_metzen_imagenet10_plans_on_a_user_folder(tmp_path):
    folder = tmp_path / "imagenet10"
    folder.mkdir()
    jobs = _dry_run(tmp_path, "metzen_imagenet10.yaml", "--config", f"dataset={{root: {folder}}}")
    assert jobs["train_detector"] == 3 * 3 + 2
    assert "depth_sweep" not in jobs  # Metzen ran the sweep on CIFAR-10 only
    assert "retraining_attack" not in jobs
    assert jobs["figure_paper"] == 1  # its Sec. 4.2 claims (metzen2017_imagenet10)


@pytest.mark.slow
def test_assira_plans_the_saliency_model_and_four_detectors(tmp_path):
    folder = tmp_path / "assira"
    folder.mkdir()
    jobs = _dry_run(tmp_path, "assira.yaml", "--config", f"dataset={{root: {folder}}}")
    # 5 attack jobs (three splits each); 4 detectors x (5 attacks + the combined one)
    assert jobs["attack"] == 5 and jobs["train_detector"] == 4 * 6
    assert jobs["train_saliency"] == 1 and jobs["saliency_shift"] == 2
    assert jobs["figure_fit_test"] == 1 and jobs["evaluate_detector"] == 4
    assert jobs["figure_paper"] == 1  # the paper's ASSIRA column (saliency2020_assira)


@pytest.mark.slow
@pytest.mark.parametrize(
    "preset,folder,expect",
    [
        # Zhang on full MNIST (16 budgets of four gradient attacks + 4 eps-less ones) and on
        # CIFAR-10 (12 budgets and JSMA for Fig. 4), each x (jsd, id): Table 1, Fig. 3 and 4
        ("paper_mnist.yaml", None, {"attack": 20, "train_detector": 40, "tables": 1}),
        ("cifar10.yaml", None, {"attack": 13, "train_detector": 26, "figure_eps_matrix": 2}),
        # the best-fidelity Zhang preset on the shipped digits: 13 JSD fits, the layer study
        ("zhang2018_mnist5k.yaml", None, {"attack": 13, "train_detector": 13, "layer_study": 1}),
        # Fig. 5's three budgets per attack
        ("zhang2018_imagenet10.yaml", "x", {"attack": 9, "train_detector": 9, "layer_study": 1}),
        # six attacks x four detectors + the combined fits, the white-box attack over 3 seeds
        (
            "saliency2020_mnist.yaml",
            None,
            {"attack": 6, "train_detector": 28, "train_saliency": 1, "whitebox_table": 1},
        ),
        (
            "saliency2020_cifar10.yaml",
            None,
            {"attack": 6, "train_detector": 28, "train_saliency": 1},
        ),
        (
            "nguyen2018_mnist.yaml",
            None,
            {"attack": 7, "paired_table": 1, "certify": 2, "train_saliency": 1},
        ),
        # Sec. 3 as published (AlexNet f1, a VGG-like net for transfer); Sec. 4 stays on MNIST
        (
            "nguyen2018_cifar10.yaml",
            None,
            {"attack": 6, "paired_table": 1, "train_classifier": 2, "certify": None},
        ),
    ],
)
def test_paper_presets_plan_their_tables(tmp_path, preset, folder, expect):
    extra = []
    if folder:  # a user's image folder: it must exist, the images need not
        (tmp_path / folder).mkdir()
        extra = ["--config", f"dataset={{root: {tmp_path / folder}}}"]
    jobs = _dry_run(tmp_path, preset, *extra)
    assert {rule: jobs.get(rule) for rule in expect} == expect
    assert jobs["paper_comparison"] == 1 and jobs["figure_paper"] == 1  # every preset compares
