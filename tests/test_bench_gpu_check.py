"""`make gpu-check` (bench/gpu_check.py) where no GPU is at hand: one line and exit 0; the most
jobs a GPU held, read from job logs as a run writes them; and bench/preset_resources.py taking
the measured speed-up per rule family instead of the assumed one."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import torch
import yaml

from advsal.config import load
from tests.helpers import ROOT, bench_module

gpu_check = bench_module("gpu_check")


def test_without_a_gpu_it_says_so_in_one_line_and_exits_0():
    proc = subprocess.run(  # no device visible, as on a host without one
        [sys.executable, str(ROOT / "bench" / "gpu_check.py")],
        capture_output=True,
        text=True,
        timeout=120,
        env={"CUDA_VISIBLE_DEVICES": "", "PATH": "/usr/bin:/bin"},
    )
    assert proc.returncode == 0
    assert proc.stdout.strip().splitlines() == [
        "gpu-check: torch sees no CUDA device on this host: nothing to measure"
    ]


def _log(path, device, start, end):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        f"2026-12-05 10:00:{start:02d},000 INFO device {device}, torch 2.x, threads 1, job (...)\n"
        "a progress line without a stamp\n"
        f"2026-12-05 10:00:{end:02d},500 INFO job usage: wall 1.0 s, cpu 1.0 s, peak rss 9 MB\n"
    )


@pytest.mark.parametrize(("third_start", "most"), [(5, 2), (2, 3)])
def test_the_most_jobs_a_gpu_held_is_read_from_the_job_logs(tmp_path, third_start, most):
    _log(tmp_path / "logs/attacks/a.log", "cuda:0", 0, 4)
    _log(tmp_path / "logs/attacks/b.log", "cuda:0", 1, 6)
    _log(tmp_path / "logs/detectors/c.log", "cuda:0", third_start, 8)
    _log(tmp_path / "logs/detectors/d.log", "cuda:1", 0, 8)
    _log(tmp_path / "logs/data.log", "cpu", 0, 9)
    (tmp_path / "logs/tables.log").write_text("no device line here\n")
    intervals = gpu_check.job_intervals(tmp_path / "logs")
    assert len(intervals) == 5
    assert gpu_check.most_at_once(intervals) == {"cuda:0": most, "cuda:1": 1, "cpu": 1}


def test_preset_estimates_take_the_measured_speedup_per_rule_family(tmp_path):
    resources = bench_module("preset_resources")
    measured = tmp_path / "gpu_check.csv"
    assert resources.gpu_speedup("attack", measured) == resources.GPU_SPEEDUP  # none measured
    measured.write_text(
        "family,rules,cpu_core_s,gpu_s,speedup,peak_gpu_mb,device\n"
        "attack,attack retraining_attack,8.5,0.1,85.0,900,H100\n"
        "detector,train_detector evaluate_detector,2.9,0.2,14.5,500,H100\n"
    )
    assert resources.gpu_speedup("attack", measured) == 85.0
    assert resources.gpu_speedup("evaluate_detector", measured) == 14.5
    assert resources.gpu_speedup("layer_study", measured) == resources.GPU_SPEEDUP


def test_every_torch_rule_of_the_estimates_belongs_to_one_measured_family():
    resources = bench_module("preset_resources")
    families = [r for rules in gpu_check.FAMILIES.values() for r in rules]
    assert len(families) == len(set(families))
    torch_rules = set(resources.RULES) - resources.CPU_RULES
    assert torch_rules <= set(families), torch_rules - set(families)


def test_a_frozen_part_is_scaled_by_the_images_not_by_the_epochs():
    """A Metzen detector's job: f's features once (logged by advsal.training.on_frozen), then
    the head for every epoch; only the head's part grows with the preset's epochs."""
    resources = bench_module("preset_resources")
    line = "2026-12-05 10:00:00,000 INFO frozen part: 40 images once, cpu 12.5 s"
    assert resources.FROZEN.findall(line) == ["12.5"]
    job = {"rule": "train_detector", "wildcards": {"detector": "metzen"}}
    full = {"detector_training": {"epochs": 500}, "detectors": {"metzen": {}}}
    overlay = {"detector_training": {"epochs": 2}}
    ratios = {"attacked": 100.0, "data": 100.0}
    assert resources.scale(job, full, overlay, ratios, 500) == pytest.approx(100.0 * 250)
    assert resources.scale(job, full, overlay, ratios, 500, counts=False) == 100.0


def test_a_jsma_job_is_scaled_by_the_presets_gamma_over_the_smokes():
    """The smoke cuts JSMA's gamma on CIFAR-10 (its iterations, f gamma / 2); the estimate
    scales the job back by the ratio, and leaves another attack's job as it was."""
    resources = bench_module("preset_resources")
    full = load([ROOT / "config" / "nguyen2018_cifar10.yaml"])
    overlay = yaml.safe_load((ROOT / "config" / "smoke" / "nguyen2018_cifar10.yaml").read_text())
    ratios = {"attacked": 10.0, "data": 10.0}
    jsma = {"rule": "attack", "wildcards": {"attack": "vgg_jsma", "eps": "none"}}
    gamma = full["attacks"]["vgg_jsma"]["gamma"] / overlay["attacks"]["vgg_jsma"]["gamma"]
    assert gamma == pytest.approx(2.0)  # 0.1 over the overlay's 0.05
    assert resources.scale(jsma, full, overlay, ratios, 500) == pytest.approx(10.0 * gamma)
    fgsm = {"rule": "attack", "wildcards": {"attack": "fgsm", "eps": "0.03"}}
    assert resources.scale(fgsm, full, overlay, ratios, 500) == pytest.approx(10.0)


