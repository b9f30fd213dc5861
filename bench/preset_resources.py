"""Each full preset's `mem_mb` and `runtime` per rule, estimated from its smoke run.

Reads the presets smoke's logs (``make presets-smoke``: every job's log ends with its exact
wall time, CPU time and peak RSS; the Snakemake log names each job's rule, log and wildcards)
and scales every job to the preset's sizes (``RULES`` says what drives each rule):

- time on one GPU: the job's CPU seconds less a job's start-up (the cheapest job's), times the
  ratio of the preset's images to the smoke's (all images, or those the attacks see: the
  training split cut to ``train_limit``; or the count a rule works on: test or SDP images),
  times the product of the preset/smoke ratios of the counts that multiply the job's work
  (its attack's steps, binary-search steps and JSMA's gamma, its training's epochs, sigma
  points), divided by ``GPU_SPEEDUP`` (one GPU against one CPU core; assumed, 25x, unless
  `make gpu-check` has written its measured speed-ups per rule family to
  ``bench/gpu_check.csv``; the SDPs and the data step stay on the CPU). A rule's ``runtime`` is
  ``MARGIN`` times its longest job, at least ``FLOOR_MIN`` minutes; a preset's total adds every
  job (seeds repeated).
- the smoke at the preset's image sizes and budget grids: an overlay's ``dataset.image_size``
  cut (VGG16 and ASSIRA's net run at 64 px in CI), its cut of the certified nets' pooled
  ``certified.side`` (an SDP's cost grows with about the cube of its side, 1 + hidden +
  side^2) and its cuts of the attacks' ``eps`` grids (to their two ends) are undone by
  ``python -m advsal.smoke --full-size``, and a smoke at another size or on part of a grid is
  refused (the jobs' time does not follow the pixels alone; the total counts every budget's
  jobs).
- memory: the rule's largest smoke peak RSS (the overlay's part-batches), or the larger of it
  and its peak where ``bench/memory_fit.py`` measured it with full batches at the preset's
  image size (``bench/memory_fit.csv``); plus ``COPIES`` float32 copies of the images the
  preset has beyond the run's (clean, adversarial, saliency, gradients: assumed); times
  ``MARGIN``.

With ``--on-gpu`` (a smoke run on a GPU) the jobs' wall times are scaled instead, with no
assumed speed-up. Writes ``bench/preset_resources.csv`` and, with ``--write``, each preset's
``resources`` section between the markers below (the rest of the file untouched). With
``--memory`` no smoke is read: the committed rows take their ``mem_mb`` from the full-batch
peaks where a rule has one, and keep their times (a smoke's CPU seconds follow the day's machine
speed, a peak's megabytes do not).

    python bench/preset_resources.py [--workdir results/presets-smoke] [--write] [preset ...]
    python bench/preset_resources.py --memory [--write] [preset ...]
"""

from __future__ import annotations

import argparse
import csv
import glob
import json
import math
import re
import sys
from collections import defaultdict
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from advsal import smoke  # noqa: E402
from advsal.config import load  # noqa: E402
from advsal.data.base import dataset_shape  # noqa: E402
from advsal.plan import run_name  # noqa: E402
from advsal.plan.paths import Paths  # noqa: E402
from advsal.stages.common import load_splits  # noqa: E402

