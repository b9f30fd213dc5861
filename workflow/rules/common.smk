# The run's plan, which every stage asks: what runs, on what, reading which files
# (advsal.plan.Plan; tests/test_plan.py). The config is the --configfile file(s) or config.yaml,
# never both; --config goes on top. Jobs (local or on a cluster) get the same command line, so
# they resolve the same config. The config is validated before any job is scheduled.
import re
import sys

from advsal.config import ConfigError, load
from advsal.paper import check_paper_keys, run_setting
from advsal.plan import Plan
from advsal.provenance import code_hash
from advsal.tokens import CLEAN, COMBINED

REFERENCE = f"{workflow.basedir}/workflow/paper_reference.yaml"
try:
    _resolved = load(  # the schema; the plan's completion checks every reference, once
        workflow.config_settings.configfiles,
        dict(workflow.config_settings.config),
        default=f"{workflow.basedir}/config.yaml",
    )
    check_paper_keys(_resolved, REFERENCE)  # and the reference file's schema, before any job
    P = Plan(_resolved)
except ConfigError as err:
    sys.exit(str(err))
config.clear()
config.update(_resolved)  # as written, with the schema's defaults: options, not instances
# Read instance settings (an attack's classifier, a detector's saliency or fits) only through P
# (P.done holds the completed copy); `config` has only what the user wrote.

I = P.inputs  # what each job reads, by name
PATHS = P.paths
R = PATHS.root
RES = config["resources"]
PLOTS = config["plots"]
RUNTIME = {"seed": config["seed"], "device": config["device"]}


def _one_of(names):
    return "|".join(re.escape(n) for n in names) or "(?!)"


wildcard_constraints:
    classifier=_one_of(P.classifiers),
    attack=_one_of(P.attacks + [COMBINED, CLEAN]),
    saliency=_one_of(P.saliencies),
    detector=_one_of(P.detectors),
    split="train|val|test",
    version="static|dynamic",
    eps=r"[0-9][0-9.e+-]*|none",
    seed=r"[0-9]+",
    model="plain|certified",
    paper=_one_of(P.papers),


def code(script):
    """The hash of the library code a script runs: an edit there re-runs the rule."""
    return code_hash(f"{workflow.basedir}/workflow/scripts/{script}.py")


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
