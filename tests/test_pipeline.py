"""The whole DAG through Snakemake on a tiny config with two classifiers, two saliency
instances and two adaptive attacks: outputs exist and hold sane values; a re-run is a no-op; a
plot, eps or library change re-runs only what depends on it; the report holds the results."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import zipfile
from pathlib import Path

import pandas as pd
import pytest
import torch
import yaml

from advsal import io
from advsal.config import resolve
from advsal.paper.kinds import FAILS, HOLDS, NOT_COMPARABLE, NOT_RUN, VERDICTS
from advsal.plan import Plan
from advsal.plots.base import STRICT_ENV
from advsal.stages.figures import example_rows
from advsal.tables import read_table
from tests.helpers import ROOT, TINY, clone_workflow, job_stats, snakemake_command

VERSIONS = ("static", "retrained")


def snakemake(workdir: Path, *args: str, env=None, check=True) -> subprocess.CompletedProcess:
    """The run's own clone of the workflow (``workdir/Snakefile``), as a user runs it."""
    cmd = snakemake_command(
        workdir, workdir / "config.yaml", "--cores", "2", *args, snakefile=workdir / "Snakefile"
    )
    full_env = {**os.environ, **(env or {})}
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=900, env=full_env)
    if check:
        assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc


def comparison(r: Path, paper: str, target: str) -> pd.DataFrame:
    """The rows of one paper item in the run's paper_comparison.csv (every row has a verdict)."""
    frame = pd.read_csv(r / "paper_comparison.csv")
    assert frame["verdict"].isin(VERDICTS).all() and len(frame) > 100
    sub = frame[(frame["paper"] == paper) & (frame["target"] == target)]
    assert len(sub), (paper, target)
    return sub


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    work = clone_workflow(tmp_path_factory.mktemp("pipeline"))
    (work / "config.yaml").write_text(yaml.safe_dump(TINY))
    # every figure checked as it is saved: overlapping texts, a covering legend or a y axis
    # without a label fail the run (advsal.plots.base.figure_problems)
    snakemake(work, "--resources", "gpu=2", env={STRICT_ENV: "1"})
    return work, work / "results" / "mnist5k"


@pytest.mark.slow
def test_every_output_exists_with_sane_values(run):
    _, r = run
    # (a batch-norm ResNet learns slowly from 300 images: well above chance is enough here)
    for clf, floor in (("net", 0.5), ("net2", 0.3)):
        metrics = json.loads((r / f"classifiers/{clf}/metrics.json").read_text())
        assert floor < metrics["test_acc"] <= 1.0 and metrics["classifier"] == clf

    summary = read_table(r / "attacks/summary.csv")
    assert len(summary) == 8 * 3  # (attack, eps) x split
    assert set(summary[summary["attack"] == "deepfool"]["eps"]) == {"none"}
    assert set(summary[summary["attack"] == "fgsm2"]["classifier"]) == {"net2"}
    summary["eps"] = pd.to_numeric(summary["eps"], errors="coerce")
    linf = summary[summary["norm"] == "linf"]
    assert (linf["linf"] <= linf["eps"] + 1e-5).all()
    assert (summary["accuracy_adv"] < summary["accuracy_clean"]).all()
    adv = torch.load(r / "attacks/fgsm/0.3/test.pt", weights_only=True)["x_adv"]
    assert adv.shape == (100, 1, 28, 28) and adv.min() >= 0 and adv.max() <= 1

    t1 = read_table(r / "tables/table1.csv")
    net_attacks = {"fgsm", "bim", "deepfool", "bim_jsd", "bim_id", "stadv"}
    for det, attacks in (
        ("jsd", net_attacks),
        ("id", net_attacks),
        ("jsd2", {"fgsm2"}),
        ("metzen", {"fgsm2"}),
        ("contrast", net_attacks),
    ):
        assert set(t1[t1["detector"] == det]["attack"]) == attacks, det
    assert set(t1[t1["detector"].isin(["jsd2", "metzen"])]["classifier"]) == {"net2"}
    for col in ("f_clean", "f_adv", "d_clean", "d_adv", "d_auc"):
        assert t1[col].between(0, 1).all()
    assert "threshold_met" in t1.columns

    eps_m = read_table(r / "tables/eps_matrix.csv")
    # jsd, id, contrast: fgsm 2x2 + one cell each; jsd2, metzen: one; spd: fgsm fit 0.3 x 2
    # + deepfool
    assert len(eps_m) == 3 * (4 + 5) + 2 + 3
    cross = read_table(r / "tables/cross_attack.csv")
    assert len(cross[cross["detector"] != "spd"]) == 3 * 6 * 6 + 2
    assert set(cross[cross["agnostic"]]["detector"]) == {"contrast"}
    assert cross[["accuracy", "tpr", "fpr", "auc"]].apply(lambda c: c.between(0, 1)).all().all()

    figures = ["eps_matrix_jsd", "eps_matrix_id", "cross_attack", "detectability"]
    figures += ["examples_grad", "examples_grad2", "classifier_training_net"]
    figures += ["depth_sweep_metzen", "dynamic", "fit_test", "examples_msal", "layer_study"]
    figures += ["whitebox", "examples_lan", "paired_contrast", "certified"]
    figures += [f"paper_{p}" for p in TINY["evaluation"]["paper"]]
    for fig in figures:
        assert (r / f"figures/{fig}.png").stat().st_size > 1000
    assert not (r / "figures/eps_matrix_jsd2.png").exists()  # one budget: no matrix to draw
    # Zhang's Table 1 on MNIST-NET and MNIST: like-for-like, judged and pooled
    t1 = comparison(r, "zhang2018_mnist", "Table 1").set_index(["where", "quantity"])
    cell = t1.loc[("fgsm", "f_adv")]
    assert cell["published"] == 0.12 and 0 <= cell["reproduced"] <= 1
    assert cell["verdict"] in (HOLDS, FAILS) and cell["pooled"]
    # its band is the binomial range at the run's 100 test images: wider than at 300
    assert 0.04 < cell["lower"] < 0.08 and 0.17 < cell["upper"] < 0.22
    md = (r / "paper_comparison.md").read_text()
    assert md.count("MNIST row: f's accuracy on clean and adversarial test images") == 1
    assert list((r / "logs").rglob("*.log")) and list((r / "benchmarks").rglob("*.tsv"))
    assert not list(r.rglob("*.tmp"))
    # ordinary permissions, not the 0600 of a temporary file
    modes = {f.relative_to(r): stat.S_IMODE(f.stat().st_mode) for f in r.rglob("*") if f.is_file()}
    assert all(m == io.FILE_MODE for m in modes.values()), modes