COPIES = 4
MARGIN = 2.0
GPU_SPEEDUP = 25.0  # one GPU vs one CPU core on these convnets: assumed (see the docstring)
GPU_CHECK = ROOT / "bench" / "gpu_check.csv"  # `make gpu-check`'s measured speed-ups, per family
MEMORY_FIT = ROOT / "bench" / "memory_fit.csv"  # bench/memory_fit.py's full-batch peaks per rule
CPU_RULES = {"data", "certify"}  # no torch on a GPU: the data step and SCS's SDPs
FLOOR_MIN = 10
BEGIN = "# --- resources: estimated by bench/preset_resources.py from the presets smoke ---"
END = "# --- end of resources ---"
# train / val / test images of the data sets a user brings (the papers' counts)
FOLDER_SPLITS = {
    "imagenet10_metzen": (10_000, 2_848, 500),  # Metzen et al. footnote 4
    "imagenet10_zhang": (10_000, 3_035, 500),  # Zhang et al. Sec. 4.3
    "assira": (2_430, 270, 300),  # model_based_saliency2020 App. A: 3,000 images; the preset's cut
}
# every rule that takes its sizes from `resources` (workflow/rules: `**sized(...)`): what its
# images are ("data": every image of the data set; "attacked": those the attacks see, the
# training split cut to attack_options.train_limit; else the count that sets them), and the
# counts that multiply its work per image ({wildcard}: the job's own instance; a tuple of
# paths: the first the smoke overlay cuts, e.g. a detector's own epochs before
# detector_training's)
RULES = {
    "data": ("data", []),
    "train_classifier": ("data", [("classifiers", "{classifier}", "epochs")]),
    "attack": (  # JSMA's gamma caps its iterations (an image stops at its target: an upper bound)
        "attacked",
        [
            ("attacks", "{attack}", "steps"),
            ("attacks", "{attack}", "binary_search_steps"),
            ("attacks", "{attack}", "gamma"),
        ],
    ),
    "saliency_clean": ("attacked", []),
    "saliency_adv": ("attacked", []),
    "saliency_shift": ("attacked", []),
    "train_saliency": ("attacked", [("saliency", "{saliency}", "training", "epochs")]),
    "train_detector": (
        "attacked",
        [(("detectors", "{detector}", "epochs"), ("detector_training", "epochs"))],
    ),
    "evaluate_detector": ("attacked", []),
    "paired_table": ("attacked", []),
    "retrain_detector": (
        "attacked",
        [("attacks", "{attack}", "training", "epochs"), ("attacks", "{attack}", "steps")],
    ),
    "retraining_attack": (
        ("attacks", "{attack}", "test_limit"),
        [("attacks", "{attack}", "steps"), ("attacks", "{attack}", "sigma")],
    ),
    "depth_sweep": ("attacked", [("detector_training", "epochs")]),
    "layer_study": ("attacked", []),
    "train_certified": ("data", [("certified", "epochs")]),
    "attack_certified": (
        ("certified", "test_limit"),
        [("certified", "attack", "steps"), ("certified", "attack", "binary_search_steps")],
    ),
    "certify": (("certified", "sdp_limit"), []),  # the SDPs dominate
}
USAGE = re.compile(r"job usage: wall ([\d.]+) s, cpu ([\d.]+) s, peak rss (\d+) MB")
# a detector on a frozen network computes that network's output once per image set
# (advsal.training.on_frozen): that part scales with the images, not with the epochs
FROZEN = re.compile(r"frozen part: \d+ images once, cpu ([\d.]+) s")
EPOCH = re.compile(r"epoch \d+/\d+: .*\(training cpu ([\d.]+) s\)")  # advsal.training.fit


def jobs(log: Path) -> list[dict]:
    """Rule, job log and wildcards of every job in a Snakemake log."""
    out, job = [], None
    for line in log.read_text().splitlines():
        m = re.match(r"(?:local)?rule (\w+):", line)
        if m:
            job = {"rule": m.group(1), "wildcards": {}}
            out.append(job)
        elif job and (m := re.match(r"\s+log: (\S+)", line)):
            job["log"] = m.group(1).rstrip(",")
        elif job and (m := re.match(r"\s+wildcards: (.*)", line)):
            job["wildcards"] = dict(kv.split("=", 1) for kv in m.group(1).split(", "))
    return [j for j in out if "log" in j]


def split_counts(config: dict) -> tuple[int, int, int]:
    """The preset's train / val / test images (its split, or the paper's counts of a folder)."""
    split = config["dataset"]["split"]
    if all(isinstance(split.get(k), int) for k in ("train", "val", "test")):
        return split["train"], split["val"], split["test"]
    return FOLDER_SPLITS[config["dataset"].get("family", config["dataset"]["name"])]