def test_a_smoke_with_the_certified_side_cut_is_found(tmp_path):
    """An SDP's cost grows with about the cube of its side: the estimate takes only a smoke at
    the preset's side (``--full-size``), and finds the overlay's cut from the nets' metrics."""
    resources = bench_module("preset_resources")
    full = load([ROOT / "config" / "nguyen2018_mnist.yaml"])
    assert resources.other_sides(full, tmp_path) == []  # no certified net written yet
    for model, side in (("plain", full["certified"]["side"]), ("certified", 7)):
        (tmp_path / "certified" / model).mkdir(parents=True)
        (tmp_path / "certified" / model / "metrics.json").write_text(f'{{"side": {side}}}')
    assert resources.other_sides(full, tmp_path) == [7]
    (tmp_path / "certified" / "certified" / "metrics.json").write_text('{"side": 14}')
    assert full["certified"]["side"] == 14 and resources.other_sides(full, tmp_path) == []
    assert resources.other_sides(load([ROOT / "config" / "cifar10.yaml"]), tmp_path) == []


def test_memory_is_the_full_batch_peak_plus_copies_where_one_was_measured(tmp_path):
    """bench/memory_fit.py's peak with full batches at the preset's size, plus the assumed
    copies of the images beyond that run's; else the smoke's peak plus the copies."""
    memory_fit = bench_module("memory_fit")
    resources = bench_module("preset_resources")
    fitted = tmp_path / "memory_fit.csv"
    fitted.write_text(
        ",".join(memory_fit.FIELDS) + "\n"
        "metzen_imagenet10,train_detector,224,8,88,3688,\n"
        "assira,train_detector,112,8,120,900,\n"
    )
    lines = resources.memory_lines("metzen_imagenet10", fitted)
    assert lines == {"train_detector": (88, 3688)}
    full = {"data": 13_848, "attacked": 13_348}  # two bases told apart
    image_mb = 4 * 3 * 224 * 224 / 2**20  # 0.574 MB, one float32 copy
    # 2 x (3688 + 4 x 0.574 x (13,348 - 88)) = 68,289 MB, rounded up to the thousand
    got = resources.memory_mb("train_detector", 2265, lines, full, image_mb, 5e3)
    assert got == (69_000, "full_batch")
    # a smoke peak above the full-batch run's (e.g. a DeepFool job's) is kept
    got = resources.memory_mb("train_detector", 5000, lines, full, image_mb, 5e3)
    assert got == (71_000, "full_batch")  # 2 x (5000 + 30,457) = 70,914
    # no peak for the rule: its smoke peak plus the copies beyond the smoke's, times the margin
    assert resources.memory_mb("attack", 3478, lines, full, image_mb, 5e3) == (17_000, "smoke")


def test_the_run_scales_the_overlays_splits_and_train_limit_at_the_presets_size():
    """And runs each attack at one budget: its jobs at the others hold the same tensors."""
    memory_fit = bench_module("memory_fit")
    args = memory_fit.scaled_config("metzen_imagenet10", 4)
    assert args[:3] == [
        "--config",
        "dataset={image_size: 224, split: {val: 8, test: 20}}",
        "attack_options={label: predicted, train_limit: 16}",
    ]
    grids = yaml.safe_load(args[3].split("=", 1)[1])
    overlay = yaml.safe_load((ROOT / "config" / "smoke" / "metzen_imagenet10.yaml").read_text())
    cut = {k: v["eps"] for k, v in overlay["attacks"].items() if len(v.get("eps") or []) > 1}
    assert sorted(cut) == ["bim", "bim_l2", "fgsm"]  # DeepFool has no budget grid
    assert grids == {k: {"eps": v[:1]} for k, v in cut.items()}
    assert len(args) == 4


