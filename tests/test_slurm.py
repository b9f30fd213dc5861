"""profiles/slurm on a real (single-node) SLURM: the tiny config's certified-nets part (data, two
GPU-rule trainings and attacks, two CPU-only certifications, the table) is submitted through the
profile, killed with kill -9 mid-way, its jobs cancelled with `make slurm-cancel`, unlocked and
resumed, and its table equals a local run's. GPU rules ask SLURM for one GPU, the others for none.

CI starts the cluster first (`.ci/setup_slurm.sh`: Debian's slurmctld, slurmd and munge, fake
GPUs); elsewhere the test skips, saying why."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import time
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest

from tests.helpers import ROOT, job_stats, snakemake_command

TARGET = "results/mnist5k/tables/certified.csv"
GPU_RULES = {"train_certified", "attack_certified"}
CPU_RULES = {"data", "certify", "certified_table"}
TIMING = ["sdp_seconds"]  # wall-clock columns differ between any two runs


def _why_not() -> str | None:
    if shutil.which("sbatch") is None:
        return "no SLURM here (no sbatch); as root, `bash .ci/setup_slurm.sh` starts one"
    try:
        import snakemake_executor_plugin_slurm  # noqa: F401
    except ImportError:
        return "snakemake-executor-plugin-slurm is not installed (pip install -e '.[slurm]')"
    state = subprocess.run(["sinfo", "-h", "-o", "%t"], capture_output=True, text=True)
    if state.returncode or not {"idle", "mix"} & set(state.stdout.split()):
        return f"no idle SLURM node: {(state.stdout + state.stderr).strip()[:200]}"
    return None


WHY_NOT = _why_not()
pytestmark = [pytest.mark.slow, pytest.mark.skipif(WHY_NOT is not None, reason=str(WHY_NOT))]


def _command(work: Path, *args: str) -> list[str]:
    # device auto (tiny.yaml says cpu, whose jobs ask SLURM for no GPU): torch jobs ask for one;
    # this cluster's GPUs are fake, so torch runs them on the CPU, as in the local run
    return [
        *snakemake_command(work, ROOT / "config" / "tiny.yaml", *args),
        "--config",
        "device=auto",
    ]


def _slurm_args() -> list[str]:
    # the profile as a user runs it, with this cluster's partition and a short first status check
    return [
        "--profile",
        str(ROOT / "profiles" / "slurm"),
        TARGET,
        "--slurm-init-seconds-before-status-checks",
        "5",
        "--default-resources",
        "slurm_partition=debug",
        "runtime=20",
        "mem_mb=1000",
    ]


def _run(cmd: list[str], timeout: int = 900) -> str:
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=ROOT)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-3000:]
    return out


def _jobs(run_id: str) -> list[dict]:
    """Every SLURM job of one run: its id, rule (the plugin's comment), state and GPU request."""
    ids = subprocess.run(
        ["squeue", "-h", "-t", "all", "--name", run_id, "-o", "%i"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    jobs = []
    for job_id in ids:
        text = subprocess.run(
            ["scontrol", "show", "job", "-o", job_id], capture_output=True, text=True, check=True
        ).stdout
        fields = dict(re.findall(r"(\w+)=(\S*)", text))
        rule = re.match(r"rule_(.+?)(_wildcards_.*)?$", fields["Comment"]).group(1)
        jobs.append({"rule": rule, "state": fields["JobState"], "gpu": fields.get("TresPerJob")})
    return jobs


def _run_id(log: str) -> str:
    return re.search(r"SLURM run ID: (\S+)", log).group(1)


def test_tiny_dag_through_slurm_killed_cancelled_and_resumed_equals_local(tmp_path):
    local, cluster = tmp_path / "local", tmp_path / "slurm"
    _run(_command(local, "--cores", "2", TARGET, "--resources", "gpu=2"))

    # first attempt: kill -9 snakemake once a job has finished, leaving its SLURM jobs behind
    cluster.mkdir()
    log = cluster / "first.log"
    with log.open("w") as fh:
        first = subprocess.Popen(_command(cluster, *_slurm_args()), stdout=fh, stderr=fh, cwd=ROOT)
    deadline = time.time() + 600
    while first.poll() is None:  # data finished, the next jobs submitted
        text = log.read_text()
        if "submitted with SLURM jobid" in text.partition("1 of 8 steps")[2]:
            break
        assert time.time() < deadline, text[-3000:]
        time.sleep(0.5)
    first.send_signal(signal.SIGKILL)
    first.wait()
    first_id = _run_id(log.read_text())
    assert not (cluster / TARGET).exists()
    live = ("PENDING", "RUNNING", "COMPLETING")
    assert [j for j in _jobs(first_id) if j["state"] in live]  # orphans of the killed run
    subprocess.run(["make", "-s", "-C", str(ROOT), "slurm-cancel"], check=True)
    for _ in range(30):  # scancel is asynchronous
        left = [j for j in _jobs(first_id) if j["state"] in live]
        if not left:
            break
        time.sleep(1)
    assert not left, left

    # the recovery the README gives: unlock, run again (the profile re-runs incomplete jobs)
    _run(_command(cluster, "--unlock"))
    out = _run(_command(cluster, *_slurm_args()))
    assert "steps (100%) done" in out
    second = _jobs(_run_id(out))
    done = {j["rule"] for j in second}
    assert done <= GPU_RULES | CPU_RULES and "certified_table" in done
    assert "data" not in done  # finished before the kill: not redone
    for job in _jobs(first_id) + second:
        want = "gres:gpu:1" if job["rule"] in GPU_RULES else None
        assert job["gpu"] == want, job  # one GPU for a gpu=1 rule, none for the others

    if os.environ.get("ADVSAL_SLURM_LOG"):  # .ci/run prints it: the CI log shows the SLURM run
        table = "\n".join(f"{j['rule']} {j['state']} gpu={j['gpu']}" for j in second)
        Path(os.environ["ADVSAL_SLURM_LOG"]).write_text(
            out + "\nSLURM jobs of the resumed run:\n" + table + "\n"
        )
    ours, theirs = (pd.read_csv(d / TARGET).drop(columns=TIMING) for d in (cluster, local))
    pd.testing.assert_frame_equal(ours, theirs)
    assert os.listdir(cluster / ".snakemake" / "incomplete") == []


WHOLE = os.environ.get("ADVSAL_SLURM_WHOLE") == "1"


def _gpu_rules() -> set[str]:
    """The rules that declare `gpu=gpu` (one GPU on a cluster) in workflow/rules/*.smk, and
    those `use rule`-derived from one."""
    rules, derived = set(), []
    for smk in (ROOT / "workflow" / "rules").glob("*.smk"):
        text = smk.read_text()
        for block in re.split(r"^(?=rule |checkpoint )", text, flags=re.M):
            name = re.match(r"(?:rule|checkpoint) (\w+):", block)
            if name and re.search(r"\bgpu=gpu\b", block):
                rules.add(name.group(1))
        derived += re.findall(r"^use rule (\w+) as (\w+)", text, flags=re.M)
    return rules | {new for old, new in derived if old in rules}


def _tables(results: Path) -> dict[str, pd.DataFrame]:
    """Every CSV a run wrote, by path, without its wall-clock columns (benchmarks left out)."""
    return {
        str(p.relative_to(results)): pd.read_csv(p).drop(columns=TIMING, errors="ignore")
        for p in sorted(results.rglob("*.csv"))
        if "benchmarks" not in p.parts
    }


@pytest.mark.skipif(
    not WHOLE, reason="the whole tiny DAG through SLURM (~20 min): ADVSAL_SLURM_WHOLE=1 runs it"
)
def test_whole_tiny_dag_through_slurm_equals_local(tmp_path):
    local, cluster = tmp_path / "local", tmp_path / "slurm"
    planned = job_stats(_run(_command(local, "--cores", "2", "--resources", "gpu=2")))
    planned.pop("all", None)  # the target rule runs no code: Snakemake never submits it
    args = [a for a in _slurm_args() if a != TARGET]  # every target of the tiny config
    out = _run(_command(cluster, *args), timeout=2400)  # ~15 min here: 118 short jobs, 2 CPUs
    assert "steps (100%) done" in out
    jobs = _jobs(_run_id(out))
    assert Counter(j["rule"] for j in jobs) == planned  # every job went through SLURM once
    gpu_rules = _gpu_rules()
    assert {"train_classifier", "attack", "train_detector"} <= gpu_rules
    assert {j["rule"] for j in jobs} & gpu_rules and {j["rule"] for j in jobs} - gpu_rules
    for job in jobs:
        want = "gres:gpu:1" if job["rule"] in gpu_rules else None
        assert job["gpu"] == want, job
    ours, theirs = (_tables(d / "results") for d in (cluster, local))
    assert len(ours) > 50 and list(ours) == list(theirs)
    for name, frame in ours.items():
        pd.testing.assert_frame_equal(frame, theirs[name], obj=name)
    if os.environ.get("ADVSAL_SLURM_LOG"):
        with Path(os.environ["ADVSAL_SLURM_LOG"]).open("a") as fh:
            fh.write(f"\nThe whole tiny DAG through SLURM: {len(jobs)} jobs\n{out}\n")
            fh.write(f"local vs SLURM: {len(ours)} CSV files, equal (timing columns dropped)\n")