def images(counts, train_limit=None) -> int:
    train, val, test = counts
    return min(train, train_limit or train) + val + test


def _get(config: dict, path: tuple):
    for key in path:
        if not isinstance(config, dict) or key not in config:
            return None
        config = config[key]
    return config


def _count(config: dict, path: tuple):
    """A count at ``path``, or the code's default where the config leaves it out
    (:func:`advsal.smoke.code_default`); a sigma grid counts its points."""
    value = _get(config, path)
    if value is None:
        value = smoke.code_default(config, path)
    if path[-1] == "sigma" and isinstance(value, list):
        return len(value)
    return value


def _ratio(full: dict, overlay: dict, paths, wildcards: dict, n_test: int) -> float:
    """The preset's count over the smoke's at the first of ``paths`` the overlay cuts."""
    for path in paths:
        path = tuple(p.format(**wildcards) for p in path)
        cut = _count(overlay, path) if _get(overlay, path) is not None else None
        if cut:
            value = _count(full, path)
            value = n_test if value is None and path[-1] == "test_limit" else value
            return (value or cut) / cut
    return 1.0


def scale(
    job: dict, full: dict, overlay: dict, ratios: dict, n_test: int, counts: bool = True
) -> float:
    """How much more work the job does at the preset's sizes than in the smoke run;
    ``ratios``: the image ratios of "data" and "attacked"; ``counts=False``: the images alone,
    not the counts that multiply the work per image (epochs, steps)."""
    images, multipliers = RULES[job["rule"]]
    wc = job["wildcards"]
    out = ratios[images] if images in ratios else _ratio(full, overlay, [images], wc, n_test)
    for paths in multipliers if counts else ():
        alternatives = paths if isinstance(paths[0], tuple) else (paths,)
        out *= _ratio(full, overlay, alternatives, wc, n_test)
    return out


def gpu_speedup(rule: str, measured: Path = GPU_CHECK) -> float:
    """One GPU against one CPU core for ``rule``: the family measured by `make gpu-check`
    (``bench/gpu_check.csv``, its ``rules`` column) where that file exists, else the assumed
    ``GPU_SPEEDUP``."""
    if measured.is_file():
        with open(measured, newline="") as fh:
            for row in csv.DictReader(fh):
                if rule in row["rules"].split():
                    return float(row["speedup"])
    return GPU_SPEEDUP


def memory_lines(preset: str, fitted: Path = MEMORY_FIT) -> dict[str, tuple[int, int]]:
    """Per rule of ``preset``: (its images, its peak MB) in ``bench/memory_fit.py``'s run with
    full batches at the preset's image size, where that run measured it."""
    if not fitted.is_file():
        return {}
    with open(fitted, newline="") as fh:
        return {
            r["rule"]: (int(r["images"]), int(r["rss_mb"]))
            for r in csv.DictReader(fh)
            if r["preset"] == preset
        }


def preset_images(full: dict) -> dict[str, int]:
    """The preset's images per basis of :data:`RULES`: every image ("data"), and those the
    attacks see ("attacked": the training split cut to ``train_limit``)."""
    counts = split_counts(full)
    limit = full["attack_options"]["train_limit"]
    return {"data": images(counts), "attacked": images(counts, limit)}


def image_mb(full: dict) -> float:
    """MB of one float32 copy of one of the preset's images."""
    return 4 * math.prod(dataset_shape(full["dataset"])) / 2**20