@pytest.mark.slow
def test_against_attacks_fool_f_and_the_detector_at_once(run):
    _, r = run
    summary = read_table(r / "attacks/summary.csv").set_index(["attack", "split"])
    cross = read_table(r / "tables/cross_attack.csv")
    for det, adaptive in (("jsd", "bim_jsd"), ("id", "bim_id")):
        row = summary.loc[(adaptive, "test")]
        assert row["against"] == det and row["accuracy_adv"] < 0.5 * row["accuracy_clean"]
        # the attacked detector (fitted to bim at 0.2) flags the adaptive adversarials far less
        # often than the static ones it was fitted to
        cell = cross[(cross["detector"] == det) & (cross["attack_fit"] == "bim")]
        tpr = cell.set_index("attack_test")["tpr"]
        assert tpr["bim"] > 0.8, tpr
        assert tpr[adaptive] < tpr["bim"] - 0.3, tpr
        assert row["detector_flags_adv"] == pytest.approx(tpr[adaptive], abs=0.02)
        assert row["fools_both"] > 0.3  # of the images f got right (static bim: ~0)


@pytest.mark.slow
def test_dynamic_adversary_against_every_detector(run):
    """Metzen Sec. 3.3 / Fig. 5: a column per detector, static and retrained."""
    _, r = run
    dyn = read_table(r / "tables/dynamic.csv")
    pairs = set(zip(dyn["attack"], dyn["detector"], strict=True))
    assert pairs == {("dyn", "jsd"), ("dyn", "id"), ("dyn2", "metzen")}
    assert len(dyn) == 3 * 2 * 2  # (attack, detector) x version x sigma
    assert (dyn["n"] == 40).all() and (dyn["linf"] <= 0.3 + 1e-5).all()
    assert ((dyn["n_kept"] >= 0) & (dyn["n_kept"] <= dyn["n"])).all()
    kept = dyn[dyn["n_kept"] > 0]
    assert kept["detectability"].between(0, 1).all()
    zero = dyn[dyn["sigma"] == 0].set_index(["attack", "detector", "version"])
    for _, grp in zero.groupby(level=[0, 1]):
        # sigma = 0 ignores the detector: the same adversarials against either version
        assert grp["accuracy_adv"].nunique() == 1 and grp["n_kept"].nunique() == 1, grp
        assert grp["accuracy_adv"].iloc[0] < grp["accuracy_clean"].iloc[0]
    one = dyn[dyn["sigma"] == 1].set_index(["attack", "detector", "version"])
    for det in ("jsd", "id"):  # sigma = 1 only pushes the static detector's logit down
        key = ("dyn", det, "static")
        assert one.loc[key, "detector_flags_adv"] < zero.loc[key, "detector_flags_adv"], det
    adaptive = read_table(r / "tables/adaptive.csv")
    assert len(adaptive) == 3 * 2
    assert (r / "retraining/dyn/0.2/jsd/seed0/history.csv").exists()
    sweep = read_table(r / "tables/depth_sweep_metzen.csv")
    assert list(sweep["ad"]) == [0, 1, 2, 3, 4] and set(sweep["attack"]) == {"fgsm2"}
    assert list(sweep["layer"]) == ["input", "stem", "stage1", "stage2", "stage3"]
    assert sweep["accuracy"].between(0, 1).all()
    # Metzen's claims are about CIFAR-10 and a ResNet-32: on MNIST and a ResNet-8 proxies, and
    # about his detector: jsd and id rows are this project's extension
    depth = comparison(r, "metzen2017", "Fig. 2 right")
    assert set(depth["verdict"]) <= {NOT_COMPARABLE, NOT_RUN}
    assert depth["reason"].str.contains("proxy: MNIST where the paper has CIFAR-10").any()
    fig5 = comparison(r, "metzen2017", "Fig. 5")
    for det in ("jsd", "id", "metzen"):  # the adaptive column: a row per detector and version
        for version in VERSIONS:
            rows = fig5[fig5["quantity"].str.startswith(f"{det} ({version}): min detectability")]
            assert len(rows) == 1, (det, version)
            if det != "metzen" and rows["verdict"].iloc[0] == NOT_COMPARABLE:
                assert "extension" in rows["reason"].iloc[0]