def test_the_run_must_fill_the_presets_attack_batches():
    """The overlay's own counts attack 4 ImageNet training images, not a batch of 32: their
    peaks miss a batch's activations."""
    memory_fit = bench_module("memory_fit")
    assert "4 training images, fewer than a batch (32)" in memory_fit.fills_a_batch(
        "metzen_imagenet10", 1
    )
    assert memory_fit.fills_a_batch("metzen_imagenet10", 8) is None  # 32 of 32
    assert "48 training images, fewer than a batch (50)" in memory_fit.fills_a_batch("assira", 4)
    proc = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "memory_fit.py"), "--times", "4", "assira"],
        capture_output=True,
        text=True,
    )
    assert proc.returncode != 0
    assert "assira: x4 attacks 48 training images" in proc.stderr  # refused before any run


def test_on_predicted_labels_deepfool_attacks_every_image_and_its_first_step_the_whole_batch():
    """Why bench/memory_fit.py's run attacks f's predicted labels: DeepFool (correct_only)
    moves only the images f gets right for their label, so on the true labels an untrained
    network's batches shrink to the few it gets right, on its own predictions they hold every
    image; its first gradient step takes the whole batch either way (the peak memory)."""
    from advsal.attacks import ATTACKS

    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(48, 10)).eval()
    x = torch.rand(16, 3, 4, 4)
    with torch.no_grad():
        pred = net(x).argmax(1)
    y = (pred + 1) % 10
    y[:3] = pred[:3]  # the true labels: f gets 3 of 16 right
    rows = []
    net[1].register_forward_hook(lambda m, i, o: rows.append(len(o)) if o.requires_grad else None)
    moved = {}
    for label in ("true", "predicted"):
        rows.clear()
        atk = ATTACKS.get("deepfool")(net, label=label, steps=3)
        moved[label] = (atk(x, y) - x).flatten(1).abs().amax(1) > 0
        assert rows[0] == 16  # the first step differentiates the whole batch
    assert moved["true"].tolist() == [True] * 3 + [False] * 13
    assert moved["predicted"].all()


FAKE_SNAKEMAKE = """
import sys
calls, argv = sys.argv[1], sys.argv[2:]
with open(calls, "a") as fh:
    fh.write(" ".join(a for a in argv if a.startswith("--")) + "\\n")
if "--unlock" in argv:
    sys.exit(0)
if "--rerun-incomplete" in argv:
    print("rule attack:\\n    log: logs/b.log\\n1 of 1 steps (100%) done")
    sys.exit(0)
print("rule data:\\n    log: logs/a.log\\n1 of 2 steps (50%) done")
sys.exit(1)  # killed half way
"""


def test_an_interrupted_run_goes_on_with_resume_from_where_it_stopped(
    tmp_path, monkeypatch, capsys
):
    """A fresh run empties its folder; --resume unlocks it, goes on with --rerun-incomplete
    into the next attempt's log and reads the jobs of both; a finished run is taken as is."""
    memory_fit = bench_module("memory_fit")
    calls = tmp_path / "calls.txt"

    def fake(preset, workdir, cores, *extra):
        return [sys.executable, "-c", FAKE_SNAKEMAKE, str(calls), *extra]

    monkeypatch.setattr(memory_fit.smoke, "snakemake_command", fake)
    monkeypatch.setattr(
        memory_fit.smoke, "make_fixtures", lambda w, t: Path(w).mkdir(exist_ok=True)
    )
    monkeypatch.setattr(memory_fit, "POLL_S", 0.01)
    workdir = tmp_path / "run"
    workdir.mkdir()
    (workdir / "left-over").touch()
    with pytest.raises(SystemExit, match="--resume goes on from there"):
        memory_fit.run("assira", workdir, 8, 2, resume=True)  # nothing to resume: fresh
    assert not (workdir / "left-over").exists()
    assert "assira x8: 1 of 2 steps done" in capsys.readouterr().out
    assert memory_fit.next_step("assira", workdir, resume=True) == "resume"
    (workdir / "finished-output").touch()
    memory_fit.run("assira", workdir, 8, 2, resume=True)
    assert (workdir / "finished-output").exists()  # what the first attempt made is kept
    ran = calls.read_text().splitlines()
    assert "--unlock" in ran[1] and "--rerun-incomplete" in ran[2]
    assert "--forceall" in ran[0] and "--rerun-incomplete" not in ran[0]
    assert "--forceall" not in ran[2]
    assert [p.name for p in memory_fit.attempts("assira", workdir)] == [
        "smoke-assira.log",
        "smoke-assira.1.log",
    ]
    assert [j["log"] for j in memory_fit._jobs("assira", workdir)] == ["logs/a.log", "logs/b.log"]
    assert memory_fit.next_step("assira", workdir, resume=True) == "done"
    memory_fit.run("assira", workdir, 8, 2, resume=True)  # taken as it is: no call
    assert len(calls.read_text().splitlines()) == 3
    assert memory_fit.next_step("assira", workdir, resume=False) == "fresh"


