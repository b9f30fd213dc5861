"""The presets smoke: every paper preset's whole DAG, end to end, on stand-in data of its own
shape (``make presets-smoke``; config/README.md, "Presets").

Each preset ``config/<name>.yaml`` has an overlay ``config/smoke/<name>.yaml`` that cuts only
sizes (images per split, epochs, steps, seeds, budget and sigma grids, test and SDP images,
JSMA's share of changed pixels, image sizes and the certified nets' pooled side;
:func:`check_overlay` holds it to that). The runs share one work directory whose ``data/`` holds
the stand-ins (:mod:`advsal.data.fixtures`) where the presets look for their data, so the
presets' own paths and the real loaders run. Each preset writes ``results/<run>/`` there; the
summary (wall time, jobs, tables, figures, comparison rows) goes to ``presets-smoke.csv``.

    python -m advsal.smoke [--cores 2] [--parallel 1] [--workdir results/presets-smoke] [preset ...]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from advsal.data import fixtures

ROOT = Path(__file__).resolve().parents[2]
PRESETS = ROOT / "config"
OVERLAYS = PRESETS / "smoke"
NOT_PRESETS = {"tiny"}  # configs of their own (tests/test_pipeline.py runs tiny whole)
FIXTURES_VERSION = "1"
# the stand-in image folders: folder under data/, class list, image size, images per class
FOLDERS = (
    ("imagenet10", fixtures.IMAGENET10_METZEN, 224, {"train": 2, "test": 1}),
    ("imagenet10_zhang", fixtures.IMAGENET10_ZHANG, 224, {"train": 2, "test": 1}),
    ("assira", fixtures.ASSIRA, 112, {"": 16}),
)

# the overlay keys that set a size (a count of images, epochs, steps, seeds or grid points; an
# image side; JSMA's iteration budget)
SIZE_KEYS = {
    "train",
    "val",
    "test",
    "image_size",
    "epochs",
    "steps",
    "binary_search_steps",
    "seeds",
    "test_limit",
    "train_limit",
    "sdp_limit",
    "tighten_steps",
    "n_examples",
    "rounds",
}
# the size keys that are sizes only in one section (a classifier's learning-rate gamma is none)
SIZE_SECTIONS = {
    "side": "certified",  # the certified nets' pooled digits (the SDP is 1 + hidden + side^2)
    "gamma": "attacks",  # JSMA's largest share of pixels changed: its iterations, f gamma / 2
}
SIZE_KEYS |= SIZE_SECTIONS.keys()
# the overlay keys that set a grid: a cut keeps some of the preset's points (at least one)
GRID_KEYS = {"eps", "sigma"}
# the counts of images, whose absence (or null) means all of them
IMAGE_KEYS = {"train", "val", "test", "train_limit", "test_limit"}
# keys an overlay may set that are no size: how the stand-in data is read
OTHER_KEYS = {("dataset", "verify")}


def presets() -> list[str]:
    return sorted(p.stem for p in PRESETS.glob("*.yaml") if p.stem not in NOT_PRESETS)


def overlay_path(preset: str) -> Path:
    return OVERLAYS / f"{preset}.yaml"


SIGMA_GRID = [i / 10 for i in range(11)]  # the dynamic adversary's default sigma grid


def code_default(preset: dict, path: tuple):
    """The value the code takes for a count ``preset`` leaves out: an attack's constructor
    default (its sigma grid, for the dynamic adversary), else None (unknown)."""
    import inspect

    from advsal.attacks import ATTACKS

    if len(path) == 3 and path[0] == "attacks":
        if path[2] == "sigma":
            return SIGMA_GRID
        spec = preset["attacks"].get(path[1]) or {}
        cls = ATTACKS.get(spec.get("type", path[1]))
        param = inspect.signature(cls).parameters.get(path[2])
        if param is not None and param.default is not inspect.Parameter.empty:
            return param.default
    return None


def check_overlay(preset: dict, overlay: dict) -> None:
    """Raise ValueError unless every leaf of ``overlay`` cuts a size of ``preset`` (the preset
    with its schema defaults): a count no larger than the preset's (or the code's default
    where the preset leaves it out), or a grid that is a subset of it. Nothing else may
    change; an image count the preset leaves out or sets to null (all images) may be cut to
    any number."""

    def walk(full, cut, where):
        for key, value in cut.items():
            path = (*where, key)
            name = ".".join(map(str, path))
            if path in OTHER_KEYS:
                continue
            if isinstance(value, dict):
                if key not in full and key not in SIZE_KEYS:
                    raise ValueError(f"{name}: not in the preset (an overlay only cuts sizes)")
                sub = full.get(key)
                walk(sub if isinstance(sub, dict) else {}, value, path)
                continue
            if key not in SIZE_KEYS | GRID_KEYS or SIZE_SECTIONS.get(key, path[0]) != path[0]:
                raise ValueError(f"{name}: not a size (an overlay only cuts sizes)")
            old = full[key] if key in full else code_default(preset, path)
            grid = isinstance(old, list) and isinstance(value, list) and value
            if key in GRID_KEYS and not grid:
                raise ValueError(f"{name}: {value!r} is no cut of the preset's grid {old!r}")
            if old is None and key in IMAGE_KEYS:
                continue  # all images: any count is a cut
            if old is None:
                raise ValueError(f"{name}: no count to cut (neither the preset nor the code)")
            if isinstance(old, list) != isinstance(value, list):
                raise ValueError(f"{name}: {value!r} is not of the preset's kind ({old!r})")
            if isinstance(old, list):
                if not set(value) <= set(old):
                    raise ValueError(f"{name}: {value} is not a subset of the preset's {old}")
            elif value is None or value > old:
                raise ValueError(f"{name}: {value} is no cut of the preset's {old}")

    walk(preset, overlay, ())


def overlay_checked(preset: str) -> None:
    """Check ``preset``'s overlay against it (:func:`check_overlay`); one line if not."""
    from advsal import yamlload
    from advsal.config import load

    overlay = yamlload.safe_load(overlay_path(preset).read_text()) or {}
    try:
        check_overlay(load([PRESETS / f"{preset}.yaml"]), overlay)
    except ValueError as exc:
        raise SystemExit(f"{overlay_path(preset)}: {exc}") from None