@pytest.mark.slow
def test_learnt_saliency_detectors_and_saliency_shift(run):
    """model_based_saliency2020: Table 1 per saliency instance, Fig. 2 and Table 6 cells."""
    work, r = run
    assert (r / "saliency/msal/model.pt").exists()
    history = pd.read_csv(r / "saliency/msal/history.csv")
    assert list(history["epoch"]) == [1, 2] and history["val_area"].between(0, 1).all()
    lan = pd.read_csv(r / "saliency/lan/history.csv")
    assert list(lan["epoch"]) == [1] and lan["val_corrupted"].between(0, 1).all()
    maps = torch.load(r / "saliency/msal/fgsm/0.3.pt", weights_only=True)["test"]
    assert maps.shape == (100, 1, 28, 28) and maps.min() >= 0 and maps.max() <= 1
    # pairs: the (attack, eps) of its classifier
    for sal, pairs in (("msal", 7), ("lan", 7), ("grad", 7), ("grad2", 1)):
        shift = read_table(r / f"tables/saliency_shift_{sal}.csv")
        assert shift["attack"].iloc[0] == "different images" and len(shift) == 1 + pairs
        adv = shift.iloc[1:]
        assert (adv["n"] <= 100).all() and adv.dropna(subset=["mean"])["p_value"].between(
            0, 1
        ).all()
    fit_test = read_table(r / "tables/fit_test.csv")
    pairs = set(zip(fit_test["attack_fit"], fit_test["attack_test"], strict=True))
    assert set(fit_test["detector"]) == {"spd"} and len(fit_test) == 4
    assert pairs == {(a, b) for a in ("fgsm", "deepfool") for b in ("fgsm", "deepfool")}
    assert (fit_test[fit_test["attack_test"] == "fgsm"]["eps_test"] == "0.3").all()
    combined = read_table(r / "tables/combined.csv")
    assert set(combined["attack_test"]) == {"fgsm", "deepfool", "all"}
    assert combined["accuracy"].between(0, 1).all()
    assert (r / "detectors/spd/all/none/model.pt").exists()
    assert not (r / "detectors/spd/bim").exists()  # not in its fit_on
    layers = read_table(r / "tables/layer_study.csv")
    assert set(layers["role"]) == {"shallow", "deep"} and set(layers["layer"]) == {"relu1", "relu3"}
    assert layers.dropna(subset=["correlation"])["correlation"].between(-1, 1).all()
    pairs = read_table(r / "tables/saliency_pairs_msal.csv")
    assert len(pairs) == 7 * 6 and pairs["ratio_to_different"].dropna().gt(0).all()
    # the examples figure maps its few images itself: the very maps the saliency jobs made
    plan = Plan(resolve([work / "config.yaml"]))
    chosen = read_table(r / "tables/chosen_eps.csv").set_index("attack")
    adv = {(a, str(chosen.loc[a, "eps"])): None for a in ("fgsm", "deepfool")}
    adv = {(a, e): r / f"attacks/{a}/{e}/test.pt" for a, e in adv}
    for sal, state in (("msal", r / "saliency/msal/model.pt"), ("grad", None)):
        rows, _ = example_rows(
            r / "data/splits.pt",
            r / f"classifiers/{plan.classifier_of('saliency', sal)}/model.pt",
            r / "tables/chosen_eps.csv",
            adv,
            n=3,
            saliency=plan.saliency_settings(sal),
            state=state,
        )
        assert [name.split()[0] for name, _, _ in rows] == ["clean", "fgsm", "deepfool"]
        made = [torch.load(r / f"saliency/{sal}/clean.pt", weights_only=True)["test"]]
        made += [
            torch.load(r / f"saliency/{sal}/{a}/{e}.pt", weights_only=True)["test"] for a, e in adv
        ]
        for (_, _, maps), job in zip(rows, made, strict=True):
            torch.testing.assert_close(maps, job[:3], rtol=1e-5, atol=1e-6)
    # the 2020 reference reads the instance `model`: tiny has `msal`, so its Table 1 is not run
    t1 = comparison(r, "saliency2020_mnist", "Table 1")
    assert (t1["verdict"] == NOT_RUN).all() and t1["reason"].str.contains("saliency_shift").all()
    t6 = comparison(r, "saliency2020_mnist", "Table 6").set_index("where")
    assert t6.loc["spd", "verdict"] in (HOLDS, FAILS) and t6.loc["id2020", "verdict"] == NOT_RUN
    layers = comparison(r, "zhang2018_mnist", "Sec. 5 / Fig. 7")  # VGG16 on ImageNet: a proxy
    assert (
        set(layers["verdict"]) == {NOT_COMPARABLE}
        and layers["where"].str.startswith("fgsm eps").any()
    )
    assert set(comparison(r, "saliency2020_mnist", "Sec. 4.2")["verdict"]) <= set(VERDICTS)


