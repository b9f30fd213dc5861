"""Each rule's peak memory as a line in its images, fitted from a preset's smoke runs.

For a preset whose data is an image folder (the ImageNet and ASSIRA presets, whose full size a
CPU smoke cannot reach), runs its smoke (the overlay's budget grids, steps and epochs) at
``--times A B`` times the overlay's image counts (as many stand-in images per class, and the
overlay's split counts and ``train_limit`` times each). Per rule, the largest peak RSS of its
jobs in a run (their logs' last line) is taken against the rule's images in that run (as
``bench/preset_resources.py`` counts them: every image, or those the attacks see):

- the slope, MB per image: from two runs at ``--small`` px (64, CI's smoke size) at A and B
  times the images, scaled by the preset's pixels over the small runs' (what a job holds per
  image, image tensors and a convnet's feature maps, grows with the pixels); at the preset's
  own size the two runs would take hours of a CPU (VGG16 at 224 px: ~55 minutes at A = 8);
- the base: the peak of one run at the preset's own size at A times the images, less the
  slope times its images. It holds the model, the libraries and a full batch's activations:
  A must make the attacks' training images fill ``attack_options.batch_size`` (the overlay's
  own counts, A = 1, attack 4 ImageNet images, not a batch of 32; a run on part of a batch
  holds less of a batch's activations, which a line would read as the images' memory).

A rule with a job whose attack works only on the images the network classifies right
(``Attack.correct_only``: DeepFool) is not fitted: the smoke's untrained network gets about one
stand-in image in ten right, so its batches hold a tenth of a trained network's (at 224 px one
such image raised a DeepFool job's peak by 1.2 GB); its ``mem_mb`` stays the assumed copies.
A slope below zero (the two peaks within the allocator's noise) is written as zero, the base
then the full-size peak. Writes ``bench/memory_fit.csv`` (the rows of the presets fitted now
replace theirs), which ``bench/preset_resources.py`` reads for a rule's ``mem_mb`` instead of
its assumed float32 copies of the images. ``--reuse``: take a run that finished in
``--workdir`` (its log's last step done) instead of running it again.

    python bench/memory_fit.py [--times 8 24] [--small 64] [--reuse] PRESET [PRESET ...]
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
FIELDS = ["preset", "rule", "px", "images", "rss_mb", "small_px", "images_a", "rss_mb_a"]
FIELDS += ["images_b", "rss_mb_b", "mb_per_image", "base_mb"]


@functools.cache
def _resources():
    """bench/preset_resources.py, loaded once (its job and usage parsing, its image counts)."""
    spec = importlib.util.spec_from_file_location(
        "preset_resources", ROOT / "bench" / "preset_resources.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def scaled_config(preset: str, times: int, size: int | None = None) -> list[str]:
    """Snakemake ``--config`` for the run: ``size`` px (the preset's image size where None),
    and ``times`` the overlay's split counts and ``train_limit`` (the overlay's own where
    ``times`` is 1). Only a preset whose images are a folder of stand-in files (whose count
    ``times`` scales) is taken."""
    full = load([smoke.PRESETS / f"{preset}.yaml"])
    if dataset_folder(full["dataset"]) is None:
        sys.exit(f"{preset}: its data is not an image folder; its smoke's images cannot be scaled")
    cut = load([smoke.PRESETS / f"{preset}.yaml", smoke.overlay_path(preset)])
    split = {k: v * times for k, v in cut["dataset"]["split"].items() if isinstance(v, int)}
    size = size or full["dataset"]["image_size"]
    split_text = ", ".join(f"{k}: {v}" for k, v in split.items())
    out = [f"dataset={{image_size: {size}, split: {{{split_text}}}}}"]
    limit = cut["attack_options"].get("train_limit")
    if limit:
        out.append(f"attack_options={{train_limit: {limit * times}}}")
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
    for job in res.jobs(workdir / "logs" / f"smoke-{preset}.log"):
        basis = res.RULES.get(job["rule"], (None,))[0]
        log = workdir / job["log"]
        m = res.USAGE.search(log.read_text()) if log.is_file() else None
        if m and basis in images:
            rss = max(int(m[3]), out.get(job["rule"], (0, 0))[1])
            out[job["rule"]] = (images[basis], rss)
    return out


def accuracy_bound(preset: str, workdir: Path) -> dict[str, str]:
    """Rules of the run in ``workdir`` with a job whose attack works only on the images the
    network classifies right (``Attack.correct_only``: DeepFool), each with the attacks: their
    batches hold as many images as the smoke's untrained network gets right (about one in
    ten), a trained network's nearly all, so no count of stand-in images fits their memory."""
    from advsal.attacks import ATTACKS

    config = load([smoke.PRESETS / f"{preset}.yaml", smoke.overlay_path(preset)])
    res = _resources()
    steps = ("attacks", "{attack}", "steps")
    runs_it = {rule for rule, (_, counts) in res.RULES.items() if steps in counts}
    out: dict[str, set] = {}
    for job in res.jobs(workdir / "logs" / f"smoke-{preset}.log"):
        # the rules that run the job's attack: their work grows with its steps
        name = job["wildcards"].get("attack") if job["rule"] in runs_it else None
        spec = config["attacks"].get(name) if name else None
        if spec is not None and ATTACKS.get(spec.get("type", name)).correct_only:
            out.setdefault(job["rule"], set()).add(name)
    return {rule: ", ".join(sorted(names)) for rule, names in out.items()}


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


