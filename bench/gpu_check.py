"""`make gpu-check`: what a GPU host does with advsal, measured, in at most ~8 minutes.

1. The tiny config's whole DAG with ``--resources gpu=2G`` (``JOBS_PER_GPU=2`` on G GPUs), then
   from the job logs (each opens with its device and a timestamp and ends with its usage line)
   the most jobs any GPU held at once, which must not pass its slots.
2. One workload per torch rule family (classifier training steps, an attack's steps, detector
   training steps, a saliency batch, VGG16 at 224 x 224) on the GPU and on one CPU core: the
   speed-up per family and the GPU's peak memory, written to ``bench/gpu_check.csv``, which
   ``bench/preset_resources.py`` reads instead of its assumed 25x.

On a host without a GPU it says so in one line and exits 0.

    python bench/gpu_check.py [--skip-dag] [--out bench/gpu_check.csv]
"""

from __future__ import annotations

import argparse
import csv
import math
import re
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "gpu_check.csv"
STAMP = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}) ")
DEVICE = re.compile(r"INFO device (cuda(?::(\d+))?|cpu),")
# the rules each measured family stands for (bench/preset_resources.py scales them by it)
FAMILIES = {
    "train": ("train_classifier", "train_certified", "train_saliency"),
    "attack": ("attack", "retraining_attack", "attack_certified"),
    "detector": (
        "train_detector",
        "train_detector_seeded",
        "retrain_detector",
        "evaluate_detector",
        "depth_sweep",
        "paired_table",
    ),
    "saliency": ("saliency_clean", "saliency_adv", "saliency_shift", "layer_study"),
}


def job_intervals(log_dir: Path) -> list[tuple[str, float, float]]:
    """(device, start, end) of every job log under ``log_dir`` that names its device: from
    its first line's timestamp to its last's (the job's usage line)."""
    out = []
    for path in sorted(Path(log_dir).rglob("*.log")):
        lines = path.read_text(errors="replace").splitlines()
        stamps = [m.group(1) for line in lines if (m := STAMP.match(line))]
        device = next((m for line in lines if (m := DEVICE.search(line))), None)
        if device is None or len(stamps) < 2:
            continue
        name = device.group(1) if device.group(1) == "cpu" else f"cuda:{device.group(2) or 0}"
        start, end = (_when(stamps[0]), _when(stamps[-1]))
        out.append((name, start, end))
    return out


def _when(stamp: str) -> float:
    return datetime.strptime(stamp, "%Y-%m-%d %H:%M:%S,%f").timestamp()


def most_at_once(intervals) -> dict[str, int]:
    """Per device, the most intervals that overlap at one moment (an end before a start at
    the same instant)."""
    events: dict[str, list[tuple[float, int]]] = {}
    for device, start, end in intervals:
        events.setdefault(device, []).extend([(start, 1), (end, -1)])
    most = {}
    for device, evs in events.items():
        now = peak = 0
        for _, step in sorted(evs, key=lambda e: (e[0], e[1])):
            now += step
            peak = max(peak, now)
        most[device] = peak
    return most


def run_tiny_dag(gpus: int, per_gpu: int, cores: int) -> dict[str, int]:
    """The tiny config's DAG with ``gpu=gpus*per_gpu``; the most jobs each device held."""
    with tempfile.TemporaryDirectory(prefix="advsal-gpu-check-") as work:
        cmd = [
            *(sys.executable, "-m", "snakemake", "-s", str(ROOT / "Snakefile")),
            *("--directory", work, "--configfile", str(ROOT / "config" / "tiny.yaml")),
            *("--cores", str(cores), "--resources", f"gpu={gpus * per_gpu}", "--quiet", "rules"),
        ]
        subprocess.run(cmd, check=True)
        return most_at_once(job_intervals(Path(work) / "results"))