@pytest.mark.slow
def test_whitebox_attack_before_and_after_adversarial_training_over_seeds(run):
    """model_based_saliency2020 Table 3: per seed a static SPD refitted with that seed, its
    adversarially trained version, the attack on both; mean and std over the two seeds."""
    _, r = run
    fits = [r / "detectors/spd/fgsm/0.3/model.pt", r / "detectors/spd/fgsm/0.3/seed1/model.pt"]
    weights = [torch.load(p, weights_only=True)["state_dict"] for p in fits]
    assert any(not torch.equal(weights[0][k], weights[1][k]) for k in weights[0])
    rows = pd.concat(
        [read_table(r / f"retraining/wb/1.0/spd/seed{k}/{v}.csv") for k in (0, 1) for v in VERSIONS]
    )
    assert sorted(rows["seed"]) == [0, 0, 1, 1] and rows["sigma"].isna().all()
    assert (rows["n"] == 40).all() and (rows["linf"] <= 1.0).all()
    table = read_table(r / "tables/whitebox.csv").set_index("version")
    assert list(table.index) == ["static", "retrained"] and (table["n_seeds"] == 2).all()
    mean = rows.groupby("version")["detector_flags_adv"].mean()
    assert table.loc["static", "detection_rate_mean"] == pytest.approx(mean["static"])
    assert table["detection_rate_std"].notna().all()
    assert "wb" not in set(read_table(r / "tables/dynamic.csv")["attack"])  # no sigma grid
    t3 = comparison(r, "saliency2020_mnist", "Table 3").set_index(["where", "quantity"])
    for version in VERSIONS:
        assert t3.loc[(f"spd, {version}", "detection_rate_mean"), "verdict"] in (HOLDS, FAILS)


@pytest.mark.slow
def test_rerun_is_a_noop_and_plot_change_reruns_only_figures(run):
    work, _ = run
    again = snakemake(work, "-n")
    assert "Nothing to be done" in again.stdout + again.stderr
    dry = snakemake(work, "-n", "--config", "plots={cmap: magma}")
    jobs = set(job_stats(dry.stdout + dry.stderr))
    jobs.discard("all")
    assert jobs and all(j.startswith("figure_") for j in jobs), dry.stdout