def test_attempts_are_read_in_the_order_they_ran(tmp_path):
    memory_fit = bench_module("memory_fit")
    logs = tmp_path / "logs"
    logs.mkdir()
    for name in ("smoke-assira.10.log", "smoke-assira.2.log", "smoke-assira.log", "smoke-x.log"):
        (logs / name).touch()
    names = [p.name for p in memory_fit.attempts("assira", tmp_path)]
    assert names == ["smoke-assira.log", "smoke-assira.2.log", "smoke-assira.10.log"]
    # the next attempt never overwrites one that is there, whatever the gaps
    assert memory_fit.next_log("assira", tmp_path).name == "smoke-assira.11.log"
    (logs / "smoke-assira.10.log").unlink()
    (logs / "smoke-assira.log").unlink()
    assert memory_fit.next_log("assira", tmp_path).name == "smoke-assira.3.log"
    log = logs / "smoke-assira.2.log"
    log.write_text("Building DAG of jobs...\nNothing to be done (all requested files are present).")
    assert memory_fit.next_step("assira", tmp_path, resume=True) == "done"


def test_merged_rows_keep_the_new_rows_columns_in_order_and_the_other_presets_rows(tmp_path):
    resources = bench_module("preset_resources")
    out = tmp_path / "rows.csv"
    out.write_text("preset,rule,mem_mb,runtime_min\nassira,attack,6000,430\nzzz,data,1000,10\n")
    new = [
        {"preset": "zzz", "rule": "attack", "mem_mb": 9000, "mem_from": "smoke", "runtime_min": 20}
    ]
    resources.merge_rows(out, new)
    lines = out.read_text().splitlines()
    assert lines[0] == "preset,rule,mem_mb,mem_from,runtime_min"  # not mem_from last
    assert lines[1:] == [
        "assira,attack,6000,,430",
        "zzz,attack,9000,smoke,20",
    ]  # zzz's old row gone


def test_memory_alone_takes_the_full_batch_peak_and_keeps_the_committed_times(tmp_path, capsys):
    """--memory: a rule with a full-batch peak gets it plus the copies of the preset's images
    beyond the run's (from its config, no smoke read); its times and every other rule's row
    stay as committed."""
    memory_fit = bench_module("memory_fit")
    resources = bench_module("preset_resources")
    fitted = tmp_path / "memory_fit.csv"
    fitted.write_text(
        ",".join(memory_fit.FIELDS) + "\nmetzen_imagenet10,train_detector,224,8,88,3688,\n"
    )
    committed = tmp_path / "preset_resources.csv"
    committed.write_text(
        "preset,rule,gpu_min_longest,mem_mb,runtime_min\n"
        "metzen_imagenet10,train_detector,60.1,66000,121\n"
        "metzen_imagenet10,data,0.0,63000,10\n"
        "assira,attack,1.0,6000,430\n"
    )
    assert resources.memory_only(["metzen_imagenet10"], False, committed, fitted) == 0
    rows = committed.read_text().splitlines()
    config = resources.load([resources.smoke.PRESETS / "metzen_imagenet10.yaml"])
    full = resources.preset_images(config)
    # the preset's attacked images: Metzen's 10,000 training images (no train_limit), val, test
    assert full["attacked"] == 10_000 + 2_848 + 500
    want = 2 * (3688 + 4 * (4 * 3 * 224 * 224 / 2**20) * (full["attacked"] - 88))
    assert rows[0] == "preset,rule,gpu_min_longest,mem_mb,runtime_min,mem_from"
    assert rows[1] == "assira,attack,1.0,6000,430,"  # another preset: untouched
    assert rows[2] == "metzen_imagenet10,data,0.0,63000,10,smoke"  # no peak: as committed
    mem = int(-(-want // 1000)) * 1000
    assert rows[3] == f"metzen_imagenet10,train_detector,60.1,{mem},121,full_batch"
    assert "1 of 2 rules' mem_mb from full-batch peaks" in capsys.readouterr().out
    fitted.write_text(",".join(memory_fit.FIELDS) + "\n")  # the peak gone: no stale row kept
    with pytest.raises(SystemExit, match="train_detector: its full-batch peak is gone"):
        resources.memory_only(["metzen_imagenet10"], False, committed, fitted)
