"""GPU assignment without a GPU: jobs in separate processes claim device slots (advsal.gpus) on a
faked device count; no two share a device beyond its slots, a waiting job gets the device of a
job killed with kill -9, CUDA_VISIBLE_DEVICES and SLURM allocations are respected, and the
Snakefile gives torch jobs no `gpu` resource on a host without a GPU."""

from __future__ import annotations

import collections
import os
import select
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from advsal import gpus
from tests.helpers import ROOT, snakemake_command

CLAIM = """
import sys, time
from pathlib import Path
from advsal import gpus
print(gpus.claim(int(sys.argv[1]), int(sys.argv[2]), poll=0.05), flush=True)
time.sleep(120)
"""
# pick_device on a faked CUDA: torch reports `count` devices, set_device records nothing
FAKE_CUDA = """
import sys, time
import torch
torch.cuda.is_available = lambda: True
torch.cuda.device_count = lambda: int(sys.argv[1])
torch.cuda.set_device = lambda index: None
from advsal.runtime import pick_device
print(pick_device().index, pick_device().index, flush=True)  # a second call keeps the slot
time.sleep(120)
"""


class Jobs:
    """Worker processes that each claim a slot, print it and hold it until killed."""

    def __init__(self, lock_dir: Path):
        self.lock_dir, self.procs = lock_dir, []

    def start(self, code: str, *args, **env) -> subprocess.Popen:
        environ = {**os.environ, gpus.LOCK_DIR_ENV: str(self.lock_dir), **env}
        for key in ("SLURM_JOB_ID", "CUDA_VISIBLE_DEVICES", gpus.JOBS_ENV):
            if key not in env:
                environ.pop(key, None)
        proc = subprocess.Popen(
            [sys.executable, "-c", code, *map(str, args)],
            env=environ,
            stdout=subprocess.PIPE,
            text=True,
        )
        self.procs.append(proc)
        return proc

    @staticmethod
    def answer(proc: subprocess.Popen, timeout: float = 30.0) -> str | None:
        """The slot a worker printed, or None if it is still waiting after ``timeout`` s."""
        ready, _, _ = select.select([proc.stdout], [], [], timeout)
        return proc.stdout.readline().strip() if ready else None

    def close(self):
        for proc in self.procs:
            proc.kill()
            proc.wait()


@pytest.fixture
def jobs(tmp_path):
    pool = Jobs(tmp_path / "locks")
    yield pool
    pool.close()


@pytest.mark.parametrize(("devices", "slots"), [(3, 1), (2, 2)])
def test_concurrent_jobs_fill_each_device_to_its_slots(jobs, devices, slots):
    workers = [jobs.start(CLAIM, devices, slots) for _ in range(devices * slots)]
    got = [jobs.answer(w) for w in workers]
    assert collections.Counter(got) == {str(d): slots for d in range(devices)}

    # one job more than slots waits; kill -9 a holder and the waiting job gets its device
    extra = jobs.start(CLAIM, devices, slots)
    assert jobs.answer(extra, timeout=1.5) is None
    os.kill(workers[-1].pid, signal.SIGKILL)
    workers[-1].wait()
    assert jobs.answer(extra) == got[-1]


def test_a_job_goes_to_the_device_with_the_fewest_jobs(jobs):
    a, b, c = [], [], []
    for w, want in ((a, "0"), (b, "1"), (c, "0")):  # one after the other
        w.append(jobs.start(CLAIM, 2, 2))
        assert jobs.answer(w[0]) == want
    a, b, c = a[0], b[0], c[0]
    for w in (a, b):  # GPU 0 keeps c, GPU 1 is empty
        os.kill(w.pid, signal.SIGKILL)
        w.wait()
    assert jobs.answer(jobs.start(CLAIM, 2, 2)) == "1"


def test_mig_names_make_lock_files(jobs):
    a = jobs.start(CLAIM, 1, 1, CUDA_VISIBLE_DEVICES="MIG-GPU-6f3c/1/0")
    assert jobs.answer(a) == "0"
    assert [p.name for p in (jobs.lock_dir / "host").iterdir()] == ["gpuMIG-GPU-6f3c_1_0.0.lock"]