@pytest.mark.slow
def test_every_torch_job_ran_portable_numerics_and_native_reruns_them(run):
    """The Snakefile sets the portable kernels for every job (advsal.numerics); each torch job
    checked and logged them, the comparison names them, and switching to native re-plans."""
    work, r = run
    logs = [p.read_text() for p in (r / "logs").rglob("*.log")]
    torch_jobs = [t for t in logs if " INFO device " in t]
    assert len(torch_jobs) > 20
    line = "numerics portable: ATen AVX2, oneDNN at most AVX2, MKL branch COMPATIBLE"
    assert all(line in t for t in torch_jobs)
    assert "numerics portable" in (r / "paper_comparison.md").read_text()
    dry = snakemake(work, "-n", "--config", "numerics=native")
    jobs = job_stats(dry.stdout + dry.stderr)
    assert jobs.get("train_classifier") and jobs.get("attack") and jobs.get("figure_paper")


@pytest.mark.slow
def test_contrastive_detection_one_clean_fit_and_paired_tables(run):
    """Nguyen 2018 Tables 1-4: one fit on clean masks scored on every attack, and pair by pair
    on its `paired` attacks, direct and transferred."""
    _, r = run
    assert [p.parent.name for p in r.glob("detectors/contrast/*/*/model.pt")] == ["none"]
    assert (r / "detectors/contrast/clean/none/model.pt").exists()
    hist = pd.read_csv(r / "detectors/contrast/clean/none/history.csv")
    # f2 per epoch (whether it learns: tests/test_detectors_contrast.py; tiny LAN masks are poor)
    assert len(hist) == 3 and hist["val_acc"].between(0, 1).all()
    cells = read_table(r / "eval/contrast.csv")
    assert set(cells["attack_fit"]) == {"clean"} and len(cells) == 7  # every (attack, eps) of net
    paired = read_table(r / "tables/paired_contrast.csv")
    assert len(paired) == 3 * 2  # attack x subset
    setting = dict(zip(paired["attack"], paired["setting"], strict=False))
    assert setting == {"fgsm": "direct", "deepfool": "direct", "fgsm2": "transferred"}
    assert set(paired[paired["attack"] == "fgsm2"]["crafted_on"]) == {"net2"}
    every, filtered = paired[paired["subset"] == "all"], paired[paired["subset"] == "filtered"]
    assert (every["n_pairs"] > 0).all() and (every["n_pairs"] <= 100).all()
    assert (filtered["n_pairs"].values <= every["n_pairs"].values).all()
    cols = ["mask_keeps_class", "recovery", "tp", "tn", "f1_clean", "f2_clean"]
    assert every[cols].apply(lambda c: c.between(0, 1)).all().all()
    # filtered pairs: f2 labels the clean mask correctly and f1 the clean image, so no false
    # alarm is possible
    assert (filtered.dropna(subset=["tn"])["tn"] == 1.0).all()
    # published on CIFAR-10 with AlexNet: proxies here; Table 4's tn is 1 by construction
    t3 = comparison(r, "nguyen2018", "Table 3").set_index(["where", "quantity"])
    assert t3.loc[("fgsm", "tn"), "verdict"] == NOT_COMPARABLE
    t4 = comparison(r, "nguyen2018", "Table 4")
    tn = t4[(t4["quantity"] == "tn") & t4["reproduced"].notna()]
    assert len(tn) and tn["reason"].str.startswith("true by construction").all()


@pytest.mark.slow
def test_plain_and_certified_two_layer_nets_attacked_and_certified(run):
    """Nguyen 2018 Fig. 6: both nets on the same test images, a row per image from the attack
    and from the certificate, the SDP no looser than the dual bound, and the table's counts."""
    _, r = run
    for model in ("plain", "certified"):
        attacked = pd.read_csv(r / f"certified/{model}/stadv.csv")
        certs = pd.read_csv(r / f"certified/{model}/certificates.csv")
        assert len(attacked) == len(certs) == 30
        assert (attacked["label"] == certs["label"]).all()
        assert not (attacked["fooled"] & ~attacked["correct"]).any()
        assert (attacked.loc[attacked["fooled"], "flow_loss"] <= 15.0).all()
        assert not (certs["certified"] & ~certs["correct"]).any()  # a wrong label never is
        sdp = certs.dropna(subset=["sdp_worst"])
        assert len(sdp) == 1 and (sdp["sdp_worst"] <= sdp["worst"] + 1e-3).all()
        metrics = json.loads((r / f"certified/{model}/metrics.json").read_text())
        assert metrics["weight"] == (0.0 if model == "plain" else 0.5)
    table = read_table(r / "tables/certified.csv").set_index("model")
    assert list(table.index) == ["plain", "certified"]
    assert (table["attacked"] == 30).all() and (table["fooled"] <= table["correct"]).all()
    assert (table["certified"] <= table["correct"]).all() and (table["cert_eps"] == 0.1).all()
    fig6 = comparison(r, "nguyen2018", "Fig. 6").set_index("where")
    assert fig6.loc["plain", "verdict"] == NOT_COMPARABLE  # the thesis's L_flow units are unknown
    assert fig6.loc["plain", "reproduced"] == pytest.approx(table.loc["plain", "fooled_rate"])


