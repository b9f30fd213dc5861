"""Each rule's peak memory with full batches at the preset's image size, from one smoke run.

For a preset whose data is an image folder (the ImageNet and ASSIRA presets, whose full size a
CPU smoke cannot reach), runs its smoke (the overlay's steps and epochs, each attack at one
budget) at the preset's own image size with ``--times K`` times the overlay's image counts (as
many stand-in images per class, and the overlay's split counts and ``train_limit`` times K),
and writes each rule's largest peak RSS (its jobs' logs' last line) with the rule's images in
that run (as ``bench/preset_resources.py`` counts them: every image, or those the attacks see)
to ``bench/memory_fit.csv`` (the rows of the presets run now replace theirs).
``bench/preset_resources.py`` takes the larger of that peak and the overlay-sized smoke's,
plus its assumed float32 copies of the images the preset has beyond the run's, for the rule's
``mem_mb``.

K must make the attacks' training images fill ``attack_options.batch_size``: at the overlay's
own counts (4 ImageNet training images attacked, 18 trained on) VGG16's training peaked at 3.2
GB, at 8 times them (batches of 32) at 7.4 GB, and a detector's training at 2.3 and 3.7 GB: a
batch's activations, which the overlay-sized smoke does not hold. K = 8 still holds part of the
larger batches of the forward passes that score a split (``advsal.training.predict``, 512
images; a frozen network's features, 256): their activations, without gradients, stay unmeasured
here beyond the split sizes the run has (16 and 40 images); ``bench/forward_memory.py`` measures
them alone (VGG16 at 224 px: 37 MB per image of a batch, ~19 GB at 512). What a job holds per
image beyond the batches (the copies) stays assumed too: a line through two image counts was
tried (metzen_imagenet10 at 64 px, 8 and 24 times the images, 2026-12-06; the second run stopped
after 3 of its 29 jobs): BIM l_2's attack peaked at 2,261 MB both times (loading VGG16, its
weights and their state dict at once, not images), and VGG16's training grew by 394 MB with its
400 more images (whose scoring passes' batches grew with them). At counts a CPU runs in hours,
the images' own share is under the loading's peak; it shows past ~400 images at 224 px (1 GB of
float32 copies), hours of CPU per attack job.

The run's attacks use f's predicted labels (``attack_options.label: predicted``, overriding a
preset's ``"true"``, as ``metzen_imagenet10``'s): an attack that works only on the images the
network classifies right (``Attack.correct_only``: DeepFool, the white-box attack's classifier
steps) then takes every image as right, as a trained network gets nearly all, where the smoke's
untrained network gets about one stand-in image in ten right for its true label. DeepFool's
later steps shrink to the images still right; its first forwards and differentiates the whole
batch, so its peak moves little with them (its time does): metzen_imagenet10's DeepFool job,
VGG16 at 224 px in batches of 32, peaked at 12,700 MB on the true labels (4 of 32 training
images right) and 13,136 MB on the predicted ones (2026-12-06).

A run starts in an empty folder (``--workdir``'s ``PRESET-PXpx-xK``), so every job runs and is
measured. ``--resume`` keeps what an interrupted run there finished (an ImageNet preset at 224
px takes hours of CPU): it unlocks the folder and goes on with ``--rerun-incomplete``, logging
to the next ``logs/smoke-PRESET.N.log``; the peaks are read from every attempt's jobs. A run
there that finished is taken as it is. While Snakemake runs, its steps done are printed as they
change.

    python bench/memory_fit.py [--times 8] [--cores 2] [--resume] PRESET [PRESET ...]
"""

from __future__ import annotations

import argparse
import functools
import importlib.util
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from advsal import smoke  # noqa: E402
from advsal.config import load  # noqa: E402
from advsal.data.base import dataset_folder  # noqa: E402
from advsal.plan import run_name  # noqa: E402
from advsal.stages.common import load_splits  # noqa: E402

OUT = ROOT / "bench" / "memory_fit.csv"
FIELDS = ["preset", "rule", "px", "times", "images", "rss_mb"]


