"""The whole DAG through Snakemake on a tiny config: outputs exist, hold sane values, re-runs
are no-ops, and a plotting change re-runs only the figure rules."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import torch
import yaml

from advsal.tables import read_table

ROOT = Path(__file__).resolve().parents[1]

TINY = {
    "seed": 0,
    "device": "cpu",
    "dataset": {"name": "mnist5k", "split": {"train": 300, "val": 100, "test": 100}},
    "classifier": {"epochs": 2, "batch_size": 50},
    "attacks": {
        "fgsm": {"eps": [0.1, 0.3]},
        "bim": {"eps": [0.2], "steps": 3, "rel_stepsize": 0.5},
        "bim_l2": {"eps": [2.0], "steps": 3, "rel_stepsize": 0.5},
        "deepfool": {"steps": 5},  # an eps-less attack: its budget token is "none"
    },
    "attack_options": {"train_limit": 150},
    "detectors": {"jsd": {}, "id": {}},
    "detector_training": {"epochs": 2, "lr": 0.001},
    "evaluation": {"paper": "zhang2018_mnist"},
    "plots": {"n_examples": 3, "dpi": 60},
    "resources": {"threads": 1, "mem_mb": 1000},
}


def snakemake(workdir: Path, *args: str) -> subprocess.CompletedProcess:
    cmd = [
        sys.executable,
        "-m",
        "snakemake",
        "-s",
        str(ROOT / "Snakefile"),
        "--directory",
        str(workdir),
        "--configfile",
        str(workdir / "config.yaml"),
        "--cores",
        "2",
        *args,
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc


def _job_stats(text: str) -> dict:
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


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    work = tmp_path_factory.mktemp("pipeline")
    (work / "config.yaml").write_text(yaml.safe_dump(TINY))
    snakemake(work, "--resources", "gpu=2")
    return work, work / "results" / "mnist5k"


@pytest.mark.slow
def test_every_output_exists_with_sane_values(run):
    _, r = run
    metrics = json.loads((r / "classifier/metrics.json").read_text())
    assert 0.5 < metrics["test_acc"] <= 1.0

    summary = read_table(r / "attacks/summary.csv")
    assert len(summary) == 5 * 3  # (attack, eps) x split
    assert set(summary[summary["attack"] == "deepfool"]["eps"]) == {"none"}
    summary["eps"] = pd.to_numeric(summary["eps"], errors="coerce")
    linf = summary[summary["attack"].isin(["fgsm", "bim"])]
    assert (linf["linf"] <= linf["eps"] + 1e-5).all()
    l2 = summary[summary["attack"] == "bim_l2"]
    assert (l2["l2"] <= l2["eps"] + 1e-4).all()
    assert (summary["accuracy_adv"] < summary["accuracy_clean"]).all()
    adv = torch.load(r / "attacks/fgsm/0.3/test.pt", weights_only=True)["x_adv"]
    assert adv.shape == (100, 1, 28, 28) and adv.min() >= 0 and adv.max() <= 1

    t1 = read_table(r / "tables/table1.csv")
    attacks = {"fgsm", "bim", "bim_l2", "deepfool"}
    assert set(t1["detector"]) == {"jsd", "id"} and set(t1["attack"]) == attacks
    for col in ("f_clean", "f_adv", "d_clean", "d_adv", "d_auc"):
        assert t1[col].between(0, 1).all()

    eps_m = read_table(r / "tables/eps_matrix.csv")
    assert len(eps_m) == 2 * (4 + 1 + 1 + 1)  # detectors x (fgsm 2x2 + one cell each)
    cross = read_table(r / "tables/cross_attack.csv")
    assert len(cross) == 2 * 4 * 4
    assert cross[["accuracy", "tpr", "fpr", "auc"]].apply(lambda c: c.between(0, 1)).all().all()

    for fig in (
        "eps_matrix_jsd",
        "eps_matrix_id",
        "cross_attack",
        "examples",
        "classifier_training",
    ):
        assert (r / f"figures/{fig}.png").stat().st_size > 1000
    md = (r / "paper_comparison.md").read_text()
    assert "| Table 1 | fgsm | f_adv" in md and "0.12" in md
    assert list((r / "logs").rglob("*.log")) and list((r / "benchmarks").rglob("*.tsv"))
    assert not list(r.rglob("*.tmp"))


@pytest.mark.slow
def test_rerun_is_a_noop_and_plot_change_reruns_only_figures(run):
    work, _ = run
    again = snakemake(work, "-n")
    assert "Nothing to be done" in again.stdout + again.stderr
    cfg = yaml.safe_load((work / "config.yaml").read_text())
    cfg["plots"]["cmap"] = "magma"
    (work / "config.yaml").write_text(yaml.safe_dump(cfg))
    dry = snakemake(work, "-n")
    jobs = set(_job_stats(dry.stdout + dry.stderr))
    jobs.discard("all")
    assert jobs and all(j.startswith("figure_") for j in jobs), dry.stdout