def line(full: tuple[int, int], small_a, small_b, pixel_ratio: float) -> tuple[float, float]:
    """(mb_per_image, base_mb) at the preset's size: the small runs' slope times
    ``pixel_ratio``, through the full-size run's (images, peak MB) point."""
    slope = fit(small_a, small_b)[0] * pixel_ratio
    return slope, full[1] - slope * full[0]


def finished(log: Path) -> bool:
    """Whether the Snakemake log ``log`` ends with every step done."""
    return log.is_file() and "steps (100%) done" in log.read_text()


def run(preset: str, workdir: Path, times: int, cores: int, size: int, reuse: bool) -> None:
    log = workdir / "logs" / f"smoke-{preset}.log"
    if reuse and finished(log):
        print(f"{preset} {size} px x{times}: {workdir} (reused)", flush=True)
        return
    workdir.mkdir(parents=True, exist_ok=True)
    smoke.make_fixtures(workdir, times)
    log.parent.mkdir(parents=True, exist_ok=True)
    # every job runs and is measured, whatever an earlier run in this folder left
    extra = [*scaled_config(preset, times, size), "--forceall"]
    cmd = smoke.snakemake_command(preset, workdir, cores, *extra)
    print(f"{preset} {size} px x{times}: {workdir}", flush=True)
    with open(log, "w") as fh:
        if subprocess.run(cmd, stdout=fh, stderr=subprocess.STDOUT).returncode:
            sys.exit(f"{preset} {size} px x{times} failed: see {log}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("presets", nargs="+")
    parser.add_argument(
        "--times", type=int, nargs=2, default=[8, 24], help="the two runs' image factors"
    )
    parser.add_argument("--small", type=int, default=64, help="the slope runs' image size (px)")
    parser.add_argument("--cores", type=int, default=2)
    parser.add_argument("--workdir", type=Path, default=ROOT / "results" / "memory-fit")
    parser.add_argument("--reuse", action="store_true", help="take finished runs in --workdir")
    args = parser.parse_args()
    low, high = args.times
    if not 1 <= low < high:
        parser.error("--times takes two factors, the first smaller: e.g. 8 24")
    for preset in args.presets:
        if why := fills_a_batch(preset, low):
            sys.exit(f"{preset}: {why}: the line would fit the batch's growth; raise --times")
    for preset in args.presets:  # each preset's rows written as soon as it is done
        size = load([smoke.PRESETS / f"{preset}.yaml"])["dataset"]["image_size"]
        points = {}
        for px, times in ((args.small, low), (args.small, high), (size, low)):
            workdir = args.workdir.resolve() / f"{preset}-{px}px-x{times}"
            run(preset, workdir, times, args.cores, px, args.reuse)
            points[px, times] = peaks(preset, workdir)
        rules = [sorted(p) for p in points.values()]
        if any(r != rules[0] for r in rules) or not rules[0]:
            sys.exit(f"{preset}: the runs measured other rules: {rules}")
        rows = []
        for rule, names in accuracy_bound(preset, workdir).items():
            if rule in rules[0]:
                rules[0].remove(rule)  # its mem_mb stays the assumed copies
                print(f"{preset} {rule}: not fitted ({names} work on what the network gets right)")
        for rule in rules[0]:
            full, a, b = (
                points[k][rule] for k in ((size, low), (args.small, low), (args.small, high))
            )
            slope, base = line(full, a, b, (size / args.small) ** 2)
            values = [preset, rule, size, *full, args.small, *a, *b, round(slope, 3), round(base)]
            rows.append(dict(zip(FIELDS, values, strict=True)))
            print(
                f"{preset} {rule}: {full[1]} MB at {full[0]} images ({size} px); at {args.small} "
                f"px {a[1]} MB at {a[0]}, {b[1]} at {b[0]}: {base:.0f} + {slope:.2f} MB per image",
                flush=True,
            )
        _resources().merge_rows(OUT, rows)
        print(f"wrote {preset}'s rows to {OUT}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