def test_visible_devices_lock_by_their_own_name(jobs):
    # a run that sees GPUs 2,3 and one that sees only 3 never share GPU 3
    a = jobs.start(CLAIM, 2, 1, CUDA_VISIBLE_DEVICES="2,3")
    assert jobs.answer(a) == "0"  # torch's index 0 = GPU 2
    b = jobs.start(CLAIM, 1, 1, CUDA_VISIBLE_DEVICES="3")
    assert jobs.answer(b) == "0"  # torch's index 0 = GPU 3
    c = jobs.start(CLAIM, 2, 1, CUDA_VISIBLE_DEVICES="2,3")
    assert jobs.answer(c, timeout=1.5) is None  # GPU 2 held by a, GPU 3 by b


def test_slurm_allocations_do_not_wait_on_each_other(jobs):
    # two allocations on one node each see their own GPU as device 0
    one = jobs.start(CLAIM, 1, 1, SLURM_JOB_ID="11", CUDA_VISIBLE_DEVICES="0")
    two = jobs.start(CLAIM, 1, 1, SLURM_JOB_ID="12", CUDA_VISIBLE_DEVICES="0")
    assert jobs.answer(one) == "0" and jobs.answer(two) == "0"
    # jobs inside one allocation share its devices
    three = jobs.start(CLAIM, 1, 1, SLURM_JOB_ID="11", CUDA_VISIBLE_DEVICES="0")
    assert jobs.answer(three, timeout=1.5) is None


def test_pick_device_takes_its_slot_from_the_runs_gpu_resource(jobs):
    # --resources gpu=4 on two GPUs: two jobs per GPU, each job on one device for its life
    workers = [jobs.start(FAKE_CUDA, 2, **{gpus.JOBS_ENV: "4"}) for _ in range(4)]
    answers = [jobs.answer(w, timeout=60) for w in workers]
    assert all(a.split()[0] == a.split()[1] for a in answers), answers
    assert collections.Counter(a.split()[0] for a in answers) == {"0": 2, "1": 2}


@pytest.mark.parametrize(
    ("jobs_", "devices", "want"), [(None, 2, 1), (1, 4, 1), (4, 2, 2), (5, 2, 3), (3, 0, 1)]
)
def test_per_gpu(jobs_, devices, want):
    assert gpus.per_gpu(jobs_, devices) == want


@pytest.mark.parametrize(
    ("visible", "want"),
    [
        (None, ["0", "1", "2"]),
        ("1,2", ["1", "2"]),
        ("GPU-a, GPU-b", ["GPU-a", "GPU-b"]),
        ("-1", []),
        ("", []),
        ("1,-1,2", ["1"]),
    ],
)
def test_visible_ids(monkeypatch, visible, want):
    if visible is None:
        monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
    else:
        monkeypatch.setenv("CUDA_VISIBLE_DEVICES", visible)
    assert gpus.visible_ids(3 if visible is None else None) == want


def test_host_gpu_count(monkeypatch, tmp_path):
    driver = tmp_path / "gpus"
    for bus in ("0000:01:00.0", "0000:41:00.0", "0000:81:00.0", "0000:c1:00.0"):
        (driver / bus).mkdir(parents=True)
    monkeypatch.setattr(gpus, "DRIVER", driver)
    monkeypatch.delenv(gpus.HOST_ENV, raising=False)
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
    assert gpus.host_gpu_count() == 4
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "1,3")
    assert gpus.host_gpu_count() == 2
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "-1")
    assert gpus.host_gpu_count() == 0
    monkeypatch.setattr(gpus, "DRIVER", tmp_path / "absent")
    assert gpus.host_gpu_count() == 0
    monkeypatch.setenv(gpus.HOST_ENV, "2")
    assert gpus.host_gpu_count() == 2


def _dry_run_gpu(tmp_path, host_gpus: str, *args: str) -> set[str]:
    env = {**os.environ, gpus.HOST_ENV: host_gpus}
    command = snakemake_command(
        tmp_path, ROOT / "config" / "tiny.yaml", "-n", "--cores", "2", "--resources", "gpu=1", *args
    )
    out = subprocess.run(
        command, cwd=ROOT, env=env, capture_output=True, text=True, check=True
    ).stdout
    return {
        part
        for line in out.splitlines()
        if "resources:" in line
        for part in line.split(", ")
        if part.startswith("gpu=")
    }


def test_torch_jobs_ask_no_gpu_on_a_host_without_one(tmp_path):
    auto = ("--config", "device=auto")  # tiny.yaml says cpu
    assert _dry_run_gpu(tmp_path, "0", *auto) == {"gpu=0"}
    assert _dry_run_gpu(tmp_path, "2", *auto) == {"gpu=1"}
    assert _dry_run_gpu(tmp_path, "2") == {"gpu=0"}  # device: cpu asks for no GPU