def refit_memory(rows: list[dict], fitted: Path = MEMORY_FIT) -> list[dict]:
    """``rows`` (``bench/preset_resources.csv``'s) with ``mem_mb`` from the full-batch peaks in
    ``fitted`` where a rule has one, and the preset's config: no smoke is read, so the rows'
    times (from a smoke on another day) stay as they were. Other rows unchanged but
    for ``mem_from`` ("smoke" where they had none)."""
    presets = {}  # per preset, read once: its full-batch peaks, its config
    out = []
    for row in rows:
        if row["preset"] not in presets:
            full = load([smoke.PRESETS / f"{row['preset']}.yaml"])
            presets[row["preset"]] = memory_lines(row["preset"], fitted), full
        lines, full = presets[row["preset"]]
        if row["rule"] in lines:
            rss = int(row.get("smoke_rss_mb_max") or 0)
            args = (lines, preset_images(full), image_mb(full), 0)
            mem_mb, mem_from = memory_mb(row["rule"], rss, *args)
            row = {**row, "mem_mb": mem_mb, "mem_from": mem_from}
        elif row.get("mem_from") == "full_batch":
            sys.exit(
                f"{row['preset']} {row['rule']}: its full-batch peak is gone from {fitted}; "
                "estimate it again from a smoke (bench/preset_resources.py without --memory)"
            )
        else:
            row = {**row, "mem_from": row.get("mem_from") or "smoke"}
        out.append(row)
    return out


def memory_mb(
    rule: str, rss: int, lines: dict, full_images: dict, image_mb: float, extra_mb: float
) -> tuple[int, str]:
    """A rule's ``mem_mb`` and where its peak came from: the larger of the full-batch run's
    peak (:func:`memory_lines`; "full_batch") and its smoke peak ``rss``, plus ``COPIES``
    float32 copies (``image_mb`` each) of the images the preset has beyond that run's
    (``full_images``: per image basis, as :data:`RULES` names it); else its smoke peak plus
    ``extra_mb`` of copies ("smoke"); times ``MARGIN``, rounded up to a thousand MB."""
    basis = RULES[rule][0]
    if rule in lines and basis in full_images:
        images, peak = lines[rule]
        extra = COPIES * image_mb * max(full_images[basis] - images, 0)
        peak, source = max(peak, rss) + extra, "full_batch"
    else:
        peak, source = rss + extra_mb, "smoke"
    return int(math.ceil(MARGIN * peak / 1000) * 1000), source


def other_sides(full: dict, root: Path) -> list[int]:
    """The sides the run at ``root`` pooled the certified nets' digits to (their metrics) that
    are not the preset's ``full``'s (a smoke with the overlay's cut): none where it has none."""
    if not full.get("certified"):
        return []
    nets = glob.glob(Paths(str(root)).net("*", "metrics.json"))
    sides = {json.loads(Path(p).read_text())["side"] for p in nets}
    return sorted(sides - {full["certified"]["side"]})