def _time(fn, device, repeats: int = 3) -> float:
    import torch

    fn()  # warm up (CUDA kernels, allocator)
    best = math.inf
    for _ in range(repeats):
        if device.type == "cuda":
            torch.cuda.synchronize()
        t = time.perf_counter()
        fn()
        if device.type == "cuda":
            torch.cuda.synchronize()
        best = min(best, time.perf_counter() - t)
    return best


def workloads(device) -> dict:
    """family -> a function doing one representative piece of its work on ``device``."""
    import torch
    import torch.nn.functional as F

    from advsal.attacks import ATTACKS
    from advsal.models import build
    from advsal.saliency import SALIENCY

    torch.manual_seed(0)
    net = build("resnet", (3, 32, 32), blocks=5, width=16).to(device)  # Metzen's ResNet-32
    x = torch.rand(128, 3, 32, 32, device=device)
    y = torch.randint(0, 10, (128,), device=device)
    opt = torch.optim.SGD(net.parameters(), lr=0.01)

    def train():
        for _ in range(5):
            opt.zero_grad()
            F.cross_entropy(net(x), y).backward()
            opt.step()

    bim = ATTACKS.get("bim")(net.eval(), eps=8 / 255, steps=10)
    sal = SALIENCY.get("gradient")(net.eval())
    det = build("cifar_net", (3, 32, 32)).to(device)
    dopt = torch.optim.Adam(det.parameters(), lr=1e-3)

    def detector():
        for _ in range(5):
            dopt.zero_grad()
            F.cross_entropy(det(x), y).backward()
            dopt.step()

    vgg = build("vgg16", (3, 224, 224), classes=list(range(10))).to(device).eval()
    big = torch.rand(16, 3, 224, 224, device=device)

    def imagenet():
        with torch.no_grad():
            vgg(big)

    return {
        "train": train,
        "attack": lambda: bim(x, y),
        "detector": detector,
        "saliency": lambda: sal.attribute(x, y),
        "imagenet_forward": imagenet,
    }


def measure() -> list[dict]:
    """Each family's seconds on one CPU core and on the GPU, the speed-up, the peak memory."""
    import torch

    torch.set_num_threads(1)  # one CPU core: what bench/preset_resources.py's times are in
    gpu, cpu = torch.device("cuda"), torch.device("cpu")
    cpu_s = {k: _time(fn, cpu, repeats=1) for k, fn in workloads(cpu).items()}
    rows = []
    for family, fn in workloads(gpu).items():
        torch.cuda.reset_peak_memory_stats()
        gpu_s = _time(fn, gpu)
        rows.append(
            {
                "family": family,
                "rules": " ".join(FAMILIES.get(family, ())),
                "cpu_core_s": round(cpu_s[family], 4),
                "gpu_s": round(gpu_s, 4),
                "speedup": round(cpu_s[family] / gpu_s, 2),
                "peak_gpu_mb": round(torch.cuda.max_memory_allocated() / 2**20),
                "device": torch.cuda.get_device_name(0),
            }
        )
    return rows


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--skip-dag", action="store_true", help="the measurements only")
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--per-gpu", type=int, default=2, help="JOBS_PER_GPU")
    args = parser.parse_args(argv)
    import torch

    if not torch.cuda.is_available():
        print("gpu-check: torch sees no CUDA device on this host: nothing to measure")
        return 0
    gpus = torch.cuda.device_count()
    if not args.skip_dag:
        most = run_tiny_dag(gpus, args.per_gpu, cores=max(2, gpus * args.per_gpu))
        cuda = {d: n for d, n in most.items() if d.startswith("cuda")}
        print(f"gpu-check: most jobs at once per GPU {cuda} (slots {args.per_gpu})")
        if not cuda or max(cuda.values()) > args.per_gpu:
            print("gpu-check: FAILED: a GPU held more jobs than its slots, or none ran on one")
            return 1
    rows = measure()
    with open(args.out, "w", newline="") as fh:
        writer = csv.DictWriter(fh, list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    for r in rows:
        print(f"gpu-check: {r['family']}: {r['speedup']}x one CPU core, peak {r['peak_gpu_mb']} MB")
    print(f"gpu-check: wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