def make_fixtures(workdir: Path, times: int = 1) -> Path:
    """The stand-in data under ``workdir/data`` (once: a stamp records the version); ``times``:
    that many times the images per class in the image folders (``bench/memory_fit.py``'s run
    with full batches)."""
    data = Path(workdir) / "data"
    stamp = data / ".advsal-fixtures"
    version = FIXTURES_VERSION if times == 1 else f"{FIXTURES_VERSION} x{times}"
    if stamp.is_file() and stamp.read_text() == version:
        return data
    t0 = time.time()
    fixtures.write_mnist(data, n_train=3000, n_test=1000)
    fixtures.write_cifar10(data, per_batch=100, n_test=200)
    for folder, classes, size, per_class in FOLDERS:
        per_class = {part: n * times for part, n in per_class.items()}
        shutil.rmtree(data / folder, ignore_errors=True)  # no images of another count left
        fixtures.write_imagefolder(data / folder, classes, size, per_class)
    fixtures.write_vgg16_weights(data / "vgg16.pth")
    stamp.write_text(version)
    print(f"stand-in data written to {data} in {time.time() - t0:.0f} s", flush=True)
    return data


def full_size(preset: str) -> list[str]:
    """Snakemake's ``--config`` undoing the overlay's cuts of the image sizes (the data's and
    the certified nets' pooled side) and of the budget grids (the preset's own), or nothing
    where the overlay keeps them all: for a smoke that ``bench/preset_resources.py`` scales
    (its jobs are the preset's jobs, at the preset's pixels)."""
    from advsal import yamlload
    from advsal.config import load

    overlay = yamlload.safe_load(overlay_path(preset).read_text()) or {}
    full = load([PRESETS / f"{preset}.yaml"])  # with the schema's defaults
    out = []
    for section, key in (("dataset", "image_size"), ("certified", "side")):
        if key in (overlay.get(section) or {}):
            out.append(f"{section}={{{key}: {full[section][key]}}}")
    grids = {
        name: full["attacks"][name]["eps"]
        for name, spec in (overlay.get("attacks") or {}).items()
        if "eps" in (spec or {})
    }
    if grids:
        out.append("attacks=" + json.dumps({k: {"eps": v} for k, v in grids.items()}))
    return ["--config", *out] if out else []


def alone(preset: str) -> list[str]:
    """The rules whose jobs the smoke runs one at a time (a resource ``alone`` of 1): those asking
    more than twice the preset's median ``mem_mb`` (its rules' asks, the unlisted ones' shared
    default among them). The asks are the full preset's, far above most of the smoke's jobs (at
    most ~3.6 GB), but an outlier stays one: ``nguyen2018_mnist``'s SDP jobs ask 20,000 MB
    against 4,000 and take ~9,000 each at the preset's 14 x 14 (``--full-size``), too much to
    run two side by side (at the overlay's 7 x 7, 700 each, they still run one at a time)."""
    from advsal.config import load

    res = load([PRESETS / f"{preset}.yaml", overlay_path(preset)])["resources"]
    asks = [res["mem_mb"], *(r["mem_mb"] for r in res["rules"].values() if "mem_mb" in r)]
    most = 2 * statistics.median(asks)
    return sorted(rule for rule, own in res["rules"].items() if own.get("mem_mb", 0) > most)


def snakemake_command(preset: str, workdir: Path, cores: int, *extra: str) -> list[str]:
    from advsal.gpus import host_gpu_count

    cmd = [sys.executable, "-m", "snakemake", "--cores", str(cores)]
    cmd += ["--configfile", str(PRESETS / f"{preset}.yaml"), str(overlay_path(preset))]
    cmd += ["--directory", str(workdir), "--snakefile", str(ROOT / "Snakefile")]
    single = alone(preset)
    if single:  # their threads stay as they are (certify: 1; 2 ran 10x slower)
        cmd += ["--set-resources", *(f"{rule}:alone=1" for rule in single)]
    limits = ["alone=1"] if single else []
    limits += [f"gpu={2 * host_gpu_count()}"] if host_gpu_count() else []
    if limits:
        cmd += ["--resources", *limits]
    return cmd + list(extra)