def estimate(preset: str, workdir: Path, on_gpu: bool = False) -> list[dict]:
    """Per rule of ``preset``: its smoke jobs' costliest CPU time and peak RSS, and the
    estimates. ``on_gpu``: the smoke ran on a GPU; its jobs' wall times are GPU times."""
    files = [smoke.PRESETS / f"{preset}.yaml", smoke.overlay_path(preset)]
    full, cut = load(files[:1]), load(files)
    overlay = yaml.safe_load(files[1].read_text())
    root = workdir / cut["results"] / run_name(cut)
    shape = dataset_shape(full["dataset"])
    splits = load_splits(Paths(str(root)).data)
    sizes = splits.y
    smoke_counts = tuple(len(sizes[k]) for k in ("train", "val", "test"))
    full_counts = split_counts(full)
    limits = (full["attack_options"]["train_limit"], cut["attack_options"]["train_limit"])
    ratios = {
        "data": images(full_counts) / images(smoke_counts),
        "attacked": images(full_counts, limits[0]) / images(smoke_counts, limits[1]),
    }
    n_extra = images(full_counts) - images(smoke_counts)
    smoke_shape = tuple(splits.x["test"].shape[1:])
    if smoke_shape != tuple(shape):  # CI's smoke runs VGG16 and ASSIRA's net at 64 px
        sys.exit(
            f"{preset}: the smoke ran on {smoke_shape} images, the preset takes {tuple(shape)}: "
            "a job's time does not follow the pixels alone (metzen_imagenet10's smoke at 112 px "
            "took 0.42x the CPU seconds at 224, not 0.25x); run "
            f"python -m advsal.smoke --full-size {preset}"
        )
    if other := other_sides(full, root):
        sys.exit(
            f"{preset}: the smoke pooled the certified nets' digits to side {other}, the preset "
            f"to {full['certified']['side']}: an SDP's cost does not follow the side linearly; "
            f"run python -m advsal.smoke --full-size {preset} in a fresh --workdir"
        )
    ran = jobs(smoke.log_path(workdir, preset))
    attacked = {
        (j["wildcards"]["attack"], float(j["wildcards"]["eps"]))
        for j in ran
        if j["rule"] == "attack" and j["wildcards"].get("eps", "none") != "none"
    }
    part = sorted(  # an attack run at some of the preset's budgets, not all (the overlay's cut)
        {name for name, _ in attacked}
        & {
            name
            for name, spec in full["attacks"].items()
            if any((name, float(e)) not in attacked for e in spec.get("eps") or [])
        }
    )
    if part:
        sys.exit(
            f"{preset}: the smoke ran {', '.join(part)} on part of the preset's budget grid "
            "(its overlay's cut): the preset's total counts every budget's jobs; run "
            f"python -m advsal.smoke --full-size {preset} in a fresh --workdir"
        )
    measured = []
    for job in ran:
        log = workdir / job["log"]
        text = log.read_text() if log.is_file() else ""
        m = USAGE.search(text)
        if m and job["rule"] in RULES:
            frozen = sum(float(f) for f in FROZEN.findall(text))
            epochs = sum(float(e) for e in EPOCH.findall(text))
            measured.append((job, float(m[1] if on_gpu else m[2]), int(m[3]), frozen, epochs))
    # a job's start-up (Python, torch, the data file): the cheapest job's CPU time, not scaled
    startup = min((m[1] for m in measured), default=0.0)
    copy_mb = image_mb(full)
    extra_mb = COPIES * copy_mb * max(n_extra, 0)
    lines = memory_lines(preset)
    full_images = preset_images(full)
    per_rule: dict[str, list] = defaultdict(list)
    for job, cpu, rss, frozen, epochs in measured:
        ratio = scale(job, full, overlay, ratios, full_counts[2])
        speedup = 1.0 if job["rule"] in CPU_RULES or on_gpu else gpu_speedup(job["rule"])
        if frozen:  # the frozen part and the rest per image once, the epochs' training per epoch
            per_image = scale(job, full, overlay, ratios, full_counts[2], counts=False)
            once = max(cpu - startup - epochs, frozen)
            scaled = (epochs * ratio + once * per_image) / speedup / 60
        else:
            scaled = max(cpu - startup, 0.0) * ratio / speedup / 60
        # a job repeated per seed: the preset's seeds over the smoke's, for the total
        seeds = [("attacks", "{attack}", "seeds")] if "seed" in job["wildcards"] else []
        repeats = _ratio(full, overlay, seeds, job["wildcards"], full_counts[2])
        per_rule[job["rule"]].append((cpu, rss, scaled, scaled * repeats))
    rows = []
    for rule, usage in sorted(per_rule.items()):
        rss = max(u[1] for u in usage)
        mem_mb, mem_from = memory_mb(rule, rss, lines, full_images, copy_mb, extra_mb)
        longest = max(u[2] for u in usage)
        rows.append(
            {
                "preset": preset,
                "rule": rule,
                "jobs": len(usage),
                "smoke_cpu_s_max": round(max(u[0] for u in usage), 1),
                "smoke_rss_mb_max": rss,
                "image_ratio": round(ratios[RULES[rule][0]], 1)
                if RULES[rule][0] in ratios
                else None,
                "gpu_min_longest": round(longest, 1),
                "gpu_min_total": round(sum(u[3] for u in usage), 1),
                "mem_mb": mem_mb,
                "mem_from": mem_from,
                "runtime_min": int(max(FLOOR_MIN, math.ceil(MARGIN * longest))),
            }
        )
    return rows