@pytest.mark.slow
def test_a_new_eps_plans_only_its_own_jobs(run):
    work, _ = run
    dry = snakemake(work, "-n", "--config", "attacks={fgsm: {eps: [0.1, 0.3, 0.5]}}")
    jobs = job_stats(dry.stdout + dry.stderr)
    # jsd and id fit every budget; spd only the ones in its fit_on; grad, msal and lan map it
    # one attack job writes the new budget's three splits
    assert jobs["attack"] == 1 and jobs["train_detector"] == 2 and jobs["saliency_adv"] == 3
    assert "train_classifier" not in jobs and "saliency_clean" not in jobs


@pytest.mark.slow
def test_a_run_copied_with_its_clone_plans_nothing(run, tmp_path):
    """No absolute path in a rule's input, output or params: the finished run and its workflow
    copied elsewhere (another clone, another user's home) is up to date there."""
    work, _ = run
    copy = tmp_path / "elsewhere"
    shutil.copytree(work, copy, symlinks=True, ignore=shutil.ignore_patterns("locks"))
    dry = snakemake(copy, "-n")
    assert "Nothing to be done" in dry.stdout + dry.stderr, dry.stdout[-3000:]


@pytest.mark.slow
def test_a_library_edit_reruns_the_rules_that_import_it(run, tmp_path):
    """A copy of the library with plots/bars.py changed: only the figure rules are planned."""
    work, _ = run
    src = tmp_path / "src"
    shutil.copytree(ROOT / "src" / "advsal", src / "advsal")
    for shared in ("workflow", "config.yaml"):  # the library finds its schema beside src/
        (tmp_path / shared).symlink_to(ROOT / shared)
    plots = src / "advsal" / "plots" / "bars.py"
    plots.write_text(plots.read_text() + "\n\ndef _new_helper():\n    return 1\n")
    dry = snakemake(work, "-n", env={"PYTHONPATH": str(src)})
    jobs = set(job_stats(dry.stdout + dry.stderr)) - {"all"}
    assert jobs and all(j.startswith("figure_") for j in jobs), jobs
    # a comment is not code: nothing to do
    plots.write_text((ROOT / "src/advsal/plots/bars.py").read_text() + "\n# a comment\n")
    quiet = snakemake(work, "-n", env={"PYTHONPATH": str(src)})
    assert "Nothing to be done" in quiet.stdout + quiet.stderr


@pytest.mark.slow
def test_report_holds_every_figure_and_table(run):
    work, r = run
    snakemake(work, "--report", str(work / "report.zip"))
    with zipfile.ZipFile(work / "report.zip") as z:
        names = "\n".join(z.namelist())
    for f in ("table1.csv", "cross_attack.csv", "cross_attack.png", "examples_grad.png"):
        assert f in names, names
    assert "paper_comparison.csv" in names


@pytest.mark.slow
def test_an_unsafe_checkpoint_is_one_line_on_the_console(run):
    """Last in this module: it replaces a checkpoint, so later dry runs would plan work."""
    work, r = run
    model = r / "classifiers/net2/model.pt"
    saved = model.read_bytes()
    torch.save({"x": _Evil()}, model)
    try:
        target = "results/mnist5k/attacks/fgsm2/0.3/test.pt"
        proc = snakemake(work, "--force", target, check=False)
    finally:
        model.write_bytes(saved)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0
    assert "unsafe checkpoint refused" in out and "posix.system" in out, out[-2000:]
    assert "weights_only=False" not in out and "Traceback" not in out


class _Evil:
    def __reduce__(self):
        return (os.system, ("echo pwned",))