def summarise(preset: str, workdir: Path) -> dict:
    """What the preset's run wrote: tables, figures and the comparison's rows."""
    from advsal.config import load
    from advsal.plan import run_name

    config = load([PRESETS / f"{preset}.yaml", overlay_path(preset)])
    root = Path(workdir) / config["results"] / run_name(config)
    with open(root / "paper_comparison.csv") as fh:
        rows = list(csv.DictReader(fh))
    verdicts = [r["verdict"] for r in rows]
    return {
        "run": run_name(config),
        "tables": len(list((root / "tables").glob("*.csv"))),
        "figures": len([p for p in (root / "figures").glob("*") if p.is_file()]),
        "comparison_rows": len(rows),
        "like_for_like": sum(v in ("holds", "fails") for v in verdicts),
        "not_run": verdicts.count("not run"),
    }


STEPS = re.compile(r"(\d+) of (\d+) steps")  # Snakemake's progress lines: done, of all


def log_path(workdir: Path, preset: str) -> Path:
    """Where a preset's run in ``workdir`` writes Snakemake's output."""
    return Path(workdir) / "logs" / f"smoke-{preset}.log"


def run(preset: str, workdir: Path, cores: int, *extra: str) -> dict:
    """One preset's whole DAG; its Snakemake output goes to :func:`log_path`."""
    log = log_path(workdir, preset)
    log.parent.mkdir(parents=True, exist_ok=True)
    t0 = time.time()
    with open(log, "w") as fh:
        proc = subprocess.run(
            snakemake_command(preset, workdir, cores, *extra),
            stdout=fh,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
    wall = time.time() - t0
    text = log.read_text()
    done = STEPS.findall(text)
    row = {"preset": preset, "ok": proc.returncode == 0, "wall_s": round(wall, 1)}
    row["jobs"] = int(done[-1][0]) if done else 0
    if proc.returncode == 0:
        row.update(summarise(preset, workdir))
    else:
        print(text[-4000:], file=sys.stderr)
    row["log"] = str(log)
    return row


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("presets", nargs="*", help="default: every preset")
    parser.add_argument("--cores", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--workdir", type=Path, default=ROOT / "results" / "presets-smoke")
    parser.add_argument("--keep-going", action="store_true", help="run the rest after a failure")
    parser.add_argument(
        "--parallel",
        type=int,
        default=1,
        help="presets run at once, each with --cores (a preset's DAG leaves cores idle at its "
        "narrow steps; the presets' wall times then overlap)",
    )
    parser.add_argument(
        "--full-size",
        action="store_true",
        help="the presets' own image sizes (and certified side) and budget grids where an "
        "overlay cuts them (for bench/preset_resources.py)",
    )
    return parser


def write_summary(rows: list[dict], workdir: Path) -> Path:
    out = workdir / "presets-smoke.csv"
    fields = ["preset", "ok", "wall_s", "jobs", "run", "tables", "figures", "comparison_rows"]
    fields += ["like_for_like", "not_run"]
    with open(out, "w", newline="") as fh:
        writer = csv.DictWriter(fh, fields, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    return out


def main(argv=None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    names = list(dict.fromkeys(args.presets or presets()))  # each once: they share a directory
    if args.parallel < 1:
        parser.error(f"--parallel takes 1 or more, not {args.parallel}")
    unknown = [n for n in names if n not in presets()]
    if unknown:
        parser.error(f"no preset {', '.join(unknown)} (have: {', '.join(presets())})")
    for name in names:
        overlay_checked(name)
    workdir = args.workdir.resolve()
    make_fixtures(workdir)
    extra = {name: full_size(name) if args.full_size else [] for name in names}
    rows, failed, said = {}, threading.Event(), threading.Lock()

    def say(line: str) -> None:
        with said:  # one whole line at a time from the presets running at once
            print(line, flush=True)

    def one(name: str) -> None:
        if failed.is_set():  # an earlier preset failed: the rest are not started
            return
        say(f"== {name}")
        try:
            row = run(name, workdir, args.cores, *extra[name])
        except Exception as exc:  # e.g. a run that ends without its comparison file
            row = {"preset": name, "ok": False, "wall_s": 0.0, "jobs": 0, "error": repr(exc)}
        rows[name] = row
        say(f"   {name}: " + ", ".join(f"{k} {v}" for k, v in row.items() if k != "preset"))
        if not row["ok"] and not args.keep_going:
            failed.set()

    with ThreadPoolExecutor(args.parallel) as pool:
        list(pool.map(one, names))
    rows = [rows[n] for n in names if n in rows]
    print(f"summary: {write_summary(rows, workdir)}")
    return 0 if all(r["ok"] for r in rows) and len(rows) == len(names) else 1


if __name__ == "__main__":
    sys.exit(main())