def write_block(preset: str, rows: list[dict], threads: int) -> None:
    """The preset's ``resources`` section, between the markers (replaced when present)."""
    path = smoke.PRESETS / f"{preset}.yaml"
    text = path.read_text()
    outside = text[: text.index(BEGIN)] if BEGIN in text else text
    if re.search(r"^resources:", outside, re.M):
        raise SystemExit(f"{path}: move its resources section into the markers first")
    lines = [BEGIN, "resources:", f"  threads: {threads}", "  rules:"]
    for r in rows:
        lines.append(f"    {r['rule']}: {{mem_mb: {r['mem_mb']}, runtime: {r['runtime_min']}}}")
    block = "\n".join(lines + [END]) + "\n"
    if BEGIN in text:
        text = text[: text.index(BEGIN)] + block + text[text.index(END) + len(END) + 1 :]
    else:
        text = text.rstrip("\n") + "\n\n" + block
    path.write_text(text)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workdir", type=Path, default=ROOT / "results" / "presets-smoke")
    parser.add_argument("--write", action="store_true", help="write each preset's block")
    parser.add_argument(
        "--on-gpu", action="store_true", help="the smoke ran on a GPU: scale its wall times"
    )
    parser.add_argument(
        "--memory",
        action="store_true",
        help="only mem_mb: the committed rows' from bench/memory_fit.csv's peaks, times kept",
    )
    parser.add_argument("presets", nargs="*")
    args = parser.parse_args()
    if args.memory:
        return memory_only(args.presets or smoke.presets(), args.write)
    all_rows = []
    for preset in args.presets or smoke.presets():
        rows = estimate(preset, args.workdir.resolve(), args.on_gpu)
        all_rows += rows
        hours = sum(r["gpu_min_total"] for r in rows) / 60
        print(f"{preset}: {len(rows)} rules, ~{hours:.1f} GPU hours (estimated)")
        if args.write:
            write_block(
                preset, rows, load([smoke.PRESETS / f"{preset}.yaml"])["resources"]["threads"]
            )
    merge_rows(ROOT / "bench" / "preset_resources.csv", all_rows)
    return 0


def memory_only(
    presets: list[str],
    write: bool,
    out: Path = ROOT / "bench" / "preset_resources.csv",
    fitted: Path = MEMORY_FIT,
) -> int:
    """``--memory``: the committed rows of ``presets`` (in ``out``) with their memory from the
    full-batch peaks in ``fitted`` (:func:`refit_memory`), written back to ``out`` (and each
    preset's block with ``write``)."""
    with open(out, newline="") as fh:
        rows = [r for r in csv.DictReader(fh) if r["preset"] in presets]
    rows = refit_memory(rows, fitted)
    for preset in presets:
        mine = [r for r in rows if r["preset"] == preset]
        fit = sum(r["mem_from"] == "full_batch" for r in mine)
        print(f"{preset}: {fit} of {len(mine)} rules' mem_mb from full-batch peaks")
        if write and mine:
            write_block(
                preset, mine, load([smoke.PRESETS / f"{preset}.yaml"])["resources"]["threads"]
            )
    merge_rows(out, rows)
    return 0


def merge_rows(out: Path, rows: list[dict]) -> None:
    """Write ``rows`` to the CSV ``out``: the presets in ``rows`` replace their rows, the others'
    rows stay as they were; sorted by preset and rule."""
    done = {r["preset"] for r in rows}
    # the new rows' columns in their order, then any an older row has that they lack
    fields = list(dict.fromkeys(k for r in rows for k in r))
    if out.exists():
        with open(out, newline="") as fh:
            rows = rows + [r for r in csv.DictReader(fh) if r["preset"] not in done]
    fields += [k for k in dict.fromkeys(k for r in rows for k in r) if k not in fields]
    rows.sort(key=lambda r: (r["preset"], r["rule"]))
    with open(out, "w", newline="") as fh:
        writer = csv.DictWriter(fh, fields, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


if __name__ == "__main__":
    sys.exit(main())