@functools.cache
def _resources():
    """bench/preset_resources.py, loaded once (its job and usage parsing, its image counts)."""
    spec = importlib.util.spec_from_file_location(
        "preset_resources", ROOT / "bench" / "preset_resources.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def scaled_config(preset: str, times: int) -> list[str]:
    """Snakemake ``--config`` for the run: the preset's image size, ``times`` the overlay's
    split counts and ``train_limit`` (the overlay's own where ``times`` is 1), the attacks on
    f's predicted labels, and each attack's budget grid cut to its first value. Only a preset
    whose images are a folder of stand-in files (whose count ``times`` scales) is taken."""
    full = load([smoke.PRESETS / f"{preset}.yaml"])
    if dataset_folder(full["dataset"]) is None:
        sys.exit(f"{preset}: its data is not an image folder; its smoke's images cannot be scaled")
    cut = load([smoke.PRESETS / f"{preset}.yaml", smoke.overlay_path(preset)])
    split = {k: v * times for k, v in cut["dataset"]["split"].items() if isinstance(v, int)}
    size = full["dataset"]["image_size"]
    split_text = ", ".join(f"{k}: {v}" for k, v in split.items())
    out = [f"dataset={{image_size: {size}, split: {{{split_text}}}}}"]
    options = {"label": "predicted"}  # every image attacked, as a trained network's nearly all
    if limit := cut["attack_options"].get("train_limit"):
        options["train_limit"] = limit * times
    out.append("attack_options={" + ", ".join(f"{k}: {v}" for k, v in options.items()) + "}")
    # one budget per attack: its jobs at other budgets hold the same tensors (half the run)
    grids = {k: v["eps"] for k, v in cut["attacks"].items() if len(v.get("eps") or []) > 1}
    if grids:
        out.append(
            "attacks={" + ", ".join(f"{k}: {{eps: [{v[0]!r}]}}" for k, v in grids.items()) + "}"
        )
    return ["--config", *out]


def fills_a_batch(preset: str, times: int) -> str | None:
    """Why a run at ``times`` the overlay's counts would not fill the preset's attack batches
    (its attacked training images fewer than ``attack_options.batch_size``); None if it does."""
    full = load([smoke.PRESETS / f"{preset}.yaml"])
    cut = load([smoke.PRESETS / f"{preset}.yaml", smoke.overlay_path(preset)])
    batch = full["attack_options"]["batch_size"]
    limit = cut["attack_options"].get("train_limit")
    if limit and limit * times < batch:
        return f"x{times} attacks {limit * times} training images, fewer than a batch ({batch})"
    return None


def peaks(preset: str, workdir: Path) -> dict[str, tuple[int, int]]:
    """Per rule of the preset's smoke in ``workdir``: (its images in that run, the largest
    peak RSS of its jobs in MB), for the rules whose images are every image or the attacked."""
    res = _resources()
    config = load([smoke.PRESETS / f"{preset}.yaml", smoke.overlay_path(preset)])
    root = workdir / config["results"] / run_name(config)
    splits = load_splits(root / "data" / "splits.pt")
    counts = tuple(len(splits.y[k]) for k in ("train", "val", "test"))
    limit = _train_limit(root, counts)
    images = {"data": res.images(counts), "attacked": res.images(counts, limit)}
    out: dict[str, tuple[int, int]] = {}
    for job in _jobs(preset, workdir):
        basis = res.RULES.get(job["rule"], (None,))[0]
        log = workdir / job["log"]
        m = res.USAGE.search(log.read_text()) if log.is_file() else None
        if m and basis in images:
            rss = max(int(m[3]), out.get(job["rule"], (0, 0))[1])
            out[job["rule"]] = (images[basis], rss)
    return out


def _train_limit(root: Path, counts) -> int:
    """The attacked training images of the run: the train split of an attack's statistics."""
    import json

    for stats in sorted((root / "attacks").glob("*/*/train.json")):
        return int(json.loads(stats.read_text())["n"])
    return counts[0]


def _attempt(log: Path) -> int:
    """An attempt's number: 0 for ``smoke-PRESET.log``, N for ``smoke-PRESET.N.log``."""
    m = re.search(r"\.(\d+)\.log$", log.name)
    return int(m[1]) if m else 0


def attempts(preset: str, workdir: Path) -> list[Path]:
    """The Snakemake logs of the preset's run in ``workdir``, first attempt first:
    ``smoke-PRESET.log``, then each ``--resume``'s ``smoke-PRESET.N.log``."""
    first = smoke.log_path(workdir, preset)
    logs = [first] if first.is_file() else []
    logs += [p for p in first.parent.glob(f"smoke-{preset}.*.log") if _attempt(p)]
    return sorted(logs, key=_attempt)


def next_log(preset: str, workdir: Path) -> Path:
    """The log of the next ``--resume``: one past the highest attempt's number (never one
    that is there: an attempt's log lists the jobs it ran, which no later attempt runs)."""
    number = max(map(_attempt, attempts(preset, workdir)), default=0) + 1
    return smoke.log_path(workdir, preset).with_name(f"smoke-{preset}.{number}.log")


def _jobs(preset: str, workdir: Path) -> list[dict]:
    """Every attempt's jobs (a job rerun after an interruption logs to the same file)."""
    return [job for log in attempts(preset, workdir) for job in _resources().jobs(log)]


def finished(log: Path) -> bool:
    """Whether the Snakemake log ``log`` ends with every step done (or nothing left to do)."""
    text = log.read_text() if log.is_file() else ""
    return "steps (100%) done" in text or "Nothing to be done" in text


def next_step(preset: str, workdir: Path, resume: bool) -> str:
    """What ``run`` does in ``workdir``: "fresh" (empty it and run every job), "resume" (go
    on from an interrupted attempt) or "done" (``--resume`` and the last attempt finished)."""
    logs = attempts(preset, workdir)
    if not resume or not logs:
        return "fresh"
    return "done" if finished(logs[-1]) else "resume"


POLL_S = 30.0  # how often the run's log is read for its steps done


def follow(proc: subprocess.Popen, log: Path, label: str) -> int:
    """Wait for ``proc``, printing Snakemake's steps done in ``log`` whenever they change."""
    shown = None
    while True:
        code = proc.poll()
        found = smoke.STEPS.findall(log.read_text()) if log.is_file() else []
        if found and found[-1] != shown:
            shown = found[-1]
            print(f"{label}: {shown[0]} of {shown[1]} steps done", flush=True)
        if code is not None:
            return code
        time.sleep(POLL_S)


def run(preset: str, workdir: Path, times: int, cores: int, resume: bool) -> None:
    step = next_step(preset, workdir, resume)
    label = f"{preset} x{times}"
    if step == "done":
        print(f"{label}: {workdir} (finished before: taken as it is)", flush=True)
        return
    cmd = smoke.snakemake_command(preset, workdir, cores, *scaled_config(preset, times))
    if step == "fresh":
        if workdir.exists():
            print(f"{label}: emptying {workdir} (--resume goes on from a run there)", flush=True)
            shutil.rmtree(workdir)
        cmd.append("--forceall")  # every job runs and is measured
        log = smoke.log_path(workdir, preset)
    else:  # a killed run leaves Snakemake's lock behind
        unlock = subprocess.run([*cmd, "--unlock"], capture_output=True, text=True)
        if unlock.returncode:
            sys.exit(f"{label}: snakemake --unlock failed:\n{unlock.stderr[-2000:]}")
        cmd.append("--rerun-incomplete")
        log = next_log(preset, workdir)
        label += f" ({log.name}: its own steps)"
    smoke.make_fixtures(workdir, times)
    log.parent.mkdir(parents=True, exist_ok=True)
    print(f"{label}: {workdir} ({'resumed' if step == 'resume' else 'every job'})", flush=True)
    with open(log, "w") as fh:
        proc = subprocess.Popen(cmd, stdout=fh, stderr=subprocess.STDOUT)
        if follow(proc, log, label):
            sys.exit(f"{label} failed: see {log} (--resume goes on from there)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("presets", nargs="+")
    parser.add_argument("--times", type=int, default=8, help="the run's image factor")
    parser.add_argument("--cores", type=int, default=2)
    parser.add_argument("--workdir", type=Path, default=ROOT / "results" / "memory-fit")
    parser.add_argument(
        "--resume",
        action="store_true",
        help="go on from (or take) a run in --workdir; never while one still runs there",
    )
    args = parser.parse_args()
    for preset in args.presets:
        if why := fills_a_batch(preset, args.times):
            sys.exit(f"{preset}: {why}: its peaks would miss a batch's activations; raise --times")
    for preset in args.presets:  # each preset's rows written as soon as it is done
        size = load([smoke.PRESETS / f"{preset}.yaml"])["dataset"]["image_size"]
        workdir = args.workdir.resolve() / f"{preset}-{size}px-x{args.times}"
        run(preset, workdir, args.times, args.cores, args.resume)
        points = peaks(preset, workdir)
        if not points:
            sys.exit(f"{preset}: no rule measured in {workdir}")
        rows = []
        for rule, (images, rss) in sorted(points.items()):
            values = [preset, rule, size, args.times, images, rss]
            rows.append(dict(zip(FIELDS, values, strict=True)))
            print(f"{preset} {rule}: {rss} MB at {images} images ({size} px)", flush=True)
        _resources().merge_rows(OUT, rows)
        print(f"wrote {preset}'s rows to {OUT}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
