"""The paper presets plan the whole DAG (a Snakemake dry run; nothing is downloaded or run)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import job_stats

ROOT = Path(__file__).resolve().parents[1]


def _dry_run(tmp_path, preset, *extra) -> dict:
    cmd = [sys.executable, "-m", "snakemake", "-n", "-s", str(ROOT / "Snakefile")]
    cmd += ["--directory", str(tmp_path), "--configfile", str(ROOT / "config" / preset), *extra]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-3000:]
    return job_stats(out)


@pytest.mark.slow
def test_metzen_cifar10_plans_every_figure(tmp_path):
    jobs = _dry_run(tmp_path, "metzen_cifar10.yaml")
    # fgsm, bim, bim_l2 at 4 budgets, deepfool and deepfool_linf: 14 detectors, 42 attack jobs
    assert jobs["train_detector"] == 14 and jobs["attack"] == 42
    assert jobs["depth_sweep"] == 1 and jobs["figure_depth_sweep"] == 1
    assert jobs["train_dynamic_detector"] == 1 and jobs["dynamic_attack"] == 2
    assert jobs["figure_dynamic"] == 1 and jobs["paper_comparison"] == 1


@pytest.mark.slow
def test_metzen_imagenet10_plans_on_a_user_folder(tmp_path):
    folder = tmp_path / "imagenet10"
    folder.mkdir()
    jobs = _dry_run(tmp_path, "metzen_imagenet10.yaml", "--config", f"dataset={{root: {folder}}}")
    assert jobs["train_detector"] == 3 * 3 + 2 and jobs["depth_sweep"] == 1
    assert "dynamic_attack" not in jobs


@pytest.mark.slow
def test_assira_plans_the_saliency_model_and_four_detectors(tmp_path):
    folder = tmp_path / "assira"
    folder.mkdir()
    jobs = _dry_run(tmp_path, "assira.yaml", "--config", f"dataset={{root: {folder}}}")
    # 5 attacks x 3 splits; 4 detectors x (5 attacks + the combined one)
    assert jobs["attack"] == 15 and jobs["train_detector"] == 4 * 6
    assert jobs["train_saliency"] == 1 and jobs["saliency_shift"] == 2
    assert jobs["figure_fit_test"] == 1 and jobs["evaluate_detector"] == 4
