"""Every job a config plans and every file it reads, one sorted line per job, from a forced dry
run: ``python bench/job_list.py [snakemake args...] > jobs.txt``. Two such lists (before and
after a change to the planning code) diff to nothing when the change plans the same jobs on the
same files (issue 22); ``diff`` them.

    python bench/job_list.py --configfile config/tiny.yaml > after.txt
"""

import subprocess
import sys
import tempfile
from pathlib import Path


def job_lines(args: list[str]) -> list[str]:
    """The dry run is made in an empty scratch directory, so a run in progress (its lock,
    its incomplete files) in the project does not matter; paths are relative to it, and the
    project's own files (the paper reference) are named relative to the project."""
    snakefile = str(Path("Snakefile").resolve())
    with tempfile.TemporaryDirectory() as scratch:
        cmd = [sys.executable, "-m", "snakemake", "-n", "-F", "--cores", "1"]
        cmd += ["-s", snakefile, "-d", scratch, *args]
        done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode:
        sys.exit(f"{' '.join(cmd)} failed:\n{done.stdout[-2000:]}{done.stderr[-2000:]}")
    text = done.stdout
    jobs, job = [], None
    for line in text.splitlines():
        if line.startswith(("rule ", "localrule ")) and line.endswith(":"):
            job = {"rule": line.split()[1].rstrip(":")}
            jobs.append(job)
        elif job is not None and line.startswith("    ") and ":" in line:
            key, _, value = line.strip().partition(": ")
            if key in ("input", "output", "wildcards"):
                job[key] = ", ".join(sorted(v.strip() for v in value.split(",")))
        elif not line.strip():
            job = None
    root = str(Path.cwd())
    lines = sorted(
        f"{j['rule']} | {j.get('wildcards', '')} | out: {j.get('output', '')} "
        f"| in: {j.get('input', '')}"
        for j in jobs
    )
    return [line.replace(root + "/", "") for line in lines]


if __name__ == "__main__":
    print("\n".join(job_lines(sys.argv[1:])))
