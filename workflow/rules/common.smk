# The run's plan, which every stage asks: what runs, on what, reading which files
# (advsal.plan.Plan; tests/test_plan.py). The config is the --configfile file(s) or config.yaml,
# never both; --config goes on top. Jobs (local or on a cluster) get the same command line, so
# they resolve the same config. The config is validated before any job is scheduled.
import os
import re
import sys

from advsal.config import ConfigError, load, locate
from advsal import numerics
from advsal.gpus import JOBS_ENV, LOCK_DIR_ENV, default_lock_root, host_gpu_count
from advsal.paper import check_paper_keys, load_reference, run_setting
from advsal.paper.spread import spread_rows
from advsal.plan import Plan
from advsal.provenance import code_hash
from advsal.scheduler import sample_benchmarks_every, stop_replanning
from advsal.tokens import CLEAN, COMBINED

# torch's OpenMP threads wait for work asleep, not spinning (unless the environment says
# otherwise): where jobs share the cores (two jobs at once, the tests beside a run) spinning
# threads doubled every job's time; alone a job is no slower (bench/omp_wait.py)
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

# an input: relative to the working directory, so a run copied with its clone plans nothing
REFERENCE = os.path.relpath(f"{workflow.basedir}/workflow/paper_reference.yaml")


def stop(err):
    """End the run before any job: one line naming the file that sets the key, and the key."""
    sys.exit(
        locate(
            err,
            workflow.config_settings.configfiles,
            dict(workflow.config_settings.config),
            default=f"{workflow.basedir}/config.yaml",
        )
    )


try:
    _resolved = load(  # the schema; the plan's completion checks every reference, once
        workflow.config_settings.configfiles,
        dict(workflow.config_settings.config),
        default=f"{workflow.basedir}/config.yaml",
    )
    check_paper_keys(_resolved, REFERENCE)  # and the reference file's schema, before any job
    PLAN = Plan(_resolved, REFERENCE)
except ConfigError as err:
    stop(err)
# every job's torch kernels at one instruction set (advsal.numerics), set before any job starts:
# jobs inherit the variables, and a job on a cluster parses this file again
numerics.apply(_resolved["numerics"])
NUMERICS = _resolved["numerics"]
config.clear()
config.update(_resolved)  # as written, with the schema's defaults: options, not instances
# Read instance settings (an attack's classifier, a detector's saliency or fits) only through PLAN
# (PLAN.done holds the completed copy); `config` has only what the user wrote.

INPUTS = PLAN.inputs  # what each job reads, by name
PATHS = PLAN.paths
RUN_DIR = PATHS.root
RESOURCES = config["resources"]
PLOTS = config["plots"]
RUNTIME = {"seed": config["seed"], "device": config["device"]}

# `--resources gpu=N`: N torch jobs at once, spread over the GPUs (advsal.gpus; docs/running.md,
# "GPUs and cores"); without it, as many as the cores. A torch job asks for one unit where it may run on a
# GPU (a cluster node, a host with one) and for none on a local host without or with `device:
# cpu`: there gpu=N holds back no CPU work. One lock directory for all of this run's jobs.
_jobs = workflow.global_resources.get("gpu").value or workflow.global_resources["_cores"].value
os.environ[JOBS_ENV] = str(_jobs or "")
os.environ.setdefault(LOCK_DIR_ENV, str(default_lock_root()))
_GPU_HOST = host_gpu_count() > 0


# Snakemake's `benchmark:` sampler reads each job's memory maps (/proc/<pid>/smaps, ~3 GB of
# CUDA libraries in a torch job) every 0.5 s for a job's first 15 s; every 5 s keeps the TSV's
# wall time exact and its memory coarse (each job's log ends with its exact peak; docs/running.md).
sample_benchmarks_every(5.0)


onsuccess:
    stop_replanning()  # the profile's 100 s re-plan timer would hold the exit (advsal.scheduler)


onerror:
    stop_replanning()


_SIZED = set()  # the rules that asked sized(): the names resources.rules may use


def sized(rule):
    """A torch rule's `mem_mb` and `runtime` (minutes, what a cluster job asks for):
    resources.rules.<rule>, else the resources' own (a preset's estimates; config/README.md, "Presets")."""
    _SIZED.add(rule)
    own = {**{k: RESOURCES[k] for k in ("mem_mb", "runtime") if k in RESOURCES}, **RESOURCES["rules"].get(rule, {})}
    return own


def check_sized():
    """Once the rules exist, check that resources.rules names only rules taking its sizes."""
    for name in RESOURCES["rules"]:
        if name not in _SIZED:
            known = ", ".join(sorted(_SIZED))
            stop(ConfigError(f"config error at resources.rules.{name}: no such rule ({known})"))


def gpu(wc):
    """A torch job's `gpu` resource (read when the job is planned, once the executor is known;
    a dry run plans locally, so it shows 0 on a host without a GPU even with a cluster profile)."""
    return int(config["device"] != "cpu" and (not workflow.local_exec or _GPU_HOST))


def _one_of(names):
    return "|".join(re.escape(n) for n in names) or "(?!)"


wildcard_constraints:
    classifier=_one_of(PLAN.classifiers),
    attack=_one_of(PLAN.attacks + [COMBINED, CLEAN]),
    saliency=_one_of(PLAN.saliencies),
    detector=_one_of(PLAN.detectors),
    split="train|val|test",
    version="static|retrained",
    eps=r"[0-9][0-9.e+-]*|none",
    seed=r"[0-9]+",
    model="plain|certified",
    paper=_one_of(PLAN.papers),


def code(script):
    """What a job computes with: the hash of the library code its script runs and the numerics
    (advsal.numerics); an edit there, or the other numerics, re-runs the rule."""
    return f"{code_hash(f'{workflow.basedir}/workflow/scripts/{script}.py')} {NUMERICS}"


def seeded(wc):
    """The runtime of a job repeated per seed index (wildcard ``seed``)."""
    return {**RUNTIME, "seed": RUNTIME["seed"] + int(wc.seed)}


def figure(name):
    return PATHS.figure(name)


# -- the report: every table and figure, captioned with the paper item it reproduces ------------
def in_report(path, item, category):
    return report(path, caption=f"../report/{item}.rst", category=category)


def table(name):
    return in_report(PATHS.table(name), name, "Tables")
