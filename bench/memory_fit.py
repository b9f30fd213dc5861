"""Each rule's peak memory as a line in its images, fitted from a preset's smoke at two counts.

For a preset whose data is an image folder (the ImageNet and ASSIRA presets, whose full size a
CPU smoke cannot reach), runs its smoke twice at the preset's own image size, with the
overlay's budget grids, steps and epochs: once at the overlay's image counts, and once with
``--times K`` as many stand-in images per class and K times the overlay's split counts and
``train_limit``. Per rule, the largest peak RSS of its jobs in each run (their logs' last line)
against the rule's images in that run (as ``bench/preset_resources.py`` counts them: every
image, or those the attacks see) gives two points, and the line through them ``base_mb +
mb_per_image * images``. A slope below zero (the two peaks within the allocator's noise) is
written as zero, with the larger peak as the base. Writes ``bench/memory_fit.csv`` (the rows
of the presets fitted now replace theirs), which ``bench/preset_resources.py`` reads for a
rule's ``mem_mb`` instead of its assumed float32 copies of the images.

    python bench/memory_fit.py [--times 4] [--cores 2] [--workdir DIR] PRESET [PRESET ...]
"""

from __future__ import annotations

import argparse
import functools
import importlib.util
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from advsal import smoke  # noqa: E402
from advsal.config import load  # noqa: E402
from advsal.data.base import dataset_folder  # noqa: E402
from advsal.plan import run_name  # noqa: E402
from advsal.stages.common import load_splits  # noqa: E402

OUT = ROOT / "bench" / "memory_fit.csv"
FIELDS = ["preset", "rule", "images_a", "rss_mb_a", "images_b", "rss_mb_b", "mb_per_image"]
FIELDS += ["base_mb"]


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
    """Snakemake ``--config`` for the run: the preset's image size, and ``times`` the overlay's
    split counts and ``train_limit`` (the overlay's own where ``times`` is 1). Only a preset
    whose images are a folder of stand-in files (whose count ``times`` scales) is taken."""
    full = load([smoke.PRESETS / f"{preset}.yaml"])
    if dataset_folder(full["dataset"]) is None:
        sys.exit(f"{preset}: its data is not an image folder; its smoke's images cannot be scaled")
    cut = load([smoke.PRESETS / f"{preset}.yaml", smoke.overlay_path(preset)])
    split = {k: v * times for k, v in cut["dataset"]["split"].items() if isinstance(v, int)}
    size = full["dataset"]["image_size"]
    split_text = ", ".join(f"{k}: {v}" for k, v in split.items())
    out = [f"dataset={{image_size: {size}, split: {{{split_text}}}}}"]
    limit = cut["attack_options"].get("train_limit")
    if limit:
        out.append(f"attack_options={{train_limit: {limit * times}}}")
    return ["--config", *out]


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
    for job in res.jobs(workdir / "logs" / f"smoke-{preset}.log"):
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


def fit(a: tuple[int, int], b: tuple[int, int]) -> tuple[float, float]:
    """(mb_per_image, base_mb) of the line through two (images, peak MB) points; a slope below
    zero is noise: zero, with the larger peak as the base."""
    (na, ra), (nb, rb) = a, b
    if nb == na:
        raise ValueError(f"both runs had {na} images: nothing to fit")
    slope = (rb - ra) / (nb - na)
    if slope < 0:
        return 0.0, float(max(ra, rb))
    return slope, ra - slope * na


def run(preset: str, workdir: Path, times: int, cores: int) -> None:
    workdir.mkdir(parents=True, exist_ok=True)
    smoke.make_fixtures(workdir, times)
    log = workdir / "logs" / f"smoke-{preset}.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    # every job runs and is measured, whatever an earlier run in this folder left
    extra = [*scaled_config(preset, times), "--forceall"]
    cmd = smoke.snakemake_command(preset, workdir, cores, *extra)
    print(f"{preset} x{times}: {workdir}", flush=True)
    with open(log, "w") as fh:
        if subprocess.run(cmd, stdout=fh, stderr=subprocess.STDOUT).returncode:
            sys.exit(f"{preset} x{times} failed: see {log}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("presets", nargs="+")
    parser.add_argument("--times", type=int, default=4, help="the second run's image factor")
    parser.add_argument("--cores", type=int, default=2)
    parser.add_argument("--workdir", type=Path, default=ROOT / "results" / "memory-fit")
    args = parser.parse_args()
    if args.times < 2:
        parser.error("--times must be 2 or more")
    for preset in args.presets:  # each preset's rows written as soon as it is done
        points = {}
        for times in (1, args.times):
            workdir = args.workdir.resolve() / f"{preset}-x{times}"
            run(preset, workdir, times, args.cores)
            points[times] = peaks(preset, workdir)
        if set(points[1]) != set(points[args.times]) or not points[1]:
            sys.exit(
                f"{preset}: the two runs measured other rules: {sorted(points[1])} and "
                f"{sorted(points[args.times])}"
            )
        rows = []
        for rule in sorted(points[1]):
            a, b = points[1][rule], points[args.times][rule]
            slope, base = fit(a, b)
            rows.append(
                dict(zip(FIELDS, [preset, rule, *a, *b, round(slope, 3), round(base)], strict=True))
            )
            print(
                f"{preset} {rule}: {a[1]} MB at {a[0]} images, {b[1]} MB at {b[0]}: "
                f"{base:.0f} + {slope:.2f} MB per image",
                flush=True,
            )
        _resources().merge_rows(OUT, rows)
        print(f"wrote {preset}'s rows to {OUT}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
